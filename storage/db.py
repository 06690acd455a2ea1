"""Engine and session factories, and bringing the schema to the newest migration."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage import sqlite_inline

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
# No database call may wait forever: a statement (a lock wait included) or a cancelled one that the
# server never acknowledged ends with an error after this long, the connection is dropped, and the
# caller's next attempt gets a fresh one (the inbox loop and the scheduler's tick simply retry).
COMMAND_TIMEOUT_SECONDS = 60
# A transaction left open by a client that went away is ended by the server, releasing its locks.
IDLE_IN_TRANSACTION_MS = 5 * 60 * 1000


# What a database call raises when the database is gone or refuses (for callers outside storage/,
# which do not import SQLAlchemy: the web's JSON 503).
DATABASE_ERRORS: tuple[type[Exception], ...] = (SQLAlchemyError, OSError)


class DatabaseUnavailable(Exception):
    """The database cannot be reached or prepared; the message names it (without password) and why."""


async def open_database(url: str) -> AsyncEngine:
    """An engine with the schema at the newest migration, or ``DatabaseUnavailable``."""
    safe = make_url(normalize_url(url)).render_as_string(hide_password=True)
    try:
        engine = create_engine(url)
        await migrate(engine)
    except (OSError, SQLAlchemyError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise DatabaseUnavailable(f"{safe}: {reason}") from exc
    return engine


def normalize_url(url: str) -> str:
    """Accept the plain URLs people paste (postgres://, postgresql://, sqlite:///) and pick async drivers."""
    parsed = make_url(
        url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url
    )
    driver = {"postgresql": "postgresql+asyncpg", "sqlite": "sqlite+aiosqlite"}.get(parsed.drivername)
    return parsed.set(drivername=driver).render_as_string(hide_password=False) if driver else url


def create_engine(
    url: str, *, schema: str | None = None, command_timeout: float = COMMAND_TIMEOUT_SECONDS
) -> AsyncEngine:
    """An engine for ``url``. PostgreSQL only: ``schema`` isolates a test run in its own schema, and
    no statement waits longer than ``command_timeout`` seconds."""
    url = normalize_url(url)
    parsed = make_url(url)
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # SQLite has one writer at a time: with one connection, transactions queue in the pool
        # (an asyncio wait) instead of colliding in the file lock, where SQLite's busy handler
        # sleeps up to 100 ms at a time. A local file needs no ping before use. Short statements
        # run on the event loop, commits and long reads in aiosqlite's thread (sqlite_inline).
        database = parsed.database or ":memory:"
        kwargs = {
            "async_creator": lambda: sqlite_inline.connect(database),
            "pool_size": 1,
            "max_overflow": 0,
            "pool_timeout": 120,
        }
    elif parsed.get_dialect().driver == "asyncpg":
        settings = {"idle_in_transaction_session_timeout": str(IDLE_IN_TRANSACTION_MS)}
        if schema:
            settings["search_path"] = schema
        kwargs["connect_args"] = {"command_timeout": command_timeout, "server_settings": settings}
    engine = create_async_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets the web page read while the sender writes; foreign keys are off by default in SQLite.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


def alembic_config(migrations: Path = MIGRATIONS) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(migrations))
    return cfg


def _upgrade(connection: Connection, revision: str, migrations: Path = MIGRATIONS) -> None:
    cfg = alembic_config(migrations)
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


def _downgrade(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.downgrade(cfg, revision)


MIGRATION_LOCK = 0x7A68_7571  # "zhuq": the PostgreSQL advisory lock two starting processes share


async def migrate(engine: AsyncEngine, revision: str = "head", *, migrations: Path = MIGRATIONS) -> None:
    """Apply migrations up to ``revision`` (the service calls this at start). Two bot processes
    starting together take turns, and the second finds the schema already there: on PostgreSQL
    through an advisory lock, on SQLite by taking the write lock before the version is read."""
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        else:
            await conn.exec_driver_sql("BEGIN IMMEDIATE")
        await conn.run_sync(_upgrade, revision, migrations)
    log.info("database schema at %s", revision)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_downgrade, revision)


async def new_migration(name: str, workdir: Path, migrations: Path = MIGRATIONS) -> Path:
    """Write the next migration, ``NNNN_<name>.py``, with what the models declare that the
    migrations do not build yet (Alembic autogenerate, compared on a SQLite file in ``workdir``
    brought to head first). Read it before committing: autogenerate misses renames and data moves."""
    engine = create_engine(f"sqlite+aiosqlite:///{workdir / 'autogenerate.db'}")
    try:
        await migrate(engine, migrations=migrations)
        async with engine.begin() as conn:
            return await conn.run_sync(_autogenerate, name, migrations)
    finally:
        await engine.dispose()


def _autogenerate(connection: Connection, name: str, migrations: Path) -> Path:
    cfg = alembic_config(migrations)
    cfg.attributes["connection"] = connection
    cfg.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    latest = max(int(p.name[:4]) for p in (migrations / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
    script = command.revision(cfg, message=name, autogenerate=True, rev_id=f"{latest + 1:04d}")
    assert script is not None and not isinstance(script, list)
    return Path(script.path)
