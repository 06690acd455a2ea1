"""Things that must not break (docs/architecture.md, "The message path"): redelivery, crash between commit and send, failing
handlers, a gateway that is down, and the migrations themselves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select

from bot.outbox import OutboxSender, RateLimit
from handlers.clock import ForwardClock
from handlers.commands.table import command_table
from handlers.context import Services
from handlers.dispatcher import Dispatcher
from handlers.messages import IncomingMessage, OutgoingMessage
from handlers.roster.model import Roster
from handlers.verdict import Verdict
from storage.db import create_engine, downgrade, migrate, session_factory
from storage.domain import NOT_APPEAL
from storage.models import OutboxMessage
from storage.uow import UnitOfWorkFactory
from tests.support.chat import ROOM, Chat
from tests.support.fakes import RecordingGateway

OUTAGE = "园区这周第三次停电了，生产线停了半天，损失很大"


def message(text: str, by: str, mid: str, clock: ForwardClock) -> IncomingMessage:
    return IncomingMessage(
        message_id=mid, room_id=ROOM, sender_id=by, text=text, at=clock.now(), gateway="fake"
    )


async def pending(uow: UnitOfWorkFactory) -> list[OutboxMessage]:
    async with uow() as u:
        waiting = select(OutboxMessage).where(
            OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None)
        )
        rows = list((await u.session.execute(waiting)).scalars())
        u.session.expunge_all()  # keep the loaded values readable after the unit of work ends
        return rows


async def test_crash_between_commit_and_send(
    uow: UnitOfWorkFactory, services: Services, clock: ForwardClock
) -> None:
    """The process dies after committing the ticket and before sending: a new process sends it once."""
    dying_gateway = RecordingGateway()
    dispatcher = Dispatcher(uow, services, clock, command_table())  # no sender ever runs in this "process"
    await dispatcher.handle(message(OUTAGE, "e_huake_liu", "wx-1", clock))
    assert dying_gateway.sent == []
    assert len(await pending(uow)) == 1

    restarted = RecordingGateway()
    sender = OutboxSender(uow, restarted, clock, RateLimit(0, (0, 0)))
    assert await sender.deliver_due() == 1
    assert await sender.deliver_due() == 0
    assert [m.text.split("\n")[0] for m in restarted.sent] == ["【紧急】已受理 #1【水电气暖】"]
    # The gateway redelivers the message after the restart: nothing happens twice.
    await Dispatcher(uow, services, clock, command_table()).handle(
        message(OUTAGE, "e_huake_liu", "wx-1", clock)
    )
    assert await sender.deliver_due() == 0 and len(restarted.sent) == 1


async def test_gateway_down_keeps_and_retries(chat: Chat, uow: UnitOfWorkFactory) -> None:
    chat.gateway.up = False
    await chat.say(OUTAGE, by="e_huake_liu")
    assert chat.silent() and len(await pending(uow)) == 1
    row = (await pending(uow))[0]
    assert row.attempts == 1 and row.last_error == "fake gateway is down"
    chat.gateway.up = True
    assert await chat.sender.deliver_due() == 0  # backing off: not due yet
    chat.clock.set(chat.clock.now() + (row.not_before - chat.clock.now()))
    assert await chat.sender.deliver_due() == 1
    assert await pending(uow) == [] and len(chat.gateway.sent) == 1


class ExplodingClassifier:
    def classify(self, text: str) -> Verdict:
        if "boom" in text:
            raise RuntimeError("model exploded")
        return Verdict(False, NOT_APPEAL, 0.9)

    def learn(self, text: str, category: str) -> None:
        pass


async def test_failing_handler_apologizes_and_the_bot_goes_on(
    uow: UnitOfWorkFactory, roster: Roster, clock: ForwardClock, caplog: pytest.LogCaptureFixture
) -> None:
    gateway = RecordingGateway()
    sender = OutboxSender(uow, gateway, clock, RateLimit(0, (0, 0)))
    dispatcher = Dispatcher(uow, Services(roster, ExplodingClassifier()), clock, command_table())
    await dispatcher.handle(message("boom 我们厂的问题", "e_huake_liu", "wx-1", clock))
    await sender.deliver_due()
    assert gateway.texts() == ["抱歉，小助手刚才处理出错了，已记录。请稍后重发，或联系营商办。"]
    assert "model exploded" in caplog.text
    async with uow() as u:
        assert await u.tickets.count_by_status() == {}  # the failed message changed nothing
    await dispatcher.handle(
        message("boom again", "e_huake_liu", "wx-1", clock)
    )  # redelivered: once is enough
    await dispatcher.handle(message("帮助", "e_huake_liu", "wx-2", clock))
    await sender.deliver_due()
    # The bot goes on: 帮助 is answered (a short line in the group, the whole list privately).
    assert [m.text[:9] for m in gateway.sent[1:]] == ["小助手常用命令（企", "小助手命令（企业）"]


async def test_sender_survives_a_crashing_gateway(chat: Chat, uow: UnitOfWorkFactory) -> None:
    class Broken(RecordingGateway):
        async def send(self, message: object) -> None:
            raise ConnectionResetError("socket closed")

    sender = OutboxSender(uow, Broken(), chat.clock, RateLimit(0, (0, 0)))
    await chat.dispatcher.handle(message(OUTAGE, "e_huake_liu", "wx-9", chat.clock))
    assert await sender.deliver_due() == 0
    assert (await pending(uow))[0].last_error == "socket closed"


async def test_migrations_up_down_up(empty_db_url: str) -> None:
    """The stairway: every migration applies, reverts and applies again."""
    engine = create_engine(empty_db_url)
    await migrate(engine)
    await downgrade(engine, "base")
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
    assert set(tables) <= {"alembic_version"}
    await migrate(engine)
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
    assert {"issues", "issue_events", "outbox", "inbox", "chat_log", "counters"} <= set(tables)
    await engine.dispose()


async def test_the_migrations_build_what_the_models_describe(empty_db_url: str) -> None:
    """Every table, column and index the models declare, the migrations create, and nothing else:
    an index added or dropped on one side only would show here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.models import Base

    engine = create_engine(empty_db_url)
    await migrate(engine)
    async with engine.connect() as conn:
        drift = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata))
    await engine.dispose()
    assert drift == []


async def test_two_dispatchers_never_share_a_ticket_number(
    db_url: str, services: Services, clock: ForwardClock
) -> None:
    import asyncio

    engine = create_engine(db_url)
    await migrate(engine)
    uow = UnitOfWorkFactory(session_factory(engine))
    first, second = (
        Dispatcher(uow, services, clock, command_table()),
        Dispatcher(uow, services, clock, command_table()),
    )
    await asyncio.gather(
        *[
            (first if i % 2 else second).handle(
                message(f"诉求 第{i}家企业园区停电", f"wx_{i}", f"m{i}", clock)
            )
            for i in range(10)
        ]
    )
    async with uow() as u:
        numbers = sorted(i.no for i in await u.tickets.find())
    assert numbers == list(range(1, 11))
    await engine.dispose()


def test_database_file_location_is_created(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'deep' / 'dir' / 'z.db'}")
    assert (tmp_path / "deep" / "dir").is_dir()
    assert engine.url.drivername == "sqlite+aiosqlite"


async def test_permanent_errors_are_given_up_and_others_go_on(chat: Chat, uow: UnitOfWorkFactory) -> None:
    class UnknownRoom(RecordingGateway):
        async def send(self, message: object) -> None:
            raise LookupError("no WeChat group matches configured room")

    sender = OutboxSender(uow, UnknownRoom(), chat.clock, RateLimit(0, (0, 0)))
    await chat.dispatcher.handle(message(OUTAGE, "e_huake_liu", "wx-1", chat.clock))
    await chat.dispatcher.handle(message("帮助", "e_huake_liu", "wx-2", chat.clock))
    await sender.deliver_due()
    assert await pending(uow) == []  # neither is retried forever
    async with uow() as u:
        rows = list((await u.session.execute(select(OutboxMessage))).scalars())
        assert all(r.failed_at is not None and r.last_error and "LookupError" in r.last_error for r in rows)


async def test_reconnect_sends_held_replies_at_once(chat: Chat, uow: UnitOfWorkFactory) -> None:
    chat.gateway.up = False
    await chat.say(OUTAGE, by="e_huake_liu")
    await chat.sender.deliver_due()
    chat.gateway.up = True
    assert await chat.sender.deliver_due() == 0  # still backing off
    chat.sender.retry_soon()  # what a gateway calls when it is connected again
    assert await chat.sender.deliver_due() == 1
    assert len(chat.gateway.sent) == 1


async def test_a_long_message_is_classified_off_the_event_loop(
    uow: UnitOfWorkFactory, services: Services, clock: ForwardClock
) -> None:
    import threading

    threads: list[str] = []
    classify = services.classifier.classify

    def recording(text: str) -> Any:
        threads.append(threading.current_thread().name)
        return classify(text)

    services.classifier.classify = recording  # type: ignore[method-assign]
    dispatcher = Dispatcher(uow, services, clock, command_table())
    await dispatcher.handle(message("园区停电了。" * 100, "e_huake_liu", "long-1", clock))
    await dispatcher.handle(message("园区停电了，生产线停了", "e_fucheng_jiang", "short-1", clock))
    assert threads[0] != threading.main_thread().name  # 600 characters: a worker thread
    assert threads[1] == threading.main_thread().name  # a chat line: inline, no thread hop


@pytest.mark.postgres
async def test_two_processes_starting_together_migrate_once(empty_pg_url: str) -> None:
    import asyncio

    first, second = create_engine(empty_pg_url), create_engine(empty_pg_url)
    try:
        await asyncio.gather(migrate(first), migrate(second))  # neither trips over the other's tables
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_batch_with_one_bad_message_keeps_the_good_ones(
    uow: UnitOfWorkFactory, roster: Roster, clock: ForwardClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Messages processed together share one commit; one that fails splits the batch, so the others
    are processed on their own and the bad one is apologised for."""
    gateway = RecordingGateway()
    sender = OutboxSender(uow, gateway, clock, RateLimit(0, (0, 0)))
    dispatcher = Dispatcher(uow, Services(roster, ExplodingClassifier()), clock, command_table())
    said = [("帮助", "e_huake_liu"), ("boom 厂里出事了", "e_fucheng_jiang"), ("我的", "e_anzhou_luo")]
    ids = [await dispatcher.accept(message(t, by, f"wx-{i}", clock)) for i, (t, by) in enumerate(said)]
    assert all(ids)
    await dispatcher.process_many([i for i in ids if i is not None])
    await sender.deliver_due()
    texts = gateway.texts()
    assert "抱歉，小助手刚才处理出错了，已记录。请稍后重发，或联系营商办。" in texts
    assert any(t.startswith("小助手常用命令（企") for t in texts)  # 帮助, before the bad one
    assert "您还没有提过诉求。直接在群里说明问题即可。" in texts  # 我的, after it
    async with uow() as u:
        assert await u.inbox.processed_among([i for i in ids if i is not None]) == ids
    await dispatcher.process_many([i for i in ids if i is not None])  # again: nothing happens twice
    await sender.deliver_due()
    assert gateway.texts() == texts


async def test_callers_of_deliver_due_share_one_round(chat: Chat, uow: UnitOfWorkFactory) -> None:
    import asyncio

    for i in range(5):
        await chat.dispatcher.handle(message("帮助", "e_huake_liu", f"h-{i}", chat.clock))
    rounds = 0
    lease = chat.sender._lease

    async def counted() -> list[OutboxMessage]:
        nonlocal rounds
        rounds += 1
        return await lease()

    chat.sender._lease = counted  # type: ignore[method-assign]
    sent = await asyncio.gather(*(chat.sender.deliver_due() for _ in range(20)))
    assert sum(sent) == 10 and len(chat.gateway.sent) == 10  # five short helps and five private menus
    assert (
        rounds <= 4
    )  # the first round and one more for all who asked meanwhile (each ends on an empty lease)


@pytest.mark.postgres
async def test_a_database_call_never_waits_forever(pg_url: str, roster: Roster, clock: ForwardClock) -> None:
    """A lock another client never releases, or a statement cancelled half-way, ends in an error
    after the command timeout; the next unit of work gets a working connection and loses nothing."""
    import asyncio

    import asyncpg

    engine = create_engine(pg_url, command_timeout=0.5)
    await migrate(engine)
    uow = UnitOfWorkFactory(session_factory(engine))
    dispatcher = Dispatcher(uow, Services(roster, ExplodingClassifier()), clock, command_table())
    holder = await asyncpg.connect(pg_url)  # e.g. a client that went away mid-transaction
    try:
        await holder.execute("BEGIN; LOCK TABLE inbox IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(TimeoutError):
            await dispatcher.accept(message("帮助", "e_huake_liu", "wx-1", clock))
        waiting = asyncio.create_task(dispatcher.accept(message("帮助", "e_huake_liu", "wx-2", clock)))
        await asyncio.sleep(0.1)
        waiting.cancel()  # cancelled while the server still works on it
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await holder.execute("ROLLBACK")
        stored = [
            await dispatcher.accept(message("帮助", "e_huake_liu", f"wx-{i}", clock)) for i in (1, 2, 3)
        ]
        assert all(stored) and len(set(stored)) == 3  # nothing of the failed attempts was kept
    finally:
        await holder.close()
        await engine.dispose()


async def test_the_simulator_gets_replies_in_the_transaction_that_handles_the_message(
    uow: UnitOfWorkFactory, services: Services, roster: Roster, clock: ForwardClock
) -> None:
    """With a gateway that keeps what it is sent in this database, a message's replies are in the
    group once it counts as processed: none wait in the outbox (their rows are written sent), and
    the sender is not woken for them. A paced gateway (WeChat) leaves them to the outbox."""
    from bot.gateways.simulator import SimulatorGateway
    from storage.models import ChatLog

    simulator = SimulatorGateway(uow, roster, clock)
    woken: list[int] = []
    dispatcher = Dispatcher(uow, services, clock, command_table(), on_commit=lambda: woken.append(1))
    dispatcher.deliver = OutboxSender(uow, simulator, clock, RateLimit(0, (0, 0))).stores_directly()
    assert OutboxSender(uow, simulator, clock, RateLimit(20, (0, 0))).stores_directly() is None
    replies = await dispatcher.handle(message(OUTAGE, "e_huake_liu", "wx-1", clock))
    assert await pending(uow) == [] and woken == []
    async with uow() as u:
        said = list(
            (
                await u.session.execute(select(ChatLog.text).where(ChatLog.sender_id == roster.bot_id))
            ).scalars()
        )
        sent = list(
            (
                await u.session.execute(select(OutboxMessage.text).where(OutboxMessage.sent_at.is_not(None)))
            ).scalars()
        )
    assert said == sent == [r.text for r in replies] and said[0].startswith("【紧急】已受理 #1")


async def test_the_simulator_stores_and_marks_sent_in_one_transaction(
    uow: UnitOfWorkFactory, services: Services, roster: Roster, clock: ForwardClock
) -> None:
    """The simulator keeps what the bot says in the same database: a batch of replies is stored in
    the group and marked sent together (exactly once); a reply already in the group from before a
    restart (its key stored) is not stored again, and the rest still go out."""
    from bot.gateways.simulator import SimulatorGateway
    from storage.models import ChatLog

    simulator = SimulatorGateway(uow, roster, clock)
    dispatcher = Dispatcher(uow, services, clock, command_table())
    for i, by in enumerate(["e_huake_liu", "e_fucheng_jiang", "e_anzhou_luo"]):
        await dispatcher.handle(message(f"{OUTAGE}（{i}）", by, f"wx-{i}", clock))
    waiting = await pending(uow)
    assert len(waiting) >= 3
    # One of them reached the group before a crash that kept it from being marked sent.
    await simulator.send(
        OutgoingMessage(text=waiting[1].text, room_id=waiting[1].room_id, key=f"outbox-{waiting[1].id}")
    )
    sender = OutboxSender(uow, simulator, clock, RateLimit(0, (0, 0)))
    assert await sender.deliver_due() == len(waiting)
    assert await pending(uow) == []
    async with uow() as u:
        keys = list((await u.session.execute(select(ChatLog.client_msg_id))).scalars())
    assert sorted(keys) == sorted(f"outbox-{row.id}" for row in waiting)  # each once
    await dispatcher.handle(message("帮助", "e_youxian_ma", "wx-help", clock))
    assert await sender.deliver_due() == 2 and await pending(uow) == []  # stored together again
