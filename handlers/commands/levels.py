"""Verbs between levels: 上报 (a county or park cannot solve it: to the unit above) and 退回 (the unit
above sends a reported ticket back down). Each move is an event; the ticket's department becomes
the other unit's for the same work, its deadlines restart on that unit's clock, and the group it
was raised in (whose people are party to it) is told of each step."""

from __future__ import annotations

from handlers.commands.children import hand_down, units_below
from handlers.context import Context
from handlers.lifecycle import Change
from handlers.parser import ArgSpec, ParsedCommand
from handlers.permissions import roles_for
from handlers.replies import levels as say
from handlers.replies.texts import VERBS
from handlers.router import command
from handlers.tickets import load, notify, refused, transition
from storage.domain import Action
from storage.models import Issue

A = Action


async def report_up(ctx: Context, cmd: ParsedCommand) -> None:
    """本级解决不了，上报上级单位"""
    issue = await load(ctx, cmd)
    if issue is None:
        return
    here = issue.unit or ctx.roster.root
    above = ctx.roster.unit(here)
    if above is None or above.parent is None:
        ctx.reply(say.at_the_top(issue.no, here or "本级"))
        return
    await _move(ctx, cmd, issue, here, above.parent, A.REPORT_UP)


async def return_down(ctx: Context, cmd: ParsedCommand) -> None:
    """把下级上报的诉求退回下级办理（写明原因）"""
    issue = await load(ctx, cmd, needs_text=True)
    if issue is None:
        return
    here, origin = issue.unit or ctx.roster.root, issue.origin_unit or ctx.roster.root
    if here == origin or here not in ctx.roster.chain(origin):
        ctx.reply(say.not_reported(issue.no))
        return
    chain = ctx.roster.chain(origin)  # the unit just below this one, on the way to where it was raised
    below = chain[chain.index(here) - 1] if chain.index(here) > 0 else origin
    await _move(ctx, cmd, issue, here, below, A.RETURN_DOWN)


async def dispatch_down(ctx: Context, cmd: ParsedCommand) -> None:
    """下派到下级单位，每个单位一张子单"""
    issue = await load(ctx, cmd)
    if issue is None or refused(ctx, issue, A.DISPATCH_DOWN, cmd.verb.name):  # "not yours" first
        return
    units = units_below(ctx, cmd.tail, issue.unit or ctx.roster.root)
    if units is not None:
        await hand_down(ctx, issue, units, cmd.verb.name)


async def _move(
    ctx: Context, cmd: ParsedCommand, issue: Issue, here: str, there: str, action: Action
) -> None:
    """Hand the ticket to ``there``'s department for the same work (or to its 营商办 when it has
    none), restart its clock, and tell the ticket's group and the new department."""
    department = ctx.roster.own_counterpart(issue.department, there)
    reason = cmd.tail.strip()
    fields: dict[str, object] = {"unit": there, "department": department, "assisting": []}
    change = Change(
        text=f"{here} → {there}" + (f"：{reason}" if reason else ""), fields=fields, note={"reason": reason}
    )
    if await transition(ctx, issue, action, cmd.verb.name, change) is None:
        return
    ctx.services.deadlines.stamp(issue, ctx.now)
    people = list(ctx.roster.handlers_of(department)) if department else ctx.coordinators(there)
    text = (say.reported_up if action is A.REPORT_UP else say.returned_down)(
        issue.no, here, there, department, reason
    )
    notify(ctx, issue, text, people)


COMMANDS = (
    command(
        dispatch_down,
        VERBS[A.DISPATCH_DOWN],
        "dispatch_down",
        spec=ArgSpec.NO_OPT_TEXT,
        usage="<编号> [单位…]",
        example="12 涪城区 三台县",
        roles=roles_for(A.DISPATCH_DOWN),
    ),
    command(
        report_up,
        VERBS[A.REPORT_UP],
        "report_up",
        spec=ArgSpec.NO_OPT_TEXT,
        usage="<编号> [原因]",
        example="12 县里协调不了用地指标",
        roles=roles_for(A.REPORT_UP),
    ),
    command(
        return_down,
        VERBS[A.RETURN_DOWN],
        "return_down",
        spec=ArgSpec.NO_TEXT,
        usage="<编号> <原因>",
        example="12 属县级事权，请县里办理",
        roles=roles_for(A.RETURN_DOWN),
    ),
)
