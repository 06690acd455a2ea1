"""What the bot says when a ticket moves between levels (上报, 退回)."""

from __future__ import annotations


def _who(unit: str, department: str | None) -> str:
    return department or f"{unit}营商办（请交办给承办部门）"


def reported_up(no: int, here: str, there: str, department: str | None, reason: str) -> str:
    why = f"原因：{reason}。" if reason else ""
    return f"⬆️ #{no} 已由{here}上报{there}，转{_who(there, department)}办理。{why}时限重新计算，{here}可继续查看进展。"


def returned_down(no: int, here: str, there: str, department: str | None, reason: str) -> str:
    return f"⬇️ #{no} 已由{here}退回{there}，由{_who(there, department)}办理。原因：{reason}。时限重新计算。"


def at_the_top(no: int, unit: str) -> str:
    return f"#{no} 已在最上一级（{unit}），无处上报。需要协调请找营商办。"


def not_reported(no: int) -> str:
    return f"#{no} 不是下级上报来的，无需退回。"
