"""The workbench pages: home, the ledger (台账), a ticket with its history and actions, the 待确认
queue, and the Excel export of the ledger as filtered."""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import Mapping
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session

from bot.web import keys
from bot.web.workbench import views
from bot.web.workbench.auth import check_csrf, page_context, signed_in
from bot.web.workbench.excel import LedgerWorkbook
from handlers.commands.children import is_done
from handlers.messages import IncomingMessage
from handlers.permissions import roles_for
from handlers.replies.children import tally
from handlers.replies.queries import event_name
from handlers.replies.texts import STATUS_NAMES, VERBS
from handlers.roster.model import Member
from storage.domain import Action, Role, Status
from storage.models import Issue


async def _member(request: web.Request) -> Member:
    member = await signed_in(request)
    assert member is not None, "require_login lets only signed-in members through"
    return member


@aiohttp_jinja2.template("home.html")
async def home(request: web.Request) -> dict[str, Any]:
    member = await _member(request)
    seen, late_now = (
        views.viewer(member, request.app[keys.CONFIG].roster),
        views.LedgerFilter(overdue_at=request.app[keys.CLOCK].now(), limit=10),
    )
    async with request.app[keys.UOW]() as uow:  # rows become plain values before the session ends
        recent = [_brief(i) for i in await uow.ledger.page(seen, views.LedgerFilter(limit=10))]
        late = [_brief(i) for i in await uow.ledger.page(seen, late_now)]
    departments = [d.name for d in request.app[keys.CONFIG].roster.departments]
    return {**await page_context(request, member), "recent": recent, "late": late, "departments": departments}


def _brief(issue: Issue) -> dict[str, Any]:
    return {
        "no": issue.no,
        "title": issue.title,
        "department": issue.department or "营商办",
        "status": STATUS_NAMES[issue.status],
    }


def _status_names() -> dict[str, str]:
    return {s.value: name for s, name in STATUS_NAMES.items()}


@aiohttp_jinja2.template("ledger.html")
async def ledger(request: web.Request) -> dict[str, Any]:
    return await _ledger(request, await _member(request), request.query)


@aiohttp_jinja2.template("ledger.html")
async def queue(request: web.Request) -> dict[str, Any]:
    """The 待确认 queue: 营商办's own page (others see their ledger)."""
    member = await _member(request)
    if member.role is not Role.COORDINATOR:
        raise web.HTTPFound("/app/issues")
    return await _ledger(request, member, {**request.query, "status": Status.CANDIDATE})


async def _ledger(request: web.Request, member: Member, query: Mapping[str, str]) -> dict[str, Any]:
    f = views.ledger_filter(query, request.app[keys.CLOCK].now())
    async with request.app[keys.UOW]() as uow:
        issues = await uow.ledger.page(views.viewer(member, request.app[keys.CONFIG].roster), f)
        urges = await uow.ledger.urge_counts([i.id for i in issues])
        rows = [views.row(i, urges.get(i.id, 0)) for i in issues]
    numbers = [r["编号"] for r in rows]
    roster = request.app[keys.CONFIG].roster
    more = len(numbers) == f.limit
    return {
        **await page_context(request, member),
        "rows": rows,
        "columns": views.COLUMNS,
        "query": query,
        "next_query": _with(query, before=str(numbers[-1])) if more else None,
        "export_query": _with(query, before=None),
        "local": views.local,
        "statuses": _status_names(),
        "categories": [c.name for c in roster.categories],
        "this_month": request.app[keys.CLOCK].now().astimezone(views.TZ).strftime("%Y-%m"),
        "departments": [d.name for d in roster.departments],
    }


def _with(query: Any, **changes: str | None) -> str:
    from urllib.parse import urlencode

    params = {k: v for k, v in query.items() if k not in changes}
    params.update({k: v for k, v in changes.items() if v is not None})
    return urlencode(params)


async def ticket(request: web.Request) -> web.StreamResponse:
    member = await _member(request)
    no = _number(request.match_info["no"])
    roster = request.app[keys.CONFIG].roster
    base = await page_context(request, member)
    async with request.app[keys.UOW]() as uow:  # rendered while the ticket is still loaded
        issue = (
            await uow.ledger.ticket(views.viewer(member, request.app[keys.CONFIG].roster), no) if no else None
        )
        if issue is None:
            return aiohttp_jinja2.render_template("missing.html", request, base, status=404)
        children = await uow.tickets.children(issue.no)
        done = [is_done(c) for c in children]
        context = {
            **base,
            "issue": issue,
            "levels": bool(roster.units),
            "children": [
                (c, "已办结" if d else STATUS_NAMES[c.status]) for c, d in zip(children, done, strict=True)
            ],
            "tally": tally(done),
            "events": await uow.ledger.events(issue),
            "local": views.local,
            "event_name": event_name,
            "status": STATUS_NAMES[issue.status],
            "name": _namer(roster),
            "actions": views.allowed_actions(issue, member, roster),
            "categories": [c.name for c in roster.categories],
            "departments": [d.name for d in roster.departments],
        }
        return aiohttp_jinja2.render_template("ticket.html", request, context)


def _namer(roster: Any) -> Any:
    def name(member_id: str) -> str:
        member = roster.member(member_id)
        return member.name if member else ("小助手" if member_id == "system" else member_id)

    return name


def _number(text: str) -> int | None:
    return views.whole(text, digits=9)


async def act(request: web.Request) -> web.StreamResponse:
    """A web action is the chat command the member would type, handled in the ticket's group."""
    member = await _member(request)
    form = await request.post()
    no = _number(request.match_info["no"])
    session = await get_session(request)
    if not await check_csrf(request, form) or no is None:
        session["flash"] = "页面已过期，请刷新后再试"
        raise web.HTTPFound(f"/app/issues/{no or ''}")
    async with request.app[keys.UOW]() as uow:
        issue = await uow.ledger.ticket(views.viewer(member, request.app[keys.CONFIG].roster), no)
        room = (issue.room_id if issue else None) or request.app[keys.CONFIG].roster.rooms[0].id
        allowed = views.allowed_actions(issue, member, request.app[keys.CONFIG].roster) if issue else []
    chosen = next((a for a in views.WEB_ACTIONS if a.verb == form.get("verb")), None)
    text = views.command_text(chosen, no, str(form.get(chosen.field or "", ""))) if chosen and issue else None
    if issue is None or text is None:
        session["flash"] = "请填写完整后再提交"
    elif chosen not in allowed:  # refused here, on the page: nothing is said in the group
        session["flash"] = views.not_allowed(chosen)
    else:
        session["flash"] = await _as_typed(request, room, member, text)
    raise web.HTTPFound(f"/app/issues/{no}")


async def assign(request: web.Request) -> web.StreamResponse:
    """交办 from the home page (leaders, 营商办): the chat command in the first group, as if typed there."""
    member = await _member(request)
    form = await request.post()
    session = await get_session(request)
    task, department = " ".join(str(form.get("task", "")).split()), str(form.get("department", ""))
    if not await check_csrf(request, form) or not task or not department:
        session["flash"] = "请填写任务和承办部门"
        raise web.HTTPFound("/app/")
    if task[0].isdigit():  # 「交办 12 …」 would name ticket #12
        task = "任务：" + task
    roster = request.app[keys.CONFIG].roster
    if member.role not in roles_for(Action.ASSIGN) or roster.department(department) is None:
        session["flash"] = views.not_allowed(None)  # refused on the page, never in the group
        raise web.HTTPFound("/app/")
    session["flash"] = await _as_typed(
        request, roster.rooms[0].id, member, f"{VERBS[Action.ASSIGN]} {task} {department}"
    )
    raise web.HTTPFound("/app/")


async def _as_typed(request: web.Request, room: str, member: Member, text: str) -> str:
    """Handle ``text`` as if ``member`` had typed it in ``room``; what the bot answered, for the page.
    At most ``ActionBudget.per_minute`` a member: past that nothing reaches the group."""
    if not request.app[keys.WEB_ACTIONS].take(member.id):
        return "操作太频繁，请稍后再试"
    message = IncomingMessage(
        message_id=f"web-{uuid.uuid4().hex}",
        room_id=room,
        sender_id=member.id,
        text=text,
        at=request.app[keys.CLOCK].now(),
        sender_name=member.name,
        gateway="web",
    )
    replies = await request.app[keys.DISPATCHER].handle(message)
    return "；".join(r.text for r in replies)[:500] or "已提交"


async def ledger_xlsx(request: web.Request) -> web.StreamResponse:
    """The ledger as filtered, one row per ticket, written row by row to a temporary file."""
    member = await _member(request)
    f = views.ledger_filter(request.query, request.app[keys.CLOCK].now())
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        book = LedgerWorkbook(path, views.COLUMNS)
        async with request.app[keys.UOW]() as uow:
            async for rows in uow.ledger.stream(views.viewer(member, request.app[keys.CONFIG].roster), f):
                urges = await uow.ledger.urge_counts([r.id for r in rows])
                await asyncio.to_thread(book.append, [views.row(r, urges.get(r.id, 0)) for r in rows])
        await asyncio.to_thread(book.close)
        return await send_file(request, path, "台账.xlsx")
    finally:
        os.unlink(path)


async def send_file(request: web.Request, path: str, name: str) -> web.StreamResponse:
    from urllib.parse import quote

    response = web.StreamResponse(
        headers={
            "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
        }
    )
    await response.prepare(request)
    with open(path, "rb") as src:  # noqa: ASYNC230 - local temp file, read in 64 KB pieces
        while piece := src.read(65536):
            await response.write(piece)
    await response.write_eof()
    return response
