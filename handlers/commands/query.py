"""Read-only verbs: 查询 我的 待认领 超期 统计 帮助."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from handlers.context import Context
from handlers.parser import ArgSpec, ParsedCommand
from handlers.replies import digests as digest_texts
from handlers.replies import texts
from handlers.router import command
from handlers.tickets import load
from storage.domain import ACTIVE, Action, EventKind, Role, Status, values
from storage.models import Issue

LIST_LIMIT = 10


def _line(issue: Issue) -> str:
    dept = issue.department or "待分派"
    return f"#{issue.no}【{issue.category}】{texts.short(issue.title, 18)}｜{dept}｜{texts.status_name(issue.status)}"


def _listing(title: str, issues: Sequence[Issue], empty: str) -> str:
    if not issues:
        return empty
    lines = [f"{title}（{len(issues)}{'+' if len(issues) >= LIST_LIMIT else ''}）："]
    lines += [f"{i}. {_line(issue)}" for i, issue in enumerate(issues, 1)]
    return "\n".join(lines)


async def query(ctx: Context, cmd: ParsedCommand) -> None:
    """查看一条诉求的状态和经过"""
    issue = await load(ctx, cmd)
    if issue is None:
        return
    full = await ctx.uow.repo.issue_by_no(issue.no, with_events=True)
    assert full is not None
    lines = [
        f"#{issue.no}【{issue.category}】{texts.status_name(issue.status)}",
        f"问题：{texts.short(issue.text, 60)}",
        f"企业：{issue.enterprise or '—'}｜承办：{issue.department or '待分派'}"
        + (f"｜协办：{'、'.join(issue.assisting)}" if issue.assisting else ""),
    ]
    if issue.resolve_due and issue.status in ACTIVE:
        lines.append(f"时限：{texts.when(issue.resolve_due)}")
    for event in full.events[-5:]:
        who = ctx.directory.member(event.actor)
        detail = f"：{texts.short(event.text, 24)}" if event.text and event.kind != EventKind.CREATE else ""
        lines.append(
            f"· {texts.when(event.at)} {who.name if who else event.actor} {_event_name(event.kind)}{detail}"
        )
    ctx.reply("\n".join(lines))


EVENT_NAMES: dict[str, str] = {
    EventKind.CREATE: "提出",
    EventKind.ASSIGN_TASK: "交办",
    EventKind.ATTACHMENT: "发来附件",
    EventKind.REMIND: "提醒",
    EventKind.COMMON: "并入共性问题",
}


def _event_name(kind: str) -> str:
    if kind in EVENT_NAMES:
        return EVENT_NAMES[kind]
    return texts.ACTION_NAMES[Action(kind)] if kind in Action.__members__.values() else kind


async def mine(ctx: Context, cmd: ParsedCommand) -> None:
    """我提的诉求，或本部门在办的诉求"""
    repo, actor = ctx.uow.repo, ctx.actor
    if actor.role is Role.HANDLER and actor.department:
        issues = await repo.list_issues(status=values(ACTIVE), department=actor.department, limit=LIST_LIMIT)
        ctx.reply(_listing(f"{actor.department}在办", issues, f"{actor.department}暂无在办诉求。"))
    elif actor.role is Role.ENTERPRISE:
        if actor.enterprise:
            issues = await repo.list_issues(enterprise=actor.enterprise, limit=LIST_LIMIT)
        else:
            issues = await repo.list_issues(reporter_id=actor.id, limit=LIST_LIMIT)
        ctx.reply(_listing("您的诉求", issues, "您还没有提过诉求。直接在群里说明问题即可。"))
    else:
        issues = await repo.list_issues(status=values(ACTIVE), limit=LIST_LIMIT)
        ctx.reply(_listing("在办诉求", issues, "目前没有在办诉求。"))


async def unclaimed(ctx: Context, cmd: ParsedCommand) -> None:
    """还没有部门认领的诉求"""
    dept = ctx.actor.department if ctx.actor.role is Role.HANDLER else None
    issues = await ctx.uow.repo.list_issues(status=[Status.OPEN.value], department=dept, limit=LIST_LIMIT)
    title = f"{dept}待认领" if dept else "待认领"
    ctx.reply(_listing(title, issues, f"{title}：暂无。"))


async def overdue(ctx: Context, cmd: ParsedCommand) -> None:
    """已超过办理时限的诉求"""
    issues = [
        i
        for i in await ctx.uow.repo.list_issues(status=values(ACTIVE), limit=500)
        if (i.resolve_due and i.resolve_due < ctx.now)
        or (i.status == Status.OPEN and i.claim_due and i.claim_due < ctx.now)
    ][:LIST_LIMIT]
    ctx.reply(_listing("超期诉求", issues, "目前没有超期诉求 👍"))


async def stats(ctx: Context, cmd: ParsedCommand) -> None:
    """诉求办理总体情况"""
    counts = await ctx.uow.repo.count_by_status()
    total = sum(counts.values())
    parts = [f"{texts.status_name(s)} {counts.get(s.value, 0)}" for s in Status if counts.get(s.value)]
    # The ranking figures of the last seven days, as the weekly 研判 would show them now.
    rows = await ctx.uow.reports.ranking(ctx.now - timedelta(days=7), ctx.now + timedelta(seconds=1))
    lines = [f"诉求共 {total} 件：" + ("，".join(parts) if parts else "暂无") + "。"]
    ctx.reply("\n".join(lines + digest_texts.stats_lines(ctx.directory, rows)))


async def help_(ctx: Context, cmd: ParsedCommand) -> None:
    """列出您能用的命令"""
    role = ctx.actor.role
    lines = [f"小助手命令（{texts.ROLE_NAMES[role]}）："]
    lines += [f"{i}. {c.usage} — {c.help}" for i, c in enumerate(ctx.commands.available_to(role), 1)]
    if role is Role.ENTERPRISE:
        lines.append("企业遇到问题，直接在群里说明即可，小助手会自动登记。")
    ctx.reply("\n".join(lines))


COMMANDS = (
    command(query, "查询", "查看", "query", spec=ArgSpec.NO, usage="查询 <编号>", example="查询 12"),
    command(mine, "我的", "mine", spec=ArgSpec.NONE, usage="我的", example="我的"),
    command(unclaimed, "待认领", "unclaimed", spec=ArgSpec.NONE, usage="待认领", example="待认领"),
    command(overdue, "超期", "overdue", spec=ArgSpec.NONE, usage="超期", example="超期"),
    command(stats, "统计", "stats", spec=ArgSpec.NONE, usage="统计", example="统计"),
    command(help_, "帮助", "help", "?", "？", "菜单", spec=ArgSpec.NONE, usage="帮助", example="帮助"),
)  # fmt: skip
