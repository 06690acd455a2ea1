"""Workbench accounts (Argon2 hashes, never passwords) and one-time sign-in links (``uow.accounts``).
Nothing here commits."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from storage.models import Account, LoginLink
from storage.sql import insert_for


class Accounts:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def password_hash(self, member_id: str) -> str | None:
        account = await self.session.get(Account, member_id)
        return account.password_hash if account else None

    async def set_password_hash(self, member_id: str, password_hash: str, at: datetime) -> None:
        """Set or replace in one statement (INSERT … ON CONFLICT DO UPDATE): two bot processes
        starting together on a new database both set the demo's passwords, neither fails."""
        stmt = insert_for(self.session)(Account).values(
            member_id=member_id, password_hash=password_hash, updated_at=at
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["member_id"], set_={"password_hash": password_hash, "updated_at": at}
        )
        await self.session.execute(stmt)
        loaded = self.session.identity_map.get(identity_key(Account, member_id))
        if loaded is not None:
            self.session.expire(loaded)  # read again when next used

    # --- one-time sign-in links -------------------------------------------------------
    def add_login_link(self, token: str, member_id: str, expires_at: datetime) -> None:
        self.session.add(LoginLink(token_hash=_digest(token), member_id=member_id, expires_at=expires_at))

    async def use_login_link(self, token: str, now: datetime) -> str | None:
        """The member a valid, unused, unexpired link signs in (the link is used up), or None."""
        link = await self.session.get(LoginLink, _digest(token))
        if link is None or link.used_at is not None or link.expires_at <= now:
            return None
        link.used_at = now
        return link.member_id


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
