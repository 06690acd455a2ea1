"""Several bot accounts in one app, on SQLite and PostgreSQL: every account in a group receives its
messages but the group's one responder answers; an account cut off longer than [failover]
after_seconds hands its groups to another account in them (a reply queued meanwhile goes out through
the new one), and gets them back once it has been well as long; each move is kept and shown.

WeChat is the only fake (a recording gateway per account); the clock is the wall clock plus what
the test moves it on, and the failover check is called as its loop would call it."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.app import create_app
from bot.config import Config, load_config
from bot.web import keys
from handlers.clock import TZ, ForwardClock
from handlers.messages import IncomingMessage
from scheduler.jobs.common import to_groups
from storage.domain import MoveReason, Priority
from storage.models import Issue, OutboxMessage
from storage.uow import UnitOfWorkFactory
from tests.support.fakes import RecordingGateway
from tests.support.waiting import until
from tests.unit.test_responders import BASE, ENV, ROOMS

KAIFENG, LANKAO, MIANYANG = "kaifeng@chatroom", "lankao@chatroom", "mianyang-qiyejia@chatroom"
LIU, JIANG, LUO, LIN = "e_huake_liu", "e_fucheng_jiang", "e_anzhou_luo", "e_jiuzhou_lin"
ACCOUNTS = """
[[accounts]]
name = "one"
endpoint = "127.0.0.1:1"
token_env = "TOKEN_ONE"

[[accounts]]
name = "two"
endpoint = "127.0.0.1:2"
token_env = "TOKEN_TWO"
rooms = ["kaifeng@chatroom", "lankao@chatroom"]
private = false

[failover]
after_seconds = 60
check_seconds = 600   # the test calls the check itself
"""
AFTER = timedelta(seconds=61)


@pytest.fixture
def config(tmp_path: Path, db_url: str, example_config: Config) -> Config:
    text = BASE.replace('gateway = "simulator"', 'gateway = "wechaty"', 1) + ROOMS + ACCOUNTS
    text = text.replace("jitter_max_seconds = 1.5", "jitter_max_seconds = 0").replace(
        "jitter_min_seconds = 0.3", "jitter_min_seconds = 0"
    )
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    loaded = load_config(path, env=ENV)
    return dataclasses.replace(
        loaded,
        database_url=db_url,
        model_dir=example_config.model_dir,
        welcome=False,
        schedule=example_config.schedule,
    )


@pytest.fixture
async def bot(
    config: Config,
) -> AsyncIterator[tuple[TestClient[web.Request, web.Application], dict[str, RecordingGateway]]]:
    gateways = {"one": RecordingGateway(), "two": RecordingGateway()}
    for name, gateway in gateways.items():
        gateway.name = f"wechat-{name}"
    app = create_app(config, gateways=gateways, clock=ForwardClock())
    async with TestClient(TestServer(app)) as client:
        yield client, gateways


async def _say(gateways: list[RecordingGateway], room: str, who: str, text: str, at: datetime) -> None:
    """A member writes in the group: every account in it that is up receives the message."""
    for gateway in gateways:
        if gateway.up:
            assert gateway.inbox is not None
            message_id = f"{gateway.name}-{at.timestamp()}"  # each account's own id for it
            await gateway.inbox.receive(IncomingMessage(message_id, room, who, text, at))


async def _answered(gateway: RecordingGateway, room: str, count: int) -> list[str]:
    async def check() -> list[str]:
        texts = [m.text for m in gateway.sent if m.room_id == room]
        return texts if len(texts) >= count else []

    return await until(check, 20, f"{count} answers in {room} from {gateway.name}")


async def test_one_account_answers_each_group_and_another_takes_over_when_it_is_cut(
    bot: tuple[TestClient[web.Request, web.Application], dict[str, RecordingGateway]],
) -> None:
    client, gateways = bot
    app = client.app
    one, two = gateways["one"], gateways["two"]
    clock, failover, uow = app[keys.CLOCK], app[keys.FAILOVER], app[keys.UOW]
    assert isinstance(clock, ForwardClock) and isinstance(uow, UnitOfWorkFactory)

    # Both accounts are in 开封 and 兰考: 开封 is one's, 兰考 two's; each message is handled once.
    await _say([one, two], KAIFENG, LIU, "园区这周第三次停电了，生产线停了半天", clock.now())
    await _say(
        [one, two], LANKAO, JIANG, "我们厂的环评批复三个月了还没下来", clock.now() + timedelta(seconds=1)
    )
    assert (await _answered(one, KAIFENG, 1))[0].startswith("【紧急】已受理 #")
    assert (await _answered(two, LANKAO, 1))[0].startswith("已受理 #")
    assert not [m for m in one.sent if m.room_id == LANKAO] and not [
        m for m in two.sent if m.room_id == KAIFENG
    ]
    async with uow() as u:
        assert await u.session.scalar(select(func.count()).select_from(Issue)) == 2

    # two is cut off: a message in 兰考 reaches only one; its answer waits for two, then moves.
    two.up = False
    await failover.check()
    await _say(
        [one, two], LANKAO, LUO, "招工难，想请人社局帮忙对接职业学校", clock.now() + timedelta(seconds=2)
    )
    clock.advance(AFTER)
    moves = await failover.check()
    assert [(m.chat, m.to, m.reason) for m in moves] == [(LANKAO, "one", MoveReason.DOWN)]
    assert (await _answered(one, LANKAO, 1))[0].startswith("已受理 #3")
    assert two.attempts >= 1 and not [m for m in two.sent if "#3" in m.text]  # tried, never sent

    # two is back: after being well as long, 兰考 goes home, and two answers it again.
    # (well once no send has failed for after_seconds: a retry during the cut may have failed late)
    two.up = True
    moves = await failover.check()
    for _ in range(3):
        if moves:
            break
        clock.advance(AFTER)
        moves = await failover.check()
    assert [(m.chat, m.to, m.reason) for m in moves] == [(LANKAO, "two", MoveReason.BACK)]
    await _say([one, two], LANKAO, LIN, "申请的技改补贴什么时候到账", clock.now())
    assert "#4" in (await _answered(two, LANKAO, 2))[1]
    assert len([m for m in one.sent if m.room_id == LANKAO]) == 1

    async with uow() as u:
        kept = [(m.chat, m.from_account, m.to_account, m.reason) for m in await u.responders.moves()]
        sent_by = set(
            (
                await u.session.scalars(select(OutboxMessage.sent_by).where(OutboxMessage.room_id == LANKAO))
            ).all()
        )
    assert kept == [(LANKAO, "one", "two", MoveReason.BACK), (LANKAO, "two", "one", MoveReason.DOWN)]
    assert sent_by == {"one", "two"}


async def test_a_broadcast_is_not_composed_for_a_group_whose_account_has_no_budget_left_today(
    bot: tuple[TestClient[web.Request, web.Application], dict[str, RecordingGateway]],
) -> None:
    client, gateways = bot
    app = client.app
    clock, deps = app[keys.CLOCK], app[keys.DEPS]
    assert isinstance(clock, ForwardClock)
    gateways["two"].up = False  # what waits for two stays waiting
    local = clock.now().astimezone(TZ)
    clock.set(datetime.combine(local.date() + timedelta(days=1), time(23, 59), TZ))  # a minute left today
    now = clock.now()
    async with deps.uow() as uow:  # a minute of two's 40 already waits in 兰考
        for i in range(40):
            uow.outbox.add(
                text=f"提醒 {i}", room_id=LANKAO, to_id=None, mentions=(), at=now, priority=Priority.REMINDER
            )
        queued = await to_groups(deps, uow, now, [KAIFENG, LANKAO, MIANYANG], "本周活动", Priority.BROADCAST)
        await uow.commit()
    assert queued == 2
    async with deps.uow() as uow:
        rooms = await uow.session.scalars(
            select(OutboxMessage.room_id).where(OutboxMessage.text == "本周活动")
        )
        assert sorted(rooms) == sorted([KAIFENG, MIANYANG])  # one's groups; nothing for two's 兰考
