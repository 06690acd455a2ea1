"""Due times per ticket: ``claim_hours`` / ``resolve_days`` of its category on the working-day clock.

Urgent tickets (停产、断电、工资发不出 …) count on the wall clock instead: a factory without
power on Saturday night cannot wait for Monday 08:30. 督办 and reopening shorten the time left.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from handlers.roster.model import Category, Roster
from scheduler.calendar import WorkCalendar
from scheduler.settings import ScheduleSettings
from storage.domain import FALLBACK_CATEGORY
from storage.models import Issue

log = logging.getLogger(__name__)
FALLBACK = Category(name=FALLBACK_CATEGORY)


class WorkingDayDeadlines:
    """The ``handlers.context.DeadlinePolicy`` the app sets on ``Services.deadlines``."""

    def __init__(self, calendar: WorkCalendar, roster: Roster, settings: ScheduleSettings) -> None:
        self.calendar = calendar
        self.roster = roster
        self.settings = settings

    def stamp(self, issue: Issue, now: datetime) -> None:
        """Set both due times for a new ticket."""
        issue.claim_due = self.claim_due(issue, now)
        issue.resolve_due = self.resolve_due(issue, now)

    def claim_due(self, issue: Issue, start: datetime, factor: float = 1.0) -> datetime:
        if issue.urgent:
            return start + timedelta(minutes=self.settings.urgent_claim_minutes * factor)
        return self.calendar.add_working_hours(start, self._category(issue).claim_hours * factor)

    def resolve_due(self, issue: Issue, start: datetime, factor: float = 1.0) -> datetime:
        if issue.urgent:
            return start + timedelta(hours=self.settings.urgent_resolve_hours * factor)
        return self.calendar.add_working_days(start, self._category(issue).resolve_days * factor)

    def restart_claim(self, issue: Issue, now: datetime) -> None:
        """转办: the new department gets the category's full time to claim, from now."""
        issue.claim_due = self.claim_due(issue, now)

    def shorten(self, issue: Issue, now: datetime) -> None:
        """督办 or reopen: at most ``shorten_factor`` of the category's time from now.

        A due time already sooner stays; one already past (a reopened ticket) starts afresh.
        """
        factor = self.settings.shorten_factor
        issue.resolve_due = _sooner(issue.resolve_due, self.resolve_due(issue, now, factor), now)
        if issue.claimed_at is None:
            issue.claim_due = _sooner(issue.claim_due, self.claim_due(issue, now, factor), now)
        log.info("ticket #%s due times shortened: resolve by %s", issue.no, issue.resolve_due)

    def _category(self, issue: Issue) -> Category:
        return self.roster.category(issue.category) or self.roster.category(FALLBACK_CATEGORY) or FALLBACK


def _sooner(current: datetime | None, proposed: datetime, now: datetime) -> datetime:
    if current is not None and now < current < proposed:
        return current
    return proposed
