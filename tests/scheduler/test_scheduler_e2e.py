"""The real APScheduler and outbox sender on an accelerated clock, through one ticket's whole life.

One real second is a day of bot time; the test waits for what the group would see
(never for a fixed time) and reacts like people would: the department claims when reminded,
resolves when chased, the enterprise never rates, and 回头看 comes after closing.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.config import Config
from bot.outbox import OutboxSender, RateLimit
from handlers.commands.table import command_table
from handlers.dispatcher import Dispatcher
from handlers.messages import IncomingMessage
from handlers.roster.model import Roster
from scheduler.deps import Deps
from scheduler.tick import build_scheduler
from storage.db import COMMAND_TIMEOUT_SECONDS
from storage.models import OutboxMessage
from storage.uow import UnitOfWorkFactory
from tests.support import scheduler as s
from tests.support.chat import ROOM
from tests.support.fakes import RecordingGateway

BILL = "这个月电费单价好像算错了，比上月高了不少"  # 水电气暖, not urgent: 2 h to claim, 3 days to resolve
SPEED = 3600 * 24  # one real second = a day of bot time


class AcceleratedClock:
    def __init__(self, start: datetime, speed: float) -> None:
        self.start, self.speed, self.t0 = start, speed, time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self.t0) * self.speed)


@pytest.mark.slow
async def test_a_ticket_lives_its_whole_life_under_the_real_scheduler(
    uow: UnitOfWorkFactory, roster: Roster, example_config: Config
) -> None:
    schedule = replace(
        s.schedule(example_config), unrated_days=1, unrated_grace_days=1, revisit_days=2, events=()
    )
    clock = AcceleratedClock(s.at(2026, 11, 23, 9, 0), SPEED)
    gateway = RecordingGateway()
    sender = OutboxSender(uow, gateway, clock, RateLimit(0, (0, 0)))
    services = s.services(roster, schedule)
    deps = Deps.build(uow, services, clock, schedule, wake=sender.wake)
    dispatcher = Dispatcher(uow, services, clock, command_table(), on_commit=sender.wake)
    scheduler = build_scheduler(example_config, deps, tick_seconds=0.01)
    sender_task = asyncio.create_task(sender.run(idle_seconds=0.01))
    scheduler.start()
    said = 0

    async def say(text: str, by: str) -> None:
        nonlocal said
        said += 1
        await dispatcher.handle(IncomingMessage(f"e2e{said}", ROOM, by, text, clock.now(), gateway="fake"))

    async def heard(prefix: str) -> str:
        while True:
            found = [m.text for m in gateway.sent if prefix in m.text]
            if found:
                return found[0]
            await asyncio.sleep(0.005)

    async def life() -> None:
        await say(BILL, "e_fucheng_jiang")
        assert "已受理 #1" in await heard("已受理 #1")
        await heard("⏰ #1")  # not claimed within 2 working hours
        await say("认领 1", "h_gd_shi")
        await heard("⏳ #1")  # due soon
        await heard("🔴#1 已超期")  # overdue: the department is chased
        await say("办结 1 已核对，按峰谷电价重新计费并退还差额", "h_gd_shi")
        await heard("📝 #1")  # the enterprise never rates
        await heard("🔁 回头看")  # closed as 未评价, then asked whether it came back

    try:
        # About ten seconds; the bound leaves room for one database call that hits its timeout.
        await asyncio.wait_for(life(), timeout=COMMAND_TIMEOUT_SECONDS * 3)
    except TimeoutError:
        pytest.fail(f"the group saw only: {gateway.texts()}")
    finally:
        scheduler.shutdown(wait=False)
        sender.stop()
        await asyncio.wait_for(sender_task, COMMAND_TIMEOUT_SECONDS)

    texts = gateway.texts()
    for prefix in ("⏰ #1", "⏳ #1", "📝 #1", "🔁 回头看"):
        assert sum(prefix in t for t in texts) == 1, (prefix, texts)
    async with uow() as u:
        issue = await u.tickets.by_no(1)
        assert (
            issue is not None
            and issue.status == "closed"
            and issue.outcome == "resolved"
            and issue.rating is None
        )
        rows = (await u.session.execute(select(OutboxMessage))).scalars().all()
        chased = [r.created_at for r in rows if r.text[:1] in ("⏰", "⏳", "🔴", "📝", "🔁")]
    # Not urgent: every reminder went out on a working day, between the morning and quiet hours.
    assert len(chased) == 5 and all(deps.may_send(at) for at in chased)
