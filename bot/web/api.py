"""Health and the read API for tickets (Bearer ``ZHUQI_ADMIN_TOKEN``)."""

from __future__ import annotations

import hmac
from typing import Any

from aiohttp import web

from bot.web import keys
from bot.web.errors import json_error
from bot.web.inputs import whole_number
from bot.web.jsonutil import json_response
from handlers.clock import TZ
from storage.domain import MAX_TICKET_NO, Status
from storage.models import Issue

STATUSES = {s.value for s in Status}
MAX_PAGE = 1000


async def healthz(request: web.Request) -> web.Response:
    if not request.app[keys.READY].is_set():
        return json_response({"status": "starting"}, status=503)
    gateway = request.app[keys.GATEWAY]
    body: dict[str, Any] = {"status": "ok", "gateway": gateway.name}
    health = getattr(gateway, "health", None)
    if callable(health):
        body["gateway_state"] = health()
    return json_response(body)


def is_admin(request: web.Request, token: str | None = None) -> bool:
    """The admin token, from ``Authorization: Bearer …`` (or given, e.g. a websocket's query)."""
    if token is None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return False
    expected = request.app[keys.CONFIG].web.admin_token
    return hmac.compare_digest(token.strip().encode("utf-8", "replace"), expected.encode())


def authorize(request: web.Request, token: str | None = None) -> None:
    if not is_admin(request, token):
        raise json_error(
            web.HTTPUnauthorized,
            "需要管理口令（启动时打印的 API token）",
            "missing or wrong bearer token",
            {"WWW-Authenticate": "Bearer"},
        )


def _iso(moment: Any) -> str | None:
    return moment.astimezone(TZ).isoformat() if moment else None


def issue_json(issue: Issue) -> dict[str, Any]:
    return {
        "no": issue.no,
        "status": issue.status,
        "category": issue.category,
        "original_category": issue.original_category,
        "department": issue.department,
        "assisting": list(issue.assisting or []),
        "enterprise": issue.enterprise,
        "title": issue.title,
        "text": issue.text,
        "kind": issue.kind,
        "urgent": issue.urgent,
        "escalation_level": issue.escalation_level,
        "rating": issue.rating,
        "outcome": issue.outcome,
        "created_at": _iso(issue.created_at),
        "claim_due": _iso(issue.claim_due),
        "resolve_due": _iso(issue.resolve_due),
    }


async def list_issues(request: web.Request) -> web.Response:
    authorize(request)
    q = request.query
    status = q.get("status") or None
    if status and status not in STATUSES:
        raise json_error(
            web.HTTPBadRequest,
            f"没有这种状态，可选：{'、'.join(sorted(STATUSES))}",
            f"unknown status; use one of {', '.join(sorted(STATUSES))}",
        )
    # A page holds at most MAX_PAGE tickets, whatever was asked for.
    limit = max(1, min(whole_number(q.get("limit"), "limit", default=200, low=0, high=2**62), MAX_PAGE))
    offset = whole_number(q.get("offset"), "offset", default=0, low=0, high=MAX_TICKET_NO)
    async with request.app[keys.UOW]() as uow:
        issues = await uow.tickets.find(
            status=[status] if status else None,
            category=q.get("category") or None,
            department=_department(request, q.get("department")),
            limit=limit,
            offset=offset,
        )
        # Serialize inside the unit of work: its rollback on exit expires loaded rows.
        return json_response({"issues": [issue_json(i) for i in issues]})


def _department(request: web.Request, name: str | None) -> str | None:
    """Accept a department's alias in the filter, as people type it."""
    if not name:
        return None
    dept = request.app[keys.CONFIG].roster.department(name)
    return dept.name if dept else name


async def get_issue(request: web.Request) -> web.Response:
    authorize(request)
    no = whole_number(request.match_info["no"].lstrip("#"), "编号", default=-1, low=1, high=MAX_TICKET_NO)
    async with request.app[keys.UOW]() as uow:
        issue = await uow.tickets.by_no(no, with_events=True)
        if issue is None:
            raise json_error(web.HTTPNotFound, f"没有 #{no} 这条诉求", "no such ticket")
        body = issue_json(issue)
        body["events"] = [
            {
                "kind": e.kind,
                "actor": e.actor,
                "at": _iso(e.at),
                "text": e.text,
                "from": e.from_status,
                "to": e.to_status,
            }
            for e in issue.events
        ]
    return json_response(body)
