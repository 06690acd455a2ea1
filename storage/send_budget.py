"""The send governor's shared record (``uow.send_budget``): an account may send a message only when
its limits allow, counted over what every bot process sent for it (the ``sends`` table), so two
processes sending for one WeChat account never together go past what one may.

``reserve`` takes the account's lock for its transaction — PostgreSQL an advisory lock on the
account, SQLite its one writer (a first write takes it before anything is read) — counts, and
either records the send or says how long to wait. Nothing here commits; the unit of work does.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.domain import Priority
from storage.models import SendRecord
from storage.sql import is_postgresql

KEPT = timedelta(hours=1)
# A send is recorded when it is allowed and reaches WeChat a moment later (the gateway's call, under
# load a few hundred ms): each window is this much longer, so what WeChat receives keeps the limits.
SLACK = timedelta(milliseconds=500)
MINUTE, SECOND = timedelta(minutes=1) + SLACK, timedelta(seconds=1) + SLACK
# The share of the per-minute limit each priority may use: answers to people always find room,
# however many reminders, digests or pushes wait (a push never holds a group's 已受理 for a minute).
SHARE = {Priority.ANSWER: 1.0, Priority.REMINDER: 0.75, Priority.DIGEST: 0.5, Priority.BROADCAST: 0.5}
LOCK_BASE = 0x7A68_0000  # advisory lock keys of the accounts: this base plus a hash of the name


@dataclass(frozen=True)
class SendLimits:
    """What one account may send: WeChat publishes no limit; the community's safe defaults for a
    personal account are about 40 messages a minute and one a second per chat."""

    per_minute: float = 40.0  # messages (parts of a split message each count) in any 60 s
    per_chat_per_second: float = 1.0
    min_gap_seconds: float = 0.0  # between any two messages of the account


class SendBudgetRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def reserve(
        self,
        account: str,
        chat: str,
        parts: int,
        now: datetime,
        limits: SendLimits,
        priority: Priority = Priority.ANSWER,
    ) -> float:
        """Record a send of ``parts`` to ``chat`` now and return 0, or the seconds to wait before
        asking again (nothing recorded) when the account's limits do not allow it yet (a message
        of a lower ``priority`` may use only its share of the minute)."""
        await self._lock(account, now)
        most = max(1.0, limits.per_minute * SHARE[Priority(priority)])
        parts = max(1, min(parts, int(most)))
        wait = max(
            await self._minute_wait(account, parts, now, most),
            await self._chat_wait(account, chat, now, limits),
            await self._gap_wait(account, now, limits),
        )
        if wait <= 0:
            self.session.add(SendRecord(account=account, chat=chat, at=now, parts=parts))
            await self.session.flush()
        return wait

    async def sent_since(self, account: str, since: datetime) -> int:
        """Parts the account sent since ``since`` (what /metrics and the accounts page show)."""
        stmt = select(func.coalesce(func.sum(SendRecord.parts), 0)).where(
            SendRecord.account == account, SendRecord.at > since
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def _lock(self, account: str, now: datetime) -> None:
        if is_postgresql(self.session):
            key = LOCK_BASE + zlib.crc32(account.encode()) % 0xFFFF
            await self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        # Forgetting what is past the hour is a write: on SQLite it takes the writer's lock first.
        await self.session.execute(
            delete(SendRecord).where(SendRecord.account == account, SendRecord.at < now - KEPT)
        )

    async def _minute_wait(self, account: str, parts: int, now: datetime, most: float) -> float:
        """Until the oldest sends of the window leave it, when ``parts`` more would pass ``most``."""
        stmt = (
            select(SendRecord.at, SendRecord.parts)
            .where(SendRecord.account == account, SendRecord.at > now - MINUTE)
            .order_by(SendRecord.at)
        )
        window = (await self.session.execute(stmt)).all()
        over = sum(p for _at, p in window) + parts - most
        for at, p in window:
            if over <= 0:
                break
            over -= p
            if over <= 0:
                return max(0.05, (at + MINUTE - now).total_seconds())
        return 0.0 if over <= 0 else max(0.05, (window[-1][0] + MINUTE - now).total_seconds())

    async def _chat_wait(self, account: str, chat: str, now: datetime, limits: SendLimits) -> float:
        stmt = select(func.count(), func.min(SendRecord.at)).where(
            SendRecord.account == account, SendRecord.chat == chat, SendRecord.at > now - SECOND
        )
        count, oldest = (await self.session.execute(stmt)).one()
        if count < limits.per_chat_per_second or oldest is None:
            return 0.0
        return max(0.05, (oldest + SECOND - now).total_seconds())

    async def _gap_wait(self, account: str, now: datetime, limits: SendLimits) -> float:
        if limits.min_gap_seconds <= 0:
            return 0.0
        stmt = select(func.max(SendRecord.at)).where(SendRecord.account == account)
        last = (await self.session.execute(stmt)).scalar_one_or_none()
        if last is None:
            return 0.0
        # Another process's clock a little ahead puts its last send in this one's future: the gap
        # is kept from now, never made longer by the skew.
        return max(0.0, limits.min_gap_seconds - max(0.0, (now - last).total_seconds()))
