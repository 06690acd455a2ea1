"""What the bot says about 通知 and 回执."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from handlers.clock import TZ
from handlers.replies.texts import short
from storage.domain import NoticeKind

WEEKDAYS = "一二三四五六日"
MAX_NAMES = 30  # names listed in one message; the rest are counted
ANSWER_HINT = {
    NoticeKind.RECEIPT: "请回复「收到」",
    NoticeKind.SIGNUP: "参加的请接龙或回复「参加」",
    NoticeKind.REPORT: "请回复「回执 {no} 内容」报送",
}


def deadline(moment: datetime | None) -> str:
    """「12月4日（周五）17:00」, or 「不限」."""
    if moment is None:
        return "不限"
    local = moment.astimezone(TZ)
    return f"{local.month}月{local.day}日（周{WEEKDAYS[local.weekday()]}）{local:%H:%M}"


def _hint(kind: NoticeKind, no: int) -> str:
    return ANSWER_HINT[kind].format(no=no)


def names(items: Sequence[str]) -> str:
    shown = "、".join(items[:MAX_NAMES])
    return shown + (f" 等 {len(items)} 个" if len(items) > MAX_NAMES else "")


def opened(no: int, text: str, kind: NoticeKind, audience: str, count: int, due: datetime | None) -> str:
    return (
        f"📢【通知 #{no}】{text}\n"
        f"对象：{audience}（{count}）｜截止：{deadline(due)}\n"
        f"{_hint(kind, no)}；「回执情况 {no}」可查看进度。"
    )


def propose(at: str, audience: str, count: int, due: datetime | None) -> str:
    return (
        f"{at} 要把这条登记为通知并统计回执吗？回复「是」即登记"
        f"（对象：{audience} {count} 个；截止：{deadline(due)}）。"
    )


def confirmed(no: int, kind: NoticeKind, audience: str, count: int, due: datetime | None) -> str:
    return (
        f"已登记【通知 #{no}】对象：{audience}（{count}），截止：{deadline(due)}。"
        f"{_hint(kind, no)}；「回执情况 {no}」可查看进度。"
    )


def recorded(at: str, no: int, done: int, total: int, late: bool, reported: bool = False) -> str:
    what = "报送" if reported else "回执"
    return f"{at} 已记录{what}【通知 #{no}】{'（逾期）' if late else ''}，目前 {done}/{total}。"


def already(unit: str, no: int, reported: bool = False) -> str:
    return f"{unit} 已{'报送' if reported else '回执'}过【通知 #{no}】，以第一次为准。"


def not_audience(no: int, audience: str) -> str:
    return f"【通知 #{no}】的对象是「{audience}」，您不在其中，无需回执。"


def needs_content(no: int) -> str:
    return f"【通知 #{no}】已记下收到，还需要报送内容，请回复：回执 {no} <内容>（如：回执 {no} 需招工 12 人）"


def unknown_notice(no: int) -> str:
    return f"没有【通知 #{no}】，请核对编号。"


def no_audience(words: Sequence[str]) -> str:
    return f"对象「{'、'.join(words)}」在花名册里找不到，请写企业标签、行业、区县、部门名，或「全体」。"


def empty_audience(audience: str) -> str:
    return f"本群没有「{audience}」的成员，通知未登记。"


def past_deadline(words: str) -> str:
    return f"截止时间「{words}」看不懂或已过，请写成「截止 周五17:00」「截止 12月5日」这样。"


def status(
    no: int, text: str, due: datetime | None, done: int, late: int, total: int, missing: Sequence[str]
) -> str:
    late_note = f"（其中逾期 {late}）" if late else ""
    lines = [f"【通知 #{no}】{short(text, 30)}", f"回执 {done}/{total}{late_note}｜截止：{deadline(due)}"]
    lines.append(f"未回执（{len(missing)}）：{names(missing)}" if missing else "已全部回执 ✅")
    return "\n".join(lines)


@dataclass(frozen=True)
class ReportCounts:
    received: int  # 已收到: said they got it (a report counts as that too)
    reported: int  # 已报送
    late: int  # reported after the deadline
    total: int


@dataclass(frozen=True)
class ReportNames:
    unacknowledged: Sequence[str]  # not even 收到
    received_only: Sequence[str]  # 收到, not yet reported


def report_status(
    no: int,
    text: str,
    due: datetime | None,
    c: ReportCounts,
    who: ReportNames,
    reports: Sequence[str],
    asks_ack: bool,
) -> str:
    """回执情况 of a 报送 notice: 已收到 and 已报送, each counted and listed apart."""
    late_note = f"（其中逾期 {c.late}）" if c.late else ""
    received = f"已收到 {c.received}/{c.total}｜" if asks_ack or c.received > c.reported else ""
    lines = [
        f"【通知 #{no}】{short(text, 30)}",
        f"{received}已报送 {c.reported}/{c.total}{late_note}｜截止：{deadline(due)}",
    ]
    if who.unacknowledged:
        lines.append(f"未回复（{len(who.unacknowledged)}）：{names(who.unacknowledged)}")
    if who.received_only:
        lines.append(f"已收到、未报送（{len(who.received_only)}）：{names(who.received_only)}")
    if not who.unacknowledged and not who.received_only:
        lines.append("已全部报送 ✅")
    if reports:
        lines.append("报送：" + "；".join(reports[:MAX_NAMES]))
    return "\n".join(lines)


def remind(no: int, text: str, due: datetime | None, missing: int, at: str, kind: NoticeKind) -> str:
    return (
        f"⏰【通知 #{no}】{short(text, 24)} 还有 {missing} 个未回执，截止 {deadline(due)}。\n"
        f"{at} {_hint(kind, no)}"
    )


def remind_report(no: int, text: str, due: datetime | None, silent: str, received_only: str) -> str:
    """A 报送 notice's reminder, worded for what each still owes: those who said nothing, and those
    who said 收到 but reported nothing yet (``silent`` / ``received_only``: their @s, or "")."""
    lines = [f"⏰【通知 #{no}】{short(text, 24)} 截止 {deadline(due)}，还请报送："]
    if silent:
        lines.append(f"{silent} 还没有回复，请回复「回执 {no} 内容」报送")
    if received_only:
        lines.append(f"{received_only} 已收到，还差报送内容：「回执 {no} 内容」")
    return "\n".join(lines)


def closed(no: int, text: str, done: int, total: int, missing: Sequence[str], reported: bool = False) -> str:
    what = "报送" if reported else "回执"
    head = f"【通知 #{no}】{short(text, 24)} 已截止：{what} {done}/{total}。"
    if not missing:
        return head + f"全部按时{what} ✅"
    return (
        head
        + f"\n未{what}（{len(missing)}）：{names(missing)}\n逾期{what}仍会记录，「回执情况 {no}」可查看。"
    )


def all_answered(no: int, total: int) -> str:
    return f"【通知 #{no}】已全部回执（{total}/{total}）✅"


def posted(no: int) -> str:
    return f"已在群里发出【通知 #{no}】。"
