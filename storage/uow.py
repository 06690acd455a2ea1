"""Unit of work: one transaction that rolls back unless the caller commits."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.accounts import Accounts
from storage.db import open_database, session_factory
from storage.inbox import InboxRepository
from storage.ledger import Ledger
from storage.marks import JobRepository
from storage.notices import NoticeRepository, PolicyRecords
from storage.repo import Repository
from storage.reports import Reports
from storage.roster import RosterRepository

log = logging.getLogger(__name__)
T = TypeVar("T")


class UnitOfWork:
    """``async with uow_factory() as uow: ...; await uow.commit()`` — anything else rolls back."""

    session: AsyncSession
    repo: Repository
    jobs: JobRepository
    inbox: InboxRepository
    reports: Reports
    ledger: Ledger
    accounts: Accounts
    roster: RosterRepository
    notices: NoticeRepository
    policy_records: PolicyRecords

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions()
        self.repo = Repository(self.session)
        self.jobs = JobRepository(self.session)
        self.inbox = InboxRepository(self.session)
        self.reports = Reports(self.session)
        self.ledger = Ledger(self.session)
        self.accounts = Accounts(self.session)
        self.roster = RosterRepository(self.session)
        self.notices = NoticeRepository(self.session)
        self.policy_records = PolicyRecords(self.session)
        self._committed = False
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()
        self._committed = True  # nothing left to roll back: closing is enough


class UnitOfWorkFactory:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)


@asynccontextmanager
async def opened(url: str) -> AsyncIterator[UnitOfWorkFactory]:
    """Units of work on the database at ``url`` (migrated first; ``DatabaseUnavailable`` when it is
    not there) for one command-line task; the engine is closed afterwards."""
    engine = await open_database(url)
    try:
        yield UnitOfWorkFactory(session_factory(engine))
    finally:
        await engine.dispose()


Step = Callable[[UnitOfWork, Any], Any]


class GroupCommit:
    """Units of work that arrive together share one transaction (one commit, one fsync).

    A unit is a few *steps*: plain functions that stage rows (``session.add``) and return what the
    next step needs. ``await group.run(first, second)`` runs ``first(uow, None)`` for every unit of
    the transaction, flushes once (one multi-row INSERT per table), then ``second(uow, result)`` for
    every unit, flushes, and so on; it returns the last step's result once the transaction has
    committed. While one transaction commits, new arrivals queue; the next one takes all of them.
    If a shared transaction fails, each of its units runs again on its own, so a failure (a unique
    key, say) belongs to the one unit that caused it.
    """

    def __init__(self, uow: Callable[[], UnitOfWork], most: int = 64) -> None:
        self.uow, self.most = uow, most
        self._queue: list[tuple[tuple[Step, ...], asyncio.Future[Any]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def run(self, *steps: Step) -> Any:
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((steps, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        return await asyncio.shield(done)

    async def _write(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self.most], self._queue[self.most :]
            try:
                async with self.uow() as uow:
                    results = await _staged(uow, [steps for steps, _ in batch])
                    await uow.commit()
            except Exception:
                await self._one_by_one(batch)
                continue
            for (_, done), result in zip(batch, results, strict=True):
                done.set_result(result)

    async def _one_by_one(self, batch: list[tuple[tuple[Step, ...], asyncio.Future[Any]]]) -> None:
        for steps, done in batch:
            try:
                async with self.uow() as uow:
                    (result,) = await _staged(uow, [steps])
                    await uow.commit()
            except Exception as exc:
                done.set_exception(exc)
            else:
                done.set_result(result)


async def _staged(uow: UnitOfWork, units: list[tuple[Step, ...]]) -> list[Any]:
    """Step k of every unit, then one flush, for each k in turn."""
    results: list[Any] = [None] * len(units)
    for k in range(max(len(steps) for steps in units)):
        results = [steps[k](uow, r) if k < len(steps) else r for steps, r in zip(units, results, strict=True)]
        await uow.session.flush()
    return results


async def first_wins(work: Awaitable[T], otherwise: T, what: str) -> T:
    """Run a unit of work that another bot process may be doing at the same moment.

    Unique keys (the inbound message id, ReminderMark, JobMark) let only one process commit; the
    other's conflict surfaces as an IntegrityError at a flush or at the commit, its unit of work
    rolls back everything, outbox included, and it answers ``otherwise``.
    """
    try:
        return await work
    except IntegrityError:
        log.info("%s: another process got there first", what)
        return otherwise
