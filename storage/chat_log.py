"""The simulator's chat log (``uow.chat_log``): every message said in a simulated group or private
chat, the bot's included, in id order. Nothing here commits; the unit of work does."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChatLog


class ChatLogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.inserted: list[int] = []  # announced by the unit of work as it commits (storage.chat_feed)

    async def insert(self, rows: list[dict[str, Any]]) -> list[int]:
        """Chat rows in one multi-row INSERT; their ids, in order."""
        ids = list((await self.session.execute(_CHAT_INSERT, rows)).scalars())
        self.inserted += ids
        return ids

    async def by_ids(self, ids: Sequence[int]) -> list[ChatLog]:
        """These chat rows (those that exist), oldest first."""
        stmt = select(ChatLog).where(ChatLog.id.in_(ids)).order_by(ChatLog.id)
        return list((await self.session.execute(stmt)).scalars())

    async def by_client_id(self, client_msg_id: str) -> ChatLog | None:
        stmt = select(ChatLog).where(ChatLog.client_msg_id == client_msg_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def latest_at(self) -> datetime | None:
        return (await self.session.execute(select(func.max(ChatLog.at)))).scalar_one_or_none()

    async def before(self, room_id: str, before: int, limit: int = 100) -> list[ChatLog]:
        """The ``limit`` newest messages older than ``before``, oldest first (the page scrolls up)."""
        stmt = (
            select(ChatLog)
            .where(ChatLog.room_id == room_id, ChatLog.id < before)
            .order_by(ChatLog.id.desc())
            .limit(limit)
        )
        return list(reversed((await self.session.execute(stmt)).scalars().all()))

    async def after(self, room_id: str, after: int, limit: int = 500) -> list[ChatLog]:
        stmt = (
            select(ChatLog)
            .where(ChatLog.room_id == room_id, ChatLog.id > after)
            .order_by(ChatLog.id)
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())


_CHAT = ChatLog.table()
_CHAT_INSERT = insert(_CHAT).returning(_CHAT.c.id, sort_by_parameter_order=True)
