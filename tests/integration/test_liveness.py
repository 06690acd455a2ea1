"""A bot process killed while it holds leases: PostgreSQL drops its lock with its connection, and
another process hands its leased messages back at once (not after the 60 s lease), so they go out
within seconds; a live process's leases are never touched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.outbox import LEASE, LeaseReaper
from handlers.clock import ForwardClock
from storage.db import create_engine, session_factory
from storage.domain import Priority
from storage.liveness import Liveness
from storage.uow import UnitOfWorkFactory

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


async def test_a_dead_processs_leases_are_handed_back_and_a_live_ones_kept(pg_url: str) -> None:
    first, second = create_engine(pg_url), create_engine(pg_url)
    uow = UnitOfWorkFactory(session_factory(second))
    a, b = Liveness(first, "host:1:aaaa"), Liveness(second, "host:2:bbbb")
    await a.hold()
    await b.hold()
    try:
        async with uow() as u:
            for i in range(3):
                u.outbox.add(
                    text=f"已受理 #{i}",
                    room_id="r",
                    to_id=None,
                    mentions=(),
                    at=NOW,
                    priority=Priority.ANSWER,
                )
            await u.commit()
        async with uow() as u:  # process a leases them all
            for row in await u.outbox.claim_due(NOW, 10):
                row.not_before, row.leased_by = NOW + LEASE, a.holder
            await u.commit()
        reaper = LeaseReaper(uow, ForwardClock(NOW + timedelta(seconds=2)), b, every=1.0)
        assert await reaper.reap() == 0  # a is alive: its leases stand
        assert await b.dead([a.holder, b.holder]) == []
        await a.release()  # a dies: its connection, and its lock with it, are gone
        assert await b.dead([a.holder]) == [a.holder]
        assert await reaper.reap() == 3
        async with uow() as u:
            assert len(await u.outbox.claim_due(NOW + timedelta(seconds=2), 10)) == 3  # due again, for b
    finally:
        await a.release()
        await b.release()
        await first.dispose()
        await second.dispose()
