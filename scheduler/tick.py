"""``build_scheduler(config, deps)``: APScheduler with one periodic tick that runs every rule.

One tick reading ``deps.clock.now()`` (rather than a cron job per report) keeps time travel
trivial and lets each rule decide for itself, from the database, whether something is due.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from handlers.clock import TZ
from scheduler.deps import Deps
from scheduler.runner import run_all

log = logging.getLogger(__name__)


async def tick(deps: Deps) -> None:
    await run_all(deps, deps.clock.now())


def build_scheduler(config: Any, deps: Deps, *, tick_seconds: float | None = None) -> AsyncIOScheduler:
    """A scheduler not yet started; the app calls ``.start()`` and ``.shutdown()``.

    ``config`` is the app's Config (only its ``sections`` are read, through ``deps.schedule``);
    ``tick_seconds`` overrides ``schedule.tick_seconds`` (tests with an accelerated clock).
    """
    seconds = tick_seconds or deps.schedule.tick_seconds
    scheduler = AsyncIOScheduler(timezone=TZ)
    scheduler.add_job(
        tick,
        IntervalTrigger(seconds=seconds, timezone=TZ),
        args=[deps],
        id="tick",
        max_instances=1,  # a slow tick is skipped, never stacked
        coalesce=True,
        misfire_grace_time=None,
    )
    log.info("scheduler ticks every %.1f s (%s)", seconds, _source(config))
    return scheduler


def _source(config: Any) -> str:
    sections: Mapping[str, Any] = getattr(config, "sections", {})
    return "configured" if "schedule" in sections else "defaults"
