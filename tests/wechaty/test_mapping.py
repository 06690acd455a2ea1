"""Who is who on the puppet: rooms, roster members, message kinds, listening modes, options."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.gateways.wechaty import WechatyOptions
from bot.gateways.wechaty.mapping import (
    ContactBook,
    RoomMap,
    SeenIds,
    is_addressed,
    message_kind,
    strip_bot_mention,
    to_datetime,
    with_mention_prefix,
)
from handlers.clock import TZ
from handlers.roster.model import Member, Room
from storage.domain import Role

ROOMS = (Room("r-main", "助企服务一群"), Room("abc@chatroom", "园区企业群"))
MEMBERS = (
    Member("m-wang", "王总", Role.ENTERPRISE, enterprise="宏达机械", aliases=("宏达王总",)),
    Member("m-li", "李科长", Role.HANDLER, department="供电所", aliases=("供电所李科",)),
    Member("wxid_zhao", "赵主任", Role.LEADER),
    Member("m-a", "小张", Role.HANDLER),
    Member("m-b", "张工", Role.HANDLER, aliases=("小张",)),  # "小张" fits two: matches neither
)


def test_rooms_match_by_id_first_then_by_topic() -> None:
    rooms = RoomMap(ROOMS)
    assert rooms.learn("abc@chatroom", "改了名的群") == "abc@chatroom"
    assert rooms.learn("xyz@chatroom", "助企服务一群") == "r-main"
    assert rooms.learn("other@chatroom", "家族群") is None
    assert rooms.puppet_id("r-main") == "xyz@chatroom"
    assert rooms.configured_id("other@chatroom") is None and rooms.known("other@chatroom")
    assert rooms.unmatched() == []


def test_a_topic_cannot_steal_a_room_configured_by_id() -> None:
    rooms = RoomMap(ROOMS)
    rooms.learn("abc@chatroom", "园区企业群")
    assert rooms.learn("copy@chatroom", "园区企业群") is None
    assert rooms.puppet_id("abc@chatroom") == "abc@chatroom"


def test_a_renamed_group_follows_its_topic() -> None:
    rooms = RoomMap(ROOMS)
    rooms.learn("xyz@chatroom", "助企服务一群")
    assert rooms.learn("xyz@chatroom", "闲聊群") is None
    assert rooms.puppet_id("r-main") is None and rooms.unmatched() == ["r-main", "abc@chatroom"]
    assert rooms.learn("new@chatroom", "助企服务一群") == "r-main"
    # a changed configuration keeps what was seen
    again = rooms.with_rooms((Room("r-chat", "闲聊群"),))
    assert again.puppet_id("r-chat") == "xyz@chatroom"


def test_members_match_by_contact_id_then_room_alias_then_name() -> None:
    roster = ContactBook(MEMBERS, bot_id="bot")
    assert roster.match("wxid_zhao", name="随便").id == "wxid_zhao"  # type: ignore[union-attr]
    assert roster.match("c1", room_alias="宏达王总", name="Wang").id == "m-wang"  # type: ignore[union-attr]
    assert roster.match("c2", room_alias="", name="李科长").id == "m-li"  # type: ignore[union-attr]
    assert roster.match("c3", room_alias="小张", name="张三") is None  # ambiguous name
    assert roster.match("c4", name="路人甲") is None
    assert roster.member_id_for("c1") == "m-wang"
    assert roster.member_id_for("c4") == "c4"
    assert roster.contact_id_for("m-wang") == "c1"
    assert roster.contact_id_for("m-b") is None  # not seen yet
    assert roster.contact_id_for("raw-contact") == "raw-contact"
    assert roster.display("c1") == "宏达王总"
    assert "王总" in roster.labels("c1")


def test_the_bot_login_id_maps_to_the_configured_bot_id() -> None:
    roster = ContactBook(MEMBERS, bot_id="bot")
    roster.set_login("wxid_bot")
    assert roster.member_id_for("wxid_bot") == "bot"
    assert roster.contact_id_for("bot") == "wxid_bot"


def test_a_renamed_contact_that_no_longer_matches_is_forgotten() -> None:
    roster = ContactBook(MEMBERS)
    roster.match("c1", name="王总")
    assert roster.match("c1", name="王某某") is None
    assert roster.member_id_for("c1") == "c1"
    assert roster.contact_id_for("m-wang") is None


@pytest.mark.parametrize(
    ("value", "kind"),
    [(6, "text"), (5, "image"), (1, "file"), (7, "file"), (4, "other"), (13, "other"), (0, "other")],
)
def test_message_kinds(value: int, kind: str) -> None:
    assert message_kind(value) == kind


def test_timestamps_in_milliseconds_or_seconds() -> None:
    fallback = datetime(2026, 1, 1, tzinfo=TZ)
    at = to_datetime(1_795_457_896_306, fallback)
    assert at.tzinfo is TZ and at.year == 2026 and at.microsecond == 306_000
    assert to_datetime(1_795_457_896, fallback) == at.replace(microsecond=0)
    assert to_datetime(0, fallback) == fallback


def test_strip_bot_mention() -> None:
    names = ["助企小助手", "小助手"]
    assert strip_bot_mention("@助企小助手\u2005我们厂停电了", names) == "我们厂停电了"
    assert strip_bot_mention("我们厂停电了 @小助手", names) == "我们厂停电了"
    assert strip_bot_mention("@小助手 查询 12", names) == "查询 12"
    assert strip_bot_mention("@王总\u2005你好", names) == "@王总\u2005你好"


def test_listening_modes() -> None:
    def is_command(text: str) -> bool:
        return text.startswith(("统计", "查询", "认领"))

    def check(mode: str, text: str, **kw: object) -> bool:
        args = {"private": False, "mentioned": False, "kind": "text"} | kw
        return is_addressed(mode, text=text, looks_like_command=is_command, **args)  # type: ignore[arg-type]

    assert check("all", "今天天气不错")
    assert not check("mentioned", "今天天气不错")
    assert check("mentioned", "我们厂停电了", mentioned=True)
    assert check("mentioned", "认领 12")
    assert check("mentioned", "/help")
    assert check("mentioned", "#12 已处理")
    assert check("mentioned", "统计", private=True)
    assert check("mentioned", "随便说说", private=True)
    assert check("mentioned", "", kind="image")
    assert not check("mentioned", "", kind="other")


def test_mention_prefix_is_added_only_when_missing() -> None:
    assert with_mention_prefix("请处理", [("李科长", ["李科长"])]) == "@李科长\u2005请处理"
    assert (
        with_mention_prefix("@李科长 请处理", [("供电所李科", ["供电所李科", "李科长"])]) == "@李科长 请处理"
    )
    assert with_mention_prefix("好的", []) == "好的"


def test_seen_ids_are_bounded() -> None:
    seen = SeenIds(limit=2)
    assert seen.add("a") and seen.add("b") and not seen.add("a")
    assert seen.add("c")  # evicts "b", the least recently seen
    assert seen.add("b")


def test_options_from_env() -> None:
    env = {
        "WECHATY_PUPPET_SERVICE_ENDPOINT": "127.0.0.1:8788",
        "WECHATY_PUPPET_SERVICE_TOKEN": "puppet_padlocal_x",
        "WECHATY_PUPPET_SERVICE_TLS": "false",
    }
    options = WechatyOptions.from_env(env, mode="mentioned", tls=True)
    assert options.endpoint == "127.0.0.1:8788" and options.token == "puppet_padlocal_x"
    assert options.tls is False and options.mode == "mentioned" and options.max_bytes == 2048
    assert "puppet_padlocal_x" not in repr(options.redacted())
    # the config file fills in what the environment does not set
    assert WechatyOptions.from_env({}, endpoint="h:1", token="t").endpoint == "h:1"


def test_options_are_checked() -> None:
    with pytest.raises(ValueError, match="endpoint"):
        WechatyOptions.from_env({})
    with pytest.raises(ValueError, match="token"):
        WechatyOptions.from_env({"WECHATY_PUPPET_SERVICE_ENDPOINT": "h:1"})
    with pytest.raises(ValueError, match="mode"):
        WechatyOptions("h:1", "t", mode="sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="TLS"):
        WechatyOptions.from_env({"WECHATY_PUPPET_SERVICE_TLS": "maybe"}, endpoint="h:1", token="t")
