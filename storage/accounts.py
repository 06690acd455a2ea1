"""Workbench accounts (Argon2 hashes, never passwords) and one-time sign-in links (``uow.accounts``).
Nothing here commits."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account, LoginLink


class Accounts:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def password_hash(self, member_id: str) -> str | None:
        account = await self.session.get(Account, member_id)
        return account.password_hash if account else None

    async def set_password_hash(self, member_id: str, password_hash: str, at: datetime) -> None:
        account = await self.session.get(Account, member_id)
        if account is None:
            self.session.add(Account(member_id=member_id, password_hash=password_hash, updated_at=at))
        else:
            account.password_hash, account.updated_at = password_hash, at

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
