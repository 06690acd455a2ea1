"""Health and the read API for tickets (Bearer ``ZHUQI_ADMIN_TOKEN``)."""

from __future__ import annotations

import hmac
from typing import Any

from aiohttp import web

from bot.app import CONFIG, RUNTIME
from bot.web.jsonutil import json_response
from handlers.clock import TZ
from handlers.lifecycle import Status
from storage.models import Issue

STATUSES = {s.value for s in Status}


async def healthz(request: web.Request) -> web.Response:
    runtime = request.app.get(RUNTIME)
    if runtime is None or not runtime.ready:
        return json_response({"status": "starting"}, status=503)
    body: dict[str, Any] = {"status": "ok", "gateway": runtime.gateway.name}
    health = getattr(runtime.gateway, "health", None)
    if callable(health):
        body["gateway_state"] = health()
    return json_response(body)


def _authorize(request: web.Request) -> None:
    expected = request.app[CONFIG].web.admin_token
    given = request.headers.get("Authorization", "")
    scheme, _, token = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip(), expected):
        raise web.HTTPUnauthorized(
            text='{"error": "missing or wrong bearer token"}',
            content_type="application/json",
            headers={"WWW-Authenticate": "Bearer"},
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


def _bad(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=f'{{"error": "{message}"}}', content_type="application/json")


async def list_issues(request: web.Request) -> web.Response:
    _authorize(request)
    q = request.query
    status = q.get("status") or None
    if status and status not in STATUSES:
        raise _bad(f"unknown status; use one of {', '.join(sorted(STATUSES))}")
    try:
        limit = min(int(q.get("limit", "200")), 1000)
        offset = int(q.get("offset", "0"))
    except ValueError:
        raise _bad("limit and offset must be integers") from None
    async with request.app[RUNTIME].uow() as uow:
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
    dept = request.app[CONFIG].directory.department(name)
    return dept.name if dept else name


async def get_issue(request: web.Request) -> web.Response:
    _authorize(request)
    no_text = request.match_info["no"].lstrip("#")
    if not no_text.isdigit():
        raise _bad("ticket number must be an integer")
    async with request.app[RUNTIME].uow() as uow:
        issue = await uow.repo.issue_by_no(int(no_text), with_events=True)
        if issue is None:
            raise web.HTTPNotFound(text='{"error": "no such ticket"}', content_type="application/json")
        body = issue_json(issue)
        body["events"] = [
            {"kind": e.kind, "actor": e.actor, "at": _iso(e.at), "text": e.text, "from": e.from_status,
             "to": e.to_status}
            for e in issue.events
        ]  # fmt: skip
    return json_response(body)
