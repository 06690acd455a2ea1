"""Who is who and what goes where: the roster and taxonomy the workflow reads.

These are plain frozen values; ``bot.config`` builds them from the TOML file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from storage.domain import Role


@dataclass(frozen=True)
class Room:
    id: str
    name: str


@dataclass(frozen=True)
class Unit:
    """A level of government (市, 县区, 乡镇·园区 …) with its groups; ``parent`` None: the top."""

    name: str
    parent: str | None = None
    level: str = ""  # the config's word for its level
    rooms: tuple[str, ...] = ()


ROOT = ""  # the one unit of a config without [[units]]
_UNIT_SPLIT = re.compile(r"[\s、，,；;]+")


@dataclass(frozen=True)
class Member:
    id: str
    name: str
    role: Role
    department: str | None = None  # department name, for handlers (and leaders in charge of one)
    enterprise: str | None = None  # enterprise name, for enterprise members
    aliases: tuple[str, ...] = ()
    rooms: tuple[str, ...] = ()  # empty = every configured room
    unit: str | None = None  # a leader's or 营商办's unit (a handler's is its department's); None: the top


@dataclass(frozen=True)
class Department:
    name: str
    aliases: tuple[str, ...] = ()
    handlers: tuple[str, ...] = ()  # member ids, first is the head
    leader: str | None = None  # member id of the 分管领导 in charge
    unit: str | None = None  # the unit it belongs to; None: the top

    def words(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Enterprise:
    name: str
    short: str | None = None
    tags: tuple[str, ...] = ()  # 专精特新, 高新 …
    liaison: str | None = None  # member id of the 包联干部 / 服务专员
    industry: str | None = None  # 电子信息, 食品 …
    scale: str | None = None  # 规上 | 中小 | 小微 …
    district: str | None = None  # 涪城区, 三台县 …
    unit: str | None = None  # the unit it belongs to; None: the top

    @property
    def label(self) -> str:
        return self.short or self.name

    def words(self) -> set[str]:
        """Every attribute word a condition or a notice's 对象 may name."""
        return {w for w in (*self.tags, self.industry, self.scale, self.district) if w}


@dataclass(frozen=True)
class Fit:
    """Conditions on an enterprise's attributes (a policy's 适用对象): each non-empty list must
    contain the enterprise's value; an empty list accepts any."""

    industries: tuple[str, ...] = ()
    scales: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()  # any one of them, matched against every attribute word
    districts: tuple[str, ...] = ()

    def fits(self, e: Enterprise) -> bool:
        words = e.words()
        return (
            (not self.industries or e.industry in self.industries)
            and (not self.scales or bool(set(self.scales) & words))  # 规上 as a scale or an old tag
            and (not self.tags or bool(set(self.tags) & words))
            and (not self.districts or e.district in self.districts)
        )

    @property
    def label(self) -> str:
        """「规上；专精特新/高新；涪城区」, or 「全体企业」."""
        parts = ["/".join(p) for p in (self.industries, self.scales, self.tags, self.districts) if p]
        return "；".join(parts) or "全体企业"


@dataclass(frozen=True)
class Category:
    name: str
    keywords: tuple[str, ...] = ()
    department: str | None = None
    claim_hours: float = 8.0  # working hours to claim
    resolve_days: float = 7.0  # working days to resolve


@dataclass(eq=False)
class Roster:
    """Who is in the groups. The one object that changes after start-up: a 花名册 import replaces its
    members, departments and enterprises in place (``adopt``), so every part of the bot, which holds
    this one roster, sees the new one at once. Nothing else assigns to it."""

    bot_id: str
    bot_name: str
    bot_aliases: tuple[str, ...]
    rooms: tuple[Room, ...]
    members: tuple[Member, ...]
    departments: tuple[Department, ...]
    enterprises: tuple[Enterprise, ...]
    categories: tuple[Category, ...]
    units: tuple[Unit, ...] = ()  # [[units]]; none: one unit, ROOT
    # Not an init field: every copy (dataclasses.replace) builds its own index of its own members.
    _by_id: dict[str, Member] = field(default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id.update({m.id: m for m in self.members})

    def adopt(self, other: Roster) -> None:
        """Take ``other``'s members, departments and enterprises in place (a 花名册 import at run
        time): every part of the bot holds this one roster, so all see the new roster at once.
        Rooms, categories and the bot's own identity stay as configured."""
        self.members, self.departments, self.enterprises = other.members, other.departments, other.enterprises
        self._by_id.clear()
        self._by_id.update({m.id: m for m in self.members})

    # --- members -------------------------------------------------------------
    def member(self, member_id: str) -> Member | None:
        return self._by_id.get(member_id)

    def members_in(self, room_id: str) -> list[Member]:
        return [m for m in self.members if not m.rooms or room_id in m.rooms]

    def with_role(self, role: Role) -> list[Member]:
        return [m for m in self.members if m.role is role]

    # --- rooms ---------------------------------------------------------------
    def room(self, room_id: str) -> Room | None:
        return next((r for r in self.rooms if r.id == room_id), None)

    # --- units ----------------------------------------------------------------
    @property
    def root(self) -> str:
        return next((u.name for u in self.units if u.parent is None), ROOT)

    def unit(self, name: str | None) -> Unit | None:
        return next((u for u in self.units if u.name == name), None)

    def group_of(self, unit: str) -> str | None:
        """The unit's (first) group, where its tickets are announced; None: it has none."""
        found = self.unit(unit)
        return found.rooms[0] if found is not None and found.rooms else None

    def unit_of_room(self, room_id: str | None) -> str:
        return next((u.name for u in self.units if room_id in u.rooms), self.root)

    def chain(self, unit: str | None) -> list[str]:
        """``unit`` and the units above it, up to the top."""
        found: list[str] = []
        name: str | None = unit if unit is not None else self.root
        while name is not None and name not in found:
            found.append(name)
            above = self.unit(name)
            name = above.parent if above is not None else None
        return found

    def subtree(self, unit: str) -> frozenset[str]:
        """``unit`` and every unit below it."""
        return frozenset(u.name for u in self.units if self.within(u.name, unit)) | {unit}

    def below(self, unit: str) -> list[str]:
        """The units directly below ``unit``."""
        return [u.name for u in self.units if u.parent == unit]

    def units_named(self, text: str, under: str) -> tuple[list[str], str | None]:
        """The units below ``under`` that ``text`` names — names (``涪城区 三台县``), ``各县区`` (the
        units directly below of that level), ``各下级`` or nothing (all directly below) — and the
        first word that names no unit below it (None when all did)."""
        found: list[str] = []
        below = [u for u in self.units if u.parent == under]
        for word in _UNIT_SPLIT.split(text.strip()):
            if not word:
                continue
            if word.startswith("各") or word in ("全部", "所有", "下级", "所有下级"):
                kind = word.removeprefix("各")
                level = [u for u in below if u.level and (kind in u.level or u.level in kind)]
                found += [u.name for u in (level or below)]
                continue
            named = [u.name for u in self.units if u.name != under and self.within(u.name, under)]
            match = [n for n in named if n == word] or [
                n for n in named if len(word) >= 2 and n.startswith(word)
            ]
            if len(match) != 1:
                return found, word
            found.append(match[0])
        return list(dict.fromkeys(found or [u.name for u in below])), None

    def within(self, unit: str | None, top: str | None) -> bool:
        """Whether ``unit`` is ``top`` or below it (本级及下级); None is the top unit."""
        return (top if top is not None else self.root) in self.chain(unit)

    def unit_of(self, member: Member) -> str:
        """A member's unit: its own, else its department's, else the top."""
        return member.unit if member.unit is not None else self.unit_of_department(member.department)

    def oversees(self, member: Member) -> frozenset[str] | None:
        """The units a leader or 营商办 below the top oversees (theirs and those below it); None:
        every ticket (the top's, or one unit) — or, for anyone else, no unit limits them."""
        unit = self.unit_of(member)
        overseer = member.role in (Role.LEADER, Role.COORDINATOR)
        return self.subtree(unit) if overseer and unit != self.root else None

    def chosen(self, member: Member | None, wanted: str) -> frozenset[str] | str | None:
        """The units a page or list shows for ``wanted`` (a unit filter: it and those below it) —
        never beyond what ``member`` oversees (None: anyone, 公示); without a filter, their own
        scope. A string: the Chinese answer when ``wanted`` is no unit of theirs."""
        scope = self.oversees(member) if member is not None else None
        if not wanted:
            return scope
        if self.unit(wanted) is None or (scope is not None and wanted not in scope):
            return f"没有「{wanted}」这个单位，或它不在您所在单位及下级单位"
        return self.subtree(wanted)

    def units_seen(self, member: Member | None) -> list[str]:
        """The units a member may choose in a unit filter (None: anyone, every unit)."""
        scope = self.oversees(member) if member is not None else None
        return [u.name for u in self.units if scope is None or u.name in scope]

    def department_within(self, department: str, units: frozenset[str] | None) -> bool:
        """Whether ``department`` belongs to one of ``units`` (None: every unit)."""
        return units is None or self.unit_of_department(department) in units

    def nearest(self, role: Role, unit: str) -> list[str]:
        """Members of ``role`` in ``unit``, else in the nearest unit above with any (one unit: all)."""
        everyone = self.with_role(role)
        for level in self.chain(unit):
            found = [m.id for m in everyone if self.unit_of(m) == level]
            if found:
                return found
        return [m.id for m in everyone]

    def unit_of_department(self, name: str | None) -> str:
        dept = self.department(name) if name else None
        return dept.unit if dept is not None and dept.unit is not None else self.root

    # --- departments ---------------------------------------------------------
    def department(self, name: str, unit: str | None = None) -> Department | None:
        """Find a department by its name or any alias (exact match after trimming): in ``unit``
        and the units above it first (the nearest wins), then anywhere."""
        wanted = name.strip().lstrip("@")
        for level in self._levels(unit):
            for dept in level:
                if wanted in dept.words():
                    return dept
        return self._qualified(wanted.replace(" ", ""))

    def labels(self) -> list[str]:
        """Every word naming a department, its unit's name before it too (``兰考县商务局``)."""
        return [
            f"{unit}{word}"
            for dept in self.departments
            for word in dept.words()
            for unit in ("", *([dept.unit] if dept.unit else []))
        ]

    def _qualified(self, wanted: str) -> Department | None:
        """``兰考县商务局`` or ``兰考县 商务局``: a unit's name, then a word of one of its own departments."""
        for unit in sorted(self.units, key=lambda u: len(u.name), reverse=True):
            rest = wanted.removeprefix(unit.name)
            if rest != wanted and len(rest) >= 2:
                own = (d for d in self.departments if (d.unit or self.root) == unit.name)
                return next((d for d in own if rest in d.words()), None)
        return None

    def _levels(self, unit: str | None) -> list[list[Department]]:
        """The departments of ``unit``, of each unit above it, then all (None: all only)."""
        levels = [[d for d in self.departments if (d.unit or self.root) == u] for u in self.chain(unit)]
        return [*levels, list(self.departments)] if unit is not None else [list(self.departments)]

    def department_mentioned(self, text: str, unit: str | None = None) -> Department | None:
        """The department whose name or alias appears in free text, longest match first, in
        ``unit`` and the units above it first."""
        for level in self._levels(unit):
            best: tuple[int, Department] | None = None
            for dept in level:
                for label in dept.words():
                    if len(label) >= 2 and label in text and (best is None or len(label) > best[0]):
                        best = (len(label), dept)
            if best is not None:
                return best[1]
        return None

    def counterpart(self, department: str | None, unit: str) -> Department | None:
        """The department of ``unit`` (or the nearest unit above with one) doing what
        ``department`` does: the same name or one of its words."""
        dept = self.department(department) if department else None
        if dept is None:
            return None
        words = set(dept.words())
        for level in self._levels(unit)[:-1]:
            for other in level:
                if words & set(other.words()):
                    return other
        return None

    def own_counterpart(self, department: str | None, unit: str) -> str | None:
        """``unit``'s own department doing what ``department`` does; None when only a unit above
        has one (then the unit's 营商办 is to find who does it)."""
        dept = self.counterpart(department, unit)
        return dept.name if dept is not None and self.unit_of_department(dept.name) == unit else None

    def handlers_of(self, department: str | None) -> tuple[str, ...]:
        dept = self.department(department) if department else None
        return dept.handlers if dept else ()

    def route(self, category: str, text: str, room_id: str | None = None) -> str | None:
        """The department for an appeal: one named in the text wins over the category's default;
        in a county's or park's group, that unit's own department for it (or the nearest above)."""
        unit = self.unit_of_room(room_id)
        named = self.department_mentioned(text, unit)
        if named is not None:
            return named.name
        configured = self.category(category)
        if configured is None or configured.department is None:
            return None
        local = self.counterpart(configured.department, unit)
        return local.name if local is not None else configured.department

    # --- enterprises and categories -------------------------------------------
    def enterprise(self, name: str | None) -> Enterprise | None:
        if not name:
            return None
        return next((e for e in self.enterprises if name in (e.name, e.short)), None)

    def enterprises_in(self, room_id: str) -> list[Enterprise]:
        """Enterprises with at least one member in the room, in roster order."""
        present = {m.enterprise for m in self.members_in(room_id) if m.enterprise}
        return [e for e in self.enterprises if e.name in present]

    def contacts(self, enterprise: str, room_id: str | None = None) -> list[Member]:
        """An enterprise's members (in the room, when given): the first is who the bot @s."""
        people = self.members_in(room_id) if room_id else self.members
        return [m for m in people if m.enterprise == enterprise and m.role is Role.ENTERPRISE]

    def first_contacts(self, room_id: str) -> dict[str, str]:
        """Enterprise → the member the bot @s for it in the room (``contacts``' first), for every
        enterprise with a member there, in one pass over the room's members."""
        found: dict[str, str] = {}
        for m in self.members_in(room_id):
            if m.role is Role.ENTERPRISE and m.enterprise:
                found.setdefault(m.enterprise, m.id)
        return found

    def category(self, name: str) -> Category | None:
        wanted = name.strip()
        return next((c for c in self.categories if c.name == wanted), None)

    @property
    def category_names(self) -> list[str]:
        return [c.name for c in self.categories]
