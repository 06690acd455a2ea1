"""Two ``zhuqi run`` processes on one database: they start together on a new database, and a page
open on either shows everything said in the group, whichever process took the message, once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.chat_feed import POLL_SECONDS, ChatFeed
from storage.db import open_database, session_factory
from storage.uow import UnitOfWorkFactory
from tests.support.chat import ROOM
from tests.support.server import Server

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
APPEAL = "园区停电三天了，影响生产，请供电公司尽快恢复供电"
WAIT = 30.0  # seconds to wait for a message that must come (a deadline, not a measurement)


@pytest.fixture
def two(db_url: str, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    first, second = Server(db_url, tmp_path), Server(db_url, tmp_path)
    try:
        for server in (
            first,
            second,
        ):  # one after the other: the second loads the classifier the first cached
            server.start()
            asyncio.run(server.healthy())
        yield first, second
    finally:
        first.stop()
        second.stop()


def test_two_processes_start_together_on_a_new_database(empty_db_url: str, tmp_path: Path) -> None:
    """Both migrate, train or load the classifier and set the demo's 营商办 passwords at once."""
    servers = [Server(empty_db_url, tmp_path / str(i)) for i in range(2)]
    try:
        for server in servers:
            server.workdir.mkdir()
            server.start()
        for server in servers:
            asyncio.run(server.healthy())
    finally:
        for server in servers:
            server.stop()


async def post(session: aiohttp.ClientSession, server: Server, sender: str, text: str) -> int:
    body = {"room_id": ROOM, "sender_id": sender, "text": text}
    async with session.post(server.url + "/sim/api/messages", json=body) as r:
        assert r.status == 201, await r.text()
        return int((await r.json())["id"])


async def until(ws: aiohttp.ClientWebSocketResponse, wanted: Any, seen: list[dict[str, Any]]) -> None:
    """Read pushed messages into ``seen`` until ``wanted(seen)``; fail after ``WAIT`` seconds."""
    deadline = time.monotonic() + WAIT
    while not wanted(seen):
        left = deadline - time.monotonic()
        assert left > 0, f"not pushed within {WAIT} s; got {[m['text'][:20] for m in seen]}"
        try:
            seen.append(await ws.receive_json(timeout=left))
        except TimeoutError:
            continue


async def test_a_page_on_one_process_shows_what_the_other_took(two: tuple[Server, Server]) -> None:
    first, second = two
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{second.url}/sim/ws?room_id={ROOM}") as ws,
    ):
        await post(session, first, "e_huake_liu", APPEAL)
        seen: list[dict[str, Any]] = []
        await until(ws, lambda got: any("已受理" in m["text"] for m in got), seen)
    texts = [m["text"] for m in seen]
    assert texts[0] == APPEAL, "the enterprise's message comes first"
    assert any("已受理 #1" in t for t in texts[1:]), texts
    assert [m["id"] for m in seen] == sorted({m["id"] for m in seen}), "each row once, in order"


async def test_a_page_shows_its_own_process_messages_once(two: tuple[Server, Server]) -> None:
    first, second = two
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{second.url}/sim/ws?room_id={ROOM}") as ws,
    ):
        await post(session, second, "e_huake_liu", APPEAL)
        await post(session, first, "e_fucheng_jiang", "收到，谢谢")
        seen: list[dict[str, Any]] = []
        await until(ws, lambda got: any(m["text"] == "收到，谢谢" for m in got), seen)
        # The feed hands this process's own rows back too: give it time to, then nothing doubled.
        await asyncio.sleep(POLL_SECONDS * 4)
        while True:
            try:
                seen.append(await ws.receive_json(timeout=0.2))
            except TimeoutError:
                break
    ids = [m["id"] for m in seen]
    assert len(ids) == len(set(ids)), f"a message pushed twice: {ids}"
    assert APPEAL in [m["text"] for m in seen]


@pytest.mark.postgres
async def test_the_feed_listens_again_when_its_connection_is_cut(pg_url: str) -> None:
    """The server ends the feed's connection (a restart, an administrator): it listens again, and
    rows committed from then on are handed on."""
    engine = await open_database(pg_url)
    uow, got = UnitOfWorkFactory(session_factory(engine)), asyncio.Queue[list[int]]()
    ready = asyncio.Event()
    feed = asyncio.create_task(ChatFeed(uow.sessions).run(lambda ids: _put(got, ids), ready))
    try:
        await asyncio.wait_for(ready.wait(), WAIT)
        assert await _write_chat(uow) == await asyncio.wait_for(got.get(), WAIT)
        before = await _listener(engine)
        async with engine.connect() as conn:
            await conn.exec_driver_sql(f"SELECT pg_terminate_backend({before})")
        for _ in range(int(WAIT * 10)):  # until the feed has listened again, on a new connection
            if await _listener(engine) not in (None, before):
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail(f"the feed did not listen again within {WAIT} s")
        assert await _write_chat(uow) == await asyncio.wait_for(got.get(), WAIT)
    finally:
        feed.cancel()
        await engine.dispose()


async def _listener(engine: AsyncEngine) -> int | None:
    """The server process of the feed's connection (the one whose last statement was LISTEN)."""
    async with engine.connect() as conn:
        found = await conn.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'"
        )
        pids = [pid for (pid,) in found.all()]
    assert len(pids) <= 1, pids
    return pids[0] if pids else None


async def _put(queue: asyncio.Queue[list[int]], ids: list[int]) -> None:
    queue.put_nowait(ids)


async def _write_chat(uow: UnitOfWorkFactory) -> list[int]:
    row = {"room_id": ROOM, "sender_id": "e_huake_liu", "sender_name": "刘", "text": "收到", "mentions": [],
           "at": datetime.now(UTC), "client_msg_id": None}  # fmt: skip
    async with uow() as u:
        ids = await u.chat_log.insert([row])
        await u.commit()
    return ids
