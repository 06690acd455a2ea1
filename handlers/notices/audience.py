"""A notice's 对象: who must answer, as units that each count once.

「全体」/「各企业」 (the default) is every enterprise in the group; 「各部门」 every department in it;
「全体成员」 everyone on the roster in it; a department's name is that department's people; any other
word is an enterprise attribute (专精特新, 规上, 电子信息, 涪城区 …). Several words (、，or space) join.
The audience is read against the roster each time, so an enterprise added mid-notice is in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.roster.model import Member, Roster
from storage.domain import Role

ALL_ENTERPRISES = ("全体", "全体企业", "各企业", "所有企业", "企业")
ALL_DEPARTMENTS = ("各部门", "全体部门", "所有部门", "部门")
EVERYONE = ("全体成员", "所有人", "大家")
_SPLIT = re.compile(r"[、，,；;\s/和及]+")


@dataclass(frozen=True)
class Unit:
    """One who answers: an enterprise (any of its people answers for it), a department or a member."""

    key: str  # ent:<name> | dept:<name> | member:<id>
    name: str  # as shown: 华科电子, 人社局, 王科长
    contact: str | None  # the member @-ed when it has not answered


def words_of(spec: str) -> list[str]:
    return [w for w in _SPLIT.split(spec.strip()) if w] or ["全体企业"]


def unknown_words(spec: str, roster: Roster) -> list[str]:
    """Words that name nothing: no department, no attribute any enterprise has."""
    known = {w for e in roster.enterprises for w in e.words()}
    plain = (*ALL_ENTERPRISES, *ALL_DEPARTMENTS, *EVERYONE)
    return [w for w in words_of(spec) if w not in plain and w not in known and roster.department(w) is None]


def units(spec: str, roster: Roster, room_id: str, poster_id: str) -> list[Unit]:
    """Every unit the 对象 names among the room's people, in roster order, each once."""
    found: dict[str, Unit] = {}
    for word in words_of(spec):
        for unit in _units_for(word, roster, room_id):
            if unit.contact != poster_id or unit.key.startswith("ent:"):
                found.setdefault(unit.key, unit)
    return list(found.values())


def _units_for(word: str, d: Roster, room_id: str) -> list[Unit]:
    people = [m for m in d.members_in(room_id) if m.id != d.bot_id]
    if word in EVERYONE:
        return [_member_unit(m) for m in people]
    if word in ALL_DEPARTMENTS:
        return [
            Unit(f"dept:{x.name}", x.aliases[0] if x.aliases else x.name, _head(x.handlers, people))
            for x in d.departments
            if _head(x.handlers, people)
        ]
    dept = None if word in ALL_ENTERPRISES else d.department(word)
    if dept is not None:
        return [_member_unit(m) for m in people if m.id in dept.handlers]
    firms = [e for e in d.enterprises_in(room_id) if word in ALL_ENTERPRISES or word in e.words()]
    return [Unit(f"ent:{e.name}", e.label, _first(d.contacts(e.name, room_id))) for e in firms]


def _member_unit(m: Member) -> Unit:
    return Unit(f"member:{m.id}", m.name, m.id)


def _head(handlers: tuple[str, ...], people: list[Member]) -> str | None:
    present = {m.id for m in people}
    return next((h for h in handlers if h in present), None)


def _first(members: list[Member]) -> str | None:
    return members[0].id if members else None


def unit_of(member: Member, audience: list[Unit]) -> Unit | None:
    """The unit a member answers for: their enterprise, their department, or themselves."""
    keys = {u.key: u for u in audience}
    candidates = [f"member:{member.id}"]
    if member.enterprise and member.role is Role.ENTERPRISE:
        candidates.insert(0, f"ent:{member.enterprise}")
    if member.department:
        candidates.append(f"dept:{member.department}")
    return next((keys[k] for k in candidates if k in keys), None)
