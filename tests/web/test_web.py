"""The simulator page, its JSON API and websocket, health, and the read API (aiohttp_client)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.config import Config
from bot.outbox import deliver_all
from bot.web import keys
from tests.support.chat import ROOM

TOKEN = "test-token-123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BOSS, POWER = "e_huake_liu", "h_gd_shi"
Client = TestClient[Any, web.Application]
MakeClient = Callable[..., Awaitable[Client]]


@pytest.fixture
def config(example_config: Config, sqlite_url: str) -> Config:
    return replace(
        example_config, database_url=sqlite_url, web=replace(example_config.web, admin_token=TOKEN)
    )


@pytest.fixture
async def client(aiohttp_client: MakeClient, config: Config) -> Client:
    return await aiohttp_client(create_app(config))


async def say(client: Client, text: str, by: str = BOSS) -> int:
    response = await client.post("/sim/api/messages", json={"room_id": ROOM, "sender_id": by, "text": text})
    assert response.status == 201, await response.text()
    return int((await response.json())["id"])


async def history(client: Client, after: int = 0) -> list[dict[str, Any]]:
    response = await client.get("/sim/api/messages", params={"room_id": ROOM, "after": str(after)})
    assert response.status == 200
    return list((await response.json())["messages"])


async def test_health(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status == 200 and (await response.json())["status"] == "ok"


async def test_rooms_and_members(client: Client) -> None:
    assert await (await client.get("/sim/api/rooms")).json() == [{"id": ROOM, "name": "绵阳企业家"}]
    members = await (await client.get("/sim/api/members", params={"room_id": ROOM})).json()
    assert len(members) == 30
    boss = next(m for m in members if m["id"] == BOSS)
    assert boss == {"id": BOSS, "name": "华科电子刘总", "role": "enterprise", "department": None,
                    "enterprise": "绵阳华科精密电子有限公司"}  # fmt: skip
    power = next(m for m in members if m["id"] == POWER)
    assert (power["role"], power["department"], power["enterprise"]) == ("handler", "国网绵阳供电公司", None)
    assert {m["role"] for m in members} == {"enterprise", "handler", "leader", "coordinator"}
    missing = await client.get("/sim/api/members", params={"room_id": "nope"})
    assert missing.status == 404 and "error" in await missing.json()


async def test_post_and_read_messages(client: Client) -> None:
    first = await say(client, "园区这周第三次停电了，生产线停了半天")
    messages = await history(client)
    assert [m["sender_id"] for m in messages] == [BOSS, "zhuqi-bot"]
    user, bot = messages
    assert user["id"] == first and user["sender_name"] == "华科电子刘总" and user["mentions"] == []
    assert bot["text"].startswith("【紧急】已受理 #1【水电气暖】") and bot["mentions"] == [POWER, "h_jx_wang"]
    assert set(bot) == {"id", "room_id", "sender_id", "sender_name", "text", "mentions", "at"}
    assert datetime.fromisoformat(bot["at"]).utcoffset() is not None
    await say(client, "@助企小助手 认领 1", by=POWER)
    later = await history(client, after=bot["id"])
    assert [m["sender_id"] for m in later] == [POWER, "zhuqi-bot"]
    assert later[0]["mentions"] == ["zhuqi-bot"]
    assert later[1]["text"].startswith("#1 已由国网绵阳供电公司")


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"room_id": "nope", "sender_id": BOSS, "text": "hi"}, 404),
        ({"room_id": ROOM, "sender_id": "nobody", "text": "hi"}, 404),
        ({"room_id": ROOM, "sender_id": BOSS}, 400),
        ({"room_id": ROOM, "sender_id": BOSS, "text": "   "}, 400),
        (["not", "an", "object"], 400),
    ],
)
async def test_post_refusals(client: Client, body: Any, status: int) -> None:
    response = await client.post("/sim/api/messages", json=body)
    assert response.status == status
    assert "error" in await response.json()
    assert await history(client) == []


async def test_post_not_json(client: Client) -> None:
    response = await client.post(
        "/sim/api/messages", data=b"{oops", headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    bad_after = await client.get("/sim/api/messages", params={"room_id": ROOM, "after": "x"})
    assert bad_after.status == 400


async def test_websocket_pushes_new_messages(client: Client) -> None:
    async with client.ws_connect(f"/sim/ws?room_id={ROOM}") as ws:
        await say(client, "诉求 厂里招不到熟练技工，缺口30多人")
        pushed = [await ws.receive_json(timeout=5), await ws.receive_json(timeout=5)]
    assert pushed[0]["sender_id"] == BOSS and pushed[0]["text"] == "诉求 厂里招不到熟练技工，缺口30多人"
    assert pushed[1]["sender_id"] == "zhuqi-bot" and pushed[1]["text"].startswith("已受理 #1【用工人才】")


async def test_private_messages_have_their_own_room(aiohttp_client: MakeClient, config: Config) -> None:
    doubtful = replace(config, settings=replace(config.settings, confidence_threshold=1.0))
    client = await aiohttp_client(create_app(doubtful))
    await say(client, "我们想问问关于贷款的事情")
    said = await history(client)
    assert [m["sender_id"] for m in said] == [BOSS, "zhuqi-bot"]  # only a kind 「收到」, no number
    assert "收到，已转营商办确认" in said[1]["text"] and "#1" not in said[1]["text"]
    private = {"room_id": "dm:co_yang", "after": "0"}
    assert (await client.get("/sim/api/messages", params=private)).status == 401  # private: the token only
    response = await client.get("/sim/api/messages", params=private, headers=AUTH)
    (note,) = (await response.json())["messages"]
    assert note["sender_id"] == "zhuqi-bot" and note["text"].startswith("疑似诉求 #1")
    assert (await client.get("/sim/api/messages", params={"room_id": "dm:nobody"})).status == 404


async def test_the_coordinator_answers_in_the_private_chat(
    aiohttp_client: MakeClient, config: Config
) -> None:
    doubtful = replace(config, settings=replace(config.settings, confidence_threshold=1.0))
    client = await aiohttp_client(create_app(doubtful))
    await say(client, "我们想问问关于贷款的事情")
    reply = {"room_id": "dm:co_yang", "sender_id": "co_yang", "text": "受理 1"}
    assert (await client.post("/sim/api/messages", json=reply)).status == 401  # as private as reading
    as_someone_else = {**reply, "sender_id": "e_huake_liu"}
    assert (await client.post("/sim/api/messages", json=as_someone_else, headers=AUTH)).status == 404
    assert (await client.post("/sim/api/messages", json=reply, headers=AUTH)).status == 201
    private = await client.get("/sim/api/messages", params={"room_id": "dm:co_yang"}, headers=AUTH)
    said = [(m["sender_id"], m["text"]) for m in (await private.json())["messages"]]
    assert said[1] == ("co_yang", "受理 1")
    group = await history(client)
    assert [m["sender_id"] for m in group] == [BOSS, "zhuqi-bot", "zhuqi-bot"]
    assert group[-1]["text"].startswith("已受理 #1")  # the group sees the ticket open, as if typed there


async def test_the_bot_says_hello_once_in_a_new_group(aiohttp_client: MakeClient, config: Config) -> None:
    greeting = replace(config, welcome=True)
    first = await aiohttp_client(create_app(greeting))
    await deliver_all(first.app[keys.SENDERS])  # the welcome goes out through the outbox
    (hello,) = await history(first)
    assert hello["sender_id"] == "zhuqi-bot" and hello["text"].startswith("大家好，我是助企小助手")
    assert "「帮助」" in hello["text"] and "认领 编号" in hello["text"]
    await first.close()
    again = await aiohttp_client(create_app(greeting))
    await deliver_all(again.app[keys.SENDERS])
    assert len(await history(again)) == 1  # a restart does not greet again


async def test_history_survives_a_restart(aiohttp_client: MakeClient, config: Config) -> None:
    first = await aiohttp_client(create_app(config))
    await say(first, "园区这周第三次停电了，生产线停了半天")
    await first.close()
    second = await aiohttp_client(create_app(config))
    assert len(await history(second)) == 2
    await say(second, "认领 1", by=POWER)
    assert (await history(second))[-1]["text"].startswith("#1 已由国网绵阳供电公司")


async def test_page_and_static(client: Client) -> None:
    page = await client.get("/sim/")
    assert page.status == 200 and "群聊模拟器" in await page.text()
    assert (await client.get("/sim/static/sim.js")).status == 200
    root = await client.get("/", allow_redirects=False)
    assert root.status == 302 and root.headers["Location"] == "/sim/"


async def test_issue_api_needs_the_token(client: Client) -> None:
    assert (await client.get("/api/issues")).status == 401
    assert (await client.get("/api/issues", headers={"Authorization": "Bearer wrong"})).status == 401
    assert (await client.get("/api/issues/1", headers={"Authorization": TOKEN})).status == 401


async def test_issue_api(client: Client) -> None:
    await say(client, "园区这周第三次停电了，生产线停了半天")
    await say(client, "诉求 厂里招不到熟练技工，缺口30多人", by="e_fucheng_jiang")
    await say(client, "认领 1", by=POWER)
    await say(client, "进度 1 抢修队已出发", by=POWER)
    issues = (await (await client.get("/api/issues", headers=AUTH)).json())["issues"]
    assert [i["no"] for i in issues] == [2, 1]
    assert {"no", "status", "category", "department", "enterprise", "title", "created_at"} <= set(issues[0])

    async def nos(**params: str) -> list[int]:
        response = await client.get("/api/issues", params=params, headers=AUTH)
        assert response.status == 200
        return [i["no"] for i in (await response.json())["issues"]]

    assert await nos(status="claimed") == [1]
    assert await nos(status="open") == [2]
    assert await nos(category="用工人才") == [2]
    assert await nos(department="供电公司") == [1]  # an alias works
    assert await nos(department="国网绵阳供电公司", status="closed") == []
    assert (await client.get("/api/issues", params={"status": "weird"}, headers=AUTH)).status == 400

    one = await (await client.get("/api/issues/1", headers=AUTH)).json()
    assert (one["no"], one["status"], one["category"], one["enterprise"]) == (
        1, "claimed", "水电气暖", "绵阳华科精密电子有限公司")  # fmt: skip
    assert [(e["kind"], e["actor"]) for e in one["events"]] == [
        ("create", BOSS),
        ("claim", POWER),
        ("progress", POWER),
    ]
    assert one["events"][2]["text"] == "抢修队已出发"
    assert set(one["events"][0]) >= {"kind", "actor", "at", "text"}
    assert (await client.get("/api/issues/99", headers=AUTH)).status == 404
    assert (await client.get("/api/issues/abc", headers=AUTH)).status == 400


async def test_database_gone_at_runtime_is_a_clear_503(client: Client) -> None:
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    from bot.web import keys

    await say(client, "园区这周第三次停电了，生产线停了半天")
    # From now on every unit of work reaches a database that cannot be opened (it is gone).
    gone = create_async_engine("sqlite+aiosqlite:////proc/zhuqi-gone/zhuqi.db")
    client.app[keys.UOW].sessions = async_sessionmaker(gone)
    response = await client.get("/api/issues", headers=AUTH)
    body = await response.json()
    assert response.status == 503 and body["detail"] == "database unavailable" and "数据库" in body["error"]
    posted = await client.post("/sim/api/messages", json={"room_id": ROOM, "sender_id": BOSS, "text": "在吗"})
    assert posted.status == 503
    assert (await client.get("/healthz")).status == 200  # the process itself is alive
    await gone.dispose()


async def test_posts_at_once_share_a_commit_and_a_repeat_gets_the_first_answer(client: Client) -> None:
    """Messages posted together are stored in one transaction; a client's retry (the same
    client_msg_id) in that same moment, or later, creates nothing and gets the first row."""
    import asyncio

    async def post(text: str, key: str) -> tuple[int, int]:
        body = {"room_id": ROOM, "sender_id": "e_huake_liu", "text": text, "client_msg_id": key}
        response = await client.post("/sim/api/messages", json=body)
        return response.status, int((await response.json())["id"])

    texts = [f"第{i}条：明天企业服务日几点开始？" for i in range(8)]
    answers = await asyncio.gather(*(post(t, f"k{i}") for i, t in enumerate(texts)), post(texts[0], "k0"))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] + [201] * 8
    first = [row for (status, row), key in zip(answers, [*range(8), 0], strict=True) if key == 0]
    assert first[0] == first[1]  # the retry got the first row
    assert await post(texts[3], "k3") == (200, answers[3][1])
    people = [m for m in (await (await client.get("/sim/api/messages", params={"room_id": ROOM})).json())["messages"]
              if m["sender_id"] == "e_huake_liu"]  # fmt: skip
    assert sorted(m["text"] for m in people) == sorted(texts)


# --- /metrics (issue 25): what an operator watches, in the Prometheus format ---------------------


def _scraped(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    from prometheus_client.parser import text_string_to_metric_families

    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_metrics_are_scraped_with_the_admin_token(client: Client) -> None:
    assert (await client.get("/metrics")).status == 401
    await say(client, "园区这周第三次停电了，生产线停了半天")  # the bot's 已受理 goes out
    response = await client.get("/metrics", headers=AUTH)
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    seen = _scraped(await response.text())
    account = (("account", "default"),)
    assert seen[("zhuqi_outbox_sent_total", ())] >= 1
    assert seen[("zhuqi_account_groups", account)] == len(client.app[keys.CONFIG].roster.rooms)
    assert seen[("zhuqi_responder_moves_total", ())] == 0
    assert seen[("zhuqi_outbox_depth", (("account", "default"), ("priority", "answer")))] == 0
    assert seen[("zhuqi_outbox_depth", (("account", "default"), ("priority", "broadcast")))] == 0
    assert seen[("zhuqi_gateway_connected", (("account", "default"), ("gateway", "sim")))] == 1
    assert seen[("zhuqi_inbox_lag_seconds", ())] == 0  # everything stored was processed
    assert ("zhuqi_governor_waits_total", account) in seen and ("zhuqi_sent_last_minute", account) in seen
