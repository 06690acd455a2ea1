"""通知: one merged reminder to those who have not answered before the deadline, and the missing
list to the poster once it has passed. Quiet hours and non-working days hold both back; each fires
once (``JobMark``), and a late answer still counts (marked 逾期)."""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.notices.propose import CONFIRM_MINUTES
from handlers.notices.receipts import Progress, progress
from handlers.replies import notices as say
from handlers.replies.texts import at
from scheduler.deps import Deps
from scheduler.jobs.common import first_process_wins
from storage.domain import NoticeStatus, Priority
from storage.models import Notice
from storage.uow import UnitOfWork

LONG = timedelta(days=2)  # a notice open longer than this is reminded a day before its deadline
MAX_MENTIONS = 50  # @s in one reminder; more are counted, not tagged


def remind_at(notice: Notice) -> datetime:
    assert notice.deadline is not None
    span = notice.deadline - notice.created_at
    return notice.deadline - timedelta(days=1) if span > LONG else notice.created_at + span / 2


@first_process_wins
async def follow_notices(deps: Deps, now: datetime) -> int:
    """Remind and close the notices due at ``now``; how many messages went out."""
    sent = 0
    async with deps.uow() as uow:
        notices = await uow.notices.open_with_deadline()
        replies = await uow.notices.replies([n.id for n in notices])
        for notice in notices:
            p = progress(deps.services.roster, notice, replies[notice.id])
            sent += await _follow(deps, uow, notice, p, now)
        for draft in await uow.notices.stale_drafts(now - timedelta(minutes=CONFIRM_MINUTES)):
            draft.status = NoticeStatus.DROPPED
        await uow.commit()
    if sent:
        deps.wake()
    return sent


async def _follow(deps: Deps, uow: UnitOfWork, notice: Notice, p: Progress, now: datetime) -> int:
    assert notice.deadline is not None
    if not deps.may_send(now):
        return 0
    if notice.deadline <= now:
        if not await uow.job_marks.claim_period("notice-close", str(notice.no), now):
            return 0
        notice.status, notice.closed_at = NoticeStatus.CLOSED, now
        missing = [u.name for u in p.missing]
        text = say.closed(notice.no, notice.text, p.done, len(p.audience), missing, p.reporting)
        uow.outbox.add(
            text=text, room_id=None, to_id=notice.poster_id, mentions=(), at=now, priority=Priority.REMINDER
        )
        return 1
    if now < remind_at(notice) or not p.missing or notice.reminded_at is not None:
        return 0
    if not await uow.job_marks.claim_period("notice-remind", str(notice.no), now):
        return 0
    notice.reminded_at = now
    text, contacts = _reminder(deps, notice, p)
    uow.outbox.add(
        text=text, room_id=notice.room_id, to_id=None, mentions=contacts, at=now, priority=Priority.REMINDER
    )
    return 1


def _reminder(deps: Deps, notice: Notice, p: Progress) -> tuple[str, list[str]]:
    """The reminder and whom it @s: only those who still owe something, worded for what they owe
    (a 报送 notice: an answer at all, or only the content after their 收到)."""
    assert notice.deadline is not None
    roster = deps.services.roster
    if not p.reporting:
        contacts = [u.contact for u in p.missing if u.contact][:MAX_MENTIONS]
        text = say.remind(
            notice.no, notice.text, notice.deadline, len(p.missing), at(roster, contacts), notice.kind
        )
        return text, contacts
    silent = [u.contact for u in p.unacknowledged if u.contact][:MAX_MENTIONS]
    received = [u.contact for u in p.received_only if u.contact][: MAX_MENTIONS - len(silent)]
    text = say.remind_report(
        notice.no,
        notice.text,
        notice.deadline,
        at(roster, silent) if silent else "",
        at(roster, received) if received else "",
    )
    return text, silent + received


async def next_due(deps: Deps, after: datetime) -> datetime | None:
    """The next reminder or deadline of an open notice (time travel stops there)."""
    async with deps.uow() as uow:
        notices = await uow.notices.open_with_deadline()
        moments = [m for n in notices for m in (remind_at(n), n.deadline) if m is not None]
    return min((m for m in moments if m > after), default=None)
