"""The workbench's ledger on 1,000,000 tickets in PostgreSQL, through a real ``zhuqi run`` over HTTP.

Prints the first page, a filtered page (department + status), a page deep in the keyset, and a
100,000-row Excel export: time, and the server's peak memory during the export (VmHWM from /proc).
``ZHUQI_BENCH_TICKETS`` changes the 1,000,000.
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import asyncpg

from bot.web.workbench.auth import hash_password
from storage.db import open_database
from tests.bench_http import pg_database
from tests.support.server import Server

PASSWORD = "bench password 1"
DAYS = 1000  # tickets are spread over this many days: the last 100 days hold a tenth of them
DEPARTMENTS = [
    "国网绵阳供电公司",
    "市人力资源和社会保障局",
    "市税务局",
    "市经济和信息化局",
    "市自然资源和规划局",
]
FILL = """
INSERT INTO issues (no, room_id, status, outcome, category, original_category, department, assisting, enterprise,
  reporter_id, title, text, kind, confidence, urgent, escalation_level, reopen_count, created_at, updated_at,
  routed_at, claim_due, resolve_due)
SELECT g, 'mianyang-qiyejia@chatroom',
  (ARRAY['open','claimed','resolved','closed','closed','closed'])[1 + g % 6], NULL,
  (ARRAY['水电气暖','用工人才','税费','政策咨询','用地规划'])[1 + g % 5],
  (ARRAY['水电气暖','用工人才','税费','政策咨询','用地规划'])[1 + g % 5],
  (ARRAY['国网绵阳供电公司','市人力资源和社会保障局','市税务局','市经济和信息化局','市自然资源和规划局'])[1 + g % 5],
  '[]', '企业' || (g % 997), 'e_huake_liu', '园区停电第' || g || '次', '园区停电第' || g || '次，生产线停了半天',
  'appeal', 0.9, false, 0, 0,
  now() - ((g % {days}) || ' days')::interval, now(), now() - ((g % {days}) || ' days')::interval,
  now() - ((g % {days}) || ' days')::interval + interval '4 hours', now() - ((g % {days}) || ' days')::interval + interval '5 days'
FROM generate_series(1, {n}) AS g
"""


async def _prepare(url: str, n: int) -> None:
    engine = await open_database(url)  # the migrations
    await engine.dispose()
    conn = await asyncpg.connect(url)
    try:
        started = time.perf_counter()
        await conn.execute(FILL.format(n=n, days=DAYS))
        await conn.execute("ANALYZE issues")
        print(f"  {n:,} tickets written in {time.perf_counter() - started:.0f} s")
    finally:
        await conn.close()


async def _sign_up(url: str) -> None:
    """营商办's password (after the start: the simulator demo sets a fresh one at every start)."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("UPDATE accounts SET password_hash = $1, updated_at = $2 WHERE member_id = 'co_yang'",
                           hash_password(PASSWORD), datetime.now(UTC))  # fmt: skip
    finally:
        await conn.close()


async def _timed(session: aiohttp.ClientSession, url: str, runs: int = 5) -> tuple[float, int]:
    """Median milliseconds of ``runs`` GETs, and the body size of the last."""
    times, size = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        async with session.get(url) as r:
            body = await r.read()
            assert r.status == 200, (r.status, body[:200])
        times.append((time.perf_counter() - started) * 1000)
        size = len(body)
    return statistics.median(times), size


def _peak_mb(pid: int, field: str = "VmHWM") -> float:
    """The process's peak (VmHWM) or current (VmRSS) resident memory in MB."""
    match = re.search(field + r":\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(match.group(1)) / 1024 if match else float("nan")


async def _measure(server: Server) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:  # 127.0.0.1
        page = await (await session.get(server.url + "/app/login")).text()
        token = re.search(r'name="csrf" value="([^"]+)"', page)
        assert token
        form = {"member_id": "co_yang", "password": PASSWORD, "csrf": token.group(1)}
        async with session.post(server.url + "/app/login", data=form) as r:
            assert r.status == 200 and "台账" in await r.text()
        base = server.url + "/app/issues"
        for label, url in (("first page", base), ("filtered page (department + status)",
                           f"{base}?department={DEPARTMENTS[1]}&status=open"),
                           ("page deep in the ledger (before #500000)", f"{base}?before=500000"),
                           ("overdue filter", f"{base}?overdue=1")):  # fmt: skip
            ms, size = await _timed(session, url)
            print(f"  {label}: median {ms:.0f} ms ({size // 1024} KB)")
        assert server.proc is not None
        before, resident = _peak_mb(server.proc.pid), _peak_mb(server.proc.pid, "VmRSS")
        since = datetime.now(UTC).date().toordinal() - 99
        sampler = asyncio.create_task(_max_resident(server.proc.pid))
        started = time.perf_counter()
        async with session.get(
            f"{base.replace('/issues', '/issues.xlsx')}?since={datetime.fromordinal(since).date()}"
        ) as r:
            body = await r.read()
        elapsed = time.perf_counter() - started
        sampler.cancel()
        print(f"  Excel export of the last 100 days ({len(body) // 1024} KB): {elapsed:.1f} s;"
              f" server resident memory {resident:.0f} MB before, at most {max(_sampled):.0f} MB during the export"
              f" (peak VmHWM {before:.0f} MB before, {_peak_mb(server.proc.pid):.0f} MB after: Argon2 at start)")  # fmt: skip


_sampled: list[float] = [0.0]


async def _max_resident(pid: int) -> None:
    """Samples the server's resident memory every 50 ms while the export runs."""
    while True:
        _sampled.append(_peak_mb(pid, "VmRSS"))
        await asyncio.sleep(0.05)


def run() -> None:
    n = int(os.environ.get("ZHUQI_BENCH_TICKETS", "1000000"))
    print(f"ledger bench: {n:,} tickets on PostgreSQL, a real zhuqi run over HTTP, signed in as 营商办")
    with pg_database() as url, tempfile.TemporaryDirectory() as tmp:
        asyncio.run(_prepare(url, n))
        server = Server(url, Path(tmp))
        server.start()  # the first start trains and caches the classifier: its peak is not the export's
        asyncio.run(server.healthy())
        server.stop()
        server.start()
        try:
            asyncio.run(server.healthy())
            asyncio.run(_sign_up(url))
            asyncio.run(_measure(server))
        finally:
            server.stop()


if __name__ == "__main__":
    run()
