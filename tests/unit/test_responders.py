"""Several bot accounts: the [[accounts]] config, each group's home, the health the processes
report, the moves the failover plans, and the key every account's copy of a group message shares."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import EXAMPLE, ConfigError, load_config
from bot.config.accounts import AccountConfig
from bot.outbox import RateLimit
from bot.responders import Health, Move, Responders, SharedRoomKeys, health, homes, plan, present_in, shared
from handlers.messages import IncomingMessage
from storage.domain import PRIVATE_CHATS, MoveReason
from storage.models import AccountHealth
from storage.outbox import Chats
from tests.support.fakes import CollectingInbox
from tests.support.levels import flat_example

BASE = flat_example()  # one group: the accounts must cover it
ROOMS = """
[[rooms]]
id = "kaifeng@chatroom"
name = "开封企业家"

[[rooms]]
id = "lankao@chatroom"
name = "兰考企业家"
"""
ACCOUNTS = """
[[accounts]]
name = "小助手一号"
endpoint = "127.0.0.1:8788"
token_env = "TOKEN_ONE"

[[accounts]]
name = "小助手二号"
id = "wxid_helper_two"
kind = "wecom"
endpoint = "127.0.0.1:8789"
token_env = "TOKEN_TWO"
rooms = ["kaifeng@chatroom", "lankao@chatroom"]
private = false

[failover]
after_seconds = 90
"""
ENV = {"TOKEN_ONE": "t1", "TOKEN_TWO": "t2"}
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def _config(tmp_path: Path, accounts: str = ACCOUNTS, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    text = BASE.replace('gateway = "simulator"', 'gateway = "wechaty"', 1) + ROOMS + accounts
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path, load_config(path, env=ENV if env is None else env)


def test_accounts_are_read_with_their_limits_groups_and_tokens(tmp_path: Path) -> None:
    _, config = _config(tmp_path)
    one, two = config.accounts
    assert (one.name, two.name) == ("小助手一号", "小助手二号")
    assert one.wechaty is not None and (one.wechaty.endpoint, one.wechaty.token) == ("127.0.0.1:8788", "t1")
    assert two.wechaty is not None and two.wechaty.token == "t2"
    assert one.rate.account is not None and one.rate.account.per_minute == 40  # a personal account
    assert two.rate.account is not None and two.rate.account.per_minute == 20  # a WeCom robot
    assert one.rooms is None and two.rooms == {"kaifeng@chatroom", "lankao@chatroom"}
    assert one.private and not two.private
    assert (one.wechat_id, two.wechat_id) == (None, "wxid_helper_two")
    assert config.failover.after_seconds == 90


def test_without_accounts_the_one_default_account_works_as_before() -> None:
    config = load_config(EXAMPLE, env={})
    (account,) = config.accounts
    assert account.name == "default" and account.wechaty is None and account.rate == config.rate


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('name = "小助手二号"', 'name = "小助手一号"'), "accounts[1].name: '小助手一号' is the name of another account too"),
        (('rooms = ["kaifeng@chatroom", "lankao@chatroom"]', 'rooms = ["nowhere@chatroom"]'), "accounts[1].rooms[0]: unknown group 'nowhere@chatroom'"),
        (('token_env = "TOKEN_TWO"', 'token_env = "TOKEN_NONE"'), "accounts[1].token_env: the environment variable TOKEN_NONE is not set"),
        (('token_env = "TOKEN_ONE"', 'token = "secret"'), "accounts[0].token: unknown key (name the environment variable that holds it: token_env); known: name, id, kind, endpoint, token_env, tls, per_minute, per_chat_per_second, min_gap_seconds, rooms, private"),
        (('kind = "wecom"', 'kind = "qq"'), "accounts[1].kind: should be one of personal, wecom, got 'qq'"),
        (("after_seconds = 90", "after_seconds = 0"), "failover.after_seconds: should be between 1 and 86400, got 0.0"),
        (("after_seconds = 90", "after = 90"), "failover.after: unknown key; known: after_seconds, check_seconds"),
        (('token_env = "TOKEN_ONE"\n', 'token_env = "TOKEN_ONE"\nrooms = ["kaifeng@chatroom"]\n'), "accounts: no account is in group 'mianyang-qiyejia@chatroom' (add it to an account's rooms)"),
    ],
)  # fmt: skip
def test_a_broken_account_names_the_key(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    old, new = change
    assert old in ACCOUNTS
    with pytest.raises(ConfigError) as info:
        _config(tmp_path, ACCOUNTS.replace(old, new, 1))
    assert str(info.value).endswith(f"config.toml: {message}")


def _account(name: str, rooms: set[str] | None = None, private: bool = True) -> AccountConfig:
    return AccountConfig(
        name, RateLimit(), rooms=frozenset(rooms) if rooms is not None else None, private=private
    )


ACCOUNTS_ABC = [_account("a"), _account("b", {"r1", "r2", "r3"}), _account("c", {"r3", "r4"}, private=False)]


def test_each_group_is_homed_on_the_least_loaded_account_in_it() -> None:
    chosen = homes(ACCOUNTS_ABC, ["r1", "r2", "r3", "r4", "r5"])
    assert chosen == {"r1": "a", "r2": "b", "r3": "c", "r4": "a", "r5": "a", PRIVATE_CHATS: "a"}
    assert present_in(ACCOUNTS_ABC, "r3") == ["a", "b", "c"] and present_in(ACCOUNTS_ABC, "r5") == ["a"]
    assert present_in(ACCOUNTS_ABC, PRIVATE_CHATS) == ["a", "b"]


def _report(account: str, up: bool, since: timedelta, seen: timedelta, holder: str = "p1") -> AccountHealth:
    return AccountHealth(account=account, holder=holder, up=up, since=NOW - since, seen_at=NOW - seen)


def test_health_is_up_while_any_fresh_report_says_so() -> None:
    fresh, never = timedelta(seconds=15), NOW - timedelta(hours=1)
    rows = [
        _report("a", False, timedelta(minutes=5), timedelta(seconds=1), "p1"),
        _report("a", True, timedelta(minutes=2), timedelta(seconds=2), "p2"),
        _report("b", True, timedelta(minutes=9), timedelta(minutes=3)),  # its process died 3 minutes ago
        _report("c", False, timedelta(minutes=4), timedelta(seconds=1)),
    ]
    well = health(rows, ["a", "b", "c", "d"], NOW, fresh, never)
    assert well["a"] == Health(True, NOW - timedelta(minutes=2))
    assert well["b"] == Health(False, NOW - timedelta(minutes=3))
    assert well["c"] == Health(False, NOW - timedelta(minutes=4))
    assert well["d"] == Health(False, never)  # never reported by any process


def test_the_plan_moves_a_down_accounts_chats_and_brings_them_back() -> None:
    after = timedelta(seconds=60)
    current = {"r1": ("a", "a"), "r3": ("c", "c"), "r4": ("c", "c"), "r5": ("a", "a")}

    def present(chat: str) -> list[str]:
        return present_in(ACCOUNTS_ABC, chat)

    up, down = Health(True, NOW - timedelta(hours=1)), Health(False, NOW - timedelta(seconds=61))
    # c down 61 s: r3 goes to a (fewest chats of those up in it? a has 2, b has 0: b), r4 to a
    moves = plan(current, {"a": up, "b": up, "c": down}, present, NOW, after)
    assert moves == [Move("r3", "b", MoveReason.DOWN), Move("r4", "a", MoveReason.DOWN)]
    # down only 30 s: nothing yet; no account up in r5 but its own: it stays
    recent = Health(False, NOW - timedelta(seconds=30))
    assert plan(current, {"a": up, "b": up, "c": recent}, present, NOW, after) == []
    assert plan({"r5": ("a", "a")}, {"a": down, "b": up, "c": up}, present, NOW, after) == []
    # c well again: back once it has been up as long
    moved = {"r3": ("b", "c"), "r4": ("a", "c")}
    assert (
        plan(moved, {"a": up, "b": up, "c": Health(True, NOW - timedelta(seconds=10))}, present, NOW, after)
        == []
    )
    assert plan(moved, {"a": up, "b": up, "c": up}, present, NOW, after) == [
        Move("r3", "c", MoveReason.BACK),
        Move("r4", "c", MoveReason.BACK),
    ]


def test_a_sender_sees_only_the_chats_its_account_answers() -> None:
    responders = Responders()
    responders.answering = {"r1": "a", "r2": "b", PRIVATE_CHATS: "a"}
    assert responders.chats_of("a") == Chats(frozenset({"r1"}), private=True)
    assert responders.chats_of("b") == Chats(frozenset({"r2"}), private=False)
    assert Responders(single="a").chats_of("a") is None  # the only account: every chat


def test_every_accounts_copy_of_a_group_message_has_one_key() -> None:
    at = datetime(2026, 12, 7, 10, 0, 3, 250_000, tzinfo=UTC)
    one = IncomingMessage("wx-1-from-a", "r1", "boss", "园区又停电了", at, gateway="wechaty")
    two = IncomingMessage(
        "wx-9-from-b", "r1", "boss", "园区又停电了", at + timedelta(milliseconds=400), gateway="wechaty"
    )
    assert (shared(one).gateway, shared(one).message_id) == (shared(two).gateway, shared(two).message_id)
    later = IncomingMessage("wx-2", "r1", "boss", "园区又停电了", at + timedelta(seconds=5))
    assert shared(later).message_id != shared(one).message_id
    private = IncomingMessage("wx-3", None, "boss", "你好", at, gateway="wechaty")
    assert shared(private) == private


async def test_what_one_of_the_bots_accounts_says_is_left_alone_by_the_others() -> None:
    inbox = CollectingInbox()
    receiver = SharedRoomKeys(inbox, frozenset({"wxid_helper_two"}))
    at = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    await receiver.receive(IncomingMessage("m1", "r1", "wxid_helper_two", "已受理 #1", at))
    await receiver.receive(IncomingMessage("m2", "r1", "boss", "园区又停电了", at))
    assert [(m.sender_id, m.gateway) for m in inbox.got] == [("boss", "rooms")]
