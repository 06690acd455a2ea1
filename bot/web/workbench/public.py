"""公示: closed tickets of the last days and the department ranking, for anyone, with no name in it;
of every unit, or of one and those below it (``/public/?unit=涪城区``, a link per unit).

Enterprise names are masked (绵阳华科… → 绵**…司); no free text is shown (an appeal may name people).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.web import keys
from bot.web.workbench import views
from handlers.roster.model import Roster
from storage.domain import Outcome
from storage.models import Issue

OUTCOME_NAMES = {
    Outcome.RESOLVED: "已解决",
    Outcome.EXPLAINED: "依法说明",
    Outcome.ANSWERED: "政策解答",
    Outcome.DISMISSED: "不属于诉求",
    Outcome.WITHDRAWN: "企业撤回",
}
MAX_ROWS = 500


async def public(request: web.Request) -> web.StreamResponse:
    settings = request.app[keys.CONFIG].public
    if not settings.enabled:
        return web.Response(status=404, text="未开放公示", content_type="text/plain")
    roster, unit = request.app[keys.CONFIG].roster, request.query.get("unit", "")
    units = roster.chosen(None, unit)
    if isinstance(units, str):
        return web.Response(status=404, text=units, content_type="text/plain")
    now = request.app[keys.CLOCK].now()
    start = now - timedelta(days=settings.days)
    async with request.app[keys.UOW]() as uow:
        closed = await uow.tickets.closed_appeals(since=start, limit=MAX_ROWS, units=units)
        rows = [_row(i, roster) for i in closed]
        ranking = [
            f for f in await uow.reports.ranking(start, now) if roster.department_within(f.department, units)
        ]
    context = {
        "unit": unit,
        "units": roster.units_seen(None),
        "rows": rows,
        "ranking": ranking,
        "days": settings.days,
        "since": views.local(start, False),
        "until": views.local(now, False),
    }
    return aiohttp_jinja2.render_template("public.html", request, context)


def _row(issue: Issue, roster: Roster) -> dict[str, Any]:
    days = (issue.closed_at - issue.created_at).total_seconds() / 86400 if issue.closed_at else None
    return {
        "no": issue.no,
        "category": issue.category,
        "department": issue.department or "营商办",
        "outcome": OUTCOME_NAMES.get(issue.outcome, "已办结") if issue.outcome else "已办结",
        "enterprise": views.public_label(issue.enterprise, roster),
        "days": None if days is None else round(days, 1),
        "closed": views.local(issue.closed_at, False),
    }
