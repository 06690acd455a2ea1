"""SQLite statements on the event loop (storage/sqlite_inline.py): a long read and a lock wait go to
aiosqlite's thread, run again there whole, and leave the transaction they were in as it was."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from storage import sqlite_inline
from storage.db import create_engine, migrate, session_factory

COUNT_TO = 200_000  # a recursive count: far more than CHECK_EVERY instructions
LONG_READ = f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {COUNT_TO}) SELECT count(*), max(x) FROM c"


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    return tmp_path / "zhuqi.db"


async def test_a_read_over_its_budget_runs_again_in_the_thread_and_the_transaction_stays(
    db_file: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sqlite_inline, "BUDGET_SECONDS", 0.0)  # every read that loops is over budget
    engine = create_engine(f"sqlite+aiosqlite:///{db_file}")
    await migrate(engine)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    try:
        async with session_factory(engine)() as session:
            await session.execute(text("INSERT INTO counters (name, value) VALUES ('probe', 7)"))
            task = asyncio.create_task(ticker())
            await asyncio.sleep(0)
            with caplog.at_level(logging.DEBUG, logger="storage.sqlite_inline"):
                before = ticks
                row = (await session.execute(text(LONG_READ))).one()
                during = ticks - before
            task.cancel()
            assert tuple(row) == (COUNT_TO, COUNT_TO)
            assert any("moved to the thread" in r.getMessage() for r in caplog.records)
            assert during > 0, "the loop ran other tasks while the read ran in the thread"
            # The stopped read changed nothing: the insert before it is still in the transaction.
            await session.commit()
        async with session_factory(engine)() as session:
            stored = await session.execute(text("SELECT value FROM counters WHERE name = 'probe'"))
            assert stored.scalar_one() == 7
    finally:
        await engine.dispose()


async def test_a_short_read_stays_on_the_loop(db_file: Path, caplog: pytest.LogCaptureFixture) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{db_file}")
    await migrate(engine)
    try:
        async with session_factory(engine)() as session:
            with caplog.at_level(logging.DEBUG, logger="storage.sqlite_inline"):
                assert (await session.execute(text("SELECT count(*) FROM issues"))).scalar_one() == 0
            assert not any("moved to the thread" in r.getMessage() for r in caplog.records)
    finally:
        await engine.dispose()


async def test_a_write_that_meets_another_process_lock_waits_in_the_thread(
    db_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """On the loop SQLite never waits for a lock; the statement runs again in the thread, which
    waits, while the loop goes on (here: it is the loop that lets the other writer finish)."""
    engine = create_engine(f"sqlite+aiosqlite:///{db_file}")
    await migrate(engine)
    other = sqlite3.connect(db_file, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    other.execute("INSERT INTO counters (name, value) VALUES ('other', 1)")

    async def other_commits_later() -> None:
        await asyncio.sleep(0.2)
        other.execute("COMMIT")

    try:
        async with session_factory(engine)() as session:
            releasing = asyncio.create_task(other_commits_later())
            with caplog.at_level(logging.DEBUG, logger="storage.sqlite_inline"):
                await session.execute(text("INSERT INTO counters (name, value) VALUES ('mine', 2)"))
                await session.commit()
            await releasing
        assert any("moved to the thread" in r.getMessage() for r in caplog.records)
        async with session_factory(engine)() as session:
            rows = await session.execute(
                text("SELECT name, value FROM counters WHERE name IN ('mine', 'other')")
            )
            assert sorted(map(tuple, rows)) == [("mine", 2), ("other", 1)]
    finally:
        other.close()
        await engine.dispose()
