"""Levels on the workbench and 公示 (issue 24): a county leader sees and acts on their county's
tickets only; the charts and the monthly report are of the reader's unit and those below it, with a
unit filter, the city's report with the counties against each other and a 台账 sheet for each; 公示
per unit. Over HTTP into the app built from the example in two levels (``tests/support/levels.py``)."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from openpyxl import load_workbook

from bot.app import create_app
from bot.config import Config
from bot.web import keys
from bot.web.workbench.auth import hash_password
from tests.support.chat import ROOM
from tests.support.levels import FUCHENG_ROOM, SANTAI_ROOM, levels_config
from tests.web.test_workbench import PASSWORD, MakeClient, csrf, sign_in

Client = TestClient[Any, web.Application]
APPEALS = (
    (FUCHENG_ROOM, "e_fc_he", "厂里招不到熟练技工，缺口三十多人，希望人社局帮忙对接职校"),
    (SANTAI_ROOM, "e_st_tang", "员工社保转移办不下来，好几个月了，希望人社局帮忙"),
    (ROOM, "e_huake_liu", "园区三天两头停电，生产线受影响，希望供电公司给个说法"),
)


@pytest.fixture
async def client(
    aiohttp_client: MakeClient, example_config: Config, sqlite_url: str, tmp_path: Path
) -> Client:
    levels = levels_config(tmp_path)
    config = replace(example_config, roster=levels.roster, database_url=sqlite_url)
    app = create_app(config)
    client = await aiohttp_client(app)
    async with app[keys.UOW]() as uow:
        for member in ("ld_chen", "ld_fucheng", "ld_santai"):
            await uow.accounts.set_password_hash(member, hash_password(PASSWORD), datetime.now(UTC))
        await uow.commit()
    for room, by, text in APPEALS:
        response = await client.post(
            "/sim/api/messages", json={"room_id": room, "sender_id": by, "text": text}
        )
        assert response.status == 201, await response.text()
    return client


async def test_a_county_leader_sees_and_acts_on_their_countys_tickets_only(client: Client) -> None:
    assert await sign_in(client, "ld_santai") == 302
    ledger = await (await client.get("/app/issues")).text()
    assert "#2" in ledger and "#1" not in ledger and "#3" not in ledger
    assert (await client.get("/app/issues/1")).status in (403, 404)
    assert (await client.get("/app/issues/2")).status == 200
    token = await csrf(client, "/app/issues/2")
    refused = await client.post("/app/issues/1/act", data={"csrf": token, "verb": "督办", "text": "请尽快"})
    assert refused.status in (403, 404)  # acting on another county's ticket: nothing happens
    async with client.app[keys.UOW]() as uow:
        issue = await uow.tickets.by_no(1)
        assert issue is not None and issue.escalation_level == 0
    assert await sign_in(client, "ld_chen") == 302  # the city: every county's
    ledger = await (await client.get("/app/issues")).text()
    assert all(f"#{no}" in ledger for no in (1, 2, 3))


async def test_the_charts_take_a_unit_filter_within_the_readers_scope(client: Client) -> None:
    assert await sign_in(client, "ld_chen") == 302
    city = await (await client.get("/app/charts.json")).json()
    assert city["units"] == ["绵阳市", "涪城区", "涪城高新园区", "三台县"] and sum(city["opened"]) == 3
    county = await (await client.get("/app/charts.json", params={"unit": "涪城区"})).json()
    assert sum(county["opened"]) == 1 and county["departments"] == ["涪城区人力资源和社会保障局"]
    assert await sign_in(client, "ld_santai") == 302
    own = await (await client.get("/app/charts.json")).json()
    assert own["units"] == ["三台县"] and sum(own["opened"]) == 1
    refused = await client.get("/app/charts.json", params={"unit": "涪城区"})
    assert refused.status == 400 and "不在您所在单位及下级单位" in (await refused.json())["error"]


async def test_the_citys_monthly_report_sets_the_counties_side_by_side(client: Client) -> None:
    month = client.app[keys.CLOCK].now().strftime("%Y-%m")
    assert await sign_in(client, "ld_chen") == 302
    response = await client.get("/app/reports/monthly.xlsx", params={"month": month})
    book = load_workbook(io.BytesIO(await response.read()))
    assert book.sheetnames == [
        "部门排名",
        "类别",
        "超期清单",
        "台账",
        "下级单位对比",
        "台账-涪城区",
        "台账-三台县",
    ]
    units = [r[:2] for r in book["下级单位对比"].iter_rows(min_row=2, values_only=True)]
    assert sorted(units) == [("三台县", 1), ("涪城区", 1)]
    assert [r[0] for r in book["台账-涪城区"].iter_rows(min_row=2, values_only=True)] == [1]
    assert await sign_in(client, "ld_fucheng") == 302
    response = await client.get("/app/reports/monthly.xlsx", params={"month": month})
    book = load_workbook(io.BytesIO(await response.read()))
    assert book.sheetnames[-2:] == ["下级单位对比", "台账-涪城高新园区"]  # its park
    assert [r[0] for r in book["台账"].iter_rows(min_row=2, values_only=True)] == [1]
    assert [r[0] for r in book["部门排名"].iter_rows(min_row=2, values_only=True)] in (
        [],
        ["涪城区人力资源和社会保障局"],
    )


async def test_public_listing_per_unit(client: Client) -> None:
    page = await (await client.get("/public/", params={"unit": "涪城区"})).text()
    assert "涪城区近" in page and 'href="/public/?unit=%E4%B8%89%E5%8F%B0%E5%8E%BF"' in page
    missing = await client.get("/public/", params={"unit": "兰考县"})
    assert missing.status == 404 and "没有「兰考县」这个单位" in await missing.text()


async def test_a_parents_page_shows_its_children_and_a_childs_its_parent(client: Client) -> None:
    said = await client.post(
        "/sim/api/messages",
        json={"room_id": ROOM, "sender_id": "ld_chen", "text": "交办 摸排企业用工缺口 人社局 下派 各县区"},
    )
    assert said.status == 201
    assert await sign_in(client, "ld_chen") == 302
    page = await (await client.get("/app/issues/4")).text()
    assert "下派（0/2 办结）" in page and "#5</a> 涪城区｜涪城区人力资源和社会保障局｜待认领" in page
    child = await (await client.get("/app/issues/6")).text()
    assert '<a href="/app/issues/4">#4</a>（下派）' in child and "三台县" in child
