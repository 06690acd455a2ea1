"""/app/accounts: 营商办's view of the bot's WeChat accounts — for each, whether it is connected,
what waits to go (by priority), what it sent in the last minute against its limit, and the groups
it answers in. One account today; several, with groups moving between them, are issue 25's next part."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.outbox import ACCOUNT
from bot.web import keys
from bot.web.metrics import account_state
from bot.web.workbench.auth import page_context, signed_in
from storage.domain import Priority, Role

PRIORITY_NAMES = {
    Priority.ANSWER: "回复",
    Priority.REMINDER: "提醒",
    Priority.DIGEST: "日报排名",
    Priority.BROADCAST: "群发推送",
}


@aiohttp_jinja2.template("accounts.html")
async def accounts(request: web.Request) -> dict[str, Any]:
    member = await signed_in(request)
    if member is None or member.role is not Role.COORDINATOR:
        raise web.HTTPFound("/app/")
    app, state = request.app, await account_state(request.app)
    limits = app[keys.CONFIG].rate.account
    account = {
        "name": ACCOUNT,
        "gateway": state.gateway,
        "connected": state.connected,
        "backlog": [(PRIORITY_NAMES[p], state.depth.get(p, 0)) for p in Priority],
        "waiting": sum(state.depth.values()),
        "last_minute": state.last_minute,
        "per_minute": int(limits.per_minute) if limits else None,
        "governor_waits": state.governor_waits,
        "rooms": [r.name for r in app[keys.CONFIG].roster.rooms],
    }
    return {**await page_context(request, member), "accounts": [account]}
