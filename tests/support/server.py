"""A real ``zhuqi run`` process on loopback, for the crash test and the HTTP benchmark."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "test-admin-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``zhuqi run`` on ``database_url``, started in ``workdir`` (its classifier cache lives there)."""

    def __init__(self, database_url: str, workdir: Path, port: int | None = None) -> None:
        self.database_url, self.workdir = database_url, workdir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """``zhuqi run`` as the console script runs it (``bot.entry``)."""
        env = {**os.environ, "DATABASE_URL": self.database_url, "ZHUQI_ADMIN_TOKEN": TOKEN,
               "ZHUQI_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}  # fmt: skip
        with (self.workdir / f"server-{self.port}.log").open("a") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot.entry", "run", "--port", str(self.port)],
                cwd=self.workdir, env=env, stdout=subprocess.DEVNULL, stderr=log,
            )  # fmt: skip

    @property
    def pid(self) -> int:
        assert self.proc is not None, "not started"
        return self.proc.pid

    async def healthy(self, within: float = 120) -> None:
        deadline = time.monotonic() + within
        async with aiohttp.ClientSession() as session:
            while True:
                try:
                    async with session.get(self.url + "/healthz") as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if self.proc is not None and self.proc.poll() is not None:
                    raise RuntimeError(f"zhuqi run exited with {self.proc.returncode}; see {self.workdir}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.url} did not become healthy")
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        """``kill -9``: no clean-up of any kind."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=60)
            self.proc = None
