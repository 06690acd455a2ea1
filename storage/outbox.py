"""The outbox (``uow.outbox``): replies written in the transaction that made them, leased and sent
by ``bot.outbox.OutboxSender``. Nothing here commits; the unit of work does."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Boolean, ColumnElement, Select, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.domain import Priority
from storage.models import OutboxMessage, UtcDateTime


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
    @property
    def topic(self) -> str | None: ...
    @property
    def priority(self) -> Priority: ...


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(
        self,
        *,
        text: str,
        room_id: str | None,
        to_id: str | None,
        mentions: Sequence[str],
        at: datetime,
        priority: Priority,
        not_before: datetime | None = None,
        topic: str | None = None,
    ) -> None:
        """A message a job composed (answers to people are written by ``write_replies``), due at
        ``not_before`` (a broadcast is spread out) or at once. ``topic``: what it is about, in its
        chat (``replace`` and ``waiting`` find it by the same words and chat)."""
        self.session.add(
            OutboxMessage(
                room_id=room_id,
                to_id=to_id,
                text=text,
                mentions=list(mentions),
                created_at=at,
                not_before=not_before or at,
                priority=priority,
                topic=in_chat(topic, room_id, to_id) if topic else None,
            )
        )

    async def replace(self, topic: str, now: datetime, *, room_id: str | None, to_id: str | None) -> int:
        """Messages on ``topic`` in the chat still waiting (not leased by a sender) are superseded —
        a fresher one (today's digest) is about to be added; how many."""
        stmt = update(OutboxMessage).where(*_waiting(in_chat(topic, room_id, to_id), now))
        stmt = stmt.values(failed_at=now, last_error="superseded by a newer message")
        result = await self.session.execute(stmt.execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0)

    async def waiting(
        self, topic: str, now: datetime, *, room_id: str | None, to_id: str | None
    ) -> OutboxMessage | None:
        """The message on ``topic`` in the chat still waiting to go (not leased by a sender), to join it."""
        key = in_chat(topic, room_id, to_id)
        stmt = select(OutboxMessage).where(*_waiting(key, now)).order_by(OutboxMessage.id.desc()).limit(1)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def expire(self, older_than: datetime, least: Priority, now: datetime) -> int:
        """Digests and broadcasts (priority ``least`` and below) still waiting since before
        ``older_than`` are given up, never sent as a flood the next day; how many."""
        stmt = (
            update(OutboxMessage)
            .where(*_unsent(), OutboxMessage.priority >= least, OutboxMessage.created_at < older_than)
            .values(failed_at=now, last_error="stale: not sent the day it was made")
        )
        result = await self.session.execute(stmt.execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0)

    async def write_replies(
        self, replies: Iterable[tuple[Reply, datetime]], sent_at: datetime | None = None
    ) -> None:
        """Replies (each with the moment it was made) to the outbox in one statement, in order;
        the messages of a batch write theirs together once all are handled. ``sent_at``: the
        gateway got them in this same transaction (the simulator), nothing left to send."""
        replies = list(replies)
        rows = [
            {
                "room_id": r.room_id,
                "to_id": r.to_id,
                "text": r.text,
                "mentions": list(r.mentions),
                "created_at": at,
                "not_before": at,
                "sent_at": sent_at,
                "priority": r.priority,
                "topic": in_chat(r.topic, r.room_id, r.to_id) if r.topic else None,
            }
            for r, at in replies
        ]
        if sent_at is None:  # rare (a note to 营商办 on a 共性问题): the fresher replaces a waiting one
            for r, at in replies:
                if r.topic is not None:
                    await self.replace(r.topic, at, room_id=r.room_id, to_id=r.to_id)
        if rows:
            await self.session.execute(_OUTBOX_INSERT, rows)

    async def claim_due(
        self, now: datetime, limit: int = 20, chats: Chats | None = None
    ) -> list[OutboxMessage]:
        """Up to ``limit`` due rows in the order they should go: the most urgent priority first
        and, within it, the chats taking turns (each chat's first message, then each one's second …),
        so a busy group or a long push never holds another group's answer behind it. ``chats``:
        only those (what one bot account answers); None: every chat."""
        if chats is None:
            params: dict[str, object] = {"now": now, "most": limit}
            return list((await self.session.execute(_pending_outbox(False), params)).scalars())
        if not chats.rooms and not chats.private:
            return []
        params = {"now": now, "most": limit, "rooms": sorted(chats.rooms), "private": chats.private}
        return list((await self.session.execute(_pending_outbox(True), params)).scalars())

    async def renew(self, row_id: int, until: datetime) -> None:
        """A leased row still being worked on (waiting for the account's budget) stays leased."""
        stmt = update(OutboxMessage).where(OutboxMessage.id == row_id, OutboxMessage.sent_at.is_(None))
        await self.session.execute(stmt.values(not_before=until).execution_options(synchronize_session=False))

    async def lease_holders(self, now: datetime) -> set[str]:
        """The processes holding leases on rows still to go."""
        stmt = select(OutboxMessage.leased_by).where(*_unsent(), OutboxMessage.not_before > now).distinct()
        return {h for h in (await self.session.execute(stmt)).scalars() if h}

    async def release_dead(self, holders: Sequence[str], now: datetime) -> int:
        """Rows leased by processes that died: due again now, for a live one to send."""
        if not holders:
            return 0
        where = [*_unsent(), OutboxMessage.not_before > now, OutboxMessage.leased_by.in_(list(holders))]
        stmt = update(OutboxMessage).where(*where).values(not_before=now, leased_by=None)
        result = await self.session.execute(stmt.execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0)

    async def row(self, row_id: int) -> OutboxMessage | None:
        return await self.session.get(OutboxMessage, row_id)

    async def mark_sent(self, ids: list[int], now: datetime, by: str | None = None) -> None:
        stmt = update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(sent_at=now, sent_by=by)
        await self.session.execute(stmt)

    async def release(self, ids: list[int], now: datetime) -> None:
        """Leased but not tried (the gateway went down first): due again now."""
        await self.session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(not_before=now)
        )

    async def depth(self) -> dict[tuple[str | None, int], int]:
        """Rows waiting to go (not sent, not given up), per (group, priority); a private chat's
        group is None (/metrics and the accounts page give each account its chats' rows)."""
        stmt = (
            select(OutboxMessage.room_id, OutboxMessage.priority, func.count())
            .where(*_unsent())
            .group_by(OutboxMessage.room_id, OutboxMessage.priority)
        )
        return {(room, int(p)): int(n) for room, p, n in (await self.session.execute(stmt)).all()}

    async def sent_by(self, since: datetime) -> dict[str, int]:
        """Messages each bot account sent since ``since``."""
        stmt = (
            select(OutboxMessage.sent_by, func.count())
            .where(OutboxMessage.sent_at > since, OutboxMessage.sent_by.is_not(None))
            .group_by(OutboxMessage.sent_by)
        )
        return {str(a): int(n) for a, n in (await self.session.execute(stmt)).all()}

    async def totals(self) -> tuple[int, int]:
        """(sent, given up) since the database began (/metrics' counters)."""
        stmt = select(func.count(OutboxMessage.sent_at), func.count(OutboxMessage.failed_at))
        sent, failed = (await self.session.execute(stmt)).one()
        return int(sent), int(failed)

    async def next_due(self) -> datetime | None:
        stmt = select(func.min(OutboxMessage.not_before)).where(*_unsent())
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def retry_now(self, now: datetime, chats: Chats | None = None) -> int:
        """After a reconnect, or once ``chats`` moved to another account: what was held back by
        backoff is due at once (rows a sender holds stay leased)."""
        where = [*_unsent(), OutboxMessage.attempts > 0, OutboxMessage.not_before > now]
        if chats is not None:
            where.append(_in_chats(chats))
        stmt = update(OutboxMessage).where(*where).values(not_before=now)
        result = await self.session.execute(stmt.execution_options(synchronize_session=False))
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


# Many-row inserts on the table itself (Core executemany): the ORM's bulk-insert bookkeeping for
# the same rows cost more than writing them.
_OUTBOX_INSERT = insert(OutboxMessage.table())


@dataclass(frozen=True)
class Chats:
    """The chats one bot account answers: these groups, and private chats or not."""

    rooms: frozenset[str]
    private: bool


def _in_chats(chats: Chats) -> ColumnElement[bool]:
    in_rooms = OutboxMessage.room_id.in_(sorted(chats.rooms))
    return or_(in_rooms, OutboxMessage.room_id.is_(None)) if chats.private else in_rooms


@functools.cache
def _pending_outbox(scoped: bool) -> Select[OutboxMessage]:
    """Due rows ranked by (priority, the row's turn in its chat, id). The turn is a window over the
    due rows alone, in a subquery (PostgreSQL does not lock rows of a query with a window function
    itself); SKIP LOCKED lets two bot processes drain one outbox without sending twice (SQLite
    ignores it: one writer at a time anyway)."""
    is_due: tuple[ColumnElement[bool], ...] = (
        *_unsent(),
        OutboxMessage.not_before <= bindparam("now", type_=UtcDateTime()),
    )
    if scoped:  # only the chats one account answers
        in_rooms = OutboxMessage.room_id.in_(bindparam("rooms", expanding=True))
        private = and_(OutboxMessage.room_id.is_(None), bindparam("private", type_=Boolean()))
        is_due = (*is_due, or_(in_rooms, private))
    due = (
        select(
            OutboxMessage.id,
            OutboxMessage.priority,
            func.row_number()
            .over(partition_by=(OutboxMessage.room_id, OutboxMessage.to_id), order_by=OutboxMessage.id)
            .label("turn"),
        )
        .where(*is_due)
        .subquery("due")
    )
    # The condition again on the locked rows themselves: PostgreSQL re-checks a row's newest
    # version against the locking query's own WHERE (not the subquery's), so a row another
    # process leased a moment ago, after this statement's snapshot, is passed by, not taken twice.
    return (
        select(OutboxMessage)
        .join(due, due.c.id == OutboxMessage.id)
        .where(*is_due)
        .order_by(due.c.priority, due.c.turn, OutboxMessage.id)
        .limit(bindparam("most"))
        .with_for_update(of=OutboxMessage.__table__, skip_locked=True)
    )


def _waiting(topic: str, now: datetime) -> list[ColumnElement[bool]]:
    """The rows on ``topic`` that wait to go and no sender holds (a leased row's ``not_before`` is
    ahead of now)."""
    return [OutboxMessage.topic == topic, *_unsent(), OutboxMessage.not_before <= now]


def _unsent() -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """Not sent and not given up: still to go (due now or later, or leased by a sender)."""
    return OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None)


def chat_of(room_id: str | None, to_id: str | None) -> str:
    """The chat a message goes to: the group's id, or ``dm:<member id>``."""
    return room_id or f"dm:{to_id}"


def in_chat(topic: str, room_id: str | None, to_id: str | None) -> str:
    """A topic as stored: what it is about, in which chat (the same words in two chats are two)."""
    return f"{topic}@{chat_of(room_id, to_id)}"
