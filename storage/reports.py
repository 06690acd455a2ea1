"""Report queries: the daily digest and the department ranking, aggregated in SQL.

Every query filters on one indexed timestamp (created_at, claimed_at, resolved_at, closed_at —
see migration 0002) so a digest over a million tickets reads only the window it reports on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, and_, case, cast, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from storage.domain import HANDLED, WORKING, Action, IssueKind, Outcome, Status
from storage.models import Issue, IssueEvent


@dataclass(frozen=True)
class DailyFigures:
    new: int
    claimed: int
    resolved: int
    overdue: int
    overdue_list: list[Issue]

    @property
    def empty(self) -> bool:
        return not (self.new or self.claimed or self.resolved or self.overdue)


@dataclass(frozen=True)
class DepartmentFigures:
    department: str
    received: int = 0
    handled: int = 0
    median_claim_hours: float | None = None
    on_time_rate: float | None = None
    resolution_rate: float | None = None
    satisfaction_rate: float | None = None
    reopen_rate: float | None = None


@dataclass(frozen=True)
class UnitTicket:
    """An appeal raised in a unit, with the first moments of each step the sibling ranking times:
    taken on (认领, 交办, 下派), first feedback (进度 or 办结), finished; and whether it went up."""

    unit: str | None  # where it was raised; None: the top
    created_at: datetime
    taken_at: datetime | None
    feedback_at: datetime | None
    resolved_at: datetime | None
    reported_up: bool


@dataclass(frozen=True)
class UnitFigures:
    unit: str
    received: int
    taken: float | None  # share taken on within 1 working day (None: nothing to judge yet)
    feedback: float | None  # share with a first feedback within 3
    resolved: float | None  # share finished within 7
    reported_up: float | None  # share sent up to the unit above

    @property
    def score(self) -> float:
        """The mean of the three on-time shares less the 上浮 share (best first)."""
        shares = [s for s in (self.taken, self.feedback, self.resolved) if s is not None]
        return (sum(shares) / len(shares) if shares else 0.0) - (self.reported_up or 0.0)


_TAKEN = (Action.CLAIM, Action.ASSIGN, Action.DISPATCH_DOWN)
_FEEDBACK = (Action.PROGRESS, Action.RESOLVE, Action.EXPLAIN)


async def unit_tickets(session: AsyncSession, start: datetime, end: datetime) -> list[UnitTicket]:
    """The real appeals raised in [start, end) (not doubtful, not dismissed), each with its steps."""
    raised = and_(
        Issue.created_at >= start,
        Issue.created_at < end,
        Issue.kind == IssueKind.APPEAL,
        Issue.status != Status.CANDIDATE,
        or_(Issue.outcome.is_(None), Issue.outcome != Outcome.DISMISSED),
    )
    kind, at = IssueEvent.kind, IssueEvent.at
    steps = (
        select(
            IssueEvent.issue_id,
            func.min(case((kind.in_([a.value for a in _TAKEN]), at))).label("taken"),
            func.min(case((kind.in_([a.value for a in _FEEDBACK]), at))).label("feedback"),
            func.max(case((kind == Action.REPORT_UP.value, 1), else_=0)).label("up"),
        )
        .where(IssueEvent.issue_id.in_(select(Issue.id).where(raised)))
        .group_by(IssueEvent.issue_id)
        .subquery()
    )
    stmt = (
        select(
            Issue.origin_unit,
            Issue.created_at,
            steps.c.taken,
            steps.c.feedback,
            Issue.resolved_at,
            steps.c.up,
        )
        .outerjoin(steps, steps.c.issue_id == Issue.id)
        .where(raised)
    )
    rows = (await session.execute(stmt)).all()
    return [UnitTicket(u, c, t, f, r, bool(up)) for u, c, t, f, r, up in rows]


def overdue(at: datetime) -> ColumnElement[bool]:
    """Overdue at ``at``, the one definition the daily digest and 「超期」 share: past the resolve
    deadline, or still unclaimed past the claim deadline."""
    unclaimed = and_(Issue.status == Status.OPEN, Issue.claim_due < at)
    return and_(Issue.status.in_(WORKING), or_(Issue.resolve_due < at, unclaimed))


async def _count(session: AsyncSession, *where: ColumnElement[bool]) -> int:
    return int((await session.execute(select(func.count()).select_from(Issue).where(*where))).scalar_one())


def in_units(units: frozenset[str] | None) -> ColumnElement[bool]:
    """Tickets in these units now or raised there (None: every ticket). A ticket of a deployment
    without units has none written: it is in no unit below the top."""
    if units is None:
        return true()
    listed = sorted(units)
    return or_(Issue.unit.in_(listed), Issue.origin_unit.in_(listed))


async def daily_figures(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    *,
    limit: int = 10,
    units: frozenset[str] | None = None,
) -> DailyFigures:
    """New, claimed and resolved in [start, end); overdue as of ``end``; of ``units`` (a unit and
    those below it: tickets there now or raised there) or everywhere."""
    late, here = overdue(end), in_units(units)
    return DailyFigures(
        new=await _count(session, here, Issue.created_at >= start, Issue.created_at < end),
        claimed=await _count(session, here, Issue.claimed_at >= start, Issue.claimed_at < end),
        resolved=await _count(session, here, Issue.resolved_at >= start, Issue.resolved_at < end),
        overdue=await _count(session, here, late),
        overdue_list=await overdue_list(session, end, units, limit),
    )


async def overdue_list(
    session: AsyncSession, at: datetime, units: frozenset[str] | None, limit: int
) -> list[Issue]:
    """The digest's 超期清单: overdue at ``at`` in ``units`` (None: all), the longest waiting first."""
    stmt = select(Issue).where(overdue(at), in_units(units)).order_by(Issue.claim_due, Issue.no).limit(limit)
    return list((await session.execute(stmt)).scalars()) if limit else []


Place = tuple[str | None, str | None]  # (unit, origin unit) of tickets


async def daily_by_place(
    session: AsyncSession, start: datetime, end: datetime
) -> dict[Place, tuple[int, ...]]:
    """New, claimed, resolved in [start, end) and overdue at ``end``, per (unit, origin unit): from
    which the digest adds up any unit's subtree (a row per county). One grouped count each, so each
    reads its own index as the flat digest's counts do (an OR of the four read every ticket)."""
    found: dict[Place, list[int]] = {}
    spans = [and_(c >= start, c < end) for c in (Issue.created_at, Issue.claimed_at, Issue.resolved_at)]
    for k, where in enumerate((*spans, overdue(end))):
        stmt = (
            select(Issue.unit, Issue.origin_unit, func.count())
            .where(where)
            .group_by(Issue.unit, Issue.origin_unit)
        )
        for unit, origin, n in (await session.execute(stmt)).all():
            found.setdefault((unit, origin), [0, 0, 0, 0])[k] = int(n)
    return {place: tuple(counts) for place, counts in found.items()}


FIRST_OVERDUE = 2000  # the longest-waiting overdue tickets read once for every unit's 超期清单


async def overdue_first(session: AsyncSession, at: datetime, limit: int = FIRST_OVERDUE) -> list[Issue]:
    """The ``limit`` longest-waiting overdue tickets of all: each unit's 超期清单 is its first ten
    among them, unless it has fewer there (then ``overdue_list`` asks for its own)."""
    stmt = select(Issue).where(overdue(at)).order_by(Issue.claim_due, Issue.no).limit(limit)
    return list((await session.execute(stmt)).scalars())


def _hours(session: AsyncSession, a: Any, b: Any) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(b) - func.julianday(a)) * 24.0
    return func.extract("epoch", b - a) / 3600.0


def _share(condition: ColumnElement[bool]) -> ColumnElement[float]:
    return func.avg(case((condition, 1.0), else_=0.0))


async def ranking(session: AsyncSession, start: datetime, end: datetime) -> list[DepartmentFigures]:
    """Per department for [start, end): the weekly 研判 and monthly 考核 figures."""
    rows: dict[str, dict[str, Any]] = {}

    def put(result: Any) -> None:
        for row in result.mappings():
            rows.setdefault(row["department"], {}).update({k: v for k, v in row.items() if k != "department"})

    dept = Issue.department.label("department")
    put(
        await session.execute(
            select(dept, func.count().label("received"))
            .where(Issue.created_at >= start, Issue.created_at < end, Issue.department.is_not(None))
            .group_by(Issue.department)
        )
    )
    put(
        await session.execute(
            select(
                dept,
                func.count().label("handled"),
                _share(Issue.resolved_at <= Issue.resolve_due).label("on_time_rate"),
                _share(Issue.outcome != Outcome.EXPLAINED).label("resolution_rate"),
                _share(Issue.reopen_count > 0).label("reopen_rate"),
            )
            .where(Issue.resolved_at >= start, Issue.resolved_at < end, Issue.department.is_not(None))
            .group_by(Issue.department)
        )
    )
    put(
        await session.execute(
            select(dept, _share(func.coalesce(Issue.rating, 0) >= 3).label("satisfaction_rate"))
            .where(
                Issue.closed_at >= start,
                Issue.closed_at < end,
                Issue.outcome.in_(HANDLED),
                Issue.department.is_not(None),
            )
            .group_by(Issue.department)
        )
    )
    put(await session.execute(_median_claim(session, start, end)))
    figures = [DepartmentFigures(department=name, **values) for name, values in rows.items()]
    return sorted(figures, key=_rank_key)


def _median_claim(session: AsyncSession, start: datetime, end: datetime) -> Any:
    """Median hours from reaching the department to its claim, per department, with window functions
    (no MEDIAN in SQLite)."""
    reached = func.coalesce(Issue.routed_at, Issue.created_at)
    hours = cast(_hours(session, reached, Issue.claimed_at), Float).label("hours")
    ranked = (
        select(
            Issue.department.label("department"),
            hours,
            func.row_number().over(partition_by=Issue.department, order_by=hours).label("rn"),
            func.count().over(partition_by=Issue.department).label("n"),
        )
        .where(
            Issue.claimed_at >= start,
            Issue.claimed_at < end,
            Issue.department.is_not(None),
            # A task handed down (交办) is born claimed: counting it as claimed in 0 hours would
            # flatter the department.
            Issue.kind == IssueKind.APPEAL,
        )
        .subquery()
    )
    middle = ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])
    return (
        select(ranked.c.department, func.avg(ranked.c.hours).label("median_claim_hours"))
        .where(middle)
        .group_by(ranked.c.department)
    )


def _rank_key(f: DepartmentFigures) -> tuple[float, float, float, str]:
    """Best first: on time, then satisfied, then quick to claim."""
    return (-(f.on_time_rate or 0), -(f.satisfaction_rate or 0), f.median_claim_hours or 1e9, f.department)


class Reports:
    """The report queries on one unit of work's session (``uow.reports``)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def daily_figures(
        self, start: datetime, end: datetime, *, limit: int = 10, units: frozenset[str] | None = None
    ) -> DailyFigures:
        return await daily_figures(self.session, start, end, limit=limit, units=units)

    async def overdue_first(self, at: datetime, limit: int = FIRST_OVERDUE) -> list[Issue]:
        return await overdue_first(self.session, at, limit)

    async def overdue_list(self, at: datetime, units: frozenset[str] | None, limit: int = 10) -> list[Issue]:
        return await overdue_list(self.session, at, units, limit)

    async def daily_by_place(self, start: datetime, end: datetime) -> dict[Place, tuple[int, ...]]:
        return await daily_by_place(self.session, start, end)

    async def ranking(self, start: datetime, end: datetime) -> list[DepartmentFigures]:
        return await ranking(self.session, start, end)

    async def unit_tickets(self, start: datetime, end: datetime) -> list[UnitTicket]:
        return await unit_tickets(self.session, start, end)

    async def opened_closed(
        self, start: datetime, end: datetime, units: frozenset[str] | None = None
    ) -> list[tuple[datetime, datetime | None]]:
        """(filed, closed) of the appeals filed or closed in [start, end): the weekly chart's data."""
        filed = and_(Issue.created_at >= start, Issue.created_at < end)
        closed = and_(Issue.closed_at >= start, Issue.closed_at < end)
        stmt = select(Issue.created_at, Issue.closed_at).where(
            Issue.status != Status.CANDIDATE, or_(filed, closed), in_units(units)
        )
        return [(a, b) for a, b in (await self.session.execute(stmt)).all()]

    async def open_by_department(
        self, at: datetime, units: frozenset[str] | None = None
    ) -> list[tuple[str, int, int]]:
        """(department, working tickets, of which overdue) at ``at``, of ``units`` or all."""
        late = func.sum(case((overdue(at), 1), else_=0))
        stmt = (
            select(Issue.department, func.count(), late)
            .where(Issue.status.in_(WORKING), in_units(units))
            .group_by(Issue.department)
            .order_by(func.count().desc())
        )
        return [(d or "营商办", int(n), int(k or 0)) for d, n, k in (await self.session.execute(stmt)).all()]


__all__ = ["DailyFigures", "DepartmentFigures", "Reports", "daily_figures", "ranking"]
