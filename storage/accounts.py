"""Workbench accounts (Argon2 hashes, never passwords), their sessions and one-time sign-in links
(``uow.accounts``). Only SHA-256 digests of session and link tokens are kept. Nothing here commits."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from storage.domain import Role
from storage.models import Account, LoginLink, UtcDateTime, WebSession
from storage.sql import insert_for

SESSION_HOURS = 12  # a session ends this long after sign-in, whatever its cookie says


class Accounts:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def password_hash(self, member_id: str) -> str | None:
        account = await self.session.get(Account, member_id)
        return account.password_hash if account else None

    async def set_password_hash(
        self, member_id: str, password_hash: str, at: datetime, *, keep: str | None = None
    ) -> None:
        """Set or replace in one statement (INSERT … ON CONFLICT DO UPDATE): two bot processes
        starting together on a new database both set the demo's passwords, neither fails. The
        member's sessions end (all but ``keep``'s, the one that set it)."""
        await self.end_sessions(member_id, at, keep=keep)
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

    # --- sessions ------------------------------------------------------------------------
    def open_session(self, member_id: str, role: Role, now: datetime) -> str:
        """A new session for the member as they are now (their role): its token, for the cookie."""
        token = secrets.token_urlsafe(32)
        self.session.add(
            WebSession(token_hash=_digest(token), member_id=member_id, role=role, created_at=now)
        )
        return token

    async def session_of(self, token: str, now: datetime) -> WebSession | None:
        """The live session this token names: not ended, not older than ``SESSION_HOURS``."""
        found = await self.session.get(WebSession, _digest(token))
        if found is None or found.ended_at is not None:
            return None
        return found if now - found.created_at < timedelta(hours=SESSION_HOURS) else None

    async def end_session(self, token: str, now: datetime) -> None:
        await self.session.execute(_END.where(WebSession.token_hash == _digest(token)), {"now": now})

    async def end_sessions(self, member_id: str, now: datetime, *, keep: str | None = None) -> None:
        """End the member's sessions (all but ``keep``'s): a new password, a new role."""
        stmt = _END.where(WebSession.member_id == member_id)
        if keep is not None:
            stmt = stmt.where(WebSession.token_hash != _digest(keep))
        await self.session.execute(stmt, {"now": now})

    # --- one-time sign-in links -------------------------------------------------------
    def add_login_link(self, token: str, member_id: str, expires_at: datetime) -> None:
        self.session.add(LoginLink(token_hash=_digest(token), member_id=member_id, expires_at=expires_at))

    async def login_link_member(self, token: str, now: datetime) -> str | None:
        """The member a valid, unused, unexpired link is for, leaving it unused (a page that asks
        to confirm first: a link previewer that fetches the page does not spend it)."""
        link = await self._live_link(token, now)
        return None if link is None else link.member_id

    async def _live_link(self, token: str, now: datetime) -> LoginLink | None:
        """The link this token names if it is unused and unexpired."""
        link = await self.session.get(LoginLink, _digest(token))
        return None if link is None or link.used_at is not None or link.expires_at <= now else link

    async def use_login_link(self, token: str, now: datetime) -> str | None:
        """The member a valid, unused, unexpired link signs in (the link is used up), or None."""
        link = await self._live_link(token, now)
        if link is None:
            return None
        link.used_at = now
        return link.member_id


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


_END = (
    update(WebSession)
    .where(WebSession.ended_at.is_(None))
    .values(ended_at=bindparam("now", type_=UtcDateTime()))
    .execution_options(synchronize_session=False)
)
