"""What ``[schedule]`` and ``[[events]]`` say, as frozen values (``bot/config/schedule.py`` reads them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time

from scheduler.events_config import Event

DESTINATIONS = ("room", "leaders")
POLICY_PUSH = ("group", "private", "off")
LADDER_ROLES = ("handlers", "head", "leader", "leaders", "coordinators")


@dataclass(frozen=True)
class Rung:
    """One step of the escalation ladder: overdue by ``after_days`` working days → @ ``notify``."""

    after_days: float
    notify: tuple[str, ...]  # LADDER_ROLES or member ids


DEFAULT_LADDER = (
    Rung(0, ("handlers",)),
    Rung(2, ("head", "leader")),
    Rung(5, ("leader", "leaders")),
)


@dataclass(frozen=True)
class ScheduleSettings:
    working_hours: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30)))
    quiet_hours: tuple[time, time] = (time(21, 0), time(7, 30))
    extra_holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    tick_seconds: float = 60.0
    warn_before_hours: float = 4.0  # working hours before the resolve deadline
    urgent_claim_minutes: float = 30.0  # urgent tickets count on the wall clock, day and night
    urgent_resolve_hours: float = 2.0
    shorten_factor: float = 0.5  # 督办 / reopen: new time = this share of the category's time
    ladder: tuple[Rung, ...] = DEFAULT_LADDER
    unrated_days: float = 3.0  # working days after 办结 before the rating reminder
    unrated_grace_days: float = 2.0  # working days after that reminder before closing as 未评价
    revisit_days: float = 30.0  # calendar days after closing before 回头看
    digest_time: time = time(8, 45)
    digest_to: str = "leaders"
    ranking_weekday: int = 1  # ISO weekday, 1 = Monday
    ranking_time: time = time(9, 0)
    ranking_to: str = "room"
    monthly_day: int = 1
    monthly_time: time = time(9, 30)
    monthly_to: str = "leaders"
    events: tuple[Event, ...] = field(default_factory=tuple)
    # 政策找企业 ([policies]): how fitting enterprises are told, at most how many pushes a group (or
    # an enterprise, privately) gets a day, at what time, and how many days before a deadline to remind.
    policy_push: str = "group"
    policy_per_day: int = 2
    policy_time: time = time(10, 0)
    policy_remind_days: int = 7
