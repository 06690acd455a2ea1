"""The durable inbox: a received message is stored once, and taken once for processing.

Nothing here commits. ``store`` runs in the short transaction that acknowledges a message;
``take`` runs first in the transaction that processes it, so "processed" commits together with the
message's effect. ``SKIP LOCKED`` lets a second bot process pass over a row another one is working on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboxMessage, UtcDateTime


class InboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def oldest_pending(self) -> datetime | None:
        """When the oldest message still waiting to be processed arrived (/metrics' inbox lag)."""
        stmt = select(func.min(InboxMessage.received_at)).where(InboxMessage.processed_at.is_(None))
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def find(self, gateway: str, message_id: str) -> InboxMessage | None:
        stmt = select(InboxMessage).where(
            InboxMessage.gateway == gateway, InboxMessage.message_id == message_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def insert_new(self, rows: list[dict[str, Any]]) -> list[int]:
        """Rows whose message ids cannot have been stored before (the simulator's own ids), in one
        multi-row INSERT with no lookup first (the unique key still refuses a repeat); their ids."""
        result = await self.session.execute(_INBOX_INSERT, rows)
        return list(result.scalars())

    async def store(self, **fields: Any) -> int | None:
        """The new row's id, or None when this gateway's message id is already stored (a redelivery).

        Two processes storing the same message at once: the loser fails at commit (unique key)."""
        if await self.find(fields["gateway"], fields["message_id"]) is not None:
            return None
        row = InboxMessage(**fields)
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def pending(self, limit: int = 100) -> list[int]:
        """Ids of stored messages nobody has processed yet, oldest first."""
        stmt = select(InboxMessage.id).where(InboxMessage.processed_at.is_(None)).order_by(InboxMessage.id)
        return list((await self.session.execute(stmt.limit(limit))).scalars())

    async def take(self, inbox_id: int, now: datetime) -> InboxMessage | None:
        """Mark the row processed (committed with its effect), or None when it already is, or when
        another process is working on it right now."""
        taken = await self.take_many([inbox_id], now)
        return taken[0] if taken else None

    async def take_many(self, inbox_ids: list[int], now: datetime) -> list[InboxMessage]:
        """``take`` for several rows in one statement: those not processed and not being processed
        by another process right now, marked processed (committed with their effects), oldest first.
        On SQLite this takes the write lock before any other work."""
        params = {"ids": inbox_ids, "now": now}
        rows = list((await self.session.execute(_TAKE_MANY, params, execution_options=_AS_LOADED)).scalars())
        return sorted(rows, key=lambda row: row.id)

    async def processed_among(self, ids: list[int]) -> list[int]:
        stmt = select(InboxMessage.id).where(InboxMessage.id.in_(ids), InboxMessage.processed_at.is_not(None))
        return list((await self.session.execute(stmt)).scalars())


# Built once: the batch path runs them for every 32 messages, and building them (and the ORM's
# bulk-update bookkeeping) cost more than running them.
_INBOX = InboxMessage.table()
_INBOX_INSERT = insert(_INBOX).returning(_INBOX.c.id, sort_by_parameter_order=True)
_UNPROCESSED_AMONG = (
    select(InboxMessage.id)
    .where(InboxMessage.id.in_(bindparam("ids", expanding=True)), InboxMessage.processed_at.is_(None))
    .with_for_update(skip_locked=True)
)
_TAKE_MANY = (
    update(InboxMessage)
    .where(InboxMessage.id.in_(_UNPROCESSED_AMONG.scalar_subquery()))
    .values(processed_at=bindparam("now", type_=UtcDateTime()))
    .returning(InboxMessage)
)
_AS_LOADED = {"synchronize_session": False}  # the rows come back loaded: nothing to reconcile
