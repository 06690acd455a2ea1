"""What intake says: a doubtful message for 营商办, 共性问题, and answers from the policy library."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.policy.library import Policy
from handlers.replies.texts import short

POLICY_HEADER = "相关政策（供参考）："
SOME_DEPARTMENT = "相关部门"


def candidate(no: int, category: str, who: str, enterprise: str | None, text: str) -> str:
    """Private to 营商办: the classifier was unsure whether this is an appeal."""
    sender = who + (f"（{enterprise}）" if enterprise else "")
    return (
        f"疑似诉求 #{no}【{category}?】{sender}：{short(text, 60)}\n"
        f"是诉求请回复「受理 {no}」，不是请回复「驳回 {no}」，类别不对请「归类 {no} 类别」。"
    )


LISTED = 8  # a group's message names at most this many tickets


def candidate_ack(sender_at: str) -> str:
    return f"{sender_at} 收到，已转营商办确认，确认后会告诉您编号和承办部门。"


def numbers(nos: Sequence[int], count: int | None = None) -> str:
    """``#3 #5 #9``; a long group is cut: ``#3 #5 … #40 等 37 件``. ``nos`` may be just the lowest
    numbers and the highest of a group of ``count`` (what ``common_group_glimpse`` reads)."""
    ordered, count = sorted(nos), len(nos) if count is None else count
    if count <= LISTED:
        return " ".join(f"#{n}" for n in ordered)
    shown = " ".join(f"#{n}" for n in ordered[: LISTED - 1])
    return f"{shown} … #{ordered[-1]} 等 {count} 件"


def common_group_event(group: int) -> str:
    return f"共性问题 #{group}"


def joined_common(no: int, members: Sequence[int], count: int) -> str:
    return f"#{no} 与共性问题（{numbers(members, count)}）相似，已并入该组。"


def common_problem(
    days: int, enterprises: int, category: str, text: str, nos: Sequence[int], people_at: str
) -> str:
    return (
        f"【共性问题】近{days}天 {enterprises} 家企业反映同类问题【{category}】："
        f"{short(text, 40)}（{numbers(nos)}）\n"
        f"{people_at} 请关注，建议统筹研究、集中解决。"
    )


def policy_line(n: int, policy: Policy, width: int = 70) -> str:
    summary = short(policy.summary, width)
    where = "；".join(
        x
        for x in (
            f"咨询：{policy.contact}" if policy.contact else "",
            f"详情：{policy.link}" if policy.link else "",
        )
        if x
    )
    return f"{n}. {policy.title}：{summary}" + (f"\n   {where}" if where else "")


def policy_lines(policies: Sequence[Policy]) -> list[str]:
    """Under a ticket's acknowledgement: policies that may help."""
    return [POLICY_HEADER, *(policy_line(i, p) for i, p in enumerate(policies, 1))] if policies else []


def policy_answer(no: int, policies: Sequence[Policy], asker_at: str, department: str | None) -> str:
    lines = [f"#{no} 为您找到相关政策：", *(policy_line(i, p) for i, p in enumerate(policies, 1))]
    lines.append(
        f"{asker_at} 已解答请回复「评价 {no} 满意」；仍需部门帮助请回复「评价 {no} 不满意」，"
        f"将转{department or SOME_DEPARTMENT}办理。"
    )
    return "\n".join(lines)
