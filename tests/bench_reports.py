"""Report speed with a million tickets: the daily digest and the weekly/monthly ranking on SQLite."""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from handlers.clock import TZ
from storage import reports
from storage.db import create_engine, migrate, session_factory
from storage.models import Issue

N = 1_000_000
DEPARTMENTS = [f"部门{i:02d}" for i in range(40)]
NOW = datetime(2026, 11, 30, 8, 45, tzinfo=TZ)


def _ticket(i: int, rnd: random.Random) -> dict[str, Any]:
    created = NOW - timedelta(minutes=rnd.randrange(3 * 365 * 24 * 60))  # three years of appeals
    claimed = created + timedelta(hours=rnd.expovariate(1 / 6))
    resolved = claimed + timedelta(days=rnd.expovariate(1 / 5))
    closed = resolved + timedelta(days=rnd.random() * 4)
    active = resolved > NOW
    return {
        "no": i + 1,
        "status": "claimed" if active else "closed",
        "outcome": None if active else rnd.choice(("resolved", "resolved", "resolved", "explained")),
        "category": "其他",
        "original_category": "其他",
        "department": rnd.choice(DEPARTMENTS),
        "assisting": [],
        "reporter_id": f"e{i % 5000}",
        "title": "t",
        "text": "t",
        "urgent": False,
        "escalation_level": 0,
        "reopen_count": int(rnd.random() < 0.05),
        "rating": None if active else rnd.choice((None, 2, 3, 4, 5, 5)),
        "created_at": created,
        "updated_at": created,
        "claimed_at": claimed if claimed < NOW else None,
        "resolved_at": None if active else resolved,
        "closed_at": None if active or closed > NOW else closed,
        "claim_due": created + timedelta(hours=8),
        "resolve_due": created + timedelta(days=7),
    }


async def _bench() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'reports.db'}")
        await migrate(engine)
        rnd, start = random.Random(7), time.perf_counter()
        async with engine.begin() as conn:
            for chunk in range(0, N, 50_000):
                await conn.execute(
                    insert(Issue.__table__), [_ticket(i, rnd) for i in range(chunk, chunk + 50_000)]
                )
        print(f"built {N:,} tickets in {time.perf_counter() - start:.1f} s")
        sessions = session_factory(engine)
        async with sessions() as session:
            await _time(
                "daily digest (1 day window)", reports.daily_figures(session, NOW - timedelta(days=1), NOW)
            )
            await _time("weekly ranking (7 days)", reports.ranking(session, NOW - timedelta(days=7), NOW))
            await _time("monthly report (30 days)", reports.ranking(session, NOW - timedelta(days=30), NOW))
        await engine.dispose()


async def _time(label: str, work: Any) -> None:
    start = time.perf_counter()
    result = await work
    size = len(result) if isinstance(result, list) else result.new
    print(f"{label}: {(time.perf_counter() - start) * 1000:.0f} ms ({size} rows/new)")


def run() -> None:
    asyncio.run(_bench())


if __name__ == "__main__":
    run()
