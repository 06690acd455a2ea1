"""Workbench sign-in: roster members with an Argon2-hashed password, an encrypted session cookie,
a CSRF token per session, and failed logins limited per member and per address."""

from __future__ import annotations

import asyncio
import hmac
import secrets
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


async def signed_in(request: web.Request) -> Member | None:
    session = await get_session(request)
    member_id = session.get("member_id")
    return request.app[keys.CONFIG].roster.member(member_id) if isinstance(member_id, str) else None


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
    """Every /app/ page but the login page and static files needs a session."""
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
    member_id, password = str(form.get("member_id", "")).strip(), str(form.get("password", ""))
    throttle = request.app[keys.LOGIN_THROTTLE]
    who, where = f"member:{member_id}", f"address:{request.remote}"
    error = None
    if not await check_csrf(request, form):
        error = "页面已过期，请重新登录"
    elif throttle.blocked(who, where):
        error = "登录失败次数过多，请 15 分钟后再试"
    else:
        member = request.app[keys.CONFIG].roster.member(member_id)
        async with request.app[keys.UOW]() as uow:
            stored = await uow.accounts.password_hash(member_id) if member else None
        if member is not None and await asyncio.to_thread(_verified, stored, password):
            session = await new_session(request)  # a fresh session id: no fixation
            session["member_id"], session["csrf"] = member.id, secrets.token_urlsafe(24)
            raise web.HTTPFound(_next(request, form.get("next")))
        throttle.failed(who, where)
        error = "账号或密码不对"
    context = {
        "error": error,
        "member_id": member_id,
        "csrf": await csrf_token(request),
        "next": _next(request, form.get("next")),
    }
    return aiohttp_jinja2.render_template(
        "login.html", request, context, status=429 if "过多" in error else 401
    )


async def logout(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    if await check_csrf(request, form):
        (await get_session(request)).invalidate()
    raise web.HTTPFound("/app/login")


async def login_link(request: web.Request) -> web.StreamResponse:
    """A one-time link from ``zhuqi user set-password --link``: signs in once, then 设置密码."""
    now = request.app[keys.CLOCK].now()
    async with request.app[keys.UOW]() as uow:
        member_id = await uow.accounts.use_login_link(request.match_info["token"], now)
        await uow.commit()
    member = request.app[keys.CONFIG].roster.member(member_id) if member_id else None
    if member is None:
        context = {
            "error": "登录链接无效、已用过或已过期，请向营商办重新申请",
            "member_id": "",
            "csrf": await csrf_token(request),
            "next": "/app/",
        }
        return aiohttp_jinja2.render_template("login.html", request, context, status=410)
    session = await new_session(request)
    session["member_id"], session["csrf"] = member.id, secrets.token_urlsafe(24)
    session["flash"] = "已通过链接登录，请设置密码"
    raise web.HTTPFound("/app/account")


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
        async with request.app[keys.UOW]() as uow:
            await uow.accounts.set_password_hash(member.id, hashed, request.app[keys.CLOCK].now())
            await uow.commit()
        (await get_session(request))["flash"] = "密码已设置"
        raise web.HTTPFound("/app/")
    context = await page_context(request, member, error=error)
    return aiohttp_jinja2.render_template("account.html", request, context, status=400)
