"""[[units]]: the levels of government a deployment serves (省 / 市 / 县区 / 乡镇·园区), each with its
groups. Departments, leaders, 营商办 and enterprises name their unit (``unit = "兰考县"``); what names
none belongs to the top unit. Without [[units]] the deployment is one unit, as before."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.config.reader import Reader
from handlers.roster.model import Roster, Unit

MOST_LEVELS = 5
UNIT_KEYS = ("name", "parent", "level", "rooms")


def parse_units(r: Reader, data: Mapping[str, Any], rooms: frozenset[str]) -> tuple[Unit, ...]:
    units = tuple(_unit(r, t, i, rooms) for i, t in enumerate(r.tables(data, "units")))
    if not units:
        return ()
    names = [u.name for u in units]
    for i, u in enumerate(units):
        if u.name in names[:i]:
            raise r.fail(f"units[{i}].name", f"duplicate {u.name!r}")
        if u.parent is not None and u.parent not in names:
            raise r.fail(f"units[{i}].parent", f"unknown unit {u.parent!r}")
    tops = [u.name for u in units if u.parent is None]
    if len(tops) != 1:
        raise r.fail(
            "units", f"exactly one unit has no parent (the top), found {len(tops)}: {', '.join(tops)}"
        )
    for i, u in enumerate(units):
        _levels_below(r, units, u, f"units[{i}]")
    _one_unit_a_room(r, units)
    return units


def _unit(r: Reader, t: Mapping[str, Any], i: int, rooms: frozenset[str]) -> Unit:
    p = f"units[{i}]."
    for key in t:
        if key not in UNIT_KEYS:
            raise r.fail(f"{p}{key}", f"unknown key; known: {', '.join(UNIT_KEYS)}")
    listed = r.strings(t, "rooms", p)
    for j, room in enumerate(listed):
        if room not in rooms:
            raise r.fail(f"{p}rooms[{j}]", f"unknown room {room!r}")
    name = r.get(t, "name", p, str)
    if not name.strip():
        raise r.fail(f"{p}name", "should not be empty")
    return Unit(name, r.get(t, "parent", p, str, None), r.get(t, "level", p, str, ""), listed)


def _levels_below(r: Reader, units: tuple[Unit, ...], unit: Unit, where: str) -> None:
    """The unit's chain up to the top: no loop, at most MOST_LEVELS long."""
    by_name = {u.name: u for u in units}
    seen, current = [unit.name], unit
    while current.parent is not None:
        if current.parent in seen:
            raise r.fail(f"{where}.parent", f"units form a loop: {' → '.join([*seen, current.parent])}")
        seen.append(current.parent)
        current = by_name[current.parent]
    if len(seen) > MOST_LEVELS:
        raise r.fail(f"{where}.parent", f"at most {MOST_LEVELS} levels: {' → '.join(seen)}")


def _one_unit_a_room(r: Reader, units: tuple[Unit, ...]) -> None:
    owner: dict[str, str] = {}
    for i, u in enumerate(units):
        for j, room in enumerate(u.rooms):
            if room in owner:
                raise r.fail(f"units[{i}].rooms[{j}]", f"{room!r} is a group of {owner[room]} already")
            owner[room] = u.name


def units_known(r: Reader, roster: Roster) -> None:
    """Every unit named by a department, member or enterprise is configured."""
    known = {u.name for u in roster.units}
    named: list[tuple[str, str | None]] = [
        *((f"departments[{i}].unit", d.unit) for i, d in enumerate(roster.departments)),
        *((f"members[{i}].unit", m.unit) for i, m in enumerate(roster.members)),
        *((f"enterprises[{i}].unit", e.unit) for i, e in enumerate(roster.enterprises)),
    ]
    for where, unit in named:
        if unit is not None and unit not in known:
            raise r.fail(where, f"unknown unit {unit!r}" + ("" if known else " (add [[units]])"))
