"""/app/roster: 营商办 uploads a 花名册 (.xlsx or .csv); every row is checked and one wrong row
imports nothing; a good file takes effect at once, without a restart, and the import is recorded."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session

from bot.roster_file import check, record
from bot.web import keys
from bot.web.workbench import views
from bot.web.workbench.auth import page_context, signed_in
from handlers.roster.entries import HEADER
from storage.domain import Role

MAX_UPLOAD = 5 * 1024 * 1024


async def _coordinator(request: web.Request) -> Any:
    member = await signed_in(request)
    if member is None or member.role is not Role.COORDINATOR:
        raise web.HTTPFound("/app/")
    return member


async def _context(request: web.Request, member: Any, **extra: Any) -> dict[str, Any]:
    roster = request.app[keys.CONFIG].roster
    async with request.app[keys.UOW]() as uow:
        imports = [views.roster_import(i, roster) for i in await uow.roster_imports.recent()]
    return await page_context(
        request, member, **{"header": HEADER, "problems": [], "imported": None, "imports": imports, **extra}
    )


async def page(request: web.Request) -> web.StreamResponse:
    member = await _coordinator(request)
    return aiohttp_jinja2.render_template("roster.html", request, await _context(request, member))


async def upload(request: web.Request) -> web.StreamResponse:
    member = await _coordinator(request)
    fields = await _fields(request)
    session = await get_session(request)
    if "error" in fields or fields.get("csrf") != session.get("csrf"):
        problems = [str(fields.get("error", "页面已过期，请刷新后再试"))]
        return _render(request, await _context(request, member, problems=problems), 400)
    data = fields["data"]
    # Parsing takes CPU (a large sheet, seconds): off the event loop, so the bot answers meanwhile.
    entries, problems = await asyncio.to_thread(
        check, str(fields["name"]), data if isinstance(data, bytes) else b"", request.app[keys.CONFIG].roster
    )
    if problems:
        return _render(request, await _context(request, member, problems=problems), 400)
    await record(request.app[keys.ROSTER], request.app[keys.UOW], entries, member.id, str(fields["name"]))
    return _render(request, await _context(request, member, imported=len(entries)), 200)


def _render(request: web.Request, context: dict[str, Any], status: int) -> web.StreamResponse:
    return aiohttp_jinja2.render_template("roster.html", request, context, status=status)


async def _fields(request: web.Request) -> dict[str, object]:
    """The form's csrf and file, read as a stream (the file may be larger than other requests)."""
    if not request.content_type.startswith("multipart/"):
        return {"error": "请选择要上传的文件"}
    fields: dict[str, object] = {}
    reader = await request.multipart()
    async for part in reader:
        if getattr(part, "name", None) == "csrf":
            data = await part.read(decode=True)  # type: ignore[union-attr]
            fields["csrf"] = data.decode("utf-8", "replace")
        elif getattr(part, "name", None) == "file":
            data = bytearray()
            while chunk := await part.read_chunk():  # type: ignore[union-attr]
                data += chunk
                if len(data) > MAX_UPLOAD:
                    return {"error": f"文件超过 {MAX_UPLOAD // 1024 // 1024} MB"}
            fields["name"], fields["data"] = getattr(part, "filename", None) or "roster.csv", bytes(data)
    return fields if "data" in fields else {"error": "请选择要上传的文件"}
