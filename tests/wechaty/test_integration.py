"""WechatyGateway against a real Wechaty puppet service (Node: PuppetServer + PuppetMock).

Needs node and ``npm install`` in tests/wechaty_gateway (``make test`` does it).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.gateways.wechaty import WechatyGateway, WechatyOptions
from handlers.messages import GatewayUnavailable, IncomingMessage, OutgoingMessage
from handlers.roster.model import Member, Room
from storage.domain import Role
from tests.support.fakes import CollectingInbox
from tests.wechaty.node import BOT_ID, BOT_NAME, TOKEN, NodeGateway

pytestmark = [pytest.mark.node, pytest.mark.slow]

ROOM = "g-service@chatroom"
ROOMS = (Room("r-main", "助企服务一群"),)  # configured by topic, not by id
MEMBERS = (
    Member("m-wang", "王总", Role.ENTERPRISE, enterprise="宏达机械"),  # matched by room alias
    Member("m-li", "李科长", Role.HANDLER, department="供电所"),  # matched by contact name
    Member("wxid_zhao", "赵主任", Role.LEADER),  # matched by contact id
    Member("m-zhou", "周经理", Role.ENTERPRISE, enterprise="新来的企业"),  # joins later
)


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[NodeGateway]:
    gateway = NodeGateway(tmp_path)
    await gateway.start()
    try:
        for contact_id, name in [("c-wang", "Wang Hongda"), ("c-li", "李科长"), ("wxid_zhao", "赵主任")]:
            await gateway.contact(contact_id, name)
        await gateway.contact("c-stranger", "路人甲")
        await gateway.room(
            ROOM, "助企服务一群", ["c-wang", "c-li", "wxid_zhao", "c-stranger"], {"c-wang": "王总"}
        )
        await gateway.room("g-family@chatroom", "家族群", ["c-wang"], {})
        yield gateway
    finally:
        await gateway.close()


class Inbox(CollectingInbox):
    async def next(self, within: float = 10) -> IncomingMessage:
        async with asyncio.timeout(within):
            return await self.queue.get()

    async def nothing_more(self, wait: float = 0.5) -> None:
        await asyncio.sleep(wait)
        assert self.queue.empty(), f"unexpected: {self.queue.get_nowait()}"


@pytest.fixture
async def bot(node: NodeGateway) -> AsyncIterator[tuple[WechatyGateway, Inbox]]:
    options = WechatyOptions(
        endpoint=node.endpoint,
        token=TOKEN,
        tls=False,
        mode="all",
        part_delay=0.05,
        ping_interval=2,
        backoff_base=0.2,
        backoff_cap=1.0,
    )
    gateway = WechatyGateway(
        options,
        rooms=ROOMS,
        members=MEMBERS,
        bot_id="bot",
        bot_names=(BOT_NAME,),
        looks_like_command=lambda text: text.startswith(("统计", "查询", "认领")),
    )
    inbox = Inbox()
    await gateway.start(inbox)
    try:
        async with asyncio.timeout(20):
            await gateway.wait_connected()
        yield gateway, inbox
    finally:
        await gateway.stop()


async def test_an_appeal_in_a_group_arrives_as_a_plain_message(
    node: NodeGateway, bot: tuple[WechatyGateway, Inbox]
) -> None:
    gateway, inbox = bot
    mid = await node.say(
        "c-wang", f"@{BOT_NAME}\u2005我们厂今天停电了，影响生产", roomId=ROOM, mentionIds=[BOT_ID, "c-li"]
    )
    msg = await inbox.next()
    assert msg.message_id == mid
    assert msg.room_id == "r-main"
    assert msg.sender_id == "m-wang" and msg.sender_name == "王总"
    assert msg.text == "我们厂今天停电了，影响生产"
    assert msg.mentions == ("bot", "m-li")
    assert msg.kind == "text" and msg.gateway == "wechaty"
    assert msg.at.utcoffset() is not None

    # silent in groups that are not configured; unknown members keep their contact id
    await node.say("c-wang", "家里的事", roomId="g-family@chatroom")
    await node.say("c-stranger", "我也停电了", roomId=ROOM)
    msg = await inbox.next()
    assert (msg.sender_id, msg.sender_name, msg.text) == ("c-stranger", "路人甲", "我也停电了")

    # a picture is passed on as such (the workflow notes it on the open ticket)
    await node.say("c-wang", "", roomId=ROOM, type="image")
    assert (await inbox.next()).kind == "image"

    # a leader talks to the bot privately
    await node.say("wxid_zhao", "统计")
    msg = await inbox.next()
    assert (msg.room_id, msg.sender_id, msg.text) == (None, "wxid_zhao", "统计")
    await inbox.nothing_more()
    assert gateway.health()["rooms_matched"] == {"r-main": ROOM}

    # the group is renamed away from its configured name: silent there; renamed back: heard again
    await node.call("POST", f"/rooms/{ROOM}/topic", {"topic": "闲聊群"})
    await asyncio.sleep(0.3)
    await node.say("c-wang", "改名后", roomId=ROOM)
    await inbox.nothing_more()
    await node.call("POST", f"/rooms/{ROOM}/topic", {"topic": "助企服务一群"})
    await asyncio.sleep(0.3)
    await node.say("c-wang", "改回来了", roomId=ROOM)
    assert (await inbox.next()).text == "改回来了"
    # a newcomer joins and is on the roster by name
    await node.contact("c-zhou", "周经理")
    await node.call("POST", f"/rooms/{ROOM}/members", {"contactId": "c-zhou", "alias": "周经理"})
    await asyncio.sleep(0.3)
    await gateway.send(OutgoingMessage("欢迎", room_id="r-main", mentions=("m-zhou",)))
    assert (await node.sent())[-1]["mentionIds"] == ["c-zhou"]


async def test_replies_reach_the_group_with_mentions_by_contact_id(
    node: NodeGateway, bot: tuple[WechatyGateway, Inbox]
) -> None:
    gateway, inbox = bot
    await gateway.send(
        OutgoingMessage("已受理，编号 12。请供电所认领。", room_id="r-main", mentions=("m-wang", "m-li"))
    )
    [sent] = await node.sent()
    assert sent["roomId"] == ROOM
    assert sent["mentionIds"] == ["c-wang", "c-li"]
    assert sent["text"] == "@王总\u2005@李科长\u2005已受理，编号 12。请供电所认领。"
    # the puppet echoes our own message back; it must not reach the inbox
    await inbox.nothing_more()

    # a digest to a leader privately; a long one is split on lines under the byte limit
    lines = [f"{i}号 宏达机械 停电 已认领 供电所" for i in range(200)]
    await gateway.send(OutgoingMessage("\n".join(lines), to_id="wxid_zhao"))
    parts = [s for s in await node.sent() if s["toId"] == "wxid_zhao"]
    assert len(parts) > 1 and all(len(p["text"].encode()) <= 2048 for p in parts)
    assert "\n".join(p["text"] for p in parts).split("\n") == lines


async def test_reconnects_after_the_gateway_dies_and_sends_again(
    node: NodeGateway, bot: tuple[WechatyGateway, Inbox]
) -> None:
    gateway, inbox = bot
    await node.kill()
    for _ in range(200):  # the stream ends at once when the process dies
        if not gateway.connected:
            break
        await asyncio.sleep(0.05)
    assert not gateway.connected
    with pytest.raises(GatewayUnavailable):
        await gateway.send(OutgoingMessage("断线时的回复", room_id="r-main", mentions=("m-wang",)))
    assert gateway.health()["state"] in ("disconnected", "reconnecting", "connecting")

    await asyncio.sleep(1.5)  # a few failed attempts while it is down
    await node.start()  # same port, same world
    async with asyncio.timeout(20):
        await gateway.wait_connected()
    await gateway.send(OutgoingMessage("断线时的回复", room_id="r-main", mentions=("m-wang",)))
    sent = await node.sent()
    assert [(s["text"], s["mentionIds"]) for s in sent] == [("@王总\u2005断线时的回复", ["c-wang"])]

    # and it still hears the group
    await node.say("c-li", "认领 12", roomId=ROOM)
    msg = await inbox.next()
    assert (msg.sender_id, msg.text) == ("m-li", "认领 12")
    assert gateway.health()["sessions"] >= 2
