"""Opening notices, counting 回执 once per unit, and reading how far a notice got.

Every count is read against the roster as it is now (``audience.units``), so an enterprise added to
the roster mid-notice is asked too, and someone outside the audience never counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from handlers.context import Context
from handlers.notices import answers
from handlers.notices.audience import Unit, unit_of, units
from handlers.replies import notices as say
from handlers.roster.model import Member, Roster
from storage.domain import NoticeKind, NoticeStatus
from storage.models import Notice, NoticeReply

ANSWER_DAYS = 14  # a plain 收到 may answer notices of the room this recent (late answers included)
MAX_REPORT = 200  # characters kept of a 报送
NUMBERED = re.compile(r"通知\s*#?\s*(\d{1,9})")


def kind_of(text: str) -> NoticeKind:
    if "接龙" in text or "报名" in text:
        return NoticeKind.SIGNUP
    if re.search(r"报送|填报|上报|报给|统计.{0,6}(数|人|情况)", text):
        return NoticeKind.REPORT
    return NoticeKind.RECEIPT


# A notice asks for an acknowledgement (已收到) when it says so, whatever else it asks for.
ACK_PHRASES = r"收到请回复|请回复收到|收到请回|收到回复|请回复[「“]?收到"  # a leader asking for 收到
ASKS_ACK = re.compile(ACK_PHRASES + r"|收到后回复|回复收到")


def asks_ack(notice: Notice) -> bool:
    return notice.kind != NoticeKind.REPORT or bool(ASKS_ACK.search(notice.text))


@dataclass(frozen=True)
class Progress:
    """Where a notice stands: its audience now, and the answers of those in it. A unit has 收到
    once it has a 回执; for a 报送 notice it is done only once it has reported (已报送)."""

    audience: list[Unit]
    answered: dict[str, NoticeReply]  # unit key → its one 回执
    reporting: bool = False  # a 报送 notice: content is what is asked for

    def gave_all(self, unit: Unit) -> bool:
        reply = self.answered.get(unit.key)
        return reply is not None and (not self.reporting or reply.report is not None)

    @property
    def missing(self) -> list[Unit]:
        """Who has not given everything the notice asks for (those reminded)."""
        return [u for u in self.audience if not self.gave_all(u)]

    @property
    def unacknowledged(self) -> list[Unit]:
        """Who has not even said they received it."""
        return [u for u in self.audience if u.key not in self.answered]

    @property
    def received_only(self) -> list[Unit]:
        """A 报送 notice's units that said 收到 but reported nothing yet."""
        return [u for u in self.audience if u.key in self.answered and not self.gave_all(u)]

    @property
    def acknowledged(self) -> int:
        return len(self.audience) - len(self.unacknowledged)

    @property
    def done(self) -> int:
        return len(self.audience) - len(self.missing)

    @property
    def late(self) -> int:
        return sum(1 for u in self.audience if self.gave_all(u) and self.answered[u.key].late)


def audience_of(roster: Roster, notice: Notice) -> list[Unit]:
    return units(notice.audience, roster, notice.room_id, notice.poster_id)


def progress(roster: Roster, notice: Notice, replies: list[NoticeReply]) -> Progress:
    reporting = notice.kind == NoticeKind.REPORT
    return Progress(audience_of(roster, notice), {r.unit: r for r in replies}, reporting)


async def progress_of(ctx: Context, notice: Notice) -> Progress:
    replies = (await ctx.uow.notices.replies([notice.id]))[notice.id]
    return progress(ctx.roster, notice, replies)


def status_text(notice: Notice, p: Progress) -> str:
    if p.reporting:
        return say.report_status(
            notice.no, notice.text, notice.deadline, counts(p), names(p), _reports(p), asks_ack(notice)
        )
    return say.status(
        notice.no, notice.text, notice.deadline, p.done, p.late, len(p.audience), [u.name for u in p.missing]
    )


def counts(p: Progress) -> say.ReportCounts:
    return say.ReportCounts(received=p.acknowledged, reported=p.done, late=p.late, total=len(p.audience))


def names(p: Progress) -> say.ReportNames:
    return say.ReportNames(
        unacknowledged=[u.name for u in p.unacknowledged], received_only=[u.name for u in p.received_only]
    )


def _reports(p: Progress) -> list[str]:
    return [f"{u.name} {p.answered[u.key].report}" for u in p.audience if p.gave_all(u)]


async def record(
    ctx: Context,
    notice: Notice,
    p: Progress,
    answers: list[tuple[Unit, Member, str]],
    *,
    report: bool = False,
) -> Progress:
    """Store each unit's 回执 (late after the deadline) and, with ``report``, what it reported (a
    报送 notice's content, on the 回执 a 收到 left earlier); what a unit already gave is skipped.
    Returns the notice's progress after them. The poster hears once, privately, when the last one
    gave everything in time."""
    answered = dict(p.answered)
    late = notice.deadline is not None and ctx.now > notice.deadline
    for unit, member, content in answers:
        reply = NoticeReply(
            notice_id=notice.id,
            unit=unit.key,
            member_id=member.id,
            member_name=member.name,
            text=content[:MAX_REPORT],
            at=ctx.now,
            late=late,
            report=content[:MAX_REPORT] if report else None,
            reported_at=ctx.now if report else None,
        )
        if unit.key not in answered and await ctx.uow.notices.add_reply(reply):
            answered[unit.key] = reply
        elif report and await ctx.uow.notices.add_report(notice.id, unit.key, reply.text, ctx.now):
            answered[unit.key] = _with_report(answered[unit.key], reply)
    after = Progress(p.audience, answered, p.reporting)
    if p.missing and not after.missing and notice.status == NoticeStatus.OPEN:
        ctx.tell(notice.poster_id, say.all_answered(notice.no, len(after.audience)))
    return after


def _with_report(earlier: NoticeReply, reported: NoticeReply) -> NoticeReply:
    """The unit's 回执 as it is now: its 收到 of before, with what it has just reported."""
    return NoticeReply(
        notice_id=earlier.notice_id,
        unit=earlier.unit,
        member_id=earlier.member_id,
        member_name=earlier.member_name,
        text=earlier.text,
        at=earlier.at,
        late=earlier.late,
        report=reported.report,
        reported_at=reported.reported_at,
        id=earlier.id,
    )


async def take_answer(ctx: Context) -> bool:
    """Read a group message as a 回执 (quote, 接龙 or plain 收到); True when it answered a notice
    (then intake does not look at it). Duplicates and outsiders change nothing and are silent."""
    if ctx.room_id is None:
        return False
    text = ctx.message.text
    quote = answers.quote_of(text)
    if quote is not None:
        return await _quoted(ctx, quote)
    chain = answers.chain_of(text)
    if chain is not None:
        return await _chain(ctx, chain)
    if answers.is_ack(text):
        return await _plain_ack(ctx)
    return False


async def _recent(ctx: Context) -> list[Notice]:
    assert ctx.room_id is not None
    return await ctx.uow.notices.answerable(ctx.room_id, ctx.now - timedelta(days=ANSWER_DAYS))


async def _plain_ack(ctx: Context) -> bool:
    """The newest notice of the room the sender's unit has not yet said 收到 to: counted as 已收到
    (for a 报送 notice, the content is still owed)."""
    for notice in await _recent(ctx):
        p = await progress_of(ctx, notice)
        unit = unit_of(ctx.actor, p.audience)
        if unit is not None and unit.key not in p.answered:
            await record(ctx, notice, p, [(unit, ctx.actor, ctx.message.text.strip())])
            # 「收到，另外我们厂又停电了」: counted, and intake still reads the rest.
            return answers.only_ack(ctx.message.text)
    return False


async def _quoted(ctx: Context, quote: answers.Quote) -> bool:
    notice = await _quoted_notice(ctx, quote.quoted)
    if notice is None:
        return False
    p = await progress_of(ctx, notice)
    unit = unit_of(ctx.actor, p.audience)
    if unit is None or p.gave_all(unit):
        return True  # an outsider, or a second answer: counted nothing, said nothing
    content = "" if answers.is_ack(quote.reply) else quote.reply
    await record(
        ctx, notice, p, [(unit, ctx.actor, content or quote.reply)], report=p.reporting and bool(content)
    )
    if p.reporting and not content:
        ctx.reply(say.needs_content(notice.no), [ctx.actor.id])  # 收到 counted; the report is still owed
    return True


async def _quoted_notice(ctx: Context, quoted: str) -> Notice | None:
    numbered = NUMBERED.search(quoted)
    for notice in await _recent(ctx):
        if numbered and int(numbered.group(1)) == notice.no:
            return notice
        if not numbered and answers.mentions_notice(quoted, notice.text):
            return notice
    return None


async def _chain(ctx: Context, chain: answers.Chain) -> bool:
    """Everyone a 接龙 names (and its sender) counts for the matching 接龙 notice."""
    recent = [n for n in await _recent(ctx) if n.kind == NoticeKind.SIGNUP]
    notice = next((n for n in recent if chain.header and answers.mentions_notice(chain.header, n.text)), None)
    notice = notice or next(iter(recent), None)
    if notice is None:
        return False
    assert ctx.room_id is not None
    p = await progress_of(ctx, notice)
    people = [
        ctx.actor,
        *(m for line in chain.lines for m in answers.named_in(line, ctx.roster, ctx.room_id)),
    ]
    fresh: dict[str, tuple[Unit, Member]] = {}
    for person in people:
        unit = unit_of(person, p.audience)
        if unit is not None and unit.key not in p.answered:
            fresh.setdefault(unit.key, (unit, person))
    await record(ctx, notice, p, [(unit, person, "接龙") for unit, person in fresh.values()])
    return True
