"""The scheduler at a city's size (issue 25: "a tick at the 50-group scale never blocks the event
loop for more than 100 ms"): the generated city (tests/support/city.py: 50 groups, 5,000
enterprises), a real SQLite file, the policy push at 10:00 on a Monday and the ticks after it.
Printed: each tick's wall time and the longest the event loop was held during it (a task that
asks to wake every 5 ms measures how late it wakes), beside the same for the example's one group.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from bot.config import EXAMPLE, Config, load_config
from handlers.clock import TZ, ForwardClock
from handlers.context import Services
from scheduler.deadlines import WorkingDayDeadlines
from scheduler.deps import Deps, make_calendar
from scheduler.runner import run_all
from storage.db import create_engine, migrate, session_factory
from storage.uow import UnitOfWorkFactory
from tests.support.city import city_config
from tests.support.keyword_classifier import KeywordClassifier

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)


async def _held(work: object) -> tuple[float, float]:
    """(wall seconds, the longest the loop was held) while ``work`` (a coroutine) runs."""
    longest, done = 0.0, asyncio.Event()

    async def watch() -> None:
        nonlocal longest
        while not done.is_set():
            asked = time.perf_counter()
            await asyncio.sleep(0.005)
            longest = max(longest, time.perf_counter() - asked - 0.005)

    watcher = asyncio.create_task(watch())
    started = time.perf_counter()
    await work  # type: ignore[misc]
    wall = time.perf_counter() - started
    done.set()
    await watcher
    return wall, longest


async def _ticks(config: Config, folder: Path) -> list[tuple[str, float, float]]:
    engine = create_engine(f"sqlite+aiosqlite:///{folder / 'city.db'}")
    await migrate(engine)
    uow = UnitOfWorkFactory(session_factory(engine))
    schedule = replace(config.schedule, policy_push="group")
    services = Services(roster=config.roster, classifier=KeywordClassifier(config.roster), settings=config.settings,
                        deadlines=WorkingDayDeadlines(make_calendar(schedule), config.roster, schedule),
                        policies=config.policies)  # fmt: skip
    clock = ForwardClock(MONDAY_10)
    deps = Deps.build(uow, services, clock, schedule)
    out = []
    for label, minutes in (("10:00, the push", 0), ("10:01, budget spent", 1), ("15:00", 300)):
        moment = MONDAY_10 + timedelta(minutes=minutes)
        clock.set(moment)
        wall, held = await _held(run_all(deps, moment))
        out.append((label, wall, held))
    await engine.dispose()
    return out


def run() -> None:
    with tempfile.TemporaryDirectory() as folder:
        city = Path(folder) / "city.toml"
        city.write_text(city_config(), encoding="utf-8")
        for name, path in (
            ("example (1 group, 9 enterprises)", EXAMPLE),
            ("city (50 groups, 5,000 enterprises)", city),
        ):
            config = load_config(path, env={})
            work = Path(folder) / name.split()[0]
            work.mkdir()
            for label, wall, held in asyncio.run(_ticks(config, work)):
                print(
                    f"scheduler tick, {name}, {label}: {wall * 1000:7.1f} ms wall, loop held at most {held * 1000:6.1f} ms"
                )


if __name__ == "__main__":
    run()
