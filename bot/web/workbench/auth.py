"""Workbench sign-in: roster members with an Argon2-hashed password, sessions kept on the server
(the encrypted cookie carries only a token), a CSRF token per session, and failed logins slowed per
member and address (``bot/web/throttle.py``)."""

from __future__ import annotations

import asyncio
import hmac
import math
import secrets
from datetime import UTC, datetime
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session, new_session
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.web import keys
from handlers.replies.texts import ROLE_NAMES
from handlers.roster.model import Member

HASHER = PasswordHasher()
MIN_PASSWORD = 8
PUBLIC_PATHS = ("/app/login", "/app/static/")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"密码至少 {MIN_PASSWORD} 位 / at least {MIN_PASSWORD} characters")
    return HASHER.hash(password)


def _verified(stored: str | None, password: str) -> bool:
    if stored is None:
        HASHER.hash(password)  # the same work either way: no hint which members have accounts
        return False
    try:
        return HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


MAX_MEMBER_ID = 128  # what the roster allows; a longer one is wrong, and never stored
MAX_PASSWORD = 1024
_MEMBER = web.RequestKey("member", object)  # the signed-in member, looked up once a request


def client_address(request: web.Request) -> str:
    """Who is asking: the connection's address, or behind a trusted reverse proxy
    (``[web] trusted_proxies``) the nearest address its X-Forwarded-For names that is not a proxy."""
    peer = request.remote or ""
    proxies = request.app[keys.CONFIG].web.trusted_proxies
    if peer not in proxies:
        return peer
    forwarded = ",".join(request.headers.getall("X-Forwarded-For", [])).split(",")
    for address in reversed([a.strip() for a in forwarded if a.strip()]):
        if address not in proxies:
            return address[:64]
    return peer


async def signed_in(request: web.Request) -> Member | None:
    """The member whose live session this request carries (checked in the database every request:
    a session ended by logout, a new password or a new role is gone at once)."""
    if _MEMBER not in request:
        request[_MEMBER] = await _session_member(request)
    member = request[_MEMBER]
    return member if isinstance(member, Member) else None


async def _token(request: web.Request) -> str | None:
    """The server-side session the cookie names (``web_sessions``), if it names one."""
    token = (await get_session(request)).get("token")
    return token if isinstance(token, str) else None


async def _session_member(request: web.Request) -> Member | None:
    token = await _token(request)
    if token is None:
        return None
    now = datetime.now(UTC)  # real time: sessions are about security, not the simulator's clock
    async with request.app[keys.UOW]() as uow:
        live = await uow.accounts.session_of(token, now)
        member = request.app[keys.CONFIG].roster.member(live.member_id) if live else None
        if live is not None and (member is None or member.role is not live.role):
            await uow.accounts.end_session(token, now)  # a new role (a 花名册 import): sign in again
            await uow.commit()
            member = None
    if member is None:
        (await get_session(request)).clear()
    return member


async def _start_session(request: web.Request, member: Member) -> None:
    """A fresh session (a new cookie id, no fixation) for ``member``; any session the browser had
    ends here."""
    now = datetime.now(UTC)
    old = await _token(request)
    async with request.app[keys.UOW]() as uow:
        if old is not None:
            await uow.accounts.end_session(old, now)
        token = uow.accounts.open_session(member.id, member.role, now)
        await uow.commit()
    session = await new_session(request)
    session["token"], session["csrf"] = token, secrets.token_urlsafe(24)
    request[_MEMBER] = member


async def csrf_token(request: web.Request) -> str:
    session = await get_session(request)
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return str(session["csrf"])


async def check_csrf(request: web.Request, form: Any) -> bool:
    session = await get_session(request)
    expected, given = str(session.get("csrf", "")), str(form.get("csrf", ""))
    return bool(expected) and hmac.compare_digest(expected.encode(), given.encode())


@web.middleware
async def require_login(request: web.Request, handler: Any) -> web.StreamResponse:
    """Every /app/ page but the login pages and static files needs a session."""
    path = request.path
    if path.startswith("/app") and not path.startswith(PUBLIC_PATHS) and await signed_in(request) is None:
        raise web.HTTPFound("/app/login?next=" + (path if path.startswith("/app/") else "/app/"))
    return await handler(request)


@aiohttp_jinja2.template("login.html")
async def login_page(request: web.Request) -> dict[str, Any]:
    return {"error": None, "member_id": "", "csrf": await csrf_token(request), "next": _next(request)}


def _next(request: web.Request, given: Any = None) -> str:
    target = str(given if given is not None else request.query.get("next", "/app/"))
    return target if target.startswith("/app/") and "//" not in target else "/app/"


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    member_id = str(form.get("member_id", "")).strip()[: MAX_MEMBER_ID + 1]
    password = str(form.get("password", ""))[:MAX_PASSWORD]
    throttle, address = request.app[keys.LOGIN_THROTTLE], client_address(request)
    if not await check_csrf(request, form):
        error, status = "页面已过期，请重新登录", 400
    elif (wait := throttle.wait(member_id, address)) > 0:
        error, status = f"尝试次数过多，请 {math.ceil(wait)} 秒后再试", 429
    else:
        member = await _password_checked(request, member_id, password)
        if member is not None:
            throttle.succeeded(member_id, address)
            await _start_session(request, member)
            raise web.HTTPFound(_next(request, form.get("next")))
        throttle.failed(member_id, address)
        error, status = "账号或密码不对", 401
    context = {
        "error": error,
        "member_id": member_id[:MAX_MEMBER_ID],
        "csrf": await csrf_token(request),
        "next": _next(request, form.get("next")),
    }
    return aiohttp_jinja2.render_template("login.html", request, context, status=status)


async def _password_checked(request: web.Request, member_id: str, password: str) -> Member | None:
    """The member if the password is theirs. The same Argon2 work whether or not the member or
    their account exists: the time an answer takes tells nothing about who is on the roster."""
    member = request.app[keys.CONFIG].roster.member(member_id) if len(member_id) <= MAX_MEMBER_ID else None
    stored = None
    if member is not None:
        async with request.app[keys.UOW]() as uow:
            stored = await uow.accounts.password_hash(member.id)
    verified = await asyncio.to_thread(_verified, stored, password)
    return member if verified else None


async def logout(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    if await check_csrf(request, form):
        token = await _token(request)
        if token is not None:
            async with request.app[keys.UOW]() as uow:
                await uow.accounts.end_session(token, datetime.now(UTC))
                await uow.commit()
        (await get_session(request)).invalidate()
    raise web.HTTPFound("/app/login")


async def login_link(request: web.Request) -> web.StreamResponse:
    """A one-time link from ``zhuqi user set-password --link`` asks first and spends nothing: a
    chat app's link preview (GET or HEAD) neither uses it up nor signs anybody in. Who is signed in
    now is named, so nobody is silently signed in as someone else."""
    async with request.app[keys.UOW]() as uow:
        member_id = await uow.accounts.login_link_member(request.match_info["token"], datetime.now(UTC))
    member = request.app[keys.CONFIG].roster.member(member_id) if member_id else None
    if member is None:
        return await _link_refused(request)
    current = await signed_in(request)
    context = {"member": member, "current": current, "csrf": await csrf_token(request)}
    return aiohttp_jinja2.render_template("login_link.html", request, context)


async def use_login_link(request: web.Request) -> web.StreamResponse:
    """The confirmation of the link's page: the link is used up and its member signed in."""
    form = await request.post()
    if not await check_csrf(request, form):
        return await _link_refused(request, "页面已过期，请重新打开登录链接", 400)
    async with request.app[keys.UOW]() as uow:
        member_id = await uow.accounts.use_login_link(request.match_info["token"], datetime.now(UTC))
        await uow.commit()
    member = request.app[keys.CONFIG].roster.member(member_id) if member_id else None
    if member is None:
        return await _link_refused(request)
    await _start_session(request, member)
    (await get_session(request))["flash"] = "已通过链接登录，请设置密码"
    raise web.HTTPFound("/app/account")


async def _link_refused(
    request: web.Request, error: str = "登录链接无效、已用过或已过期，请向营商办重新申请", status: int = 410
) -> web.StreamResponse:
    context = {"error": error, "member_id": "", "csrf": await csrf_token(request), "next": "/app/"}
    return aiohttp_jinja2.render_template("login.html", request, context, status=status)


async def page_context(request: web.Request, member: Member, **extra: Any) -> dict[str, Any]:
    """What every signed-in page's template needs (base.html): who, their role, the CSRF token and
    the one-time flash message."""
    session = await get_session(request)
    return {
        "me": member,
        "role": ROLE_NAMES[member.role],
        "csrf": await csrf_token(request),
        "flash": session.pop("flash", None),
        **extra,
    }


async def _signed_in_member(request: web.Request) -> Member:
    member = await signed_in(request)
    assert member is not None, "require_login lets only signed-in members through"
    return member


async def account_page(request: web.Request) -> web.StreamResponse:
    member = await _signed_in_member(request)
    context = await page_context(request, member, error=None)
    return aiohttp_jinja2.render_template("account.html", request, context)


async def set_own_password(request: web.Request) -> web.StreamResponse:
    member = await _signed_in_member(request)
    form = await request.post()
    password, again = str(form.get("password", "")), str(form.get("again", ""))
    error = (
        "页面已过期，请刷新后再试"
        if not await check_csrf(request, form)
        else "两次输入的密码不一致"
        if password != again
        else f"密码至少 {MIN_PASSWORD} 位"
        if len(password) < MIN_PASSWORD
        else None
    )
    if error is None:
        hashed = await asyncio.to_thread(hash_password, password)
        keep = await _token(request)  # the session that set it goes on
        async with request.app[keys.UOW]() as uow:
            await uow.accounts.set_password_hash(member.id, hashed, datetime.now(UTC), keep=keep)
            await uow.commit()
        (await get_session(request))["flash"] = "密码已设置"
        raise web.HTTPFound("/app/")
    context = await page_context(request, member, error=error)
    return aiohttp_jinja2.render_template("account.html", request, context, status=400)
