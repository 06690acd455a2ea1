"""What a job needs, built once by the app: ``async def job(deps, now)`` reads everything from here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from handlers.clock import TZ, Clock
from handlers.context import Services
from handlers.roster.live import LiveRoster
from scheduler.calendar import WorkCalendar
from scheduler.holidays_cn import ChinaWorkdays
from scheduler.settings import ScheduleSettings
from storage.uow import UnitOfWork


def _nothing() -> None:
    return None


@dataclass
class Capacity:
    """What each group's account may still send today beyond what already waits for it: a message
    to many groups is composed only for the groups whose account has room left."""

    account_of: dict[str, str]  # group -> the account answering it
    left: dict[str, float]  # account -> messages it may still send today

    def take(self, room: str) -> bool:
        """One message for ``room``, if its account has room for it today."""
        account = self.account_of.get(room)
        if account is None or account not in self.left:
            return True
        if self.left[account] < 1:
            return False
        self.left[account] -= 1
        return True


async def unlimited(_uow: UnitOfWork, _now: datetime) -> Capacity | None:
    return None


def make_calendar(schedule: ScheduleSettings) -> WorkCalendar:
    days = ChinaWorkdays(schedule.extra_holidays, schedule.extra_workdays)
    return WorkCalendar(days, schedule.working_hours)


@dataclass
class Deps:
    uow: Callable[[], UnitOfWork]
    services: Services
    clock: Clock
    schedule: ScheduleSettings
    calendar: WorkCalendar
    wake: Callable[[], None] = field(default=_nothing)  # nudges the outbox sender after a commit
    roster: LiveRoster | None = None  # 花名册 imports by another process or the CLI are applied on a tick
    # What the accounts may still send today (None: unlimited, the simulator); read in a job's uow.
    capacity: Callable[[UnitOfWork, datetime], Awaitable[Capacity | None]] = unlimited

    @classmethod
    def build(
        cls,
        uow: Callable[[], UnitOfWork],
        services: Services,
        clock: Clock,
        schedule: ScheduleSettings,
        wake: Callable[[], None] = _nothing,
    ) -> Deps:
        """With the working-day calendar that ``schedule`` describes."""
        return cls(uow, services, clock, schedule, make_calendar(schedule), wake)

    def may_send(self, moment: datetime, urgent: bool = False) -> bool:
        """Non-urgent reminders only on working days, from the working morning to quiet hours.

        Urgent tickets (停产、断电 …) are excepted: that is exactly when someone must be woken.
        """
        if urgent:
            return True
        local = moment.astimezone(TZ)
        quiet_start, quiet_end = self.schedule.quiet_hours
        t = local.time()
        quiet = (
            (quiet_start <= t or t < quiet_end) if quiet_start > quiet_end else quiet_start <= t < quiet_end
        )
        morning = self.calendar.hours[0][0]
        return self.calendar.is_workday(local.date()) and t >= morning and not quiet
