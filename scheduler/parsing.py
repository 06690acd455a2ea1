"""Small validators for the scheduler's config tables; each error names the key and the problem."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, time
from itertools import pairwise
from typing import Any

Table = Mapping[str, Any]
_MISSING: Any = object()


def read(
    t: Table,
    key: str,
    path: str,
    kind: Any,
    default: Any = _MISSING,
    *,
    low: float | None = None,
    high: float | None = None,
) -> Any:
    """``t[key]`` checked against ``kind`` (str, int, float, list[str], list[date]) and bounds."""
    if key not in t:
        if default is _MISSING:
            raise ValueError(f"{path}{key}: is required")
        return default
    value = t[key]
    if kind == list[date]:
        return [_date(v, f"{path}{key}[{i}]") for i, v in enumerate(_list(value, f"{path}{key}"))]
    if kind == list[str]:
        items = _list(value, f"{path}{key}")
        for i, v in enumerate(items):
            if not isinstance(v, str) or not v.strip():
                raise ValueError(f"{path}{key}[{i}]: should be a non-empty string, got {v!r}")
        return items
    if isinstance(value, bool) or not isinstance(value, int | float if kind is float else kind):
        raise ValueError(f"{path}{key}: should be {_NAMES.get(kind, kind)}, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{path}{key}: should be between {low} and {high}, got {value!r}")
    return float(value) if kind is float else value


_NAMES = {str: "a string", int: "an integer", float: "a number"}


def _list(value: Any, key: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{key}: should be a list, got {value!r}")
    return value


def _date(value: Any, key: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{key}: should be a date like 2027-02-05, got {value!r}") from None


def parse_time(text: Any, key: str) -> time:
    try:
        hh, mm = str(text).strip().split(":")
        return time(int(hh), int(mm))
    except ValueError:
        raise ValueError(f"{key}: should be a time like 08:30, got {text!r}") from None


def when(t: Table, key: str, path: str, default: time) -> time:
    return parse_time(t[key], f"{path}{key}") if key in t else default


def one_of(t: Table, key: str, path: str, choices: Sequence[str], default: str) -> str:
    value = read(t, key, path, str, default)
    if value not in choices:
        raise ValueError(f"{path}{key}: should be one of {', '.join(choices)}, got {value!r}")
    return str(value)


def _span(text: Any, key: str, *, wrap: bool) -> tuple[time, time]:
    parts = str(text).replace("–", "-").split("-") if isinstance(text, str) else []
    if len(parts) != 2:
        raise ValueError(f"{key}: should look like '08:30-12:00', got {text!r}")
    start, end = parse_time(parts[0], key), parse_time(parts[1], key)
    if start == end or (start > end and not wrap):
        raise ValueError(f"{key}: should start before it ends, got {text!r}")
    return start, end


def span(
    t: Table, key: str, path: str, default: tuple[time, time], *, wrap: bool = False
) -> tuple[time, time]:
    return _span(t[key], f"{path}{key}", wrap=wrap) if key in t else default


def spans(
    t: Table, key: str, path: str, default: tuple[tuple[time, time], ...]
) -> tuple[tuple[time, time], ...]:
    if key not in t:
        return default
    items = sorted(_span(v, f"{path}{key}[{i}]", wrap=False) for i, v in enumerate(_list(t[key], path + key)))
    if not items or any(a[1] > b[0] for a, b in pairwise(items)):
        raise ValueError(f"{path}{key}: should be non-empty, non-overlapping spans, got {t[key]!r}")
    return tuple(items)
