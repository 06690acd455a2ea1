"""Recurring events from ``[[events]]`` (企业服务日、周二晚茶会) announced once, ahead of time."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from handlers import reminder_texts as rt
from scheduler.deps import Deps
from scheduler.events_config import Event
from storage.models import JobMark

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
        if start is None:
            continue
        async with deps.uow() as uow:
            key = ("event:" + event.name)[:48]
            if await uow.session.get(JobMark, (key, start.isoformat()[:16])) is not None:
                continue
            uow.session.add(JobMark(job=key, period=start.isoformat()[:16], done_at=now))
            rooms = [event.room_id] if event.room_id else [r.id for r in deps.services.directory.rooms]
            text = rt.event_notice(event.name, start, event.place, event.text)
            for room in rooms:
                uow.repo.add_outbox(text=text, room_id=room, to_id=None, mentions=(), at=now)
            try:
                await uow.commit()
            except IntegrityError:
                log.info("event %s at %s already announced", event.name, start)
                continue
            sent += 1
    if sent:
        deps.wake()
    return sent


def next_due(deps: Deps, after: datetime) -> datetime | None:
    moments = []
    for event in deps.schedule.events:
        for start in event.occurrences(after + event.notice):
            moments.append(start - event.notice)
            break
    return min((m for m in moments if m > after), default=None)
