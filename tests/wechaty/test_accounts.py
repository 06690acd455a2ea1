"""Two bot accounts, each on its own real Wechaty puppet service (two gateway.js processes), both in
one WeChat group: the group is answered by one account only, and when that account's service dies,
the other account takes the group over and answers there.

Each gateway.js is one WeChat account's view of the same group: the same members, and a message
posted in the group reaches both (posted in both worlds with the server's one timestamp)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.app import create_app
from bot.config import Config
from bot.config.accounts import AccountConfig, FailoverConfig
from bot.gateways.wechaty import WechatyGateway, WechatyOptions
from bot.web import keys
from storage.domain import PRIVATE_CHATS
from tests.support.waiting import until
from tests.wechaty.node import TOKEN, NodeGateway
from tests.wechaty.test_loop import BOSS, JX, OUTAGE, POWER_CONTACT, ROOM

pytestmark = [pytest.mark.node, pytest.mark.slow]

ONE, TWO = "wxid_zhuqi_bot", "wxid_zhuqi_bot_two"


async def _world(node: NodeGateway, other_bot: str) -> None:
    await node.start()
    await node.contact(BOSS, "Liu")
    await node.contact(POWER_CONTACT, "施师傅")
    await node.contact(JX, "王科长")
    await node.contact(other_bot, "助企小助手二号")
    members = [BOSS, POWER_CONTACT, JX, other_bot]
    await node.room(ROOM, "绵阳企业家", members, {POWER_CONTACT: "供电公司施经理"})


@pytest.fixture
async def nodes(tmp_path: Path) -> AsyncIterator[tuple[NodeGateway, NodeGateway]]:
    one, two = NodeGateway(tmp_path, ONE, "one"), NodeGateway(tmp_path, TWO, "two")
    try:
        await _world(one, TWO)
        await _world(two, ONE)
        yield one, two
    finally:
        await one.close()
        await two.close()


@pytest.fixture
async def app(
    nodes: tuple[NodeGateway, NodeGateway], example_config: Config, tmp_path: Path
) -> AsyncIterator[web.Application]:
    def account(name: str, node: NodeGateway, wechat_id: str) -> AccountConfig:
        options = WechatyOptions(
            node.endpoint, TOKEN, part_delay=0.05, ping_interval=0.5, backoff_base=0.2, backoff_cap=1.0
        )
        return AccountConfig(name, example_config.rate, options, wechat_id=wechat_id)

    config = dataclasses.replace(
        example_config,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'zhuqi.db'}",
        gateway="wechaty",
        accounts=(account("one", nodes[0], ONE), account("two", nodes[1], TWO)),
        failover=FailoverConfig(after_seconds=2, check_seconds=0.2),
    )
    application = create_app(config)
    runner = web.AppRunner(application)
    await runner.setup()
    try:
        for gateway in application[keys.GATEWAYS].values():
            assert isinstance(gateway, WechatyGateway)
            await until(_connected(gateway), 20, "both accounts logged in")
        yield application
    finally:
        await runner.cleanup()


def _connected(gateway: WechatyGateway) -> Any:
    async def check() -> bool:
        return gateway.connected

    return check


def _sent(node: NodeGateway, count: int) -> Any:
    async def check() -> list[dict[str, Any]] | None:
        sent = [m for m in await node.sent() if m["roomId"] == ROOM]
        return sent if len(sent) >= count else None

    return check


async def test_a_group_is_answered_by_one_account_and_the_other_takes_over_when_it_dies(
    nodes: tuple[NodeGateway, NodeGateway], app: web.Application
) -> None:
    one, two = nodes
    at = int(time.time() * 1000)  # the WeChat server's time of the message: both accounts see it
    await one.say(BOSS, OUTAGE, roomId=ROOM, timestamp=at)
    await two.say(BOSS, OUTAGE, roomId=ROOM, timestamp=at)
    ack = (await until(_sent(one, 1), 20, "the acknowledgement from account one"))[0]
    assert ack["text"].startswith("【紧急】已受理 #1") and set(ack["mentionIds"]) == {POWER_CONTACT, JX}

    # account one's puppet service dies: the group moves to account two, which answers there
    await one.kill()
    responders = app[keys.RESPONDERS]

    async def moved() -> bool:
        return responders.answering.get(ROOM) == "two"

    await until(moved, 30, "the group handed to account two")
    await two.say(POWER_CONTACT, "认领 1", roomId=ROOM)
    claim = (await until(_sent(two, 1), 20, "the claim answered by account two"))[0]
    assert claim["text"].startswith("#1 已由国网绵阳供电公司 @供电公司施经理 认领")
    assert [m["text"][:8] for m in await two.sent()] == [claim["text"][:8]]  # two never said the ack
    async with app[keys.UOW]() as uow:
        moves = {(m.chat, m.from_account, m.to_account) for m in await uow.responders.moves()}
    assert moves == {(ROOM, "one", "two"), (PRIVATE_CHATS, "one", "two")}  # its private chats too
