"""Nothing accepted is ever lost, nothing happens twice: a real server killed with SIGKILL under load.

Each round starts ``zhuqi run`` on one SQLite file, sends appeals at concurrency 8, and kills the
process at a random moment. A client that got no answer sends the same message again (same
``client_msg_id``) in the next round, as any client retries. After the last round the server runs to
quiet and stops; then every message must have exactly one outcome: one chat row, one processed
inbox row, one ticket or one 补充, and exactly one acknowledgement of it in the group.
"""

from __future__ import annotations

import asyncio
import csv
import random
import sqlite3
import time
from pathlib import Path

import aiohttp
import pytest

from tests.support.chat import ROOM
from tests.support.server import ROOT, Server

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
ROUNDS = 20
PER_ROUND = 30
SENDERS = ["e_huake_liu", "e_fucheng_jiang", "e_anzhou_luo", "e_jiuzhou_lin", "e_youxian_ma",
           "e_fenggu_hu", "e_kechuang_song", "e_longfeng_tian", "e_qiangshan_yu", "e_jiuzhou_gao"]  # fmt: skip


def appeal_texts() -> list[str]:
    with (ROOT / "tests" / "data" / "fresh_examples.csv").open(encoding="utf-8") as f:
        return [row["text"] for row in csv.DictReader(f) if row["label"] != "非诉求"]


async def send(session: aiohttp.ClientSession, url: str, key: str, sender: str, text: str) -> bool:
    body = {"room_id": ROOM, "sender_id": sender, "text": text, "client_msg_id": key}
    try:
        async with session.post(url + "/sim/api/messages", json=body) as r:
            await r.read()
            return r.status in (200, 201)
    except (TimeoutError, aiohttp.ClientError):
        return False  # the server died: not accepted as far as this client knows


async def a_round(server: Server, todo: dict[str, tuple[str, str]], rng: random.Random) -> set[str]:
    """Send everything still to do at concurrency 8, killing the server after a random moment."""
    accepted: set[str] = set()
    timeout = aiohttp.ClientTimeout(total=15)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        queue = list(todo.items())

        async def worker() -> None:
            while queue:
                key, (sender, text) = queue.pop()
                if await send(session, server.url, key, sender, text):
                    accepted.add(key)

        workers = [asyncio.create_task(worker()) for _ in range(8)]
        await asyncio.sleep(rng.uniform(0.05, 1.2))
        server.kill()
        await asyncio.gather(*workers, return_exceptions=True)
    return accepted


async def quiet(server: Server, db: Path, within: float = 60) -> None:
    """Wait until every stored message is processed and every reply delivered."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with sqlite3.connect(db) as c:
            pending = c.execute("SELECT count(*) FROM inbox WHERE processed_at IS NULL").fetchone()[0]
            unsent = c.execute(
                "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"
            ).fetchone()[0]
        if pending == 0 and unsent == 0:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"not quiet after {within} s: {pending} unprocessed, {unsent} unsent")


def outcomes(db: Path, sent: dict[str, tuple[str, str]]) -> list[str]:
    """What is wrong, per message (empty when every message has exactly one outcome)."""
    problems = []
    with sqlite3.connect(db) as c:
        for key, (_sender, text) in sent.items():
            chats = c.execute("SELECT id FROM chat_log WHERE client_msg_id = ?", (key,)).fetchall()
            if len(chats) != 1:
                problems.append(f"{key}: {len(chats)} chat rows")
                continue
            inbox = c.execute(
                "SELECT processed_at FROM inbox WHERE message_id = ?", (f"sim-{chats[0][0]}",)
            ).fetchall()
            tickets = c.execute("SELECT no FROM issues WHERE text = ?", (text,)).fetchall()
            supplements = c.execute(
                "SELECT issue_id FROM issue_events WHERE kind = 'supplement' AND text = ?", (text,)
            ).fetchall()
            if len(inbox) != 1 or inbox[0][0] is None or len(tickets) + len(supplements) != 1:
                problems.append(f"{key}: inbox {inbox}, tickets {tickets}, supplements {supplements}")
                continue
            if tickets:
                problems += _acknowledged(c, key, tickets[0][0])
    return problems


def _acknowledged(c: sqlite3.Connection, key: str, no: int) -> list[str]:
    acks = c.execute(
        "SELECT count(*) FROM chat_log WHERE sender_id = 'zhuqi-bot'"
        " AND (text LIKE ? OR text LIKE ? OR text LIKE ?)",
        (f"%已受理 #{no}【%", f"疑似诉求 #{no}【%", f"#{no} 为您找到相关政策%"),
    ).fetchone()[0]
    return [] if acks == 1 else [f"{key}: ticket #{no} acknowledged {acks} times"]


async def test_kill_9_under_load_loses_and_repeats_nothing(tmp_path: Path) -> None:
    rng, texts = random.Random(9), appeal_texts()
    db = tmp_path / "crash.db"
    server = Server(f"sqlite+aiosqlite:///{db}", tmp_path)
    everything: dict[str, tuple[str, str]] = {}
    todo: dict[str, tuple[str, str]] = {}
    accepted_total = 0
    for round_no in range(ROUNDS):
        for i in range(PER_ROUND):
            n = round_no * PER_ROUND + i
            key = f"crash-{n}"
            todo[key] = everything[key] = (SENDERS[n % len(SENDERS)], f"{texts[n % len(texts)]}（编号{n}）")
        server.start()
        await server.healthy()
        accepted = await a_round(server, todo, rng)
        accepted_total += len(accepted)
        for key in accepted:
            todo.pop(key)
    server.start()  # the last start: the rest is sent without a crash
    await server.healthy()
    async with aiohttp.ClientSession() as session:
        for key, (sender, text) in list(todo.items()):
            assert await send(session, server.url, key, sender, text)
    await quiet(server, db)
    server.stop()
    assert accepted_total > ROUNDS  # the kills did land in the middle of work
    assert outcomes(db, everything) == []
