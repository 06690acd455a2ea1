"""/app/accounts: 营商办's view of the bot's WeChat accounts — for each, whether it is connected,
what waits to go (by priority), what it sent in the last minute against its limit, and the groups
it answers now; and the latest moves of groups between accounts (one down or throttled, or back)."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.web import keys
from bot.web.metrics import AccountState, bot_state
from bot.web.workbench.auth import page_context, signed_in
from bot.web.workbench.views import local
from storage.domain import PRIVATE_CHATS, MoveReason, Priority, Role
from storage.responders import Moved

PRIORITY_NAMES = {
    Priority.ANSWER: "回复",
    Priority.REMINDER: "提醒",
    Priority.DIGEST: "日报排名",
    Priority.BROADCAST: "群发推送",
}
REASONS = {MoveReason.DOWN: "掉线或被限流", MoveReason.BACK: "原账号恢复"}


@aiohttp_jinja2.template("accounts.html")
async def accounts(request: web.Request) -> dict[str, Any]:
    member = await signed_in(request)
    if member is None or member.role is not Role.COORDINATOR:
        raise web.HTTPFound("/app/")
    state = await bot_state(request.app)
    names = {room.id: room.name for room in request.app[keys.CONFIG].roster.rooms}
    return {
        **await page_context(request, member),
        "accounts": [_account(a, names) for a in state.accounts],
        "moves": [_move(m, names) for m in state.moves[:20]],
    }


def _account(a: AccountState, names: dict[str, str]) -> dict[str, Any]:
    return {
        "name": a.name,
        "gateway": a.gateway,
        "connected": a.connected,
        "backlog": [(PRIORITY_NAMES[p], a.depth.get(p, 0)) for p in Priority],
        "waiting": sum(a.depth.values()),
        "last_minute": a.last_minute,
        "per_minute": int(a.per_minute) if a.per_minute else None,
        "governor_waits": a.governor_waits,
        "rooms": [names.get(room, room) for room in a.rooms],
        "private": a.private,
    }


def _move(m: Moved, names: dict[str, str]) -> dict[str, str]:
    chat = "私聊" if m.chat == PRIVATE_CHATS else names.get(m.chat, m.chat)
    return {
        "at": local(m.at),
        "chat": chat,
        "from": m.from_account,
        "to": m.to_account,
        "why": REASONS[m.reason],
    }
