"""/app/reports/monthly.xlsx?month=YYYY-MM: the monthly 考核 report for leaders and 营商办, one sheet
per table (部门排名, 类别, 超期清单, 台账 of the month)."""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from collections import Counter
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
from storage.domain import Role
from storage.ledger import LedgerFilter

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


async def _tables(request: web.Request, member: Any, start: datetime, end: datetime) -> dict[str, Any]:
    seen = views.viewer(member, request.app[keys.CONFIG].roster)
    async with request.app[keys.UOW]() as uow:
        ranking = await uow.reports.ranking(start, end)
        filed = [
            r
            async for rows in uow.ledger.stream(seen, LedgerFilter(since=start, until=end))
            for r in await _rows(uow, rows)
        ]
        late = [
            r
            async for rows in uow.ledger.stream(seen, LedgerFilter(overdue_at=end, until=end))
            for r in await _rows(uow, rows)
        ]
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
