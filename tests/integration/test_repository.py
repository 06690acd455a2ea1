"""The ticket write path written in Core under the ORM (storage/tickets.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import event

from handlers.clock import TZ
from storage.models import Issue
from storage.uow import UnitOfWorkFactory

AT = datetime(2026, 11, 23, 9, 30, tzinfo=TZ)


def _ticket(no: int, enterprise: str) -> Issue:
    return Issue(no=no, room_id="room", status="open", category="水电气暖", original_category="水电气暖",
                 enterprise=enterprise, reporter_id=f"{enterprise}_boss", title="停电", text="园区停电",
                 created_at=AT, updated_at=AT)  # fmt: skip


async def test_a_new_ticket_is_stored_at_once_and_changes_to_it_are_written(uow: UnitOfWorkFactory) -> None:
    async with uow() as u:
        issue = _ticket(1, "华科")
        await u.tickets.add(issue)
        assert issue.id is not None
        # Every column is loaded (defaults as the database gave them): nothing is fetched lazily.
        assert (issue.assisting, issue.kind, issue.escalation_level, issue.common_group) == (
            [],
            "appeal",
            0,
            None,
        )
        issue.status = "claimed"
        issue.department = "国网绵阳供电公司"
        await u.commit()
    async with uow() as u:
        stored = await u.tickets.by_no(1)
        assert stored is not None and (stored.status, stored.department) == ("claimed", "国网绵阳供电公司")


async def test_a_rolled_back_ticket_is_gone(uow: UnitOfWorkFactory) -> None:
    async with uow() as u:
        await u.tickets.add(_ticket(1, "华科"))  # no commit
    async with uow() as u:
        assert await u.tickets.by_no(1) is None


async def test_a_group_is_seen_by_tickets_already_loaded(uow: UnitOfWorkFactory) -> None:
    async with uow() as u:
        for no, who in enumerate(["华科", "富诚", "安州"], start=1):
            await u.tickets.add(_ticket(no, who))
        await u.commit()
    async with uow() as u:
        first = await u.tickets.by_no(1)
        third = await u.tickets.by_no(3)
        assert first is not None and third is not None
        await u.tickets.set_common_group([first.id, third.id], 1)
        assert (first.common_group, third.common_group) == (1, 1)  # in step without a reload
        assert await u.tickets.common_group_glimpse(1, 7) == ([1, 3], 2)
        await u.commit()
    async with uow() as u:
        assert [i.common_group for i in await u.tickets.find()] == [1, None, 1]  # newest first


async def test_similar_appeals_fetch_each_candidate_by_id_from_the_postings(uow: UnitOfWorkFactory) -> None:
    """共性问题's look-up starts from the term postings (bounded) and fetches each candidate ticket by
    its id. PostgreSQL once chose, on statistics a few minutes stale, to start from the category's
    tickets instead, reading the category's whole history for every appeal."""
    async with uow() as u:
        for no in range(1, 301):
            issue = _ticket(no, f"企业{no}")
            await u.tickets.add(issue)
            await u.tickets.add_terms(issue.id, ["w:园区", "w:停电", "w:三天"], AT, fresh=True)
        await u.commit()
    async with uow() as u:
        plans = await _plans_of(
            u, lambda: u.tickets.similar_appeals("水电气暖", ["w:园区", "w:停电"], AT, exclude_id=0)
        )
    (plan,) = plans
    by_id = (
        "SEARCH issues USING INTEGER PRIMARY KEY"
        if u.session.bind.dialect.name == "sqlite"
        else "Index Scan using pk_issues"
    )
    assert by_id in plan and "ix_issues_category" not in plan, plan


async def _plans_of(u: Any, call: Callable[[], Awaitable[Any]]) -> list[str]:
    """The query plans of the 共性问题 look-ups ``call`` makes, as the database explains them."""
    plans: list[str] = []
    connection = await u.session.connection()
    sync_engine = connection.engine.sync_engine
    sqlite = connection.dialect.name == "sqlite"

    def explain(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if "AS shared" in statement:
            raw = conn.connection.dbapi_connection.cursor()
            raw.execute(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + statement, parameters)
            plans.append("\n".join(str(row[-1]) for row in raw.fetchall()))  # the plan's text column

    event.listen(sync_engine, "before_cursor_execute", explain)
    try:
        await call()
    finally:
        event.remove(sync_engine, "before_cursor_execute", explain)
    return plans


async def test_two_units_of_work_setting_one_password_at_once_both_commit(uow: UnitOfWorkFactory) -> None:
    """Two bot processes starting together on a new database both set the demo's 营商办 password:
    neither fails on the account's key (the last one stays), and a loaded account reads it again."""

    async def set_hash(password_hash: str) -> None:
        async with uow() as u:
            await u.accounts.set_password_hash("co_yang", password_hash, datetime.now(TZ))
            await asyncio.sleep(0.05)  # both transactions open at once (PostgreSQL: the second waits)
            await u.commit()

    await asyncio.gather(set_hash("first"), set_hash("second"))
    async with uow() as u:
        assert await u.accounts.password_hash("co_yang") in ("first", "second")
        await u.accounts.set_password_hash("co_yang", "third", datetime.now(TZ))
        assert await u.accounts.password_hash("co_yang") == "third"
