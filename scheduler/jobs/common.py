"""Helpers the jobs share: who to @, which stages already fired, and merged posting to the outbox."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from handlers.replies import reminders as reminder_texts
from handlers.replies import texts
from handlers.roster.model import Roster
from storage.domain import SYSTEM, EventKind, Priority, Role
from storage.models import Issue, IssueEvent
from storage.uow import UnitOfWork, first_wins

if TYPE_CHECKING:
    from scheduler.deps import Deps

log = logging.getLogger(__name__)


JobResult = TypeVar("JobResult", int, bool)
# One text to many groups goes out spread over time, this far apart: a broadcast to 50 groups
# takes five minutes and never uses more than a quarter of an account's 40 messages a minute.
SPREAD_SECONDS = 6.0


def spread(now: datetime, i: int) -> datetime:
    """When the ``i``-th copy of a broadcast is due (the first at once)."""
    return now + timedelta(seconds=i * SPREAD_SECONDS)


def first_process_wins(
    job: Callable[[Deps, datetime], Awaitable[JobResult]],
) -> Callable[[Deps, datetime], Awaitable[JobResult]]:
    """Two bot processes on one database run the same job at the same moment: the marks let only
    one commit, and the other sends nothing (0 / False)."""

    @functools.wraps(job)
    async def run(deps: Deps, now: datetime) -> JobResult:
        return await first_wins(job(deps, now), False, f"{job.__name__} at {now}")

    return run


@dataclass
class Notice:
    """One reminder line for a room (merged with others due at the same moment)."""

    room_id: str
    text: str
    mentions: list[str] = field(default_factory=list)
    private: bool = False  # to each mentioned person privately (a doubtful ticket the group never saw)


def people(roster: Roster, issue: Issue, who: Iterable[str]) -> list[str]:
    """Member ids for ladder words (handlers, head, leader, leaders, coordinators) or plain ids.
    Leaders and 营商办 are those of the ticket's unit, else of the nearest unit above with some:
    the ladder climbs the ticket's own unit's chain, never another county's or every leader."""
    dept = roster.department(issue.department) if issue.department else None
    handlers = list(dept.handlers) if dept else []
    unit = issue.unit or roster.root
    coordinators = roster.nearest(Role.COORDINATOR, unit)
    out: list[str] = []
    for word in who:
        if word == "handlers":
            out += handlers or coordinators
        elif word == "head":
            out += handlers[:1] or coordinators
        elif word == "leader":
            out += [dept.leader] if dept and dept.leader else []
        elif word == "leaders":
            out += roster.nearest(Role.LEADER, unit)
        elif word == "coordinators":
            out += coordinators
        else:
            out.append(word)
    return list(dict.fromkeys(out))


def room_of(roster: Roster, issue: Issue) -> str:
    """The ticket's group; a task handed down in private goes to the first configured group."""
    return issue.room_id or roster.rooms[0].id


async def to_groups(
    deps: Deps,
    uow: UnitOfWork,
    now: datetime,
    rooms: Sequence[str],
    text: str,
    priority: Priority,
    topic: str | None = None,
) -> int:
    """One text to many groups, spread out (``spread``), and composed only for the groups whose
    account may still send it today; with a ``topic``, a copy still waiting in a group is
    replaced by this one. How many were queued."""
    capacity = await deps.capacity(uow, now)
    queued = 0
    for room in rooms:
        if capacity is not None and not capacity.take(room):
            log.info("no budget left today for group %s: %s not queued", room, topic or "a broadcast")
            continue
        if topic is not None:
            await uow.outbox.replace(topic, now, room_id=room, to_id=None)
        uow.outbox.add(
            text=text,
            room_id=room,
            to_id=None,
            mentions=(),
            at=now,
            priority=priority,
            not_before=spread(now, queued),
            topic=topic,
        )
        queued += 1
    return queued


async def mark(uow: UnitOfWork, issue: Issue, stages: Iterable[str], now: datetime, fired_stage: str) -> None:
    """Record the stages (the primary key makes a second process's commit fail) and the history."""
    uow.job_marks.mark_stages(issue.id, stages, now)
    label = reminder_texts.STAGE_NAMES.get(fired_stage.split(".", 1)[0], fired_stage)
    await uow.tickets.add_event(
        IssueEvent(
            issue_id=issue.id,
            kind=EventKind.REMIND.value,
            actor=SYSTEM,
            at=now,
            text=label,
            data={"stage": fired_stage},
        )
    )


async def post(uow: UnitOfWork, notices: Sequence[Notice], now: datetime, roster: Roster) -> int:
    """One outbox message per room: reminders due together are merged, never sent one by one; a
    room's reminders still waiting to go (the account's budget was spent) are joined by these, so
    they go out as one message, never as a flood once the account may send again. Only people in
    the room are @-ed there; the others get the reminder privately."""
    by_room: dict[str, list[Notice]] = {}
    by_person: dict[str, list[str]] = {}
    for notice in notices:
        inside = {m.id for m in roster.members_in(notice.room_id)}
        away = notice.mentions if notice.private else [p for p in notice.mentions if p not in inside]
        for person in away:
            by_person.setdefault(person, []).append(notice.text)
        if not notice.private:
            here = [p for p in notice.mentions if p in inside]
            by_room.setdefault(notice.room_id, []).append(Notice(notice.room_id, notice.text, here))
    for room_id, items in by_room.items():
        mentions = list(dict.fromkeys(m for n in items for m in n.mentions))
        await _post_or_join(uow, now, [n.text for n in items], mentions, room_id=room_id)
    for person, texts_for in by_person.items():
        await _post_or_join(uow, now, texts_for, [], to_id=person)
    return len(by_room) + len(by_person)


async def _post_or_join(
    uow: UnitOfWork,
    now: datetime,
    items: list[str],
    mentions: list[str],
    *,
    room_id: str | None = None,
    to_id: str | None = None,
) -> None:
    waiting = await uow.outbox.waiting("remind", now, room_id=room_id, to_id=to_id)
    if waiting is not None:  # one message with all of them (the earlier ones first)
        waiting.text = reminder_texts.joined(waiting.text, reminder_texts.merged(items))
        waiting.mentions = list(dict.fromkeys([*waiting.mentions, *mentions]))
        return
    uow.outbox.add(
        text=reminder_texts.merged(items),
        room_id=room_id,
        to_id=to_id,
        mentions=mentions,
        at=now,
        priority=Priority.REMINDER,
        topic="remind",
    )


def at(roster: Roster, ids: Sequence[str]) -> str:
    return texts.at(roster, ids)
