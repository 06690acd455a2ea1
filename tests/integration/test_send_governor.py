"""The send governor: one WeChat account never goes past its limits — messages a minute (the parts
of a split message each count), one a second per chat, a gap between any two — whichever bot
process sends for it, counted from what was stored as sent. On SQLite and PostgreSQL, two senders
(as two processes) sharing one account, the wall clock replaced by one that their waits move."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import pytest
from sqlalchemy import select

from bot.outbox import OutboxSender, RateLimit
from handlers.clock import ForwardClock
from handlers.messages import OutgoingMessage
from storage.domain import Priority
from storage.models import SendRecord
from storage.send_budget import SendLimits
from storage.uow import UnitOfWorkFactory
from tests.support.fakes import RecordingGateway

START = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
LIMITS = SendLimits(per_minute=40, per_chat_per_second=1, min_gap_seconds=0.5)


class SplittingGateway(RecordingGateway):
    """WeChat splits a long message: three parts for one marked long here."""

    def parts(self, message: OutgoingMessage) -> int:
        return 3 if message.text.startswith("long") else 1


async def _queue(uow: UnitOfWorkFactory, texts: list[tuple[str, str]]) -> None:
    async with uow() as u:
        for room, text in texts:
            u.outbox.add(text=text, room_id=room, to_id=None, mentions=(), at=START, priority=Priority.ANSWER)
        await u.commit()


class Sent(NamedTuple):
    at: datetime
    chat: str
    parts: int


async def _drain(uow: UnitOfWorkFactory, gateway: RecordingGateway, senders: int = 2) -> list[Sent]:
    clock = ForwardClock(START)

    async def sleep(seconds: float) -> None:  # waiting is the only thing that moves time
        clock.advance(timedelta(seconds=seconds))
        await asyncio.sleep(0)

    rate = RateLimit(per_minute=10_000, jitter_seconds=(0, 0), account=LIMITS)
    workers = [OutboxSender(uow, gateway, clock, rate, sleep=sleep) for _ in range(senders)]
    for _ in range(400):
        if sum(await asyncio.gather(*(w.deliver_due() for w in workers))) == 0:
            break
    async with uow() as u:
        rows = await u.session.execute(
            select(SendRecord.at, SendRecord.chat, SendRecord.parts).order_by(SendRecord.at)
        )
        return [Sent(*row) for row in rows]


def _most_in_a_window(records: list[Sent], span: timedelta, key: object = None) -> int:
    most = 0
    for i, first in enumerate(records):
        inside = [r for r in records[i:] if r.at - first.at < span and (key is None or r.chat == first.chat)]
        most = max(most, sum(r.parts for r in inside) if key is None else len(inside))
    return most


@pytest.mark.slow
async def test_two_processes_never_take_one_account_past_its_limits(uow: UnitOfWorkFactory) -> None:
    gateway = RecordingGateway()
    await _queue(uow, [(f"room{i % 10}", f"消息 {i}") for i in range(100)])
    records = await _drain(uow, gateway)
    assert len(gateway.sent) == 100 and len(records) == 100  # all went, each once
    assert len({m.key for m in gateway.sent}) == 100
    assert _most_in_a_window(records, timedelta(minutes=1)) <= 40
    assert _most_in_a_window(records, timedelta(seconds=1), key="chat") <= 1
    gaps = [(b.at - a.at).total_seconds() for a, b in itertools.pairwise(records)]
    assert min(gaps) >= 0.5
    assert (records[-1].at - records[0].at) >= timedelta(minutes=2)  # 100 at 40 a minute


async def test_a_split_message_counts_each_part(uow: UnitOfWorkFactory) -> None:
    gateway = SplittingGateway()
    await _queue(uow, [(f"room{i}", ("long " if i % 2 else "") + f"消息 {i}") for i in range(30)])
    records = await _drain(uow, gateway, senders=1)
    assert len(gateway.sent) == 30 and sum(r.parts for r in records) == 15 * 3 + 15
    assert _most_in_a_window(records, timedelta(minutes=1)) <= 40


async def test_answers_always_find_room_in_the_minute_however_much_else_waits(uow: UnitOfWorkFactory) -> None:
    """Pushes, digests and reminders may use only their share of the minute (20, 20, 30 of 40):
    an answer that arrives once they have used it goes out at once, not a minute later."""
    async with uow() as u:
        for i in range(60):
            u.outbox.add(text=f"推送 {i}", room_id=f"room{i % 20}", to_id=None, mentions=(), at=START,
                         priority=Priority.BROADCAST)  # fmt: skip
        await u.commit()
    start_budget, now = START, START
    async with uow() as u:
        sent = 0
        while (
            await u.send_budget.reserve("default", f"room{sent % 20}", 1, now, LIMITS, Priority.BROADCAST)
            == 0
        ):
            sent, now = sent + 1, now + timedelta(seconds=0.5)
        assert sent == 20  # a broadcast's share: half of 40
        assert await u.send_budget.reserve("default", "quiet-room", 1, now, LIMITS, Priority.ANSWER) == 0
        wait = await u.send_budget.reserve(
            "default", "room7", 1, now + timedelta(seconds=1), LIMITS, Priority.BROADCAST
        )
        assert wait > 45  # the next push waits until the first ones leave the minute
        await u.commit()
    assert start_budget == START
