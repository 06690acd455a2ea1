"""``create_app(config, gateway=…, clock=…)``: the running service wired together.

Resources open in ``cleanup_ctx`` (engine created and migrated, sender and gateway started) and
close in reverse order. Nothing happens at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from aiohttp import web

from bot.clock import TravelClock
from bot.config import Config
from bot.gateways.simulator import SimulatorGateway
from bot.gateways.wechaty import WechatyGateway
from handlers.classifier import default_classifier
from handlers.clock import Clock, SystemClock
from handlers.context import Services
from handlers.delivery import OutboxSender, RateLimit
from handlers.dispatcher import Dispatcher
from handlers.intake_api import Classifier
from handlers.learning import replay_corrections
from handlers.messages import Gateway, IncomingMessage
from handlers.parser import looks_like_command
from handlers.registry import commands
from scheduler.deadlines import WorkingDayDeadlines
from scheduler.deps import Deps
from scheduler.setup import build_scheduler
from storage.db import open_database, session_factory
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Everything that lives while the app runs; tests reach parts of it through ``app[RUNTIME]``."""

    config: Config
    clock: Clock
    uow: UnitOfWorkFactory
    services: Services
    dispatcher: Dispatcher
    gateway: Gateway
    sender: OutboxSender
    ready: bool = False
    deps: Deps | None = None  # the scheduler's view (time travel runs its jobs)


CONFIG = web.AppKey("config", Config)
RUNTIME = web.AppKey("runtime", Runtime)


def create_app(
    config: Config,
    *,
    gateway: Gateway | None = None,
    clock: Clock | None = None,
    classifier: Classifier | None = None,
) -> web.Application:
    from bot.web.errors import database_errors

    app = web.Application(middlewares=[database_errors])
    app[CONFIG] = config
    app.cleanup_ctx.append(_runtime(gateway, clock, classifier))
    from bot.web.routes import setup_routes

    setup_routes(app)
    return app


def _runtime(
    gateway: Gateway | None, clock: Clock | None, classifier: Classifier | None
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        config = app[CONFIG]
        engine = await open_database(config.database_url)
        uow = UnitOfWorkFactory(session_factory(engine))
        the_clock = clock or (TravelClock() if config.gateway == "simulator" else SystemClock())
        if isinstance(the_clock, TravelClock):
            # Time travel survives a restart: the group's history never runs backward.
            async with uow() as u:
                the_clock.resume_from(await u.repo.latest_chat_at())
        # Training from the seed corpus happens once (seconds); later starts load the cache.
        the_classifier: Classifier = (
            classifier
            if classifier is not None
            else await asyncio.to_thread(default_classifier, config.directory, config.model_dir)
        )
        services = Services(
            directory=config.directory,
            classifier=the_classifier,
            settings=config.settings,
            policies=config.policies,
        )
        await replay_corrections(uow, services.classifier)  # 归类/转办/驳回 taught before a restart
        deps = _scheduler_deps(config, uow, services, the_clock)
        the_gateway = gateway or _gateway(config, uow, the_clock)
        # The simulator is a local page, not WeChat: no pacing there, so the demo feels live.
        rate = RateLimit(0, (0, 0)) if isinstance(the_gateway, SimulatorGateway) else config.rate
        sender = OutboxSender(uow, the_gateway, the_clock, rate)
        if isinstance(the_gateway, WechatyGateway):
            # Back online: replies held while it was down go out now, not after their backoff.
            the_gateway.on_connected = sender.retry_soon
        dispatcher = Dispatcher(uow, services, the_clock, on_commit=sender.wake)
        runtime = Runtime(config, the_clock, uow, services, dispatcher, the_gateway, sender)
        app[RUNTIME] = runtime

        async def inbox(message: IncomingMessage) -> None:
            await dispatcher.handle(message)

        await the_gateway.start(inbox)
        sender_task = asyncio.create_task(sender.run(), name="outbox-sender")
        deps.wake, runtime.deps = sender.wake, deps
        scheduler = build_scheduler(config, deps)
        scheduler.start()
        runtime.ready = True
        log.info("zhuqi ready: gateway=%s database=%s", the_gateway.name, engine.url.render_as_string())
        try:
            yield
        finally:
            runtime.ready = False
            scheduler.shutdown(wait=False)
            sender_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender_task
            await the_gateway.stop()
            await engine.dispose()

    return lifecycle


def _gateway(config: Config, uow: UnitOfWorkFactory, clock: Clock) -> Gateway:
    if config.gateway == "wechaty":
        assert config.wechaty is not None, "bot.config validates [wechaty] when the gateway is wechaty"
        verbs = commands.verbs
        return WechatyGateway.from_directory(
            config.wechaty, config.directory, looks_like_command=lambda text: looks_like_command(text, verbs)
        )
    return SimulatorGateway(uow, config.directory, clock)


def _scheduler_deps(config: Config, uow: UnitOfWorkFactory, services: Services, clock: Clock) -> Deps:
    """The working-day clock and deadlines from ``[schedule]``; sets ``services.deadlines``."""
    schedule = config.schedule
    deps = Deps.build(uow, services, clock, schedule)
    services.deadlines = WorkingDayDeadlines(deps.calendar, config.directory, schedule)
    return deps
