"""Levels at a city's size (issue 24): 1,000,000 tickets in PostgreSQL, the generated city (50
groups, 5,000 enterprises) once flat and once in levels (city → 9 counties → 40 parks), in the same
run. For each: the 台账's first page over HTTP through a real ``zhuqi run`` — a county leader's
(their county and its parks: the scoped SQL) beside a city leader's in the flat config — and the
daily digest job (on the database; flat: one digest for every leader; in levels: one per unit with
leaders, the city's with a row per county, each county's with a row per park), each as median and
p95, and the ratio levels / flat.

``ZHUQI_BENCH_TICKETS`` changes the 1,000,000.
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from sqlalchemy import text

from bot.config import load_config
from bot.web.workbench.auth import hash_password
from handlers.clock import TZ, ForwardClock
from handlers.context import Services
from scheduler.deps import Deps
from scheduler.jobs.digests import daily_digest
from storage.db import open_database, session_factory
from storage.domain import Role
from storage.uow import UnitOfWorkFactory
from tests.bench_http import pg_database
from tests.bench_ledger import DAYS, FILL
from tests.support.city import city_config
from tests.support.keyword_classifier import KeywordClassifier
from tests.support.server import Server

PASSWORD = "bench password 1"
RUNS = 20
READER = {"flat": "ld_chen", "levels": "ld_u001"}  # the city's mayor; 涪城区's head in levels


def _fill(units: list[tuple[str, str]] | None) -> str:
    """The ledger bench's tickets; in levels each raised in one of the 50 units in turn, one in 20
    gone up a level (its unit the parent, its origin where it was raised)."""
    if units is None:
        return FILL
    names = "ARRAY[" + ",".join(f"'{n}'" for n, _ in units) + "]"
    parents = "ARRAY[" + ",".join(f"'{p}'" for _, p in units) + "]"
    pick = (
        f"(1 + (g / 7) % {len(units)})"  # not g % 50: with the age g % 1000, a unit would hold only some ages
    )
    sql = FILL.replace("claim_due, resolve_due)", "claim_due, resolve_due, unit, origin_unit)")
    return sql.replace(
        "interval '5 days'\nFROM",
        f"interval '5 days',\n  CASE WHEN g % 20 = 0 THEN ({parents})[{pick}] ELSE ({names})[{pick}] END,"
        f" ({names})[{pick}]\nFROM",
    )


async def _prepare(url: str, n: int, units: list[tuple[str, str]] | None) -> None:
    engine = await open_database(url)  # the migrations
    await engine.dispose()
    conn = await asyncpg.connect(url)
    try:
        started = time.perf_counter()
        await conn.execute(_fill(units).format(n=n, days=DAYS))
        await conn.execute("ANALYZE issues")
        print(f"    {n:,} tickets written in {time.perf_counter() - started:.0f} s")
    finally:
        await conn.close()


async def _sign_up(url: str, reader: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "INSERT INTO accounts (member_id, password_hash, updated_at) VALUES ($1, $2, $3)"
            " ON CONFLICT (member_id) DO UPDATE SET password_hash = $2",
            reader, hash_password(PASSWORD), datetime.now(UTC),
        )  # fmt: skip
    finally:
        await conn.close()


def _spread(times: list[float]) -> tuple[float, float]:
    """(median, p95) in milliseconds."""
    return statistics.median(times), statistics.quantiles(times, n=20)[-1]


async def _pages(server: Server, reader: str) -> tuple[float, float, int]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:  # 127.0.0.1
        page = await (await session.get(server.url + "/app/login")).text()
        token = re.search(r'name="csrf" value="([^"]+)"', page)
        assert token
        form = {"member_id": reader, "password": PASSWORD, "csrf": token.group(1)}
        async with session.post(server.url + "/app/login", data=form) as r:
            assert r.status == 200 and "台账" in await r.text(), r.status
        times, rows = [], 0
        for _ in range(RUNS + 2):
            started = time.perf_counter()
            async with session.get(server.url + "/app/issues") as r:
                body = await r.text()
                assert r.status == 200
            times.append((time.perf_counter() - started) * 1000)
            rows = body.count("<tr") - 1
        return (*_spread(times[2:]), rows)  # the first two warm the caches


async def _digests(url: str, config_path: Path, top_only: bool = False) -> tuple[float, float, int]:
    """The daily digest job, run ``RUNS`` times on the database (its day's mark removed between);
    ``top_only``: with the leaders below the top left out, the city leader's digest alone."""
    config = load_config(config_path, env={})
    engine = await open_database(url)
    uow = UnitOfWorkFactory(session_factory(engine))
    roster = config.roster
    if top_only:
        below = {m.id for m in roster.with_role(Role.LEADER) if roster.unit_of(m) != roster.root}
        roster = replace(roster, members=tuple(m for m in roster.members if m.id not in below))
    services = Services(roster=roster, classifier=KeywordClassifier(roster), settings=config.settings)
    now = datetime.now(TZ).replace(hour=9, minute=0, second=0, microsecond=0)
    while now.weekday() >= 5:
        now -= timedelta(days=1)
    deps = Deps.build(uow, services, ForwardClock(now), config.schedule)
    times, sent = [], 0
    try:
        for _ in range(RUNS + 1):
            async with uow() as u:
                for statement in _SQL_CLEAR:
                    await u.session.execute(statement)
                await u.commit()
            started = time.perf_counter()
            assert await daily_digest(deps, now)
            times.append((time.perf_counter() - started) * 1000)
        async with uow() as u:
            sent = int((await u.session.execute(_SQL_SENT)).scalar_one())
    finally:
        await engine.dispose()
    return (*_spread(times[1:]), sent)


_SQL_CLEAR = (text("DELETE FROM job_marks"), text("DELETE FROM outbox"))
_SQL_SENT = text("SELECT count(*) FROM outbox")


def _variant(name: str, n: int) -> dict[str, Any]:
    levels = name == "levels"
    with pg_database() as url, tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.toml"
        path.write_text(city_config(units=levels), encoding="utf-8")
        roster = load_config(path, env={}).roster
        units = [(u.name, u.parent or u.name) for u in roster.units] if levels else None
        print(f"  {name}: {len(roster.units) or 1} unit(s), {len(roster.members):,} members")
        asyncio.run(_prepare(url, n, units))
        server = Server(url, Path(tmp))
        server.start()
        try:
            asyncio.run(server.healthy())
            asyncio.run(_sign_up(url, READER[name]))
            page = asyncio.run(_pages(server, READER[name]))
        finally:
            server.stop()
        digest = asyncio.run(_digests(url, path))
        city = asyncio.run(_digests(url, path, top_only=True))
    return {"page": page, "digest": digest, "city": city}


def run() -> None:
    n = int(os.environ.get("ZHUQI_BENCH_TICKETS", "1000000"))
    print(f"levels bench: {n:,} tickets on PostgreSQL, the generated city flat and in levels")
    found = {name: _variant(name, n) for name in ("flat", "levels")}
    flat, levels = found["flat"], found["levels"]
    print(f"  {'':44}{'median ms':>10}{'p95 ms':>9}")
    rows: list[tuple[str, tuple[float, float, int]]] = [
        ("台账 first page, city leader, flat", flat["page"]),
        ("台账 first page, county leader (涪城区), levels", levels["page"]),
        ("daily digest job, flat (one digest)", flat["digest"]),
        ("daily digest job, levels (a digest per unit)", levels["digest"]),
        ("city leader's digest alone, levels", levels["city"]),
    ]
    for label, (median, p95, count) in rows:
        print(f"  {label:44}{median:10.1f}{p95:9.1f}   ({count} {'rows' if '台账' in label else 'messages'})")
    for what, against in (("page", "page"), ("digest", "digest"), ("city", "digest")):
        m, p = levels[what][0] / flat[against][0], levels[what][1] / flat[against][1]
        print(f"  ratio levels / flat, {what}: median {m:.2f}×, p95 {p:.2f}× (goal ≤ 1.5× for the page)")


if __name__ == "__main__":
    run()
