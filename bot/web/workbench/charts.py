"""The leaders' figures for the charts on /app/: tickets filed and closed per week, open and overdue
per department now, weekly satisfaction and on-time rates, and the department ranking — of the
reader's unit and those below it, or of one of them (``?unit=涪城区``)."""

from __future__ import annotations

import functools
from datetime import datetime, time, timedelta
from typing import Any

from aiohttp import web

from bot.web import keys
from bot.web.jsonutil import json_response
from bot.web.workbench import views
from bot.web.workbench.auth import signed_in
from handlers.clock import TZ
from handlers.roster.model import Roster
from storage.domain import Role
from storage.reports import DepartmentFigures

WEEKS = 12


def _monday(now: datetime) -> datetime:
    day = now.astimezone(TZ).date()
    return datetime.combine(day - timedelta(days=day.weekday()), time(), TZ)


async def figures(request: web.Request) -> web.Response:
    member = await signed_in(request)
    if member is None or member.role not in (Role.LEADER, Role.COORDINATOR):
        return json_response(
            {"error": "只有领导和营商办可以看统计图", "detail": "leaders and 营商办 only"}, status=403
        )
    roster = request.app[keys.CONFIG].roster
    units = roster.chosen(member, request.query.get("unit", ""))
    if isinstance(units, str):
        return json_response({"error": units, "detail": "unit: unknown or not yours"}, status=400)
    now = request.app[keys.CLOCK].now()
    starts = [_monday(now) - timedelta(weeks=WEEKS - 1 - i) for i in range(WEEKS)]
    mine = functools.partial(_within, roster, units)
    async with request.app[keys.UOW]() as uow:
        pairs = await uow.reports.opened_closed(starts[0], now, units)
        by_department = await uow.reports.open_by_department(now, units)
        weekly = [mine(await uow.reports.ranking(s, min(s + timedelta(weeks=1), now))) for s in starts[-8:]]
        ranking = mine(await uow.reports.ranking(now - timedelta(days=30), now))
    return json_response(
        {
            "units": roster.units_seen(member),
            "weeks": [s.strftime("%m/%d") for s in starts],
            "opened": [sum(1 for a, _ in pairs if s <= a < s + timedelta(weeks=1)) for s in starts],
            "closed": [
                sum(1 for _, b in pairs if b is not None and s <= b < s + timedelta(weeks=1)) for s in starts
            ],
            "departments": [d for d, _, _ in by_department],
            "open": [n for _, n, _ in by_department],
            "overdue": [k for _, _, k in by_department],
            "rate_weeks": [s.strftime("%m/%d") for s in starts[-8:]],
            "satisfaction": [_overall(w, "satisfaction_rate") for w in weekly],
            "on_time": [_overall(w, "on_time_rate") for w in weekly],
            "ranking": [_figures(f) for f in ranking],
        }
    )


def _within(
    roster: Roster, units: frozenset[str] | None, rows: list[DepartmentFigures]
) -> list[DepartmentFigures]:
    return [f for f in rows if roster.department_within(f.department, units)]


def _overall(figures: list[DepartmentFigures], name: str) -> float | None:
    """A rate over all departments, weighted by tickets handled."""
    pairs = [(getattr(f, name), f.handled) for f in figures if getattr(f, name) is not None and f.handled]
    total = sum(n for _, n in pairs)
    return round(100 * sum(r * n for r, n in pairs) / total, 1) if total else None


def _figures(f: DepartmentFigures) -> dict[str, Any]:
    return {
        "department": f.department,
        "received": f.received,
        "handled": f.handled,
        "median_claim_hours": views.hours(f.median_claim_hours),
        "on_time": views.percent(f.on_time_rate),
        "satisfaction": views.percent(f.satisfaction_rate),
        "resolution": views.percent(f.resolution_rate),
    }
