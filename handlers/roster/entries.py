"""花名册 import: rows of a spreadsheet become roster entries, checked row by row, and merged into
the configured roster (an imported member with a configured id replaces it).

Columns (the header row names them): 编号, 姓名, 角色 (企业/部门/领导/营商办), 部门, 企业, 别名 (、-separated),
for enterprise members, optionally, their enterprise's 行业, 规模 (规上/中小/小微), 区县 and 标签
(、-separated) — what policies and notices select enterprises by; and, with [[units]] configured,
单位 (a configured unit: a leader's or 营商办's, a new department's), 上级单位 (checked against the
config) and 群 (configured groups by name or id, 、-separated: the member is in those only).
A 部门 that is not configured becomes a
new department with that member as its handler; an 企业 that is not configured becomes a new enterprise;
a configured one takes the attributes given (an empty cell keeps the configured value). Nothing here
reads files or touches the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from handlers.roster.model import Department, Enterprise, Member, Roster, Unit
from storage.domain import Role

ROLE_WORDS = {
    "企业": Role.ENTERPRISE,
    "部门": Role.HANDLER,
    "领导": Role.LEADER,
    "营商办": Role.COORDINATOR,
    **{r.value: r for r in Role},
}
HEADER = (
    "编号",
    "姓名",
    "角色",
    "部门",
    "企业",
    "别名",
    "行业",
    "规模",
    "区县",
    "标签",
    "单位",
    "上级单位",
    "群",
)
MAX_ID = 128


@dataclass(frozen=True)
class RosterEntry:
    member_id: str
    name: str
    role: Role
    department: str | None = None
    enterprise: str | None = None
    aliases: tuple[str, ...] = ()
    industry: str | None = None  # the enterprise's attributes (enterprise members' rows only)
    scale: str | None = None
    district: str | None = None
    tags: tuple[str, ...] = ()
    unit: str | None = None  # a configured unit (issue 24's levels)
    rooms: tuple[str, ...] = ()  # configured group ids; empty: as configured (or every group)

    @property
    def firm_attributes(self) -> dict[str, Any]:
        given = {"industry": self.industry, "scale": self.scale, "district": self.district, "tags": self.tags}
        return {k: v for k, v in given.items() if v}


def _words(row: Mapping[str, object], key: str) -> tuple[str, ...]:
    return tuple(a for a in _text(row, key).replace("，", "、").replace(",", "、").split("、") if a)


def _text(row: Mapping[str, object], key: str) -> str:
    value = row.get(key)
    return "" if value is None else " ".join(str(value).split())


# The longest each column may be (what its database column holds, or a sensible name's length).
LONGEST = {
    "姓名": 64,
    "部门": 128,
    "企业": 128,
    "行业": 64,
    "区县": 64,
    "规模": 16,
    "单位": 64,
    "上级单位": 64,
}
LONGEST_WORD = 64  # each 别名 and 标签


def _too_long(row: Mapping[str, object]) -> str | None:
    for column, most in LONGEST.items():
        if len(_text(row, column)) > most:
            return f"「{column}」最多 {most} 个字，这一行有 {len(_text(row, column))} 个"
    for column in ("别名", "标签"):
        if any(len(word) > LONGEST_WORD for word in _words(row, column)):
            return f"「{column}」里每一项最多 {LONGEST_WORD} 个字"
    return None


def parse_row(number: int, row: Mapping[str, object], roster: Roster | None = None) -> RosterEntry | str:
    """An entry, or the Chinese reason (with the row number) why the row cannot be one (its 单位
    and 群 checked against ``roster``'s, when given)."""
    member_id, name, role_word = _text(row, "编号"), _text(row, "姓名"), _text(row, "角色")
    department, enterprise = _text(row, "部门") or None, _text(row, "企业") or None
    role = ROLE_WORDS.get(role_word)
    problem = (
        "编号为空"
        if not member_id
        else f"编号超过 {MAX_ID} 个字符"
        if len(member_id) > MAX_ID
        else "编号不能含空格"
        if " " in member_id
        else "姓名为空"
        if not name
        else f"角色「{role_word}」不认识，应为 企业/部门/领导/营商办"
        if role is None
        else "部门成员要填「部门」"
        if role is Role.HANDLER and not department
        else "企业成员要填「企业」"
        if role is Role.ENTERPRISE and not enterprise
        else _too_long(row) or (_place_problem(row, roster) if roster is not None else None)
    )
    if problem is not None or role is None:
        return f"第{number}行：{problem}"
    entry = RosterEntry(
        member_id,
        name,
        role,
        department if role is Role.HANDLER else None,
        enterprise if role is Role.ENTERPRISE else None,
        _words(row, "别名"),
        unit=_text(row, "单位") or None,
        rooms=_room_ids(row, roster) if roster is not None else (),
    )
    if role is not Role.ENTERPRISE:
        return entry
    return replace(
        entry,
        industry=_text(row, "行业") or None,
        scale=_text(row, "规模") or None,
        district=_text(row, "区县") or None,
        tags=_words(row, "标签"),
    )


def _place_problem(row: Mapping[str, object], roster: Roster) -> str | None:
    """What is wrong with a row's 单位, 上级单位 and 群 (they name what the config has)."""
    unit, parent = _text(row, "单位"), _text(row, "上级单位")
    if unit and roster.unit(unit) is None:
        known = "、".join(u.name for u in roster.units)
        return f"单位「{unit}」不在配置里" + (f"（有：{known}）" if known else "（配置里没有 [[units]]）")
    if parent and (not unit or (roster.unit(unit) or Unit("")).parent != parent):
        return f"上级单位「{parent}」与配置不符（{unit or '未填单位'}的上级是{_parent_of(roster, unit)}）"
    for word in _words(row, "群"):
        if _room_id(word, roster) is None:
            return f"群「{word}」不在配置里"
    return None


def _parent_of(roster: Roster, unit: str) -> str:
    found = roster.unit(unit)
    return (found.parent or "（最上一级）") if found else "（不明）"


def _room_id(word: str, roster: Roster) -> str | None:
    return next((r.id for r in roster.rooms if word in (r.id, r.name)), None)


def _room_ids(row: Mapping[str, object], roster: Roster) -> tuple[str, ...]:
    return tuple(i for w in _words(row, "群") if (i := _room_id(w, roster)) is not None)


def parse_rows(
    rows: Iterable[tuple[int, Mapping[str, object]]], roster: Roster | None = None
) -> tuple[list[RosterEntry], list[str]]:
    """(entries, errors): every row checked; a duplicate 编号 is an error at its second row."""
    entries: list[RosterEntry] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for number, row in rows:
        if not any(_text(row, k) for k in HEADER):
            continue  # a blank line
        parsed = parse_row(number, row, roster)
        if isinstance(parsed, str):
            errors.append(parsed)
        elif parsed.member_id in seen:
            errors.append(f"第{number}行：编号 {parsed.member_id} 与第{seen[parsed.member_id]}行重复")
        else:
            seen[parsed.member_id] = number
            entries.append(parsed)
    return entries, errors


def merged(base: Roster, entries: Sequence[RosterEntry]) -> Roster:
    """``base`` with the entries in: members replaced or added, departments and enterprises created."""
    departments = {d.name: d for d in base.departments}
    enterprises = {x.name: x for x in base.enterprises}
    members = {m.id: m for m in base.members}
    for e in entries:
        dept = base.department(e.department) if e.department else None
        dept_name = dept.name if dept else e.department
        firm = base.enterprise(e.enterprise)
        if e.enterprise:
            name = firm.name if firm else e.enterprise
            enterprises[name] = replace(enterprises.get(name) or Enterprise(name=name), **e.firm_attributes)
        before = members.get(e.member_id)
        members[e.member_id] = Member(
            e.member_id,
            e.name,
            e.role,
            dept_name,
            firm.name if firm else e.enterprise,
            e.aliases,
            e.rooms or (before.rooms if before else ()),
            e.unit or (before.unit if before else None)
            if e.role in (Role.LEADER, Role.COORDINATOR)
            else None,
        )
        for name, d in list(departments.items()):  # a member who moved leaves their old department
            if e.member_id in d.handlers and name != dept_name:
                departments[name] = replace(d, handlers=tuple(h for h in d.handlers if h != e.member_id))
        if dept_name:
            d = departments.get(dept_name) or Department(name=dept_name, unit=e.unit)
            if e.member_id not in d.handlers:
                d = replace(d, handlers=(*d.handlers, e.member_id))
            departments[dept_name] = d
    return replace(
        base,
        members=tuple(members.values()),
        departments=tuple(departments.values()),
        enterprises=tuple(enterprises.values()),
    )


@dataclass(frozen=True)
class Changed:
    """What an import changes for one member: a field's value before and after (None: the member is new)."""

    member_id: str
    name: str
    field: str  # "role", "department", "enterprise", "name"; "" for a new member
    before: str | None
    after: str | None


def changes(current: Roster, entries: Sequence[RosterEntry]) -> list[Changed]:
    """Every role, department, enterprise and name an import changes, and every member it adds."""
    found: list[Changed] = []
    for e in entries:
        known = current.member(e.member_id)
        if known is None:
            found.append(Changed(e.member_id, e.name, "", None, e.role))
            continue
        for field_name, before, after in (
            ("role", known.role, e.role),
            ("department", known.department, e.department),
            ("enterprise", known.enterprise, e.enterprise),
            ("name", known.name, e.name),
        ):
            if before != after:
                found.append(Changed(e.member_id, e.name, field_name, before, after))
    return found
