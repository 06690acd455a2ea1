"""``make test`` on a machine without a running PostgreSQL: the tests start a throwaway one."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from tests.support import throwaway_pg

pytestmark = pytest.mark.slow


def test_a_throwaway_server_starts_answers_and_goes() -> None:
    bin_dir = throwaway_pg.binaries()
    assert bin_dir is not None, "the PostgreSQL server binaries are installed on this machine"
    server = throwaway_pg.ThrowawayPostgres(bin_dir)
    url = server.start()
    try:

        async def ask() -> int:
            conn = await asyncpg.connect(url)
            try:
                return int(await conn.fetchval("SELECT 41 + 1"))
            finally:
                await conn.close()

        assert asyncio.run(ask()) == 42
    finally:
        server.stop()
    assert not server.dir.exists()
