"""Read-only verbs: 查询 我的 待认领 超期 统计 帮助."""

from __future__ import annotations

from datetime import timedelta

from handlers.context import Context
from handlers.parser import ArgSpec, ParsedCommand
from handlers.replies import digests as digest_texts
from handlers.replies import queries as say
from handlers.router import command
from handlers.tickets import load
from storage.domain import ACTIVE, Role, Status, values


async def query(ctx: Context, cmd: ParsedCommand) -> None:
    """查看一条诉求的状态和经过"""
    issue = await load(ctx, cmd)
    if issue is None:
        return
    full = await ctx.uow.repo.issue_by_no(issue.no, with_events=True)
    assert full is not None
    events = [(e, _name(ctx, e.actor)) for e in full.events[-5:]]
    ctx.reply(say.ticket(issue, issue.status in ACTIVE, events))


def _name(ctx: Context, member_id: str) -> str:
    member = ctx.directory.member(member_id)
    return member.name if member else member_id


async def mine(ctx: Context, cmd: ParsedCommand) -> None:
    """我提的诉求，或本部门在办的诉求"""
    repo, actor = ctx.uow.repo, ctx.actor
    if actor.role is Role.HANDLER and actor.department:
        issues = await repo.list_issues(
            status=values(ACTIVE), department=actor.department, limit=say.LIST_LIMIT
        )
        ctx.reply(say.department_working(actor.department, issues))
    elif actor.role is Role.ENTERPRISE:
        if actor.enterprise:
            issues = await repo.list_issues(enterprise=actor.enterprise, limit=say.LIST_LIMIT)
        else:
            issues = await repo.list_issues(reporter_id=actor.id, limit=say.LIST_LIMIT)
        ctx.reply(say.enterprise_own(issues))
    else:
        issues = await repo.list_issues(status=values(ACTIVE), limit=say.LIST_LIMIT)
        ctx.reply(say.all_working(issues))


async def unclaimed(ctx: Context, cmd: ParsedCommand) -> None:
    """还没有部门认领的诉求"""
    dept = ctx.actor.department if ctx.actor.role is Role.HANDLER else None
    issues = await ctx.uow.repo.list_issues(status=[Status.OPEN.value], department=dept, limit=say.LIST_LIMIT)
    ctx.reply(say.unclaimed(dept, issues))


async def overdue(ctx: Context, cmd: ParsedCommand) -> None:
    """已超过办理时限的诉求"""
    issues = [
        i
        for i in await ctx.uow.repo.list_issues(status=values(ACTIVE), limit=500)
        if (i.resolve_due and i.resolve_due < ctx.now)
        or (i.status == Status.OPEN and i.claim_due and i.claim_due < ctx.now)
    ][: say.LIST_LIMIT]
    ctx.reply(say.overdue(issues))


async def stats(ctx: Context, cmd: ParsedCommand) -> None:
    """诉求办理总体情况"""
    counts = await ctx.uow.repo.count_by_status()
    # The ranking figures of the last seven days, as the weekly 研判 would show them now.
    rows = await ctx.uow.reports.ranking(ctx.now - timedelta(days=7), ctx.now + timedelta(seconds=1))
    ctx.reply("\n".join([say.totals(counts), *digest_texts.stats_lines(ctx.directory, rows)]))


async def help_(ctx: Context, cmd: ParsedCommand) -> None:
    """列出您能用的命令"""
    role = ctx.actor.role
    entries = [(c.usage, c.help) for c in ctx.commands.available_to(role)]
    ctx.reply(say.help_menu(role, entries))


COMMANDS = (
    command(query, "查询", "查看", "query", spec=ArgSpec.NO, usage="查询 <编号>", example="查询 12"),
    command(mine, "我的", "mine", spec=ArgSpec.NONE, usage="我的", example="我的"),
    command(unclaimed, "待认领", "unclaimed", spec=ArgSpec.NONE, usage="待认领", example="待认领"),
    command(overdue, "超期", "overdue", spec=ArgSpec.NONE, usage="超期", example="超期"),
    command(stats, "统计", "stats", spec=ArgSpec.NONE, usage="统计", example="统计"),
    command(help_, "帮助", "help", "?", "？", "菜单", spec=ArgSpec.NONE, usage="帮助", example="帮助"),
)  # fmt: skip
