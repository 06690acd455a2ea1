"""The 台账 (ledger) as the workbench reads it: who may see which tickets, filters, keyset pages,
and a streamed read for exports. Nothing here commits.

Visibility mirrors ``handlers.permissions.PERMITTED[View.TICKET]`` and ``[View.CANDIDATE]`` in SQL
(营商办 all, candidates included; leaders all real tickets; a department head their department's
tickets and those they 协办; an enterprise member their enterprise's, or their own); a test compares
the two for every member and ticket.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, String, and_, cast, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.domain import WORKING, Action, Role, Status
from storage.models import Issue, IssueEvent
from storage.reports import in_units, overdue

MAX_PAGE = 200
LEDGER_COLUMNS = tuple(
    getattr(Issue, name)
    for name in (
        "id",
        "no",
        "created_at",
        "enterprise",
        "title",
        "original_category",
        "category",
        "department",
        "status",
        "routed_at",
        "claimed_at",
        "resolve_due",
        "resolved_at",
        "rating",
        "reopen_count",
    )
)


@dataclass(frozen=True)
class Viewer:
    """A signed-in member as the ledger needs them."""

    member_id: str
    role: Role
    department: str | None = None
    enterprise: str | None = None
    # A leader's or 营商办's unit and the units below it (本级及下级); None: every unit (the top).
    units: frozenset[str] | None = None


@dataclass(frozen=True)
class LedgerFilter:
    status: str | None = None
    category: str | None = None
    department: str | None = None
    enterprise: str | None = None
    since: datetime | None = None  # filed at or after
    until: datetime | None = None  # filed before
    overdue_at: datetime | None = None  # only tickets overdue at this moment
    common: bool = False  # only 共性问题
    query: str = ""  # words in the text or the enterprise's name
    before_no: int | None = None  # keyset: the page after the one that ended at this number
    limit: int = 50
    sort: str = "new"  # new: 编号 newest first; old: oldest first; due: 办结时限 soonest first (working ones)


def visible(viewer: Viewer) -> ColumnElement[bool]:
    """What ``handlers.permissions.may_see`` allows, as SQL (the two are tested to agree)."""
    mine = in_units(viewer.units)
    real = Issue.status != Status.CANDIDATE
    if viewer.role is Role.COORDINATOR:  # a doubtful one: only 营商办 of where it is now
        if viewer.units is None:
            return mine  # the top's: every ticket, doubtful ones included
        here = Issue.unit.in_(sorted(viewer.units))
        return or_(and_(real, mine), and_(Issue.status == Status.CANDIDATE, here))
    if viewer.role is Role.LEADER:
        return and_(real, mine)
    if viewer.role is Role.HANDLER:
        if viewer.department is None:
            return false()
        # The JSON list column holds json.dumps output on both backends: look for the name as it is
        # written there.
        assisting = cast(Issue.assisting, String).contains(json.dumps(viewer.department), autoescape=True)
        return and_(real, or_(Issue.department == viewer.department, assisting))
    own = Issue.reporter_id == viewer.member_id
    if viewer.enterprise is not None:
        own = or_(own, Issue.enterprise == viewer.enterprise)
    return and_(real, own)


def _where(viewer: Viewer, f: LedgerFilter) -> list[ColumnElement[bool]]:
    where = [visible(viewer)]
    for column, value in (
        (Issue.status, f.status),
        (Issue.category, f.category),
        (Issue.department, f.department),
        (Issue.enterprise, f.enterprise),
    ):
        if value:
            where.append(column == value)
    if f.since is not None:
        where.append(Issue.created_at >= f.since)
    if f.until is not None:
        where.append(Issue.created_at < f.until)
    if f.overdue_at is not None:
        where.append(overdue(f.overdue_at))
    if f.common:
        where.append(Issue.common_group.is_not(None))
    for word in f.query.split()[:5]:
        where.append(
            or_(Issue.text.contains(word, autoescape=True), Issue.enterprise.contains(word, autoescape=True))
        )
    return where


SORTS = ("new", "old", "due")


def _order(sort: str) -> list[Any]:
    if sort == "old":
        return [Issue.no.asc()]
    if sort == "due":
        return [Issue.resolve_due.asc(), Issue.no.asc()]
    return [Issue.no.desc()]


def _after(f: LedgerFilter) -> list[ColumnElement[bool]]:
    """The order's own condition, and the keyset: rows after ticket ``f.before_no`` in that order."""
    due_only: list[ColumnElement[bool]] = [Issue.resolve_due.is_not(None), Issue.status.in_(WORKING)]
    where: list[ColumnElement[bool]] = due_only if f.sort == "due" else []
    n = f.before_no
    if n is None:
        return where
    if f.sort == "old":
        return [*where, Issue.no > n]
    if f.sort == "due":
        due = select(Issue.resolve_due).where(Issue.no == n).scalar_subquery()
        return [*where, or_(Issue.resolve_due > due, and_(Issue.resolve_due == due, Issue.no > n))]
    return [Issue.no < n]


class Ledger:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(self, viewer: Viewer, f: LedgerFilter) -> list[Issue]:
        """One page in the chosen order; the next page starts after the last number shown (a keyset:
        as fast on page 10,000 as on page 1)."""
        where = _where(viewer, f) + _after(f)
        stmt = select(Issue).where(*where).order_by(*_order(f.sort)).limit(max(1, min(f.limit, MAX_PAGE)))
        return list((await self.session.execute(stmt)).scalars())

    async def stream(
        self, viewer: Viewer, f: LedgerFilter, chunk: int = 2000
    ) -> AsyncIterator[list[Row[Any]]]:
        """Every matching ticket as plain rows (the ledger's columns, by name), newest first, ``chunk``
        at a time: exports of 100,000 tickets build no ORM objects and hold one chunk in memory."""
        before = f.before_no
        while True:
            where = _where(viewer, f) + ([Issue.no < before] if before is not None else [])
            stmt = select(*LEDGER_COLUMNS).where(*where).order_by(Issue.no.desc()).limit(chunk)
            rows = list((await self.session.execute(stmt)).all())
            if rows:
                yield rows
            if len(rows) < chunk:
                return
            before = rows[-1].no

    async def ticket(self, viewer: Viewer, no: int) -> Issue | None:
        stmt = select(Issue).where(Issue.no == no, visible(viewer))
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def events(self, issue: Issue) -> list[IssueEvent]:
        stmt = select(IssueEvent).where(IssueEvent.issue_id == issue.id).order_by(IssueEvent.id)
        return list((await self.session.execute(stmt)).scalars())

    async def urge_counts(self, issue_ids: list[int]) -> dict[int, int]:
        """督办次数 per ticket."""
        if not issue_ids:
            return {}
        stmt = (
            select(IssueEvent.issue_id, func.count())
            .where(IssueEvent.issue_id.in_(issue_ids), IssueEvent.kind == Action.URGE.value)
            .group_by(IssueEvent.issue_id)
        )
        return {int(i): int(n) for i, n in (await self.session.execute(stmt)).all()}
