"""The explicit route table of the web side."""

from __future__ import annotations

from aiohttp import web

from bot.web import api, metrics, simulator, time_travel


def setup_routes(app: web.Application, *, simulator_on: bool) -> None:
    app.router.add_get("/healthz", api.healthz)
    app.router.add_get("/metrics", metrics.metrics)
    app.router.add_get("/api/issues", api.list_issues)
    app.router.add_get("/api/issues/{no}", api.get_issue)
    if simulator_on:
        add_simulator_routes(app)


def add_simulator_routes(app: web.Application) -> None:
    """The group-chat page, its JSON API and websocket, and time travel."""
    app.router.add_get("/", simulator.index_redirect)
    app.router.add_get("/sim/", simulator.page)
    app.router.add_get("/sim/api/rooms", simulator.rooms)
    app.router.add_get("/sim/api/members", simulator.members)
    app.router.add_get("/sim/api/messages", simulator.messages)
    app.router.add_post("/sim/api/messages", simulator.post_message)
    app.router.add_get("/sim/ws", simulator.websocket)
    app.router.add_get("/sim/api/accounts", simulator.accounts)
    app.router.add_post("/sim/api/accounts/{name}", simulator.cut_account)
    app.router.add_get("/sim/api/clock", time_travel.get_clock)
    app.router.add_post("/sim/api/clock", time_travel.post_clock)
    app.router.add_static("/sim/static/", simulator.STATIC, name="sim-static")
