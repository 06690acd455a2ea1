"""The bot introduces itself once in every group it serves for the first time (``JobMark`` per room)."""

from __future__ import annotations

from datetime import datetime

from handlers.replies import texts
from scheduler.deps import Deps
from scheduler.jobs.common import first_process_wins, to_groups
from storage.domain import Priority


@first_process_wins
async def greet_new_rooms(deps: Deps, now: datetime) -> int:
    """The welcome in each configured group not greeted before (in this database); how many."""
    roster = deps.services.roster
    async with deps.uow() as uow:
        new = [room.id for room in roster.rooms if await uow.job_marks.claim_period("welcome", room.id, now)]
        greeted = await to_groups(deps, uow, now, new, texts.welcome(roster.bot_name), Priority.BROADCAST)
        await uow.commit()
    if greeted:
        deps.wake()
    return greeted
