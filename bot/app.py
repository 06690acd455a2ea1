"""The composition root: ``create_app(config, gateway=…, clock=…)`` wires the running service.

Everything is built from arguments here and nowhere else. Each resource opens in its own
``cleanup_ctx`` (database, classifier and workflow, gateway, outbox sender, scheduler), so when
one fails to start, every one that did start before it is closed again, in reverse order.
Nothing happens at import time.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import replace

from aiohttp import web

from bot.accounts import demo_logins
from bot.config import Config
from bot.config.accounts import AccountConfig
from bot.gateways.simulator import SimulatedAccount, SimulatorGateway
from bot.gateways.wechaty import WechatyGateway
from bot.inbox_processor import InboxProcessor
from bot.outbox import LeaseReaper, OutboxSender, OutboxSignal, RateLimit
from bot.responders import Failover, HeldAccount, Responders, SharedRoomKeys, capacity, process_holder
from bot.web import keys
from bot.web.errors import json_errors
from bot.web.inputs import MAX_BODY
from bot.web.routes import setup_routes
from bot.web.workbench.site import setup_workbench
from handlers.clock import Clock, ForwardClock, SystemClock
from handlers.commands.table import command_table
from handlers.context import Services
from handlers.dispatcher import Dispatcher
from handlers.intake.classifier import default_classifier
from handlers.intake.learning import replay_corrections
from handlers.messages import Gateway
from handlers.parser import looks_like_command
from handlers.roster.live import LiveRoster
from handlers.verdict import Classifier
from scheduler.deadlines import WorkingDayDeadlines
from scheduler.deps import Deps, make_calendar, unlimited
from scheduler.jobs.welcome import greet_new_rooms
from scheduler.tick import build_scheduler
from storage.chat_feed import ChatFeed
from storage.db import open_database, session_factory
from storage.liveness import Liveness
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)
Resource = Callable[[web.Application], AsyncIterator[None]]
SENDER_STOP_SECONDS = 30.0  # one send may take its send_timeout; unsent rows stay in the outbox


def create_app(
    config: Config,
    *,
    gateway: Gateway | None = None,
    gateways: Mapping[str, Gateway] | None = None,
    clock: Clock | None = None,
    classifier: Classifier | None = None,
) -> web.Application:
    """Each account's gateway is built from the config unless given: ``gateways`` by account name,
    ``gateway`` for the first account (the simulator adds its page and time travel)."""
    # The app's own roster: a 花名册 import changes it in place, never another app's (tests share configs).
    config = replace(config, roster=replace(config.roster))
    given = {**(gateways or {}), **({config.accounts[0].name: gateway} if gateway is not None else {})}
    simulated = not given and config.gateway == "simulator"
    the_clock = clock or (ForwardClock() if simulated else SystemClock())
    signal = OutboxSignal()
    # Who answers which chat: the senders lease by it, the jobs ask it what each group's account may send.
    responders = Responders(config.accounts[0].name if len(config.accounts) == 1 else None)
    app = web.Application(middlewares=[json_errors], client_max_size=MAX_BODY)
    app[keys.CONFIG], app[keys.CLOCK], app[keys.READY] = config, the_clock, asyncio.Event()
    if simulated:
        if not isinstance(the_clock, ForwardClock):
            raise TypeError("the simulator's time travel needs a ForwardClock")
        app[keys.TRAVEL_CLOCK] = the_clock
    app.cleanup_ctx.extend(
        [
            _database,
            _workflow(classifier, signal, responders),
            _inbox,
            _gateways(given, signal),
            _senders(signal, responders),
            _scheduler,
        ]
    )
    setup_routes(app, simulator_on=simulated)
    setup_workbench(app)
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    engine = await open_database(app[keys.CONFIG].database_url)
    liveness = app[keys.LIVENESS] = Liveness(engine, process_holder())
    try:
        await liveness.hold()
        uow = app[keys.UOW] = UnitOfWorkFactory(session_factory(engine))
        if keys.TRAVEL_CLOCK in app:
            # Time travel survives a restart: the group's history never runs backward.
            async with uow() as u:
                app[keys.TRAVEL_CLOCK].resume_from(await u.chat_log.latest_at())
        yield
    finally:
        await liveness.release()
        await engine.dispose()


def _workflow(classifier: Classifier | None, signal: OutboxSignal, responders: Responders) -> Resource:
    """The classifier (trained once from the seed corpus, then loaded from its cache), the
    corrections taught before a restart, the working-day clock and the dispatcher."""

    async def workflow(app: web.Application) -> AsyncIterator[None]:
        config, clock, uow = app[keys.CONFIG], app[keys.CLOCK], app[keys.UOW]
        the_classifier = (
            classifier
            if classifier is not None
            else await asyncio.to_thread(
                default_classifier, config.roster, config.model_dir, config.model_file
            )
        )
        await replay_corrections(uow, the_classifier)
        roster = app[keys.ROSTER] = LiveRoster(config.roster)
        await roster.refresh(uow)  # imported 花名册 members join the configured ones
        calendar = make_calendar(config.schedule)
        services = Services(
            roster=config.roster,
            classifier=the_classifier,
            settings=config.settings,
            deadlines=WorkingDayDeadlines(calendar, config.roster, config.schedule),
            policies=config.policies,
        )
        app[keys.SERVICES] = services
        # The simulator is not WeChat: it may say as much as it likes.
        limited = keys.TRAVEL_CLOCK not in app
        rooms = [room.id for room in config.roster.rooms]
        app[keys.DEPS] = Deps(
            uow,
            services,
            clock,
            config.schedule,
            calendar,
            wake=signal.wake,
            roster=roster,
            capacity=capacity(config.accounts, responders, rooms) if limited else unlimited,
        )
        app[keys.DISPATCHER] = Dispatcher(uow, services, clock, command_table(), on_commit=signal.wake)
        yield

    return workflow


async def _inbox(app: web.Application) -> AsyncIterator[None]:
    """The loop that processes stored messages: what a crash left unprocessed goes first."""
    processor = app[keys.INBOX] = InboxProcessor(app[keys.DISPATCHER])
    await processor.drain()
    task = asyncio.create_task(processor.run(), name="inbox")
    try:
        yield
    finally:
        processor.stop()
        await asyncio.gather(task, return_exceptions=True)


def _gateways(given: Mapping[str, Gateway], signal: OutboxSignal) -> Resource:
    """Each account's gateway (given, or built from its config), started with the inbox: with several
    accounts a group message is stored once whichever account brings it."""

    async def gateways(app: web.Application) -> AsyncIterator[None]:
        accounts = app[keys.CONFIG].accounts
        own = frozenset(a.wechat_id for a in accounts if a.wechat_id)
        receiver = app[keys.INBOX] if len(accounts) == 1 else SharedRoomKeys(app[keys.INBOX], own)
        built = {a.name: given.get(a.name) or _configured_gateway(app, a, signal) for a in accounts}
        app[keys.GATEWAYS], app[keys.GATEWAY] = built, built[accounts[0].name]
        started: list[Gateway] = []
        try:
            for gateway in built.values():
                await gateway.start(receiver)
                started.append(gateway)
            yield
        finally:
            for gateway in reversed(started):
                await gateway.stop()

    return gateways


def _configured_gateway(app: web.Application, account: AccountConfig, signal: OutboxSignal) -> Gateway:
    config = app[keys.CONFIG]
    if account.wechaty is not None:
        verbs = app[keys.DISPATCHER].commands.verbs
        wechaty = WechatyGateway.from_roster(
            account.wechaty,
            config.roster,
            looks_like_command=lambda text: looks_like_command(text, verbs),
            # Back online: replies held while it was down go out now, not after their backoff.
            on_connected=signal.retry_soon,
        )
        # A 花名册 import reaches the gateway's contact mapping without reconnecting.
        app[keys.ROSTER].listeners.append(lambda roster: wechaty.update_roster(members=roster.members))
        return wechaty
    if keys.SIMULATOR not in app:
        app[keys.SIMULATOR] = SimulatorGateway(
            app[keys.UOW], config.roster, app[keys.CLOCK], ChatFeed(app[keys.UOW].sessions)
        )
    if len(config.accounts) == 1:
        return app[keys.SIMULATOR]
    return SimulatedAccount(app[keys.SIMULATOR], account.name)  # several accounts, paced as on WeChat


def _senders(signal: OutboxSignal, responders: Responders) -> Resource:
    """An outbox sender per account, each sending what the chats its account answers have due; with
    several accounts, the failover check that says who answers what."""

    async def senders(app: web.Application) -> AsyncIterator[None]:
        config, gateways = app[keys.CONFIG], app[keys.GATEWAYS]
        single = responders.single
        app[keys.RESPONDERS] = responders
        built = app[keys.SENDERS] = {a.name: _sender(app, a, signal, responders) for a in config.accounts}
        # The simulator gets the bot's replies in the transaction that handles their message.
        app[keys.DISPATCHER].deliver = built[single].stores_directly() if single else None
        loops: list[tuple[Failover | OutboxSender | LeaseReaper, asyncio.Task[None]]] = []
        if single is None:
            held = [HeldAccount(a, gateways[a.name], built[a.name]) for a in config.accounts]
            failover = app[keys.FAILOVER] = Failover(
                app[keys.UOW],
                app[keys.CLOCK],
                config.accounts,
                held,
                config.failover,
                responders,
                signal.retry_soon,
                app[keys.LIVENESS].holder,
            )
            await failover.start(room.id for room in config.roster.rooms)
            loops.append((failover, asyncio.create_task(failover.run(), name="failover")))
        loops += [(s, asyncio.create_task(s.run(), name=f"outbox-{s.account}")) for s in built.values()]
        if app[keys.LIVENESS].watched:  # several processes may share the outbox: a dead one's leases
            reaper = LeaseReaper(
                app[keys.UOW], app[keys.CLOCK], app[keys.LIVENESS], config.failover.check_seconds
            )
            loops.append((reaper, asyncio.create_task(reaper.run(), name="lease-reaper")))
        try:
            yield
        finally:
            await _stop(loops)

    return senders


def _sender(
    app: web.Application, account: AccountConfig, signal: OutboxSignal, responders: Responders
) -> OutboxSender:
    # The simulator's one account is a local page, not WeChat: no pacing there, so the demo feels
    # live. Several simulated accounts are paced as on WeChat (their limits and failover are the point).
    unpaced = keys.SIMULATOR in app and len(app[keys.CONFIG].accounts) == 1
    rate = RateLimit(0, (0, 0)) if unpaced else account.rate
    return OutboxSender(
        app[keys.UOW],
        app[keys.GATEWAYS][account.name],
        app[keys.CLOCK],
        rate,
        signal,
        account=account.name,
        chats=functools.partial(responders.chats_of, account.name),
        holder=app[keys.LIVENESS].holder,
    )


async def _stop(loops: list[tuple[Failover | OutboxSender | LeaseReaper, asyncio.Task[None]]]) -> None:
    """Stop the loops, then wait for each (a sender finishes the message it is sending)."""
    for loop, _task in loops:
        loop.stop()
    for _loop, task in loops:
        try:
            await asyncio.wait_for(task, SENDER_STOP_SECONDS)
        except TimeoutError:
            log.warning("%s did not stop within %s s; cancelled", task.get_name(), SENDER_STOP_SECONDS)


async def _scheduler(app: web.Application) -> AsyncIterator[None]:
    config, deps = app[keys.CONFIG], app[keys.DEPS]
    if keys.SIMULATOR in app:  # the demo: 营商办 can sign in to the workbench at once
        app[keys.DEMO_LOGINS] = await demo_logins(app[keys.UOW], config)
    if config.welcome:
        await greet_new_rooms(deps, deps.clock.now())
    scheduler = build_scheduler(config, deps)
    scheduler.start()
    app[keys.READY].set()
    log.info("zhuqi ready: gateway=%s", app[keys.GATEWAY].name)
    try:
        yield
    finally:
        app[keys.READY].clear()
        scheduler.shutdown(wait=False)
