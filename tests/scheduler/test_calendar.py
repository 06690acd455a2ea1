"""The working-day clock: holidays, 调休, working hours, the calendar's horizon and config overrides."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from scheduler.calendar import WorkCalendar
from scheduler.holidays_cn import ChinaWorkdays
from tests.support.scheduler import at

cal = WorkCalendar()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 2, 13), True),  # Friday before Spring Festival
        (date(2026, 2, 14), True),  # Saturday 调休 make-up day
        (date(2026, 2, 16), False),  # 除夕
        (date(2026, 2, 23), False),  # last day of the break (a Monday)
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # Saturday 调休
        (date(2026, 9, 20), True),  # Sunday 调休 before 国庆
        (date(2026, 10, 1), False),
        (date(2026, 10, 7), False),
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),  # Saturday 调休 after 国庆
        (date(2026, 10, 11), False),
        (date(2027, 1, 1), False),  # 元旦 2027: beyond chinese-calendar, from the holidays package
        (date(2027, 1, 4), True),
        (date(2027, 2, 8), False),  # Spring Festival 2027
    ],
)
def test_workdays(day: date, working: bool) -> None:
    assert cal.is_workday(day) is working


def test_working_hours_skip_lunch_nights_and_weekends() -> None:
    assert cal.hours_per_day == 7
    assert cal.add_working_hours(at(2026, 11, 23, 11, 0), 2) == at(2026, 11, 23, 15, 0)
    assert cal.add_working_hours(at(2026, 11, 27, 16, 30), 2) == at(2026, 11, 30, 9, 30)  # Friday → Monday
    assert cal.add_working_hours(at(2026, 11, 23, 20, 0), 0) == at(2026, 11, 24, 8, 30)
    assert cal.working_hours_between(at(2026, 11, 23, 11, 0), at(2026, 11, 23, 15, 0)) == 2
    assert cal.working_hours_between(at(2026, 11, 23, 15, 0), at(2026, 11, 23, 11, 0)) == -2


def test_spring_festival_2026() -> None:
    # Friday 13 Feb 10:00 + 2 working days: Saturday 14 (调休), then the break until Tuesday 24.
    assert cal.add_working_days(at(2026, 2, 13, 10, 0), 2) == at(2026, 2, 24, 10, 0)
    assert cal.next_working_morning(at(2026, 2, 15, 9, 0)) == at(2026, 2, 24, 8, 30)


def test_national_day_week_with_its_make_up_saturday() -> None:
    # Wednesday 30 Sep 16:00 + 2 working hours: 1.5 h that day, then Thursday 8 Oct 09:00.
    assert cal.add_working_hours(at(2026, 9, 30, 16, 0), 2) == at(2026, 10, 8, 9, 0)
    # Friday 9 Oct 10:00 + 1 working day lands on Saturday 10 Oct, a working day.
    assert cal.add_working_days(at(2026, 10, 9, 10, 0), 1) == at(2026, 10, 10, 10, 0)


def test_new_year_2027_across_the_calendar_horizon(caplog: pytest.LogCaptureFixture) -> None:
    fresh = WorkCalendar()
    with caplog.at_level(logging.WARNING):
        due = fresh.add_working_hours(at(2026, 12, 31, 16, 0), 8)
    assert due == at(2027, 1, 4, 17, 0)
    assert "2027" in caplog.text and "extra_workdays" in caplog.text


def test_operators_add_the_published_schedule() -> None:
    days = ChinaWorkdays(extra_holidays=[date(2027, 2, 11)], extra_workdays=[date(2027, 2, 20)])
    assert not days.is_workday(date(2027, 2, 11))
    assert days.is_workday(date(2027, 2, 20))  # a Saturday 调休


def test_unknown_years_fall_back_to_weekends_and_fixed_festivals(caplog: pytest.LogCaptureFixture) -> None:
    days = ChinaWorkdays()
    with caplog.at_level(logging.WARNING):
        assert not days.is_workday(date(2101, 10, 1))
        assert days.is_workday(date(2101, 10, 4))  # a Tuesday
        assert not days.is_workday(date(2101, 10, 8))  # a Saturday
    assert "no holiday calendar knows 2101" in caplog.text


def test_bad_working_hours_are_refused() -> None:
    with pytest.raises(ValueError, match="working hours"):
        WorkCalendar(hours=())
