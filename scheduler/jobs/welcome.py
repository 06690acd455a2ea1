"""The bot introduces itself once in every group it serves for the first time (``JobMark`` per room)."""

from __future__ import annotations

from datetime import datetime

from handlers.replies import texts
from scheduler.deps import Deps
from scheduler.jobs.common import first_process_wins, spread
from storage.domain import Priority


@first_process_wins
async def greet_new_rooms(deps: Deps, now: datetime) -> int:
    """The welcome in each configured group not greeted before (in this database); how many."""
    roster = deps.services.roster
    greeted = 0
    async with deps.uow() as uow:
        for room in roster.rooms:
            if await uow.job_marks.claim_period("welcome", room.id, now):
                uow.outbox.add(
                    text=texts.welcome(roster.bot_name),
                    room_id=room.id,
                    to_id=None,
                    mentions=(),
                    at=now,
                    priority=Priority.BROADCAST,
                    not_before=spread(now, greeted),
                )
                greeted += 1
        await uow.commit()
    if greeted:
        deps.wake()
    return greeted
