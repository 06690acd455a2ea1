"""Who is who and what goes where: the roster and taxonomy the workflow reads.

These are plain frozen values; ``bot.config`` builds them from the TOML file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.domain import Role


@dataclass(frozen=True)
class Room:
    id: str
    name: str


@dataclass(frozen=True)
class Member:
    id: str
    name: str
    role: Role
    department: str | None = None  # department name, for handlers (and leaders in charge of one)
    enterprise: str | None = None  # enterprise name, for enterprise members
    aliases: tuple[str, ...] = ()
    rooms: tuple[str, ...] = ()  # empty = every configured room


@dataclass(frozen=True)
class Department:
    name: str
    aliases: tuple[str, ...] = ()
    handlers: tuple[str, ...] = ()  # member ids, first is the head
    leader: str | None = None  # member id of the 分管领导 in charge


@dataclass(frozen=True)
class Enterprise:
    name: str
    short: str | None = None
    tags: tuple[str, ...] = ()  # 专精特新, 高新 …
    liaison: str | None = None  # member id of the 包联干部 / 服务专员
    industry: str | None = None  # 电子信息, 食品 …
    scale: str | None = None  # 规上 | 中小 | 小微 …
    district: str | None = None  # 涪城区, 三台县 …

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

    # --- departments ---------------------------------------------------------
    def department(self, name: str) -> Department | None:
        """Find a department by its name or any alias (exact match after trimming)."""
        wanted = name.strip().lstrip("@")
        for dept in self.departments:
            if wanted == dept.name or wanted in dept.aliases:
                return dept
        return None

    def department_mentioned(self, text: str) -> Department | None:
        """The department whose name or alias appears in free text, longest match first."""
        best: tuple[int, Department] | None = None
        for dept in self.departments:
            for label in (dept.name, *dept.aliases):
                if len(label) >= 2 and label in text and (best is None or len(label) > best[0]):
                    best = (len(label), dept)
        return best[1] if best else None

    def handlers_of(self, department: str | None) -> tuple[str, ...]:
        dept = self.department(department) if department else None
        return dept.handlers if dept else ()

    def route(self, category: str, text: str) -> str | None:
        """The department for an appeal: one named in the text wins over the category's default."""
        named = self.department_mentioned(text)
        if named is not None:
            return named.name
        configured = self.category(category)
        return configured.department if configured else None

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
