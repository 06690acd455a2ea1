"""``make run`` stopped by SIGTERM is a clean stop (exit 0, no traceback) at any moment: while the
bot is still importing and starting, and once it serves."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest

from tests.support.server import Server

pytestmark = pytest.mark.slow


def _catches_sigterm(pid: int) -> bool:
    """The process has installed a SIGTERM handler (Linux: the SigCgt mask in /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGTERM - 1)))
    return False


def _wait_for_handler(pid: int) -> None:
    deadline = time.monotonic() + 60
    while not _catches_sigterm(pid) and time.monotonic() < deadline:
        time.sleep(0.002)


def _stopped_now(server: Server, tmp_path: Path) -> tuple[int, str]:
    assert server.proc is not None
    server.proc.terminate()
    code = server.proc.wait(60)
    server.proc = None
    return code, "".join(p.read_text() for p in sorted(tmp_path.glob("server-*.log")))


async def _stopped(server: Server, tmp_path: Path) -> tuple[int, str]:
    return await asyncio.to_thread(_stopped_now, server, tmp_path)


async def test_sigterm_while_starting_is_a_clean_stop(tmp_path: Path) -> None:
    server = Server(f"sqlite+aiosqlite:///{tmp_path / 'z.db'}", tmp_path)
    server.start()
    assert server.proc is not None
    await asyncio.to_thread(_wait_for_handler, server.proc.pid)  # the imports come after it
    code, log = await _stopped(server, tmp_path)
    assert code == 0, log
    assert "Traceback" not in log and "已停止" in log


async def test_sigterm_while_serving_is_a_clean_stop(tmp_path: Path) -> None:
    server = Server(f"sqlite+aiosqlite:///{tmp_path / 'z.db'}", tmp_path)
    server.start()
    await server.healthy()
    code, log = await _stopped(server, tmp_path)
    assert code == 0 and "Traceback" not in log, log


def _two_sigterms_at_once(server: Server, tmp_path: Path) -> tuple[int, str]:
    assert server.proc is not None
    server.proc.send_signal(signal.SIGTERM)  # the process group's signal ...
    time.sleep(0.005)  # (one signal while another is pending would merge into it)
    server.proc.send_signal(signal.SIGTERM)  # ... and make passing on its own, as the bot stops
    code = server.proc.wait(60)
    server.proc = None
    return code, "".join(p.read_text() for p in sorted(tmp_path.glob("server-*.log")))


async def test_sigterm_to_the_whole_process_group_is_a_clean_stop(tmp_path: Path) -> None:
    """systemd, docker stop and supervisors signal the process group: under ``make run`` the bot
    hears SIGTERM twice at once, and still stops cleanly (make used to report Error 1)."""
    server = Server(f"sqlite+aiosqlite:///{tmp_path / 'z.db'}", tmp_path)
    server.start()
    await server.healthy()
    code, log = await asyncio.to_thread(_two_sigterms_at_once, server, tmp_path)
    assert code == 0 and "Traceback" not in log, log
