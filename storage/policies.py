"""政策找企业 records (``uow.policies``): which enterprise was told of a policy, asked about it or
applied for it, once each. Nothing here commits; the unit of work does."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.domain import PolicyUseKind
from storage.models import PolicyRecord
from storage.sql import insert_for, insert_once


class PolicyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def told_or_applied(self) -> dict[tuple[int, str], set[str]]:
        """(policy id, told reason new | deadline, or "applied") → the enterprises, for every policy
        in one query (the push job reads it on each tick)."""
        told, applied = PolicyUseKind.TOLD, PolicyUseKind.APPLIED
        stmt = select(PolicyRecord.policy_id, PolicyRecord.kind, PolicyRecord.reason, PolicyRecord.enterprise)
        out: dict[tuple[int, str], set[str]] = {}
        for pid, kind, reason, firm in (
            await self.session.execute(stmt.where(PolicyRecord.kind.in_([told, applied])))
        ).all():
            out.setdefault((pid, reason if kind == told else applied), set()).add(firm)
        return out

    async def applied(self, policy_id: int) -> dict[str, int]:
        """Enterprise → the number of its latest 申请 ticket for the policy."""
        stmt = (
            select(PolicyRecord.enterprise, PolicyRecord.reason)
            .where(PolicyRecord.policy_id == policy_id, PolicyRecord.kind == PolicyUseKind.APPLIED)
            .order_by(PolicyRecord.id)
        )
        return {firm: int(no) for firm, no in (await self.session.execute(stmt)).all()}

    async def told_since(self, since: datetime) -> dict[str, int]:
        """Push messages per room since ``since`` (the per-room daily limit): one per policy pushed."""
        stmt = (
            select(PolicyRecord.room_id, func.count(func.distinct(PolicyRecord.policy_id)))
            .where(
                PolicyRecord.kind == PolicyUseKind.TOLD,
                PolicyRecord.at >= since,
                PolicyRecord.room_id.is_not(None),
            )
            .group_by(PolicyRecord.room_id)
        )
        return {room: int(n) for room, n in (await self.session.execute(stmt)).all() if room}

    async def firms_told_since(self, since: datetime) -> set[str]:
        stmt = select(PolicyRecord.enterprise).where(
            PolicyRecord.kind == PolicyUseKind.TOLD, PolicyRecord.at >= since
        )
        return set((await self.session.execute(stmt)).scalars())

    async def record_told(
        self,
        policy_id: int,
        contacts: dict[str, str],
        reasons: Sequence[str],
        at: datetime,
        room_id: str | None,
    ) -> None:
        """Each enterprise told of the policy (for each reason) through ``contacts[firm]``, in one
        INSERT … ON CONFLICT DO NOTHING (recorded before, or by another process: kept once)."""
        rows = [
            {
                "policy_id": policy_id,
                "enterprise": firm,
                "kind": PolicyUseKind.TOLD,
                "reason": reason,
                "member_id": member,
                "room_id": room_id,
                "at": at,
            }
            for firm, member in contacts.items()
            for reason in reasons
        ]
        if rows:
            stmt = insert_for(self.session)(PolicyRecord).values(rows)
            await self.session.execute(stmt.on_conflict_do_nothing(index_elements=_ONCE))

    async def record(
        self,
        policy_id: int,
        enterprise: str,
        kind: PolicyUseKind,
        at: datetime,
        *,
        reason: str = "",
        member_id: str | None = None,
        room_id: str | None = None,
    ) -> bool:
        """One row per (policy, enterprise, kind, reason): False when it was recorded before."""
        values = {
            "policy_id": policy_id,
            "enterprise": enterprise,
            "kind": kind.value,
            "reason": reason,
            "member_id": member_id,
            "room_id": room_id,
            "at": at,
        }
        return await insert_once(
            self.session, PolicyRecord, values, ["policy_id", "enterprise", "kind", "reason"]
        )

    async def counts(self) -> dict[tuple[int, str], int]:
        """(policy id, kind) → how many enterprises."""
        stmt = select(
            PolicyRecord.policy_id, PolicyRecord.kind, func.count(func.distinct(PolicyRecord.enterprise))
        )
        rows = await self.session.execute(stmt.group_by(PolicyRecord.policy_id, PolicyRecord.kind))
        return {(pid, kind): int(n) for pid, kind, n in rows.all()}


_ONCE = ["policy_id", "enterprise", "kind", "reason"]  # uq_policy_records_once
