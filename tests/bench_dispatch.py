"""Throughput of the one way in: messages per second through Dispatcher.handle on a SQLite file."""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import datetime
from pathlib import Path

from bot.config import EXAMPLE, load_config
from handlers.clock import TZ, ForwardClock
from handlers.commands.table import command_table
from handlers.context import Services
from handlers.dispatcher import Dispatcher
from handlers.messages import IncomingMessage
from storage.db import create_engine, migrate, session_factory
from storage.uow import UnitOfWorkFactory
from tests.support.keyword_classifier import KeywordClassifier

ROOM = "mianyang-qiyejia@chatroom"
LINES = [
    ("e_huake_liu", "园区这周第三次停电了，生产线停了半天"),
    ("e_fucheng_jiang", "收到，谢谢领导"),
    ("h_gd_shi", "查询 1"),
    ("e_anzhou_luo", "👍"),
    ("ld_chen", "统计"),
]


async def _run(n: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await migrate(engine)
        config = load_config(EXAMPLE, env={})
        clock = ForwardClock(datetime(2026, 11, 23, 9, 30, tzinfo=TZ))
        services = Services(config.directory, KeywordClassifier(config.directory))
        dispatcher = Dispatcher(UnitOfWorkFactory(session_factory(engine)), services, clock, command_table())
        start = time.perf_counter()
        for i in range(n):
            sender, text = LINES[i % len(LINES)]
            await dispatcher.handle(
                IncomingMessage(f"b{i}", ROOM, sender, text, clock.now(), gateway="bench")
            )
        elapsed = time.perf_counter() - start
        redelivered = time.perf_counter()
        for i in range(n):
            sender, text = LINES[i % len(LINES)]
            await dispatcher.handle(
                IncomingMessage(f"b{i}", ROOM, sender, text, clock.now(), gateway="bench")
            )
        dup_elapsed = time.perf_counter() - redelivered
        await engine.dispose()
    return n / elapsed, n / dup_elapsed


def run() -> None:
    n = 1000
    fresh, dup = asyncio.run(_run(n))
    print(f"dispatch (SQLite file, {n} mixed group messages): {fresh:.0f} msg/s")
    print(f"redelivered ids (dedupe path): {dup:.0f} msg/s")


if __name__ == "__main__":
    run()
