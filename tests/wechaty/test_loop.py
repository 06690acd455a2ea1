"""The whole loop through a real Wechaty gateway: the app (dispatcher, outbox, sender) wired to
WechatyGateway, people talking in a mock WeChat group on a real PuppetServer.

An enterprise boss reports an outage, the bot acknowledges with the right @-mentions, the power
company's manager claims it, then the gateway dies; a reply queued meanwhile arrives exactly once
after the gateway comes back.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.app import create_app
from bot.config import Config
from bot.config.accounts import AccountConfig
from bot.gateways.wechaty import WechatyGateway, WechatyOptions
from bot.outbox import DEFAULT_ACCOUNT
from bot.web import keys
from handlers.clock import TZ
from handlers.messages import IncomingMessage
from tests.support.waiting import until
from tests.wechaty.node import TOKEN, NodeGateway

pytestmark = [pytest.mark.node, pytest.mark.slow]

ROOM = "mianyang-qiyejia@chatroom"  # configured by this id in config.example.toml
BOSS = "e_huake_liu"  # on the roster by contact id
POWER_CONTACT = "wxid_gd_shi"  # 供电公司施经理: known only by the group alias
POWER = "h_gd_shi"
JX = "h_jx_wang"  # 经信局王科长, the enterprise's liaison
OUTAGE = "园区这周第三次停电了，生产线停了半天，损失很大"


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[NodeGateway]:
    gateway = NodeGateway(tmp_path)
    await gateway.start()
    try:
        await gateway.contact(BOSS, "Liu")
        await gateway.contact(POWER_CONTACT, "施师傅")
        await gateway.contact(JX, "王科长")
        await gateway.room(ROOM, "绵阳企业家", [BOSS, POWER_CONTACT, JX], {POWER_CONTACT: "供电公司施经理"})
        yield gateway
    finally:
        await gateway.close()


@pytest.fixture
async def app(node: NodeGateway, example_config: Config, tmp_path: Path) -> AsyncIterator[web.Application]:
    options = WechatyOptions(
        node.endpoint, TOKEN, mode="all", part_delay=0.05, ping_interval=2, backoff_base=0.2, backoff_cap=1.0
    )
    config = dataclasses.replace(
        example_config,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'zhuqi.db'}",
        gateway="wechaty",
        accounts=(AccountConfig(DEFAULT_ACCOUNT, example_config.rate, options),),
    )
    application = create_app(config)  # the app builds the gateway from the config, as in production
    runner = web.AppRunner(application)
    await runner.setup()  # runs the app's cleanup_ctx: database, sender, gateway.start()
    try:
        gateway = application[keys.GATEWAY]
        assert isinstance(gateway, WechatyGateway)
        assert gateway.on_connected == application[keys.SENDERS][DEFAULT_ACCOUNT].retry_soon
        async with asyncio.timeout(20):
            await gateway.wait_connected()
        yield application
    finally:
        await runner.cleanup()


async def test_appeal_claim_and_a_reply_queued_while_the_gateway_is_down(
    node: NodeGateway, app: web.Application
) -> None:

    def sent_count(n: int) -> Callable[[], Any]:
        async def check() -> list[dict[str, Any]] | None:
            sent = await node.sent()
            return sent if len(sent) >= n else None

        return check

    # 1. the boss reports an outage in the group; the acknowledgement arrives there with @s
    await node.say(BOSS, OUTAGE, roomId=ROOM)
    sent = await until(sent_count(1), 15, "the acknowledgement")
    ack = sent[0]
    assert ack["roomId"] == ROOM
    assert ack["text"].startswith("【紧急】已受理 #1")
    assert "「认领 1」" in ack["text"]
    assert set(ack["mentionIds"]) == {POWER_CONTACT, JX}

    # 2. the power company's manager claims it through the gateway
    await node.say(POWER_CONTACT, "认领 1", roomId=ROOM)
    sent = await until(sent_count(2), 15, "the claim reply")
    claim = sent[1]
    assert claim["roomId"] == ROOM
    assert claim["text"].startswith("#1 已由国网绵阳供电公司 @供电公司施经理 认领")
    assert claim["mentionIds"] == [BOSS]

    # 3. the gateway dies; a reply is queued meanwhile (a progress note that reached the bot)
    assert len(await node.sent()) == 2
    await node.kill()
    gateway = app[keys.GATEWAY]
    assert isinstance(gateway, WechatyGateway)
    await until(_async(lambda: not gateway.connected), 10, "the disconnect")
    await app[keys.DISPATCHER].handle(
        IncomingMessage(
            message_id="offline-progress-1",
            room_id=ROOM,
            sender_id=POWER,
            text="进度 1 抢修队已到现场，正在更换变压器",
            at=datetime.now(TZ),
            gateway="wechaty",
        )
    )
    await asyncio.sleep(1.5)  # the sender tries, the gateway is down, the reply stays queued
    assert gateway.health()["state"] != "connected"

    # 4. the gateway comes back; the queued reply arrives, exactly once
    await node.start()
    sent = await until(sent_count(3), 30, "the queued reply after the restart")
    await asyncio.sleep(3)  # give a duplicate every chance to show up
    sent = await node.sent()
    assert len(sent) == 3, [s["text"] for s in sent]
    assert sent[0] == ack and sent[1] == claim  # nothing before the outage was sent again
    assert sent[2]["roomId"] == ROOM
    assert sent[2]["text"].startswith("#1 进度（国网绵阳供电公司）：抢修队已到现场")
    assert gateway.health()["sessions"] >= 2


def _async(check: Callable[[], Any]) -> Callable[[], Any]:
    async def wrapped() -> Any:
        return check()

    return wrapped
