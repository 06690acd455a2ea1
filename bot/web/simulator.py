"""The simulator's page, JSON API and websocket (only when the simulator gateway runs)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from bot.gateways.simulator import DM_PREFIX, UnknownRoomOrSender
from bot.web import keys
from bot.web.errors import json_error
from bot.web.jsonutil import json_response

STATIC = Path(__file__).parent / "static"


def _room_param(request: web.Request) -> str:
    room_id = request.query.get("room_id", "")
    directory = request.app[keys.CONFIG].directory
    known = directory.room(room_id) is not None or (
        room_id.startswith(DM_PREFIX) and directory.member(room_id[len(DM_PREFIX) :]) is not None
    )
    if not known:
        raise json_error(web.HTTPNotFound, f"unknown room_id {room_id!r}")
    return room_id


async def index_redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound("/sim/")


async def page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")


async def rooms(request: web.Request) -> web.Response:
    directory = request.app[keys.CONFIG].directory
    return json_response([{"id": r.id, "name": r.name} for r in directory.rooms])


async def members(request: web.Request) -> web.Response:
    room_id = _room_param(request)
    directory = request.app[keys.CONFIG].directory
    return json_response(
        [
            {
                "id": m.id,
                "name": m.name,
                "role": m.role.value,
                "department": m.department,
                "enterprise": m.enterprise,
            }
            for m in directory.members_in(room_id)
        ]
    )


async def messages(request: web.Request) -> web.Response:
    sim = request.app[keys.SIMULATOR]
    room_id = _room_param(request)
    after_text = request.query.get("after", "0")
    if not after_text.isdigit():
        raise json_error(web.HTTPBadRequest, "after must be a message id (an integer)")
    return json_response({"messages": await sim.history(room_id, int(after_text))})


async def post_message(request: web.Request) -> web.Response:
    sim = request.app[keys.SIMULATOR]
    try:
        body: Any = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise json_error(web.HTTPBadRequest, "body must be JSON") from None
    if not isinstance(body, dict) or not all(
        isinstance(body.get(k), str) for k in ("room_id", "sender_id", "text")
    ):
        raise json_error(web.HTTPBadRequest, "need string fields room_id, sender_id, text")
    try:
        row = await sim.post(body["room_id"], body["sender_id"], body["text"])
    except UnknownRoomOrSender as exc:
        raise json_error(web.HTTPBadRequest if "empty" in str(exc) else web.HTTPNotFound, str(exc)) from None
    # Deliver the bot's replies before answering, so a script sees them on its next read.
    await request.app[keys.SENDER].deliver_due()
    return json_response({"id": row["id"]}, status=201)


async def websocket(request: web.Request) -> web.WebSocketResponse:
    """Pushes every new message of one room (JSON, as in GET /sim/api/messages)."""
    sim = request.app[keys.SIMULATOR]
    room_id = _room_param(request)
    ws = web.WebSocketResponse(heartbeat=30)
    await ws.prepare(request)
    queue = sim.subscribe(room_id)
    pusher = asyncio.create_task(_push(ws, queue))
    try:
        async for msg in ws:
            if msg.type == WSMsgType.ERROR:
                break
    finally:
        sim.unsubscribe(room_id, queue)
        pusher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pusher
    return ws


async def _push(ws: web.WebSocketResponse, queue: asyncio.Queue[dict[str, Any]]) -> None:
    while not ws.closed:
        await ws.send_json(await queue.get())
