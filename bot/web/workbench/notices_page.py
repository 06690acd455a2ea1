"""通知 in the workbench: each notice with its 回执 table (and its Excel file). For leaders, 营商办
and departments."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Sequence
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.web import keys
from bot.web.workbench import views
from bot.web.workbench.auth import page_context, signed_in
from bot.web.workbench.excel import tables_workbook
from bot.web.workbench.pages import send_file
from handlers.notices.receipts import Progress, progress
from handlers.replies import notices as notice_texts
from handlers.roster.model import Member, Roster
from storage.domain import NoticeKind, NoticeStatus, Role
from storage.models import Notice

COLUMNS: Sequence[str] = ("对象", "状态", "回执人", "回执时间", "内容")


async def staff(request: web.Request) -> Member:
    """Notices and policy figures are the staff's: an enterprise account is sent to its home page."""
    member = await signed_in(request)
    assert member is not None, "require_login lets only signed-in members through"
    if member.role is Role.ENTERPRISE:
        raise web.HTTPFound("/app/")
    return member


def _summary(notice: Notice, p: Progress, roster: Roster) -> dict[str, Any]:
    poster = roster.member(notice.poster_id)
    return {
        "no": notice.no,
        "text": notice.text,
        "poster": poster.name if poster else notice.poster_id,
        "deadline": notice_texts.deadline(notice.deadline),
        "done": p.done,
        "received": p.acknowledged,
        "late": p.late,
        "total": len(p.audience),
        "audience": notice.audience,
        "closed": notice.closed_at is not None,
        "report": notice.kind == NoticeKind.REPORT,
    }


def _rows(p: Progress) -> list[Sequence[Any]]:
    """One row per unit of the audience: answered ones first (in the order they answered), then the
    rest. A 报送 notice tells 已报送 from 已收到 (content still owed)."""
    answered = sorted((u for u in p.audience if u.key in p.answered), key=lambda u: p.answered[u.key].id)
    rows: list[Sequence[Any]] = []
    for u in answered:
        r = p.answered[u.key]
        rows.append([u.name, _state(p, u), r.member_name, r.reported_at or r.at, r.report or r.text])
    rows += [[u.name, "未回复" if p.reporting else "未回执", "", None, ""] for u in p.unacknowledged]
    return rows


def _state(p: Progress, unit: Any) -> str:
    late = "逾期" if p.answered[unit.key].late else "已"
    if not p.reporting:
        return f"{late}回执"
    return f"{late}报送" if p.gave_all(unit) else "已收到，未报送"


@aiohttp_jinja2.template("notices.html")
async def notices(request: web.Request) -> dict[str, Any]:
    member = await staff(request)
    roster = request.app[keys.CONFIG].roster
    async with request.app[keys.UOW]() as uow:
        found = await uow.notices.listed()
        replies = await uow.notices.replies([n.id for n in found])
        items = [_summary(n, progress(roster, n, replies[n.id]), roster) for n in found]
    return {**await page_context(request, member), "notices": items}


async def _one(request: web.Request) -> tuple[dict[str, Any], list[Sequence[Any]]] | None:
    no = views.whole(request.match_info["no"], digits=9)
    roster = request.app[keys.CONFIG].roster
    async with request.app[keys.UOW]() as uow:
        notice = await uow.notices.by_no(no) if no else None
        if notice is None or notice.status not in (NoticeStatus.OPEN, NoticeStatus.CLOSED):
            return None
        p = progress(roster, notice, (await uow.notices.replies([notice.id]))[notice.id])
        return _summary(notice, p, roster), _rows(p)


async def notice(request: web.Request) -> web.StreamResponse:
    member = await staff(request)
    base = await page_context(request, member)
    found = await _one(request)
    if found is None:
        return aiohttp_jinja2.render_template("missing.html", request, {**base, "what": "通知"}, status=404)
    summary, rows = found
    context = {**base, "notice": summary, "rows": rows, "columns": COLUMNS, "local": views.local}
    return aiohttp_jinja2.render_template("notice.html", request, context)


async def notice_xlsx(request: web.Request) -> web.StreamResponse:
    await staff(request)
    found = await _one(request)
    if found is None:
        raise web.HTTPNotFound(text="没有这条通知")
    summary, rows = found
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        await asyncio.to_thread(tables_workbook, path, {"回执": (COLUMNS, rows)})
        return await send_file(request, path, f"通知{summary['no']}回执.xlsx")
    finally:
        os.unlink(path)
