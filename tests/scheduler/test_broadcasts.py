"""One text to many groups (the welcome, an event, a ranking to every group) goes out spread over
time, not as one burst with one timestamp: a broadcast to 50 groups never takes an account's budget."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import select

from handlers.roster.model import Room, Roster
from scheduler.deps import Deps
from scheduler.jobs.common import SPREAD_SECONDS
from scheduler.jobs.welcome import greet_new_rooms
from storage.domain import Priority
from storage.models import OutboxMessage

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


async def test_the_welcome_to_many_groups_is_spread_out(deps: Deps, roster: Roster) -> None:
    rooms = tuple(Room(f"g{i}@chatroom", f"园区群{i}") for i in range(50))
    many = replace(deps, services=replace(deps.services, roster=replace(roster, rooms=rooms)))
    assert await greet_new_rooms(many, NOW) == 50
    async with deps.uow() as uow:
        stmt = select(OutboxMessage.not_before, OutboxMessage.priority).order_by(OutboxMessage.id)
        rows = (await uow.session.execute(stmt)).all()
    due = sorted((at - NOW).total_seconds() for at, _ in rows)
    assert len(rows) == 50 and {p for _, p in rows} == {Priority.BROADCAST}
    assert due[0] == 0 and due[-1] == 49 * SPREAD_SECONDS  # five minutes for fifty groups
    assert len(set(due)) == 50  # never two at one moment
