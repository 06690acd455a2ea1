"""Notices (通知) and their 回执 (``uow.notices``).

Nothing here commits. A 回执 is unique per (notice, unit), so an enterprise answering twice, or two
of its people answering at once, is stored once.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.domain import MAX_TICKET_NO, NoticeStatus
from storage.models import Notice, NoticeReply, UtcDateTime
from storage.sql import insert_once, next_number

LIVE = (NoticeStatus.OPEN, NoticeStatus.CLOSED)


class NoticeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, notice: Notice) -> Notice:
        """Number it (atomic, like tickets) and add it."""
        notice.no = await next_number(self.session, "notice_no")
        self.session.add(notice)
        await self.session.flush()
        return notice

    async def by_no(self, no: int) -> Notice | None:
        if not 1 <= no <= MAX_TICKET_NO:
            return None
        return (await self.session.execute(select(Notice).where(Notice.no == no))).scalar_one_or_none()

    async def draft_of(self, poster_id: str, since: datetime) -> Notice | None:
        """The poster's newest unconfirmed draft, recognised after ``since``."""
        stmt = (
            select(Notice)
            .where(
                Notice.poster_id == poster_id, Notice.status == NoticeStatus.DRAFT, Notice.created_at >= since
            )
            .order_by(Notice.id.desc())
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def answerable(self, room_id: str, since: datetime) -> list[Notice]:
        """Notices of the room a plain 收到 may answer, newest first (closed ones still take late answers)."""
        params = {"room": room_id, "since": since}
        return list((await self.session.execute(_answerable(), params)).scalars())

    async def open_with_deadline(self) -> list[Notice]:
        stmt = select(Notice).where(Notice.status == NoticeStatus.OPEN, Notice.deadline.is_not(None))
        return list((await self.session.execute(stmt)).scalars())

    async def stale_drafts(self, before: datetime) -> list[Notice]:
        stmt = select(Notice).where(Notice.status == NoticeStatus.DRAFT, Notice.created_at < before)
        return list((await self.session.execute(stmt)).scalars())

    async def listed(self, limit: int = 200) -> list[Notice]:
        """Every confirmed notice, newest first (the workbench)."""
        stmt = select(Notice).where(Notice.status.in_(LIVE)).order_by(Notice.no.desc()).limit(limit)
        return list((await self.session.execute(stmt)).scalars())

    async def replies(self, notice_ids: Sequence[int]) -> dict[int, list[NoticeReply]]:
        out: dict[int, list[NoticeReply]] = {i: [] for i in notice_ids}
        if notice_ids:
            stmt = select(NoticeReply).where(NoticeReply.notice_id.in_(notice_ids)).order_by(NoticeReply.id)
            for reply in (await self.session.execute(stmt)).scalars():
                out[reply.notice_id].append(reply)
        return out

    async def add_report(self, notice_id: int, unit: str, report: str, at: datetime) -> bool:
        """The unit's 报送, on the 回执 it already has (it said 收到 first); False when it had one."""
        stmt = (
            update(NoticeReply)
            .where(NoticeReply.notice_id == notice_id, NoticeReply.unit == unit, NoticeReply.report.is_(None))
            .values(report=report, reported_at=at)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(await self.session.execute(stmt), "rowcount", 0))

    async def add_reply(self, reply: NoticeReply) -> bool:
        """Store a unit's answer unless it has one (another process may have stored it a moment
        ago); False when it had."""
        values = {c.key: getattr(reply, c.key) for c in NoticeReply.__table__.columns if c.key != "id"}
        return await insert_once(self.session, NoticeReply, values, ["notice_id", "unit"])


@functools.cache
def _answerable() -> Select[Notice]:
    """Built once: every message in a room asks it (building it cost more than running it)."""
    return (
        select(Notice)
        .where(
            Notice.room_id == bindparam("room"),
            Notice.status.in_(LIVE),
            Notice.created_at >= bindparam("since", type_=UtcDateTime()),
        )
        .order_by(Notice.no.desc())
    )
