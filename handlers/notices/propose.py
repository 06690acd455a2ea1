"""Opening a notice: from 「通知 … 截止 … 对象 …」, or offered on a leader's message that ends with
收到请回复 / 请接龙 / 请…报送 and opened by the poster's one-word 「是」."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.context import Context
from handlers.notices.audience import ALL_DEPARTMENTS, units, unknown_words
from handlers.notices.receipts import ACK_PHRASES, kind_of
from handlers.notices.when import find_deadline
from handlers.replies import notices as say
from storage.domain import NoticeKind, NoticeStatus, Role
from storage.models import Notice

# Only an explicit ask for answers: a leader's 「请各部门于周五前报送…」 alone is left as it is.
ASKS = re.compile(ACK_PHRASES + r"|请接龙|接龙报名|请.{0,8}接龙")  # 收到 asked for, or a 接龙
CONFIRM_MINUTES = 30  # a 「是」 later than this confirms nothing
POSTERS = frozenset({Role.LEADER, Role.COORDINATOR, Role.HANDLER})
# A clause starts a word of its own: 「… 截止 周五 对象 规上」, while 「服务对象」「截止日期」 inside the
# text stay part of it.
_CLAUSE = re.compile(r"(?:^|\s)(截止|对象)[:：]?\s*")


@dataclass(frozen=True)
class Draft:
    text: str
    kind: NoticeKind
    audience: str
    deadline: datetime | None


class DraftError(ValueError):
    """Why a notice cannot be opened, in Chinese."""


def parse_command(ctx: Context, rest: str) -> Draft:
    """「<内容> [截止 <时间>] [对象 <…>]」 (the clauses in either order)."""
    parts = _CLAUSE.split(rest)
    text, clauses = parts[0].strip(), dict(zip(parts[1::2], (p.strip() for p in parts[2::2]), strict=True))
    due = None
    if "截止" in clauses:
        found = find_deadline(clauses["截止"], ctx.now)
        if found is None:
            raise DraftError(say.past_deadline(clauses["截止"]))
        due = found.moment
    elif (found := find_deadline(text, ctx.now)) is not None:
        due = found.moment
    return _checked(ctx, Draft(text, kind_of(text), clauses.get("对象") or "全体企业", due))


def _checked(ctx: Context, draft: Draft) -> Draft:
    unknown = unknown_words(draft.audience, ctx.roster)
    if unknown:
        raise DraftError(say.no_audience(unknown))
    if not units(draft.audience, ctx.roster, notice_room(ctx), ctx.actor.id):
        raise DraftError(say.empty_audience(draft.audience))
    return draft


def notice_room(ctx: Context) -> str:
    """The group a notice is for: where it was posted; from a private chat, the poster's first group."""
    if ctx.room_id is not None:
        return ctx.room_id
    rooms = ctx.actor.rooms or tuple(r.id for r in ctx.roster.rooms)
    return rooms[0]


async def open_notice(ctx: Context, draft: Draft, status: NoticeStatus) -> Notice:
    notice = Notice(
        room_id=notice_room(ctx),
        poster_id=ctx.actor.id,
        text=draft.text,
        kind=draft.kind.value,
        status=status,
        audience=draft.audience,
        created_at=ctx.now,
        deadline=draft.deadline,
    )
    return await ctx.uow.notices.add(notice)


def count(ctx: Context, notice: Notice) -> int:
    return len(units(notice.audience, ctx.roster, notice.room_id, notice.poster_id))


async def propose(ctx: Context) -> bool:
    """A leader's, 营商办's or a department's group message that asks for answers: offer to track it."""
    text = ctx.message.text.strip()
    if ctx.room_id is None or ctx.actor.role not in POSTERS or len(text) < 8 or not ASKS.search(text):
        return False
    found = find_deadline(text, ctx.now)
    try:
        draft = _checked(
            ctx, Draft(text, kind_of(text), _audience_in(ctx, text), found.moment if found else None)
        )
    except DraftError:
        return False
    notice = await open_notice(ctx, draft, NoticeStatus.DRAFT)
    ctx.reply(
        say.propose(ctx.at([ctx.actor.id]), draft.audience, count(ctx, notice), draft.deadline),
        [ctx.actor.id],
    )
    return True


def _audience_in(ctx: Context, text: str) -> str:
    """「请各部门…」 → 各部门; 「请专精特新企业…」 → 专精特新; otherwise every enterprise."""
    if any(w in text for w in ALL_DEPARTMENTS[:3]):
        return "各部门"
    known = sorted({w for e in ctx.roster.enterprises for w in e.words()}, key=len, reverse=True)
    named = [w for w in known if len(w) >= 2 and w in text]
    return "、".join(named) if named else "全体企业"


async def confirm(ctx: Context) -> Notice | None:
    """The poster's 「是」: their draft of the last half hour becomes an open notice."""
    draft = await ctx.uow.notices.draft_of(ctx.actor.id, ctx.now - timedelta(minutes=CONFIRM_MINUTES))
    if draft is None:
        return None
    draft.status = NoticeStatus.OPEN
    draft.created_at = ctx.now
    return draft
