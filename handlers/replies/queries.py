"""Answers to the read-only verbs: 查询 我的 待认领 超期 统计 帮助."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from handlers.replies.texts import ACTION_NAMES, ROLE_NAMES, short, status_name, when
from storage.domain import Action, EventKind, Role, Status
from storage.models import Issue, IssueEvent

LIST_LIMIT = 10
UNASSIGNED = "待分派"
EVENT_NAMES: dict[str, str] = {
    EventKind.CREATE: "提出",
    EventKind.ASSIGN_TASK: "交办",
    EventKind.ATTACHMENT: "发来附件",
    EventKind.REMIND: "提醒",
    EventKind.COMMON: "并入共性问题",
}


def event_name(kind: str) -> str:
    if kind in EVENT_NAMES:
        return EVENT_NAMES[kind]
    return ACTION_NAMES[Action(kind)] if kind in Action.__members__.values() else kind


def issue_line(issue: Issue) -> str:
    dept = issue.department or UNASSIGNED
    return f"#{issue.no}【{issue.category}】{short(issue.title, 18)}｜{dept}｜{status_name(issue.status)}"


def listing(title: str, issues: Sequence[Issue], empty: str) -> str:
    if not issues:
        return empty
    lines = [f"{title}（{len(issues)}{'+' if len(issues) >= LIST_LIMIT else ''}）："]
    lines += [f"{i}. {issue_line(issue)}" for i, issue in enumerate(issues, 1)]
    return "\n".join(lines)


def ticket(issue: Issue, show_due: bool, events: Sequence[tuple[IssueEvent, str]]) -> str:
    """查询: the ticket and its last events, each with who did it (a name)."""
    lines = [
        f"#{issue.no}【{issue.category}】{status_name(issue.status)}",
        f"问题：{short(issue.text, 60)}",
        f"企业：{issue.enterprise or '—'}｜承办：{issue.department or UNASSIGNED}"
        + (f"｜协办：{'、'.join(issue.assisting)}" if issue.assisting else ""),
    ]
    if show_due and issue.resolve_due:
        lines.append(f"时限：{when(issue.resolve_due)}")
    for event, who in events:
        detail = f"：{short(event.text, 24)}" if event.text and event.kind != EventKind.CREATE else ""
        lines.append(f"· {when(event.at)} {who} {event_name(event.kind)}{detail}")
    return "\n".join(lines)


def not_yours(no: int, role: Role) -> str:
    whose = "贵部门承办或协办" if role is Role.HANDLER else "贵企业提出"
    return f"#{no} 不是{whose}的诉求，无法查看。"


def sent_privately(no: int) -> str:
    return f"#{no} 的详情已私信发给您。"


def department_working(department: str, issues: Sequence[Issue]) -> str:
    return listing(f"{department}在办", issues, f"{department}暂无在办诉求。")


def enterprise_own(issues: Sequence[Issue]) -> str:
    return listing("您的诉求", issues, "您还没有提过诉求。直接在群里说明问题即可。")


def all_working(issues: Sequence[Issue]) -> str:
    return listing("在办诉求", issues, "目前没有在办诉求。")


def unclaimed(department: str | None, issues: Sequence[Issue]) -> str:
    title = f"{department}待认领" if department else "待认领"
    return listing(title, issues, f"{title}：暂无。")


def overdue(issues: Sequence[Issue]) -> str:
    return listing("超期诉求", issues, "目前没有超期诉求 👍")


def totals(counts: Mapping[str, int]) -> str:
    parts = [f"{status_name(s)} {counts.get(s.value, 0)}" for s in Status if counts.get(s.value)]
    return f"诉求共 {sum(counts.values())} 件：" + ("，".join(parts) if parts else "暂无") + "。"


SHORT_HELP = 4


def help_short(role: Role, entries: Sequence[tuple[str, str]]) -> str:
    """帮助 in the group: the first few commands, and where the rest went."""
    common = "、".join(f"「{usage}」" for usage, _ in entries)
    return f"小助手常用命令（{ROLE_NAMES[role]}）：{common}。完整命令表已私信发给您。"


def help_menu(role: Role, entries: Sequence[tuple[str, str]]) -> str:
    """帮助: the numbered (usage, what it does) of the commands ``role`` may use."""
    lines = [f"小助手命令（{ROLE_NAMES[role]}）："]
    lines += [f"{i}. {usage} — {what}" for i, (usage, what) in enumerate(entries, 1)]
    if role is Role.ENTERPRISE:
        lines.append("企业遇到问题，直接在群里说明即可，小助手会自动登记。")
    return "\n".join(lines)
