"""Tickets (``uow.tickets``): the ``Issue`` aggregate — a ticket with its events and its 共性问题
terms — and the reads the scheduler's jobs make of tickets. Nothing here commits; the unit of work
does. Statements every message runs are built once (building one cost more than running it on
SQLite); the measurements behind each choice are in docs/performance.md."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ARRAY,
    BindParameter,
    ColumnElement,
    String,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from storage.domain import (
    ACTIVE,
    HANDLED,
    MAX_TICKET_NO,
    NOT_COUNTED_STATUSES,
    TEACHING,
    WORKING,
    Action,
    IssueKind,
    Outcome,
    Status,
    values,
)
from storage.models import Issue, IssueEvent, IssueTerm, ReminderMark, UtcDateTime
from storage.reports import in_units, overdue
from storage.sql import insert_row, is_postgresql, next_number

POSTINGS_PER_TERM = 50  # 共性问题: the newest tickets looked at per signature term
MIN_SHARED_TERMS = 2  # a candidate shares at least this many terms (one common word is not enough)


class SimilarAppeal(NamedTuple):
    """A recent appeal as 共性问题 compares it: a few columns, not a loaded ticket (ten come back for
    every new appeal, and only the rare one that forms or joins a group is changed)."""

    id: int
    no: int
    status: str
    enterprise: str | None
    reporter_id: str
    text: str
    created_at: datetime
    common_group: int | None


class OpenTicket(NamedTuple):
    """A member's latest open ticket as intake first looks at it (is a message a follow-up?): most
    messages are not, so the ticket itself is loaded only for the one that is (``issue``)."""

    id: int
    no: int
    category: str


class TicketRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def next_no(self) -> int:
        return await next_number(self.session, "issue_no")

    async def add(self, issue: Issue) -> None:
        """Insert the new ticket at once (one Core INSERT … RETURNING) and attach it to the session as
        if it had been loaded: it has its id for the events that follow, and later changes to it are
        written like any loaded ticket's. The ORM's flush of a new object cost more than the insert."""
        stored = (await self.session.execute(_ISSUE_INSERT, insert_row(_ISSUES, issue))).one()
        for column, value in zip(_ISSUES.c, stored, strict=True):
            setattr(issue, column.key, value)  # defaults included, as a load would have them
        make_transient_to_detached(issue)
        self.session.add(issue)

    async def by_no(self, no: int, *, with_events: bool = False) -> Issue | None:
        if not 1 <= no <= MAX_TICKET_NO:
            return None  # no such ticket can exist (and the column could not even hold the number)
        stmt = select(Issue).where(Issue.no == no)
        if with_events:
            stmt = stmt.options(selectinload(Issue.events))
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def children(self, parent_no: int) -> list[Issue]:
        """The tickets dispatched (下派) from ticket ``parent_no``, in number order."""
        stmt = select(Issue).where(Issue.parent_no == parent_no).order_by(Issue.no)
        return list((await self.session.execute(stmt)).scalars())

    async def add_event(self, event: IssueEvent) -> None:
        """Written at once with a Core INSERT (events are append-only: nothing reads them back as
        objects of this session), in the order they happen; the ORM's flush of a new object cost
        more than the insert, and each message's autoflush flushed its events on their own."""
        await self.session.execute(_EVENT_INSERT, insert_row(_EVENTS, event))

    async def add_events(self, events: Sequence[IssueEvent]) -> None:
        """Several events in one statement (a 共性问题 group writes one on each member)."""
        if events:
            await self.session.execute(_EVENT_INSERT, [insert_row(_EVENTS, e) for e in events])

    async def latest_open_by_reporter(self, reporter_id: str, since: datetime) -> OpenTicket | None:
        params = {"reporter": reporter_id, "since": since}
        row = (await self.session.execute(_LATEST_OPEN_BY_REPORTER, params)).first()
        return None if row is None else OpenTicket(*row)

    async def get(self, issue_id: int) -> Issue:
        """A ticket known to exist (``OpenTicket.id``, say), loaded to be changed."""
        return await self.session.get_one(Issue, issue_id)

    async def find(
        self,
        *,
        status: Sequence[str] | None = None,
        category: str | None = None,
        department: str | None = None,
        reporter_id: str | None = None,
        enterprise: str | None = None,
        units: frozenset[str] | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[Issue]:
        """Tickets newest first; ``units``: only those in these units now or raised there."""
        stmt = select(Issue).where(in_units(units)).order_by(Issue.no.desc()).limit(limit).offset(offset)
        if status:
            stmt = stmt.where(Issue.status.in_(status))
        equal = {
            Issue.category: category,
            Issue.department: department,
            Issue.reporter_id: reporter_id,
            Issue.enterprise: enterprise,
        }
        stmt = stmt.where(*(column == value for column, value in equal.items() if value))
        return list((await self.session.execute(stmt)).scalars())

    async def overdue(
        self, at: datetime, *, limit: int, units: frozenset[str] | None = None, **equal: str
    ) -> list[Issue]:
        """Overdue tickets (``reports.overdue``), the longest waiting first, optionally only those
        of one department, enterprise or reporter, or of some units."""
        where = (overdue(at), in_units(units), *(getattr(Issue, k) == v for k, v in equal.items()))
        stmt = select(Issue).where(*where)
        return list((await self.session.execute(stmt.order_by(Issue.claim_due).limit(limit))).scalars())

    async def similar_appeals(
        self, category: str, terms: Sequence[str], since: datetime, *, exclude_id: int, limit: int = 10
    ) -> list[SimilarAppeal]:
        """Real appeals of ``category`` filed since ``since`` that share most of ``terms`` (no
        candidates, withdrawn or dismissed ones): looked up in the term index, never scanned."""
        if not terms:
            return []
        unique = list(dict.fromkeys(terms))
        as_array = is_postgresql(self.session)
        stmt = _ranked_by_shared_terms(None if as_array else len(unique))
        params: dict[str, Any] = {"terms": unique} if as_array else {f"t{i}": t for i, t in enumerate(unique)}
        params |= {"since": since, "category": category, "exclude": exclude_id, "most": limit}
        # No flush first: asked right after a ticket is opened, when all that is pending is the new
        # ticket's own event (taking its number flushed the rest), which cannot change the answer.
        with self.session.no_autoflush:
            return [SimilarAppeal(*row) for row in await self.session.execute(stmt, params)]

    async def set_common_group(self, issue_ids: Sequence[int], group: int) -> None:
        """Put tickets into a 共性问题 group; a ticket this session has loaded sees it too (set as
        loaded: the ORM's own synchronisation of a bulk UPDATE cost ten times the statement)."""
        await self.session.execute(_SET_GROUP, {"ids": list(issue_ids), "group": group})
        for issue_id in issue_ids:
            loaded = self.session.identity_map.get(identity_key(Issue, issue_id))
            if loaded is not None:
                set_committed_value(loaded, "common_group", group)

    async def add_terms(
        self, issue_id: int, terms: Sequence[str], at: datetime, *, fresh: bool = False
    ) -> None:
        """The ticket's signature, replacing any it had (an accepted or re-linked ticket); a ticket
        created in this transaction (``fresh``) has none to replace."""
        if not fresh:
            await self.session.execute(delete(IssueTerm).where(IssueTerm.issue_id == issue_id))
        rows = [{"issue_id": issue_id, "term": t, "created_at": at} for t in dict.fromkeys(terms)]
        if rows:
            with self.session.no_autoflush:  # pending events wait for the next flush: fewer flushes
                await self.session.execute(_TERMS_INSERT, rows)

    async def common_group_glimpse(self, group: int, first: int) -> tuple[list[int], int]:
        """A 共性问题 group as its message names it: its ``first`` lowest ticket numbers plus the
        highest, and how many it holds (a group can hold hundreds; they are counted, not read)."""
        numbers = list((await self.session.execute(_GROUP_FIRST, {"group": group, "first": first})).scalars())
        count, last = (await self.session.execute(_GROUP_SIZE, {"group": group})).one()
        return (numbers if last is None or last in numbers else [*numbers, int(last)]), int(count)

    async def corrections(self, limit: int = 50_000) -> list[tuple[str, str, str | None, dict[str, Any]]]:
        """(kind, ticket text, from_status, data) of the events the classifier learns from, oldest first:
        归类, 转办 that changed the category, and 驳回."""
        stmt = (
            select(IssueEvent.kind, Issue.text, IssueEvent.from_status, IssueEvent.data)
            .join(Issue, Issue.id == IssueEvent.issue_id)
            .where(IssueEvent.kind.in_(values(TEACHING)))
            .order_by(IssueEvent.id.desc())
            .limit(limit)
        )
        rows = (await self.session.execute(stmt)).all()
        return [(kind, text, status, dict(data or {})) for kind, text, status, data in reversed(rows)]

    async def appeals(self) -> list[Issue]:
        """Every enterprise appeal, oldest first (the ledger ``zhuqi classify export`` writes)."""
        stmt = select(Issue).where(Issue.kind == IssueKind.APPEAL).order_by(Issue.no)
        return list((await self.session.execute(stmt)).scalars())

    async def closed_appeals(
        self, *, since: datetime, limit: int, units: frozenset[str] | None = None
    ) -> list[Issue]:
        """Enterprise appeals closed since ``since``, the latest first (公示), of ``units`` or all."""
        closed = (Issue.status == Status.CLOSED, Issue.closed_at >= since, Issue.kind == IssueKind.APPEAL)
        stmt = select(Issue).where(*closed, in_units(units)).order_by(Issue.closed_at.desc()).limit(limit)
        return list((await self.session.execute(stmt)).scalars())

    async def dismissed_candidate_ids(self) -> set[int]:
        """Tickets the classifier was unsure of that 营商办 then dismissed: chatter, as it turned out."""
        stmt = select(IssueEvent.issue_id).where(
            IssueEvent.kind == Action.DISMISS.value, IssueEvent.from_status == Status.CANDIDATE
        )
        return set((await self.session.execute(stmt)).scalars())

    async def count_by_status(self, units: frozenset[str] | None = None) -> dict[str, int]:
        stmt = select(Issue.status, func.count()).where(in_units(units)).group_by(Issue.status)
        rows = await self.session.execute(stmt)
        return {status: int(n) for status, n in rows.all()}

    # --- what the scheduler's jobs read ------------------------------------------
    async def _issues(self, *where: ColumnElement[bool]) -> list[Issue]:
        return list((await self.session.execute(select(Issue).where(*where))).scalars())

    async def working(self) -> list[Issue]:
        """Tickets a department owes work on (open or claimed)."""
        return await self._issues(Issue.status.in_(WORKING))

    async def working_due(self, claim_by: datetime, resolve_by: datetime) -> list[Issue]:
        """Working tickets whose claim is due by ``claim_by`` or resolution by ``resolve_by``."""
        return await self._issues(
            Issue.status.in_(WORKING),
            or_(Issue.claim_due <= claim_by, Issue.resolve_due <= resolve_by),
        )

    async def unconfirmed(self, due_by: datetime | None = None) -> list[Issue]:
        """Doubtful tickets 营商办 has not decided on (with a claim due time by ``due_by``)."""
        where = [Issue.status == Status.CANDIDATE]
        if due_by is not None:
            where.append(Issue.claim_due <= due_by)
        return await self._issues(*where)

    async def awaiting_rating(self) -> list[Issue]:
        return await self._issues(Issue.status == Status.RESOLVED, Issue.resolved_at.is_not(None))

    async def handled_closed_since(self, since: datetime) -> list[Issue]:
        """Closed after ``since`` with a department's answer (回头看 candidates)."""
        return await self._issues(
            Issue.status == Status.CLOSED, Issue.closed_at > since, Issue.outcome.in_(HANDLED)
        )

    async def unrevisited(self, after: datetime, until: datetime) -> list[Issue]:
        """Handled tickets closed in (after, until] that no 回头看 has asked about yet."""
        marked = and_(ReminderMark.issue_id == Issue.id, ReminderMark.stage.like("revisit.%"))
        stmt = (
            select(Issue)
            .outerjoin(ReminderMark, marked)
            .where(
                Issue.status == Status.CLOSED,
                Issue.closed_at > after,
                Issue.closed_at <= until,
                Issue.outcome.in_(HANDLED),
                ReminderMark.issue_id.is_(None),
            )
        )
        return list((await self.session.execute(stmt)).scalars())


# Statements every message runs, built once (building one costs more than running it on SQLite).


@functools.cache
def _ranked_by_shared_terms(n_terms: int | None) -> Any:
    """The real appeals of a category that share at least ``MIN_SHARED_TERMS`` of the terms, most
    shared first, among the newest ``POSTINGS_PER_TERM`` postings of each term (bounded work
    whatever the history holds), as ``SimilarAppeal`` rows, in one statement of plain SQL (building
    it as a SQLAlchemy expression cost more than running it), built once: for PostgreSQL
    (``n_terms`` None) and for SQLite per number of terms.

    PostgreSQL gets the terms as one array and reads each term's postings in a LATERAL subquery over
    it: one statement, one prepared plan, whatever the number of terms. A UNION ALL part per term
    made a statement (and a plan to make and keep) per number of terms (the measurements are in
    docs/performance.md). SQLite has no arrays: one UNION ALL part per term (``n_terms``).

    The tickets are looked up by id from the postings, never the other way round: a plan that
    started from the category's tickets (PostgreSQL chose one on statistics a few minutes stale)
    read the category's whole history for every appeal, once per candidate. PostgreSQL is held to
    the order by a LATERAL subquery, SQLite by CROSS JOIN (its planner keeps the left table outside)."""
    postings, terms = _postings(n_terms)
    shared = (
        f"(SELECT issue_id, COUNT(*) AS shared FROM ({postings}) AS postings "
        "GROUP BY issue_id HAVING COUNT(*) >= :least) AS h"
    )
    wanted = (
        "issues.id != :exclude AND issues.category = :category AND issues.kind = :kind "
        "AND issues.status NOT IN :hidden AND (issues.outcome IS NULL OR issues.outcome != :dismissed)"
    )
    columns = ", ".join(f"issues.{c}" for c in SimilarAppeal._fields)
    if n_terms is None:  # PostgreSQL
        # Only the id inside (LIMIT 1, one ticket per id anyway, keeps the planner from pulling the
        # subquery up): on stale statistics it preferred the category's index here too.
        row = f"{columns}, issues.category, issues.kind, issues.outcome"  # what ``wanted`` reads
        lateral = f"(SELECT {row} FROM issues WHERE issues.id = h.issue_id LIMIT 1) AS issues"
        found = f"{shared} CROSS JOIN LATERAL {lateral} WHERE {wanted}"
    else:
        found = f"{shared} CROSS JOIN issues WHERE issues.id = h.issue_id AND {wanted}"
    sql = f"SELECT {columns} FROM {found} ORDER BY h.shared DESC, issues.created_at DESC LIMIT :most"
    stmt = text(sql).bindparams(
        *terms,
        bindparam("since", type_=UtcDateTime()),
        bindparam("per_term", POSTINGS_PER_TERM),
        bindparam("least", MIN_SHARED_TERMS),
        bindparam("exclude"),
        bindparam("category"),
        bindparam("kind", IssueKind.APPEAL.value),
        bindparam("hidden", values(NOT_COUNTED_STATUSES), expanding=True),
        bindparam("dismissed", Outcome.DISMISSED.value),
        bindparam("most"),
    )
    return stmt.columns(*(Issue.__table__.c[c] for c in SimilarAppeal._fields))


def _postings(n_terms: int | None) -> tuple[str, list[BindParameter[Any]]]:
    """Each term's newest postings since ``:since``, and the parameters that carry the terms: the
    ``:terms`` array (``n_terms`` None), or ``:t0`` … with one UNION ALL part per term."""
    newest = "created_at >= :since ORDER BY created_at DESC LIMIT :per_term"
    if n_terms is None:
        sql = (
            "SELECT p.issue_id FROM unnest(CAST(:terms AS VARCHAR[])) AS t(term) CROSS JOIN LATERAL "
            f"(SELECT issue_id FROM issue_terms WHERE issue_terms.term = t.term AND {newest}) AS p"
        )
        return sql, [bindparam("terms", type_=ARRAY(String()))]
    part = "SELECT issue_id FROM (SELECT issue_id FROM issue_terms WHERE term = :t{i} AND {newest}) AS p{i}"
    sql = " UNION ALL ".join(part.format(i=i, newest=newest) for i in range(n_terms))
    return sql, [bindparam(f"t{i}", type_=String()) for i in range(n_terms)]


_EVENTS = IssueEvent.table()
_EVENT_INSERT = insert(_EVENTS)


_LATEST_OPEN_BY_REPORTER = (
    select(Issue.id, Issue.no, Issue.category)
    .where(
        Issue.reporter_id == bindparam("reporter"),
        Issue.status.in_(ACTIVE),
        Issue.updated_at >= bindparam("since", type_=UtcDateTime()),
    )
    .order_by(Issue.updated_at.desc())
    .limit(1)
)


# Many-row inserts on the tables themselves (Core executemany): the ORM's bulk-insert bookkeeping
# for the same rows cost more than writing them.
_TERMS_INSERT = insert(IssueTerm.table())
_ISSUES = Issue.table()
_ISSUE_INSERT = insert(_ISSUES).returning(*_ISSUES.c)
_SET_GROUP = (
    update(_ISSUES)
    .where(_ISSUES.c.id.in_(bindparam("ids", expanding=True)))
    .values(common_group=bindparam("group"))
)
_GROUP_FIRST = (
    select(Issue.no)
    .where(Issue.common_group == bindparam("group"))
    .order_by(Issue.no)
    .limit(bindparam("first"))
)
_GROUP_SIZE = select(func.count(), func.max(Issue.no)).where(Issue.common_group == bindparam("group"))
