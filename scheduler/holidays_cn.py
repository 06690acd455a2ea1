"""Which days are working days in mainland China, year by year, from the best source that knows.

Order: the operator's config (the State Council publishes next year's schedule in Nov/Dec, before
any library release) → ``chinese_calendar`` (official holidays and 调休 make-up days, but only up
to the year it was released for; later years raise NotImplementedError) → ``holidays`` (computes the
festivals, lunar ones included, for far later years, with 调休 days only where it has them) →
weekends plus the fixed-date festivals. Every step down is logged once per year, never a crash.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date, timedelta

import chinese_calendar
import holidays

log = logging.getLogger(__name__)

# 元旦, 劳动节, 国庆: the festivals whose Gregorian dates never move.
FIXED_FESTIVALS = ((1, 1), (5, 1), (10, 1), (10, 2), (10, 3))

DayRule = Callable[[date], bool]


class ChinaWorkdays:
    """``is_workday(day)`` with operator overrides first; one source decision per year, tabulated
    (the deadline of every new ticket walks the calendar day by day, and ``chinese_calendar``
    checks its whole table on each call)."""

    def __init__(self, extra_holidays: Iterable[date] = (), extra_workdays: Iterable[date] = ()) -> None:
        self.extra_holidays = frozenset(extra_holidays)
        self.extra_workdays = frozenset(extra_workdays)
        self._years: dict[int, DayRule] = {}

    def is_workday(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        rule = self._years.get(day.year)
        if rule is None:
            rule = self._years[day.year] = _tabulated(day.year, self._rule_for(day.year))
        return rule(day)

    def _rule_for(self, year: int) -> DayRule:
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
        except NotImplementedError:
            pass
        else:
            return chinese_calendar.is_workday
        rule = self._from_holidays(year)
        if rule is not None:
            return rule
        log.warning(
            "no holiday calendar knows %d: counting weekends and fixed festivals only; "
            "add the State Council schedule to [schedule] extra_holidays / extra_workdays",
            year,
        )
        return lambda day: day.weekday() < 5 and (day.month, day.day) not in FIXED_FESTIVALS

    def _from_holidays(self, year: int) -> DayRule | None:
        try:
            china = holidays.China(years=year)
        except (NotImplementedError, ValueError, KeyError):
            return None
        if not china.start_year <= year <= china.end_year:
            return None
        days_off = frozenset(d for d in china if d.year == year)
        make_up = frozenset(d for d in china.weekend_workdays if d.year == year)
        if not make_up:
            log.warning(
                "chinese_calendar does not know %d and holidays has its festivals but no 调休 "
                "make-up working days; add them to [schedule] extra_workdays once published",
                year,
            )
        return lambda day: day in make_up or (day.weekday() < 5 and day not in days_off)


def _tabulated(year: int, rule: DayRule) -> DayRule:
    """``rule`` asked once for every day of ``year``: afterwards a set look-up."""
    first = date(year, 1, 1)
    days = (first + timedelta(days=i) for i in range((date(year, 12, 31) - first).days + 1))
    workdays = frozenset(day for day in days if rule(day))
    return workdays.__contains__
