"""The sibling ranking of units (issue 24): each unit's children ranked against each other on the
rule the cities keep (焦作: 1 working day to take a problem on, 3 to report back, 7 to finish) and on
how much they send up (上浮 share). A unit's figures include the units below it (a county's, its
parks'). Counted on the working-day clock; a ticket counts for a step once the step is done or its
time is up, so a ticket raised yesterday does not count against anyone yet."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from handlers.roster.model import Roster
from scheduler.calendar import WorkCalendar
from storage.reports import UnitFigures, UnitTicket

DAYS = {"taken": 1, "feedback": 3, "resolved": 7}  # working days for each step


def sibling_ranking(
    tickets: Sequence[UnitTicket], roster: Roster, calendar: WorkCalendar, parent: str, end: datetime
) -> list[UnitFigures]:
    """The units directly below ``parent``, best first, each with its subtree's appeals."""
    figures = []
    for unit in roster.below(parent):
        mine = [t for t in tickets if (t.unit or roster.root) in roster.subtree(unit)]
        figures.append(_figures(unit, mine, calendar, end))
    return sorted(figures, key=lambda f: (-f.score, -f.received, f.unit))


def _figures(unit: str, tickets: Sequence[UnitTicket], calendar: WorkCalendar, end: datetime) -> UnitFigures:
    def share(step: str) -> float | None:
        judged = on_time = 0
        for t in tickets:
            due = calendar.add_working_hours(t.created_at, DAYS[step] * calendar.hours_per_day)
            done: datetime | None = getattr(t, f"{step}_at")
            if done is not None or due <= end:
                judged += 1
                on_time += done is not None and done <= due
        return on_time / judged if judged else None

    up = sum(t.reported_up for t in tickets) / len(tickets) if tickets else None
    return UnitFigures(unit, len(tickets), share("taken"), share("feedback"), share("resolved"), up)
