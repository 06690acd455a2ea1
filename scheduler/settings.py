"""``[schedule]`` and ``[[events]]`` from the raw config tables, validated.

Problems raise ``ValueError("schedule.working_hours[0]: should look like '08:30-12:00', got 'x'")``:
the key, then what is wrong; the app prefixes the file name (scheduler never imports bot).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from scheduler.events_config import Event, parse_events
from scheduler.parsing import Table, one_of, read, span, spans, when

DESTINATIONS = ("room", "leaders")
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


def parse_schedule(sections: Mapping[str, Any], member_ids: frozenset[str] | None = None) -> ScheduleSettings:
    """Build the settings; ``member_ids`` (the roster) lets ladder entries name people."""
    t: Table = sections.get("schedule", {})
    if not isinstance(t, dict):
        raise ValueError("schedule: should be a table ([schedule])")
    d = ScheduleSettings()
    p = "schedule."
    return ScheduleSettings(
        working_hours=spans(t, "working_hours", p, d.working_hours),
        quiet_hours=span(t, "quiet_hours", p, d.quiet_hours, wrap=True),
        extra_holidays=frozenset(read(t, "extra_holidays", p, list[date], [])),
        extra_workdays=frozenset(read(t, "extra_workdays", p, list[date], [])),
        tick_seconds=read(t, "tick_seconds", p, float, d.tick_seconds, low=1),
        warn_before_hours=read(t, "warn_before_hours", p, float, d.warn_before_hours, low=0),
        urgent_claim_minutes=read(t, "urgent_claim_minutes", p, float, d.urgent_claim_minutes, low=1),
        urgent_resolve_hours=read(t, "urgent_resolve_hours", p, float, d.urgent_resolve_hours, low=0.1),
        shorten_factor=read(t, "shorten_factor", p, float, d.shorten_factor, low=0.05, high=1),
        ladder=_ladder(t, member_ids),
        unrated_days=read(t, "unrated_days", p, float, d.unrated_days, low=0),
        unrated_grace_days=read(t, "unrated_grace_days", p, float, d.unrated_grace_days, low=0),
        revisit_days=read(t, "revisit_days", p, float, d.revisit_days, low=1),
        digest_time=when(t, "digest_time", p, d.digest_time),
        digest_to=one_of(t, "digest_to", p, DESTINATIONS, d.digest_to),
        ranking_weekday=int(read(t, "ranking_weekday", p, int, d.ranking_weekday, low=1, high=7)),
        ranking_time=when(t, "ranking_time", p, d.ranking_time),
        ranking_to=one_of(t, "ranking_to", p, DESTINATIONS, d.ranking_to),
        monthly_day=int(read(t, "monthly_day", p, int, d.monthly_day, low=1, high=28)),
        monthly_time=when(t, "monthly_time", p, d.monthly_time),
        monthly_to=one_of(t, "monthly_to", p, DESTINATIONS, d.monthly_to),
        events=parse_events(sections.get("events", [])),
    )


def _ladder(t: Table, member_ids: frozenset[str] | None) -> tuple[Rung, ...]:
    items = t.get("escalation")
    if items is None:
        return DEFAULT_LADDER
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise ValueError(
            "schedule.escalation: should be a non-empty array of tables ([[schedule.escalation]])"
        )
    rungs = []
    for i, item in enumerate(items):
        path = f"schedule.escalation[{i}]."
        notify = tuple(read(item, "notify", path, list[str]))
        for j, who in enumerate(notify):
            if who not in LADDER_ROLES and member_ids is not None and who not in member_ids:
                raise ValueError(
                    f"{path}notify[{j}]: {who!r} is neither one of {', '.join(LADDER_ROLES)} nor a member id"
                )
        rungs.append(Rung(read(item, "after_days", path, float, low=0), notify))
    if [r.after_days for r in rungs] != sorted(r.after_days for r in rungs):
        raise ValueError("schedule.escalation: rungs should be in increasing after_days order")
    return tuple(rungs)
