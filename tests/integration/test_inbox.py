"""The inbox loop with two bot processes on one PostgreSQL database (and one on SQLite): each
process handles what it stored, a waiting sender is answered only once its message is processed,
and what a stopped process left behind is swept up by the other."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from bot.inbox_processor import InboxProcessor
from handlers.clock import ForwardClock
from handlers.commands.table import command_table
from handlers.context import Services
from handlers.dispatcher import Dispatcher
from handlers.messages import IncomingMessage
from storage.db import create_engine, migrate, session_factory
from storage.models import OutboxMessage
from storage.uow import UnitOfWorkFactory
from tests.support.chat import ROOM

pytestmark = pytest.mark.postgres


def said(i: int, clock: ForwardClock, text: str = "帮助") -> IncomingMessage:
    return IncomingMessage(f"wx-{i}", ROOM, "e_huake_liu", text, clock.now(), gateway="fake")


@asynccontextmanager
async def process(url: str, services: Services, clock: ForwardClock) -> AsyncIterator[InboxProcessor]:
    """One bot process's inbox loop: its own engine (connection pool) and dispatcher."""
    engine = create_engine(url)
    await migrate(engine)
    dispatcher = Dispatcher(UnitOfWorkFactory(session_factory(engine)), services, clock, command_table())
    try:
        yield InboxProcessor(dispatcher)
    finally:
        await engine.dispose()


async def answers_in_group(processor: InboxProcessor) -> list[str]:
    """The bot's replies in the group (帮助 answers there once, and in full privately)."""
    async with processor.dispatcher.uow() as uow:
        rows = (await uow.session.execute(OutboxMessage.__table__.select())).all()
    return [r.text for r in rows if r.room_id == ROOM]


async def test_each_process_handles_its_own_and_every_message_once(
    pg_url: str, services: Services, clock: ForwardClock
) -> None:
    async with process(pg_url, services, clock) as a, process(pg_url, services, clock) as b:
        loops = [asyncio.create_task(p.run()) for p in (a, b)]
        await asyncio.gather(*(p.receive(said(i, clock)) for i, p in ((i, (a, b)[i % 2]) for i in range(40))))
        for _ in range(500):
            async with a.dispatcher.uow() as uow:
                if not await uow.inbox.pending():
                    break
            await asyncio.sleep(0.01)
        for p in (a, b):
            p.stop()
        await asyncio.gather(*loops)
        async with a.dispatcher.uow() as uow:
            assert await uow.inbox.pending() == []
        assert len(await answers_in_group(a)) == 40  # one 帮助 reply per message: none lost, none twice


async def test_a_waiting_sender_is_answered_only_once_its_message_is_processed(
    pg_url: str, services: Services, clock: ForwardClock
) -> None:
    """Another process has the row in hand (locked, not committed): the sender keeps waiting, and
    is answered once that process has committed."""
    async with process(pg_url, services, clock) as a, process(pg_url, services, clock) as b:
        inbox_id = await a.dispatcher.accept(said(1, clock))
        assert inbox_id is not None
        async with b.dispatcher.uow() as other:
            assert [r.id for r in await other.inbox.take_many([inbox_id], clock.now())] == [inbox_id]
            waiting = asyncio.create_task(a.stored(inbox_id))
            await a.drain()  # its own row is locked elsewhere: skipped, not answered
            assert not waiting.done()
            await other.commit()
        await a.drain()
        await asyncio.wait_for(waiting, 5)


async def test_what_a_stopped_process_stored_is_swept_up(
    pg_url: str, services: Services, clock: ForwardClock
) -> None:
    async with process(pg_url, services, clock) as a, process(pg_url, services, clock) as b:
        await a.receive(said(1, clock))  # stored by a, which stops before processing it
        assert await b.drain() == 1  # b's first round sweeps every pending row
        async with b.dispatcher.uow() as uow:
            assert await uow.inbox.pending() == []
        await b.receive(said(2, clock))
        assert await b.drain() == 1  # later rounds: its own rows; the next sweep is not yet due
