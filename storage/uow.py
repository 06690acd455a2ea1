"""Unit of work: one transaction that rolls back unless the caller commits."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from types import TracebackType
from typing import TypeVar

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
