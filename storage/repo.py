"""Data access used by the workflow. Nothing here commits; the unit of work does."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol

from sqlalchemy import (
    ARRAY,
    BindParameter,
    ColumnDefault,
    Select,
    String,
    Table,
    bindparam,
    delete,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy import Sequence as DbSequence
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from storage import chat_feed
from storage.domain import (
    ACTIVE,
    MAX_TICKET_NO,
    NOT_COUNTED_STATUSES,
    TEACHING,
    Action,
    BindingStatus,
    IssueKind,
    Outcome,
    Status,
    values,
)
from storage.models import (
    Base,
    ChatLog,
    Counter,
    Issue,
    IssueEvent,
    IssueTerm,
    MemberBinding,
    OutboxMessage,
    UtcDateTime,
)
from storage.reports import overdue

POSTINGS_PER_TERM = 50  # 共性问题: the newest tickets looked at per signature term
MIN_SHARED_TERMS = 2  # a candidate shares at least this many terms (one common word is not enough)


class Reply(Protocol):
    """What an outbox row is made of (``handlers.messages.OutgoingMessage`` has these)."""

    @property
    def text(self) -> str: ...
    @property
    def room_id(self) -> str | None: ...
    @property
    def to_id(self) -> str | None: ...
    @property
    def mentions(self) -> Sequence[str]: ...


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


class Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- tickets -------------------------------------------------------------
    async def next_issue_no(self) -> int:
        return await next_number(self.session, "issue_no")

    async def add_issue(self, issue: Issue) -> None:
        """Insert the new ticket at once (one Core INSERT … RETURNING) and attach it to the session as
        if it had been loaded: it has its id for the events that follow, and later changes to it are
        written like any loaded ticket's. The ORM's flush of a new object cost more than the insert."""
        stored = (await self.session.execute(_ISSUE_INSERT, _insert_row(_ISSUES, issue))).one()
        for column, value in zip(_ISSUES.c, stored, strict=True):
            setattr(issue, column.key, value)  # defaults included, as a load would have them
        make_transient_to_detached(issue)
        self.session.add(issue)

    async def issue_by_no(self, no: int, *, with_events: bool = False) -> Issue | None:
        if not 1 <= no <= MAX_TICKET_NO:
            return None  # no such ticket can exist (and the column could not even hold the number)
        stmt = select(Issue).where(Issue.no == no)
        if with_events:
            stmt = stmt.options(selectinload(Issue.events))
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def add_event(self, event: IssueEvent) -> None:
        """Written at once with a Core INSERT (events are append-only: nothing reads them back as
        objects of this session), in the order they happen; the ORM's flush of a new object cost
        more than the insert, and each message's autoflush flushed its events on their own."""
        await self.session.execute(_EVENT_INSERT, _insert_row(_EVENTS, event))

    async def add_events(self, events: Sequence[IssueEvent]) -> None:
        """Several events in one statement (a 共性问题 group writes one on each member)."""
        if events:
            await self.session.execute(_EVENT_INSERT, [_insert_row(_EVENTS, e) for e in events])

    async def latest_open_by_reporter(self, reporter_id: str, since: datetime) -> OpenTicket | None:
        params = {"reporter": reporter_id, "since": since}
        row = (await self.session.execute(_LATEST_OPEN_BY_REPORTER, params)).first()
        return None if row is None else OpenTicket(*row)

    async def issue(self, issue_id: int) -> Issue:
        """A ticket known to exist (``OpenTicket.id``, say), loaded to be changed."""
        return await self.session.get_one(Issue, issue_id)

    async def list_issues(
        self,
        *,
        status: Sequence[str] | None = None,
        category: str | None = None,
        department: str | None = None,
        reporter_id: str | None = None,
        enterprise: str | None = None,
        limit: int = 200,
        offset: int = 0,
    ) -> list[Issue]:
        stmt = select(Issue).order_by(Issue.no.desc()).limit(limit).offset(offset)
        if status:
            stmt = stmt.where(Issue.status.in_(status))
        equal = {Issue.category: category, Issue.department: department, Issue.reporter_id: reporter_id,
                 Issue.enterprise: enterprise}  # fmt: skip
        stmt = stmt.where(*(column == value for column, value in equal.items() if value))
        return list((await self.session.execute(stmt)).scalars())

    async def overdue(self, at: datetime, *, limit: int, **equal: str) -> list[Issue]:
        """Overdue tickets (``reports.overdue``), the longest waiting first, optionally only those
        of one department, enterprise or reporter."""
        stmt = select(Issue).where(overdue(at), *(getattr(Issue, k) == v for k, v in equal.items()))
        return list((await self.session.execute(stmt.order_by(Issue.claim_due).limit(limit))).scalars())

    async def similar_appeals(
        self, category: str, terms: Sequence[str], since: datetime, *, exclude_id: int, limit: int = 10
    ) -> list[SimilarAppeal]:
        """Real appeals of ``category`` filed since ``since`` that share most of ``terms`` (no
        candidates, withdrawn or dismissed ones): looked up in the term index, never scanned."""
        if not terms:
            return []
        unique = list(dict.fromkeys(terms))
        as_array = self.session.get_bind().dialect.name == "postgresql"
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
        stmt = select(Issue).where(Issue.kind == IssueKind.APPEAL.value).order_by(Issue.no)
        return list((await self.session.execute(stmt)).scalars())

    async def dismissed_candidate_ids(self) -> set[int]:
        """Tickets the classifier was unsure of that 营商办 then dismissed: chatter, as it turned out."""
        stmt = select(IssueEvent.issue_id).where(
            IssueEvent.kind == Action.DISMISS.value, IssueEvent.from_status == Status.CANDIDATE.value
        )
        return set((await self.session.execute(stmt)).scalars())

    async def count_by_status(self) -> dict[str, int]:
        rows = await self.session.execute(select(Issue.status, func.count()).group_by(Issue.status))
        return {status: int(n) for status, n in rows.all()}

    # --- outbox --------------------------------------------------------------
    def add_outbox(
        self, *, text: str, room_id: str | None, to_id: str | None, mentions: Sequence[str], at: datetime
    ) -> None:
        self.session.add(
            OutboxMessage(
                room_id=room_id, to_id=to_id, text=text, mentions=list(mentions), created_at=at, not_before=at
            )
        )

    async def write_replies(
        self, replies: Iterable[tuple[Reply, datetime]], sent_at: datetime | None = None
    ) -> None:
        """Replies (each with the moment it was made) to the outbox in one statement, in order;
        the messages of a batch write theirs together once all are handled. ``sent_at``: the
        gateway got them in this same transaction (the simulator), nothing left to send."""
        rows = [{"room_id": r.room_id, "to_id": r.to_id, "text": r.text, "mentions": list(r.mentions),
                 "created_at": at, "not_before": at, "sent_at": sent_at} for r, at in replies]  # fmt: skip
        if rows:
            await self.session.execute(_OUTBOX_INSERT, rows)

    async def claim_pending_outbox(self, now: datetime, limit: int = 20) -> list[OutboxMessage]:
        return list((await self.session.execute(_pending_outbox(), {"now": now, "most": limit})).scalars())

    async def outbox_row(self, row_id: int) -> OutboxMessage | None:
        return await self.session.get(OutboxMessage, row_id)

    async def mark_outbox_sent(self, ids: list[int], now: datetime) -> None:
        await self.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(sent_at=now))

    async def release_outbox(self, ids: list[int], now: datetime) -> None:
        """Leased but not tried (the gateway went down first): due again now."""
        await self.session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(not_before=now)
        )

    async def next_outbox_due(self) -> datetime | None:
        stmt = select(func.min(OutboxMessage.not_before)).where(
            OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def retry_outbox_now(self, now: datetime) -> int:
        """After a reconnect: what was held back by backoff is due at once (leased rows stay leased)."""
        result = await self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None), OutboxMessage.attempts > 0
            )
            .values(not_before=now)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    @staticmethod
    def postpone(message: OutboxMessage, now: datetime, error: str) -> None:
        message.attempts += 1
        message.last_error = error[:500]
        # Exponential backoff capped at five minutes: a gateway that is down for an hour is retried
        # a dozen times, not thousands.
        message.not_before = now + timedelta(seconds=min(300, 2 ** min(message.attempts, 8)))

    @staticmethod
    def give_up(message: OutboxMessage, now: datetime, error: str) -> None:
        message.attempts += 1
        message.last_error = error[:500]
        message.failed_at = now

    # --- member bindings (绑定) ---------------------------------------------------
    async def add_binding(self, binding: MemberBinding) -> None:
        self.session.add(binding)
        await self.session.flush()

    async def binding(self, binding_id: int) -> MemberBinding | None:
        if not 1 <= binding_id <= MAX_TICKET_NO:
            return None
        return await self.session.get(MemberBinding, binding_id)

    async def confirmed_binding(self, member_id: str) -> MemberBinding | None:
        stmt = (
            select(MemberBinding)
            .where(
                MemberBinding.member_id == member_id, MemberBinding.status == BindingStatus.CONFIRMED.value
            )
            .order_by(MemberBinding.id.desc())
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    # --- simulator chat log ----------------------------------------------------
    async def insert_chat(self, rows: list[dict[str, Any]]) -> list[int]:
        """Chat rows in one multi-row INSERT; their ids, in order. On PostgreSQL the same transaction
        notifies the ids, so other processes' pages show the rows once committed (``storage.chat_feed``)."""
        ids = list((await self.session.execute(_CHAT_INSERT, rows)).scalars())
        if ids and self.session.get_bind().dialect.name == "postgresql":
            for payload in chat_feed.notices(ids):
                await self.session.execute(chat_feed.NOTIFY, {"ids": payload})
        return ids

    async def chat_by_ids(self, ids: Sequence[int]) -> list[ChatLog]:
        """These chat rows (those that exist), oldest first."""
        stmt = select(ChatLog).where(ChatLog.id.in_(ids)).order_by(ChatLog.id)
        return list((await self.session.execute(stmt)).scalars())

    async def chat_by_client_id(self, client_msg_id: str) -> ChatLog | None:
        stmt = select(ChatLog).where(ChatLog.client_msg_id == client_msg_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def latest_chat_at(self) -> datetime | None:
        return (await self.session.execute(select(func.max(ChatLog.at)))).scalar_one_or_none()

    async def chat_before(self, room_id: str, before: int, limit: int = 100) -> list[ChatLog]:
        """The ``limit`` newest messages older than ``before``, oldest first (the page scrolls up)."""
        stmt = (
            select(ChatLog)
            .where(ChatLog.room_id == room_id, ChatLog.id < before)
            .order_by(ChatLog.id.desc())
            .limit(limit)
        )
        return list(reversed((await self.session.execute(stmt)).scalars().all()))

    async def chat_after(self, room_id: str, after: int, limit: int = 500) -> list[ChatLog]:
        stmt = (
            select(ChatLog)
            .where(ChatLog.room_id == room_id, ChatLog.id > after)
            .order_by(ChatLog.id)
            .limit(limit)
        )
        return list((await self.session.execute(stmt)).scalars())


# Statements every message runs, built once (building one costs more than running it on SQLite).


@functools.cache
def _pending_outbox() -> Select[OutboxMessage]:
    # SKIP LOCKED lets two bot processes drain one PostgreSQL outbox without sending twice;
    # SQLite ignores it (one writer at a time anyway).
    return (
        select(OutboxMessage)
        .where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.failed_at.is_(None),
            OutboxMessage.not_before <= bindparam("now", type_=UtcDateTime()),
        )
        .order_by(OutboxMessage.id)
        .limit(bindparam("most"))
        .with_for_update(skip_locked=True)
    )


@functools.cache
def _ranked_by_shared_terms(n_terms: int | None) -> Any:
    """The real appeals of a category that share at least ``MIN_SHARED_TERMS`` of the terms, most
    shared first, among the newest ``POSTINGS_PER_TERM`` postings of each term (bounded work
    whatever the history holds), as ``SimilarAppeal`` rows, in one statement of plain SQL (building
    it as a SQLAlchemy expression cost more than running it), built once: for PostgreSQL
    (``n_terms`` None) and for SQLite per number of terms.

    PostgreSQL gets the terms as one array and reads each term's postings in a LATERAL subquery over
    it: one statement, one prepared plan, whatever the number of terms. A UNION ALL part per term
    made a statement (and a plan to make and keep) per number of terms; with 50,000 tickets a
    look-up took 0.21 ms to bind and 1.49 ms to execute, now 0.10 and 1.31. SQLite has no arrays:
    one UNION ALL part per term (``n_terms``).

    The tickets are looked up by id from the postings, never the other way round: a plan that
    started from the category's tickets (PostgreSQL chose one on statistics a few minutes stale)
    read the category's whole history for every appeal, once per candidate. PostgreSQL is held to
    the order by a LATERAL subquery, SQLite by CROSS JOIN (its planner keeps the left table outside)."""
    postings, terms = _postings(n_terms)
    shared = f"(SELECT issue_id, COUNT(*) AS shared FROM ({postings}) AS postings GROUP BY issue_id HAVING COUNT(*) >= :least) AS h"
    wanted = ("issues.id != :exclude AND issues.category = :category AND issues.kind = :kind "
              "AND issues.status NOT IN :hidden AND (issues.outcome IS NULL OR issues.outcome != :dismissed)")  # fmt: skip
    columns = ", ".join(f"issues.{c}" for c in SimilarAppeal._fields)
    if n_terms is None:  # PostgreSQL
        # Only the id inside (LIMIT 1, one ticket per id anyway, keeps the planner from pulling the
        # subquery up): on stale statistics it preferred the category's index here too.
        row = f"{columns}, issues.category, issues.kind, issues.outcome"  # what ``wanted`` reads
        found = f"{shared} CROSS JOIN LATERAL (SELECT {row} FROM issues WHERE issues.id = h.issue_id LIMIT 1) AS issues WHERE {wanted}"
    else:
        found = f"{shared} CROSS JOIN issues WHERE issues.id = h.issue_id AND {wanted}"
    sql = f"SELECT {columns} FROM {found} ORDER BY h.shared DESC, issues.created_at DESC LIMIT :most"
    stmt = text(sql).bindparams(
        *terms, bindparam("since", type_=UtcDateTime()),
        bindparam("per_term", POSTINGS_PER_TERM), bindparam("least", MIN_SHARED_TERMS), bindparam("exclude"),
        bindparam("category"), bindparam("kind", IssueKind.APPEAL.value),
        bindparam("hidden", values(NOT_COUNTED_STATUSES), expanding=True),
        bindparam("dismissed", Outcome.DISMISSED.value), bindparam("most"),
    )  # fmt: skip
    return stmt.columns(*(Issue.__table__.c[c] for c in SimilarAppeal._fields))


def _postings(n_terms: int | None) -> tuple[str, list[BindParameter[Any]]]:
    """Each term's newest postings since ``:since``, and the parameters that carry the terms: the
    ``:terms`` array (``n_terms`` None), or ``:t0`` … with one UNION ALL part per term."""
    newest = "created_at >= :since ORDER BY created_at DESC LIMIT :per_term"
    if n_terms is None:
        sql = ("SELECT p.issue_id FROM unnest(CAST(:terms AS VARCHAR[])) AS t(term) CROSS JOIN LATERAL "
               f"(SELECT issue_id FROM issue_terms WHERE issue_terms.term = t.term AND {newest}) AS p")  # fmt: skip
        return sql, [bindparam("terms", type_=ARRAY(String()))]
    part = "SELECT issue_id FROM (SELECT issue_id FROM issue_terms WHERE term = :t{i} AND {newest}) AS p{i}"
    sql = " UNION ALL ".join(part.format(i=i, newest=newest) for i in range(n_terms))
    return sql, [bindparam(f"t{i}", type_=String()) for i in range(n_terms)]


def _insert_row(table: Table, obj: object) -> dict[str, Any]:
    """A new object's columns for a Core INSERT on ``table``: the id left to the database, an unset
    column given its model default. Every row has the same keys (one compiled statement, and the
    rows of an executemany alike)."""
    row: dict[str, Any] = {}
    for column in table.c:
        if column.primary_key:
            continue
        value, default = getattr(obj, column.key), column.default
        if value is None and isinstance(default, ColumnDefault):
            value = default.arg(None) if default.is_callable else default.arg
        row[column.key] = value
    return row


_EVENTS = IssueEvent.table()
_EVENT_INSERT = insert(_EVENTS)


_LATEST_OPEN_BY_REPORTER = (
    select(Issue.id, Issue.no, Issue.category)
    .where(
        Issue.reporter_id == bindparam("reporter"),
        Issue.status.in_(values(ACTIVE)),
        Issue.updated_at >= bindparam("since", type_=UtcDateTime()),
    )
    .order_by(Issue.updated_at.desc())
    .limit(1)
)


# Many-row inserts on the tables themselves (Core executemany): the ORM's bulk-insert bookkeeping
# for the same rows cost more than writing them.
_TERMS_INSERT = insert(IssueTerm.table())
_OUTBOX_INSERT = insert(OutboxMessage.table())
_CHAT = ChatLog.table()
_CHAT_INSERT = insert(_CHAT).returning(_CHAT.c.id, sort_by_parameter_order=True)
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

_COUNTERS = Counter.table()
# Built once, in Core: building the statement (and the ORM's bulk-update bookkeeping) cost more
# than running it.
_BUMP_COUNTER = (
    update(_COUNTERS)
    .where(_COUNTERS.c.name == bindparam("counter"))
    .values(value=_COUNTERS.c.value + 1)
    .returning(_COUNTERS.c.value)
)


@functools.cache
def _next_in_sequence(counter: str) -> Select[int]:
    return select(DbSequence(f"counter_{counter}").next_value())


async def next_number(session: AsyncSession, counter: str) -> int:
    """The next number of a named counter (tickets, notices); two bot processes never hand out the
    same one. PostgreSQL: a sequence (no lock held to the end of the transaction, so processes do
    not take turns; a rolled-back number is not reused). SQLite: UPDATE … RETURNING on the counter
    row (one writer at a time anyway; no gaps)."""
    if session.get_bind().dialect.name == "postgresql":
        return int((await session.execute(_next_in_sequence(counter))).scalar_one())
    result = await session.execute(_BUMP_COUNTER, {"counter": counter})
    return int(result.scalar_one())


def insert_for(session: AsyncSession) -> Any:
    """The dialect's ``insert`` (PostgreSQL's or SQLite's), which has ``on_conflict_do_…``."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


async def insert_once(
    session: AsyncSession, model: type[Base], values: dict[str, Any], keys: list[str]
) -> bool:
    """INSERT … ON CONFLICT (``keys``) DO NOTHING: False when the row was there already (stored
    earlier, or by another process a moment ago). The transaction never fails on the conflict."""
    stmt = insert_for(session)(model).values(**values).on_conflict_do_nothing(index_elements=keys)
    result = await session.execute(stmt.returning(*inspect(model).primary_key))
    return result.first() is not None
