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


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A port nothing listens on, and not one handed out before in this process: two servers made
    one after the other could otherwise be given the same one by the system and one of them fail."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


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
                    raise RuntimeError(f"zhuqi run exited with {self.proc.returncode}: {self.log_tail()}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.url} did not become healthy")
                await asyncio.sleep(0.1)

    def log_tail(self, lines: int = 15) -> str:
        """The end of what the server wrote to stderr (its workdir may be gone by the time one looks)."""
        log = self.workdir / f"server-{self.port}.log"
        return (
            "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"
        )

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
