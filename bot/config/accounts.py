"""[[accounts]] and [failover]: the bot's WeChat accounts, each with its limits and its groups, and
when a group moves to another account.

Without [[accounts]] the bot has one account, ``default``, reached through [wechaty] (or the
simulator) with the limits of [sending]: a one-account config works as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from bot.config.reader import Reader
from bot.gateways.wechaty import WechatyOptions
from bot.outbox import DEFAULT_ACCOUNT, RateLimit
from storage.send_budget import SendLimits

# Safe defaults (Tencent publishes no limits): a personal account ~40 a minute and 1 a second per
# chat (WechatFerry's safe mode); a WeCom group robot 20 a minute, throttled ~10 minutes past that.
KINDS = {
    "personal": SendLimits(per_minute=40.0, per_chat_per_second=1.0, min_gap_seconds=0.5),
    "wecom": SendLimits(per_minute=20.0, per_chat_per_second=1.0, min_gap_seconds=1.0),
}
ACCOUNT_KEYS = (
    "name",
    "id",
    "kind",
    "endpoint",
    "token_env",
    "tls",
    "per_minute",
    "per_chat_per_second",
    "min_gap_seconds",
    "rooms",
    "private",
)
FAILOVER_KEYS = ("after_seconds", "check_seconds")


@dataclass(frozen=True)
class AccountConfig:
    """One WeChat account of the bot."""

    name: str
    rate: RateLimit  # its pace per room and its own limits (every process together)
    wechaty: WechatyOptions | None = None  # its puppet service; None: the simulator or a given gateway
    rooms: frozenset[str] | None = None  # the groups it is in; None: every configured group
    private: bool = True  # it may answer private chats
    wechat_id: str | None = None  # its own WeChat id: what it says in a group is no one's appeal

    def serves(self, room: str) -> bool:
        return self.rooms is None or room in self.rooms


@dataclass(frozen=True)
class Base:
    """What every account starts from: [sending]'s pace and limits, and (with the wechaty gateway)
    the [wechaty] settings; the one default account's own puppet service from [wechaty] and the
    environment."""

    rate: RateLimit
    uses_wechaty: bool
    wechaty_values: Mapping[str, Any]
    default_wechaty: Callable[[], WechatyOptions]

    def wechaty(self) -> WechatyOptions | None:
        return self.default_wechaty() if self.uses_wechaty else None


@dataclass(frozen=True)
class FailoverConfig:
    """[failover]: a group's account that is down (or its sends failing) this long hands the group
    to another account in it; back once its own account is well as long."""

    after_seconds: float = 60.0
    check_seconds: float = 5.0  # how often each process reports its accounts and looks


def parse_accounts(
    r: Reader,
    env: Mapping[str, str],
    data: Mapping[str, Any],
    base: Base,
    rooms: frozenset[str],
) -> tuple[AccountConfig, ...]:
    """[[accounts]], each over the [sending] and [wechaty] defaults; none: the one default account.
    With the simulator, the accounts' puppet services are not used (tests give each one a gateway)."""
    tables = r.tables(data, "accounts")
    if not tables:
        return (AccountConfig(DEFAULT_ACCOUNT, base.rate, base.wechaty()),)
    accounts = tuple(_account(r, env, t, f"accounts[{i}].", base, rooms) for i, t in enumerate(tables))
    names = [a.name for a in accounts]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise r.fail(f"accounts[{i}].name", f"{name!r} is the name of another account too")
    for room in sorted(rooms):
        if not any(a.serves(room) for a in accounts):
            raise r.fail("accounts", f"no account is in group {room!r} (add it to an account's rooms)")
    return accounts


def _account(
    r: Reader,
    env: Mapping[str, str],
    table: Mapping[str, Any],
    path: str,
    base: Base,
    rooms: frozenset[str],
) -> AccountConfig:
    for key in table:
        if key not in ACCOUNT_KEYS:
            hint = " (name the environment variable that holds it: token_env)" if key == "token" else ""
            raise r.fail(f"{path}{key}", f"unknown key{hint}; known: {', '.join(ACCOUNT_KEYS)}")
    name = r.get(table, "name", path, str)
    if not name.strip() or len(name) > 64:
        raise r.fail(f"{path}name", "should be 1–64 characters")
    return AccountConfig(
        name=name,
        rate=replace(base.rate, account=_limits(r, table, path)),
        wechaty=_wechaty(r, env, table, path, base) if base.uses_wechaty else None,
        rooms=_rooms(r, table, path, rooms),
        private=r.get(table, "private", path, bool, True),
        wechat_id=r.get(table, "id", path, str, None),
    )


def _limits(r: Reader, table: Mapping[str, Any], path: str) -> SendLimits:
    kind = KINDS[r.one_of(table, "kind", path, tuple(KINDS), "personal")]
    return SendLimits(
        per_minute=r.get(table, "per_minute", path, float, kind.per_minute, low=1),
        per_chat_per_second=r.get(
            table, "per_chat_per_second", path, float, kind.per_chat_per_second, low=0.1
        ),
        min_gap_seconds=r.get(table, "min_gap_seconds", path, float, kind.min_gap_seconds, low=0),
    )


def _rooms(r: Reader, table: Mapping[str, Any], path: str, known: frozenset[str]) -> frozenset[str] | None:
    if "rooms" not in table:
        return None
    listed = r.strings(table, "rooms", path)
    for i, room in enumerate(listed):
        if room not in known:
            raise r.fail(f"{path}rooms[{i}]", f"unknown group {room!r}")
    return frozenset(listed)


def _wechaty(
    r: Reader, env: Mapping[str, str], table: Mapping[str, Any], path: str, base: Base
) -> WechatyOptions:
    """The account's puppet service: its endpoint and the environment variable holding its token,
    over the [wechaty] settings (mode, message size …)."""
    token_env = r.get(table, "token_env", path, str)
    if not env.get(token_env):
        raise r.fail(f"{path}token_env", f"the environment variable {token_env} is not set")
    values = {
        **base.wechaty_values,
        "endpoint": r.get(table, "endpoint", path, str),
        "token": env[token_env].strip(),
    }
    if "tls" in table:
        values["tls"] = r.get(table, "tls", path, bool)
    try:
        return WechatyOptions(**values)
    except ValueError as exc:
        raise r.fail(path.rstrip("."), str(exc)) from None


def parse_failover(r: Reader, data: Mapping[str, Any]) -> FailoverConfig:
    table = r.table(data, "failover")
    for key in table:
        if key not in FAILOVER_KEYS:
            raise r.fail(f"failover.{key}", f"unknown key; known: {', '.join(FAILOVER_KEYS)}")
    return FailoverConfig(
        after_seconds=r.get(table, "after_seconds", "failover.", float, 60.0, low=1, high=86400),
        check_seconds=r.get(table, "check_seconds", "failover.", float, 5.0, low=0.05, high=600),
    )
