"""Recurring events from ``[[events]]`` (企业服务日、周二晚茶会) announced once, ahead of time."""

from __future__ import annotations

import logging
from datetime import datetime

from handlers.replies import reminders as rt
from scheduler.deps import Deps
from scheduler.events_config import Event
from scheduler.jobs.common import to_groups
from storage.domain import Priority
from storage.uow import first_wins

log = logging.getLogger(__name__)


def _upcoming(event: Event, now: datetime) -> datetime | None:
    """The occurrence whose notice window contains ``now`` (never one that has already begun)."""
    for start in event.occurrences(now):
        return start if start - event.notice <= now else None
    return None


async def announce_events(deps: Deps, now: datetime) -> int:
    sent = 0
    for event in deps.schedule.events:
        start = _upcoming(event, now)
        if start is not None:
            sent += await first_wins(
                _announce(deps, event, start, now), False, f"event {event.name} at {start}"
            )
    if sent:
        deps.wake()
    return sent


async def _announce(deps: Deps, event: Event, start: datetime, now: datetime) -> bool:
    """Once per occurrence (``JobMark``), in its room or in every configured room."""
    async with deps.uow() as uow:
        if not await uow.job_marks.claim_period(("event:" + event.name)[:48], start.isoformat()[:16], now):
            return False
        rooms = [event.room_id] if event.room_id else [r.id for r in deps.services.roster.rooms]
        text = rt.event_announcement(event.name, start, event.place, event.text)
        await to_groups(deps, uow, now, rooms, text, Priority.BROADCAST)
        await uow.commit()
    return True


def next_due(deps: Deps, after: datetime) -> datetime | None:
    moments = []
    for event in deps.schedule.events:
        for start in event.occurrences(after + event.notice):
            moments.append(start - event.notice)
            break
    return min((m for m in moments if m > after), default=None)
