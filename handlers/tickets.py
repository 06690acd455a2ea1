"""Ticket operations shared by commands, intake and jobs: open, announce, move along the table."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from handlers.context import Context
from handlers.lifecycle import Change, Refusal, apply, check
from handlers.parser import ParsedCommand
from handlers.permissions import roles_for
from handlers.replies import texts
from handlers.replies import tickets as say
from handlers.roster.model import Roster
from handlers.verdict import Verdict
from storage.domain import FALLBACK_CATEGORY, NOT_APPEAL, Action, EventKind, IssueKind, Status
from storage.models import Issue, IssueEvent


@dataclass(frozen=True)
class Place:
    """Where a ticket opens when not in the group it was asked in: a 下派 child's unit and group."""

    unit: str
    room_id: str | None
    parent_no: int | None = None


async def open_issue(
    ctx: Context,
    text: str,
    verdict: Verdict,
    *,
    status: Status,
    kind: IssueKind = IssueKind.APPEAL,
    place: Place | None = None,
) -> Issue:
    """Create a ticket with its first event. Announcing it is the caller's choice."""
    category = verdict.category if verdict.is_appeal else FALLBACK_CATEGORY
    if category == NOT_APPEAL or ctx.roster.category(category) is None:
        category = FALLBACK_CATEGORY
    enterprise = ctx.actor.enterprise if kind is IssueKind.APPEAL else None
    place = place or Place(ctx.roster.unit_of_room(ctx.room_id), ctx.room_id)
    unit = place.unit
    # In a county's or park's group, that unit's own department for it (or the nearest above).
    local = ctx.roster.counterpart(verdict.department, unit)
    department = local.name if local is not None else verdict.department
    issue = Issue(
        no=await ctx.uow.tickets.next_no(),
        room_id=place.room_id,
        status=status,
        category=category,
        original_category=category,
        department=department,
        unit=unit or None,
        origin_unit=unit or None,
        parent_no=place.parent_no,
        assisting=[],
        enterprise=enterprise,
        reporter_id=ctx.actor.id,
        title=texts.short(text, 30),
        text=text,
        kind=kind,
        confidence=round(verdict.confidence, 4),
        urgent=verdict.urgent,
        escalation_level=0,
        reopen_count=0,
        created_at=ctx.now,
        updated_at=ctx.now,
        routed_at=None if status is Status.CANDIDATE else ctx.now,
    )
    ctx.services.deadlines.stamp(issue, ctx.now)
    await ctx.uow.tickets.add(issue)
    await ctx.uow.tickets.add_event(_first_event(ctx, issue))
    return issue


def _first_event(ctx: Context, issue: Issue) -> IssueEvent:
    data: dict[str, object] = {
        "category": issue.category,
        "department": issue.department,
        "confidence": issue.confidence,
    }
    if issue.parent_no:
        data["parent"] = issue.parent_no
    return IssueEvent(
        issue_id=issue.id,
        kind=EventKind.CREATE if issue.kind is IssueKind.APPEAL else EventKind.ASSIGN_TASK,
        actor=ctx.actor.id,
        at=ctx.now,
        text=issue.text,
        from_status=None,
        to_status=issue.status.value,
        data=data,
    )


def notify(ctx: Context, issue: Issue, text: str, people: Sequence[str]) -> None:
    """Say ``text`` in the ticket's group, @-ing those of ``people`` who are in it; the others (a
    city department's handlers for a county's group, say) get it privately."""
    inside = {m.id for m in ctx.roster.members_in(issue.room_id)} if issue.room_id else set()
    here = [p for p in people if p in inside]
    ctx.say(f"{text}{' ' + ctx.at(here) if here else ''}", here, room_id=issue.room_id)
    for person in people:
        if person not in inside:
            ctx.tell(person, text)


def department_handlers(roster: Roster, issue: Issue) -> list[str]:
    return list(roster.handlers_of(issue.department))


def announce(ctx: Context, issue: Issue, extra: Sequence[str] = ()) -> None:
    """The group acknowledgement of a new (or newly accepted) ticket; ``extra`` lines go last."""
    handlers = department_handlers(ctx.roster, issue)
    if handlers:
        mentions, route = (
            handlers,
            say.route_to_department(issue.no, issue.department or "", ctx.at(handlers)),
        )
    else:
        mentions = ctx.coordinators(issue.unit or ctx.roster.root)
        route = say.route_to_coordinators(issue.no, ctx.at(mentions))
    enterprise = ctx.roster.enterprise(issue.enterprise)
    liaison = [enterprise.liaison] if enterprise and enterprise.liaison else []
    text = say.announced(
        issue.no,
        issue.category,
        issue.text,
        issue.urgent,
        route,
        ctx.at(liaison) if liaison else None,
        issue.resolve_due,
        extra,
    )
    # The announcement belongs in the ticket's group even when a coordinator accepts it privately.
    ctx.say(text, [*mentions, *liaison], room_id=issue.room_id)


_EXAMPLE_NUMBER = re.compile(r"(?<=\s)12(?=\s|$)")


def usage_reply(cmd: ParsedCommand, no: int | None = None) -> str:
    """「格式：…，例如「…」」 from the command table; the example uses the ticket's own number."""
    verb = cmd.verb
    example = verb.example if no is None else _EXAMPLE_NUMBER.sub(str(no), verb.example, count=1)
    return texts.usage(verb.usage, example)


async def load(ctx: Context, cmd: ParsedCommand, *, needs_text: bool = False) -> Issue | None:
    """The ticket a command names (and, with ``needs_text``, the text after its number), or None
    after replying how to write the command or that there is no such ticket."""
    if cmd.number is None:
        ctx.reply(usage_reply(cmd))
        return None
    issue = await ctx.uow.tickets.by_no(cmd.number)
    if issue is None:
        ctx.reply(texts.unknown_issue(cmd.number))
        return None
    if needs_text and not cmd.tail:
        ctx.reply(usage_reply(cmd, issue.no))
        return None
    return issue


async def act(
    ctx: Context,
    cmd: ParsedCommand,
    action: Action,
    change: Change | None = None,
    *,
    needs_text: bool = False,
) -> Issue | None:
    """Load the ticket the command names and move it by ``action``: the ticket when it moved,
    None after replying why not. A ticket command is then just its reply."""
    issue = await load(ctx, cmd, needs_text=needs_text)
    if issue is None or await transition(ctx, issue, action, cmd.verb.name, change) is None:
        return None
    return issue


def refused(ctx: Context, issue: Issue, action: Action, verb: str) -> bool:
    """Whether the actor may not take ``action`` on ``issue`` now, after replying why."""
    reason: Refusal | None = check(issue, action, ctx.actor, ctx.roster)
    if reason is Refusal.WRONG_ROLE:
        ctx.reply(texts.wrong_role(verb, roles_for(action)))
    elif reason is not None:
        ctx.reply(texts.refusal(reason, issue, action, verb))
    return reason is not None


async def transition(
    ctx: Context, issue: Issue, action: Action, verb: str, change: Change | None = None
) -> IssueEvent | None:
    """Check and apply one action; on refusal reply why and change nothing."""
    if refused(ctx, issue, action, verb):
        return None
    event = apply(issue, action, ctx.actor.id, ctx.now, change)
    await ctx.uow.tickets.add_event(event)
    ctx.ticket_room = issue.room_id
    return event
