"""What one appeal costs with 0 tickets in the database, and with 50,000 filed in the last week.

The production classifier and the dispatcher on a SQLite file, then on PostgreSQL: appeals from ten
enterprises, each one looked up against the 共性问题 index. The 50,000 are real rows (tickets and
their signatures) of the same categories, all inside the 共性问题 window: the worst case for the index.

Both databases are set up first; then turns of ``PER_TURN`` appeals go to each in alternation,
``TURNS`` times, and the medians are compared (a shared machine's speed and fsync times drift from
minute to minute: one run after the other had given anything from 0.85x to 1.70x). Each turn's cost
is printed as CPU (this process's, plus PostgreSQL's) and as wall time per appeal.
"""

from __future__ import annotations

import asyncio
import csv
import gc
import os
import random
import statistics
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy import text as sql
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import EXAMPLE, load_config
from handlers.clock import TZ, ForwardClock
from handlers.commands.table import command_table
from handlers.context import Services
from handlers.dispatcher import Dispatcher
from handlers.intake.classifier import default_classifier
from handlers.messages import IncomingMessage
from storage.db import create_engine, migrate, session_factory
from storage.models import Counter, Issue, IssueTerm
from storage.uow import UnitOfWorkFactory
from tests.bench_http import cpu_seconds, pg_database, postgres_pids

ROOT = Path(__file__).resolve().parents[1]
ROOM = "mianyang-qiyejia@chatroom"
SENDERS = ["e_huake_liu", "e_fucheng_jiang", "e_anzhou_luo", "e_jiuzhou_lin", "e_youxian_ma",
           "e_fenggu_hu", "e_kechuang_song", "e_longfeng_tian", "e_qiangshan_yu", "e_jiuzhou_gao"]  # fmt: skip
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=TZ)
TURNS, PER_TURN = 5, 40  # 200 appeals in all on each database, as many as before the turns


def labelled() -> list[tuple[str, str]]:
    with (ROOT / "tests" / "data" / "fresh_examples.csv").open(encoding="utf-8") as f:
        return [(r["text"], r["label"]) for r in csv.DictReader(f) if r["label"] != "非诉求"]


async def fill(uow: UnitOfWorkFactory, classifier: object, count: int) -> None:
    """``count`` appeals of the last seven days, with their signatures, in bulk."""
    rng, rows = random.Random(1), labelled()
    signature = classifier.signature  # type: ignore[attr-defined]
    async with uow() as u:
        for start in range(0, count, 5000):
            issues, terms = [], []
            for no in range(start + 1, min(count, start + 5000) + 1):
                text, label = rows[no % len(rows)]
                at = NOW - timedelta(minutes=rng.randint(1, 7 * 24 * 60 - 60))
                issues.append(_issue(no, f"{text}（历史{no}）", label, at, rng))
                terms += [{"issue_id": no, "term": t, "created_at": at} for t in signature(text, label)]
            await u.session.execute(insert(Issue), issues)
            await u.session.execute(insert(IssueTerm), terms)
        await u.session.execute(Counter.__table__.update().values(value=count))
        if count and u.session.get_bind().dialect.name == "postgresql":  # ids and numbers come from sequences
            await u.session.execute(sql(f"SELECT setval('counter_issue_no', {count}), setval("
                                         f"pg_get_serial_sequence('issues', 'id'), {count})"))  # fmt: skip
        await u.commit()


def _issue(no: int, text: str, label: str, at: datetime, rng: random.Random) -> dict[str, object]:
    return {"id": no, "no": no, "room_id": ROOM, "status": "claimed", "category": label, "original_category": label,
            "department": None, "assisting": [], "enterprise": f"历史企业{rng.randint(1, 2000)}", "reporter_id": "x",
            "title": text[:30], "text": text, "kind": "appeal", "confidence": 0.9, "urgent": False,
            "escalation_level": 0, "reopen_count": 0, "created_at": at, "updated_at": at}  # fmt: skip


@dataclass
class Setup:
    """A dispatcher on a database that held ``existing`` tickets before the measured appeals."""

    existing: int
    engine: AsyncEngine
    dispatcher: Dispatcher
    sent: int = 0  # appeals handled so far (message ids and texts go on from here)


async def prepare(existing: int, work: Path, url: str) -> Setup:
    config = load_config(EXAMPLE, env={})
    engine = create_engine(url)
    await migrate(engine)
    uow = UnitOfWorkFactory(session_factory(engine))
    classifier = default_classifier(config.roster, work / "model")
    await fill(uow, classifier, existing)
    sqlite = engine.dialect.name == "sqlite"
    if sqlite or existing:
        async with engine.connect() as conn:
            # SQLite: the bulk fill left its rows in the WAL; copied into the database now, or the
            # first measured commits pay for that one-time checkpoint instead of for the appeals.
            # PostgreSQL: statistics, as autovacuum takes them soon after a bulk load (stale ones are
            # what tests/integration/test_repository.py checks the 共性问题 plan against). Not on an
            # empty database: as in a new deployment it has none, and the planner goes by the
            # tables' sizes as they grow. Statistics of empty tables, with no autovacuum to renew
            # them (this machine's PostgreSQL runs without), had it scan the growing tables.
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)" if sqlite else "ANALYZE")
            await conn.commit()  # PostgreSQL keeps statistics taken in a transaction only if it commits
    services = Services(config.roster, classifier, replace(config.settings))
    return Setup(existing, engine, Dispatcher(uow, services, ForwardClock(NOW), command_table()))


async def turn(setup: Setup, appeals: int) -> tuple[float, float]:
    """(CPU, wall) seconds per appeal over the next ``appeals``: CPU is this process's plus, on
    PostgreSQL, the server's (what grows with history is work; an fsync's wait is not)."""
    rows, postgres = labelled(), setup.engine.dialect.name == "postgresql"
    cpu, wall = _cpu(postgres), time.perf_counter()
    for i in range(setup.sent, setup.sent + appeals):
        text = f"{rows[i % len(rows)][0]}（新{i}）"
        await setup.dispatcher.handle(IncomingMessage(f"a{i}", ROOM, SENDERS[i % len(SENDERS)], text, NOW))
    setup.sent += appeals
    return (_cpu(postgres) - cpu) / appeals, (time.perf_counter() - wall) / appeals


def _cpu(postgres: bool) -> float:
    return time.process_time() + (cpu_seconds(postgres_pids()) if postgres else 0.0)


async def compare(urls: tuple[str, str], existing: int, work: Path) -> dict[int, list[tuple[float, float]]]:
    """Both databases set up, then turns of ``PER_TURN`` appeals on each, alternating."""
    setups = [await prepare(n, work, url) for n, url in zip((0, existing), urls, strict=True)]
    # As `zhuqi run` does once started (bot/cli.py): what setup left in the heap is frozen, so
    # the collector's passes do not walk it.
    gc.collect()
    gc.freeze()
    costs: dict[int, list[tuple[float, float]]] = {s.existing: [] for s in setups}
    for _ in range(TURNS):
        for setup in setups:
            costs[setup.existing].append(await turn(setup, PER_TURN))
    gc.unfreeze()
    for setup in setups:
        await setup.engine.dispose()
    return costs


def run() -> None:
    existing = int(os.environ.get("ZHUQI_BENCH_EXISTING", "50000"))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sqlite = (
            f"sqlite+aiosqlite:///{work / 'appeals-empty.db'}",
            f"sqlite+aiosqlite:///{work / 'appeals-full.db'}",
        )
        print(_line("SQLite", asyncio.run(compare(sqlite, existing, work)), existing))
        with pg_database() as empty, pg_database() as full:
            print(_line("PostgreSQL", asyncio.run(compare((empty, full), existing, work)), existing))


def _line(name: str, costs: dict[int, list[tuple[float, float]]], existing: int) -> str:
    (cpu0, wall0), (cpu1, wall1) = (
        (statistics.median(c for c, _ in costs[n]) * 1000, statistics.median(w for _, w in costs[n]) * 1000)
        for n in (0, existing)
    )
    return (
        f"one appeal through the dispatcher on {name}, no tickets → {existing:,} from the last week "
        f"(medians of {TURNS} alternating turns of {PER_TURN}): CPU {cpu0:.2f} → {cpu1:.2f} ms "
        f"({cpu1 / cpu0:.2f}x), wall {wall0:.2f} → {wall1:.2f} ms ({wall1 / wall0:.2f}x)"
    )


if __name__ == "__main__":
    run()
