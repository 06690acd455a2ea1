"""日报 on working days, 周研判 weekly, 月考核 monthly: each once per period (``JobMark``).

A period's report goes out at its configured moment or, after downtime, at the first run after
it; an earlier period missed entirely is not sent late. A day with nothing to say sends nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from handlers.clock import TZ
from handlers.permissions import in_scope
from handlers.replies import digests as digest_texts
from handlers.replies.reminders import lateness
from handlers.roster.model import Roster
from scheduler.deps import Deps
from scheduler.jobs.common import first_process_wins, to_groups
from scheduler.jobs.reminders import claim_overdue_hours, overdue_hours
from scheduler.levels import sibling_ranking
from storage.domain import Priority, Role
from storage.models import Issue
from storage.reports import FIRST_OVERDUE, DailyFigures, Place
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


def first_workday(deps: Deps, day: date, limit: int = 14) -> date:
    """``day`` or the first working day after it (a ranking due on 国庆 Monday waits for the 8th)."""
    for _ in range(limit):
        if deps.calendar.is_workday(day):
            return day
        day += timedelta(days=1)
    return day


def _at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=TZ)


def daily_due(deps: Deps, day: date) -> datetime | None:
    return _at(day, deps.schedule.digest_time) if deps.calendar.is_workday(day) else None


def weekly_due(deps: Deps, day: date) -> datetime:
    monday = day - timedelta(days=day.weekday())
    wanted = monday + timedelta(days=deps.schedule.ranking_weekday - 1)
    return _at(first_workday(deps, wanted), deps.schedule.ranking_time)


def monthly_due(deps: Deps, day: date) -> datetime:
    wanted = day.replace(day=deps.schedule.monthly_day)
    return _at(first_workday(deps, wanted), deps.schedule.monthly_time)


async def _send(
    deps: Deps,
    uow: UnitOfWork,
    to: str,
    text: str,
    now: datetime,
    kind: str,
    audience: Audience | None = None,
) -> None:
    """To the audience's groups (spread out) or to each of its leaders privately (no audience:
    every group, every leader). A digest of the same kind still waiting for that chat (the
    account's budget was spent) is replaced: only the fresher goes."""
    audience = audience or _everyone(deps)
    if to == "room":
        await to_groups(deps, uow, now, audience.rooms, text, Priority.DIGEST, topic=kind)
        return
    for leader in audience.leaders:
        await uow.outbox.replace(kind, now, room_id=None, to_id=leader)
        uow.outbox.add(
            text=text, room_id=None, to_id=leader, mentions=(), at=now, priority=Priority.DIGEST, topic=kind
        )


async def _commit(deps: Deps, uow: UnitOfWork) -> None:
    # A second process's JobMark conflict surfaces here: first_process_wins rolls it all back.
    await uow.commit()
    deps.wake()


@first_process_wins
async def daily_digest(deps: Deps, now: datetime) -> bool:
    """Today's digest, covering the time since the previous working day's digest."""
    today = now.astimezone(TZ).date()
    due = daily_due(deps, today)
    if due is None or now < due:
        return False
    previous = today - timedelta(days=1)
    while daily_due(deps, previous) is None and previous > today - timedelta(days=30):
        previous -= timedelta(days=1)
    start = daily_due(deps, previous) or due - timedelta(days=1)
    async with deps.uow() as uow:
        if not await uow.job_marks.claim_period("daily", today.isoformat(), now):
            return False
        sent = False
        units = deps.services.roster.units
        places = await uow.reports.daily_by_place(start, due) if units else {}
        late = await uow.reports.overdue_first(due, FIRST_OVERDUE) if units else []
        for audience in _audiences(deps):
            sent = await _daily_for(deps, uow, audience, (start, due), now, (places, late)) or sent
        await _commit(deps, uow)
        return sent


@dataclass(frozen=True)
class Audience:
    """Who a unit's digest goes to: its leaders (privately) or its groups; ``unit`` None: the
    one-unit deployment, everyone."""

    unit: str | None
    leaders: list[str]
    rooms: list[str]


def _everyone(deps: Deps) -> Audience:
    d = deps.services.roster
    return Audience(None, [m.id for m in d.with_role(Role.LEADER)], [r.id for r in d.rooms])


def _audiences(deps: Deps) -> list[Audience]:
    """One audience per unit with leaders (each gets its unit and those below); one unit: all."""
    d = deps.services.roster
    if not d.units:
        return [_everyone(deps)]
    found = []
    for unit in d.units:
        leaders = [m.id for m in d.with_role(Role.LEADER) if d.unit_of(m) == unit.name]
        if leaders:
            found.append(Audience(unit.name, leaders, list(unit.rooms)))
    return found


async def _daily_for(
    deps: Deps,
    uow: UnitOfWork,
    audience: Audience,
    span: tuple[datetime, datetime],
    now: datetime,
    levels: tuple[dict[Place, tuple[int, ...]], list[Issue]],
) -> bool:
    """The digest of ``audience``'s unit and those below it, with a row for each unit directly
    below; in levels from what the job read once (``levels``: the counts per place and the
    longest-waiting overdue tickets of all)."""
    d, (start, due), (places, late) = deps.services.roster, span, levels
    unit = audience.unit
    units = d.subtree(unit) if unit is not None else None
    if places:
        mine = units or d.subtree(d.root)
        listed = [i for i in late if in_scope(i, unit or d.root, d)][:10]
        if len(listed) < 10 and len(late) == FIRST_OVERDUE:  # it may have more past the ones read
            listed = await uow.reports.overdue_list(due, units)
        figures = replace(_added_up(d, places, mine), overdue_list=listed)
    else:
        figures = await uow.reports.daily_figures(start, due, units=units)
    if figures.empty:
        return False
    children = [(c, _added_up(d, places, d.subtree(c))) for c in d.below(unit or "")]
    how_late = [_how_late(deps, i, due) for i in figures.overdue_list]
    text = digest_texts.daily(
        d, due.astimezone(TZ).date(), figures, how_late, unit=unit or "", children=children
    )
    await _send(deps, uow, deps.schedule.digest_to, text, now, "daily", audience)
    return True


def _added_up(roster: Roster, places: dict[Place, tuple[int, ...]], units: frozenset[str]) -> DailyFigures:
    """A subtree's figures: the tickets there now or raised there (``storage.reports.in_units``)."""
    mine = [n for (u, o), n in places.items() if (u or roster.root) in units or (o or roster.root) in units]
    new, claimed, resolved, late = (
        (sum(column) for column in zip(*mine, strict=True)) if mine else (0, 0, 0, 0)
    )
    return DailyFigures(new, claimed, resolved, late, [])


def _how_late(deps: Deps, issue: Issue, now: datetime) -> str:
    """Past the resolve deadline: by how much; else (unclaimed) past the claim deadline: 「未认领 …」."""
    if issue.resolve_due is not None and issue.resolve_due < now:
        hours, prefix = overdue_hours(deps, issue, now), "超期 "
    else:
        assert issue.claim_due is not None, "only an unclaimed ticket is overdue before its resolve deadline"
        hours, prefix = claim_overdue_hours(deps, issue, now), "未认领，超期 "
    return prefix + lateness(hours, wall_clock=issue.urgent, hours_per_day=deps.calendar.hours_per_day)


@first_process_wins
async def weekly_ranking(deps: Deps, now: datetime) -> bool:
    today = now.astimezone(TZ).date()
    due = weekly_due(deps, today)
    if now < due:
        return False
    end = today - timedelta(days=today.weekday())  # this Monday: the report covers last week
    start = end - timedelta(days=7)
    year, week, _ = today.isocalendar()
    return await _ranking(deps, now, "weekly", f"{year}-W{week:02d}", start, end, deps.schedule.ranking_to)


@first_process_wins
async def monthly_report(deps: Deps, now: datetime) -> bool:
    today = now.astimezone(TZ).date()
    if now < monthly_due(deps, today):
        return False
    end = today.replace(day=1)
    start = (end - timedelta(days=1)).replace(day=1)
    return await _ranking(deps, now, "monthly", today.strftime("%Y-%m"), start, end, deps.schedule.monthly_to)


async def _ranking(deps: Deps, now: datetime, job: str, period: str, start: date, end: date, to: str) -> bool:
    """The departments' ranking to ``to``, and each unit's children against each other: the top's
    after the departments', the others' to their own leaders."""
    async with deps.uow() as uow:
        if not await uow.job_marks.claim_period(job, period, now):
            return False
        span = (_at(start, time()), _at(end, time()))
        rows = await uow.reports.ranking(*span)
        d = deps.services.roster
        units = await _unit_rankings(deps, uow, span)
        top = units.pop(d.root, [])
        if rows or top:
            head = (
                digest_texts.weekly(d, start, end - timedelta(days=1), rows)
                if job == "weekly"
                else digest_texts.monthly(d, start, rows)
            )
            await _send(deps, uow, to, "\n".join([head, *top]), now, job)
        for audience in _audiences(deps):
            if audience.unit in units:
                await _send(deps, uow, to, "\n".join(units[audience.unit]), now, f"{job}-units", audience)
        await _commit(deps, uow)
        return bool(rows or top or units)


async def _unit_rankings(
    deps: Deps, uow: UnitOfWork, span: tuple[datetime, datetime]
) -> dict[str, list[str]]:
    """Each unit with units below it → the lines ranking them (nothing without [[units]])."""
    d = deps.services.roster
    parents = [u.name for u in d.units if d.below(u.name)]
    if not parents:
        return {}
    tickets = await uow.reports.unit_tickets(*span)
    ranked = {p: sibling_ranking(tickets, d, deps.calendar, p, span[1]) for p in parents}
    return {
        p: digest_texts.unit_ranking(p, rows) for p, rows in ranked.items() if any(r.received for r in rows)
    }


def next_due(deps: Deps, after: datetime) -> datetime | None:
    """The next moment any of these reports falls due (for the time-travel runner)."""
    day = after.astimezone(TZ).date()
    moments = []
    for offset in range(40):
        d = day + timedelta(days=offset)
        moments += [m for m in (daily_due(deps, d), weekly_due(deps, d), monthly_due(deps, d)) if m]
    later = [m for m in moments if m > after]
    return min(later, default=None)
