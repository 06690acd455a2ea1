"""政策找企业: each policy is pushed to the enterprises it fits — when it is new to them, and again
``remind_days`` before its deadline to those who have not applied — at ``[policies] push_time`` on
working days. In the group, one message per policy @s the fitting enterprises there, and a group
gets at most ``per_day`` such messages a day (the rest wait for the next day); privately, each
enterprise gets one merged message a day. Who was told is recorded (``policy_records``), once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from handlers.policy import Policy
from handlers.replies import policies as say
from handlers.replies.texts import at
from handlers.roster.model import Enterprise
from scheduler.deps import Deps
from scheduler.jobs.common import first_process_wins
from storage.domain import PolicyUseKind, Priority
from storage.uow import UnitOfWork

NEW, SOON = "new", "deadline"


@dataclass(frozen=True)
class Due:
    policy: Policy
    reason: str  # new | deadline
    firms: list[Enterprise]  # fitting enterprises not yet told for this reason (nor applied)


def _day_start(deps: Deps, now: datetime) -> datetime:
    local = now.astimezone(deps.calendar.tz)
    return datetime.combine(local.date(), time(0), tzinfo=deps.calendar.tz)


def _soon(deps: Deps, p: Policy, today: date) -> bool:
    return p.deadline is not None and (p.deadline - today).days <= deps.schedule.policy_remind_days


async def due(deps: Deps, uow: UnitOfWork, today: date) -> list[Due]:
    """What is owed, deadline reminders first (nearest deadline first), then new policies by number."""
    library, roster = deps.services.policies, deps.services.roster
    if library is None:
        return []
    out: list[Due] = []
    records = await uow.policies.told_or_applied()
    for p in sorted(library.policies, key=lambda x: (x.deadline or date.max, x.id)):
        if not p.open_on(today):
            continue
        reason = SOON if _soon(deps, p, today) else NEW
        done = records.get((p.id, reason), set()) | records.get((p.id, PolicyUseKind.APPLIED), set())
        out.append(Due(p, reason, [e for e in roster.enterprises if p.fit.fits(e) and e.name not in done]))
        await asyncio.sleep(0)  # a city's thousands of enterprises: the loop breathes between policies
    out.sort(key=lambda d: d.reason != SOON)
    return [d for d in out if d.firms]


@first_process_wins
async def push_policies(deps: Deps, now: datetime) -> int:
    """Push what is owed at ``now`` (working days, from ``push_time``, never in quiet hours)."""
    local = now.astimezone(deps.calendar.tz)
    if (
        deps.schedule.policy_push == "off"
        or local.time() < deps.schedule.policy_time
        or not deps.may_send(now)
    ):
        return 0
    async with deps.uow() as uow:
        if deps.schedule.policy_push == "group":
            budget = await _group_budget(deps, uow, now)
            # Budget first: once every group has had today's pushes (each tick from push_time to
            # the evening), nothing is worked out at all — no policy matched, no contact built.
            sent = (
                await _in_groups(deps, uow, await due(deps, uow, local.date()), now, budget) if budget else 0
            )
        else:
            sent = await _privately(deps, uow, await due(deps, uow, local.date()), now)
        await uow.commit()
    if sent:
        deps.wake()
    return sent


async def _group_budget(deps: Deps, uow: UnitOfWork, now: datetime) -> dict[str, int]:
    """Push messages each group may still get today (only the groups with some left)."""
    budget = {r.id: deps.schedule.policy_per_day for r in deps.services.roster.rooms}
    for room_id, n in (await uow.policies.told_since(_day_start(deps, now))).items():
        budget[room_id] = budget.get(room_id, 0) - n
    return {room: left for room, left in budget.items() if left > 0}


async def _in_groups(
    deps: Deps, uow: UnitOfWork, owed: list[Due], now: datetime, budget: dict[str, int]
) -> int:
    """Each owed policy to the groups that still have budget today; the groups' enterprises are
    worked out once, and a group's contacts only while it has budget left."""
    roster, sent, capacity = deps.services.roster, 0, await deps.capacity(uow, now)
    if capacity is not None:  # a group whose account cannot send more today gets nothing composed
        budget = {room: n for room, n in budget.items() if capacity.take(room)}
    rooms = [r for r in roster.rooms if r.id in budget]
    reachable = {}
    for room in rooms:  # each group's enterprises and whom to @ for each, once a tick
        reachable[room.id] = roster.first_contacts(room.id)
        await asyncio.sleep(0)
    for item in owed:
        for room in rooms:
            if budget[room.id] <= 0:
                continue
            here = reachable[room.id]
            contacts = {e.name: here[e.name] for e in item.firms if e.name in here}
            if not contacts:
                continue
            await _record(uow, item, contacts, now, room.id)
            await asyncio.sleep(0)  # one group's message at a time: the bot answers in between
            text = say.push(item.policy, at(roster, contacts.values()), item.reason == SOON)
            mentions = list(contacts.values())
            uow.outbox.add(
                text=text, room_id=room.id, to_id=None, mentions=mentions, at=now, priority=Priority.BROADCAST
            )
            budget[room.id] -= 1
            sent += 1
    return sent


async def _privately(deps: Deps, uow: UnitOfWork, owed: list[Due], now: datetime) -> int:
    """One merged message per enterprise (its first person), at most ``per_day`` policies in it."""
    roster = deps.services.roster
    already = await uow.policies.firms_told_since(_day_start(deps, now))
    per_firm: dict[str, list[Due]] = {}
    for item in owed:
        for e in item.firms:
            if e.name not in already and len(per_firm.setdefault(e.name, [])) < deps.schedule.policy_per_day:
                per_firm[e.name].append(item)
    sent = 0
    for firm, items in per_firm.items():
        people = roster.contacts(firm)
        if not people:
            continue
        for item in items:
            await _record(uow, item, {firm: people[0].id}, now, None)
        text = say.push_private([(i.policy, i.reason == SOON) for i in items])
        uow.outbox.add(
            text=text, room_id=None, to_id=people[0].id, mentions=(), at=now, priority=Priority.BROADCAST
        )
        sent += 1
    return sent


async def _record(
    uow: UnitOfWork, item: Due, contacts: dict[str, str], now: datetime, room: str | None
) -> None:
    """Who was told, in one statement (a message @s up to hundreds of enterprises)."""
    reasons = (NEW, SOON) if item.reason == SOON else (NEW,)  # told near the deadline: no "new" push later
    await uow.policies.record_told(item.policy.id, contacts, reasons, now, room)


def next_due(deps: Deps, after: datetime) -> datetime | None:
    """The next push time on a working day (time travel stops there)."""
    if deps.schedule.policy_push == "off" or deps.services.policies is None:
        return None
    local = after.astimezone(deps.calendar.tz)
    for days in range(0, 30):
        day = local.date() + timedelta(days=days)
        moment = datetime.combine(day, deps.schedule.policy_time, tzinfo=deps.calendar.tz)
        if moment > after and deps.calendar.is_workday(day):
            return moment
    return None
