"""One error path for the web side: a database outage is a 503 with a JSON reason, not a 500."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.web.jsonutil import json_response

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def database_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except (SQLAlchemyError, OSError) as exc:
        log.error("%s %s: database unavailable: %s", request.method, request.path, exc)
        return json_response({"error": "数据库暂时不可用，请稍后再试 / database unavailable"}, status=503)
