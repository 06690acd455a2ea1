"""What one appeal costs with 0 tickets in the database, and with 50,000 filed in the last week.

The production classifier and the dispatcher on a SQLite file, then on PostgreSQL: 200 appeals from
ten enterprises, each one looked up against the 共性问题 index. The 50,000 are real rows (tickets and
their signatures) of the same categories, all inside the 共性问题 window: the worst case for the index.
"""

from __future__ import annotations

import asyncio
import csv
import gc
import os
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy import text as sql

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
from tests.bench_http import pg_database

ROOT = Path(__file__).resolve().parents[1]
ROOM = "mianyang-qiyejia@chatroom"
SENDERS = ["e_huake_liu", "e_fucheng_jiang", "e_anzhou_luo", "e_jiuzhou_lin", "e_youxian_ma",
           "e_fenggu_hu", "e_kechuang_song", "e_longfeng_tian", "e_qiangshan_yu", "e_jiuzhou_gao"]  # fmt: skip
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=TZ)


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


async def cost(existing: int, appeals: int, work: Path, url: str) -> float:
    """Seconds per appeal through the dispatcher with ``existing`` tickets already there."""
    config = load_config(EXAMPLE, env={})
    engine = create_engine(url)
    await migrate(engine)
    uow = UnitOfWorkFactory(session_factory(engine))
    classifier = default_classifier(config.directory, work / "model")
    await fill(uow, classifier, existing)
    async with engine.connect() as conn:
        # SQLite: the bulk fill left its rows in the WAL; copied into the database now, or the first
        # measured commits pay for that one-time checkpoint instead of for the appeals. PostgreSQL:
        # statistics, as autovacuum takes them soon after a bulk load (stale ones are what
        # tests/integration/test_repository.py checks the 共性问题 plan against).
        sqlite = engine.dialect.name == "sqlite"
        await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)" if sqlite else "ANALYZE")
        await conn.commit()  # PostgreSQL keeps statistics taken in a transaction only if it commits
    services = Services(config.directory, classifier, replace(config.settings))
    dispatcher = Dispatcher(uow, services, ForwardClock(NOW), command_table())
    rows = labelled()
    # As `zhuqi run` does once started (bot/cli.py): what setup left in the heap (here also the
    # other case's run, in the same process) is frozen, so the collector's passes do not walk it.
    gc.collect()
    gc.freeze()
    started = time.perf_counter()
    for i in range(appeals):
        text = f"{rows[i % len(rows)][0]}（新{i}）"
        await dispatcher.handle(IncomingMessage(f"a{i}", ROOM, SENDERS[i % len(SENDERS)], text, NOW))
    elapsed = time.perf_counter() - started
    gc.unfreeze()
    await engine.dispose()
    return elapsed / appeals


def run() -> None:
    existing = int(os.environ.get("ZHUQI_BENCH_EXISTING", "50000"))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, url in (
            ("SQLite", lambda n: f"sqlite+aiosqlite:///{work / f'appeals-{n}.db'}"),
            ("PostgreSQL", None),
        ):
            empty, full = (_cost_on(name, url, n, work) for n in (0, existing))
            print(f"one appeal through the dispatcher on {name}: {empty * 1000:.1f} ms with no tickets, "
                  f"{full * 1000:.1f} ms with {existing:,} from the last week ({full / empty:.2f}x)")  # fmt: skip


def _cost_on(name: str, url: Callable[[int], str] | None, existing: int, work: Path) -> float:
    if url is not None:
        return asyncio.run(cost(existing, 200, work, url(existing)))
    with pg_database() as database:
        return asyncio.run(cost(existing, 200, work, database))


if __name__ == "__main__":
    run()
