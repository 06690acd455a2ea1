"""Imported 花名册 members and the record of imports (``uow.roster_imports``). Nothing here commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import RosterImport, RosterMember


class RosterImportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def members(self) -> list[RosterMember]:
        return list(
            (await self.session.execute(select(RosterMember).order_by(RosterMember.member_id))).scalars()
        )

    async def version(self) -> int:
        """The latest import's id (0 before any): the bot reloads when it changes."""
        return int(
            (await self.session.execute(select(func.coalesce(func.max(RosterImport.id), 0)))).scalar_one()
        )

    async def record(
        self, rows: Sequence[dict[str, Any]], at: datetime, by: str, source: str, changes: Sequence[str] = ()
    ) -> None:
        """Store the rows (replacing members with the same id) and the import itself, with what it
        changed for members already known (role, department, enterprise, name: before → after)."""
        for row in rows:
            existing = await self.session.get(RosterMember, row["member_id"])
            if existing is None:
                self.session.add(RosterMember(**row, updated_at=at))
            else:
                for key, value in row.items():
                    setattr(existing, key, value)
                existing.updated_at = at
        self.session.add(
            RosterImport(at=at, by=by, source=source[:255], rows=len(rows), changes=list(changes))
        )

    async def recent(self, limit: int = 5) -> list[RosterImport]:
        """The latest imports, newest first (the 花名册 page's record)."""
        stmt = select(RosterImport).order_by(RosterImport.id.desc()).limit(limit)
        return list((await self.session.execute(stmt)).scalars())
