"""催办 and 提级督办: unclaimed in time, due soon, overdue up the escalation ladder.

Each (ticket, stage) fires once (``ReminderMark``). A ticket with several stages due at once —
after a weekend, or 48 hours of downtime — gets only its most severe one, and the lesser ones are
marked as done. Stage keys carry the reopen count, so a reopened ticket is chased afresh.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.replies import reminders as rt
from scheduler.deps import Deps
from scheduler.jobs.common import Notice, at, first_process_wins, mark, people, post, room_of
from storage.domain import Status
from storage.models import Issue

log = logging.getLogger(__name__)
LOOKAHEAD = timedelta(days=20)  # a warning may come a long holiday before the deadline


@dataclass(frozen=True)
class Stage:
    key: str
    severity: int  # 0 claim, 1 warn, 2 + ladder level (an unclaimed ticket climbs the ladder too)
    kind: str = "over"  # claim | warn | over
    level: int = 0


@first_process_wins
async def remind(deps: Deps, now: datetime) -> int:
    """Send every reminder due at ``now``; returns how many tickets were reminded."""
    async with deps.uow() as uow:
        issues = await uow.tickets.working_due(claim_by=now, resolve_by=now + LOOKAHEAD)
        issues += await uow.tickets.unconfirmed(due_by=now)
        done = await uow.job_marks.fired([i.id for i in issues])
        notices = []
        for issue in issues:
            due = [s for s in stages(deps, issue, now) if s.key not in done.get(issue.id, {})]
            if not due or not deps.may_send(now, issue.urgent):
                continue
            worst = max(due, key=lambda s: s.severity)
            notices.append(_notice(deps, issue, worst, now))
            await mark(uow, issue, [s.key for s in due], now, worst.key)
        if not notices:
            return 0
        await post(uow, notices, now, deps.services.roster)
        await uow.commit()
    deps.wake()
    return len(notices)


def stages(deps: Deps, issue: Issue, now: datetime) -> list[Stage]:
    """Stages that have come due for ``issue`` at ``now`` (fired or not)."""
    r = issue.reopen_count
    out = []
    if issue.status == Status.CANDIDATE and issue.claim_due and issue.claim_due <= now:
        # 待确认 waits for 营商办 like any ticket waits for its department, and climbs the ladder too.
        lvl = claim_level(deps, issue, now)
        return [Stage(f"confirm.{int(issue.claim_due.timestamp())}.{lvl}", lvl, "confirm", lvl)]
    if issue.status == Status.OPEN and issue.claim_due and issue.claim_due <= now:
        # Keyed by the claim deadline too: a 转办 restarts the clock for the new department,
        # and that department deserves its own reminder. Left unclaimed, it climbs the ladder.
        # Once past the resolve deadline the overdue ladder takes over (it is the graver news).
        overdue = issue.resolve_due is not None and issue.resolve_due <= now
        key, lvl = (
            f"claim.{r}.{int(issue.claim_due.timestamp())}",
            0 if overdue else claim_level(deps, issue, now),
        )
        out.append(Stage(key + (f".{lvl}" if lvl else ""), 2 + lvl if lvl else 0, "claim", lvl))
    if issue.resolve_due is None:
        return out
    if warn_at(deps, issue) <= now < issue.resolve_due:
        out.append(Stage(f"warn.{r}", 1, "warn"))
    if issue.resolve_due <= now:
        lvl = level(deps, issue, now)
        out.append(Stage(f"over.{r}.{lvl}", 2 + lvl, "over", lvl))
    return out


def claim_overdue_hours(deps: Deps, issue: Issue, now: datetime) -> float:
    assert issue.claim_due is not None
    return _hours(deps, issue, issue.claim_due, now)


def claim_level(deps: Deps, issue: Issue, now: datetime) -> int:
    """The ladder rung an unclaimed ticket has reached by how long its claim is overdue."""
    hours = claim_overdue_hours(deps, issue, now)
    return _rung(deps, hours / (24 if issue.urgent else deps.calendar.hours_per_day), issue.escalation_level)


def _rung(deps: Deps, days_late: float, raised: int) -> int:
    ladder = deps.schedule.ladder
    reached = sum(1 for rung in ladder if rung.after_days <= days_late) - 1
    return min(len(ladder) - 1, max(reached, 0) + raised)


def warn_at(deps: Deps, issue: Issue) -> datetime:
    assert issue.resolve_due is not None
    hours = deps.schedule.warn_before_hours
    if issue.urgent:
        return issue.resolve_due - timedelta(hours=min(hours, deps.schedule.urgent_resolve_hours) / 2)
    start = issue.claimed_at or issue.created_at
    # Never warn before the ticket even existed: a short deadline gets its warning halfway.
    left = deps.calendar.working_hours_between(start, issue.resolve_due)
    return deps.calendar.add_working_hours(start, max(left - hours, left / 2))


def overdue_hours(deps: Deps, issue: Issue, now: datetime) -> float:
    assert issue.resolve_due is not None
    if issue.urgent:
        return (now - issue.resolve_due).total_seconds() / 3600
    return deps.calendar.working_hours_between(issue.resolve_due, now)


def level(deps: Deps, issue: Issue, now: datetime) -> int:
    """Ladder rung reached by lateness, raised by 督办/reopen; a second reopen goes to the top."""
    if issue.reopen_count >= 2:
        return len(deps.schedule.ladder) - 1
    days = overdue_hours(deps, issue, now) / (24 if issue.urgent else deps.calendar.hours_per_day)
    return _rung(deps, days, issue.escalation_level)


def rung_moments(deps: Deps, issue: Issue, start: datetime) -> list[datetime]:
    """When each ladder rung comes due after ``start`` (a deadline), for the time-travel runner."""
    if issue.urgent:
        return [start + timedelta(days=r.after_days) for r in deps.schedule.ladder]
    return [deps.calendar.add_working_days(start, r.after_days) for r in deps.schedule.ladder]


def _notice(deps: Deps, issue: Issue, stage: Stage, now: datetime) -> Notice:
    d = deps.services.roster
    if stage.kind == "confirm":
        late = _late(deps, issue, _hours(deps, issue, issue.created_at, now))
        who = people(d, issue, ["coordinators", *(["leaders"] if stage.level else [])])
        text = rt.unconfirmed(issue.no, issue.category, issue.text, late, stage.level + 1)
        return Notice(room_of(d, issue), text, who, private=True)
    if stage.kind == "claim":
        late = _late(deps, issue, _hours(deps, issue, issue.created_at, now))
        who = people(d, issue, deps.schedule.ladder[stage.level].notify if stage.level else ["handlers"])
        text = rt.unclaimed(issue.no, issue.category, issue.text, late, at(d, who), stage.level + 1)
    elif stage.kind == "warn":
        assert issue.resolve_due is not None
        left = _late(deps, issue, _hours(deps, issue, now, issue.resolve_due))
        who = people(d, issue, ["handlers"])
        text = rt.due_soon(issue.no, issue.text, issue.resolve_due, left, at(d, who))
    else:
        lvl = stage.severity - 2
        late = _late(deps, issue, overdue_hours(deps, issue, now))
        who = people(d, issue, deps.schedule.ladder[lvl].notify)
        claimed = issue.status == Status.CLAIMED
        top = lvl == len(deps.schedule.ladder) - 1 and lvl > 0
        text = rt.overdue(issue.no, issue.text, late, lvl + 1, at(d, who), claimed=claimed, top=top)
    return Notice(room_of(d, issue), text, who)


def _late(deps: Deps, issue: Issue, hours: float) -> str:
    return rt.lateness(hours, wall_clock=issue.urgent, hours_per_day=deps.calendar.hours_per_day)


def _hours(deps: Deps, issue: Issue, a: datetime, b: datetime) -> float:
    if issue.urgent:
        return (b - a).total_seconds() / 3600
    return deps.calendar.working_hours_between(a, b)


async def next_due(deps: Deps, after: datetime) -> datetime | None:
    """The earliest moment after ``after`` at which some ticket's stage comes due."""
    moments = []
    async with deps.uow() as uow:  # read inside: leaving the unit of work expires the rows
        for issue in await uow.tickets.unconfirmed():
            if issue.claim_due:
                moments += [issue.claim_due, *rung_moments(deps, issue, issue.claim_due)]
        for issue in await uow.tickets.working():
            if issue.status == Status.OPEN and issue.claim_due:
                moments += [issue.claim_due, *rung_moments(deps, issue, issue.claim_due)]
            if issue.resolve_due:
                moments += [warn_at(deps, issue), *rung_moments(deps, issue, issue.resolve_due)]
    later = [m for m in moments if m > after]
    return min(later, default=None)
