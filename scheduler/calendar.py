"""The working-day clock (Asia/Shanghai): working hours on working days, holidays and 调休 included.

Deadlines such as "8 working hours to claim" or "7 working days to resolve" are counted here; a
working day is ``hours_per_day`` working hours, so 7 working days from Friday 10:00 ends at 10:00
seven working days later, skipping lunch breaks, weekends and Golden Weeks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from handlers.clock import TZ
from scheduler.holidays_cn import ChinaWorkdays

Span = tuple[time, time]
DEFAULT_HOURS: tuple[Span, ...] = ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30)))
HORIZON_DAYS = 3660  # a deadline further away than ten years is a configuration mistake


class WorkCalendar:
    def __init__(
        self,
        days: ChinaWorkdays | None = None,
        hours: Sequence[Span] = DEFAULT_HOURS,
        tz: ZoneInfo = TZ,
    ) -> None:
        if not hours or any(start >= end for start, end in hours):
            raise ValueError("working hours need at least one span, each starting before it ends")
        self.days = days or ChinaWorkdays()
        self.hours = tuple(sorted(hours))
        self.tz = tz

    @property
    def hours_per_day(self) -> float:
        return sum(
            _hours(datetime.combine(date.min, e) - datetime.combine(date.min, s)) for s, e in self.hours
        )

    def is_workday(self, day: date) -> bool:
        return self.days.is_workday(day)

    def is_working_time(self, moment: datetime) -> bool:
        local = moment.astimezone(self.tz)
        return self.is_workday(local.date()) and any(s <= local.time() < e for s, e in self.hours)

    def next_working_morning(self, moment: datetime) -> datetime:
        """The start of the first working day's first span at or after ``moment``."""
        local = moment.astimezone(self.tz)
        day = local.date() if local.time() <= self.hours[0][0] else local.date() + timedelta(days=1)
        while not self.is_workday(day):
            day += timedelta(days=1)
        return self._at(day, self.hours[0][0])

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment ``hours`` working hours after ``start`` (0 = the next working moment)."""
        start = start.astimezone(self.tz)
        remaining = timedelta(hours=max(hours, 0))
        for begin, end in self._spans_from(start):
            begin = max(begin, start)
            if begin >= end:
                continue
            if remaining <= end - begin:
                return begin + remaining
            remaining -= end - begin
        raise ValueError(f"{hours} working hours from {start} is beyond the calendar horizon")

    def add_working_days(self, start: datetime, days: float) -> datetime:
        return self.add_working_hours(start, days * self.hours_per_day)

    def working_hours_between(self, a: datetime, b: datetime) -> float:
        """Working hours from ``a`` to ``b`` (negative when ``b`` is earlier)."""
        if b < a:
            return -self.working_hours_between(b, a)
        first, last = a.astimezone(self.tz).date(), b.astimezone(self.tz).date()
        if first == last:
            return self._hours_on(first, a, b)
        # The days in between whole: a ticket overdue for a year is one count, not 500 spans.
        between = (first + timedelta(days=k) for k in range(1, (last - first).days))
        whole = sum(1 for day in between if self.is_workday(day)) * self.hours_per_day
        return self._hours_on(first, a, b) + whole + self._hours_on(last, a, b)

    def _hours_on(self, day: date, a: datetime, b: datetime) -> float:
        """Working hours of ``day`` that fall between ``a`` and ``b``."""
        if not self.is_workday(day):
            return 0.0
        spans = ((self._at(day, s), self._at(day, e)) for s, e in self.hours)
        return _hours(sum((max(timedelta(0), min(e, b) - max(s, a)) for s, e in spans), timedelta(0)))

    def working_days_between(self, a: datetime, b: datetime) -> float:
        return self.working_hours_between(a, b) / self.hours_per_day

    def _spans_from(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        day = start.astimezone(self.tz).date()
        for _ in range(HORIZON_DAYS):
            if self.is_workday(day):
                for s, e in self.hours:
                    yield self._at(day, s), self._at(day, e)
            day += timedelta(days=1)

    def _at(self, day: date, moment: time) -> datetime:
        return datetime.combine(day, moment, tzinfo=self.tz)


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600
