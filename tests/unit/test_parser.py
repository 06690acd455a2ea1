"""The forgiving parser: the ways people type one command on a phone."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.commands.table import command_table
from handlers.parser import normalize, parse, strip_mentions
from storage.domain import MAX_TICKET_NO

VERBS = command_table().verbs


@pytest.mark.parametrize(
    "text",
    ["认领 12", "认领12", "认领 #12", "#认领 12号", "认领１２", "认领 ＃１２", "认领　12", "/claim 12", "claim 12",
     "认领12号", "＃认领１２号"],
)  # fmt: skip
def test_claim_variants(text: str) -> None:
    parsed = parse(text, VERBS)
    assert parsed is not None and parsed.verb.key == "claim" and parsed.number == 12


def test_mention_prefix() -> None:
    text, addressed = strip_mentions("@助企小助手\u2005认领 12", ["助企小助手", "小助手"])
    assert addressed
    parsed = parse(text, VERBS, addressed=addressed)
    assert parsed is not None and parsed.number == 12


@pytest.mark.parametrize(
    ("text", "verb", "number", "tail"),
    [
        ("进度 12 已联系银行，本周对接", "progress", 12, "已联系银行，本周对接"),
        ("评价12满意", "rate", 12, "满意"),
        ("评价 #3 非常不满意", "rate", 3, "非常不满意"),
        ("转办 7 人社局", "transfer", 7, "人社局"),
        ("督办 5", "urge", 5, ""),
        ("交办 帮企业对接银行 金融局", "assign", None, "帮企业对接银行 金融局"),
        ("诉求 园区停电", "appeal", None, "园区停电"),
        ("帮助", "help_", None, ""),
        ("待认领", "unclaimed", None, ""),
        ("说明办结 4 地块属基本农田", "explain", 4, "地块属基本农田"),
    ],
)
def test_arguments(text: str, verb: str, number: int | None, tail: str) -> None:
    parsed = parse(text, VERBS)
    assert parsed is not None
    assert (parsed.verb.key, parsed.number, parsed.tail) == (verb, number, tail)


@pytest.mark.parametrize(
    "text",
    ["说明一下我们公司的情况", "进度怎么样了领导", "查询一下贷款政策", "统计局的同志在吗", "帮助企业渡过难关是我们的责任",
     "评价很高的活动", "认领导的指示"],
)  # fmt: skip
def test_ordinary_sentences_are_not_commands(text: str) -> None:
    assert parse(text, VERBS) is None


def test_bare_verb_is_a_malformed_command() -> None:
    parsed = parse("认领", VERBS)
    assert parsed is not None and parsed.number is None


def test_explicit_forms_are_commands_even_without_number() -> None:
    assert parse("/认领 abc", VERBS) is not None
    assert parse("说明一下", VERBS, addressed=True) is not None


def test_normalize_keeps_chinese_punctuation() -> None:
    assert normalize("办结　１２  已处理，谢谢！") == "办结 12 已处理，谢谢！"


# --- properties: whatever people type, the parser answers (a command or None) and never guesses ---


ANY_TEXT = st.text(alphabet=st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF), max_size=80)
VERB_WORDS = [alias for verb in VERBS for alias in verb.aliases]


@settings(max_examples=3000, deadline=None)
@given(text=ANY_TEXT, addressed=st.booleans())
def test_any_text_parses_or_not_without_error(text: str, addressed: bool) -> None:
    parsed = parse(text, VERBS, addressed=addressed)
    if parsed is not None:
        assert parsed.verb in VERBS
        assert parsed.number is None or parsed.number >= 0


@settings(max_examples=2000, deadline=None)
@given(verb=st.sampled_from(VERB_WORDS), digits=st.text(alphabet="0123456789", min_size=1, max_size=30),
       tail=ANY_TEXT)  # fmt: skip
def test_a_number_is_read_whole_or_not_at_all(verb: str, digits: str, tail: str) -> None:
    parsed = parse(f"{verb} {digits} {tail}", VERBS, addressed=True)
    if parsed is not None and parsed.number is not None:
        assert parsed.number == int(digits)  # 认领 1234567890 is never #123456789
    if parsed is not None and parsed.number is not None and parsed.number > MAX_TICKET_NO:
        assert len(digits.lstrip("0")) > 9


@settings(max_examples=500, deadline=None)
@given(digit=st.sampled_from("²³¹٣۳१０１２"))
def test_only_ascii_and_full_width_digits_are_numbers(digit: str) -> None:
    parsed = parse(f"认领 {digit}", VERBS)
    if digit in "０１２":
        assert parsed is not None and parsed.number == int(chr(ord(digit) - 0xFEE0))
    else:
        assert parsed is None or parsed.number is None
