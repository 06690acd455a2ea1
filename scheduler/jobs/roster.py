"""A 花名册 imported elsewhere (the CLI, another bot process) takes effect here on the next tick."""

from __future__ import annotations

from datetime import datetime

from scheduler.deps import Deps


async def refresh(deps: Deps, now: datetime) -> bool:
    """True when the roster changed (one small query when it did not)."""
    return await deps.roster.refresh(deps.uow) if deps.roster is not None else False
