"""Read-only verbs: 查询 我的 待认领 超期 统计 帮助."""

from __future__ import annotations

from datetime import timedelta
from typing import TypedDict

from handlers.commands.children import progress
from handlers.context import Context
from handlers.parser import ArgSpec, ParsedCommand
from handlers.permissions import may_see
from handlers.replies import digests as digest_texts
from handlers.replies import queries as say
from handlers.replies import texts
from handlers.router import command
from handlers.tickets import load
from storage.domain import ACTIVE, Role, Status, values


async def query(ctx: Context, cmd: ParsedCommand) -> None:
    """查看一条诉求的状态和经过"""
    issue = await load(ctx, cmd)
    if issue is None:
        return
    if not may_see(ctx.actor, issue, ctx.roster):
        # A doubtful one does not exist for anyone but 营商办; another's ticket is not yours to read.
        secret = issue.status == Status.CANDIDATE
        ctx.reply(texts.unknown_issue(issue.no) if secret else say.not_yours(issue.no, ctx.actor.role))
        return
    full = await ctx.uow.tickets.by_no(issue.no, with_events=True)
    assert full is not None
    events = [(e, _name(ctx, e.actor)) for e in full.events[-5:]]
    lines = progress(await ctx.uow.tickets.children(issue.no))
    text = "\n".join([say.ticket(issue, issue.status in ACTIVE, events), *lines])
    if ctx.room_id is None or (issue.room_id == ctx.room_id and issue.status != Status.CANDIDATE):
        ctx.reply(text)
    else:  # the group never learns more than it already saw: the details go privately
        ctx.tell(ctx.actor.id, text)
        ctx.reply(say.sent_privately(issue.no))


def _name(ctx: Context, member_id: str) -> str:
    member = ctx.roster.member(member_id)
    return member.name if member else member_id


class Scope(TypedDict, total=False):
    department: str
    enterprise: str
    reporter_id: str
    units: frozenset[str]


def _scope(ctx: Context) -> Scope:
    """What the asker may list: their enterprise's, their department's, or (leaders, 营商办) their
    unit's and those below it (本级及下级; the top's: all)."""
    actor = ctx.actor
    if actor.role is Role.HANDLER:
        return {"department": actor.department or ""}
    if actor.role is Role.ENTERPRISE:
        return {"enterprise": actor.enterprise} if actor.enterprise else {"reporter_id": actor.id}
    units = ctx.roster.oversees(actor)
    return {"units": units} if units is not None else {}


def _statuses(ctx: Context, wanted: frozenset[Status]) -> tuple[str, ...]:
    """Doubtful tickets are listed only to 营商办, and only in private."""
    private_coordinator = ctx.actor.role is Role.COORDINATOR and ctx.room_id is None
    return values(wanted if private_coordinator else wanted - {Status.CANDIDATE})


async def mine(ctx: Context, cmd: ParsedCommand) -> None:
    """我提的诉求，或本部门在办的诉求"""
    actor, scope = ctx.actor, _scope(ctx)
    if actor.role is Role.ENTERPRISE:
        issues = await ctx.uow.tickets.find(
            status=_statuses(ctx, frozenset(Status)), limit=say.LIST_LIMIT, **scope
        )
        ctx.reply(say.enterprise_own(issues))
        return
    issues = await ctx.uow.tickets.find(status=_statuses(ctx, ACTIVE), limit=say.LIST_LIMIT, **scope)
    handler = actor.role is Role.HANDLER
    ctx.reply(say.department_working(actor.department or "", issues) if handler else say.all_working(issues))


async def unclaimed(ctx: Context, cmd: ParsedCommand) -> None:
    """还没有部门认领的诉求"""
    dept = ctx.actor.department if ctx.actor.role is Role.HANDLER else None
    issues = await ctx.uow.tickets.find(status=[Status.OPEN], limit=say.LIST_LIMIT, **_scope(ctx))
    ctx.reply(say.unclaimed(dept, issues))


async def overdue(ctx: Context, cmd: ParsedCommand) -> None:
    """已超过办理时限的诉求"""
    # The same query as the daily digest's 超期清单: the two always agree.
    issues = await ctx.uow.tickets.overdue(ctx.now, limit=say.LIST_LIMIT, **_scope(ctx))
    ctx.reply(say.overdue(issues))


async def stats(ctx: Context, cmd: ParsedCommand) -> None:
    """诉求办理总体情况"""
    units = ctx.roster.oversees(ctx.actor)
    counts = await ctx.uow.tickets.count_by_status(units)
    # The ranking figures of the last month: a quiet week must not hide the departments' record.
    since = ctx.now - timedelta(days=digest_texts.STATS_DAYS)
    rows = await ctx.uow.reports.ranking(since, ctx.now + timedelta(seconds=1))
    rows = [r for r in rows if ctx.roster.department_within(r.department, units)]
    ctx.reply("\n".join([say.totals(counts), *digest_texts.stats_lines(ctx.roster, rows)]))


async def help_(ctx: Context, cmd: ParsedCommand) -> None:
    """列出您能用的命令"""
    role = ctx.actor.role
    entries = [(c.usage, c.help) for c in ctx.commands.available_to(role)]
    if ctx.room_id is None:
        ctx.reply(say.help_menu(role, entries))
        return
    # In the group a few lines only (16 lines would bury the conversation); the whole list privately.
    ctx.reply(say.help_short(role, entries[: say.SHORT_HELP]), [ctx.actor.id])
    ctx.tell(ctx.actor.id, say.help_menu(role, entries))


COMMANDS = (
    command(query, "查询", "查看", "query", spec=ArgSpec.NO, usage="<编号>", example="12"),
    command(mine, "我的", "mine", spec=ArgSpec.NONE, usage="", example=""),
    command(unclaimed, "待认领", "unclaimed", spec=ArgSpec.NONE, usage="", example=""),
    command(overdue, "超期", "overdue", spec=ArgSpec.NONE, usage="", example=""),
    command(stats, "统计", "stats", spec=ArgSpec.NONE, usage="", example=""),
    command(help_, "帮助", "help", "?", "？", "菜单", spec=ArgSpec.NONE, usage="", example=""),
)
