"""One error path for the web side: every error is JSON, ``{"error": 中文, "detail": English}``.

Handlers raise ``json_error(...)``; the middleware turns aiohttp's own plain-text errors (404, 405,
413 …) into the same shape, and a database outage into a 503. Nothing answers with a bare 500.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from bot.web.jsonutil import dumps, json_response
from storage.db import DATABASE_ERRORS

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# What a person reads when aiohttp itself refuses a request.
STATUS_WORDS = {
    400: ("请求有误", "bad request"),
    401: ("需要管理口令", "missing or wrong bearer token"),
    403: ("不允许这样访问", "forbidden"),
    404: ("没有这个地址", "not found"),
    405: ("不支持这种请求方法", "method not allowed"),
    413: ("请求内容太大", "request body too large"),
    415: ("只接受 JSON（Content-Type: application/json）", "unsupported media type"),
    503: ("服务暂时不可用，请稍后再试", "service unavailable"),
}


def json_error(
    status: type[web.HTTPException], error: str, detail: str = "", headers: Mapping[str, str] | None = None
) -> web.HTTPException:
    """An HTTP error to raise: ``error`` for people (Chinese), ``detail`` for programs (English)."""
    body = {"error": error, "detail": detail or STATUS_WORDS.get(status.status_code, ("", ""))[1]}
    return status(text=dumps(body), content_type="application/json", headers=headers)


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        error, detail = STATUS_WORDS.get(exc.status, ("请求未能完成", exc.reason))
        return json_response({"error": error, "detail": detail}, status=exc.status, headers=_kept(exc))
    except DATABASE_ERRORS as exc:
        log.error("%s %s: database unavailable: %s", request.method, request.path, exc)
        return json_response(
            {"error": "数据库暂时不可用，请稍后再试", "detail": "database unavailable"}, status=503
        )


def _kept(exc: web.HTTPException) -> dict[str, str]:
    return {k: v for k, v in exc.headers.items() if k in ("Allow", "WWW-Authenticate")}
