"""/metrics in the Prometheus text format: what an operator watches on a city's deployment — the
outbox's depth by account and priority, messages sent, the inbox's lag, whether the gateway is
connected, how often the send governor made a message wait.

Each scrape reads the database (every bot process's work is there) and builds a fresh registry, so
nothing is kept between scrapes; the governor's waits are this process's own. The admin token is
required (``Authorization: Bearer …``; Prometheus: ``authorization: {credentials: …}``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from bot.config import Config
from bot.config.accounts import AccountConfig
from bot.web import keys
from bot.web.api import authorize
from storage.domain import PRIVATE_CHATS, Priority
from storage.responders import Moved

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _Snapshot(Collector):
    def __init__(self, families: list[GaugeMetricFamily | CounterMetricFamily]) -> None:
        self.families = families

    def collect(self):  # type: ignore[no-untyped-def]  # prometheus_client's own signature
        yield from self.families


async def metrics(request: web.Request) -> web.Response:
    authorize(request)
    registry = CollectorRegistry()
    registry.register(_Snapshot(await _families(request.app)))
    return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE})


@dataclass(frozen=True)
class AccountState:
    """How one account is doing, as /metrics and the workbench's accounts page show it."""

    name: str
    gateway: str
    connected: bool  # this process's gateway for it
    depth: dict[int, int]  # messages waiting in the chats it answers, per priority
    last_minute: int  # parts it sent in the last minute (every process)
    per_minute: float | None  # its limit
    governor_waits: int  # this process's
    rooms: list[str]  # the groups it answers now
    private: bool  # it answers private chats


@dataclass(frozen=True)
class BotState:
    accounts: list[AccountState]
    sent: int  # since the database began
    given_up: int
    inbox_lag: float  # seconds the oldest unprocessed message has waited
    moves: list[Moved]  # the latest, newest first
    move_count: int  # since the database began


async def bot_state(app: web.Application) -> BotState:
    now, config = app[keys.CLOCK].now(), app[keys.CONFIG]
    async with app[keys.UOW]() as uow:
        depth = await uow.outbox.depth()
        sent, given_up = await uow.outbox.totals()
        minute = {
            a.name: await uow.send_budget.sent_since(a.name, now - timedelta(minutes=1))
            for a in config.accounts
        }
        oldest = await uow.inbox.oldest_pending()
        answering = {r.chat: r.account for r in await uow.responders.all()}
        moves, move_count = await uow.responders.moves(), await uow.responders.move_count()
    if len(config.accounts) == 1:  # the one account answers everything; nothing in the table
        answering = {chat: config.accounts[0].name for chat in [*_rooms(config), PRIVATE_CHATS]}
    accounts = [_account(app, a, answering, depth, minute[a.name]) for a in config.accounts]
    lag = max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
    return BotState(accounts, sent, given_up, lag, moves, move_count)


def _rooms(config: Config) -> list[str]:
    return [room.id for room in config.roster.rooms]


def _account(
    app: web.Application,
    account: AccountConfig,
    answering: dict[str, str],
    depth: dict[tuple[str | None, int], int],
    last_minute: int,
) -> AccountState:
    gateway, sender = app[keys.GATEWAYS][account.name], app[keys.SENDERS].get(account.name)
    mine = {chat for chat, name in answering.items() if name == account.name}
    waiting: dict[int, int] = {}
    for (room, priority), n in depth.items():
        if (room or PRIVATE_CHATS) in mine:
            waiting[priority] = waiting.get(priority, 0) + n
    limits = account.rate.account
    return AccountState(
        name=account.name,
        gateway=gateway.name,
        connected=gateway.connected,
        depth=waiting,
        last_minute=last_minute,
        per_minute=limits.per_minute if limits else None,
        governor_waits=sender.governor_waits if sender else 0,
        rooms=[room for room in _rooms(app[keys.CONFIG]) if room in mine],
        private=PRIVATE_CHATS in mine,
    )


async def _families(app: web.Application) -> list[GaugeMetricFamily | CounterMetricFamily]:
    state = await bot_state(app)
    labels = ["account"]
    outbox = GaugeMetricFamily(
        "zhuqi_outbox_depth", "Messages waiting to be sent", labels=[*labels, "priority"]
    )
    minute = GaugeMetricFamily("zhuqi_sent_last_minute", "Parts sent in the last minute", labels=labels)
    connected = GaugeMetricFamily(
        "zhuqi_gateway_connected", "1 while the gateway is connected", labels=[*labels, "gateway"]
    )
    waits = CounterMetricFamily(
        "zhuqi_governor_waits",
        "Times a message waited for its account's budget (this process)",
        labels=labels,
    )
    groups = GaugeMetricFamily("zhuqi_account_groups", "Groups the account answers now", labels=labels)
    for a in state.accounts:
        for priority in Priority:
            outbox.add_metric([a.name, priority.name.lower()], a.depth.get(priority, 0))
        minute.add_metric([a.name], a.last_minute)
        connected.add_metric([a.name, a.gateway], 1.0 if a.connected else 0.0)
        waits.add_metric([a.name], a.governor_waits)
        groups.add_metric([a.name], len(a.rooms))
    return [
        outbox,
        minute,
        connected,
        waits,
        groups,
        CounterMetricFamily("zhuqi_outbox_sent", "Messages sent (every process)", value=state.sent),
        CounterMetricFamily(
            "zhuqi_outbox_given_up", "Messages given up on (permanent errors)", value=state.given_up
        ),
        CounterMetricFamily("zhuqi_responder_moves", "Chats moved between accounts", value=state.move_count),
        GaugeMetricFamily(
            "zhuqi_inbox_lag_seconds", "Age of the oldest unprocessed message", value=state.inbox_lag
        ),
    ]
