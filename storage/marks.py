"""What the scheduler's jobs read and record: tickets that may be due, and marks of what already fired.

Marks (``ReminderMark`` per ticket and stage, ``JobMark`` per job and period) have primary keys, so
when two bot processes run the same job at the same moment only one can commit (``uow.first_wins``).
Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.domain import HANDLED, WORKING, Status, values
from storage.models import Issue, JobMark, ReminderMark


class JobRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _issues(self, *where: ColumnElement[bool]) -> list[Issue]:
        return list((await self.session.execute(select(Issue).where(*where))).scalars())

    async def working(self) -> list[Issue]:
        """Tickets a department owes work on (open or claimed)."""
        return await self._issues(Issue.status.in_(values(WORKING)))

    async def working_due(self, claim_by: datetime, resolve_by: datetime) -> list[Issue]:
        """Working tickets whose claim is due by ``claim_by`` or resolution by ``resolve_by``."""
        return await self._issues(
            Issue.status.in_(values(WORKING)),
            or_(Issue.claim_due <= claim_by, Issue.resolve_due <= resolve_by),
        )

    async def unconfirmed(self, due_by: datetime | None = None) -> list[Issue]:
        """Doubtful tickets 营商办 has not decided on (with a claim due time by ``due_by``)."""
        where = [Issue.status == Status.CANDIDATE.value]
        if due_by is not None:
            where.append(Issue.claim_due <= due_by)
        return await self._issues(*where)

    async def awaiting_rating(self) -> list[Issue]:
        return await self._issues(Issue.status == Status.RESOLVED.value, Issue.resolved_at.is_not(None))

    async def handled_closed_since(self, since: datetime) -> list[Issue]:
        """Closed after ``since`` with a department's answer (回头看 candidates)."""
        return await self._issues(
            Issue.status == Status.CLOSED.value, Issue.closed_at > since, Issue.outcome.in_(values(HANDLED))
        )

    async def unrevisited(self, after: datetime, until: datetime) -> list[Issue]:
        """Handled tickets closed in (after, until] that no 回头看 has asked about yet."""
        marked = and_(ReminderMark.issue_id == Issue.id, ReminderMark.stage.like("revisit.%"))
        stmt = (
            select(Issue)
            .outerjoin(ReminderMark, marked)
            .where(
                Issue.status == Status.CLOSED.value,
                Issue.closed_at > after,
                Issue.closed_at <= until,
                Issue.outcome.in_(values(HANDLED)),
                ReminderMark.issue_id.is_(None),
            )
        )
        return list((await self.session.execute(stmt)).scalars())

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
