"""WechatyGateway against an in-process fake puppet: mapping, filtering, sending, reconnecting."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from bot.gateways.wechaty import WechatyGateway, WechatyOptions
from handlers.messages import GatewayUnavailable, IncomingMessage, OutgoingMessage
from handlers.roster.model import Member, Room
from storage.domain import Role
from tests.support.fakes import CollectingInbox

BOT = "wxid_bot"
ROOM = "g1@chatroom"
ROOMS = (Room("r-main", "助企服务一群"),)
MEMBERS = (
    Member("m-wang", "王总", Role.ENTERPRISE, enterprise="宏达机械"),
    Member("m-li", "李科长", Role.HANDLER, department="供电所"),
    Member("wxid_zhao", "赵主任", Role.LEADER),
)
TEXT, IMAGE, ATTACHMENT, EMOTICON = 6, 5, 1, 4


class FakePuppet:
    """Just enough of PuppetService, with the world held in dicts."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.login_user_id: str | None = None
        self.handlers: dict[str, list[Callable[..., None]]] = {}
        self.ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed = False

    def on(self, event_name: str, caller: Callable[..., None]) -> None:
        self.handlers.setdefault(event_name, []).append(caller)

    def emit(self, event_name: str, payload: Any) -> None:
        for handler in self.handlers.get(event_name, []):
            handler(payload)

    async def start(self) -> None:
        if self.world.refuse:
            raise ConnectionRefusedError("gateway down")
        self.login_user_id = BOT
        self.emit("login", SimpleNamespace(contact_id=BOT))
        await self.ended

    async def close(self) -> None:
        self.closed = True

    async def ding(self, data: str | None = "") -> None:
        return None

    async def message_payload(self, message_id: str) -> Any:
        return self.world.messages[message_id]

    async def message_send_text(
        self, conversation_id: str, message: str, mention_ids: list[str] | None = None
    ) -> str:
        if self.world.fail_sends:
            self.world.fail_sends -= 1
            raise ConnectionResetError("stream lost")
        self.world.sent.append((conversation_id, message, list(mention_ids or [])))
        return f"sent-{len(self.world.sent)}"

    async def contact_payload(self, contact_id: str) -> Any:
        return SimpleNamespace(id=contact_id, name=self.world.names[contact_id])

    async def room_list(self) -> list[str]:
        return list(self.world.rooms)

    async def room_payload(self, room_id: str) -> Any:
        return SimpleNamespace(id=room_id, topic=self.world.rooms[room_id])

    async def room_members(self, room_id: str) -> list[str]:
        return list(self.world.members[room_id])

    async def room_member_payload(self, room_id: str, contact_id: str) -> Any:
        return SimpleNamespace(
            id=contact_id,
            name=self.world.names[contact_id],
            room_alias=self.world.aliases.get((room_id, contact_id), ""),
        )


class World:
    def __init__(self) -> None:
        self.rooms = {ROOM: "助企服务一群", "other@chatroom": "家族群"}
        self.names = {
            BOT: "助企小助手",
            "c-wang": "Wang",
            "c-li": "李科长",
            "wxid_zhao": "赵主任",
            "c-new": "陌生人",
        }
        self.aliases = {(ROOM, "c-wang"): "王总", (ROOM, BOT): "小助手"}
        self.members = {ROOM: [BOT, "c-wang", "c-li", "wxid_zhao"], "other@chatroom": [BOT, "c-wang"]}
        self.messages: dict[str, Any] = {}
        self.sent: list[tuple[str, str, list[str]]] = []
        self.puppets: list[FakePuppet] = []
        self.refuse = False
        self.fail_sends = 0
        self.counter = 0

    def factory(self, _options: WechatyOptions) -> FakePuppet:
        puppet = FakePuppet(self)
        self.puppets.append(puppet)
        return puppet

    def say(
        self,
        sender: str,
        text: str = "",
        *,
        room: str | None = ROOM,
        mentions: tuple[str, ...] = (),
        kind: int = TEXT,
        to: str = BOT,
        filename: str = "",
    ) -> str:
        self.counter += 1
        mid = f"msg-{self.counter}"
        self.messages[mid] = SimpleNamespace(
            id=mid,
            text=text,
            timestamp=1_795_457_896_000 + self.counter,
            type=kind,
            from_id=sender,
            room_id=room or "",
            to_id="" if room else to,
            mention_ids=list(mentions),
            filename=filename,
        )
        self.puppets[-1].emit("message", SimpleNamespace(message_id=mid))
        return mid


async def no_sleep(_seconds: float) -> None:
    await asyncio.sleep(0)


def is_command(text: str) -> bool:
    return text.startswith(("统计", "查询", "认领"))


async def started(
    world: World, mode: str = "all", **option_kw: Any
) -> tuple[WechatyGateway, list[IncomingMessage]]:
    options = WechatyOptions("127.0.0.1:1", "t", mode=mode, ping_interval=0, **option_kw)  # type: ignore[arg-type]
    gateway = WechatyGateway(
        options,
        rooms=ROOMS,
        members=MEMBERS,
        bot_id="bot",
        bot_names=("助企小助手",),
        looks_like_command=is_command,
        puppet_factory=world.factory,
        sleep=no_sleep,
        rng=random.Random(1),
    )
    inbox = CollectingInbox()
    await gateway.start(inbox)
    async with asyncio.timeout(2):
        await gateway.wait_connected()
    return gateway, inbox.got


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


@pytest.fixture
def world() -> World:
    return World()


async def test_a_group_message_becomes_a_plain_incoming_message(world: World) -> None:
    gateway, got = await started(world)
    world.say("c-wang", "@小助手\u2005我们厂停电了，请帮忙", mentions=(BOT, "c-li"))
    await settle()
    [msg] = got
    assert msg.room_id == "r-main" and msg.sender_id == "m-wang" and msg.sender_name == "王总"
    assert msg.text == "我们厂停电了，请帮忙"
    assert msg.mentions == ("bot", "m-li")
    assert msg.kind == "text" and msg.gateway == "wechaty" and msg.message_id == "msg-1"
    assert msg.at.utcoffset() is not None and msg.at.year == 2026
    assert gateway.health()["rooms_matched"] == {"r-main": ROOM}
    await gateway.stop()


async def test_own_messages_unconfigured_rooms_and_redeliveries_are_dropped(world: World) -> None:
    gateway, got = await started(world)
    world.say(BOT, "已收到")
    world.say("c-wang", "家里的事", room="other@chatroom")
    mid = world.say("c-wang", "停电了")
    world.puppets[-1].emit("message", SimpleNamespace(message_id=mid))  # delivered twice
    await settle()
    assert [m.text for m in got] == ["停电了"]
    await gateway.stop()


async def test_unknown_members_keep_their_contact_id(world: World) -> None:
    gateway, got = await started(world)
    world.say("c-new", "我是新来的")
    world.say("wxid_zhao", "统计")
    await settle()
    assert [(m.sender_id, m.sender_name) for m in got] == [("c-new", "陌生人"), ("wxid_zhao", "赵主任")]
    await gateway.stop()


async def test_pictures_and_files_are_passed_on_as_such_and_other_kinds_as_other(world: World) -> None:
    gateway, got = await started(world, mode="mentioned")
    world.say("c-wang", "<img/>", kind=IMAGE)
    world.say("c-wang", "", kind=ATTACHMENT, filename="营业执照.pdf")
    world.say("c-wang", "<emoji/>", kind=EMOTICON)
    await settle()
    assert [(m.kind, m.text) for m in got] == [("image", ""), ("file", "营业执照.pdf")]
    await gateway.stop()


async def test_mentioned_mode_hears_only_mentions_and_commands(world: World) -> None:
    gateway, got = await started(world, mode="mentioned")
    world.say("c-wang", "今天天气不错")
    world.say("c-wang", "@助企小助手\u2005停电了", mentions=(BOT,))
    world.say("c-li", "认领 12")
    world.say("c-li", "#12 已处理")
    await settle()
    assert [m.text for m in got] == ["停电了", "认领 12", "#12 已处理"]
    await gateway.stop()


async def test_private_chats_reach_the_inbox_without_a_room(world: World) -> None:
    gateway, got = await started(world, mode="mentioned")
    world.say("wxid_zhao", "查询 12", room=None)
    await settle()
    [msg] = got
    assert msg.room_id is None and msg.sender_id == "wxid_zhao" and msg.text == "查询 12"
    await gateway.stop()


async def test_send_maps_rooms_and_mentions_to_puppet_ids(world: World) -> None:
    gateway, _ = await started(world)
    await gateway.send(OutgoingMessage("已受理，请供电所认领", room_id="r-main", mentions=("m-wang", "m-li")))
    [(conversation, text, mention_ids)] = world.sent
    assert conversation == ROOM and mention_ids == ["c-wang", "c-li"]
    assert text == "@王总\u2005@李科长\u2005已受理，请供电所认领"
    await gateway.send(OutgoingMessage("本周统计……", to_id="wxid_zhao"))
    assert world.sent[-1] == ("wxid_zhao", "本周统计……", [])
    with pytest.raises(LookupError):
        await gateway.send(OutgoingMessage("x", room_id="r-nowhere"))
    await gateway.stop()


async def test_long_messages_are_split_and_a_retry_does_not_resend_parts(world: World) -> None:
    gateway, _ = await started(world, max_bytes=100)
    text = "\n".join(f"第{i}条：企业诉求" for i in range(12))  # ~ 300 bytes
    message = OutgoingMessage(text, room_id="r-main", mentions=("m-li",))
    world.fail_sends = 0
    original = world.puppets[-1].message_send_text
    calls = 0

    async def flaky(conversation_id: str, message: str, mention_ids: list[str] | None = None) -> str:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise ConnectionResetError("lost")
        return await original(conversation_id, message, mention_ids)

    world.puppets[-1].message_send_text = flaky  # type: ignore[method-assign]
    with pytest.raises(GatewayUnavailable):
        await gateway.send(message)
    assert len(world.sent) == 2
    await gateway.send(message)  # the outbox retries the whole message
    parts = [t for _, t, _ in world.sent]
    assert all(len(p.encode()) <= 100 for p in parts)
    assert "\n".join(parts) == "@李科长\u2005" + text  # each line exactly once, in order
    assert [m for _, _, m in world.sent] == [["c-li"]] + [[]] * (len(parts) - 1)
    await gateway.stop()


async def test_send_while_disconnected_raises_gateway_unavailable(world: World) -> None:
    world.refuse = True
    options = WechatyOptions("127.0.0.1:1", "t", ping_interval=0)
    gateway = WechatyGateway(
        options, rooms=ROOMS, members=MEMBERS, puppet_factory=world.factory, sleep=no_sleep
    )

    await gateway.start(CollectingInbox())
    await settle()
    assert not gateway.connected
    with pytest.raises(GatewayUnavailable):
        await gateway.send(OutgoingMessage("x", room_id="r-main"))
    assert gateway.health()["state"] in ("reconnecting", "connecting", "disconnected")
    assert "gateway down" in (gateway.health()["last_error"] or "")
    world.refuse = False
    async with asyncio.timeout(2):
        await gateway.wait_connected()
    await gateway.send(OutgoingMessage("x", room_id="r-main"))
    assert world.sent == [(ROOM, "x", [])]
    await gateway.stop()
    assert gateway.health()["state"] == "stopped"


async def test_a_stream_that_ends_normally_is_reconnected(world: World) -> None:
    gateway, got = await started(world)
    first = world.puppets[-1]
    first.ended.set_result(None)  # start() returned without an error: another client took over
    await settle()
    async with asyncio.timeout(2):
        await gateway.wait_connected()
    assert len(world.puppets) == 2 and first.closed
    world.say("c-wang", "还在吗")
    await settle()
    assert [m.text for m in got] == ["还在吗"]
    assert gateway.health()["sessions"] == 2
    await gateway.stop()


async def test_roster_changes_are_followed(world: World) -> None:
    gateway, got = await started(world)
    world.names["c-zhou"] = "周经理"
    world.members[ROOM].append("c-zhou")
    world.puppets[-1].emit("room-join", SimpleNamespace(room_id=ROOM, invited_ids=["c-zhou"]))
    gateway.update_roster(members=(*MEMBERS, Member("m-zhou", "周经理", Role.ENTERPRISE)))
    world.say("c-zhou", "你好")
    # the group is renamed away from its configured topic: the bot goes silent there
    world.puppets[-1].emit("room-topic", SimpleNamespace(room_id=ROOM, new_topic="闲聊"))
    world.say("c-zhou", "还在")
    await settle()
    assert [(m.sender_id, m.text) for m in got] == [("m-zhou", "你好")]
    await gateway.stop()
