"""After 办结: one rating reminder, then closing as 未评价; after closing: 回头看.

Both speak to the enterprise in its group; both fire once per ticket and reopen (``ReminderMark``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from handlers.lifecycle import Change, apply
from handlers.replies import reminders as rt
from scheduler.deps import Deps
from scheduler.jobs.common import Notice, at, first_process_wins, mark, post, room_of
from storage.domain import SYSTEM, Action
from storage.models import Issue
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
LOOKBACK = timedelta(days=60)  # a revisit missed by more than this (long downtime) is dropped


@first_process_wins
async def aftercare(deps: Deps, now: datetime) -> int:
    async with deps.uow() as uow:
        notices = await _unrated(deps, uow, now) + await _revisits(deps, uow, now)
        await post(uow, notices, now, deps.services.roster)
        await uow.commit()
    if notices:
        deps.wake()
    return len(notices)


def rate_moment(deps: Deps, issue: Issue) -> datetime:
    assert issue.resolved_at is not None
    return deps.calendar.add_working_days(issue.resolved_at, deps.schedule.unrated_days)


def close_moment(deps: Deps, reminded_at: datetime) -> datetime:
    return deps.calendar.add_working_days(reminded_at, deps.schedule.unrated_grace_days)


def revisit_moment(deps: Deps, issue: Issue) -> datetime:
    assert issue.closed_at is not None
    return issue.closed_at + timedelta(days=deps.schedule.revisit_days)


async def _unrated(deps: Deps, uow: UnitOfWork, now: datetime) -> list[Notice]:
    issues = await uow.tickets.awaiting_rating()
    done = await uow.job_marks.fired([i.id for i in issues])
    d, notices = deps.services.roster, []
    for issue in issues:
        stage = f"rate.{issue.reopen_count}"
        reminded = done.get(issue.id, {}).get(stage)
        if reminded is not None and close_moment(deps, reminded) <= now:
            await uow.tickets.add_event(
                # 未评价 = closed with no rating; the outcome (resolved/explained/answered) stays as it was.
                apply(issue, Action.EXPIRE, SYSTEM, now, Change(text="未评价"))
            )
        elif reminded is None and rate_moment(deps, issue) <= now and deps.may_send(now):
            days = rt.lateness(
                deps.calendar.working_hours_between(issue.resolved_at or now, now),
                wall_clock=False,
                hours_per_day=deps.calendar.hours_per_day,
            )
            grace = rt.working_days(deps.schedule.unrated_grace_days)
            who = [issue.reporter_id]
            notices.append(
                Notice(room_of(d, issue), rt.rate_please(issue.no, issue.text, days, grace, at(d, who)), who)
            )
            await mark(uow, issue, [stage], now, stage)
    return notices


async def _revisits(deps: Deps, uow: UnitOfWork, now: datetime) -> list[Notice]:
    if not deps.may_send(now):
        return []
    newest = now - timedelta(days=deps.schedule.revisit_days)
    d, notices = deps.services.roster, []
    for issue in await uow.tickets.unrevisited(newest - LOOKBACK, newest):
        who = [issue.reporter_id]
        text = rt.revisit(issue.no, issue.text, round(deps.schedule.revisit_days), at(d, who))
        notices.append(Notice(room_of(d, issue), text, who))
        await mark(uow, issue, [f"revisit.{issue.reopen_count}"], now, "revisit")
    return notices


async def next_due(deps: Deps, after: datetime) -> datetime | None:
    async with deps.uow() as uow:
        resolved = await uow.tickets.awaiting_rating()
        done = await uow.job_marks.fired([i.id for i in resolved])
        closed = await uow.tickets.handled_closed_since(after - timedelta(days=deps.schedule.revisit_days))
        moments = [revisit_moment(deps, i) for i in closed]
        for issue in resolved:
            reminded = done.get(issue.id, {}).get(f"rate.{issue.reopen_count}")
            if issue.resolved_at is not None:
                moments.append(close_moment(deps, reminded) if reminded else rate_moment(deps, issue))
    return min((m for m in moments if m > after), default=None)
