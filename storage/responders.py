"""Which bot account answers each chat (``uow.responders``), the moves between accounts, and each
account's health as the processes holding it report it. Every process reads the same tables, so
they all send a chat's messages through the one account that answers it now. Nothing here commits;
the unit of work does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.domain import MoveReason
from storage.models import AccountHealth, Responder, ResponderMove
from storage.sql import insert_for, is_postgresql

LOCK_KEY = 0x7A68_FFFF  # the advisory lock of whoever changes who answers (PostgreSQL)


@dataclass(frozen=True)
class Moved:
    """A chat handed from one account to another."""

    chat: str
    from_account: str
    to_account: str
    at: datetime
    reason: MoveReason


class ResponderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock(self) -> None:
        """Hold the responders for this transaction: two processes never plan moves at once
        (PostgreSQL an advisory lock; SQLite's one writer, taken by a first write)."""
        if is_postgresql(self.session):
            await self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        else:
            await self.session.execute(update(Responder).where(Responder.chat == "").values(account=""))

    async def settle(self, homes: Mapping[str, str], now: datetime) -> None:
        """Make the table match the configured homes: a new chat is answered by its home; a chat
        whose home changed goes to the new home; a chat no longer configured is forgotten."""
        rows = {row.chat: row for row in (await self.session.execute(select(Responder))).scalars()}
        for chat, row in rows.items():
            if chat not in homes:
                await self.session.delete(row)
            elif row.home != homes[chat]:
                row.home = row.account = homes[chat]
                row.since = now
        for chat, home in homes.items():
            if chat not in rows:
                self.session.add(Responder(chat=chat, account=home, home=home, since=now))
        await self.session.flush()

    async def all(self) -> list[Responder]:
        return list((await self.session.execute(select(Responder).order_by(Responder.chat))).scalars())

    async def move(self, chat: str, to: str, now: datetime, reason: MoveReason) -> str | None:
        """Hand ``chat`` to account ``to``; the account it came from (None: it was not there)."""
        row = await self.session.get(Responder, chat)
        if row is None or row.account == to:
            return None
        before, row.account, row.since = row.account, to, now
        self.session.add(ResponderMove(chat=chat, from_account=before, to_account=to, at=now, reason=reason))
        await self.session.flush()
        return before

    async def moves(self, most: int = 50) -> list[Moved]:
        """The latest moves, newest first (the accounts page), as plain values."""
        m = ResponderMove
        stmt = select(m.chat, m.from_account, m.to_account, m.at, m.reason).order_by(m.id.desc()).limit(most)
        return [Moved(*row) for row in (await self.session.execute(stmt)).all()]

    async def move_count(self) -> int:
        stmt = select(func.count()).select_from(ResponderMove)
        return int((await self.session.execute(stmt)).scalar_one())

    async def report(self, account: str, holder: str, *, up: bool, since: datetime, now: datetime) -> None:
        """This process's view of ``account``: up (or down) since ``since``, seen now."""
        values = {"account": account, "holder": holder, "up": up, "since": since, "seen_at": now}
        stmt = insert_for(self.session)(AccountHealth).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["account", "holder"], set_={"up": up, "since": since, "seen_at": now}
        )
        await self.session.execute(stmt)

    async def health(self) -> list[AccountHealth]:
        return list((await self.session.execute(select(AccountHealth))).scalars())

    async def forget_holders(self, before: datetime) -> None:
        """Reports older than ``before`` are of processes long gone."""
        await self.session.execute(delete(AccountHealth).where(AccountHealth.seen_at < before))
