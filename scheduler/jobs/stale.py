"""Digests and broadcasts that could not go out the day they were made (the account's budget was
spent, the gateway was down) are given up, never sent as a flood the next day; answers and
reminders always go (a waiting reminder is joined by the next, ``common.post``)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from scheduler.deps import Deps
from storage.domain import Priority

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(hours=12)


async def expire_stale(deps: Deps, now: datetime) -> int:
    """Give up what waited longer than ``STALE_AFTER``; how many (an idempotent UPDATE: two
    processes running it at once do no harm)."""
    async with deps.uow() as uow:
        given_up = await uow.outbox.expire(now - STALE_AFTER, Priority.DIGEST, now)
        await uow.commit()
    if given_up:
        log.warning("outbox: %d digests or broadcasts not sent within %s, given up", given_up, STALE_AFTER)
    return given_up
