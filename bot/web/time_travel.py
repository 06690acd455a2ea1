"""POST /sim/api/clock: move the simulator's clock forward and run every job that came due.

``{"advance": "P1D"}`` (ISO 8601 duration) or ``{"now": "2026-12-01T08:30:00+08:00"}``; never
backward (400). Jobs run at each moment something fell due, in order, and their messages are
delivered before the clock moves on, so the group shows them at the time they would have appeared.
Only the simulator offers this: its routes are added only when it is the gateway.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import isodate
from aiohttp import web

from bot.web import keys
from bot.web.errors import json_error
from bot.web.jsonutil import json_response
from handlers.clock import TZ
from scheduler.runner import run_due


def _bad(message: str) -> web.HTTPException:
    return json_error(web.HTTPBadRequest, message)


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
    now = request.app[keys.TRAVEL_CLOCK].now()
    morning = request.app[keys.DEPS].calendar.next_working_morning(now + timedelta(seconds=1))
    return json_response({"now": now.isoformat(), "next_working_morning": morning.isoformat()})


async def post_clock(request: web.Request) -> web.Response:
    clock, sender = request.app[keys.TRAVEL_CLOCK], request.app[keys.SENDER]
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise _bad("body must be JSON") from None
    start = clock.now()
    target = _target(body, start)
    if target < start:
        raise _bad(f"the clock never moves backward (now {start.isoformat()})")

    async def step(moment: datetime) -> None:
        await sender.deliver_due()
        if moment > clock.now():
            clock.set(moment)

    await run_due(request.app[keys.DEPS], start, target, on_step=step)
    if target > clock.now():
        clock.set(target)
    await sender.deliver_due()
    return json_response({"now": clock.now().astimezone(TZ).isoformat()})
