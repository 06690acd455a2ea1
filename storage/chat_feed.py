"""Chat rows written by any process, as they commit: what keeps every simulator page live when
several bot processes share one database.

PostgreSQL: the unit of work that wrote chat rows notifies their ids as it commits (``announce``)
on a channel named after the schema, and ``ChatFeed`` LISTENs on a connection of its own
(reconnecting when it drops). SQLite: one writer at a time, so ids commit in order and looking
for ids above the last one seen every ``POLL_SECONDS`` misses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import bindparam, func, select
from sqlalchemy import text as sql
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import ChatLog
from storage.sql import is_postgresql

log = logging.getLogger(__name__)

CHANNEL_PREFIX = "zhuqi_chat_"  # + the schema: test runs in schemas of one database stay apart
NOTIFY = sql(f"SELECT pg_notify('{CHANNEL_PREFIX}' || current_schema(), :ids)")
IDS_PER_NOTIFY = 400  # a NOTIFY payload holds at most 8,000 bytes
POLL_SECONDS = 0.5  # SQLite: how often committed rows are looked for
RETRY_SECONDS = 2.0  # PostgreSQL: the wait before listening again once the connection went
Arrived = Callable[[list[int]], Awaitable[None]]
_NEWER = select(ChatLog.id).where(ChatLog.id > bindparam("last")).order_by(ChatLog.id).limit(500)


def payloads(ids: Sequence[int]) -> list[str]:
    """The NOTIFY payloads that announce these chat row ids (comma-separated, each small enough)."""
    return [",".join(map(str, ids[i : i + IDS_PER_NOTIFY])) for i in range(0, len(ids), IDS_PER_NOTIFY)]


async def announce(session: AsyncSession, ids: Sequence[int]) -> None:
    """In the transaction that wrote chat rows, just before it commits: PostgreSQL delivers the
    notifications when it does (and never, if it rolls back). SQLite pages poll instead."""
    if ids and is_postgresql(session):
        for payload in payloads(ids):
            await session.execute(NOTIFY, {"ids": payload})


class ChatFeed:
    """``await feed.run(arrived, ready)`` calls ``arrived(ids)`` with the ids of chat rows as they
    commit, from this process or any other (a caller skips what it has shown already), until
    cancelled. ``ready`` is set while every row committed from then on is sure to be handed on."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def run(self, arrived: Arrived, ready: asyncio.Event) -> None:
        async with self.sessions() as session:
            bind = session.get_bind()
            if bind.dialect.name == "postgresql":
                schema = (await session.execute(select(func.current_schema()))).scalar()
                dsn = bind.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            else:
                last = (await session.execute(select(func.max(ChatLog.id)))).scalar() or 0
        if bind.dialect.name == "postgresql":
            await _listen(dsn, f"{CHANNEL_PREFIX}{schema}", arrived, ready)
        else:
            await self._poll(last, arrived, ready)

    async def _poll(self, last: int, arrived: Arrived, ready: asyncio.Event) -> None:
        ready.set()
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                async with self.sessions() as session:
                    ids = list((await session.execute(_NEWER, {"last": last})).scalars())
            except Exception:
                log.warning("chat feed: could not look for new rows; trying again", exc_info=True)
                continue
            if ids:
                last = ids[-1]
                await _hand_on(arrived, ids)


async def _listen(dsn: str, channel: str, arrived: Arrived, ready: asyncio.Event) -> None:
    import asyncpg  # type: ignore[import-untyped]  # PostgreSQL only: a SQLite process never loads it

    while True:
        try:
            await _listen_once(dsn, channel, arrived, ready)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("chat feed: listening on %s failed (%s)", channel, exc)
        ready.clear()  # what commits until listening again reaches pages only when reloaded
        await asyncio.sleep(RETRY_SECONDS)


async def _listen_once(dsn: str, channel: str, arrived: Arrived, ready: asyncio.Event) -> None:
    """Until the connection goes (None in the queue): each notification's ids, in arrival order."""
    import asyncpg

    queue: asyncio.Queue[list[int] | None] = asyncio.Queue()
    conn = await asyncpg.connect(dsn)
    try:
        conn.add_termination_listener(lambda _conn: queue.put_nowait(None))
        await conn.add_listener(channel, lambda _c, _pid, _ch, payload: queue.put_nowait(_ids(payload)))
        ready.set()
        while (ids := await queue.get()) is not None:
            await _hand_on(arrived, ids)
    finally:
        with contextlib.suppress(Exception):
            await conn.close(timeout=5)


async def _hand_on(arrived: Arrived, ids: list[int]) -> None:
    """A failure to show some rows (the database busy, say) is logged; the feed goes on."""
    try:
        await arrived(ids)
    except Exception:
        log.warning("chat feed: rows %s not shown", ids, exc_info=True)


def _ids(payload: str) -> list[int]:
    return [int(part) for part in payload.split(",") if part.isdigit()]
