"""Workbench accounts from the command line, and the simulator demo's 营商办 login."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from bot.config import Config
from bot.web.workbench.auth import hash_password
from storage.db import open_database, session_factory
from storage.domain import Role
from storage.uow import UnitOfWorkFactory


async def set_password(config: Config, member_id: str, password: str) -> None:
    """Store ``member_id``'s password hash (ValueError: not in the roster, or too short)."""
    if config.directory.member(member_id) is None:
        raise ValueError(f"花名册里没有成员 {member_id} / no member {member_id!r} in the roster")
    hashed = hash_password(password)
    engine = await open_database(config.database_url)
    try:
        async with UnitOfWorkFactory(session_factory(engine))() as uow:
            await uow.ledger.set_password_hash(member_id, hashed, datetime.now(UTC))
            await uow.commit()
    finally:
        await engine.dispose()


LINK_HOURS = 24


async def login_link(config: Config, member_id: str) -> str:
    """A one-time sign-in link for ``member_id``, valid for a day (only its hash is stored)."""
    if config.directory.member(member_id) is None:
        raise ValueError(f"花名册里没有成员 {member_id} / no member {member_id!r} in the roster")
    token = secrets.token_urlsafe(24)
    engine = await open_database(config.database_url)
    try:
        async with UnitOfWorkFactory(session_factory(engine))() as uow:
            uow.ledger.add_login_link(token, member_id, datetime.now(UTC) + timedelta(hours=LINK_HOURS))
            await uow.commit()
    finally:
        await engine.dispose()
    scheme = "https" if config.web.https else "http"
    return f"{scheme}://{config.web.host}:{config.web.port}/app/login/link/{token}"


async def demo_logins(uow_factory: UnitOfWorkFactory, config: Config) -> list[str]:
    """The simulator demo: a fresh password for each 营商办 member at every start, to print."""
    lines = []
    async with uow_factory() as uow:
        for member in config.directory.with_role(Role.COORDINATOR):
            password = secrets.token_urlsafe(9)
            await uow.ledger.set_password_hash(member.id, hash_password(password), datetime.now(UTC))
            lines.append(f"  工作台 / workbench: {member.name} 账号 {member.id} 密码 {password}")
        await uow.commit()
    return lines
