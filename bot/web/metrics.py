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

from bot.outbox import ACCOUNT
from bot.web import keys
from bot.web.api import authorize
from storage.domain import Priority

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
    """How the account is doing, as /metrics and the workbench's accounts page show it."""

    gateway: str
    connected: bool
    depth: dict[int, int]  # messages waiting, per priority
    sent: int  # since the database began
    given_up: int
    last_minute: int  # parts sent in the last minute
    governor_waits: int  # this process's
    inbox_lag: float  # seconds the oldest unprocessed message has waited


async def account_state(app: web.Application) -> AccountState:
    now = app[keys.CLOCK].now()
    async with app[keys.UOW]() as uow:
        depth = await uow.outbox.depth()
        sent, given_up = await uow.outbox.totals()
        last_minute = await uow.send_budget.sent_since(ACCOUNT, now - timedelta(minutes=1))
        oldest = await uow.inbox.oldest_pending()
    gateway = app[keys.GATEWAY]
    waits = app[keys.SENDER].governor_waits if keys.SENDER in app else 0
    lag = max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
    return AccountState(gateway.name, gateway.connected, depth, sent, given_up, last_minute, waits, lag)


async def _families(app: web.Application) -> list[GaugeMetricFamily | CounterMetricFamily]:
    state = await account_state(app)
    depth, sent, failed, last_minute = state.depth, state.sent, state.given_up, state.last_minute
    families: list[GaugeMetricFamily | CounterMetricFamily] = []
    outbox = GaugeMetricFamily(
        "zhuqi_outbox_depth", "Messages waiting to be sent", labels=["account", "priority"]
    )
    for priority in Priority:
        outbox.add_metric([ACCOUNT, priority.name.lower()], depth.get(priority, 0))
    families.append(outbox)
    families.append(_counter("zhuqi_outbox_sent", "Messages sent (every process)", sent))
    families.append(_counter("zhuqi_outbox_given_up", "Messages given up on (permanent errors)", failed))
    minute = GaugeMetricFamily("zhuqi_sent_last_minute", "Parts sent in the last minute", labels=["account"])
    minute.add_metric([ACCOUNT], last_minute)
    families.append(minute)
    families.append(
        GaugeMetricFamily(
            "zhuqi_inbox_lag_seconds", "Age of the oldest unprocessed message", value=state.inbox_lag
        )
    )
    connected = GaugeMetricFamily(
        "zhuqi_gateway_connected", "1 while the gateway is connected", labels=["account", "gateway"]
    )
    connected.add_metric([ACCOUNT, state.gateway], 1.0 if state.connected else 0.0)
    families.append(connected)
    waits = CounterMetricFamily(
        "zhuqi_governor_waits",
        "Times a message waited for its account's budget (this process)",
        labels=["account"],
    )
    waits.add_metric([ACCOUNT], state.governor_waits)
    families.append(waits)
    return families


def _counter(name: str, documentation: str, value: float) -> CounterMetricFamily:
    counter = CounterMetricFamily(name, documentation, labels=["account"])
    counter.add_metric([ACCOUNT], value)
    return counter
