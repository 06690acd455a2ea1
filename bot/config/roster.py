"""The roster and taxonomy part of the config: rooms, members, departments, enterprises, categories."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot.config.reader import Reader
from bot.config.units import parse_units
from bot.config.units import units_known as _units_known
from handlers.roster.model import ROOT, Category, Department, Enterprise, Member, Room, Roster
from storage.domain import Role

ROLES = {r.value for r in Role}


def parse_roster(r: Reader, data: Mapping[str, Any]) -> Roster:
    bot = data.get("bot", {})
    if not isinstance(bot, dict):
        raise r.fail("bot", "should be a table ([bot])")
    rooms = tuple(_room(r, t, i) for i, t in enumerate(r.tables(data, "rooms")))
    if not rooms:
        raise r.fail("rooms", "at least one [[rooms]] is needed")
    departments = tuple(_department(r, t, i) for i, t in enumerate(r.tables(data, "departments")))
    enterprises = tuple(_enterprise(r, t, i) for i, t in enumerate(r.tables(data, "enterprises")))
    members = tuple(_member(r, t, i) for i, t in enumerate(r.tables(data, "members")))
    categories = tuple(_category(r, t, i) for i, t in enumerate(r.tables(data, "categories")))
    units = parse_units(r, data, frozenset(room.id for room in rooms))
    _one_department_a_word(r, departments, next((u.name for u in units if u.parent is None), ROOT))
    members, categories = _canonical(departments, enterprises, members, categories)
    roster = Roster(
        bot_id=r.get(bot, "id", "bot.", str, "zhuqi-bot"),
        bot_name=r.get(bot, "name", "bot.", str, "助企小助手"),
        bot_aliases=r.strings(bot, "aliases", "bot."),
        rooms=rooms,
        members=members,
        departments=departments,
        enterprises=enterprises,
        categories=categories,
        units=units,
    )
    _cross_check(r, roster)
    _units_known(r, roster)
    return roster


def _canonical(
    departments: tuple[Department, ...],
    enterprises: tuple[Enterprise, ...],
    members: tuple[Member, ...],
    categories: tuple[Category, ...],
) -> tuple[tuple[Member, ...], tuple[Category, ...]]:
    """Let members and categories name a department or enterprise by alias; store the full name (a
    word that departments of several units share names the top unit's, listed without a unit)."""
    names: dict[str, str] = {}
    for d in sorted(departments, key=lambda d: d.unit is not None):
        for label in d.words():
            names.setdefault(label, d.name)
    firms = {label: e.name for e in enterprises for label in (e.name, e.short) if label}
    members = tuple(
        replace(
            m,
            department=names.get(m.department, m.department) if m.department else None,
            enterprise=firms.get(m.enterprise, m.enterprise) if m.enterprise else None,
        )
        for m in members
    )
    categories = tuple(
        replace(c, department=names.get(c.department, c.department)) if c.department else c
        for c in categories
    )
    return members, categories


def _one_department_a_word(r: Reader, departments: tuple[Department, ...], root: str) -> None:
    """Within a unit, each name or alias names one department: a word two of them share would route
    a ticket to one and move members to the other. Units may share words (兰考县's 商务局 and the
    city's), each said in its own groups; a department's name is unique everywhere."""
    owner: dict[tuple[str, str], int] = {}
    names = {d.name: i for i, d in enumerate(departments)}
    for i, d in enumerate(departments):
        for j, word in enumerate(d.words()):
            where = f"departments[{i}].aliases[{j - 1}]" if j else f"departments[{i}].name"
            other = owner.get((d.unit or root, word), names.get(word, i) if j else i)
            if other != i:
                raise r.fail(
                    where, f"{word!r} already names departments[{other}] ({departments[other].name})"
                )
            owner.setdefault((d.unit or root, word), i)


def _unique(r: Reader, key: str, values: list[str]) -> None:
    seen: set[str] = set()
    for i, v in enumerate(values):
        if v in seen:
            raise r.fail(f"{key}[{i}]", f"duplicate {v!r}")
        seen.add(v)


def _room(r: Reader, t: Mapping[str, Any], i: int) -> Room:
    p = f"rooms[{i}]."
    return Room(id=r.get(t, "id", p, str), name=r.get(t, "name", p, str))


def _department(r: Reader, t: Mapping[str, Any], i: int) -> Department:
    p = f"departments[{i}]."
    return Department(
        name=r.get(t, "name", p, str),
        aliases=r.strings(t, "aliases", p),
        handlers=r.strings(t, "handlers", p),
        leader=r.get(t, "leader", p, str, None),
        unit=r.get(t, "unit", p, str, None),
    )


def _enterprise(r: Reader, t: Mapping[str, Any], i: int) -> Enterprise:
    p = f"enterprises[{i}]."
    return Enterprise(
        name=r.get(t, "name", p, str),
        short=r.get(t, "short", p, str, None),
        tags=r.strings(t, "tags", p),
        liaison=r.get(t, "liaison", p, str, None),
        industry=r.get(t, "industry", p, str, None),
        scale=r.get(t, "scale", p, str, None),
        district=r.get(t, "district", p, str, None),
        unit=r.get(t, "unit", p, str, None),
    )


def _member(r: Reader, t: Mapping[str, Any], i: int) -> Member:
    p = f"members[{i}]."
    role = r.get(t, "role", p, str)
    if role not in ROLES:
        raise r.fail(f"{p}role", f"should be one of {', '.join(sorted(ROLES))}, got {role!r}")
    return Member(
        id=r.get(t, "id", p, str),
        name=r.get(t, "name", p, str),
        role=Role(role),
        department=r.get(t, "department", p, str, None),
        enterprise=r.get(t, "enterprise", p, str, None),
        aliases=r.strings(t, "aliases", p),
        rooms=r.strings(t, "rooms", p),
        unit=r.get(t, "unit", p, str, None),
    )


def _category(r: Reader, t: Mapping[str, Any], i: int) -> Category:
    p = f"categories[{i}]."
    category = Category(
        name=r.get(t, "name", p, str),
        keywords=r.strings(t, "keywords", p),
        department=r.get(t, "department", p, str, None),
        claim_hours=r.get(t, "claim_hours", p, float, 8.0),
        resolve_days=r.get(t, "resolve_days", p, float, 7.0),
    )
    if category.claim_hours <= 0 or category.resolve_days <= 0:
        raise r.fail(f"{p}claim_hours", "claim_hours and resolve_days should be positive")
    return category


def _cross_check(r: Reader, d: Roster) -> None:
    """References between tables must point at something that exists."""
    _unique(r, "rooms", [x.id for x in d.rooms])
    _unique(r, "members", [x.id for x in d.members])
    _unique(r, "departments", [x.name for x in d.departments])
    _unique(r, "enterprises", [x.name for x in d.enterprises])
    _unique(r, "categories", [x.name for x in d.categories])
    room_ids = {x.id for x in d.rooms}
    for i, m in enumerate(d.members):
        p = f"members[{i}]."
        if m.department and d.department(m.department) is None:
            raise r.fail(f"{p}department", f"unknown department {m.department!r}")
        if m.enterprise and d.enterprise(m.enterprise) is None:
            raise r.fail(f"{p}enterprise", f"unknown enterprise {m.enterprise!r}")
        if m.role is Role.HANDLER and not m.department:
            raise r.fail(f"{p}department", "a handler needs a department")
        for j, room in enumerate(m.rooms):
            if room not in room_ids:
                raise r.fail(f"{p}rooms[{j}]", f"unknown room {room!r}")
    for i, dept in enumerate(d.departments):
        for j, h in enumerate(dept.handlers):
            if d.member(h) is None:
                raise r.fail(f"departments[{i}].handlers[{j}]", f"unknown member {h!r}")
        if dept.leader and d.member(dept.leader) is None:
            raise r.fail(f"departments[{i}].leader", f"unknown member {dept.leader!r}")
    for i, e in enumerate(d.enterprises):
        if e.liaison and d.member(e.liaison) is None:
            raise r.fail(f"enterprises[{i}].liaison", f"unknown member {e.liaison!r}")
    for i, c in enumerate(d.categories):
        if c.department and d.department(c.department) is None:
            raise r.fail(f"categories[{i}].department", f"unknown department {c.department!r}")
