"""Due times per category on the working-day clock, urgency, shortening, and [schedule] validation."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from bot.config import Config
from bot.config.schedule import parse_schedule
from handlers.roster.model import Roster
from scheduler.deadlines import WorkingDayDeadlines
from scheduler.deps import make_calendar
from scheduler.settings import ScheduleSettings
from storage.models import Issue
from tests.support.scheduler import at


@pytest.fixture
def policy(roster: Roster) -> WorkingDayDeadlines:
    settings = ScheduleSettings()
    return WorkingDayDeadlines(make_calendar(settings), roster, settings)


def ticket(category: str, now: datetime, *, urgent: bool = False) -> Issue:
    return Issue(no=1, category=category, urgent=urgent, created_at=now, reopen_count=0, escalation_level=0)


@pytest.mark.parametrize(
    ("category", "claim", "resolve"),
    [
        ("政策咨询", at(2026, 11, 24, 10, 30), at(2026, 11, 30, 9, 30)),  # 8 h / 5 days
        ("用地规划", at(2026, 11, 24, 10, 30), at(2026, 12, 14, 9, 30)),  # complex: 15 days
        ("水电气暖", at(2026, 11, 23, 11, 30), at(2026, 11, 26, 9, 30)),  # utilities: 2 h / 3 days
    ],
)
def test_category_deadlines(
    policy: WorkingDayDeadlines, category: str, claim: datetime, resolve: datetime
) -> None:
    issue = ticket(category, at(2026, 11, 23, 9, 30))
    policy.stamp(issue, at(2026, 11, 23, 9, 30))
    assert (issue.claim_due, issue.resolve_due) == (claim, resolve)


def test_urgent_counts_real_time_even_on_holidays(policy: WorkingDayDeadlines) -> None:
    issue = ticket("水电气暖", at(2026, 10, 2, 22, 0), urgent=True)  # 国庆, at night
    policy.stamp(issue, at(2026, 10, 2, 22, 0))
    assert issue.claim_due == at(2026, 10, 2, 22, 30)
    assert issue.resolve_due == at(2026, 10, 3, 0, 0)


def test_deadline_over_the_spring_festival(policy: WorkingDayDeadlines) -> None:
    issue = ticket("水电气暖", at(2026, 2, 13, 10, 0))
    policy.stamp(issue, at(2026, 2, 13, 10, 0))
    assert issue.resolve_due == at(2026, 2, 25, 10, 0)  # Fri 13, Sat 14 (调休), Tue 24, Wed 25


def test_shorten_never_extends_and_restarts_a_past_deadline(policy: WorkingDayDeadlines) -> None:
    issue = ticket("政策咨询", at(2026, 11, 23, 9, 30))
    policy.stamp(issue, at(2026, 11, 23, 9, 30))
    issue.claimed_at = at(2026, 11, 23, 10, 0)
    policy.shorten(issue, at(2026, 11, 27, 9, 30))  # due Monday 09:30: already sooner than half of 5 days
    assert issue.resolve_due == at(2026, 11, 30, 9, 30)
    policy.shorten(issue, at(2026, 12, 7, 9, 30))  # past: half of 5 days from now
    assert issue.resolve_due == at(2026, 12, 9, 15, 0)


def test_example_config_parses(example_config: Config) -> None:
    s = parse_schedule(example_config.sections, frozenset(m.id for m in example_config.roster.members))
    assert s.working_hours == ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30)))
    assert [r.after_days for r in s.ladder] == [0, 2, 5] and "ld_chen" in s.ladder[-1].notify
    assert {e.name for e in s.events} == {"企业服务日", "周二晚茶会"}
    assert s.events[1].notice == timedelta(hours=5)


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ({"working_hours": ["8:30"]}, "schedule.working_hours[0]: should look like '08:30-12:00'"),
        ({"working_hours": ["08:30-12:00", "11:00-17:00"]}, "schedule.working_hours: should be non-empty"),
        ({"quiet_hours": "21:00"}, "schedule.quiet_hours: should look like"),
        ({"extra_holidays": ["2027-13-01"]}, "schedule.extra_holidays[0]: should be a date"),
        ({"digest_to": "everyone"}, "schedule.digest_to: should be one of room, leaders"),
        ({"ranking_weekday": 8}, "schedule.ranking_weekday: should be between 1 and 7"),
        ({"unrated_days": "three"}, "schedule.unrated_days: should be a number"),
        (
            {"escalation": [{"after_days": 0, "notify": ["mayor"]}]},
            "schedule.escalation[0].notify[0]: 'mayor'",
        ),
        (
            {"escalation": [{"after_days": 3, "notify": ["head"]}, {"after_days": 1, "notify": ["leaders"]}]},
            "increasing after_days",
        ),
    ],
)
def test_schedule_errors_name_the_key(schedule: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_schedule({"schedule": schedule}, frozenset({"ld_chen"}))


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"name": "茶会", "time": "19:30"}, "events[0].monthly_day: give exactly one"),
        (
            {"name": "茶会", "weekday": 2, "notice": "soon"},
            "events[0].notice: should be an ISO 8601 duration",
        ),
        ({"weekday": 2}, "events[0].name: is required"),
    ],
)
def test_event_errors_name_the_key(event: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_schedule({"events": [event]})


def test_toml_dates_are_accepted() -> None:
    s = parse_schedule({"schedule": {"extra_workdays": [date(2027, 2, 20), "2027-02-21"]}})
    assert s.extra_workdays == {date(2027, 2, 20), date(2027, 2, 21)}
