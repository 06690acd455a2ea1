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

from storage import chat_feed
from storage.accounts import Accounts
from storage.bindings import BindingRepository
from storage.chat_log import ChatLogRepository
from storage.db import open_database, session_factory
from storage.inbox import InboxRepository
from storage.job_marks import JobMarkRepository
from storage.ledger import Ledger
from storage.notices import NoticeRepository
from storage.outbox import OutboxRepository
from storage.policies import PolicyRepository
from storage.reports import Reports
from storage.responders import ResponderRepository
from storage.roster_imports import RosterImportRepository
from storage.send_budget import SendBudgetRepository
from storage.tickets import TicketRepository

log = logging.getLogger(__name__)
T = TypeVar("T")


class UnitOfWork:
    """``async with uow_factory() as uow: ...; await uow.commit()`` — anything else rolls back."""

    session: AsyncSession
    tickets: TicketRepository  # tickets with their events and 共性问题 terms
    outbox: OutboxRepository
    send_budget: SendBudgetRepository  # what each account sent: the send governor's count
    responders: ResponderRepository  # which bot account answers each chat; moves; accounts' health
    inbox: InboxRepository
    chat_log: ChatLogRepository
    bindings: BindingRepository
    job_marks: JobMarkRepository
    reports: Reports
    ledger: Ledger
    accounts: Accounts
    roster_imports: RosterImportRepository
    notices: NoticeRepository
    policies: PolicyRepository  # who was told of, asked about or applied for a policy

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions()
        self.tickets = TicketRepository(self.session)
        self.outbox = OutboxRepository(self.session)
        self.send_budget = SendBudgetRepository(self.session)
        self.responders = ResponderRepository(self.session)
        self.inbox = InboxRepository(self.session)
        self.chat_log = ChatLogRepository(self.session)
        self.bindings = BindingRepository(self.session)
        self.job_marks = JobMarkRepository(self.session)
        self.reports = Reports(self.session)
        self.ledger = Ledger(self.session)
        self.accounts = Accounts(self.session)
        self.roster_imports = RosterImportRepository(self.session)
        self.notices = NoticeRepository(self.session)
        self.policies = PolicyRepository(self.session)
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
        await chat_feed.announce(self.session, self.chat_log.inserted)
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


Write = Callable[[UnitOfWork, list[Any]], Awaitable[list[Any]]]


class GroupCommit:
    """Units of work that arrive together share one transaction (one commit, one fsync).

    ``await group.run(unit)`` queues ``unit`` (plain data); a writer task calls ``write(uow, units)``
    for everything queued (at most ``most``) in one transaction — one multi-row statement per table
    — and each caller gets its unit's result once that transaction has committed. While one
    transaction commits, new arrivals queue; the next one takes all of them. If a shared
    transaction fails, each of its units is written again on its own, so a failure (a unique key,
    say) belongs to the one unit that caused it.
    """

    def __init__(self, uow: Callable[[], UnitOfWork], write: Write, most: int = 64) -> None:
        self.uow, self.write, self.most = uow, write, most
        self._queue: list[tuple[Any, asyncio.Future[Any]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def run(self, unit: Any) -> Any:
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((unit, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        return await asyncio.shield(done)

    async def _write(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self.most], self._queue[self.most :]
            try:
                results = await self._committed([unit for unit, _ in batch])
            except Exception:
                await self._one_by_one(batch)
                continue
            for (_, done), result in zip(batch, results, strict=True):
                done.set_result(result)

    async def _committed(self, units: list[Any]) -> list[Any]:
        async with self.uow() as uow:
            results = await self.write(uow, units)
            await uow.commit()
        return results

    async def _one_by_one(self, batch: list[tuple[Any, asyncio.Future[Any]]]) -> None:
        for unit, done in batch:
            try:
                (result,) = await self._committed([unit])
            except Exception as exc:
                done.set_exception(exc)
            else:
                done.set_result(result)


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
