"""Configuration: a TOML file into frozen values, validated at start, secrets from the environment.

A broken file fails with one line naming the file, the key and what is wrong, e.g.
``config.toml: departments[2].handlers[0]: unknown member 'wx_zhang'``.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from bot.config.accounts import AccountConfig, Base, FailoverConfig, parse_accounts, parse_failover
from bot.config.reader import ConfigError, Reader
from bot.config.roster import parse_roster
from bot.config.schedule import parse_schedule
from bot.gateways.wechaty import WechatyOptions
from bot.outbox import RateLimit
from handlers.context import Settings
from handlers.policy import DEFAULT_POLICY_FILE, PolicyError, PolicyLibrary, load_policies
from handlers.roster.model import Category, Department, Enterprise, Member, Room, Roster
from scheduler.settings import ScheduleSettings
from storage.domain import Role
from storage.send_budget import SendLimits

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"
DEFAULT_MODEL_DIR = Path("var") / "classifier"
T = TypeVar("T")


@dataclass(frozen=True)
class WebConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    admin_token: str = ""
    token_generated: bool = False
    # Encrypts the workbench's session cookie: ZHUQI_SESSION_KEY (32 bytes, url-safe base64) keeps
    # sessions across restarts and processes; without it a key is made per start.
    session_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    session_key_generated: bool = True  # no ZHUQI_SESSION_KEY: a restart signs everyone out
    https: bool = False  # [web] https: served behind TLS, so the session cookie is Secure
    # [web] trusted_proxies: addresses of reverse proxies whose X-Forwarded-For names the client
    # (the login throttle counts by client address); empty: the connection's own address counts.
    trusted_proxies: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PublicConfig:
    """[public]: the 公示 page at /public/."""

    enabled: bool = True
    days: int = 30  # closed tickets of the last this many days


@dataclass(frozen=True)
class Config:
    source: Path
    database_url: str
    gateway: str
    web: WebConfig
    roster: Roster
    settings: Settings
    rate: RateLimit  # [sending]: every account's pace and limits unless its own table says
    sections: Mapping[str, Any] = field(default_factory=dict)  # raw tables other modules validate
    # The bot's WeChat accounts ([[accounts]]; without them one, "default", through [wechaty]).
    accounts: tuple[AccountConfig, ...] = ()
    failover: FailoverConfig = field(default_factory=FailoverConfig)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)  # [schedule] and [[events]]
    model_dir: Path = DEFAULT_MODEL_DIR  # [intake] model_dir: the classifier's cache
    model_file: Path | None = None  # [intake] model_file: the city's own model (zhuqi classify train)
    policies: PolicyLibrary | None = None  # [intake] policy_file, loaded and checked at start
    welcome: bool = True  # [bot] welcome: introduce the bot once in each group it serves
    public: PublicConfig = field(default_factory=PublicConfig)  # [public] 公示


def config_path(env: Mapping[str, str]) -> Path:
    if env.get("ZHUQI_CONFIG"):
        return Path(env["ZHUQI_CONFIG"])
    local = Path("config.toml")
    return local if local.exists() else EXAMPLE


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    env = os.environ if env is None else env
    path = path or config_path(env)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found (set ZHUQI_CONFIG or copy config.example.toml)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    return parse_config(data, path, env)


def parse_config(data: Mapping[str, Any], source: Path, env: Mapping[str, str]) -> Config:
    r = Reader(source)
    roster = parse_roster(r, data)
    bot = data.get("bot", {})
    intake = data.get("intake", {})
    settings = _settings(r, bot, intake)
    model_dir = Path(r.get(intake, "model_dir", "intake.", str, str(DEFAULT_MODEL_DIR)))
    policies = _policies(r, source, r.get(intake, "policy_file", "intake.", str, ""))
    rate = _sending(r, data.get("sending", {}))
    gateway = _gateway(r, env, bot)
    wechaty_table = r.table(data, "wechaty")
    base = Base(
        rate, gateway == "wechaty", _wechaty_values(r, wechaty_table), lambda: _wechaty(r, env, wechaty_table)
    )
    return Config(
        source=source,
        database_url=env.get("DATABASE_URL")
        or r.get(data.get("database", {}), "url", "database.", str, "sqlite+aiosqlite:///var/zhuqi.db"),
        gateway=gateway,
        web=_web(r, env, data.get("web", {})),
        roster=roster,
        settings=settings,
        rate=rate,
        sections=data,
        accounts=parse_accounts(r, env, data, base, frozenset(room.id for room in roster.rooms)),
        failover=parse_failover(r, data),
        model_dir=model_dir,
        model_file=_model_file(r, source, r.get(intake, "model_file", "intake.", str, "")),
        policies=policies,
        schedule=_schedule(r, data, roster),
        welcome=r.get(bot, "welcome", "bot.", bool, True),
        public=_public(r, data),
    )


def _settings(r: Reader, bot: Mapping[str, Any], intake: Mapping[str, Any]) -> Settings:
    for key in intake:
        if key not in INTAKE_KEYS:
            raise r.fail(f"intake.{key}", f"unknown key; known: {', '.join(INTAKE_KEYS)}")
    settings = Settings(
        confidence_threshold=r.get(intake, "confidence_threshold", "intake.", float, 0.55),
        follow_up_minutes=r.get(bot, "follow_up_minutes", "bot.", int, 30),
        common_problem_count=r.get(intake, "common_problem_count", "intake.", int, 3),
        common_problem_days=r.get(intake, "common_problem_days", "intake.", int, 7),
        common_problem_similarity=r.get(intake, "common_problem_similarity", "intake.", float, 0.5),
    )
    for key in ("confidence_threshold", "common_problem_similarity"):
        if not 0 <= getattr(settings, key) <= 1:
            raise r.fail(f"intake.{key}", "should be between 0 and 1")
    for key in ("common_problem_count", "common_problem_days"):
        if getattr(settings, key) < 1:
            raise r.fail(f"intake.{key}", "should be at least 1")
    return settings


def _schedule(r: Reader, data: Mapping[str, Any], roster: Roster) -> ScheduleSettings:
    return parse_schedule(data, frozenset(m.id for m in roster.members), r)


SENDING_KEYS = (
    "per_room_per_minute",
    "jitter_min_seconds",
    "jitter_max_seconds",
    "per_account_per_minute",
    "per_chat_per_second",
    "min_gap_seconds",
)


def _sending(r: Reader, sending: Mapping[str, Any]) -> RateLimit:
    """[sending]: each room's pace, and the account's own limits (every process together)."""
    for key in sending:
        if key not in SENDING_KEYS:
            raise r.fail(f"sending.{key}", f"unknown key; known: {', '.join(SENDING_KEYS)}")
    account = SendLimits(
        per_minute=r.get(sending, "per_account_per_minute", "sending.", float, 40.0, low=0),
        per_chat_per_second=r.get(sending, "per_chat_per_second", "sending.", float, 1.0, low=0.1),
        min_gap_seconds=r.get(sending, "min_gap_seconds", "sending.", float, 0.5, low=0),
    )
    return RateLimit(
        per_minute=r.get(sending, "per_room_per_minute", "sending.", float, 20.0),
        jitter_seconds=(
            r.get(sending, "jitter_min_seconds", "sending.", float, 0.3),
            r.get(sending, "jitter_max_seconds", "sending.", float, 1.5),
        ),
        account=account if account.per_minute > 0 else None,
    )


INTAKE_KEYS = (
    "confidence_threshold",
    "common_problem_count",
    "common_problem_days",
    "common_problem_similarity",
    "model_dir",
    "model_file",
    "policy_file",
)


def _model_file(r: Reader, source: Path, name: str) -> Path | None:
    """A trained model file, relative to the config file; its labels are checked when it loads."""
    if not name:
        return None
    path = Path(name) if Path(name).is_absolute() else source.parent / name
    if not path.is_file():
        raise r.fail("intake.model_file", f"no such file {path}")
    return path


def _policies(r: Reader, source: Path, name: str) -> PolicyLibrary:
    """The 政策找企业 library; a relative path is read next to the config file."""
    path = DEFAULT_POLICY_FILE if not name else Path(name)
    if not path.is_absolute():
        path = source.parent / path
    try:
        return load_policies(path)
    except PolicyError as exc:
        raise r.fail("intake.policy_file", f"{path}: {exc}") from None


WECHATY_KEYS = {
    "endpoint": str,
    "tls": bool,
    "mode": str,
    "max_bytes": int,
    "tls_server_name": str,
    "send_timeout": float,
    "part_delay": float,
    "ping_interval": float,
}


def _wechaty_values(r: Reader, table: Mapping[str, Any]) -> dict[str, Any]:
    """[wechaty]'s settings, checked: every account's, with its own endpoint and token."""
    for key in table:
        if key not in WECHATY_KEYS:
            hint = " (put the token in WECHATY_PUPPET_SERVICE_TOKEN)" if key == "token" else ""
            raise r.fail(f"wechaty.{key}", f"unknown key{hint}; known: {', '.join(WECHATY_KEYS)}")
    return {k: r.get(table, k, "wechaty.", kind) for k, kind in WECHATY_KEYS.items() if k in table}


def _wechaty(r: Reader, env: Mapping[str, str], table: Mapping[str, Any]) -> WechatyOptions:
    """The one account's puppet service: the environment (WECHATY_PUPPET_SERVICE_*) wins over [wechaty]."""
    try:
        return WechatyOptions.from_env(env, **_wechaty_values(r, table))
    except ValueError as exc:
        raise r.fail("wechaty", str(exc)) from None


def _gateway(r: Reader, env: Mapping[str, str], bot: Mapping[str, Any]) -> str:
    gateway = env.get("ZHUQI_GATEWAY") or r.get(bot, "gateway", "bot.", str, "simulator")
    if gateway not in ("simulator", "wechaty"):
        raise r.fail("bot.gateway", f"should be 'simulator' or 'wechaty', got {gateway!r}")
    return gateway


def _web(r: Reader, env: Mapping[str, str], web: Mapping[str, Any]) -> WebConfig:
    port_text = env.get("ZHUQI_PORT")
    if port_text is not None and not port_text.isdigit():
        raise ConfigError(f"ZHUQI_PORT: should be a port number, got {port_text!r}")
    port = int(port_text) if port_text else r.get(web, "port", "web.", int, 8080)
    if not 0 <= port <= 65535:
        raise r.fail("web.port", f"should be 0–65535, got {port}")
    token = env.get("ZHUQI_ADMIN_TOKEN", "")
    return WebConfig(
        host=r.get(web, "host", "web.", str, "127.0.0.1"),
        port=port,
        admin_token=token or secrets.token_urlsafe(18),
        token_generated=not token,
        session_key=_session_key(env.get("ZHUQI_SESSION_KEY")),
        session_key_generated=not env.get("ZHUQI_SESSION_KEY"),
        https=r.get(web, "https", "web.", bool, False),
        trusted_proxies=_addresses(r, web),
    )


def _addresses(r: Reader, web: Mapping[str, Any]) -> frozenset[str]:
    found = set()
    for i, text in enumerate(r.strings(web, "trusted_proxies", "web.")):
        try:
            found.add(str(ipaddress.ip_address(text.strip())))
        except ValueError:
            raise r.fail(f"web.trusted_proxies[{i}]", f"should be an IP address, got {text!r}") from None
    return frozenset(found)


def _session_key(text: str | None) -> bytes:
    if not text:
        return secrets.token_bytes(32)
    try:
        key = base64.urlsafe_b64decode(text.encode())
    except (ValueError, binascii.Error):
        key = b""
    if len(key) != 32:
        raise ConfigError(
            'ZHUQI_SESSION_KEY: should be 32 bytes in url-safe base64 (python -c "import secrets,base64;'
            'print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())")'
        )
    return key


def _public(r: Reader, data: Mapping[str, Any]) -> PublicConfig:
    table = data.get("public", {})
    return PublicConfig(
        enabled=r.get(table, "enabled", "public.", bool, True),
        days=r.get(table, "days", "public.", int, 30, low=1, high=366),
    )


__all__ = [
    "Category",
    "Config",
    "ConfigError",
    "Department",
    "Enterprise",
    "Member",
    "Role",
    "Room",
    "Roster",
]
