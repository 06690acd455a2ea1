"""Every rule, run at one moment; and every moment that came due between two (time travel).

``run_all(deps, now)`` is what the periodic tick calls. ``run_due(deps, start, end)`` steps
through the exact moments something falls due — deadlines, ladder rungs, working mornings (when
held-back reminders go out), digest times, event notices — so a jump of a month is a few hundred
steps, not 43,200 minute ticks, and every message carries the moment it would have been sent.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from scheduler.deps import Deps
from scheduler.jobs import aftercare, digests, events, notices, policies, reminders, roster, stale

log = logging.getLogger(__name__)
Step = Callable[[datetime], Awaitable[None] | None]
MAX_STEPS = 20_000

NextDue = Callable[[Deps, datetime], Awaitable[datetime | None] | datetime | None]


@dataclass(frozen=True)
class Job:
    """One rule the tick runs, and when it next falls due after a moment (time travel steps there).
    A job with no moments of its own says why (``every_tick``)."""

    name: str
    run: Callable[[Deps, datetime], Awaitable[object]]
    next_due: NextDue | None
    every_tick: str = ""

    def __post_init__(self) -> None:
        if (self.next_due is None) == (not self.every_tick):
            raise ValueError(f"job {self.name}: give next_due, or say why it has none (every_tick)")


JOBS = (
    Job("reminders", reminders.remind, reminders.next_due),
    Job("aftercare", aftercare.aftercare, aftercare.next_due),
    Job("daily", digests.daily_digest, digests.next_due),
    Job("weekly", digests.weekly_ranking, digests.next_due),
    Job("monthly", digests.monthly_report, digests.next_due),
    Job("events", events.announce_events, events.next_due),
    Job("notices", notices.follow_notices, notices.next_due),
    Job("policies", policies.push_policies, policies.next_due),
    Job("roster", roster.refresh, None, every_tick="applies imports stored by another process or the CLI"),
    Job("stale", stale.expire_stale, None, every_tick="gives up digests and broadcasts left unsent 12 hours"),
)


async def run_all(deps: Deps, now: datetime) -> None:
    """Each job at ``now``; one failing job is logged and never stops the others."""
    for job in JOBS:
        try:
            await job.run(deps, now)
        except Exception:
            log.exception("scheduler job %s at %s failed", job.name, now)


async def next_moment(deps: Deps, after: datetime) -> datetime | None:
    quiet_end = deps.schedule.quiet_hours[1]
    local = after.astimezone(deps.calendar.tz)
    wake = datetime.combine(local.date(), quiet_end, tzinfo=deps.calendar.tz)
    candidates: list[datetime | None] = [
        deps.calendar.next_working_morning(after + timedelta(seconds=1)),  # held-back reminders go out
        wake if wake > after else wake + timedelta(days=1),  # the end of the quiet hours
    ]
    for next_due in dict.fromkeys(job.next_due for job in JOBS if job.next_due is not None):
        due = next_due(deps, after)
        candidates.append(await due if inspect.isawaitable(due) else due)
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
