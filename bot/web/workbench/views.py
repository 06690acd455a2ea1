"""How tickets are shown in the workbench: the ledger's columns, the filter from a query string,
and the actions a member may take on a ticket (the chat's own verbs)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from handlers.clock import TZ
from handlers.lifecycle import check
from handlers.replies.texts import ACTION_NAMES, ROLE_NAMES, STATUS_NAMES, VERBS
from handlers.roster.model import Member, Roster
from storage.domain import Action, Status
from storage.ledger import SORTS, LedgerFilter, Viewer
from storage.models import Issue, RosterImport

COLUMNS = (
    "编号",
    "受理时间",
    "企业",
    "诉求摘要",
    "原始类别",
    "现类别",
    "承办部门",
    "状态",
    "认领用时（小时）",
    "办结时限",
    "办结时间",
    "评价",
    "督办次数",
    "重开次数",
)
__all__ = ["ROLE_NAMES", "LedgerFilter"]
RATINGS = {1: "不满意", 2: "基本满意", 3: "满意"}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class WebAction:
    action: Action
    field: str | None  # what it needs after the number: text, department or category
    label: str

    @property
    def verb(self) -> str:
        """The chat command word: the web sends exactly what a member would type."""
        return VERBS[self.action]


WEB_ACTIONS = (
    WebAction(Action.ACCEPT, None, "受理（确认是诉求）"),
    WebAction(Action.DISMISS, "text", ACTION_NAMES[Action.DISMISS]),
    WebAction(Action.RECATEGORIZE, "category", "归类为"),
    WebAction(Action.CLAIM, None, ACTION_NAMES[Action.CLAIM]),
    WebAction(Action.PROGRESS, "text", ACTION_NAMES[Action.PROGRESS]),
    WebAction(Action.RESOLVE, "text", ACTION_NAMES[Action.RESOLVE]),
    WebAction(Action.EXPLAIN, "text", "说明办结（依法不能办理）"),
    WebAction(Action.TRANSFER, "department", "转办到"),
    WebAction(Action.URGE, "text", ACTION_NAMES[Action.URGE]),
)


def viewer(member: Member, roster: Roster) -> Viewer:
    """The member as the ledger's SQL sees them; a leader or 营商办 below the top unit sees their
    unit and the units below it."""
    return Viewer(member.id, member.role, member.department, member.enterprise, roster.oversees(member))


def allowed_actions(issue: Issue, member: Member, roster: Roster) -> list[WebAction]:
    return [a for a in WEB_ACTIONS if check(issue, a.action, member, roster) is None]


def not_allowed(action: WebAction | None) -> str:
    """The page's answer to an action the member may not take (nothing is said in the group)."""
    return f"您不能对这张诉求「{action.label}」" if action else "您不能交办，或没有这个部门"


def command_text(action: WebAction, no: int, value: str) -> str | None:
    """The chat command for a web action, or None when its field is missing."""
    value = " ".join(value.split())
    if action.field is None:
        return f"{action.verb} {no}"
    return f"{action.verb} {no} {value}" if value else None


def local(moment: datetime | None, with_time: bool = True) -> str:
    if moment is None:
        return ""
    return moment.astimezone(TZ).strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def claim_hours(issue: Any) -> float | None:
    start = issue.routed_at or issue.created_at
    if issue.claimed_at is None or start is None:
        return None
    return round((issue.claimed_at - start).total_seconds() / 3600, 1)


def row(issue: Any, urges: int) -> dict[str, Any]:
    """One ledger row, the table's columns as values (dates stay datetimes for Excel); ``issue`` is
    a ticket or a plain row with the ledger's columns (``storage.ledger.LEDGER_COLUMNS``)."""
    return {
        "编号": issue.no,
        "受理时间": issue.created_at,
        "企业": issue.enterprise or "",
        "诉求摘要": issue.title,
        "原始类别": issue.original_category,
        "现类别": issue.category,
        "承办部门": issue.department or "",
        "状态": STATUS_NAMES[issue.status],
        "认领用时（小时）": claim_hours(issue),
        "办结时限": issue.resolve_due,
        "办结时间": issue.resolved_at,
        "评价": RATINGS.get(issue.rating or 0, ""),
        "督办次数": urges,
        "重开次数": issue.reopen_count,
    }


FIRST_YEAR, LAST_YEAR = 2000, 2100  # a date outside is a typing mistake (9999-12-31 overflowed)


def _day(value: str | None) -> date | None:
    if not value or not _DATE.fullmatch(value.strip()):
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


def ledger_filter(query: Mapping[str, str], now: datetime) -> LedgerFilter:
    """The filter a query string asks for; values that do not parse are left out (never an error)."""
    since, until = _day(query.get("since")), _day(query.get("until"))
    before = query.get("before", "")
    status = query.get("status") if query.get("status") in {s.value for s in Status} else None
    return LedgerFilter(
        status=status,
        category=query.get("category") or None,
        department=query.get("department") or None,
        enterprise=query.get("enterprise") or None,
        since=datetime.combine(since, time(), TZ) if since else None,
        until=datetime.combine(until, time(), TZ) + timedelta(days=1) if until else None,
        overdue_at=now if query.get("overdue") == "1" else None,
        common=query.get("common") == "1",
        query=(query.get("q") or "")[:100],
        before_no=whole(before, digits=9),
        sort=query.get("sort", "new") if query.get("sort") in SORTS else "new",
        limit=_page_size(query.get("limit", "")),
    )


def _page_size(text: str) -> int:
    """``limit`` from the address, clamped to 1–200 (50 when absent or not a number)."""
    size = whole(text, digits=5)
    return 50 if size is None else min(max(size, 1), 200)


def whole(text: str, *, digits: int) -> int | None:
    """An ASCII whole number of at most ``digits`` digits, or None (other input is ignored, not an error)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= digits else None


def hours(value: float | None) -> float | None:
    """Hours as a person reads them: one decimal (0.0026 hours is 0.0, not 0.002605833…)."""
    return None if value is None else round(value, 1)


def percent(rate: float | None) -> float | None:
    """0.873 → 87.3 (one decimal), None stays None."""
    return None if rate is None else round(100 * rate, 1)


ANONYMOUS_AMONG = 3  # a 公示 label must fit at least this many enterprises of the roster


def public_label(name: str | None, roster: Roster) -> str:
    """What 公示 shows for an enterprise: 「某电子信息企业（规上）」, or coarser — industry alone,
    size alone, 「某企业」 — until the label fits at least ``ANONYMOUS_AMONG`` enterprises of the
    roster, so no firm can be told from its label (first and last characters could)."""
    firm = roster.enterprise(name)
    if firm is None:
        return "某企业"
    labels = {
        ("industry", "scale"): f"某{firm.industry}企业（{firm.scale}）",
        ("industry",): f"某{firm.industry}企业",
        ("scale",): f"某{firm.scale}企业",
    }
    for attributes, label in labels.items():
        if not all(getattr(firm, a) for a in attributes):
            continue
        alike = [e for e in roster.enterprises if all(getattr(e, a) == getattr(firm, a) for a in attributes)]
        if len(alike) >= ANONYMOUS_AMONG:
            return label
    return "某企业"


def roster_import(record: RosterImport, roster: Roster) -> dict[str, Any]:
    """One line of the 花名册 page's import record: when, who, what file, what changed."""
    who = roster.member(record.by)
    return {
        "at": local(record.at),
        "by": who.name if who else record.by,
        "source": record.source,
        "rows": record.rows,
        "changes": list(record.changes or ()),
    }
