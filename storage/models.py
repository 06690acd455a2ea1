"""SQLAlchemy 2 models: tickets, their append-only history, inbound ids, the outbox, chat log."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, orm_insert_sentinel, relationship
from sqlalchemy.types import TypeDecorator

from storage.domain import (
    BindingStatus,
    IssueKind,
    MoveReason,
    NoticeKind,
    NoticeStatus,
    Outcome,
    PolicyUseKind,
    Role,
    Status,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite has no 64-bit autoincrement spelled BIGINT; keep INTEGER there so rowid aliasing works.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (naive storage) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


E = TypeVar("E", bound=StrEnum)


class Word(TypeDecorator[E], Generic[E]):
    """A domain word (``storage/domain.py``) stored as its plain value in a VARCHAR column, read back
    as the enum member: the column's type in the database is the same as a plain string's, so the
    stored values stay as they were. A value that is not a member is refused before it is written."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int = 16) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: E | str | None, dialect: Any) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: str | None, dialect: Any) -> E | None:
        return None if value is None else self.enum(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)

    @classmethod
    def table(cls) -> Table:
        """The model's table, typed, for Core statements on it (the hot path's prebuilt ones)."""
        return cast(Table, cls.__table__)


class Issue(Base):
    """One appeal or handed-down task = one ticket with a short number people can type."""

    __tablename__ = "issues"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    no: Mapped[int] = mapped_column(Integer, unique=True)
    room_id: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[Status] = mapped_column(Word(Status))
    outcome: Mapped[Outcome | None] = mapped_column(Word(Outcome))
    category: Mapped[str] = mapped_column(String(32), index=True)
    original_category: Mapped[str] = mapped_column(String(32))
    department: Mapped[str | None] = mapped_column(String(64))
    # The unit (市, 县区, 园区 …) whose department has it now, and the one where it was raised (it
    # keeps seeing it after 上报); None: the top unit (a deployment without [[units]]).
    unit: Mapped[str | None] = mapped_column(String(64), index=True)
    origin_unit: Mapped[str | None] = mapped_column(String(64), index=True)
    # 下派: the number of the ticket this one was dispatched from (one child per unit below).
    parent_no: Mapped[int | None] = mapped_column(Integer, index=True)
    assisting: Mapped[list[str]] = mapped_column(JSON, default=list)
    enterprise: Mapped[str | None] = mapped_column(String(128))
    reporter_id: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[IssueKind] = mapped_column(Word(IssueKind), default=IssueKind.APPEAL)
    confidence: Mapped[float] = mapped_column(default=1.0)
    urgent: Mapped[bool] = mapped_column(default=False)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    rating: Mapped[int | None] = mapped_column(Integer)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # When it reached the department it is routed to (filed, accepted by 营商办, or 转办): the
    # claim clock, and the claim time in the ranking, start here.
    routed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    claim_due: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolve_due: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # 共性问题: tickets of several enterprises linked as one; the number of the group's first ticket.
    common_group: Mapped[int | None] = mapped_column(Integer)

    events: Mapped[list[IssueEvent]] = relationship(
        back_populates="issue", order_by="IssueEvent.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        Index("ix_issues_status_created", "status", "created_at"),
        # A member's latest open ticket (is a message a follow-up?): the whole condition in one index.
        Index("ix_issues_reporter_status_updated", "reporter_id", "status", "updated_at"),
        Index("ix_issues_group_no", "common_group", "no"),  # a 共性问题 group's numbers, in order
        Index("ix_issues_department_no", "department", "no"),  # a department's ledger, newest first
        Index("ix_issues_enterprise_no", "enterprise", "no"),  # an enterprise's ledger
        Index("ix_issues_due_no", "resolve_due", "no"),  # the ledger by 办结时限
    )


class IssueEvent(Base):
    """Append-only record of every change: who, when, what."""

    __tablename__ = "issue_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    from_status: Mapped[Status | None] = mapped_column(Word(Status))
    to_status: Mapped[Status | None] = mapped_column(Word(Status))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    issue: Mapped[Issue] = relationship(back_populates="events")


class Counter(Base):
    """Named counters (ticket and notice numbers) bumped atomically with UPDATE ... RETURNING on
    SQLite; PostgreSQL uses the sequences ``counter_<name>`` instead (``repo.next_number``)."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class IssueTerm(Base):
    """An appeal's telling features (its signature): the index 共性问题 looks candidates up in, so an
    appeal's cost does not grow with the number of recent tickets."""

    __tablename__ = "issue_terms"

    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True)
    term: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    # covering: the newest postings of a term, with their tickets, from the index alone
    __table_args__ = (Index("ix_issue_terms_term_created_issue", "term", "created_at", "issue_id"),)


class InboxMessage(Base):
    """Every message a gateway handed us, stored before it is acknowledged (the durable inbox).

    ``(gateway, message_id)`` is unique, so a redelivery is stored once; ``processed_at`` is set in
    the same transaction as the message's effect, so each stored message has exactly one outcome,
    even across a crash (unprocessed rows are processed at start).
    """

    __tablename__ = "inbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    gateway: Mapped[str] = mapped_column(String(32))
    message_id: Mapped[str] = mapped_column(String(128))
    room_id: Mapped[str | None] = mapped_column(String(128))
    sender_id: Mapped[str] = mapped_column(String(128))
    sender_name: Mapped[str | None] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list[str]] = mapped_column(JSON, default=list)
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    _sentinel: Mapped[int | None] = orm_insert_sentinel()  # messages stored together: one INSERT

    __table_args__ = (UniqueConstraint("gateway", "message_id", name="uq_inbox_gateway_message"),)


class OutboxMessage(Base):
    """Replies written in the same transaction as the change that caused them."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    room_id: Mapped[str | None] = mapped_column(String(128))
    to_id: Mapped[str | None] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    not_before: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # gave up: retrying cannot help
    priority: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")  # domain.Priority
    # What a newer message on the same matter replaces or joins while this one waits (a room's
    # reminders, a digest to one chat); None for a one-off message.
    topic: Mapped[str | None] = mapped_column(String(160), index=True)
    sent_by: Mapped[str | None] = mapped_column(String(64))  # the bot account that sent it
    leased_by: Mapped[str | None] = mapped_column(String(96))  # the process that last leased it (liveness)

    __table_args__ = (Index("ix_outbox_pending", "sent_at", "not_before"),)


class SendRecord(Base):
    """One message an account sent (or is sending): what the send governor counts, shared by every
    bot process that sends for the account. Kept an hour; ``parts`` counts a message WeChat
    receives split in several."""

    __tablename__ = "sends"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(64))
    chat: Mapped[str] = mapped_column(String(160))  # the group's id, or dm:<member id>
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    parts: Mapped[int] = mapped_column(SmallInteger, default=1)

    __table_args__ = (Index("ix_sends_account_at", "account", "at"),)


class Responder(Base):
    """Which bot account answers a chat now (a group's id, or ``@private`` for private chats), and
    which one answers it when every account is well (``home``)."""

    __tablename__ = "responders"

    chat: Mapped[str] = mapped_column(String(160), primary_key=True)
    account: Mapped[str] = mapped_column(String(64))
    home: Mapped[str] = mapped_column(String(64))
    since: Mapped[datetime] = mapped_column(UtcDateTime)


class ResponderMove(Base):
    """A chat handed from one bot account to another (down or throttled, or back once well)."""

    __tablename__ = "responder_moves"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    chat: Mapped[str] = mapped_column(String(160))
    from_account: Mapped[str] = mapped_column(String(64))
    to_account: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    reason: Mapped[MoveReason] = mapped_column(Word(MoveReason))


class AccountHealth(Base):
    """How a bot account is doing, as one process holding it last saw it: ``up`` since ``since``
    (connected and its last send went through) or down since then; ``seen_at`` is the report."""

    __tablename__ = "account_health"

    account: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(96), primary_key=True)  # host:pid:nonce of the process
    up: Mapped[bool] = mapped_column(Boolean)
    since: Mapped[datetime] = mapped_column(UtcDateTime)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MemberBinding(Base):
    """An unknown group member asking to be linked to an enterprise (绑定), confirmed by the coordinator."""

    __tablename__ = "member_bindings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    member_id: Mapped[str] = mapped_column(String(128), index=True)
    member_name: Mapped[str] = mapped_column(String(128))
    enterprise: Mapped[str] = mapped_column(String(128))
    status: Mapped[BindingStatus] = mapped_column(Word(BindingStatus))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ChatLog(Base):
    """The simulator's group history (both people and the bot), so it survives a restart."""

    __tablename__ = "chat_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(String(128), index=True)
    sender_id: Mapped[str] = mapped_column(String(128))
    sender_name: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list[str]] = mapped_column(JSON, default=list)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    # A client's own id for what it posted: the same id again returns the first answer.
    client_msg_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    _sentinel: Mapped[int | None] = orm_insert_sentinel()  # posts stored together: one INSERT


class ReminderMark(Base):
    """A (ticket, stage) reminder that has fired; the primary key makes it fire at most once."""

    __tablename__ = "reminder_marks"

    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), primary_key=True)
    stage: Mapped[str] = mapped_column(String(32), primary_key=True)
    fired_at: Mapped[datetime] = mapped_column(UtcDateTime)


class JobMark(Base):
    """A periodic job run (digest of a day, ranking of a week) recorded once across processes."""

    __tablename__ = "job_marks"

    job: Mapped[str] = mapped_column(String(48), primary_key=True)
    period: Mapped[str] = mapped_column(String(32), primary_key=True)
    done_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Account(Base):
    """A roster member's workbench login: an Argon2 hash of their password (never the password)."""

    __tablename__ = "accounts"

    member_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    password_hash: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RosterMember(Base):
    """A member from an imported 花名册 (applied over the configured roster at start and at once)."""

    __tablename__ = "roster_members"

    member_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[Role] = mapped_column(Word(Role))
    department: Mapped[str | None] = mapped_column(String(128))
    enterprise: Mapped[str | None] = mapped_column(String(128))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The member's enterprise's attributes as the import gave them (policies and notices select by them).
    industry: Mapped[str | None] = mapped_column(String(64))
    scale: Mapped[str | None] = mapped_column(String(16))
    district: Mapped[str | None] = mapped_column(String(64))
    tags: Mapped[list[str] | None] = mapped_column(JSON)
    unit: Mapped[str | None] = mapped_column(String(64))  # a configured unit (levels)
    rooms: Mapped[list[str] | None] = mapped_column(JSON)  # configured group ids; None: as configured


class RosterImport(Base):
    """The record of each 花名册 import: when, by whom, from what, how many rows, and what it changed
    for members already known (role, department, enterprise, name: before → after)."""

    __tablename__ = "roster_imports"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    by: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(255))
    rows: Mapped[int] = mapped_column(Integer)
    changes: Mapped[list[str] | None] = mapped_column(JSON)


class WebSession(Base):
    """A workbench session. The cookie carries a random token and only its SHA-256 is kept here, so
    a session ends for good when it is ended here: at logout, when the member sets a new password
    (their other sessions), or when their role changes."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(128), index=True)
    role: Mapped[Role] = mapped_column(Word(Role))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class LoginLink(Base):
    """A one-time sign-in link (``zhuqi user set-password --link``): only its SHA-256 is kept."""

    __tablename__ = "login_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Notice(Base):
    """通知: a leader's, 营商办's or a department's notice that needs an answer (回执), numbered."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    no: Mapped[int] = mapped_column(Integer, unique=True)
    room_id: Mapped[str] = mapped_column(String(128))
    poster_id: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[NoticeKind] = mapped_column(Word(NoticeKind))
    status: Mapped[NoticeStatus] = mapped_column(Word(NoticeStatus))
    audience: Mapped[str] = mapped_column(
        String(255)
    )  # the 对象 words, resolved against the roster when read
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deadline: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_notices_status_room", "status", "room_id"),)


class NoticeReply(Base):
    """One unit's 回执 (an enterprise, a department or a member): it exists once the unit said it
    received the notice (已收到); ``report`` holds what it reported (已报送), for a 报送 notice."""

    __tablename__ = "notice_replies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"))
    unit: Mapped[str] = mapped_column(String(160))  # ent:<name> | dept:<name> | member:<id>
    member_id: Mapped[str] = mapped_column(String(128))
    member_name: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text, default="")  # the first answer as written (收到, 接龙 …)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    late: Mapped[bool] = mapped_column(default=False)  # after the deadline
    # 已报送: what a 报送 notice collected from the unit (None: it has only said it received it).
    report: Mapped[str | None] = mapped_column(Text)
    reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (UniqueConstraint("notice_id", "unit", name="uq_notice_replies_notice_unit"),)


class PolicyRecord(Base):
    """政策找企业: an enterprise told of a policy, asking about it, or applying (one row each)."""

    __tablename__ = "policy_records"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    policy_id: Mapped[int] = mapped_column(Integer)
    enterprise: Mapped[str] = mapped_column(String(128))
    kind: Mapped[PolicyUseKind] = mapped_column(Word(PolicyUseKind))
    reason: Mapped[str] = mapped_column(String(32), default="")  # told: new | deadline; applied: ticket no
    member_id: Mapped[str | None] = mapped_column(String(128))
    room_id: Mapped[str | None] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("policy_id", "enterprise", "kind", "reason", name="uq_policy_records_once"),
        Index("ix_policy_records_kind_at", "kind", "at"),
    )
