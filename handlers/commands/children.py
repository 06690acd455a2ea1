"""下派: a ticket or a task handed down to the units below, as one child ticket per unit, each with its
own department (that unit's for the same work, else its 营商办), deadline and group. The parent shows
n/m 办结 and follows its children: a child is closed when its department finishes it (there is no
enterprise to rate it — the parent's enterprise rates the whole), and when every child is done the
parent is finished for them; when the parent's owner finishes it first, the children still open
close with it."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.context import Context
from handlers.lifecycle import Change, apply, check
from handlers.replies import children as say
from handlers.tickets import Place, notify, open_issue, transition
from handlers.verdict import Verdict
from storage.domain import ACTIVE, SYSTEM, Action, IssueKind, Outcome, Status
from storage.models import Issue

A = Action
DONE = frozenset({Status.RESOLVED, Status.CLOSED})


def is_done(child: Issue) -> bool:
    """A child counts as 办结 once its department finished it (not withdrawn or dismissed)."""
    return child.status in DONE and child.outcome not in (Outcome.DISMISSED, None)


def progress(children: Sequence[Issue]) -> list[str]:
    """The lines 查询 shows of a parent: n/m 办结, then each child."""
    return say.children_lines(children, [is_done(c) for c in children])


def units_below(ctx: Context, text: str, unit: str) -> list[str] | None:
    """The units below ``unit`` that ``text`` names (nothing: all directly below), or None after
    saying which word names none of them, or that there is none."""
    below = ctx.roster.below(unit)
    units, bad = ctx.roster.units_named(text, unit)
    if not below or bad is not None:
        ctx.reply(say.unknown_unit(bad, unit, below) if below and bad else say.no_units_below(unit))
        return None
    return units


async def hand_down(ctx: Context, parent: Issue, units: Sequence[str], verb: str) -> None:
    """下派 ``parent`` to ``units``: a child ticket each (none for a unit whose child is still being
    worked on); the parent is claimed by whoever handed it down and follows its children."""
    working = {c.unit for c in await ctx.uow.tickets.children(parent.no) if c.status in ACTIVE}
    already = [u for u in units if u in working]
    fresh = [u for u in units if u not in working]
    if not fresh:
        ctx.reply(say.nothing_to_dispatch(parent.no, already))
        return
    change = Change(text="、".join(fresh), note={"units": fresh})
    if await transition(ctx, parent, A.DISPATCH_DOWN, verb, change) is None:
        return
    children = [await _open_child(ctx, parent, unit) for unit in fresh]
    # The parent waits on its children: its own deadline is never before theirs (no reminder to its
    # department while the units below still have time).
    dues = [d for d in (parent.resolve_due, *(c.resolve_due for c in children)) if d is not None]
    parent.resolve_due = max(dues) if dues else None
    ctx.reply(say.dispatched(parent.no, children, already))


async def _open_child(ctx: Context, parent: Issue, unit: str) -> Issue:
    roster = ctx.roster
    dept = roster.counterpart(parent.department, unit) if parent.department else None
    if dept is None:  # a leader's task, or a department the city has alone: by its category
        found = roster.route(parent.category, parent.text, roster.group_of(unit))
        dept = roster.department(found, unit) if found else None
    own = roster.own_counterpart(dept.name if dept is not None else None, unit)
    verdict = Verdict(True, parent.category, 1.0, own, parent.urgent)
    place = Place(unit, roster.group_of(unit), parent.no)
    child = await open_issue(ctx, parent.text, verdict, status=Status.OPEN, kind=IssueKind.TASK, place=place)
    child.department = own  # never the nearest unit above's: the child is this unit's to do
    people = list(roster.handlers_of(own)) if own else ctx.coordinators(unit)
    notify(ctx, child, say.child_opened(child, parent.no, roster.unit_of(ctx.actor), own), people)
    return child


async def child_finished(ctx: Context, child: Issue) -> None:
    """A child's department finished it: close it, tell its parent's group, and finish the parent
    when it was the last one."""
    if child.parent_no is None:
        return
    await _system(ctx, child, A.CONCLUDE, "下派任务办结")
    parent = await ctx.uow.tickets.by_no(child.parent_no)
    if parent is None:
        return
    children = await ctx.uow.tickets.children(parent.no)
    tally = say.tally([is_done(c) for c in children])
    ctx.say(say.child_done(child, parent.no, tally), (), room_id=parent.room_id)
    if parent.status in ACTIVE and all(is_done(c) for c in children):
        await _finish_parent(ctx, parent, children)


async def _finish_parent(ctx: Context, parent: Issue, children: Sequence[Issue]) -> None:
    """Every child is done: an appeal is 办结 for its enterprise to rate; a task is closed."""
    summary = say.children_summary(children)
    change = Change(text=summary, fields={"outcome": Outcome.RESOLVED.value})
    rated = parent.kind is IssueKind.APPEAL and parent.status is Status.CLAIMED
    if not await _system(ctx, parent, A.RESOLVE if rated else A.CONCLUDE, summary, change):
        return
    mentions = [parent.reporter_id] if rated else []
    ctx.say(
        say.parent_done(parent.no, summary, ctx.at(mentions) if rated else None),
        mentions,
        room_id=parent.room_id,
    )


async def parent_finished(ctx: Context, parent: Issue) -> None:
    """The parent's owner finished it with a summary: the children still open close with it."""
    for child in await ctx.uow.tickets.children(parent.no):
        open_ = child.status in ACTIVE or child.status is Status.RESOLVED
        if open_ and await _system(ctx, child, A.CONCLUDE, f"上级 #{parent.no} 已办结"):
            notify(ctx, child, say.closed_with_parent(child.no, parent.no), ())


async def _system(
    ctx: Context, issue: Issue, action: Action, text: str, change: Change | None = None
) -> bool:
    """Move ``issue`` as the system (no person acts); False when the table does not allow it now."""
    if check(issue, action, None, ctx.roster) is not None:
        return False
    await ctx.uow.tickets.add_event(apply(issue, action, SYSTEM, ctx.now, change or Change(text=text)))
    return True
