"""Health and the read API for tickets (Bearer ``ZHUQI_ADMIN_TOKEN``)."""

from __future__ import annotations

import hmac
from typing import Any

from aiohttp import web

from bot.web import keys
from bot.web.errors import json_error
from bot.web.jsonutil import json_response
from handlers.clock import TZ
from storage.domain import Status
from storage.models import Issue

STATUSES = {s.value for s in Status}


async def healthz(request: web.Request) -> web.Response:
    if not request.app[keys.READY].is_set():
        return json_response({"status": "starting"}, status=503)
    gateway = request.app[keys.GATEWAY]
    body: dict[str, Any] = {"status": "ok", "gateway": gateway.name}
    health = getattr(gateway, "health", None)
    if callable(health):
        body["gateway_state"] = health()
    return json_response(body)


def _authorize(request: web.Request) -> None:
    expected = request.app[keys.CONFIG].web.admin_token
    given = request.headers.get("Authorization", "")
    scheme, _, token = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip(), expected):
        raise json_error(
            web.HTTPUnauthorized, "missing or wrong bearer token", {"WWW-Authenticate": "Bearer"}
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
    _authorize(request)
    q = request.query
    status = q.get("status") or None
    if status and status not in STATUSES:
        raise json_error(web.HTTPBadRequest, f"unknown status; use one of {', '.join(sorted(STATUSES))}")
    try:
        limit = min(int(q.get("limit", "200")), 1000)
        offset = int(q.get("offset", "0"))
    except ValueError:
        raise json_error(web.HTTPBadRequest, "limit and offset must be integers") from None
    async with request.app[keys.UOW]() as uow:
        issues = await uow.repo.list_issues(
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
    dept = request.app[keys.CONFIG].directory.department(name)
    return dept.name if dept else name


async def get_issue(request: web.Request) -> web.Response:
    _authorize(request)
    no_text = request.match_info["no"].lstrip("#")
    if not no_text.isdigit():
        raise json_error(web.HTTPBadRequest, "ticket number must be an integer")
    async with request.app[keys.UOW]() as uow:
        issue = await uow.repo.issue_by_no(int(no_text), with_events=True)
        if issue is None:
            raise json_error(web.HTTPNotFound, "no such ticket")
        body = issue_json(issue)
        body["events"] = [
            {"kind": e.kind, "actor": e.actor, "at": _iso(e.at), "text": e.text, "from": e.from_status,
             "to": e.to_status}
            for e in issue.events
        ]  # fmt: skip
    return json_response(body)
