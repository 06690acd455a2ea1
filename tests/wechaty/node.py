"""Run the real Node Wechaty gateway (tests/wechaty_gateway/gateway.js) for integration tests."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

NODE_DIR = Path(__file__).resolve().parents[1] / "wechaty_gateway"
TOKEN = "zhuqi-test-token"
BOT_ID = "wxid_zhuqi_bot"
BOT_NAME = "助企小助手"


def node_or_fail() -> str:
    """The node executable. Skips only when node is absent; a missing ``npm install`` fails."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (the real Wechaty gateway needs node 18+)")
    if not (NODE_DIR / "node_modules" / "wechaty-puppet-service").is_dir():
        pytest.fail(
            f"{NODE_DIR}/node_modules is missing: run `make node-deps` (or `make test`), "
            "or `cd tests/wechaty_gateway && npm install`"
        )
    return node


class NodeGateway:
    """One gateway.js process at a time, on a fixed gRPC port, with its world in a state file."""

    def __init__(self, workdir: Path, bot_id: str = BOT_ID, name: str = "gateway") -> None:
        self.node = node_or_fail()
        self.bot_id = bot_id  # the WeChat account this puppet service logs in as
        self.state = workdir / f"{name}-state.json"
        self.log = workdir / f"{name}.log"
        self.port = 0
        self.control_port = 0
        self.proc: asyncio.subprocess.Process | None = None
        self.http: aiohttp.ClientSession | None = None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        env = {
            **os.environ,
            "WECHATY_PUPPET_SERVICE_TOKEN": TOKEN,
            "WECHATY_GATEWAY_BOT_ID": self.bot_id,
            "WECHATY_GATEWAY_BOT_NAME": BOT_NAME,
            "WECHATY_LOG": "warn",
        }
        args = [self.node, str(NODE_DIR / "gateway.js"), "--state", str(self.state)]
        if self.port:
            args += ["--port", str(self.port)]  # a restart comes back where the bot expects it
        with self.log.open("ab") as log_file:
            self.proc = await asyncio.create_subprocess_exec(
                *args, cwd=NODE_DIR, env=env, stdout=asyncio.subprocess.PIPE, stderr=log_file
            )
        assert self.proc.stdout is not None
        try:
            async with asyncio.timeout(60):
                line = (await self.proc.stdout.readline()).decode().strip()
        except TimeoutError:
            await self.kill()
            raise AssertionError(f"gateway.js did not get ready; see {self.log}") from None
        if not line.startswith("READY "):
            await self.kill()
            raise AssertionError(f"gateway.js said {line!r} instead of READY; log:\n{self.log.read_text()}")
        _, grpc_port, control_port = line.split()
        self.port, self.control_port = int(grpc_port), int(control_port)
        if self.http is None:
            self.http = aiohttp.ClientSession()

    async def kill(self) -> None:
        """Kill the gateway hard (SIGKILL), as a crash would."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()
        self.proc = None

    async def close(self) -> None:
        await self.kill()
        if self.http is not None:
            await self.http.close()
            self.http = None

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        assert self.http is not None
        url = f"http://127.0.0.1:{self.control_port}{path}"
        async with self.http.request(
            method, url, data=json.dumps(body) if body is not None else None
        ) as resp:
            data = await resp.json(content_type=None)
            if resp.status != 200:
                raise AssertionError(f"{method} {path} -> {resp.status}: {data}")
            return data

    async def contact(self, contact_id: str, name: str) -> None:
        await self.call("POST", "/contacts", {"id": contact_id, "name": name})

    async def room(self, room_id: str, topic: str, member_ids: list[str], aliases: dict[str, str]) -> None:
        await self.call(
            "POST", "/rooms", {"id": room_id, "topic": topic, "memberIds": member_ids, "aliases": aliases}
        )

    async def say(self, sender: str, text: str = "", **kw: Any) -> str:
        result = await self.call("POST", "/say", {"from": sender, "text": text, **kw})
        return str(result["messageId"])

    async def sent(self) -> list[dict[str, Any]]:
        return list(await self.call("GET", "/sent"))
