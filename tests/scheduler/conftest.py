"""Scheduler tests run on the keyword classifier and the working-day deadlines of the example config."""

from __future__ import annotations

import pytest

from bot.config import Config
from handlers.clock import ForwardClock
from handlers.context import Services
from handlers.roster.model import Roster
from scheduler.deps import Deps
from scheduler.settings import ScheduleSettings
from storage.uow import UnitOfWorkFactory
from tests.support import scheduler as s


@pytest.fixture
def schedule(example_config: Config) -> ScheduleSettings:
    return s.schedule(example_config)


@pytest.fixture
def services(roster: Roster, schedule: ScheduleSettings) -> Services:
    return s.services(roster, schedule)


@pytest.fixture
def deps(uow: UnitOfWorkFactory, services: Services, clock: ForwardClock, schedule: ScheduleSettings) -> Deps:
    return Deps.build(uow, services, clock, schedule)
