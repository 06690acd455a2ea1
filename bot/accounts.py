"""Workbench accounts from the command line, and the simulator demo's 营商办 login."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta

from bot.config import Config
from bot.web.workbench.auth import hash_password
from storage.domain import Role
from storage.uow import UnitOfWorkFactory, opened


async def set_password(config: Config, member_id: str, password: str) -> None:
    """Store ``member_id``'s password hash (ValueError: not in the roster, or too short)."""
    if config.roster.member(member_id) is None:
        raise ValueError(f"花名册里没有成员 {member_id} / no member {member_id!r} in the roster")
    hashed = hash_password(password)
    async with opened(config.database_url) as units, units() as uow:
        await uow.accounts.set_password_hash(member_id, hashed, datetime.now(UTC))
        await uow.commit()


LINK_HOURS = 24


async def login_link(config: Config, member_id: str) -> str:
    """A one-time sign-in link for ``member_id``, valid for a day (only its hash is stored)."""
    if config.roster.member(member_id) is None:
        raise ValueError(f"花名册里没有成员 {member_id} / no member {member_id!r} in the roster")
    token = secrets.token_urlsafe(24)
    async with opened(config.database_url) as units, units() as uow:
        uow.accounts.add_login_link(token, member_id, datetime.now(UTC) + timedelta(hours=LINK_HOURS))
        await uow.commit()
    scheme = "https" if config.web.https else "http"
    return f"{scheme}://{config.web.host}:{config.web.port}/app/login/link/{token}"


async def demo_logins(uow_factory: UnitOfWorkFactory, config: Config) -> list[str]:
    """The simulator demo: a fresh password for each 营商办 member at every start, to print."""
    lines = []
    async with uow_factory() as uow:
        for member in config.roster.with_role(Role.COORDINATOR):
            password = secrets.token_urlsafe(9)
            hashed = await asyncio.to_thread(hash_password, password)  # Argon2: ~0.1 s, 64 MiB, off the loop
            await uow.accounts.set_password_hash(member.id, hashed, datetime.now(UTC))
            lines.append(f"  工作台 / workbench: {member.name} 账号 {member.id} 密码 {password}")
        await uow.commit()
    return lines
