"""The workflow verbs: 认领 进度 转办 协办 办结 说明 评价 撤回 复发 补充.

Each one is "the ticket moves by this action, then this reply": ``tickets.act`` loads the ticket
the command names, asks the lifecycle table and refuses with a reason, so what is left here is
the change and the words.
"""

from __future__ import annotations

from handlers.commands.children import child_finished, parent_finished
from handlers.context import Context
from handlers.intake.policy_answer import referral_department
from handlers.lifecycle import Change
from handlers.parser import ArgSpec, ParsedCommand
from handlers.permissions import roles_for
from handlers.replies import texts
from handlers.replies import tickets as say
from handlers.replies.texts import VERBS
from handlers.roster.model import Department
from handlers.router import command
from handlers.tickets import (
    act,
    announce,
    department_handlers,
    load,
    transition,
    usage_reply,
)
from storage.domain import Action, Outcome, Role, Status
from storage.models import Issue

A = Action


async def claim(ctx: Context, cmd: ParsedCommand) -> None:
    """部门认领诉求"""
    dept = ctx.actor.department
    issue = await act(ctx, cmd, A.CLAIM, Change(fields={"department": dept}))
    if issue is None:
        return
    at = ctx.at
    ctx.reply(
        say.claimed(issue.no, dept, at([ctx.actor.id]), issue.resolve_due, at([issue.reporter_id])),
        [issue.reporter_id],
    )


async def progress(ctx: Context, cmd: ParsedCommand) -> None:
    """汇报办理进度"""
    issue = await act(ctx, cmd, A.PROGRESS, Change(text=cmd.tail), needs_text=True)
    if issue is not None:
        reporter = [issue.reporter_id]
        ctx.reply(say.progress(issue.no, ctx.actor.department, cmd.tail, ctx.at(reporter)), reporter)


async def _department_arg(ctx: Context, cmd: ParsedCommand) -> tuple[Issue, Department] | None:
    issue = await load(ctx, cmd, needs_text=True)
    if issue is None:
        return None
    dept = ctx.roster.department(cmd.tail, issue.unit)  # the ticket's unit's first (人社局 in a county)
    if dept is None:
        ctx.reply(texts.unknown_department(cmd.tail))
        return None
    return issue, dept


async def transfer(ctx: Context, cmd: ParsedCommand) -> None:
    """转给其他部门牵头办理"""
    found = await _department_arg(ctx, cmd)
    if found is None:
        return
    issue, dept = found
    if dept.name == issue.department:
        ctx.reply(say.already_with(issue.no, dept.name))
        return
    old, old_category = issue.department, issue.category
    fields: dict[str, object] = {
        "department": dept.name,
        "unit": ctx.roster.unit_of_department(dept.name) or None,  # another unit's: the ticket goes there
        "assisting": [a for a in issue.assisting or [] if a != dept.name],
    }
    category = category_of_department(ctx, issue, dept)
    if category is not None:
        # The new department's own category is a better label: a correction the classifier learns.
        fields["category"] = category
    note = {"from_category": old_category} if category is not None else None
    change = Change(text=f"{old or say.UNASSIGNED} → {dept.name}", fields=fields, note=note)
    if await transition(ctx, issue, A.TRANSFER, VERBS[A.TRANSFER], change) is None:
        return
    ctx.services.deadlines.restart_claim(issue, ctx.now)
    if category is not None:
        ctx.teach(issue.text, category)
    changed = (old_category, category) if category is not None else None
    ctx.reply(say.transferred(issue.no, old, dept.name, ctx.at(dept.handlers), changed), dept.handlers)


def category_of_department(ctx: Context, issue: Issue, dept: Department) -> str | None:
    """The category whose default department is ``dept``, when that is not the ticket's category
    (None when the current category already belongs there, or when several categories do)."""
    owned = [c.name for c in ctx.roster.categories if c.department == dept.name]
    if issue.category in owned or len(owned) != 1:
        return None
    return owned[0]


async def assist(ctx: Context, cmd: ParsedCommand) -> None:
    """增加协办部门"""
    found = await _department_arg(ctx, cmd)
    if found is None:
        return
    issue, dept = found
    if dept.name == issue.department or dept.name in (issue.assisting or []):
        ctx.reply(say.already_assisting(issue.no, dept.name))
        return
    change = Change(text=dept.name, fields={"assisting": [*(issue.assisting or []), dept.name]})
    if await transition(ctx, issue, A.ASSIST, VERBS[A.ASSIST], change):
        ctx.reply(say.assisting(issue.no, dept.name, ctx.at(dept.handlers), issue.department), dept.handlers)


async def _close_by_department(ctx: Context, cmd: ParsedCommand, action: Action, outcome: Outcome) -> None:
    change = Change(text=cmd.tail, fields={"outcome": outcome.value})
    issue = await act(ctx, cmd, action, change, needs_text=True)
    if issue is None:
        return
    if issue.parent_no is not None:  # a 下派 child: no enterprise rates it, its parent follows
        ctx.reply(
            say.closed_by_department(issue.no, action is A.EXPLAIN, ctx.actor.department, cmd.tail, None)
        )
        await child_finished(ctx, issue)
        return
    text = say.closed_by_department(
        issue.no, action is A.EXPLAIN, ctx.actor.department, cmd.tail, ctx.at([issue.reporter_id])
    )
    ctx.reply(text, [issue.reporter_id])
    await parent_finished(ctx, issue)


async def resolve(ctx: Context, cmd: ParsedCommand) -> None:
    """办结，请企业评价"""
    await _close_by_department(ctx, cmd, A.RESOLVE, Outcome.RESOLVED)


async def explain(ctx: Context, cmd: ParsedCommand) -> None:
    """依法依规无法办理时说明办结"""
    await _close_by_department(ctx, cmd, A.EXPLAIN, Outcome.EXPLAINED)


def parse_rating(word: str) -> int | None:
    word = word.strip().rstrip("。！!分星")
    if word.isdigit() and 1 <= int(word) <= 5:
        return int(word)
    for name in sorted(texts.RATINGS, key=len, reverse=True):
        if word.startswith(name):
            return texts.RATINGS[name]
    return texts.RATING_ALIASES.get(word)


async def rate(ctx: Context, cmd: ParsedCommand) -> None:
    """评价办理结果（不满意会重新办理）"""
    issue = await load(ctx, cmd)
    if issue is None:
        return
    level = parse_rating(cmd.tail) if cmd.tail else None
    if level is None:
        ctx.reply(texts.unknown_rating(cmd.tail) if cmd.tail else usage_reply(cmd, issue.no))
        return
    name = texts.RATING_NAMES[level]
    if level >= 3:
        if await transition(ctx, issue, A.RATE, VERBS[A.RATE], Change(text=name, fields={"rating": level})):
            ctx.reply(say.rated(issue.no, name))
    elif issue.outcome == Outcome.ANSWERED and issue.department is None:
        await _refer(ctx, issue, name, level)
    elif await transition(ctx, issue, A.REOPEN, VERBS[A.RATE], Change(text=name, note={"rating": level})):
        _announce_reopen(ctx, issue, say.reopened_by_rating(name))


async def _refer(ctx: Context, issue: Issue, name: str, level: int) -> None:
    """The library's answer was not enough: the policy's department (else the category's) now takes
    it on and claims it like any new appeal."""
    department = referral_department(ctx, issue.text, issue.category)
    change = Change(text=name, fields={"department": department}, note={"rating": level})
    if await transition(ctx, issue, A.REFER, VERBS[A.RATE], change):
        ctx.services.deadlines.stamp(issue, ctx.now)  # starts over with a department
        announce(ctx, issue)


def _announce_reopen(ctx: Context, issue: Issue, reason: str) -> None:
    ctx.services.deadlines.shorten(issue, ctx.now)
    d = ctx.roster
    people = department_handlers(d, issue)
    dept = d.department(issue.department) if issue.department else None
    if dept and dept.leader:
        people.append(dept.leader)
    if issue.reopen_count >= 2:
        people += [m.id for m in d.with_role(Role.LEADER)]
    ctx.reply(
        say.reopened(issue.no, reason, issue.reopen_count, issue.escalation_level, ctx.at(people)), people
    )


async def withdraw(ctx: Context, cmd: ParsedCommand) -> None:
    """撤回本企业的诉求"""
    if issue := await act(ctx, cmd, A.WITHDRAW, Change(fields={"outcome": Outcome.WITHDRAWN})):
        ctx.reply(say.withdrawn(issue.no))


async def recur(ctx: Context, cmd: ParsedCommand) -> None:
    """问题又出现了，重新办理"""
    if issue := await act(ctx, cmd, A.RECUR, Change(text=cmd.tail)):
        _announce_reopen(ctx, issue, say.RECURRED)


async def supplement(ctx: Context, cmd: ParsedCommand) -> None:
    """给自己的诉求补充情况"""
    issue = await act(ctx, cmd, A.SUPPLEMENT, Change(text=cmd.tail), needs_text=True)
    if issue is not None:
        handlers = department_handlers(ctx.roster, issue) if issue.status == Status.CLAIMED else []
        ctx.reply(say.supplemented(issue.no, ctx.at(handlers)), handlers)


COMMANDS = (
    command(
        claim,
        VERBS[A.CLAIM],
        "领取",
        "claim",
        spec=ArgSpec.NO,
        usage="<编号>",
        example="12",
        roles=roles_for(A.CLAIM),
    ),
    command(
        progress,
        VERBS[A.PROGRESS],
        "progress",
        spec=ArgSpec.NO_TEXT,
        usage="<编号> <进展>",
        example="12 已联系银行，本周内对接",
        roles=roles_for(A.PROGRESS),
    ),
    command(
        transfer,
        VERBS[A.TRANSFER],
        "transfer",
        spec=ArgSpec.NO_DEPT,
        usage="<编号> <部门>",
        example="12 人社局",
        roles=roles_for(A.TRANSFER),
    ),
    command(
        assist,
        VERBS[A.ASSIST],
        "assist",
        spec=ArgSpec.NO_DEPT,
        usage="<编号> <部门>",
        example="12 税务局",
        roles=roles_for(A.ASSIST),
    ),
    command(
        resolve,
        VERBS[A.RESOLVE],
        "resolve",
        spec=ArgSpec.NO_TEXT,
        usage="<编号> <办理结果>",
        example="12 已协调银行放款",
        roles=roles_for(A.RESOLVE),
    ),
    command(
        explain,
        VERBS[A.EXPLAIN],
        "说明办结",
        "explain",
        spec=ArgSpec.NO_TEXT,
        usage="<编号> <不能办理的原因>",
        example="12 该地块属基本农田，依法不能变更",
        roles=roles_for(A.EXPLAIN),
    ),
    command(
        rate,
        VERBS[A.RATE],
        "rate",
        spec=ArgSpec.NO_WORD,
        usage="<编号> <满意度>",
        example="12 满意",
        roles=roles_for(A.RATE),
    ),
    command(
        withdraw,
        VERBS[A.WITHDRAW],
        "withdraw",
        spec=ArgSpec.NO,
        usage="<编号>",
        example="12",
        roles=roles_for(A.WITHDRAW),
    ),
    command(
        recur,
        VERBS[A.RECUR],
        "recur",
        spec=ArgSpec.NO,
        usage="<编号>",
        example="12",
        roles=roles_for(A.RECUR),
    ),
    command(
        supplement,
        VERBS[A.SUPPLEMENT],
        "supplement",
        spec=ArgSpec.NO_TEXT,
        usage="<编号> <补充内容>",
        example="12 联系电话 138xxxx",
        roles=roles_for(A.SUPPLEMENT),
    ),
)
