"""Member bindings (绑定, ``uow.bindings``): an enterprise member's claim to belong to a firm, and
营商办's decision on it. Nothing here commits; the unit of work does."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.domain import MAX_TICKET_NO, BindingStatus
from storage.models import MemberBinding


class BindingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, binding: MemberBinding) -> None:
        self.session.add(binding)
        await self.session.flush()

    async def get(self, binding_id: int) -> MemberBinding | None:
        if not 1 <= binding_id <= MAX_TICKET_NO:
            return None
        return await self.session.get(MemberBinding, binding_id)

    async def confirmed(self, member_id: str) -> MemberBinding | None:
        stmt = (
            select(MemberBinding)
            .where(MemberBinding.member_id == member_id, MemberBinding.status == BindingStatus.CONFIRMED)
            .order_by(MemberBinding.id.desc())
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()
