"""Byte-limit splitting of outgoing texts (pure)."""

from __future__ import annotations

import itertools

import pytest

from bot.gateways.wechaty.splitting import split_text, utf8_len


def test_short_text_is_one_part() -> None:
    assert split_text("你好", 2048) == ["你好"]


def test_blank_text_gives_no_parts() -> None:
    assert split_text("", 64) == []
    assert split_text(" \n ", 64) == []


def test_limit_is_counted_in_utf8_bytes_not_characters() -> None:
    text = "工" * 30  # 90 bytes
    parts = split_text(text, 64)
    assert all(utf8_len(p) <= 64 for p in parts)
    assert "".join(parts) == text
    assert len(parts) == 2


def test_splits_on_line_boundaries_and_packs_lines_greedily() -> None:
    lines = [f"第{i}行：企业诉求处理进度" for i in range(40)]
    text = "\n".join(lines)
    parts = split_text(text, 200)
    assert len(parts) > 1
    assert all(utf8_len(p) <= 200 for p in parts)
    # every part is whole lines, and nothing is lost or reordered
    assert "\n".join(parts).split("\n") == lines
    # greedy: adding the next line to a part would overflow it
    for part, following in itertools.pairwise(parts):
        assert utf8_len(part + "\n" + following.split("\n")[0]) > 200


def test_an_overlong_line_is_cut_on_character_boundaries() -> None:
    long_line = "停电" * 100  # 600 bytes
    parts = split_text("标题\n" + long_line + "\n结尾", 128)
    assert all(utf8_len(p) <= 128 for p in parts)
    assert parts[0].startswith("标题")
    assert "".join(parts).replace("\n", "") == "标题" + long_line + "结尾"
    for part in parts:
        part.encode("utf-8").decode("utf-8")  # never cut inside a character


def test_four_byte_characters_are_never_split() -> None:
    text = "😀" * 10  # 40 bytes
    parts = split_text(text, 6)
    assert parts == ["😀"] * 10


def test_exactly_at_the_limit_stays_whole() -> None:
    text = "a" * 64
    assert split_text(text, 64) == [text]
    assert split_text(text + "\nb", 64) == [text, "b"]


def test_default_limit_is_2048_bytes() -> None:
    text = "\n".join(["汉" * 100] * 10)  # 10 lines of 300 bytes
    parts = split_text(text)
    assert [utf8_len(p) for p in parts] == [300 * 6 + 5, 300 * 4 + 3]


def test_silly_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        split_text("x", 3)
