"""Every rule, run at one moment; and every moment that came due between two (time travel).

``run_all(deps, now)`` is what the periodic tick calls. ``run_due(deps, start, end)`` steps
through the exact moments something falls due — deadlines, ladder rungs, working mornings (when
held-back reminders go out), digest times, event notices — so a jump of a month is a few hundred
steps, not 43,200 minute ticks, and every message carries the moment it would have been sent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from scheduler.deps import Deps
from scheduler.jobs import aftercare, digests, events, notices, policies, reminders, roster

log = logging.getLogger(__name__)
Step = Callable[[datetime], Awaitable[None] | None]
MAX_STEPS = 20_000

JOBS = (
    ("reminders", reminders.remind),
    ("aftercare", aftercare.aftercare),
    ("daily", digests.daily_digest),
    ("weekly", digests.weekly_ranking),
    ("monthly", digests.monthly_report),
    ("events", events.announce_events),
    ("notices", notices.follow_notices),
    ("policies", policies.push_policies),
    ("roster", roster.refresh),
)


async def run_all(deps: Deps, now: datetime) -> None:
    """Each job at ``now``; one failing job is logged and never stops the others."""
    for name, job in JOBS:
        try:
            await job(deps, now)
        except Exception:
            log.exception("scheduler job %s at %s failed", name, now)


async def next_moment(deps: Deps, after: datetime) -> datetime | None:
    quiet_end = deps.schedule.quiet_hours[1]
    local = after.astimezone(deps.calendar.tz)
    wake = datetime.combine(local.date(), quiet_end, tzinfo=deps.calendar.tz)
    candidates = [
        deps.calendar.next_working_morning(after + timedelta(seconds=1)),
        wake if wake > after else wake + timedelta(days=1),
        await reminders.next_due(deps, after),
        await aftercare.next_due(deps, after),
        digests.next_due(deps, after),
        events.next_due(deps, after),
        await notices.next_due(deps, after),
        policies.next_due(deps, after),
    ]
    return min((c for c in candidates if c is not None and c > after), default=None)


async def run_due(
    deps: Deps,
    start: datetime,
    end: datetime,
    on_step: Step | None = None,
    budget_seconds: float | None = None,
) -> bool:
    """Run everything that came due in (start, end], in time order; False when it stopped early.

    ``on_step(moment)`` runs before the jobs of each step (the simulator moves its clock there,
    so the group sees each message at the time it would have been sent). With ``budget_seconds``
    it stops after the step during which the budget ran out (the simulator's time travel answers
    within it, and the caller may go on from where it stopped).
    """
    started, moment = time.monotonic(), start
    for _ in range(MAX_STEPS):
        upcoming = await next_moment(deps, moment)
        if upcoming is None or upcoming > end:
            break
        moment = upcoming
        await _step(deps, moment, on_step)
        if budget_seconds is not None and time.monotonic() - started > budget_seconds:
            log.warning("run_due stopped at %s: time budget of %.0f s used up", moment, budget_seconds)
            return False
    else:
        return False
    if moment < end:
        await _step(deps, end, on_step)
    return True


async def _step(deps: Deps, moment: datetime, on_step: Step | None) -> None:
    if on_step is not None:
        result = on_step(moment)
        if result is not None:
            await result
    await run_all(deps, moment)
