"""One error path for the web side: every error is JSON, and a database outage is a 503, not a 500."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.web.jsonutil import dumps, json_response

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_error(
    status: type[web.HTTPException], message: str, headers: Mapping[str, str] | None = None
) -> web.HTTPException:
    """An HTTP error to raise, with ``{"error": message}`` as its body."""
    return status(text=dumps({"error": message}), content_type="application/json", headers=headers)


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except (SQLAlchemyError, OSError) as exc:
        log.error("%s %s: database unavailable: %s", request.method, request.path, exc)
        return json_response({"error": "数据库暂时不可用，请稍后再试 / database unavailable"}, status=503)
