"""POST /sim/api/clock: the simulator's clock moves forward and the jobs due on the way run in order."""

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
from handlers.clock import ForwardClock
from tests.support.chat import ROOM
from tests.support.scheduler import at

Client = TestClient[Any, web.Application]
MakeClient = Callable[..., Awaitable[Client]]
START = at(2026, 11, 30, 9, 30)  # a Monday


@pytest.fixture
async def client(aiohttp_client: MakeClient, example_config: Config, sqlite_url: str) -> Client:
    config = replace(example_config, database_url=sqlite_url)
    return await aiohttp_client(create_app(config, clock=ForwardClock(START)))  # pinned to a Monday


async def travel(client: Client, body: Any, status: int = 200) -> Any:
    response = await client.post("/sim/api/clock", json=body)
    assert response.status == status, await response.text()
    return await response.json()


async def bot_says(client: Client) -> list[dict[str, Any]]:
    response = await client.get("/sim/api/messages", params={"room_id": ROOM, "after": "0"})
    return [m for m in (await response.json())["messages"] if m["sender_id"] == "zhuqi-bot"]


async def test_reminders_appear_at_the_time_they_fell_due(client: Client) -> None:
    # A 政策咨询 question the policy library cannot answer, so it waits for a department.
    text = "想了解今年市里对制造业企业有哪些扶持项目"
    await client.post("/sim/api/messages", json={"room_id": ROOM, "sender_id": "e_huake_liu", "text": text})
    assert (await travel(client, {"advance": "PT20H"}))["now"] == "2026-12-01T05:30:00+08:00"
    assert len(await bot_says(client)) == 1  # only the acknowledgement: claim is due at 10:30
    answer = await travel(client, {"now": "2026-12-01T12:00:00+08:00"})
    assert answer["now"] == "2026-12-01T12:00:00+08:00"
    reminder = (await bot_says(client))[-1]
    assert reminder["text"].startswith("⏰ #1【政策咨询】") and "「认领 1」" in reminder["text"]
    assert reminder["at"].startswith("2026-12-01T10:30")


async def test_next_working_morning_and_no_way_back(client: Client) -> None:
    info = await (await client.get("/sim/api/clock")).json()
    assert info["next_working_morning"] == "2026-12-01T08:30:00+08:00"
    await travel(client, {"now": "2026-11-30T09:00:00+08:00"}, status=400)
    await travel(client, {"advance": "-PT1H"}, status=400)
    await travel(client, {"advance": "soon"}, status=400)
    await travel(client, {"advance": "P1D", "now": "2026-12-01T09:00:00+08:00"}, status=400)
    assert (await travel(client, {"advance": "P1D"}))["now"] == "2026-12-01T09:30:00+08:00"


async def test_page_has_the_time_travel_control(client: Client) -> None:
    page = await (await client.get("/sim/")).text()
    assert "/sim/static/clock.js" in page
    script = await (await client.get("/sim/static/clock.js")).text()
    assert "/sim/api/clock" in script and "到上班时间" in script


async def test_the_simulator_clock_never_runs_backward_across_a_restart(
    aiohttp_client: Any, example_config: Config, sqlite_url: str
) -> None:
    config = replace(example_config, database_url=sqlite_url)
    first = await aiohttp_client(create_app(config))
    moved = await first.post("/sim/api/clock", json={"advance": "P3D"})
    travelled = datetime.fromisoformat((await moved.json())["now"])
    await first.post("/sim/api/messages", json={"room_id": ROOM, "sender_id": "ld_chen", "text": "大家好"})
    await first.close()
    second = await aiohttp_client(create_app(config))  # a new process: the clock resumes, not resets
    now = datetime.fromisoformat((await (await second.get("/sim/api/clock")).json())["now"])
    assert now >= travelled
    await second.post("/sim/api/messages", json={"room_id": ROOM, "sender_id": "ld_chen", "text": "统计"})
    history = (await (await second.get("/sim/api/messages", params={"room_id": ROOM})).json())["messages"]
    moments = [datetime.fromisoformat(m["at"]) for m in history]
    assert moments == sorted(moments)


async def test_refusals_speak_chinese(client: Client) -> None:
    """Issue 12: going back in time showed 「the clock never moves backward (now …)」 in the page."""
    back = await travel(client, {"now": "2026-01-01T09:00:00+08:00"}, status=400)
    assert back["error"].startswith("时间只能往前走：小助手现在是 11月30日") and "backward" in back["detail"]
    months = await travel(client, {"advance": "P1M"}, status=400)
    assert "不支持月和年" in months["error"]
    far = await travel(client, {"advance": "P400D"}, status=400)
    assert far["error"] == "一次最多跳一年，请分几次跳"
    assert (await travel(client, {"advance": "xx"}, status=400))["error"].startswith("时长请写成 P1D")


async def test_notice_reminder_and_policy_pushes_fall_at_their_moments(
    aiohttp_client: MakeClient, example_config: Config, sqlite_url: str
) -> None:
    schedule = replace(example_config.schedule, policy_push="group")  # off in the tests' config
    config = replace(example_config, database_url=sqlite_url, schedule=schedule)
    client = await aiohttp_client(create_app(config, clock=ForwardClock(START)))
    for text, by in (
        ("通知 请于周三12:00前确认座谈会参会人数，收到请回复 对象 规上", "co_yang"),
        ("收到", "e_huake_liu"),
    ):
        response = await client.post(
            "/sim/api/messages", json={"room_id": ROOM, "sender_id": by, "text": text}
        )
        assert response.status == 201
    await travel(client, {"now": "2026-12-02T13:00:00+08:00"})
    said = [(m["at"][:16], m["text"]) for m in await bot_says(client)]
    assert said[0][1].startswith("📢【通知 #1】")
    reminders = [(when, text) for when, text in said if text.startswith("⏰【通知 #1】")]
    assert [when for when, _ in reminders] == ["2026-12-01T12:00"]  # a day before the deadline, once
    assert "还有 5 个未回执" in reminders[0][1] and "@华科电子刘总" not in reminders[0][1]
    pushes = [when for when, text in said if text.startswith(("📌【政策", "⏳【政策"))]
    assert pushes == ["2026-11-30T10:00"] * 2 + ["2026-12-01T10:00"] * 2 + ["2026-12-02T10:00"] * 2
