"""The composition root: whatever a resource opened is closed again, whatever fails after it."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp import web

from bot.app import create_app
from bot.config import Config
from bot.web import keys
from handlers.messages import Receiver
from tests.support.fakes import RecordingGateway


class GatewayThatCannotStart(RecordingGateway):
    async def start(self, inbox: Receiver) -> None:
        raise ConnectionRefusedError("the puppet service is not there")


def open_files(path: Path) -> int:
    """How many descriptors of this process point at ``path`` (Linux)."""
    fds = Path("/proc/self/fd")
    return sum(1 for fd in fds.iterdir() if _target(fd) == str(path))


def _target(fd: Path) -> str:
    try:
        return os.readlink(fd)
    except OSError:
        return ""


async def test_a_gateway_that_fails_to_start_leaves_no_database_open(
    example_config: Config, tmp_path: Path
) -> None:
    db = tmp_path / "zhuqi.db"
    app = create_app(
        replace(example_config, database_url=f"sqlite+aiosqlite:///{db}"), gateway=GatewayThatCannotStart()
    )
    runner = web.AppRunner(app)
    with pytest.raises(ConnectionRefusedError):
        await runner.setup()
    assert db.exists()  # the database did open (and was migrated) before the gateway failed
    assert keys.DISPATCHER in app and keys.SENDERS not in app  # nothing after the gateway was started
    assert open_files(db) == 1
    await runner.cleanup()  # as web.run_app does when start-up fails
    assert open_files(db) == 0


async def test_every_resource_is_closed_at_shutdown(example_config: Config, tmp_path: Path) -> None:
    db = tmp_path / "zhuqi.db"
    gateway = RecordingGateway()
    app = create_app(replace(example_config, database_url=f"sqlite+aiosqlite:///{db}"), gateway=gateway)
    runner = web.AppRunner(app)
    await runner.setup()
    assert app[keys.READY].is_set() and gateway.inbox is not None
    async with app[keys.UOW]() as uow:  # the database is really in use
        assert await uow.tickets.count_by_status() == {}
    await runner.cleanup()
    assert not app[keys.READY].is_set()
    assert gateway.inbox is None  # stopped
    assert open_files(db) == 0


def test_a_gateway_passed_in_gets_no_simulator_routes(example_config: Config) -> None:
    app = create_app(example_config, gateway=RecordingGateway())
    paths = {r.resource.canonical for r in app.router.routes() if r.resource is not None}
    assert "/healthz" in paths and not any(p.startswith("/sim") for p in paths)
    simulated = create_app(example_config)
    assert "/sim/api/messages" in {r.resource.canonical for r in simulated.router.routes() if r.resource}
