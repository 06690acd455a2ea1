"""Split long outgoing texts so each part fits a byte limit (UTF-8), on line boundaries."""

from __future__ import annotations

DEFAULT_MAX_BYTES = 2048


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _hard_split(line: str, max_bytes: int) -> list[str]:
    """Cut one overlong line on character boundaries (never inside a UTF-8 sequence)."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for char in line:
        width = utf8_len(char)
        if current and size + width > max_bytes:
            parts.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    if current:
        parts.append("".join(current))
    return parts


def split_text(text: str, max_bytes: int = DEFAULT_MAX_BYTES) -> list[str]:
    """Split ``text`` into parts of at most ``max_bytes`` UTF-8 bytes each.

    Whole lines are packed greedily into a part; the newline between two lines that end up in
    different parts is dropped. A single line longer than the limit is cut on character
    boundaries. Parts that would be only whitespace are left out; an empty or blank text gives
    ``[]``. Joining the parts with newlines gives back the text, except where an overlong line
    was cut and for the blank lines at a cut.
    """
    if max_bytes < 4:
        raise ValueError("max_bytes must leave room for at least one character (4 bytes)")
    if utf8_len(text) <= max_bytes:
        return [text] if text.strip() else []

    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = line if not current else f"{current}\n{line}"
        if utf8_len(candidate) <= max_bytes:
            current = candidate
            continue
        if current.strip():
            parts.append(current)
        if utf8_len(line) <= max_bytes:
            current = line
        else:
            *full, current = _hard_split(line, max_bytes)
            parts.extend(full)
    if current.strip():
        parts.append(current)
    return parts
