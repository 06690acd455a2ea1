"""Marks of what the scheduler's jobs already did: ``ReminderMark`` per ticket and stage, ``JobMark``
per job and period (``uow.job_marks``). They have primary keys, so when two bot processes run the
same job at the same moment only one can commit (``uow.first_wins``). Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import JobMark, ReminderMark


class JobMarkRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def fired(self, issue_ids: Sequence[int]) -> dict[int, dict[str, datetime]]:
        """Stages already fired per ticket, with when."""
        if not issue_ids:
            return {}
        rows = await self.session.execute(
            select(ReminderMark.issue_id, ReminderMark.stage, ReminderMark.fired_at).where(
                ReminderMark.issue_id.in_(issue_ids)
            )
        )
        out: dict[int, dict[str, datetime]] = {}
        for issue_id, stage, at in rows.all():
            out.setdefault(issue_id, {})[stage] = at
        return out

    def mark_stages(self, issue_id: int, stages: Iterable[str], now: datetime) -> None:
        for stage in dict.fromkeys(stages):
            self.session.add(ReminderMark(issue_id=issue_id, stage=stage, fired_at=now))

    async def claim_period(self, job: str, period: str, now: datetime) -> bool:
        """Mark ``job`` done for ``period``; False when it already was (in this database)."""
        if await self.session.get(JobMark, (job, period)) is not None:
            return False
        self.session.add(JobMark(job=job, period=period, done_at=now))
        return True
