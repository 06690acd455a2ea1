"""``[[events]]``: recurring events (企业服务日 每月12日, 周二晚茶会 19:30) announced ahead of time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import isodate

from handlers.clock import TZ
from scheduler.parsing import read, when


@dataclass(frozen=True)
class Event:
    name: str
    at: time
    notice: timedelta  # announce this long before it starts
    monthly_day: int | None = None  # either a day of the month ...
    weekday: int | None = None  # ... or an ISO weekday (1 = Monday)
    place: str = ""
    text: str = ""
    room_id: str | None = None  # None = every configured room

    def occurrences(self, after: datetime) -> Iterator[datetime]:
        """Starts strictly after ``after``, in order (a year ahead at most)."""
        day = after.astimezone(TZ).date()
        for _ in range(400):
            if self._falls_on(day):
                start = datetime.combine(day, self.at, tzinfo=TZ)
                if start > after:
                    yield start
            day += timedelta(days=1)

    def _falls_on(self, day: date) -> bool:
        if self.monthly_day is not None:
            return day.day == self.monthly_day
        return day.isoweekday() == self.weekday


def parse_events(items: Any) -> tuple[Event, ...]:
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValueError("events: should be an array of tables ([[events]])")
    return tuple(_event(item, f"events[{i}].") for i, item in enumerate(items))


def _event(t: dict[str, Any], p: str) -> Event:
    monthly = read(t, "monthly_day", p, int, None, low=1, high=31)
    weekday = read(t, "weekday", p, int, None, low=1, high=7)
    if (monthly is None) == (weekday is None):
        raise ValueError(f"{p}monthly_day: give exactly one of monthly_day or weekday")
    notice_text = read(t, "notice", p, str, "P1D")
    try:
        notice = isodate.parse_duration(notice_text)
    except (isodate.ISO8601Error, ValueError):
        raise ValueError(
            f"{p}notice: should be an ISO 8601 duration like P1D or PT3H, got {notice_text!r}"
        ) from None
    if not isinstance(notice, timedelta) or notice <= timedelta(0):
        raise ValueError(f"{p}notice: should be a positive duration in days/hours, got {notice_text!r}")
    return Event(
        name=read(t, "name", p, str),
        at=when(t, "time", p, time(9, 0)),
        notice=notice,
        monthly_day=monthly,
        weekday=weekday,
        place=read(t, "place", p, str, ""),
        text=read(t, "text", p, str, ""),
        room_id=read(t, "room", p, str, None),
    )
