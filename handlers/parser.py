"""A forgiving command parser for phone keyboards in a busy group (docs/architecture.md).

``认领 12``, ``认领12``, ``认领 #12``, ``#认领 12号``, ``认领１２`` and ``@助企小助手 认领 12`` all read the
same. A message that merely *starts* with a verb word ("说明一下情况…") is not a command unless
it is addressed to the bot, written with ``/`` or ``#``, or followed by a ticket number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

MENTION_SPACE = "\u2005"  # WeChat puts a four-per-em space after an @name
_SPACES = re.compile(r"[\s\u2005\u3000]+")
# ASCII digits only (full-width ones were made half-width first); any length: a number too long to
# be a ticket is looked up, found missing and said so, never cut to its first nine digits.
_CJK_PUNCTUATION = re.compile(r"[，。！？、：；…]")
_NUMBER = re.compile(r"^[#＃]?\s*([0-9]+)\s*号?\s*(.*)$", re.S)


class ArgSpec(Enum):
    NONE = "none"  # 帮助 / 我的 / 统计
    NO = "no"  # 认领 12
    NO_TEXT = "no_text"  # 进度 12 已对接
    NO_OPT_TEXT = "no_opt_text"  # 督办 12 [要求]
    NO_DEPT = "no_dept"  # 转办 12 人社局
    NO_WORD = "no_word"  # 评价 12 满意 / 归类 12 税费
    TEXT = "text"  # 诉求 ...
    NO_OR_TEXT_DEPT = "no_or_text_dept"  # 交办 12 经信局 / 交办 帮企业对接银行 金融局


# Full-width digits, Latin letters and the few symbols commands use become half-width; Chinese
# punctuation (，。：) stays as people wrote it, because the tail of a command is shown again.
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F) if chr(code) not in "，。：；！？（）"}


def normalize(text: str) -> str:
    """Full-width digits/letters/#@/ to half-width, one space between words, trimmed."""
    return _SPACES.sub(" ", text.translate(_HALF_WIDTH)).strip()


def strip_mentions(text: str, bot_names: Iterable[str]) -> tuple[str, bool]:
    """Remove leading ``@bot`` mentions; says whether the bot was addressed."""
    addressed = False
    changed = True
    names = sorted({n for n in bot_names if n}, key=len, reverse=True)
    while changed:
        changed = False
        for name in names:
            tag = "@" + name
            if text.startswith(tag):
                text, addressed, changed = text[len(tag) :].lstrip(" :：,，"), True, True
    return text, addressed


@dataclass(frozen=True)
class Verb:
    key: str
    aliases: tuple[str, ...]
    spec: ArgSpec
    usage: str = ""  # 「认领 <编号>」, shown when the command is malformed
    example: str = ""  # 「认领 12」

    @property
    def name(self) -> str:
        return self.aliases[0]


@dataclass(frozen=True)
class ParsedCommand:
    verb: Verb
    rest: str  # what follows the verb, normalized
    number: int | None
    tail: str  # what follows the number (or the whole rest when there is none)


def _match_verb(text: str, verbs: Iterable[Verb]) -> tuple[Verb, str] | None:
    best: tuple[int, Verb] | None = None
    lowered = text.lower()
    for verb in verbs:
        for alias in verb.aliases:
            if lowered.startswith(alias.lower()) and (best is None or len(alias) > best[0]):
                best = (len(alias), verb)
    if best is None:
        return None
    return best[1], text[best[0] :]


def parse(text: str, verbs: Iterable[Verb], *, addressed: bool = False) -> ParsedCommand | None:
    """A command if ``text`` is one (possibly malformed), else None (it goes to intake)."""
    text = normalize(text)
    explicit = addressed
    if text[:1] in ("/", "#"):
        text, explicit = text[1:].lstrip(), True
    matched = _match_verb(text, verbs)
    if matched is None:
        return None
    verb, raw = matched
    rest = raw.strip()
    number_match = _NUMBER.match(rest)
    number = int(number_match.group(1)) if number_match else None
    tail = number_match.group(2).strip() if number_match else rest
    if not _is_command(verb, raw, number, explicit):
        return None
    return ParsedCommand(verb=verb, rest=rest, number=number, tail=tail)


def _is_command(verb: Verb, raw: str, number: int | None, explicit: bool) -> bool:
    rest = raw.strip()
    if explicit or verb.spec in (ArgSpec.TEXT, ArgSpec.NO_OR_TEXT_DEPT):
        return True
    if verb.spec is ArgSpec.NONE:
        return rest == ""
    return rest == "" or number is not None or _mistyped_number(raw)


def _mistyped_number(raw: str) -> bool:
    """「认领 abc」「认领 一」「认领x」: a verb, then a short word where the ticket number belongs. It
    gets the usage line; 「说明一下情况」 and 「说明 这个事我们跟进过」 stay ordinary sentences."""
    rest = raw.strip()
    if raw[:1].isspace():
        return len(rest) <= 6 and " " not in rest and not _CJK_PUNCTUATION.search(rest)
    return bool(re.fullmatch(r"[A-Za-z#@*.\-]+", rest))


def looks_like_command(text: str, verbs: Iterable[Verb]) -> bool:
    return parse(text, verbs) is not None
