"""Digest and ranking texts (日报、周研判、月考核、统计): figures in, short Chinese lines out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from handlers.replies.texts import short
from handlers.roster.model import Roster
from storage.reports import DailyFigures, DepartmentFigures, UnitFigures


def dept_name(roster: Roster, name: str | None) -> str:
    """The short name people use (经信局), not the full title."""
    dept = roster.department(name) if name else None
    return dept.aliases[0] if dept and dept.aliases else (name or "待分派")


def pct(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


def daily(
    roster: Roster,
    day: date,
    f: DailyFigures,
    late: Sequence[str],
    *,
    unit: str = "",
    children: Sequence[tuple[str, DailyFigures]] = (),
) -> str:
    """The digest of a unit (and those below it: a row for each one directly below) or of all."""
    lines = [
        f"📊 {unit}助企日报（{day.month}月{day.day}日）",
        f"新增 {f.new} 件，认领 {f.claimed} 件，办结 {f.resolved} 件，超期在办 {f.overdue} 件。",
    ]
    if children:
        lines.append("下级单位：")
        lines += [
            f"{i}. {name} 新增 {c.new}｜认领 {c.claimed}｜办结 {c.resolved}｜超期 {c.overdue}"
            for i, (name, c) in enumerate(children, 1)
        ]
    if f.overdue_list:
        lines.append("超期清单：")
        lines += [
            f"{i}. #{issue.no}【{issue.category}】{dept_name(roster, issue.department)}"
            f"｜{short(issue.title, 14)}｜{how_late}"
            for i, (issue, how_late) in enumerate(zip(f.overdue_list, late, strict=True), 1)
        ]
        lines.append("领导可回复「督办 编号」催办。")
    return "\n".join(lines)


def ranking_lines(roster: Roster, rows: Sequence[DepartmentFigures], limit: int = 20) -> list[str]:
    out = []
    for i, r in enumerate(rows[:limit], 1):
        claim = "—" if r.median_claim_hours is None else f"{r.median_claim_hours:.1f} 小时"
        out.append(
            f"{i}. {dept_name(roster, r.department)} 受理 {r.received}｜办结 {r.handled}"
            f"｜按时 {pct(r.on_time_rate)}｜解决 {pct(r.resolution_rate)}｜满意 {pct(r.satisfaction_rate)}"
            f"｜重开 {pct(r.reopen_rate)}｜认领用时中位 {claim}"
        )
    return out


def weekly(roster: Roster, start: date, end: date, rows: Sequence[DepartmentFigures]) -> str:
    head = f"🏆 周研判：部门办理排名（{start.month}月{start.day}日–{end.month}月{end.day}日）"
    return "\n".join([head, *ranking_lines(roster, rows)])


def monthly(roster: Roster, month: date, rows: Sequence[DepartmentFigures]) -> str:
    received = sum(r.received for r in rows)
    handled = sum(r.handled for r in rows)
    head = f"📈 月度考核（{month.year}年{month.month}月）：受理 {received} 件，办结 {handled} 件"
    return "\n".join([head, *ranking_lines(roster, rows)])


def unit_ranking(parent: str, rows: Sequence[UnitFigures]) -> list[str]:
    """The units below ``parent`` against each other (each with the units below it)."""
    head = f"🏅 {parent}下级单位对比（1个工作日认领｜3个工作日反馈｜7个工作日办结｜上浮占比）："
    return [head] + [
        f"{i}. {r.unit} 受理 {r.received}｜认领 {pct(r.taken)}｜反馈 {pct(r.feedback)}"
        f"｜办结 {pct(r.resolved)}｜上浮 {pct(r.reported_up)}"
        for i, r in enumerate(rows, 1)
    ]


STATS_DAYS = 30  # 统计 shows the departments' figures of the last month


def stats_lines(roster: Roster, rows: Sequence[DepartmentFigures]) -> list[str]:
    if not rows:
        return [f"近 {STATS_DAYS} 天没有部门办理记录。"]
    return [f"近 {STATS_DAYS} 天部门情况：", *ranking_lines(roster, rows, limit=5)]
