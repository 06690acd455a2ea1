"""/app/reports/monthly.xlsx?month=YYYY-MM: the monthly 考核 report for leaders and 营商办, one sheet
per table (部门排名, 类别, 超期清单, 台账 of the month) — of the reader's unit and those below it;
where it has units below, their ranking against each other and a 台账 sheet for each."""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from collections import Counter
from dataclasses import replace
from datetime import datetime, time
from typing import Any

from aiohttp import web

from bot.web import keys
from bot.web.jsonutil import json_response
from bot.web.workbench import views
from bot.web.workbench.auth import signed_in
from bot.web.workbench.excel import tables_workbook
from bot.web.workbench.pages import send_file
from handlers.clock import TZ
from scheduler.deps import make_calendar
from scheduler.levels import sibling_ranking
from storage.domain import Role
from storage.ledger import LedgerFilter, Viewer
from storage.reports import UnitFigures

RANKING = ("部门", "受理", "办结", "认领用时中位（小时）", "按时办结率", "办结率", "满意率", "重开率")


def _month(text: str) -> tuple[datetime, datetime] | None:
    if not re.fullmatch(r"\d{4}-\d{2}", text) or not 1 <= int(text[5:]) <= 12:
        return None
    if not views.FIRST_YEAR <= int(text[:4]) <= views.LAST_YEAR:
        return None
    year, month = int(text[:4]), int(text[5:])
    start = datetime.combine(datetime(year, month, 1).date(), time(), TZ)
    end = datetime.combine(datetime(year + month // 12, month % 12 + 1, 1).date(), time(), TZ)
    return start, end


async def monthly_xlsx(request: web.Request) -> web.StreamResponse:
    member = await signed_in(request)
    if member is None or member.role not in (Role.LEADER, Role.COORDINATOR):
        return json_response(
            {"error": "只有领导和营商办可以导出月报", "detail": "leaders and 营商办 only"}, status=403
        )
    month = request.query.get("month", "")
    span = _month(month)
    if span is None:
        return json_response({"error": "月份格式应为 2026-11", "detail": "month=YYYY-MM"}, status=400)
    tables = await _tables(request, member, *span)
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        await asyncio.to_thread(tables_workbook, path, tables)
        return await send_file(request, path, f"月报-{month}.xlsx")
    finally:
        os.unlink(path)


async def _rows(uow: Any, rows: list[Any]) -> list[dict[str, Any]]:
    urges = await uow.ledger.urge_counts([r.id for r in rows])
    return [views.row(r, urges.get(r.id, 0)) for r in rows]


async def _ledger(uow: Any, seen: Viewer, wanted: LedgerFilter) -> list[dict[str, Any]]:
    return [r async for rows in uow.ledger.stream(seen, wanted) for r in await _rows(uow, rows)]


async def _tables(request: web.Request, member: Any, start: datetime, end: datetime) -> dict[str, Any]:
    config = request.app[keys.CONFIG]
    roster = config.roster
    seen = views.viewer(member, roster)
    children = roster.below(roster.unit_of(member)) if roster.units else []
    async with request.app[keys.UOW]() as uow:
        ranking = await uow.reports.ranking(start, end)
        ranking = [f for f in ranking if roster.department_within(f.department, seen.units)]
        filed = await _ledger(uow, seen, LedgerFilter(since=start, until=end))
        late = await _ledger(uow, seen, LedgerFilter(overdue_at=end, until=end))
        tickets = await uow.reports.unit_tickets(start, end) if children else []
        per_unit = {
            f"台账-{c}": await _ledger(
                uow, replace(seen, units=roster.subtree(c)), LedgerFilter(since=start, until=end)
            )
            for c in children
        }
    tables = _department_tables(ranking, filed, late)
    if children:
        units = sibling_ranking(tickets, roster, make_calendar(config.schedule), roster.unit_of(member), end)
        tables["下级单位对比"] = (UNITS, [_unit_row(f) for f in units])
        tables |= {
            name: (views.COLUMNS, [[r[c] for c in views.COLUMNS] for r in rows])
            for name, rows in per_unit.items()
        }
    return tables


UNITS = ("单位", "受理", "1个工作日认领率", "3个工作日反馈率", "7个工作日办结率", "上浮占比")


def _unit_row(f: UnitFigures) -> tuple[Any, ...]:
    shares = (f.taken, f.feedback, f.resolved, f.reported_up)
    return (f.unit, f.received, *(views.percent(x) for x in shares))


def _department_tables(
    ranking: list[Any], filed: list[dict[str, Any]], late: list[dict[str, Any]]
) -> dict[str, Any]:
    categories = Counter(r["现类别"] for r in filed)
    return {
        "部门排名": (
            RANKING,
            [
                (
                    f.department,
                    f.received,
                    f.handled,
                    views.hours(f.median_claim_hours),
                    views.percent(f.on_time_rate),
                    views.percent(f.resolution_rate),
                    views.percent(f.satisfaction_rate),
                    views.percent(f.reopen_rate),
                )
                for f in ranking
            ],
        ),
        "类别": (("类别", "件数"), sorted(categories.items(), key=lambda kv: -kv[1])),
        "超期清单": (views.COLUMNS, [[r[c] for c in views.COLUMNS] for r in late]),
        "台账": (views.COLUMNS, [[r[c] for c in views.COLUMNS] for r in filed]),
    }
