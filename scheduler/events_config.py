"""``[[events]]``: recurring events (企业服务日 每月12日, 周二晚茶会 19:30) announced ahead of time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from handlers.clock import TZ


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
