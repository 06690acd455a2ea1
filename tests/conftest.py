"""Shared fixtures: a real database (SQLite file, and PostgreSQL when reachable), the example
roster, a fixed clock, a recording gateway, and a ``chat`` driver that reads like the group."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest

from bot.config import Config, load_config
from bot.outbox import OutboxSender, RateLimit
from handlers.clock import TZ, ForwardClock
from handlers.commands.table import command_table
from handlers.context import Services
from handlers.dispatcher import Dispatcher
from handlers.intake.classifier import TextClassifier, default_model
from handlers.intake.classifier.adapter import MODEL_FILE
from handlers.intake.classifier.features import shared_tokenizer
from handlers.roster.model import Roster
from storage.db import create_engine, migrate, session_factory
from storage.uow import UnitOfWorkFactory
from tests.support import throwaway_pg
from tests.support.chat import EXAMPLE, Chat, FreshClassifier
from tests.support.fakes import RecordingGateway
from tests.support.levels import flat_example

T = TypeVar("T")
PG_URL = os.environ.get("ZHUQI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _in_thread(coro: Coroutine[Any, Any, T]) -> T:
    # Fixtures may be set up while pytest-asyncio's loop runs: use a loop of our own in a thread.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _pg_probe(url: str) -> bool:
    try:
        conn = await asyncpg.connect(url, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await conn.close()
    return True


async def _pg_admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str | None]:
    """The PostgreSQL the tests use: ``ZHUQI_TEST_PG_URL`` (a local server) when it answers; else a
    throwaway one started for this run when the server binaries are installed; else None."""
    if _in_thread(_pg_probe(PG_URL)):
        yield PG_URL
        return
    bin_dir = throwaway_pg.binaries()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_URL} and not installed; CI must run those tests")
        yield None
        return
    server = throwaway_pg.ThrowawayPostgres(bin_dir)
    try:
        yield server.start()
    finally:
        server.stop()


def _database_url(server: str, name: str) -> str:
    return server.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def pg_template(pg_server: str | None) -> Iterator[str | None]:
    """A PostgreSQL database migrated once per test process, copied for each test that needs a
    migrated one (``CREATE DATABASE … TEMPLATE``): 15 migrations once instead of once a test."""
    if pg_server is None:
        yield None
        return
    name = f"zhuqi_tpl_{uuid.uuid4().hex[:12]}"
    _in_thread(_pg_admin(pg_server, f'CREATE DATABASE "{name}"'))
    try:
        _in_thread(_migrated(_database_url(pg_server, name)))
        yield name
    finally:
        _in_thread(_pg_admin(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _pg_database(pg_server: str | None, template: str | None) -> Iterator[str]:
    if pg_server is None:
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}, and no server binaries to start one")
    name = f"zhuqi_t_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    _in_thread(_pg_admin(pg_server, f'CREATE DATABASE "{name}"{copy}'))
    try:
        yield _database_url(pg_server, name)
    finally:
        _in_thread(_pg_admin(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def pg_url(pg_server: str | None, pg_template: str | None) -> Iterator[str]:
    """A PostgreSQL database for one test, already migrated (a copy of the template), dropped afterwards."""
    yield from _pg_database(pg_server, pg_template)


@pytest.fixture
def empty_pg_url(pg_server: str | None) -> Iterator[str]:
    """An empty PostgreSQL database (no tables), for tests of the migrations and of a first start."""
    yield from _pg_database(pg_server, None)


async def _migrated(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per test process; each test gets a copy of it."""
    path = tmp_path_factory.mktemp("template") / "zhuqi.db"
    _in_thread(_migrated(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    """The same test against a SQLite file and a PostgreSQL database, both already migrated."""
    if request.param == "sqlite":
        return sqlite_url
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty SQLite file or PostgreSQL database, for the migrations' own tests and a first start."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    return str(request.getfixturevalue("empty_pg_url"))


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A SQLite file for one test, already migrated (a copy of the template)."""
    path = tmp_path / "zhuqi.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="session")
def classifier_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default classifier trained once per session (seconds) into a private cache dir."""
    cache = tmp_path_factory.mktemp("classifier")
    default_model(cache)
    return cache


@pytest.fixture(scope="session")
def example_config(classifier_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Config:
    # The example config as a single-level deployment (its levels section cut: the one city group
    # the most tests are about; "existing one-city configs keep working unchanged"). The example as
    # shipped, with its county and park, is ``demo_config`` (the levels tests, the README tours).
    # Apps built from it (web, wechaty tests) load the session's cached model, and start without the
    # welcome so a test's transcript is its own (test_welcome has it on). Policy pushes are off for
    # the same reason (tests/integration/test_policies.py turns them on).
    path = tmp_path_factory.mktemp("flat") / "config.toml"
    path.write_text(flat_example(), encoding="utf-8")
    return _for_tests(load_config(path, env={}), classifier_cache)


@pytest.fixture(scope="session")
def demo_config(classifier_cache: Path) -> Config:
    """config.example.toml as shipped: the city, 涪城区 and its park (what ``make run`` starts)."""
    return _for_tests(load_config(EXAMPLE, env={}), classifier_cache)


def _for_tests(config: Config, classifier_cache: Path) -> Config:
    schedule = replace(config.schedule, policy_push="off")
    return replace(config, model_dir=classifier_cache, welcome=False, schedule=schedule)


@pytest.fixture(scope="session")
def roster(example_config: Config) -> Roster:
    return example_config.roster


@pytest.fixture
def clock() -> ForwardClock:
    # A Monday morning in a normal working week.
    return ForwardClock(datetime(2026, 11, 23, 9, 30, tzinfo=TZ))


@pytest.fixture
async def uow(db_url: str) -> AsyncIterator[UnitOfWorkFactory]:
    engine = create_engine(db_url)  # migrated already: a copy of the template
    yield UnitOfWorkFactory(session_factory(engine))
    await engine.dispose()


@pytest.fixture
def gateway() -> RecordingGateway:
    return RecordingGateway()


@pytest.fixture(scope="session")
def session_model(classifier_cache: Path) -> TextClassifier:
    return TextClassifier.load(classifier_cache / MODEL_FILE, tokenizer=shared_tokenizer())


@pytest.fixture
def services(example_config: Config, session_model: TextClassifier) -> Services:
    roster = example_config.roster
    return Services(
        roster=roster,
        classifier=FreshClassifier(session_model, roster),
        settings=example_config.settings,
        policies=example_config.policies,
    )


@pytest.fixture
def chat(uow: UnitOfWorkFactory, services: Services, clock: ForwardClock, gateway: RecordingGateway) -> Chat:
    sender = OutboxSender(uow, gateway, clock, RateLimit(0, (0, 0)))
    dispatcher = Dispatcher(uow, services, clock, command_table(), on_commit=sender.wake)
    return Chat(dispatcher, sender, gateway, clock)


@pytest.fixture
def env_clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key in ("ZHUQI_CONFIG", "DATABASE_URL", "ZHUQI_PORT", "ZHUQI_ADMIN_TOKEN", "ZHUQI_GATEWAY"):
        monkeypatch.delenv(key, raising=False)
    yield
