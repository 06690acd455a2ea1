"""What one appeal costs with 0 tickets in the database, and with 50,000 filed in the last week.

The production classifier and the dispatcher on a SQLite file: 200 appeals from ten enterprises,
each one looked up against the 共性问题 index. The 50,000 are real rows (tickets and their
signatures) of the same categories, all inside the 共性问题 window: the worst case for the index.
"""

from __future__ import annotations

import asyncio
import csv
import gc
import os
import random
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

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
        await u.commit()


def _issue(no: int, text: str, label: str, at: datetime, rng: random.Random) -> dict[str, object]:
    return {"id": no, "no": no, "room_id": ROOM, "status": "claimed", "category": label, "original_category": label,
            "department": None, "assisting": [], "enterprise": f"历史企业{rng.randint(1, 2000)}", "reporter_id": "x",
            "title": text[:30], "text": text, "kind": "appeal", "confidence": 0.9, "urgent": False,
            "escalation_level": 0, "reopen_count": 0, "created_at": at, "updated_at": at}  # fmt: skip


async def cost(existing: int, appeals: int, work: Path) -> float:
    """Seconds per appeal through the dispatcher with ``existing`` tickets already there."""
    config = load_config(EXAMPLE, env={})
    engine = create_engine(f"sqlite+aiosqlite:///{work / f'appeals-{existing}.db'}")
    await migrate(engine)
    uow = UnitOfWorkFactory(session_factory(engine))
    classifier = default_classifier(config.directory, work / "model")
    await fill(uow, classifier, existing)
    async with engine.connect() as conn:
        # The bulk fill left its rows in the WAL: copy them into the database now, or the first
        # measured commits pay for that one-time checkpoint instead of for the appeals.
        await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
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
        empty = asyncio.run(cost(0, 200, Path(tmp)))
        full = asyncio.run(cost(existing, 200, Path(tmp)))
    print(f"one appeal through the dispatcher: {empty * 1000:.1f} ms with no tickets, "
          f"{full * 1000:.1f} ms with {existing:,} from the last week ({full / empty:.2f}x)")  # fmt: skip


if __name__ == "__main__":
    run()
