"""Typed keys for what the app holds; ``bot/app.py`` (the composition root) is the only writer."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.config import Config
from bot.gateways.simulator import SimulatorGateway
from bot.inbox_processor import InboxProcessor
from bot.outbox import OutboxSender
from bot.responders import Failover, Responders
from bot.web.throttle import ActionBudget, Throttle
from handlers.clock import Clock, ForwardClock
from handlers.context import Services
from handlers.dispatcher import Dispatcher
from handlers.messages import Gateway
from handlers.roster.live import LiveRoster
from scheduler.deps import Deps
from storage.liveness import Liveness
from storage.uow import UnitOfWorkFactory

CONFIG = web.AppKey("config", Config)
CLOCK = web.AppKey("clock", Clock)
UOW = web.AppKey("uow", UnitOfWorkFactory)
LIVENESS = web.AppKey("liveness", Liveness)  # this process's mark of life; finds dead ones (PostgreSQL)
SERVICES = web.AppKey("services", Services)
DEPS = web.AppKey("deps", Deps)  # the scheduler's view; time travel runs its jobs
DISPATCHER = web.AppKey("dispatcher", Dispatcher)
INBOX = web.AppKey("inbox", InboxProcessor)
GATEWAY = web.AppKey("gateway", Gateway)  # the first account's (the only one, mostly)
GATEWAYS = web.AppKey[dict[str, Gateway]]("gateways")  # account name -> its gateway
SENDERS = web.AppKey[dict[str, OutboxSender]]("senders")  # account name -> its outbox sender
FAILOVER = web.AppKey("failover", Failover)  # with several accounts: who answers what, moves
RESPONDERS = web.AppKey("responders", Responders)  # which account answers which chat (this process's copy)
DEMO_LOGINS = web.AppKey("demo_logins", list)  # the simulator's 营商办 login lines, for the banner
LOGIN_THROTTLE = web.AppKey("login_throttle", Throttle)  # failed workbench logins
WEB_ACTIONS = web.AppKey("web_actions", ActionBudget)  # web actions a member a minute
ROSTER = web.AppKey("roster", LiveRoster)  # the configured roster plus 花名册 imports
READY = web.AppKey("ready", asyncio.Event)  # set once every resource has started
# Only when the simulator is the gateway (its routes are added only then):
SIMULATOR = web.AppKey("simulator", SimulatorGateway)
TRAVEL_CLOCK = web.AppKey("travel_clock", ForwardClock)
