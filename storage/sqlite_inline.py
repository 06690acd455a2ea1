"""aiosqlite with the short statements run on the event loop; the fsync and long ones in its thread.

aiosqlite hands every call to its worker thread and waits for the answer: a round trip that costs
far more than the statement (three of them per statement: cursor, execute, fetch), while the
statements the bot runs take a few µs in SQLite itself (figures in docs/performance.md). Here a
call runs on the loop directly unless it may wait:

- COMMIT and ROLLBACK of a transaction that wrote (the fsync, a WAL checkpoint), closing, and
  row-by-row fetches go to the thread (with no transaction open they are no-ops, run on the loop);
- a read (SELECT / WITH) gets ``BUDGET_SECONDS`` on the loop: SQLite's progress handler stops it when
  the budget is spent (a stopped read changes nothing, even inside a transaction) and it runs again,
  whole, in the thread — a report over a million tickets never holds the loop;
- on the loop SQLite never waits for a lock (busy timeout 0): a statement that meets another
  process's lock runs again in the thread, which waits up to ``BUSY_TIMEOUT_MS`` as before.

Writes run on the loop to the end: the bot's are a few rows each (migrations and bulk imports at
start are the long ones, when nothing else is waiting).
"""

from __future__ import annotations

import functools
import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

BUDGET_SECONDS = 0.02  # a read longer than this on the loop is moved to the thread
CHECK_EVERY = 1000  # SQLite VM instructions between looks at the clock
BUSY_TIMEOUT_MS = 30_000  # in the thread: how long a statement waits for another process's lock
IN_THREAD = frozenset({"commit", "rollback", "fetchone", "fetchmany", "backup", "iterdump"})
READS = ("SELECT", "WITH")
WRITE_WORDS = ("INSERT", "UPDATE", "DELETE", "REPLACE")


async def connect(database: str | Path, **kwargs: Any) -> InlineConnection:
    """Like ``aiosqlite.connect`` (``kwargs`` go to ``sqlite3.connect``), for SQLAlchemy's
    ``async_creator``."""
    location = str(database)
    kwargs["check_same_thread"] = False  # the loop and the worker thread take turns, never at once
    connection = InlineConnection(lambda: sqlite3.connect(location, **kwargs), 64)
    connection._thread.daemon = True
    await connection
    return connection


class InlineConnection(aiosqlite.Connection):
    def __init__(self, connector: Callable[[], sqlite3.Connection], iter_chunk_size: int) -> None:
        super().__init__(connector, iter_chunk_size)
        self._deadline: float | None = None
        self._stopped_by_budget = False
        self._last: tuple[Any, tuple[Any, ...]] | None = None  # (cursor, execute's arguments)

    async def _connect(self) -> InlineConnection:
        await super()._connect()
        await super()._execute(self._prepare)
        return self

    def _prepare(self) -> None:
        self._conn.set_progress_handler(self._progress, CHECK_EVERY)
        self._conn.execute("PRAGMA busy_timeout = 0")

    def _progress(self) -> int:
        """SQLite asks every ``CHECK_EVERY`` instructions: non-zero stops the statement."""
        if self._deadline is not None and time.monotonic() > self._deadline:
            self._stopped_by_budget = True
            return 1
        return 0

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        name = getattr(fn, "__name__", "")
        closing = name == "close" and isinstance(getattr(fn, "__self__", None), sqlite3.Connection)
        if closing or not self._running or self._connection is None:
            return await super()._execute(fn, *args, **kwargs)
        if name in IN_THREAD and not self._nothing_to_end(name):
            return await self._in_thread(fn, *args, **kwargs)
        try:
            return self._on_loop(fn, name, args, kwargs)
        except sqlite3.OperationalError as exc:
            if not (self._stopped_by_budget or _busy(exc)):
                raise
            log.debug("sqlite: %s moved to the thread (%s)", name, exc)
        return await self._in_thread(self._again(fn, name, args, kwargs))

    def _nothing_to_end(self, name: str) -> bool:
        """COMMIT or ROLLBACK with no transaction open — a unit of work that only read (sqlite3
        begins one at the first write), or the pool's reset after a commit — is a no-op in sqlite3:
        no round trip to the thread for it."""
        return name in ("commit", "rollback") and not self._conn.in_transaction

    def _on_loop(
        self, fn: Callable[..., Any], name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        if name in ("execute", "executemany"):
            self._last = (getattr(fn, "__self__", None), args)
        self._stopped_by_budget = False
        self._deadline = time.monotonic() + BUDGET_SECONDS if self._reading(fn, name, args) else None
        try:
            return fn(*args, **kwargs)
        finally:
            self._deadline = None

    def _reading(self, fn: Callable[..., Any], name: str, args: tuple[Any, ...]) -> bool:
        """A statement that only reads: execute of SELECT/WITH, or fetching all of the one this
        cursor just executed (which ``_again`` can run again)."""
        if name == "fetchall" and self._last is not None and self._last[0] is getattr(fn, "__self__", None):
            args = self._last[1]
        elif name != "execute":
            return False
        return bool(args) and isinstance(args[0], str) and _only_reads(args[0])

    def _again(
        self, fn: Callable[..., Any], name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Callable[[], Any]:
        """What the thread runs instead: the same call; for a fetch, the statement again from the start."""
        last = self._last
        if name == "fetchall" and last is not None and last[0] is getattr(fn, "__self__", None):
            cursor, executed = last
            return lambda: cursor.execute(*executed).fetchall()
        return lambda: fn(*args, **kwargs)

    async def _in_thread(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """In aiosqlite's thread, waiting for other processes' locks as long as a statement may."""

        def waiting_for_locks() -> Any:
            self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            try:
                return fn(*args, **kwargs)
            finally:
                self._conn.execute("PRAGMA busy_timeout = 0")

        return await super()._execute(waiting_for_locks)


@functools.lru_cache(maxsize=4096)  # the statements come from SQLAlchemy's compiled cache: a few hundred
def _only_reads(sql: str) -> bool:
    text = sql.lstrip().upper()
    return text.startswith(READS) and not any(word in text for word in WRITE_WORDS)


def _busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    return code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
