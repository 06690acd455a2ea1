"""The running bot's roster: the configured one plus every imported 花名册 member, refreshed when
an import lands (here, through the workbench or the CLI, or by another bot process)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from handlers.roster.entries import RosterEntry, merged
from handlers.roster.model import Roster
from storage.uow import UnitOfWork


class LiveRoster:
    """The running bot's roster: the configured roster plus every imported member, swapped into
    the one shared ``Roster`` whenever an import (here, or by another process or the CLI) lands."""

    def __init__(self, roster: Roster) -> None:
        self.roster = roster
        self.base = replace(roster)  # the configured roster, as the config file says
        self.version = -1
        self.listeners: list[Callable[[Roster], None]] = []  # told after a change (e.g. the gateway)

    async def refresh(self, uow_factory: Callable[[], UnitOfWork]) -> bool:
        """Apply the stored imports when there is a newer one; True when the roster changed."""
        async with uow_factory() as uow:
            version = await uow.roster_imports.version()
            if version == self.version:
                return False
            rows = await uow.roster_imports.members()
            entries = [
                RosterEntry(
                    r.member_id,
                    r.name,
                    r.role,
                    r.department,
                    r.enterprise,
                    tuple(r.aliases),
                    r.industry,
                    r.scale,
                    r.district,
                    tuple(r.tags or ()),
                    r.unit,
                    tuple(r.rooms or ()),
                )
                for r in rows
            ]
        self.roster.adopt(merged(self.base, entries))
        self.version = version
        for listener in self.listeners:
            listener(self.roster)
        return True

    async def record(
        self,
        uow_factory: Callable[[], UnitOfWork],
        entries: Sequence[RosterEntry],
        at: datetime,
        by: str,
        source: str,
        changed: Sequence[str] = (),
    ) -> None:
        """Store an import (all rows were checked), with what it changes (``changed``: the import
        record's lines, ``entries.changes`` as the caller words them), and apply it at once."""
        rows = [
            {
                "member_id": e.member_id,
                "name": e.name,
                "role": e.role,
                "department": e.department,
                "enterprise": e.enterprise,
                "aliases": list(e.aliases),
                "industry": e.industry,
                "scale": e.scale,
                "district": e.district,
                "tags": list(e.tags),
                "unit": e.unit,
                "rooms": list(e.rooms),
            }
            for e in entries
        ]
        async with uow_factory() as uow:
            await uow.roster_imports.record(rows, at, by, source, changed)
            await uow.commit()
        await self.refresh(uow_factory)
