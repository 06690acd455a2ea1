"""Verbs of leaders and the coordinator, and the explicit appeal: 诉求 督办 交办 受理 驳回 归类."""

from __future__ import annotations

from handlers.commands.children import hand_down, units_below
from handlers.context import Context
from handlers.intake.common_problems import link_common
from handlers.intake.policy_answer import policy_lines, policy_matches
from handlers.lifecycle import Change
from handlers.parser import ArgSpec, ParsedCommand
from handlers.permissions import roles_for
from handlers.replies import texts
from handlers.replies import tickets as say
from handlers.replies.texts import VERBS
from handlers.roster.model import Department
from handlers.router import command
from handlers.tickets import (
    Place,
    act,
    announce,
    department_handlers,
    load,
    open_issue,
    transition,
    usage_reply,
)
from handlers.verdict import Verdict
from storage.domain import FALLBACK_CATEGORY, NOT_APPEAL, Action, IssueKind, Outcome, Role, Status

A = Action


async def appeal(ctx: Context, cmd: ParsedCommand) -> None:
    """直接登记一条诉求"""
    if len(cmd.rest) < 4:
        ctx.reply(usage_reply(cmd))
        return
    verdict = await ctx.classify(cmd.rest)
    issue = await open_issue(ctx, cmd.rest, verdict, status=Status.OPEN)
    announce(ctx, issue, policy_lines(policy_matches(ctx, cmd.rest)))
    await link_common(ctx, issue)


async def urge(ctx: Context, cmd: ParsedCommand) -> None:
    """领导督办，提级并@承办部门"""
    issue = await act(ctx, cmd, A.URGE, Change(text=cmd.tail))
    if issue is None:
        return
    ctx.services.deadlines.shorten(issue, ctx.now)
    d = ctx.roster
    people = department_handlers(d, issue) or ctx.coordinators(issue.unit or d.root)
    dept = d.department(issue.department) if issue.department else None
    if dept and dept.leader and issue.escalation_level >= 2 and dept.leader != ctx.actor.id:
        people.append(dept.leader)
    ctx.reply(say.urged(issue.no, issue.escalation_level, issue.text, ctx.at(people), cmd.tail), people)


def _split_department(ctx: Context, text: str) -> tuple[str, Department | None]:
    """``帮企业对接银行 金融局`` → (task text, department): the department is written last, after
    its unit's name if it is another unit's (``兰考县 商务局``, ``兰考县商务局``) — a unit's name
    is never read as part of the task."""
    roster, unit = ctx.roster, ctx.roster.unit_of_room(ctx.room_id)
    head, _, last = text.rpartition(" ")
    if head and (dept := roster.department(last, unit)):
        before, _, word = head.rpartition(" ")
        if roster.unit(word) is not None and (local := roster.department(word + last)):
            return before.strip(), local
        return head.strip(), dept
    for label in sorted(roster.labels(), key=len, reverse=True):
        if text.endswith(label) and len(text) > len(label) and (dept := roster.department(label, unit)):
            return text[: -len(label)].strip(" ，,"), dept
    return text, None


async def assign(ctx: Context, cmd: ParsedCommand) -> None:
    """把诉求或新任务交给部门办理，或下派各下级单位"""
    task, down, where = cmd.rest.partition(" 下派")
    if down:
        await _assign_down(ctx, cmd, task.strip(), where.strip())
        return
    unit = ctx.roster.unit_of_room(ctx.room_id)
    if cmd.number is not None and (dept := ctx.roster.department(cmd.tail, unit)) is not None:
        await _assign_existing(ctx, cmd.number, dept)
        return
    task, dept = _split_department(ctx, cmd.rest)
    if dept is not None and task.isdigit():  # 交办 56 兰考县 商务局
        await _assign_existing(ctx, int(task), dept)
        return
    if dept is None or len(task) < 2:
        ctx.reply(texts.usage(*say.ASSIGN_USAGE))
        return
    verdict = await ctx.classify(task)
    category = verdict.category if verdict.is_appeal else FALLBACK_CATEGORY
    verdict = Verdict(True, category, 1.0, dept.name, verdict.urgent)
    issue = await open_issue(
        ctx, task, verdict, status=Status.CLAIMED, kind=IssueKind.TASK, place=_place(ctx, dept)
    )
    issue.claimed_at, issue.claimed_by = ctx.now, ctx.actor.id
    ctx.ticket_room = issue.room_id
    ctx.reply(say.task_assigned(issue.no, task, dept.name, ctx.at(dept.handlers)), dept.handlers)


def _place(ctx: Context, dept: Department) -> Place:
    """A task is its department's unit's, announced in this group when it is that unit's, else in
    the unit's own group (a city leader handing a task to a county's department)."""
    unit = ctx.roster.unit_of_department(dept.name)
    here = ctx.roster.unit_of_room(ctx.room_id) == unit
    return Place(unit, ctx.room_id if here else ctx.roster.group_of(unit) or ctx.room_id)


async def _assign_down(ctx: Context, cmd: ParsedCommand, task: str, where: str) -> None:
    """``交办 <任务> [部门] 下派 各县区``: a task of the actor's unit, handed down to the units
    named (or all directly below); ``交办 12 下派 …`` hands down ticket 12."""
    unit = ctx.roster.unit_of(ctx.actor)
    units = units_below(ctx, where, unit)
    if units is None:
        return
    if task.isdigit():
        if (issue := await ctx.uow.tickets.by_no(int(task))) is None:
            ctx.reply(texts.unknown_issue(int(task)))
        else:
            await hand_down(ctx, issue, units, cmd.verb.name)
        return
    head, dept = _split_department(ctx, task)
    text = head if dept is not None else task
    if len(text) < 2:
        ctx.reply(texts.usage(*say.ASSIGN_USAGE))
        return
    verdict = await ctx.classify(text)
    category = verdict.category if verdict.is_appeal else FALLBACK_CATEGORY
    owner = dept.name if dept is not None else ctx.actor.department
    verdict = Verdict(True, category, 1.0, owner, verdict.urgent)
    place = Place(unit, ctx.room_id)
    parent = await open_issue(ctx, text, verdict, status=Status.OPEN, kind=IssueKind.TASK, place=place)
    await hand_down(ctx, parent, units, cmd.verb.name)


async def _assign_existing(ctx: Context, no: int, dept: Department) -> None:
    issue = await ctx.uow.tickets.by_no(no)
    if issue is None:
        ctx.reply(texts.unknown_issue(no))
        return
    assisting = [a for a in issue.assisting or [] if a != dept.name]
    unit = ctx.roster.unit_of_department(dept.name) or None  # to another unit's: the ticket moves there
    change = Change(text=dept.name, fields={"department": dept.name, "unit": unit, "assisting": assisting})
    if await transition(ctx, issue, A.ASSIGN, VERBS[A.ASSIGN], change):
        ctx.reply(say.assigned(issue.no, dept.name, ctx.at(dept.handlers)), dept.handlers)


async def accept(ctx: Context, cmd: ParsedCommand) -> None:
    """确认一条待确认的诉求"""
    if issue := await act(ctx, cmd, A.ACCEPT):
        # The department's clock starts now, when the ticket reaches it, not when it was typed.
        ctx.services.deadlines.stamp(issue, ctx.now)
        announce(ctx, issue)
        await link_common(ctx, issue)


async def dismiss(ctx: Context, cmd: ParsedCommand) -> None:
    """驳回误登记的诉求"""
    issue = await load(ctx, cmd)
    change = Change(text=cmd.tail, fields={"outcome": Outcome.DISMISSED})
    was_candidate = issue is not None and issue.status == Status.CANDIDATE
    if issue and await transition(ctx, issue, A.DISMISS, VERBS[A.DISMISS], change):
        ctx.reply(say.dismissed(issue.no, cmd.tail))
        if was_candidate:  # the model thought it might be an appeal: it was chatter (see learning.py)
            ctx.teach(issue.text, NOT_APPEAL)


async def recategorize(ctx: Context, cmd: ParsedCommand) -> None:
    """更正诉求类别（小助手会学习）"""
    issue = await load(ctx, cmd)
    if issue is None:
        return
    category = ctx.roster.category(cmd.tail) if cmd.tail else None
    if category is None:
        ctx.reply(
            texts.unknown_category(cmd.tail, ctx.roster.category_names)
            if cmd.tail
            else usage_reply(cmd, issue.no)
        )
        return
    if category.name == issue.category:
        ctx.reply(say.already_category(issue.no, category.name))
        return
    old = issue.category
    fields: dict[str, object] = {"category": category.name}
    reroute = issue.status in (Status.CANDIDATE, Status.OPEN) and category.department not in (
        None,
        issue.department,
    )
    if reroute:
        fields["department"] = category.department
    if not await transition(
        ctx,
        issue,
        A.RECATEGORIZE,
        VERBS[A.RECATEGORIZE],
        Change(text=f"{old} → {category.name}", fields=fields),
    ):
        return
    ctx.teach(issue.text, category.name)
    handlers = department_handlers(ctx.roster, issue) if reroute else []
    rerouted = (issue.department or "", ctx.at(handlers)) if reroute else None
    ctx.reply(say.recategorized(issue.no, old, category.name, rerouted), handlers)


COMMANDS = (
    command(
        appeal,
        "诉求",
        "提诉求",
        "appeal",
        spec=ArgSpec.TEXT,
        usage="<问题描述>",
        example="园区三天两头停电，生产线受影响",
        roles=frozenset({Role.ENTERPRISE, Role.COORDINATOR}),
    ),
    command(
        urge,
        VERBS[A.URGE],
        "urge",
        spec=ArgSpec.NO_OPT_TEXT,
        usage="<编号> [要求]",
        example="12 请本周内给企业答复",
        roles=roles_for(A.URGE),
    ),
    command(
        assign,
        VERBS[A.ASSIGN],
        "assign",
        spec=ArgSpec.NO_OR_TEXT_DEPT,
        usage="<编号或任务> <部门>",
        example="12 经信局",
        roles=roles_for(A.ASSIGN),
    ),
    command(
        accept,
        VERBS[A.ACCEPT],
        "accept",
        spec=ArgSpec.NO,
        usage="<编号>",
        example="12",
        roles=roles_for(A.ACCEPT),
    ),
    command(
        dismiss,
        VERBS[A.DISMISS],
        "dismiss",
        spec=ArgSpec.NO_OPT_TEXT,
        usage="<编号> [原因]",
        example="12 不属于企业诉求",
        roles=roles_for(A.DISMISS),
    ),
    command(
        recategorize,
        VERBS[A.RECATEGORIZE],
        "recategorize",
        spec=ArgSpec.NO_WORD,
        usage="<编号> <类别>",
        example="12 税费",
        roles=roles_for(A.RECATEGORIZE),
    ),
)
