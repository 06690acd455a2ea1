"""Several bot accounts in the simulator, over HTTP: each paced as on WeChat, one answering the
group; cut off through the API (as WeChat blocking it), its group moves to the other account after
[failover] after_seconds and comes back once it is restored. The endpoints are fuzzed: a refused
request changes nothing."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import create_app
from bot.config import Config, load_config
from tests.support.chat import ROOM
from tests.support.levels import flat_example
from tests.support.waiting import until

Client = TestClient[Any, web.Application]
MakeClient = Callable[..., Awaitable[Client]]
TOKEN = "accounts-token"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
ACCOUNTS = """
[[accounts]]
name = "一号"

[[accounts]]
name = "二号"

[failover]
after_seconds = 1
check_seconds = 0.1
"""


def simulated_accounts_config(example_config: Config, folder: Path) -> Config:
    """The example with two simulated accounts (no jitter), failing over within a second."""
    text = flat_example() + ACCOUNTS
    text = text.replace("jitter_min_seconds = 0.3", "jitter_min_seconds = 0").replace(
        "jitter_max_seconds = 1.5", "jitter_max_seconds = 0"
    )
    (folder / "config.toml").write_text(text, encoding="utf-8")
    config = load_config(folder / "config.toml", env={"ZHUQI_ADMIN_TOKEN": TOKEN})
    return replace(
        config, model_dir=example_config.model_dir, welcome=False, schedule=example_config.schedule
    )


@pytest.fixture
async def client(
    aiohttp_client: MakeClient, example_config: Config, sqlite_url: str, tmp_path: Path
) -> Client:
    config = replace(simulated_accounts_config(example_config, tmp_path), database_url=sqlite_url)
    return await aiohttp_client(create_app(config))


async def _accounts(client: Client) -> dict[str, dict[str, Any]]:
    body = await (await client.get("/sim/api/accounts")).json()
    return {a["name"]: a for a in body["accounts"]}


async def _bot_said(client: Client, count: int) -> list[str]:
    async def check() -> list[str]:
        body = await (await client.get("/sim/api/messages", params={"room_id": ROOM})).json()
        said = [m["text"] for m in body["messages"] if m["sender_id"] == "zhuqi-bot"]
        return said if len(said) >= count else []

    return await until(check, 30, f"{count} messages from the bot")


async def _answered_by(client: Client, name: str) -> None:
    async def check() -> bool:
        return ROOM in (await _accounts(client))[name]["rooms"]

    await until(check, 30, f"the group answered by {name}")


async def _post(client: Client, sender: str, text: str) -> None:
    body = {"room_id": ROOM, "sender_id": sender, "text": text}
    assert (await client.post("/sim/api/messages", json=body)).status == 201


async def test_a_cut_account_hands_its_group_over_and_gets_it_back(client: Client) -> None:
    accounts = await _accounts(client)
    assert accounts["一号"]["rooms"] == [ROOM] and accounts["二号"]["rooms"] == []
    await _post(client, "e_huake_liu", "园区这周第三次停电了，生产线停了半天")
    assert (await _bot_said(client, 1))[0].startswith("【紧急】已受理 #1")

    cut = await client.post("/sim/api/accounts/一号", data=json.dumps({"connected": False}), headers=AUTH)
    assert (await cut.json()) == {"name": "一号", "connected": False}
    await _answered_by(client, "二号")
    await _post(client, "e_fucheng_jiang", "我们厂的环评批复三个月了还没下来")
    assert (await _bot_said(client, 2))[1].startswith("已受理 #2")

    await client.post("/sim/api/accounts/一号", data=json.dumps({"connected": True}), headers=AUTH)
    await _answered_by(client, "一号")
    assert (await _accounts(client))["一号"]["connected"]


async def test_cutting_an_account_needs_the_admin_token(client: Client) -> None:
    response = await client.post("/sim/api/accounts/一号", json={"connected": False})
    assert response.status == 401 and "error" in await response.json()
    assert (await _accounts(client))["一号"]["connected"]


@pytest.mark.slow
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    database=None,
)
@given(
    name=st.one_of(st.sampled_from(["一号", "二号", "nobody", ""]), st.text(max_size=20)),
    body=st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.text(max_size=20),
        st.dictionaries(
            st.sampled_from(["connected", "x"]),
            st.one_of(st.none(), st.integers(), st.text(max_size=5)),
            max_size=2,
        ),
    ),
)
async def test_a_refused_account_request_changes_nothing(client: Client, name: str, body: Any) -> None:
    before = {n: a["connected"] for n, a in (await _accounts(client)).items()}
    path = "/sim/api/accounts/" + name.replace("/", "")
    response = await client.post(path, data=json.dumps(body), headers=AUTH)
    assert response.status < 500
    if response.status >= 400:
        if response.content_type == "application/json":
            assert "error" in await response.json()
        assert {n: a["connected"] for n, a in (await _accounts(client)).items()} == before
