"""POST /sim/api/clock: move the simulator's clock forward and run every job that came due.

``{"advance": "P1D"}`` (ISO 8601 duration) or ``{"now": "2026-12-01T08:30:00+08:00"}``; never
backward (400). Jobs run at each moment something fell due, in order, and their messages are
delivered before the clock moves on, so the group shows them at the time they would have appeared.
Only the simulator (with its TravelClock) offers this.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import isodate
from aiohttp import web

from bot.app import RUNTIME, Runtime
from bot.clock import TravelClock
from bot.gateways.simulator import SimulatorGateway
from bot.web.jsonutil import json_response
from handlers.clock import TZ
from scheduler.runner import run_due


def _bad(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(
        text=json.dumps({"error": message}, ensure_ascii=False), content_type="application/json"
    )


def _travel(request: web.Request) -> tuple[Runtime, TravelClock]:
    runtime = request.app[RUNTIME]
    if not isinstance(runtime.gateway, SimulatorGateway) or not isinstance(runtime.clock, TravelClock):
        raise web.HTTPNotFound(text='{"error": "time travel is only offered by the simulator"}')
    return runtime, runtime.clock


def _target(body: Any, now: datetime) -> datetime:
    if not isinstance(body, dict) or len(body.keys() & {"advance", "now"}) != 1:
        raise _bad('give exactly one of {"advance": "<ISO 8601 duration>"} or {"now": "<ISO time>"}')
    try:
        if "advance" in body:
            delta = isodate.parse_duration(str(body["advance"]))
            if not isinstance(delta, timedelta):
                raise _bad("use days, hours and minutes in the duration (P1D, PT2H), not months or years")
            return now + delta
        moment = datetime.fromisoformat(str(body["now"]))
    except (isodate.ISO8601Error, ValueError):
        raise _bad("not an ISO 8601 duration or time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=TZ)


async def get_clock(request: web.Request) -> web.Response:
    runtime, clock = _travel(request)
    now = clock.now()
    morning = runtime.deps.calendar.next_working_morning(now + timedelta(seconds=1)) if runtime.deps else None
    return json_response(
        {"now": now.isoformat(), "next_working_morning": morning.isoformat() if morning else None}
    )


async def post_clock(request: web.Request) -> web.Response:
    runtime, clock = _travel(request)
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise _bad("body must be JSON") from None
    start = clock.now()
    target = _target(body, start)
    if target < start:
        raise _bad(f"the clock never moves backward (now {start.isoformat()})")

    async def step(moment: datetime) -> None:
        await runtime.sender.deliver_due()
        if moment > clock.now():
            clock.set(moment)

    if runtime.deps is not None:
        await run_due(runtime.deps, start, target, on_step=step)
    if target > clock.now():
        clock.set(target)
    await runtime.sender.deliver_due()
    return json_response({"now": clock.now().astimezone(TZ).isoformat()})
