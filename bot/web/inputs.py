"""Reading request input strictly: JSON bodies, numbers, text, and where a browser request came from.

Every refusal is a ``json_error`` (a 4xx with a Chinese ``error``), raised before anything changes.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot.web.errors import json_error
from handlers.messages import MAX_TEXT, has_broken_characters

MAX_BODY = 64 * 1024  # bytes; a 4,000-character message is at most 16 KB of UTF-8


async def json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object; only ``application/json`` (a form a web page posts is refused)."""
    if request.content_type != "application/json":
        raise json_error(
            web.HTTPUnsupportedMediaType,
            "只接受 JSON（Content-Type: application/json）",
            "the body must be application/json",
        )
    try:
        body = json.loads(await request.read())
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise json_error(web.HTTPBadRequest, "请求内容不是有效的 JSON", "body is not valid JSON") from None
    if not isinstance(body, dict):
        raise json_error(web.HTTPBadRequest, "请求内容应为 JSON 对象", "body must be a JSON object")
    return body


def whole_number(text: str | None, name: str, *, default: int, low: int, high: int) -> int:
    """ASCII digits only, within [low, high]; ``default`` when absent."""
    if text is None or text == "":
        return default
    if not (text.isascii() and text.isdigit()):
        raise json_error(web.HTTPBadRequest, f"{name} 应为整数", f"{name} must be a whole number")
    value = int(text)
    if not low <= value <= high:
        raise json_error(
            web.HTTPBadRequest, f"{name} 应在 {low} 到 {high} 之间", f"{name} must be {low}..{high}"
        )
    return value


def message_text(value: Any) -> str:
    """A chat message: a non-empty string of valid characters, at most ``MAX_TEXT`` long."""
    if not isinstance(value, str) or not value.strip():
        raise json_error(web.HTTPBadRequest, "消息不能为空", "text must be a non-empty string")
    if has_broken_characters(value):
        raise json_error(
            web.HTTPBadRequest, "消息含有无法识别的字符", "text contains NUL or a lone surrogate"
        )
    if len(value) > MAX_TEXT:
        raise json_error(
            web.HTTPBadRequest,
            f"消息太长：最多 {MAX_TEXT} 字，请分几条发送",
            f"text is longer than {MAX_TEXT} characters",
        )
    return value


def plain_field(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value or has_broken_characters(value) or len(value) > 200:
        raise json_error(web.HTTPBadRequest, f"缺少或无效的字段 {key}", f"{key} must be a short string")
    return value


def same_origin(request: web.Request) -> None:
    """A browser says where the page that sends this came from; only our own pages may write."""
    origin = request.headers.get("Origin")
    if origin is None:
        return  # not a browser (curl, a script): nothing a web page could forge
    if urlsplit(origin).netloc != request.host:
        raise json_error(web.HTTPForbidden, "只能从本页面发送", "cross-origin request refused")
