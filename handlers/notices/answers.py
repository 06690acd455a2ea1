"""What in a group message answers a notice: a plain 收到, a WeChat quote, or a 接龙 list.

Pure text reading; ``handlers.notices.receipts`` decides which notice and who counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.roster.model import Member, Roster

ACK = re.compile(
    r"^(?:[^\s，,。！!]{0,12}?)(收到|已收到|收到了|已阅|已读|好的|好滴|明白|知悉|已知悉|参加|报名|确认参加|ok|OK|1)"
    r"[了啦呢!！。.~～\s👌🙏💪]*(?P<more>[，,。；;].*)?$"
)
ACK_MAX = 20  # characters: a longer message is a sentence, not a 收到
# WeChat shows a quoted reply as 「name：quoted」, a dashed line, then the reply.
QUOTE = re.compile(
    r"^「(?P<who>[^：:」\n]{1,40})[：:](?P<quoted>.*?)」\s*\n\s*(?:-\s*){3,}\n(?P<reply>.*)$", re.S
)
CHAIN_LINE = re.compile(r"^\s*(\d{1,3})\s*[.、．。)）]\s*(?P<line>\S.*)$")


@dataclass(frozen=True)
class Quote:
    quoted: str
    reply: str


@dataclass(frozen=True)
class Chain:
    header: str  # the 接龙's topic line(s), to find its notice
    lines: tuple[str, ...]  # the numbered entries


def is_ack(text: str) -> bool:
    """「收到」「华科收到！」「好的，马上安排」: a short answer that starts by acknowledging."""
    plain = text.strip()
    return len(plain) <= ACK_MAX and ACK.match(plain) is not None


def only_ack(text: str) -> bool:
    """Nothing but the acknowledgement: no words after it that intake should read."""
    m = ACK.match(text.strip())
    return m is not None and not m.group("more")


def quote_of(text: str) -> Quote | None:
    m = QUOTE.match(text.strip())
    return Quote(m.group("quoted").strip(), m.group("reply").strip()) if m else None


def chain_of(text: str) -> Chain | None:
    """A 接龙 (「#接龙」 or a topic, then numbered lines); None when it is not one."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    entries = [m.group("line").strip() for ln in lines if (m := CHAIN_LINE.match(ln))]
    if not entries or not (lines[0].startswith(("#接龙", "＃接龙", "接龙")) or len(entries) >= 2):
        return None
    header = " ".join(ln for ln in lines if not CHAIN_LINE.match(ln) and ln.lstrip("#＃") != "接龙")
    return Chain(header, tuple(entries))


def named_in(line: str, roster: Roster, room_id: str) -> list[Member]:
    """Roster people a 接龙 line names: by their name or alias, or their enterprise's name (its first
    person stands for it)."""
    people = roster.members_in(room_id)
    found = [m for m in people if any(n and n in line for n in (m.name, *m.aliases))]
    if not found:
        for firm in roster.enterprises_in(room_id):
            if firm.name in line or (firm.short and firm.short in line):
                found += roster.contacts(firm.name, room_id)[:1]
    return found


def mentions_notice(text: str, notice_text: str) -> bool:
    """Whether a quote or a 接龙 header is (the start of) the notice's text, or names its number."""
    a, b = _plain(text), _plain(notice_text)
    head = a[:12]
    return bool(head) and (head in b or b[:12] in a)


def _plain(text: str) -> str:
    return re.sub(r"[\s\W_]+", "", text)
