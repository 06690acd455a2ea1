"""Mounting the workbench (工作台, /app/) and 公示 (/public/) on the app: sessions, headers, routes.

Server-rendered pages (aiohttp-jinja2, autoescaped), an encrypted session cookie (aiohttp-session),
a strict Content-Security-Policy and no inline script on any page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import setup as setup_session
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from bot.web import keys
from bot.web.throttle import ActionBudget, Throttle
from bot.web.workbench import (
    accounts_page,
    auth,
    charts,
    monthly,
    notices_page,
    pages,
    policies_page,
    public,
    roster_page,
)
from storage.domain import Role

HERE = Path(__file__).parent
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@web.middleware
async def security_headers(request: web.Request, handler: Any) -> web.StreamResponse:
    response = await handler(request)
    if request.path.startswith(("/app", "/public")):
        if not request.path.startswith("/app/static/"):  # personal data: kept by no cache
            response.headers["Cache-Control"] = "no-store"
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
    return response


def setup_workbench(app: web.Application) -> None:
    web_config = app[keys.CONFIG].web
    setup_session(
        app,
        EncryptedCookieStorage(
            web_config.session_key,
            cookie_name="zhuqi_session",
            httponly=True,
            samesite="Lax",
            secure=web_config.https,
            max_age=12 * 3600,
        ),
    )
    app.middlewares.extend([security_headers, auth.require_login])
    env = aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)
    env.globals["Role"] = Role  # templates compare roles by name: {% if me.role is sameas Role.LEADER %}
    app[keys.LOGIN_THROTTLE] = Throttle()
    app[keys.WEB_ACTIONS] = ActionBudget()
    routes = app.router
    routes.add_get("/app", _to_home)
    routes.add_get("/app/", pages.home)
    routes.add_get("/app/charts.json", charts.figures)
    routes.add_get("/app/login", auth.login_page)
    routes.add_post("/app/login", auth.login)
    routes.add_post("/app/logout", auth.logout)
    routes.add_get("/app/login/link/{token}", auth.login_link)
    routes.add_post("/app/login/link/{token}", auth.use_login_link)
    routes.add_get("/app/account", auth.account_page)
    routes.add_post("/app/account", auth.set_own_password)
    routes.add_get("/app/issues", pages.ledger)
    routes.add_get("/app/issues.xlsx", pages.ledger_xlsx)
    routes.add_get("/app/queue", pages.queue)
    routes.add_get("/app/roster", roster_page.page)
    routes.add_post("/app/roster", roster_page.upload)
    routes.add_get("/app/reports/monthly.xlsx", monthly.monthly_xlsx)
    routes.add_get("/app/issues/{no}", pages.ticket)
    routes.add_post("/app/issues/{no}/act", pages.act)
    routes.add_post("/app/assign", pages.assign)
    routes.add_get("/app/notices", notices_page.notices)
    routes.add_get("/app/notices/{no}.xlsx", notices_page.notice_xlsx)
    routes.add_get("/app/notices/{no}", notices_page.notice)
    routes.add_get("/app/policies", policies_page.policies)
    routes.add_get("/app/accounts", accounts_page.accounts)
    routes.add_static("/app/static/", HERE / "static", name="app-static")
    routes.add_get("/public/", public.public)


async def _to_home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/app/")
