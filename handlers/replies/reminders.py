"""What the scheduler says in the group: reminders, escalations, digests, rankings. Short, @, what to type."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from handlers.replies.texts import short, when

MERGE_TITLE = "⏰ 催办提醒（{n} 件）"
# The ticket history's name for each reminder stage (shown by 查询).
STAGE_NAMES = {
    "confirm": "待确认提醒",
    "claim": "认领催办",
    "warn": "到期提醒",
    "over": "超期催办",
    "rate": "评价提醒",
    "revisit": "回头看",
}


def working_days(days: float) -> str:
    return f"{_num(days)} 个工作日"


def lateness(hours: float, *, wall_clock: bool, hours_per_day: float) -> str:
    """``2 个工作日`` / ``3.5 个工作小时``; urgent tickets count real minutes and hours."""
    if hours < 1:  # never 「0 个工作小时」 or 「0.2 个工作小时」
        return f"{max(1, round(hours * 60))} 分钟"
    if wall_clock:
        return f"{_num(hours)} 小时"
    if hours < 2 * hours_per_day:
        return f"{_num(hours)} 个工作小时"
    return f"{_num(hours / hours_per_day)} 个工作日"


def _num(value: float) -> str:
    value = round(value, 1)
    return str(int(value)) if value == int(value) else str(value)


def _rung(level: int) -> str:
    return f"【第{level}级提醒】" if level > 1 else ""


def unclaimed(no: int, category: str, text: str, waited: str, at: str, level: int = 1) -> str:
    """Unclaimed past its time; from the second rung on, it says so (and @s more people)."""
    return (
        f"⏰{_rung(level)} #{no}【{category}】已等待 {waited}无人认领，超过认领时限：{short(text, 30)}\n"
        f"{at} 请回复「认领 {no}」"
    )


def unconfirmed(no: int, category: str, text: str, waited: str, level: int = 1) -> str:
    """Privately to 营商办 (and from the second rung on, to leaders): a doubtful ticket waits."""
    return (
        f"⏰{_rung(level)} 待确认 #{no}【{category}?】已等待 {waited}：{short(text, 30)}\n"
        f"是诉求请回复「受理 {no}」，不是请回复「驳回 {no}」。"
    )


def due_soon(no: int, text: str, due: datetime, left: str, at: str) -> str:
    return (
        f"⏳ #{no} 将于 {when(due)} 到期（还剩 {left}）：{short(text, 30)}\n"
        f"{at} 请抓紧办理，办完回复「办结 {no} 办理结果」"
    )


def overdue(no: int, text: str, late: str, level: int, at: str, *, claimed: bool, top: bool) -> str:
    head = "🔴【提级督办】" if top else "🔴"
    action = f"回复「进度 {no} …」汇报，办完回复「办结 {no} …」" if claimed else f"请先回复「认领 {no}」"
    return f"{head}#{no} 已超期 {late}（第 {level} 级催办）：{short(text, 30)}\n{at} {action}"


def rate_please(no: int, text: str, days: str, close_in: str, at: str) -> str:
    return (
        f"📝 #{no} 已办结 {days}，尚未评价：{short(text, 30)}\n"
        f"{at} 请回复「评价 {no} 满意」（非常满意/满意/基本满意/不满意/非常不满意）。"
        f"{close_in}后未评价将关闭。"
    )


def revisit(no: int, text: str, days: int, at: str) -> str:
    return (
        f"🔁 回头看：#{no}「{short(text, 30)}」办结已 {days} 天，问题是否彻底解决？\n"
        f"{at} 如又出现，请回复「复发 {no}」；没问题无需回复。"
    )


def joined(earlier: str, later: str) -> str:
    """A room's reminders that waited, and the ones due since: one message, the earlier first."""
    return f"{earlier}\n——\n{later}"


def merged(items: Sequence[str]) -> str:
    """Several reminders for one room at one moment: one message, numbered."""
    if len(items) == 1:
        return items[0]
    lines = [MERGE_TITLE.format(n=len(items))]
    lines += [f"{i}. {item}" for i, item in enumerate(items, 1)]
    return "\n".join(lines)


def event_announcement(name: str, start: datetime, place: str, text: str) -> str:
    where = f"，地点：{place}" if place else ""
    return f"📅 预告：{name} {when(start)}{where}。{text}".rstrip()
