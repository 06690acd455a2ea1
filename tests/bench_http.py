"""The path users get: a real ``zhuqi run`` process, messages over HTTP, replies in the group.

Prints, for 1,000 mixed messages (40 % appeals) at concurrency 1, 8 and 32: messages per second,
acknowledgement latency p50/p99 (the 201 of ``POST /sim/api/messages``, which answers once the
message is stored *and* the bot's reply is in the group), and the ratio to a bare SQLite
insert+commit loop (WAL, synchronous=FULL) measured in the same run; then the same at concurrency
32 on PostgreSQL with one and with two bot processes, taking turns five times (the ratio is of
the medians); and, with two processes, how soon a page open on one shows what was posted to the
other (the websocket). ``ZHUQI_BENCH_MESSAGES`` changes the 1,000.

Each run also prints where the CPU went, per message: the bot processes, PostgreSQL's processes
(on PostgreSQL) and this load generator (from ``/proc``). From the one-process runs it prints the ceiling
for two: the rate at which both cores would be busy if each message cost what it costs with one
process. On a 2-core machine that also runs PostgreSQL and the load, that ceiling, not the bot,
bounds what a second process can add.
"""

from __future__ import annotations

import asyncio
import csv
import os
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from tests.support.server import Server

ROOT = Path(__file__).resolve().parents[1]
ROOM = "mianyang-qiyejia@chatroom"
PG_ROUNDS = 5
ENTERPRISES = ["e_huake_liu", "e_huake_xiao", "e_fucheng_jiang", "e_anzhou_luo", "e_jiuzhou_lin",
               "e_jiuzhou_gao", "e_youxian_ma", "e_fenggu_hu", "e_kechuang_song", "e_longfeng_tian"]  # fmt: skip
CHATTER = ["收到", "好的，谢谢领导", "今天下午的会几点开始？", "👍👍", "辛苦了", "明天企业服务日在哪里报名",
           "大家注意防暑降温", "这个政策我们学习一下", "已阅", "感谢各位支持"]  # fmt: skip


def appeals() -> list[str]:
    with (ROOT / "tests" / "data" / "fresh_examples.csv").open(encoding="utf-8") as f:
        return [row["text"] for row in csv.DictReader(f) if row["label"] != "非诉求"]


def messages(n: int) -> list[tuple[str, str]]:
    """(sender, text): every fifth pair of messages is an appeal, the rest chatter (40 % appeals)."""
    texts, out = appeals(), []
    for i in range(n):
        sender = ENTERPRISES[i % len(ENTERPRISES)]
        text = texts[i % len(texts)] + f"（第{i}条）" if i % 5 in (0, 3) else CHATTER[i % len(CHATTER)]
        out.append((sender, text))
    return out


def bare_commits(seconds: float = 2.0, synchronous: str = "FULL") -> float:
    """Commits per second of a one-row insert+commit loop on a SQLite file (WAL)."""
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite3.connect(Path(tmp) / "bare.db", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={synchronous}")
        db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, text TEXT)")
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            db.execute("BEGIN")
            db.execute("INSERT INTO t (text) VALUES (?)", ("园区停电三天了",))
            db.execute("COMMIT")
            done += 1
        db.close()
        return done / (time.perf_counter() - start)


@contextmanager
def servers(database_url: str, workdir: Path, processes: int = 1) -> Iterator[list[Server]]:
    """``zhuqi run`` processes on one database; yields them once all are healthy."""
    running = [Server(database_url, workdir) for _ in range(processes)]
    try:
        for server in running:
            server.start()
        for server in running:
            asyncio.run(server.healthy())
        yield running
    finally:
        for server in running:
            server.stop()


@dataclass
class Result:
    concurrency: int
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_ms: dict[str, float] = field(default_factory=dict)  # CPU per message: bots, PostgreSQL, load


def cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU of these processes so far (a process that has gone counts nothing)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
    return total / os.sysconf("SC_CLK_TCK")


def postgres_pids() -> list[int]:
    return [int(p.parent.name) for p in Path("/proc").glob("[0-9]*/comm") if _comm(p) == "postgres"]


def _comm(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def cpu_now(bots: list[int], postgres: bool) -> dict[str, float]:
    """CPU seconds so far of the bot processes, PostgreSQL's (when it is the database; SQLite runs
    inside the bots) and this process (the load generator)."""
    mine, now = os.times(), {"bots": cpu_seconds(bots)}
    if postgres:
        now["PostgreSQL"] = cpu_seconds(postgres_pids())
    return now | {"load": mine.user + mine.system}


def _body(sender: str, text: str) -> dict[str, str]:
    """A post as a client sends it, with a fresh ``client_msg_id`` (its retries would repeat it)."""
    return {"room_id": ROOM, "sender_id": sender, "text": text, "client_msg_id": uuid.uuid4().hex}


async def load(urls: list[str], batch: list[tuple[str, str]], concurrency: int) -> Result:
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[tuple[int, tuple[str, str]]] = asyncio.Queue()
    for item in enumerate(batch):
        queue.put_nowait(item)

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        while not queue.empty():
            i, (sender, text) = queue.get_nowait()
            started = time.perf_counter()
            async with session.post(urls[i % len(urls)] + "/sim/api/messages", json=_body(sender, text)) as r:
                await r.read()
                errors += r.status != 201
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=concurrency * 2)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    cuts = statistics.quantiles(latencies, n=100)
    return Result(concurrency, len(batch) / elapsed, cuts[49] * 1000, cuts[98] * 1000, errors)


@contextmanager
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for one benchmark, dropped afterwards."""
    import asyncpg

    admin = os.environ.get("ZHUQI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
    name = f"zhuqi_bench_{uuid.uuid4().hex[:10]}"

    async def sql(statement: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(sql(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.rsplit("/", 1)[0] + "/" + name
    finally:
        asyncio.run(sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run_http(n: int, levels: tuple[int, ...], database: str, processes: int = 1) -> list[Result]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with servers(database or f"sqlite+aiosqlite:///{work / 'bench.db'}", work, processes) as running:
            urls, pids = [s.url for s in running], [s.pid for s in running]
            asyncio.run(load(urls, messages(20), 4))  # warm up: the classifier and connections
            for level in levels:
                before = cpu_now(pids, bool(database))
                result = asyncio.run(load(urls, messages(n), level))
                after = cpu_now(pids, bool(database))
                result.cpu_ms = {k: (after[k] - before[k]) * 1000 / n for k in after}
                results.append(result)
    return results


def _line(label: str, n: int, r: Result, full: float) -> str:
    return (
        f"{label}, {n} mixed messages, concurrency {r.concurrency:>2}: {r.rate:7.1f} msgs/s  "
        f"ack p50 {r.p50_ms:6.1f} ms  p99 {r.p99_ms:7.1f} ms  errors {r.errors}  "
        f"ratio to bare FULL commits 1/{full / r.rate:.1f}"
    )


def run() -> None:
    n = int(os.environ.get("ZHUQI_BENCH_MESSAGES", "1000"))
    full = bare_commits(synchronous="FULL")
    normal = bare_commits(synchronous="NORMAL")
    print(f"bare SQLite insert+commit (WAL): synchronous=FULL {full:,.0f}/s, NORMAL {normal:,.0f}/s")
    for r in run_http(n, (1, 8, 32), ""):
        print(_line("HTTP SQLite", n, r, full))
        print(_cpu_line(r))
    # One and two processes take turns, five times: the machine's speed drifts by a third from
    # minute to minute, and one pair of runs gave anything from 1.13x to 1.63x.
    runs: dict[int, list[Result]] = {1: [], 2: []}
    for _ in range(PG_ROUNDS):
        for processes in (1, 2):
            with pg_database() as url:
                (r,) = run_http(n, (32,), url, processes)
            print(_line(f"HTTP PostgreSQL, {processes} process{'es' if processes > 1 else ''}", n, r, full))
            print(_cpu_line(r))
            runs[processes].append(r)
    one, two = (statistics.median(r.rate for r in runs[p]) for p in (1, 2))
    print(f"two bot processes on PostgreSQL / one: {two / one:.2f}x (medians of {PG_ROUNDS} turns: "
          f"{two:.1f} / {one:.1f} msgs/s)")  # fmt: skip
    print(_ceiling(runs[1], one))
    print(run_across(n))


async def across(first: str, second: str, batch: list[tuple[str, str]], concurrency: int) -> str:
    """Everything posted to the first process, a page open on the second: how long after its POST
    began each message was pushed to that page (``storage.chat_feed``), and how many never were."""
    sent: dict[int, float] = {}
    seen: dict[int, float] = {}
    queue = list(reversed(batch))
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{second}/sim/ws?room_id={ROOM}") as ws,
    ):

        async def page() -> None:
            async for msg in ws:
                seen.setdefault(msg.json()["id"], time.perf_counter())

        async def worker() -> None:
            while queue:
                sender, text = queue.pop()
                started = time.perf_counter()
                async with session.post(first + "/sim/api/messages", json=_body(sender, text)) as r:
                    sent[int((await r.json())["id"])] = started

        reading = asyncio.create_task(page())
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        await asyncio.sleep(2)  # the last rows' way to the other page
        reading.cancel()
    waits = sorted((seen[i] - t) * 1000 for i, t in sent.items() if i in seen)
    cuts = statistics.quantiles(waits, n=100)
    return (f"a page on the second process, {len(batch)} messages posted to the first at concurrency "
            f"{concurrency}: {len(waits)} pushed (p50 {cuts[49]:.1f} ms, p99 {cuts[98]:.1f} ms after the POST "
            f"began), {len(sent) - len(waits)} missing, {len(seen) - len(waits)} bot replies too")  # fmt: skip


def run_across(n: int) -> str:
    with tempfile.TemporaryDirectory() as tmp, pg_database() as url, servers(url, Path(tmp), 2) as running:
        asyncio.run(load([running[0].url], messages(20), 4))
        return asyncio.run(across(running[0].url, running[1].url, messages(n), 32))


def _cpu_line(r: Result) -> str:
    return "    CPU per message: " + ", ".join(f"{k} {v:.2f} ms" for k, v in r.cpu_ms.items())


def _ceiling(single: list[Result], rate: float) -> str:
    """Two processes can at most keep every core busy at one process's CPU cost per message."""
    per_message = statistics.median(sum(r.cpu_ms.values()) for r in single) / 1000
    cores = os.cpu_count() or 1
    ceiling = cores / per_message
    return (f"ceiling on {cores} cores at one process's {per_message * 1000:.2f} ms CPU a message "
            f"(bots, PostgreSQL and load): {ceiling:.0f} msgs/s, {ceiling / rate:.2f}x one process")  # fmt: skip


if __name__ == "__main__":
    run()
