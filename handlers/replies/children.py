"""What the bot says about 下派: the children opened, each one done, the parent finished for them."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.replies.texts import short, status_name, when
from storage.models import Issue


def child_opened(child: Issue, parent_no: int, by_unit: str, department: str | None) -> str:
    owner = department or f"{child.unit}营商办（请交办给承办部门）"
    due = f"，时限 {when(child.resolve_due)}" if child.resolve_due else ""
    return (
        f"⬇️【下派】#{child.no} {by_unit or '上级'}交办：{short(child.text, 60)}\n"
        f"承办：{owner}{due}。请回复「认领 {child.no}」，办完回复「办结 {child.no} …」（上级 #{parent_no}）。"
    )


def dispatched(parent_no: int, children: Sequence[Issue], already: Sequence[str]) -> str:
    lines = [f"⬇️ #{parent_no} 已下派 {len(children)} 个单位，各单位办结后 #{parent_no} 随之办结："]
    lines += [f"{i}. {c.unit} #{c.no}｜{c.department or '营商办分派'}" for i, c in enumerate(children, 1)]
    if already:
        lines.append(f"已在办理，未重复下派：{'、'.join(already)}")
    return "\n".join(lines)


def nothing_to_dispatch(parent_no: int, already: Sequence[str]) -> str:
    return f"#{parent_no} 已下派{'、'.join(already)}，正在办理，未重复下派。"


def no_units_below(unit: str) -> str:
    return f"{unit or '本级'}没有下级单位，无法下派。"


def unknown_unit(word: str, unit: str, below: Sequence[str]) -> str:
    names = "、".join(below) or "（无）"
    return f"「{word}」不是{unit or '本级'}的下级单位。可下派：{names}，或写「各下级」。"


def child_done(child: Issue, parent_no: int, tally: str) -> str:
    return f"✅ {child.unit} #{child.no} 已办结（上级 #{parent_no}：{tally}）。"


def children_summary(children: Sequence[Issue]) -> str:
    return "；".join(f"{c.unit} #{c.no}" for c in children) + " 均已办结"


def parent_done(parent_no: int, summary: str, reporter_at: str | None) -> str:
    text = f"✅ #{parent_no} 下派的单位均已办结（{summary}），#{parent_no} 办结。"
    return f"{text}\n{reporter_at} 请评价：回复「评价 {parent_no} 满意」" if reporter_at else text


def closed_with_parent(no: int, parent_no: int) -> str:
    return f"#{no} 随上级 #{parent_no} 办结而关闭，无需再办。"


def tally(done: Sequence[bool]) -> str:
    """``1/2 办结``."""
    return f"{sum(done)}/{len(done)} 办结"


def children_lines(children: Sequence[Issue], done: Sequence[bool]) -> list[str]:
    """查询 of a parent: the tally, then its children one line each."""
    if not children:
        return []
    state = [("已办结" if d else status_name(c.status)) for c, d in zip(children, done, strict=True)]
    lines = [
        f"· {c.unit} #{c.no}｜{c.department or '营商办分派'}｜{s}"
        for c, s in zip(children, state, strict=True)
    ]
    return [f"下派：{tally(done)}", *lines]
