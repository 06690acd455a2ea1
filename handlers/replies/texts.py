"""Every line the bot says, in one place. Short, numbered, @ where a person must act."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from handlers.clock import TZ
from handlers.lifecycle import Refusal
from handlers.roster.model import Roster
from storage.domain import Action, Role, Status
from storage.models import Issue

ROLE_NAMES = {
    Role.ENTERPRISE: "企业",
    Role.HANDLER: "部门",
    Role.LEADER: "领导",
    Role.COORDINATOR: "协调员",
}

STATUS_NAMES = {
    Status.CANDIDATE: "待确认",
    Status.OPEN: "待认领",
    Status.CLAIMED: "办理中",
    Status.RESOLVED: "待评价",
    Status.CLOSED: "已关闭",
    Status.WITHDRAWN: "已撤回",
}

# The chat command word for each action people take on a ticket: the command table, the workbench's
# buttons (which send exactly what a member would type) and every hint that quotes a command use it.
VERBS = {
    Action.ACCEPT: "受理",
    Action.DISMISS: "驳回",
    Action.CLAIM: "认领",
    Action.ASSIGN: "交办",
    Action.PROGRESS: "进度",
    Action.TRANSFER: "转办",
    Action.ASSIST: "协办",
    Action.RESOLVE: "办结",
    Action.EXPLAIN: "说明",
    Action.RATE: "评价",
    Action.WITHDRAW: "撤回",
    Action.URGE: "督办",
    Action.RECATEGORIZE: "归类",
    Action.SUPPLEMENT: "补充",
    Action.RECUR: "复发",
    Action.REPORT_UP: "上报",
    Action.RETURN_DOWN: "退回",
    Action.DISPATCH_DOWN: "下派",
}

# How a ticket's history names each action (where it differs from the command word).
ACTION_NAMES = {
    **VERBS,
    Action.PROGRESS: "报进度",
    Action.ASSIST: "加协办",
    Action.EXPLAIN: "说明办结",
    Action.REOPEN: "评价",
    Action.EXPIRE: "关闭",
    Action.RECUR: "反馈复发",
    Action.ANSWER: "政策解答",
    Action.REFER: "转部门办理",
    Action.CONCLUDE: "结案",
}

RATINGS = {"非常满意": 5, "满意": 4, "基本满意": 3, "不满意": 2, "非常不满意": 1}
RATING_ALIASES = {"好评": 4, "差评": 2, "一般": 3}
RATING_NAMES = {v: k for k, v in RATINGS.items()}
RATING_HINT = "非常满意/满意/基本满意/不满意/非常不满意，或 1–5"


def at(roster: Roster, member_ids: Iterable[str]) -> str:
    """``@王科长 @李专员`` for the given member ids (unknown ids shown as they are)."""
    names = []
    for mid in dict.fromkeys(member_ids):
        member = roster.member(mid)
        names.append("@" + (member.name if member else mid))
    return " ".join(names)


def short(text: str, limit: int = 40) -> str:
    text = text.replace("\n", " ").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def when(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    local = moment.astimezone(TZ)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def status_name(status: Status) -> str:
    return STATUS_NAMES[status]


# --- refusals ------------------------------------------------------------------


def unknown_issue(no: int) -> str:
    return f"没有找到 #{no}，请核对编号（发「我的」可查看相关诉求）。"


def usage(usage_line: str, example: str) -> str:
    return f"格式：{usage_line}，例如「{example}」。"


def wrong_role(verb: str, roles: Iterable[Role]) -> str:
    who = "、".join(ROLE_NAMES[r] for r in sorted(roles, key=list(Role).index)) or "系统"
    return f"「{verb}」只有{who}可以使用。发「帮助」查看您能用的命令。"


def refusal(reason: Refusal, issue: Issue, action: Action, verb: str) -> str:
    no = issue.no
    if reason is Refusal.WRONG_STATE:
        hint = {
            Status.OPEN: f"请先「认领 {no}」。",
            Status.RESOLVED: f"等待企业评价：「评价 {no} 满意」。",
            Status.CANDIDATE: f"需先由协调员「受理 {no}」。",
        }.get(issue.status, "")
        return f"#{no} 当前{status_name(issue.status)}，不能{ACTION_NAMES[action]}。{hint}".rstrip()
    if reason is Refusal.NOT_YOUR_DEPARTMENT:
        return not_your_department(no, issue.department, action)
    if reason is Refusal.NOT_YOUR_ENTERPRISE:
        return f"#{no} 不是贵企业提出的诉求，不能{ACTION_NAMES[action]}。"
    if reason is Refusal.NOT_YOUR_UNIT:
        return f"#{no} 不在您所在单位及下级单位，不能{ACTION_NAMES[action]}。"
    if reason is Refusal.GONE_UP:
        return f"#{no} 已上报{issue.unit}，由{issue.unit}办理，不能{ACTION_NAMES[action]}；您可以「查询 {no}」跟进。"
    if reason is Refusal.ALREADY_THERE:
        return f"#{no} 已经是这样了，无需重复操作。"
    return wrong_role(verb, ())


def not_your_department(no: int, department: str | None, action: Action) -> str:
    if department is None:
        return f"#{no} 还没有分派承办部门，请营商办或领导「交办 {no} 部门」。"
    line = f"#{no} 由{department}承办，只有{department}可以{ACTION_NAMES[action]}。"
    if action in (Action.CLAIM, Action.RESOLVE, Action.EXPLAIN, Action.PROGRESS):
        line += f"如应由贵部门办理，请营商办或领导「转办 {no} 贵部门」。"
    return line


def unknown_department(name: str) -> str:
    return f"没有找到部门「{name}」，请写部门全称或简称，例如「经信局」。"


def unknown_category(name: str, names: Iterable[str]) -> str:
    return f"没有类别「{name}」。可选：{'、'.join(names)}。"


def unknown_rating(word: str) -> str:
    return f"看不懂评价「{word}」，请写：{RATING_HINT}。"


def internal_error() -> str:
    return "抱歉，小助手刚才处理出错了，已记录。请稍后重发，或联系营商办。"


def too_long(limit: int) -> str:
    return f"这条消息太长了（超过 {limit} 字），小助手没有处理。请分几条发送，或把要点写在一条里。"


def unknown_command() -> str:
    return "没看懂这条命令。发「帮助」查看可用命令。"


def welcome(bot_name: str) -> str:
    """What the bot says once in a group it serves for the first time."""
    return (
        f"大家好，我是{bot_name}，负责本群诉求的登记和跟踪：\n"
        "1. 企业遇到困难，直接在群里说，我会登记编号、转给对口部门，并告诉您办理时限；\n"
        "2. 部门发「认领 编号」「进度 编号 进展」「办结 编号 结果」，超时我会提醒；\n"
        "3. 办结后请企业发「评价 编号 满意」或「不满意」；\n"
        "4. 群里的通知回复「收到」即算回执；适合贵企业的政策我会推送，回复「申请 编号」即可；\n"
        "5. 随时发「查询 编号」看进展，发「帮助」看全部命令。"
    )


def answered_in(room: str) -> str:
    """Privately, to whoever acted on a ticket of another group: where the answer went."""
    return f"已在「{room}」回复（这张诉求属于那个群）。"
