"""What the bot says in the group when a ticket moves: 受理 认领 进度 转办 协办 办结 评价 督办 交办 ….

Each function takes plain values and the ``@`` text already rendered (``texts.at``), so every
wording lives here and the commands only decide who and when.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from handlers.replies.texts import RATING_HINT, short, when


def announced(
    no: int,
    category: str,
    text: str,
    urgent: bool,
    route_line: str,
    liaison_at: str | None,
    due: datetime | None,
    extra: Sequence[str] = (),
) -> str:
    """The acknowledgement of a new (or newly accepted) ticket."""
    lines = [
        f"{'【紧急】' if urgent else ''}已受理 #{no}【{category}】",
        f"问题：{short(text, 60)}",
        route_line,
    ]
    if liaison_at:
        lines.append(f"包联：{liaison_at}")
    if due is not None:
        lines.append(f"时限：{when(due)} 前办结")
    return "\n".join([*lines, *extra])


def route_to_department(no: int, department: str, handlers_at: str) -> str:
    return f"承办：{department} {handlers_at}，请回复「认领 {no}」"


def route_to_coordinators(no: int, coordinators_at: str) -> str:
    return f"承办：待分派 {coordinators_at}，请「交办 {no} 部门」"


def claimed(no: int, department: str | None, claimer_at: str, due: datetime | None, reporter_at: str) -> str:
    by_when = f"，请于 {when(due)} 前办结" if due else ""
    return f"#{no} 已由{department} {claimer_at} 认领{by_when}。\n{reporter_at} 您的诉求已有部门负责。"


def progress(no: int, department: str | None, text: str, reporter_at: str) -> str:
    return f"#{no} 进度（{department}）：{text}\n{reporter_at}"


def already_with(no: int, department: str) -> str:
    return f"#{no} 已由{department}承办，无需转办。"


UNASSIGNED = "（未分派）"


def transferred(
    no: int, old: str | None, new: str, handlers_at: str, recategorized: tuple[str, str] | None
) -> str:
    changed = f"类别由「{recategorized[0]}」改为「{recategorized[1]}」，" if recategorized else ""
    return f"#{no} 已由{old or UNASSIGNED}转至{new} {handlers_at}，{changed}请回复「认领 {no}」。"


def already_assisting(no: int, department: str) -> str:
    return f"#{no} 已有{department}参与办理，无需重复添加。"


def assisting(no: int, department: str, handlers_at: str, lead: str | None) -> str:
    return f"#{no} 增加协办：{department} {handlers_at}，请配合{lead or '牵头部门'}办理。"


def closed_by_department(
    no: int, explained: bool, department: str | None, text: str, reporter_at: str | None
) -> str:
    """办结 by the department; ``reporter_at`` None: nobody rates it (a 下派 child)."""
    label = "说明办结" if explained else "已办结"
    done = f"#{no} {label}（{department}）：{text}"
    return f"{done}\n{reporter_at} 请评价：回复「评价 {no} 满意」（{RATING_HINT}）" if reporter_at else done


def rated(no: int, rating: str) -> str:
    return f"#{no} 评价：{rating}，已关闭。感谢您的反馈！"


def reopened_by_rating(rating: str) -> str:
    return f"企业评价「{rating}」"


RECURRED = "企业反馈问题复发"


def reopened(no: int, reason: str, times: int, level: int, people_at: str) -> str:
    return (
        f"#{no} {reason}，已重新办理（第{times}次，督办等级{level}）。\n"
        f"{people_at} 请尽快跟进，并回复「进度 {no} …」。"
    )


def withdrawn(no: int) -> str:
    return f"#{no} 已撤回。如有新问题，直接在群里说即可。"


def supplemented(no: int, handlers_at: str = "") -> str:
    return f"已补充到 #{no}。{handlers_at}".rstrip()


def urged(no: int, level: int, text: str, people_at: str, demand: str) -> str:
    return (
        f"【督办】#{no}（督办等级{level}）{short(text, 30)}\n"
        f"{people_at} {demand or '请加快办理，并在群里回复进度'}。回复「进度 {no} …」汇报。"
    )


ASSIGN_USAGE = ("交办 <编号或任务> <部门>", "交办 12 经信局」或「交办 帮长虹对接中欧班列 商务局")


def task_assigned(no: int, task: str, department: str, handlers_at: str) -> str:
    return (
        f"【交办】#{no} {short(task, 60)}\n承办：{department} {handlers_at}"
        f"，请回复「进度 {no} …」汇报，办完回复「办结 {no} …」。"
    )


def assigned(no: int, department: str, handlers_at: str) -> str:
    return f"#{no} 已交办{department} {handlers_at}办理，请回复「进度 {no} …」汇报。"


def dismissed(no: int, reason: str) -> str:
    return f"#{no} 已驳回{('：' + reason) if reason else ''}。"


def already_category(no: int, category: str) -> str:
    return f"#{no} 已是「{category}」，无需更改。"


def recategorized(no: int, old: str, new: str, rerouted_to: tuple[str, str] | None) -> str:
    line = f"#{no} 类别已由「{old}」改为「{new}」。"
    if rerouted_to:
        department, handlers_at = rerouted_to
        line += f"\n改由{department} {handlers_at}承办，请回复「认领 {no}」。"
    return line
