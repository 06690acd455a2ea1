"""POST /sim/api/clock: move the simulator's clock forward and run every job that came due.

``{"advance": "P1D"}`` (ISO 8601 duration) or ``{"now": "2026-12-01T08:30:00+08:00"}``; never
backward (400). Jobs run at each moment something fell due, in order, and their messages are
delivered before the clock moves on, so the group shows them at the time they would have appeared.
Only the simulator offers this: its routes are added only when it is the gateway.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import isodate
from aiohttp import web

from bot.outbox import deliver_all
from bot.web import keys
from bot.web.errors import json_error
from bot.web.inputs import json_object, same_origin
from bot.web.jsonutil import json_response
from handlers.clock import TZ
from handlers.replies.texts import when
from scheduler.runner import run_due

MAX_JUMP = timedelta(days=366)  # one call moves at most a year; jump again for more
BUDGET_SECONDS = 20.0  # the jobs of one call run at most this long; the clock stops where they did


def _bad(error: str, detail: str) -> web.HTTPException:
    return json_error(web.HTTPBadRequest, error, detail)


def _target(body: dict[str, Any], now: datetime) -> datetime:
    if len(body.keys() & {"advance", "now"}) != 1:
        raise _bad(
            '请给出 {"advance": "P1D"}（向前跳多久）或 {"now": "2026-12-01T08:30:00+08:00"}（跳到何时）之一',
            'give exactly one of {"advance": "<ISO 8601 duration>"} or {"now": "<ISO time>"}',
        )
    target = _advance(body["advance"], now) if "advance" in body else _moment(body["now"])
    if target < now:
        raise _bad(
            f"时间只能往前走：小助手现在是 {when(now)}",
            f"the clock never moves backward (now {now.isoformat()})",
        )
    if target - now > MAX_JUMP:
        raise _bad("一次最多跳一年，请分几次跳", "at most a year (P366D) per call")
    return target


def _advance(value: Any, now: datetime) -> datetime:
    try:
        delta = isodate.parse_duration(str(value))
    except (isodate.ISO8601Error, ValueError, OverflowError):
        delta = None
    if not isinstance(delta, timedelta):
        raise _bad(
            "时长请写成 P1D（1天）、PT2H（2小时）、PT30M（30分钟）这样的格式，不支持月和年",
            "use an ISO 8601 duration in days, hours and minutes (P1D, PT2H)",
        )
    try:
        return now + delta
    except OverflowError:
        raise _bad("一次最多跳一年，请分几次跳", "at most a year (P366D) per call") from None


def _moment(value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise _bad("时间请写成 2026-12-01T08:30:00+08:00 这样的格式", "not an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=TZ)


async def get_clock(request: web.Request) -> web.Response:
    now = request.app[keys.TRAVEL_CLOCK].now()
    morning = request.app[keys.DEPS].calendar.next_working_morning(now + timedelta(seconds=1))
    return json_response({"now": now.isoformat(), "next_working_morning": morning.isoformat()})


async def post_clock(request: web.Request) -> web.Response:
    same_origin(request)
    clock, senders = request.app[keys.TRAVEL_CLOCK], request.app[keys.SENDERS]
    start = clock.now()
    target = _target(await json_object(request), start)

    # One unpaced account (the demo): what is due goes out at each moment. Several accounts are
    # paced as on WeChat: their senders send in the background while the clock moves.
    paced = len(senders) > 1

    async def step(moment: datetime) -> None:
        if not paced:
            await deliver_all(senders)
        if moment > clock.now():
            clock.set(moment)

    finished = await run_due(
        request.app[keys.DEPS], start, target, on_step=step, budget_seconds=BUDGET_SECONDS
    )
    if finished and target > clock.now():
        clock.set(target)
    if not paced:
        await deliver_all(senders)
    now = clock.now().astimezone(TZ)
    if not finished:
        return json_response(
            {
                "now": now.isoformat(),
                "error": f"要处理的事太多，已走到 {when(now)}，请再跳一次",
                "detail": "time budget used up; the clock stopped where the jobs did",
            },
            status=503,
        )
    return json_response({"now": now.isoformat()})
