"""Whether another bot process is alive, as PostgreSQL itself knows it: each process holds a
session advisory lock on its own key, on a connection of its own, for as long as it runs. When a
process dies (kill -9 included) the server drops its connection and the lock with it, at once; a
lock another process can take is the mark of a dead one. The outbox sender records who leased a
row (``outbox.leased_by``), so a dead process's leases are handed back in seconds instead of
waiting out the lease. On SQLite (one process) nothing is held and nobody is ever found dead.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

LOCK_BASE = 0x7A69_0000  # these advisory lock keys: this base plus a hash of the holder


def _key(holder: str) -> int:
    return LOCK_BASE + zlib.crc32(holder.encode()) % 0xFFFF


class Liveness:
    def __init__(self, engine: AsyncEngine, holder: str) -> None:
        self.engine, self.holder = engine, holder
        self._held: AsyncConnection | None = None

    @property
    def watched(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    async def hold(self) -> None:
        """Take this process's lock, on a connection kept open (no transaction) until ``release``."""
        if not self.watched:
            return
        connection = await self.engine.connect()
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _key(self.holder)})
        self._held = connection

    async def release(self) -> None:
        """End the session that holds the lock (not back to the pool, where the lock would stay)."""
        if self._held is not None:
            await self._held.invalidate()
            await self._held.close()
            self._held = None

    async def dead(self, holders: Iterable[str]) -> list[str]:
        """Those of ``holders`` no running process holds (never this process)."""
        found: list[str] = []
        others = [h for h in holders if h and h != self.holder]
        if not self.watched or not others:
            return found
        async with self.engine.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            for holder in others:
                free = await connection.scalar(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": _key(holder)}
                )
                if free:
                    await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _key(holder)})
                    found.append(holder)
        return found
