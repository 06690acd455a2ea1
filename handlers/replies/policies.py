"""What the bot says about 政策找企业: pushes, searches, 申请 and the leaders' figures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from handlers.policy import Policy
from handlers.replies.texts import short

MAX_LISTED = 5


def deadline(day: date | None) -> str:
    return f"{day.month}月{day.day}日" if day else "常年"


def push(policy: Policy, at: str, soon: bool) -> str:
    head = (
        f"⏳【政策 {policy.id}】{policy.title} {deadline(policy.deadline)}截止申报"
        if soon
        else f"📌【政策 {policy.id}】{policy.title}"
    )
    return (
        f"{head}\n{short(policy.summary, 90)}\n适用：{policy.fit.label}｜截止：{deadline(policy.deadline)}\n"
        f"{at} 贵企业符合条件。要申请请回复「申请 {policy.id}」，详情回复「政策 {policy.id}」。"
    )


def push_private(items: Sequence[tuple[Policy, bool]]) -> str:
    lines = ["📌 有适合贵企业的政策："]
    for i, (p, soon) in enumerate(items, 1):
        note = f"（{deadline(p.deadline)}截止{'，即将到期' if soon else ''}）"
        lines.append(f"{i}. 【政策 {p.id}】{p.title}{note}")
    lines.append("要申请请回复「申请 编号」，详情回复「政策 编号」。")
    return "\n".join(lines)


def detail(p: Policy, fits: bool | None) -> str:
    lines = [f"【政策 {p.id}】{p.title}", p.summary, f"适用：{p.fit.label}｜截止：{deadline(p.deadline)}"]
    if p.contact:
        lines.append(f"咨询：{p.contact}")
    if p.link:
        lines.append(f"详情：{p.link}")
    if fits is False:
        lines.append("按花名册信息，贵企业暂不在适用范围；如有出入请联系营商办。")
    else:
        lines.append(f"要申请请回复「申请 {p.id}」。")
    return "\n".join(lines)


def found(words: str, policies: Sequence[Policy]) -> str:
    if not policies:
        return f"政策库里没有找到「{words}」，换个关键词试试，如「政策 稳岗」。"
    lines = [f"找到 {len(policies)} 条政策："]
    lines += [
        f"{i}. 【政策 {p.id}】{p.title}（{deadline(p.deadline)}截止）" for i, p in enumerate(policies, 1)
    ]
    lines.append("回复「政策 编号」看详情，「申请 编号」申请。")
    return "\n".join(lines)


def unknown_policy(policy_id: int) -> str:
    return f"没有【政策 {policy_id}】，回复「政策 关键词」可查找。"


def applied_before(policy_id: int, ticket_no: int, status: str) -> str:
    return f"贵企业已申请【政策 {policy_id}】，见 #{ticket_no}（{status}）。"


def expired(p: Policy) -> str:
    return f"【政策 {p.id}】{p.title} 已于 {deadline(p.deadline)} 截止申报。如有特殊情况请直接描述问题，我们转营商办。"


def not_fitting(p: Policy) -> str:
    return f"按花名册信息，贵企业不在【政策 {p.id}】的适用范围（{p.fit.label}）。如有出入请联系营商办。"


def application_text(p: Policy, note: str) -> str:
    return f"申请【政策 {p.id}】{p.title}" + (f"：{note}" if note else "")


def stats(rows: Sequence[tuple[Policy, int, int, int]]) -> str:
    if not rows:
        return "政策库是空的。"
    lines = ["政策找企业（企业数）：告知｜咨询｜申请"]
    lines += [
        f"{i}. 【政策 {p.id}】{short(p.title, 14)}：{told}｜{asked}｜{applied}"
        for i, (p, told, asked, applied) in enumerate(rows, 1)
    ]
    return "\n".join(lines)


def no_library() -> str:
    return "本群没有配置政策库。"
