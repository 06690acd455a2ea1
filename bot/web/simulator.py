"""The simulator's page, JSON API and websocket (only when the simulator gateway runs)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from bot.gateways.simulator import DM_PREFIX, SimulatedAccount, UnknownRoomOrSender
from bot.outbox import deliver_all
from bot.web import keys
from bot.web.api import authorize
from bot.web.errors import json_error
from bot.web.inputs import json_object, message_text, plain_field, same_origin, whole_number
from bot.web.jsonutil import json_response

STATIC = Path(__file__).parent / "static"


def _room_param(request: web.Request) -> str:
    """A configured group, or a member's private chat (``dm:<id>``): those only with the admin token."""
    room_id = request.query.get("room_id", "")
    roster = request.app[keys.CONFIG].roster
    private = room_id.startswith(DM_PREFIX) and roster.member(room_id[len(DM_PREFIX) :]) is not None
    if roster.room(room_id) is None and not private:
        raise json_error(web.HTTPNotFound, "没有这个群聊", f"unknown room_id {room_id[:100]!r}")
    if private:
        # A browser's websocket cannot send headers: the page passes the token in the query.
        authorize(request, request.query.get("token"))
    return room_id


async def index_redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound("/sim/")


async def page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")


async def rooms(request: web.Request) -> web.Response:
    roster = request.app[keys.CONFIG].roster
    return json_response([{"id": r.id, "name": r.name} for r in roster.rooms])


async def members(request: web.Request) -> web.Response:
    room_id = _room_param(request)
    roster = request.app[keys.CONFIG].roster
    return json_response(
        [
            {
                "id": m.id,
                "name": m.name,
                "role": m.role.value,
                "department": m.department,
                "enterprise": m.enterprise,
            }
            for m in roster.members_in(room_id)
        ]
    )


async def messages(request: web.Request) -> web.Response:
    sim = request.app[keys.SIMULATOR]
    room_id = _room_param(request)
    # after=N: what came after message N; before=N: the 100 newest before N (the page starts with
    # before = a very large id, the newest messages, and loads older ones as it scrolls up).
    after = whole_number(request.query.get("after"), "after", default=0, low=0, high=2**62)
    before = request.query.get("before")
    bound = None if before is None else whole_number(before, "before", default=0, low=0, high=2**62)
    return json_response({"messages": await sim.history(room_id, after, bound)})


async def post_message(request: web.Request) -> web.Response:
    """201 once the message is stored and the bot has handled it; 200 with the first answer when
    the same ``client_msg_id`` comes again (a client's retry creates nothing). ``room_id`` may be
    the sender's own ``dm:<id>`` (with the admin token): a private message to the bot."""
    same_origin(request)
    body = await json_object(request)
    room_id, sender_id = plain_field(body, "room_id"), plain_field(body, "sender_id")
    text = message_text(body.get("text"))
    client_msg_id = plain_field(body, "client_msg_id") if body.get("client_msg_id") is not None else None
    if room_id.startswith(DM_PREFIX):
        authorize(request)  # replying in one's private chat with the bot: as private as reading it
    try:
        row, created = await request.app[keys.SIMULATOR].post(room_id, sender_id, text, client_msg_id)
    except UnknownRoomOrSender as exc:
        raise json_error(web.HTTPNotFound, "没有这个群聊或成员", str(exc)) from None
    # The bot's replies are in the group before the answer, so a script sees them on its next
    # read: stored in the transaction that handled the message, or else delivered now.
    if request.app[keys.DISPATCHER].deliver is None and len(request.app[keys.SENDERS]) == 1:
        await deliver_all(request.app[keys.SENDERS])  # several accounts: paced, their senders send
    return json_response({"id": row["id"]}, status=201 if created else 200)


async def accounts(request: web.Request) -> web.Response:
    """The simulated bot accounts: connected or cut off, and the groups each answers now."""
    responders, rooms = request.app[keys.RESPONDERS], [r.id for r in request.app[keys.CONFIG].roster.rooms]
    found = [
        {
            "name": name,
            "connected": gateway.connected,
            "rooms": [room for room in rooms if responders.account_of(room) == name],
        }
        for name, gateway in request.app[keys.GATEWAYS].items()
    ]
    return json_response({"accounts": found})


async def cut_account(request: web.Request) -> web.Response:
    """``{"connected": false}`` cuts a simulated account off (its sends fail, as when WeChat blocks
    it); ``true`` brings it back. With the admin token: this is the operator's test of failover."""
    same_origin(request)
    authorize(request)
    gateway = request.app[keys.GATEWAYS].get(request.match_info["name"])
    if not isinstance(gateway, SimulatedAccount):
        raise json_error(web.HTTPNotFound, "没有这个模拟账号", "no such simulated account")
    body = await json_object(request)
    if not isinstance(body.get("connected"), bool):
        raise json_error(web.HTTPBadRequest, "connected 应为 true 或 false", "connected must be a boolean")
    gateway.cut = not body["connected"]
    return json_response({"name": gateway.account, "connected": gateway.connected})


async def websocket(request: web.Request) -> web.WebSocketResponse:
    """Pushes every new message of one room (JSON, as in GET /sim/api/messages)."""
    same_origin(request)
    sim = request.app[keys.SIMULATOR]
    room_id = _room_param(request)
    queue = await sim.subscribe(room_id)  # before the page opens: it then loads what came before
    ws = web.WebSocketResponse(heartbeat=30)
    pusher: asyncio.Task[None] | None = None
    try:
        await ws.prepare(request)
        pusher = asyncio.create_task(_push(ws, queue))
        async for msg in ws:
            if msg.type == WSMsgType.ERROR:
                break
    finally:
        sim.unsubscribe(room_id, queue)
        if pusher is not None:
            pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pusher
    return ws


async def _push(ws: web.WebSocketResponse, queue: asyncio.Queue[dict[str, Any]]) -> None:
    while not ws.closed:
        await ws.send_json(await queue.get())
