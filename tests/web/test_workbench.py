"""The workbench (/app/) and 公示 (/public/) over HTTP: sign-in, who sees what, web actions that go
through the chat's commands, the Excel ledger, and pages that never show a name or run a script."""

from __future__ import annotations

import io
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from openpyxl import load_workbook

from bot.app import create_app
from bot.config import Config
from bot.web import keys
from bot.web.workbench.auth import hash_password
from handlers.permissions import may_see
from storage.ledger import visible
from storage.models import Issue
from tests.support.chat import ROOM

Client = TestClient[Any, web.Application]
MakeClient = Callable[..., Awaitable[Client]]
BOSS, POWER, HR, CO, LEADER = "e_huake_liu", "h_gd_shi", "h_rs_sun", "co_yang", "ld_chen"
PASSWORD = "correct horse battery"
XSS = "<script>alert(1)</script>园区停电三天了，生产线全停"


@pytest.fixture
async def client(aiohttp_client: MakeClient, example_config: Config, sqlite_url: str) -> Client:
    app = create_app(replace(example_config, database_url=sqlite_url))
    client = await aiohttp_client(app)
    async with app[keys.UOW]() as uow:
        for member in (BOSS, POWER, HR, CO, LEADER):
            await uow.accounts.set_password_hash(member, hash_password(PASSWORD), datetime.now(UTC))
        await uow.commit()
    for text, by in ((XSS, BOSS), ("厂里招不到熟练技工，缺口30多人，希望人社局帮忙对接", "e_jiuzhou_lin")):
        response = await client.post(
            "/sim/api/messages", json={"room_id": ROOM, "sender_id": by, "text": text}
        )
        assert response.status == 201
    return client


async def csrf(client: Client, path: str = "/app/login") -> str:
    page = await (await client.get(path)).text()
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)


async def sign_in(client: Client, member: str, password: str = PASSWORD) -> int:
    token = await csrf(client)
    form = {"member_id": member, "password": password, "csrf": token, "next": "/app/issues"}
    response = await client.post("/app/login", data=form, allow_redirects=False)
    return response.status


async def test_every_page_needs_a_session(client: Client) -> None:
    for path in ("/app/", "/app/issues", "/app/issues/1", "/app/issues.xlsx", "/app/queue"):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 302 and response.headers["Location"].startswith("/app/login?next=/app/")
    login = await client.get("/app/login")
    assert login.status == 200 and "登录工作台" in await login.text()
    assert "script-src 'self'" in login.headers["Content-Security-Policy"]


async def test_sign_in_and_out(client: Client) -> None:
    assert await sign_in(client, CO, "wrong password") == 401
    assert await sign_in(client, CO) == 302
    assert "营商办杨主任" in await (await client.get("/app/issues")).text()
    token = await csrf(client, "/app/issues")
    assert (await client.post("/app/logout", data={"csrf": token}, allow_redirects=False)).status == 302
    assert (await client.get("/app/issues", allow_redirects=False)).status == 302


async def test_failed_logins_are_slowed_then_heard_again(client: Client) -> None:
    statuses = [await sign_in(client, POWER, f"guess {i}") for i in range(6)]
    assert statuses[:5] == [401] * 5 and statuses[5] == 429  # the sixth try waits
    assert await sign_in(client, POWER) == 429  # so does the right password, for those seconds ...
    throttle = client.app[keys.LOGIN_THROTTLE]
    now = throttle.clock()
    throttle.clock = lambda: now + 60  # ... and once they have passed, it signs in
    assert await sign_in(client, POWER) == 302


async def test_a_login_form_without_its_token_is_refused(client: Client) -> None:
    form = {"member_id": CO, "password": PASSWORD, "csrf": "forged"}
    assert (await client.post("/app/login", data=form, allow_redirects=False)).status == 400


async def test_a_department_head_sees_only_their_department(client: Client) -> None:
    assert await sign_in(client, POWER) == 302
    page = await (await client.get("/app/issues")).text()
    assert 'href="/app/issues/1"' in page and 'href="/app/issues/2"' not in page
    assert (await client.get("/app/issues/2")).status == 404  # not theirs: as if it did not exist
    assert "认领" in await (await client.get("/app/issues/1")).text()


async def test_the_coordinator_recategorizes_on_the_web_and_the_group_sees_it(client: Client) -> None:
    assert await sign_in(client, CO) == 302
    token = await csrf(client, "/app/issues/2")
    form = {"csrf": token, "verb": "归类", "category": "政策咨询"}
    response = await client.post("/app/issues/2/act", data=form, allow_redirects=False)
    assert response.status == 302
    async with client.app[keys.UOW]() as uow:
        issue = await uow.tickets.by_no(2)
        assert issue is not None and issue.category == "政策咨询"
    said = (await (await client.get("/sim/api/messages", params={"room_id": ROOM})).json())["messages"]
    assert (
        said[-1]["sender_id"] == "zhuqi-bot" and "#2" in said[-1]["text"] and "政策咨询" in said[-1]["text"]
    )
    assert "政策咨询" in await (await client.get("/app/issues/2")).text()


async def test_a_forged_action_changes_nothing(client: Client) -> None:
    assert await sign_in(client, CO) == 302
    form = {"csrf": "forged", "verb": "归类", "category": "政策咨询"}
    await client.post("/app/issues/2/act", data=form, allow_redirects=False)
    async with client.app[keys.UOW]() as uow:
        issue = await uow.tickets.by_no(2)
        assert issue is not None and issue.category == "用工人才"


async def test_the_ledger_exports_to_excel_as_filtered(client: Client) -> None:
    assert await sign_in(client, LEADER) == 302
    urge = {"room_id": ROOM, "sender_id": LEADER, "text": "督办 2 本周内对接职业学校"}
    assert (await client.post("/sim/api/messages", json=urge)).status == 201
    response = await client.get("/app/issues.xlsx", params={"category": "用工人才"})
    assert response.status == 200
    sheet = load_workbook(io.BytesIO(await response.read())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("编号", "受理时间", "企业", "诉求摘要")
    assert [r[0] for r in rows[1:]] == [2] and isinstance(rows[1][1], datetime)
    assert rows[1][rows[0].index("督办次数")] == 1
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:N2"


async def test_chat_text_is_shown_as_text(client: Client) -> None:
    assert await sign_in(client, CO) == 302
    for path in ("/app/issues", "/app/issues/1", "/app/"):
        page = await (await client.get(path)).text()
        assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in await (await client.get("/app/issues/1")).text()


async def test_public_page_names_nobody(client: Client) -> None:
    assert await sign_in(client, POWER) == 302
    for verb in ("认领 1", "办结 1 已更换变压器"):
        await client.post("/sim/api/messages", json={"room_id": ROOM, "sender_id": POWER, "text": verb})
    await client.post("/sim/api/messages", json={"room_id": ROOM, "sender_id": BOSS, "text": "评价 1 满意"})
    page = await (await client.get("/public/")).text()
    assert "#1" in page and "已解决" in page
    roster = client.app[keys.CONFIG].roster
    names = [m.name for m in roster.members] + [e.name for e in roster.enterprises]
    names += [e.short for e in roster.enterprises if e.short]
    assert [n for n in names if n in page] == []
    assert "停电" not in page  # no free text
    assert "某规上企业" in page  # 华科电子 is the only 电子信息 firm: its label is the coarser one


def test_every_public_label_fits_at_least_three_enterprises(example_config: Config) -> None:
    """No label 公示 can show ties a public category to one named firm (the old 四*****司 masks were
    unique for 7 of the 9 example enterprises)."""
    from bot.web.workbench.views import ANONYMOUS_AMONG, public_label

    roster = example_config.roster
    labels = {e.name: public_label(e.name, roster) for e in roster.enterprises}
    for label in set(labels.values()):
        fitting = [e for e in roster.enterprises if _fits(label, e)]
        assert len(fitting) >= ANONYMOUS_AMONG, (label, [e.name for e in fitting])


def _fits(label: str, firm: Any) -> bool:
    if label == "某企业":
        return True
    wanted = (
        label.removeprefix("某").removesuffix("）").replace("企业（", "|").removesuffix("企业").split("|")
    )
    return all(w in (firm.industry, firm.scale) for w in wanted)


async def test_the_ledger_shows_what_permissions_allow(client: Client) -> None:
    """The SQL visibility of the ledger equals permissions.may_see for every member and ticket."""
    from sqlalchemy import select

    from bot.web.workbench.views import viewer

    assist = {"room_id": ROOM, "sender_id": CO, "text": "协办 1 人社局"}  # an ASSISTING relation too
    assert (await client.post("/sim/api/messages", json=assist)).status == 201
    roster = client.app[keys.CONFIG].roster
    async with client.app[keys.UOW]() as uow:
        issues = list((await uow.session.execute(select(Issue))).scalars())
        assert any(i.assisting for i in issues)
        for member in roster.members:
            shown = set(
                (await uow.session.execute(select(Issue.no).where(visible(viewer(member, roster))))).scalars()
            )
            assert shown == {i.no for i in issues if may_see(member, i, roster)}, member.id


async def test_leaders_get_the_chart_figures(client: Client) -> None:
    assert await sign_in(client, POWER) == 302
    assert (await client.get("/app/charts.json")).status == 403  # a department head: the ledger only
    assert await sign_in(client, LEADER) == 302
    data = await (await client.get("/app/charts.json")).json()
    assert len(data["weeks"]) == 12 and sum(data["opened"]) == 2
    assert dict(zip(data["departments"], data["open"], strict=True)) == {
        "国网绵阳供电公司": 1,
        "市人力资源和社会保障局": 1,
    }
    home = await (await client.get("/app/")).text()
    assert '<script src="/app/static/vendor/echarts-5.6.0.min.js"></script>' in home
    assert "http://" not in home and "https://" not in home  # nothing from outside the package


async def test_the_monthly_report_has_one_sheet_per_table(client: Client) -> None:
    assert await sign_in(client, LEADER) == 302
    month = client.app[keys.CLOCK].now().strftime("%Y-%m")
    response = await client.get("/app/reports/monthly.xlsx", params={"month": month})
    assert response.status == 200
    book = load_workbook(io.BytesIO(await response.read()))
    assert book.sheetnames == ["部门排名", "类别", "超期清单", "台账"]
    assert [r[0] for r in book["台账"].iter_rows(min_row=2, values_only=True)] == [2, 1]
    assert sorted(r[0] for r in book["类别"].iter_rows(min_row=2, values_only=True)) == [
        "水电气暖",
        "用工人才",
    ]
    for bad in ("2026-13", "26-11", "十一月"):
        assert (await client.get("/app/reports/monthly.xlsx", params={"month": bad})).status == 400
    assert await sign_in(client, POWER) == 302
    assert (await client.get("/app/reports/monthly.xlsx", params={"month": month})).status == 403


def _sheet(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def _upload(client: Client, name: str, data: bytes) -> tuple[int, str]:
    from aiohttp import FormData

    form = FormData()
    form.add_field("csrf", await csrf(client, "/app/roster"))
    form.add_field("file", data, filename=name)
    response = await client.post("/app/roster", data=form)
    return response.status, await response.text()


async def test_a_roster_import_takes_effect_without_a_restart(client: Client) -> None:
    assert await sign_in(client, CO) == 302
    bad = _sheet([["编号", "姓名", "角色", "部门", "企业"], ["h_new", "新科长", "部门", "", ""],
                  ["e_new", "新老板", "企业", "", "绵阳新材料有限公司"], ["e_new", "重复", "主任", "", ""]])  # fmt: skip
    status, page = await _upload(client, "花名册.xlsx", bad)
    assert status == 400 and "第2行：部门成员要填「部门」" in page and "第4行" in page
    assert client.app[keys.CONFIG].roster.member("e_new") is None  # one wrong row: nothing imported
    good = _sheet([["编号", "姓名", "角色", "部门", "企业", "别名"], ["h_new", "新科长", "部门", "供电公司", None, None],
                   ["e_new", "新老板", "企业", None, "绵阳新材料有限公司", "小新"]])  # fmt: skip
    status, page = await _upload(client, "花名册.xlsx", good)
    assert status == 200 and "已导入 2 名成员" in page
    roster = client.app[keys.CONFIG].roster
    assert roster.member("h_new") is not None and "h_new" in roster.handlers_of("国网绵阳供电公司")
    said = {
        "room_id": ROOM,
        "sender_id": "e_new",
        "text": "新厂房的消防验收申请交上去一个多月了，一直说排不上队",
    }
    assert (await client.post("/sim/api/messages", json=said)).status == 201  # a new member, known at once
    messages = (await (await client.get("/sim/api/messages", params={"room_id": ROOM})).json())["messages"]
    assert messages[-1]["sender_id"] == "zhuqi-bot" and "#3" in messages[-1]["text"]
    async with client.app[keys.UOW]() as uow:
        assert await uow.roster_imports.version() == 1 and len(await uow.roster_imports.members()) == 2


async def test_only_the_coordinator_imports(client: Client) -> None:
    assert await sign_in(client, LEADER) == 302
    response = await client.get("/app/roster", allow_redirects=False)
    assert response.status == 302 and response.headers["Location"] == "/app/"


async def test_the_ledger_sorts_and_pages_by_keyset(client: Client) -> None:
    others = ["e_huake_xiao", "e_fucheng_jiang", "e_anzhou_luo", "e_youxian_ma", "e_fenggu_hu"]
    for i, sender in enumerate(others):  # seven tickets in all
        said = {
            "room_id": ROOM,
            "sender_id": sender,
            "text": f"我们厂的增值税发票额度不够用，第{i}次申请提额还没批",
        }
        assert (await client.post("/sim/api/messages", json=said)).status == 201
    assert await sign_in(client, CO) == 302

    async def numbers(**params: str) -> tuple[list[int], str | None]:
        page = await (await client.get("/app/issues", params={"limit": "3", **params})).text()
        found = [int(n) for n in re.findall(r'<td><a href="/app/issues/(\d+)">', page)]
        more = re.search(r'id="next-page" href="/app/issues\?([^"]+)"', page)
        return found, more.group(1).replace("&amp;", "&") if more else None

    newest, more = await numbers()
    assert newest == [7, 6, 5] and more is not None
    pages = [newest]
    while more:  # follow 下一页 to the end: every ticket once, in order
        found, more = await numbers(
            **dict(p.split("=", 1) for p in more.split("&") if not p.startswith("limit"))
        )
        pages.append(found)
    assert [n for page in pages for n in page] == [7, 6, 5, 4, 3, 2, 1]
    oldest, _ = await numbers(sort="old")
    assert oldest[:2] == [1, 2]
    due, _ = await numbers(sort="due")
    async with client.app[keys.UOW]() as uow:
        tickets = {i.no: i for i in [await uow.tickets.by_no(n) for n in due] if i}
        dues = [tickets[n].resolve_due for n in due]
    assert dues == sorted(dues)  # soonest deadline first


async def test_a_leader_hands_down_a_task_from_the_web(client: Client) -> None:
    assert await sign_in(client, LEADER) == 302
    form = {"csrf": await csrf(client, "/app/"), "task": "帮九洲智联对接中欧班列", "department": "市商务局"}
    assert (await client.post("/app/assign", data=form, allow_redirects=False)).status == 302
    said = (await (await client.get("/sim/api/messages", params={"room_id": ROOM})).json())["messages"]
    assert said[-1]["sender_id"] == "zhuqi-bot" and "#3" in said[-1]["text"]
    async with client.app[keys.UOW]() as uow:
        task = await uow.tickets.by_no(3)
        assert task is not None and task.kind == "task" and task.department == "市商务局"


async def test_a_one_time_link_signs_in_once_and_asks_for_a_password(client: Client) -> None:
    from datetime import timedelta

    now = client.app[keys.CLOCK].now()
    async with client.app[keys.UOW]() as uow:
        uow.accounts.add_login_link("the-token", HR, now + timedelta(hours=24))
        uow.accounts.add_login_link("old-token", HR, now - timedelta(minutes=1))
        await uow.commit()
    assert (await client.head("/app/login/link/the-token")).status == 200  # a link preview ...
    page = await client.get("/app/login/link/the-token")  # ... and the page: nothing spent yet
    assert page.status == 200 and "以 人社局孙科长 登录" in await page.text()
    confirm = {"csrf": await csrf(client, "/app/login/link/the-token")}
    response = await client.post("/app/login/link/the-token", data=confirm, allow_redirects=False)
    assert response.status == 302 and response.headers["Location"] == "/app/account"
    token = await csrf(client, "/app/account")
    short = await client.post("/app/account", data={"csrf": token, "password": "short", "again": "short"})
    assert short.status == 400 and "至少 8 位" in await short.text()
    form = {"csrf": token, "password": "a new password", "again": "a new password"}
    assert (await client.post("/app/account", data=form, allow_redirects=False)).status == 302
    assert (await client.get("/app/login/link/the-token")).status == 410  # used up
    assert (await client.get("/app/login/link/old-token")).status == 410  # expired
    logout = await csrf(client, "/app/")
    await client.post("/app/logout", data={"csrf": logout})
    assert await sign_in(client, HR, "a new password") == 302


# --- 通知 and 政策: a notice's 回执 table (and its Excel file), the policy figures; staff only ---


async def say_as(client: Client, text: str, by: str) -> dict[str, Any]:
    response = await client.post("/sim/api/messages", json={"room_id": ROOM, "sender_id": by, "text": text})
    assert response.status == 201, await response.text()
    return dict(await response.json())


async def test_a_notice_and_its_receipts_in_the_workbench(client: Client) -> None:
    await say_as(client, "通知 请于周五17:00前确认年底用工缺口，收到请回复 对象 专精特新", CO)
    await say_as(client, "收到", BOSS)
    await say_as(client, "回执 1 我们缺 20 人", "e_kechuang_song")
    assert await sign_in(client, LEADER) == 302
    listing = await (await client.get("/app/notices")).text()
    assert 'href="/app/notices/1"' in listing and "2/3" in listing and "专精特新" in listing
    page = await (await client.get("/app/notices/1")).text()
    assert "回执 2/3" in page and "华科精密" not in page  # names are the roster's short names
    for name, state in (("华科电子", "已回执"), ("科创智能", "已回执"), ("九洲智联", "未回执")):
        assert f"<td>{name}</td><td>{state}</td>" in page
    export = await client.get("/app/notices/1.xlsx")
    assert export.status == 200 and "filename*=UTF-8''" in export.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(await export.read())).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["对象", "状态", "回执人", "回执时间", "内容"]
    assert [r[:3] for r in rows[1:]] == [["华科电子", "已回执", "华科电子刘总"], ["科创智能", "已回执", "科创智能宋总"],
                                          ["九洲智联", "未回执", None]]  # fmt: skip
    assert rows[2][4] == "我们缺 20 人"
    assert (await client.get("/app/notices/99")).status == 404
    assert (await client.get("/app/notices/abc")).status == 404


async def test_policy_figures_and_staff_only(client: Client) -> None:
    await say_as(client, "申请 3 今年新认定省级专精特新", BOSS)
    assert await sign_in(client, CO) == 302
    page = await (await client.get("/app/policies")).text()
    assert "<td>3</td><td>专精特新中小企业奖励</td>" in page
    assert "<td>0</td><td>0</td><td>1</td>" in page  # told, asked, applied
    client.session.cookie_jar.clear()
    assert await sign_in(client, BOSS) == 302
    for path in ("/app/notices", "/app/policies", "/app/notices/1"):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 302 and response.headers["Location"] == "/app/"


async def test_imported_enterprise_attributes_select_notices_and_policies(client: Client) -> None:
    assert await sign_in(client, CO) == 302
    sheet = _sheet([["编号", "姓名", "角色", "部门", "企业", "别名", "行业", "规模", "区县", "标签"],
                    ["e_yt_wu", "盐亭吴总", "企业", None, "盐亭县嫘祖丝绸有限公司", None, "纺织服装", "规上", "盐亭县", "专精特新、出口"],
                    ["e_huake_liu", "华科电子刘总", "企业", None, "华科电子", None, None, None, "高新区", None]])  # fmt: skip
    status, page = await _upload(client, "花名册.xlsx", sheet)
    assert status == 200, page

    async def answer(text: str) -> str:
        posted = await say_as(client, text, CO)
        after = {"room_id": ROOM, "after": str(posted["id"])}
        return str(
            (await (await client.get("/sim/api/messages", params=after)).json())["messages"][-1]["text"]
        )

    assert "\n对象：盐亭县（1）｜" in await answer("通知 请于周五17:00前报送出口订单情况 对象 盐亭县")
    # 华科电子 moved to 高新区; its other attributes stay as configured
    assert "\n对象：高新区（1）｜" in await answer(
        "通知 高新区企业请于周五前确认参会，收到请回复 对象 高新区"
    )
    roster = client.app[keys.CONFIG].roster
    huake = roster.enterprise("华科电子")
    assert huake is not None and huake.district == "高新区" and huake.tags == ("专精特新",)
    silk = roster.enterprise("盐亭县嫘祖丝绸有限公司")
    assert silk is not None and (silk.industry, silk.scale, silk.tags) == (
        "纺织服装",
        "规上",
        ("专精特新", "出口"),
    )


# --- issue 26: the workbench under attack -------------------------------------------------------


async def test_failed_logins_with_huge_ids_keep_the_throttle_small(client: Client) -> None:
    """300 failed logins with a 60 KB member id each (one CSRF token): the throttle keeps fixed-size
    keys, at most MOST_KEYS of them, and forgets them after its window."""
    from bot.web import throttle as throttle_module

    token = await csrf(client)
    for i in range(300):
        form = {"member_id": f"{i}" + "x" * 60_000, "password": "guess", "csrf": token}
        assert (await client.post("/app/login", data=form)).status in (401, 429)
    throttle = client.app[keys.LOGIN_THROTTLE]
    kept = list(throttle._failures)
    assert len(kept) <= throttle_module.MOST_KEYS and max(map(len, kept)) <= 128
    now = throttle.clock()
    throttle.clock = lambda: now + throttle_module.WINDOW + 1
    assert throttle.wait("anyone", "127.0.0.1") == 0 and len(throttle) == 0


def test_the_throttle_never_holds_more_than_its_bound() -> None:
    from bot.web.throttle import Throttle

    throttle = Throttle(most=100)
    for i in range(10_000):
        throttle.failed(f"member-{i}", f"10.0.{i // 256 % 256}.{i % 256}")
    assert len(throttle) == 100


@pytest.fixture
async def proxied(aiohttp_client: MakeClient, example_config: Config, sqlite_url: str) -> Client:
    """The workbench behind a reverse proxy on 127.0.0.1 that names the client in X-Forwarded-For."""
    web_config = replace(example_config.web, trusted_proxies=frozenset({"127.0.0.1"}))
    app = create_app(replace(example_config, database_url=sqlite_url, web=web_config))
    client = await aiohttp_client(app)
    async with app[keys.UOW]() as uow:
        await uow.accounts.set_password_hash(CO, hash_password(PASSWORD), datetime.now(UTC))
        await uow.commit()
    return client


async def _sign_in_from(client: Client, address: str, password: str) -> int:
    token = await csrf(client)
    form = {"member_id": CO, "password": password, "csrf": token}
    headers = {"X-Forwarded-For": f"203.0.113.9, {address}"}  # the proxy appends the client it saw
    response = await client.post("/app/login", data=form, headers=headers, allow_redirects=False)
    return response.status


async def test_nobody_locks_the_coordinator_out_from_elsewhere(proxied: Client) -> None:
    assert [await _sign_in_from(proxied, "198.51.100.66", f"guess {i}") for i in range(6)][-1] == 429
    assert await _sign_in_from(proxied, "198.51.100.7", PASSWORD) == 302  # the office: at once


async def test_forwarded_for_counts_only_from_a_trusted_proxy(client: Client) -> None:
    token = await csrf(client)
    for i in range(6):  # each try claims another address; none is believed
        form = {"member_id": CO, "password": f"guess {i}", "csrf": token}
        await client.post("/app/login", data=form, headers={"X-Forwarded-For": f"198.51.100.{i}"})
    assert await sign_in(client, CO) == 429


async def test_an_unknown_id_costs_the_same_hashing_as_a_known_one(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.web.workbench import auth

    hashed: list[str | None] = []
    real = auth._verified
    monkeypatch.setattr(
        auth, "_verified", lambda stored, password: hashed.append(stored) or real(stored, password)
    )
    for member in (CO, "nobody", "x" * 500, "e_fucheng_jiang"):  # known; unknown; too long; no account
        assert await sign_in(client, member, "wrong password") == 401
    assert len(hashed) == 4 and hashed[0] is not None and hashed[1:] == [None, None, None]


def _session_cookie(client: Client) -> str:
    return next(c.value for c in client.session.cookie_jar if c.key == "zhuqi_session")


def _use_cookie(client: Client, value: str) -> None:
    client.session.cookie_jar.update_cookies({"zhuqi_session": value}, client.make_url("/"))


async def _signed_in_as(client: Client) -> int:
    return (await client.get("/app/issues", allow_redirects=False)).status


async def test_a_cookie_kept_after_logout_reads_nothing(client: Client) -> None:
    assert await sign_in(client, POWER) == 302
    kept = _session_cookie(client)
    await client.post("/app/logout", data={"csrf": await csrf(client, "/app/")})
    _use_cookie(client, kept)  # the old cookie, replayed
    assert await _signed_in_as(client) == 302
    form = {"csrf": "whatever", "verb": "认领"}
    assert (await client.post("/app/issues/1/act", data=form, allow_redirects=False)).status == 302
    async with client.app[keys.UOW]() as uow:
        issue = await uow.tickets.by_no(1)
        assert issue is not None and issue.claimed_at is None


async def test_a_new_password_ends_the_members_other_sessions(client: Client) -> None:
    assert await sign_in(client, HR) == 302
    elsewhere = _session_cookie(client)
    assert await sign_in(client, HR) == 302  # a second browser
    form = {
        "csrf": await csrf(client, "/app/account"),
        "password": "a new password",
        "again": "a new password",
    }
    assert (await client.post("/app/account", data=form, allow_redirects=False)).status == 302
    assert await _signed_in_as(client) == 200  # the session that set it goes on
    _use_cookie(client, elsewhere)
    assert await _signed_in_as(client) == 302  # the other one is over


async def test_a_role_changed_by_import_ends_the_members_sessions(client: Client) -> None:
    assert await sign_in(client, POWER) == 302
    theirs = _session_cookie(client)
    assert await sign_in(client, CO) == 302
    sheet = _sheet(
        [["编号", "姓名", "角色", "部门", "企业"], [POWER, "供电公司施经理", "营商办", None, None]]
    )
    status, page = await _upload(client, "花名册.xlsx", sheet)
    assert status == 200 and "h_gd_shi 供电公司施经理：角色 部门 → 营商办" in page  # recorded, before → after
    _use_cookie(client, theirs)
    assert await _signed_in_as(client) == 302  # signed out: sign in again, with the new role


async def test_pages_with_personal_data_are_never_cached(client: Client) -> None:
    assert await sign_in(client, CO) == 302
    for path in ("/app/", "/app/issues", "/app/issues/1", "/app/login"):
        assert (await client.get(path)).headers["Cache-Control"] == "no-store", path


async def test_a_roster_file_is_read_only_as_wide_as_its_header_and_as_long_as_allowed() -> None:
    from openpyxl import Workbook

    from bot import roster_file

    book = Workbook()
    book.active.append(["编号", "姓名", "角色", "部门", "企业"])
    for i in range(2000):  # each row carries one empty-looking cell in the last column, XFD
        book.active.append([f"e_{i}", f"老板{i}", "企业", None, "华科电子"])
        book.active.cell(row=i + 2, column=16384, value=" ")
    out = io.BytesIO()
    book.save(out)
    rows = roster_file.read_rows("big.xlsx", out.getvalue())
    assert len(rows) == 2000 and max(len(r) for _, r in rows) <= roster_file.MAX_COLUMNS
    too_many = "编号,姓名,角色\n" + "".join(f"e_{i},老板,企业\n" for i in range(roster_file.MAX_ROWS + 1))
    with pytest.raises(roster_file.RosterFileError, match="最多导入"):
        roster_file.read_rows("many.csv", too_many.encode())


async def test_a_field_longer_than_its_column_is_refused_with_its_row(client: Client) -> None:
    assert await sign_in(client, CO) == 302
    sheet = _sheet([["编号", "姓名", "角色", "部门", "企业"], ["e_long", "名" * 300, "企业", None, "华科电子"],
                    ["h_long", "新科长", "部门", "部" * 300, None]])  # fmt: skip
    status, page = await _upload(client, "花名册.xlsx", sheet)
    assert status == 400 and "第2行：「姓名」最多 64 个字" in page and "第3行：「部门」最多 128 个字" in page


async def test_dates_past_the_calendar_are_refused_or_left_out_never_a_500(client: Client) -> None:
    assert await sign_in(client, CO) == 302
    assert (await client.get("/app/reports/monthly.xlsx", params={"month": "9999-12"})).status == 400
    for path in ("/app/issues", "/app/issues.xlsx"):  # a filter that does not parse is left out
        assert (await client.get(path, params={"until": "9999-12-31", "since": "0001-01-01"})).status == 200


async def _group(client: Client) -> list[dict[str, Any]]:
    said = await (await client.get("/sim/api/messages", params={"room_id": ROOM})).json()
    return list(said["messages"])


async def test_a_refused_web_action_says_nothing_in_the_group(client: Client) -> None:
    assert await sign_in(client, BOSS) == 302  # an enterprise may neither 交办 nor 认领 another's
    before = len(await _group(client))
    token = await csrf(client, "/app/")
    for _ in range(30):
        form = {"csrf": token, "task": "帮我们对接银行", "department": "市商务局"}
        await client.post("/app/assign", data=form, allow_redirects=False)
        await client.post("/app/issues/2/act", data={"csrf": token, "verb": "认领"}, allow_redirects=False)
    assert len(await _group(client)) == before
    form = {"csrf": token, "task": "帮我们对接银行", "department": "市商务局"}
    await client.post("/app/assign", data=form, allow_redirects=False)
    assert "您不能交办" in await (await client.get("/app/")).text()  # said on the page instead


async def test_web_actions_past_the_budget_reach_no_group(client: Client) -> None:
    assert await sign_in(client, LEADER) == 302
    token = await csrf(client, "/app/issues/1")
    before = len(await _group(client))
    for i in range(25):
        form = {"csrf": token, "verb": "督办", "text": f"第{i}次督办"}
        await client.post("/app/issues/1/act", data=form, allow_redirects=False)
    assert len(await _group(client)) - before == 20  # WEB_ACTIONS: 20 a member a minute
    assert "操作太频繁" in await (await client.get("/app/issues/1")).text()


async def test_the_ticket_page_reads_as_chinese_and_selects_the_tickets_category(client: Client) -> None:
    assert await sign_in(client, POWER) == 302
    await client.post("/sim/api/messages", json={"room_id": ROOM, "sender_id": POWER, "text": "认领 1"})
    assert await sign_in(client, CO) == 302
    page = await (await client.get("/app/issues/2")).text()
    assert re.search(r"<option selected>用工人才</option>", page)  # the ticket's own, not the first
    history = await (await client.get("/app/issues/1")).text()
    history = history.split("经过", 1)[1]
    assert "认领" in history and not re.search(r"\b(create|claim)\b", history)


async def test_ranking_hours_read_with_one_decimal(client: Client) -> None:
    assert await sign_in(client, POWER) == 302
    await client.post("/sim/api/messages", json={"room_id": ROOM, "sender_id": POWER, "text": "认领 1"})
    assert await sign_in(client, CO) == 302
    figures = await (await client.get("/app/charts.json")).json()
    hours = [row["median_claim_hours"] for row in figures["ranking"] if row["median_claim_hours"] is not None]
    assert hours and all(h == round(h, 1) for h in hours)


async def test_the_accounts_page_is_the_coordinators(client: Client) -> None:
    assert await sign_in(client, LEADER) == 302
    assert (await client.get("/app/accounts", allow_redirects=False)).status == 302  # not a leader's
    assert await sign_in(client, CO) == 302
    page = await (await client.get("/app/accounts")).text()
    assert "default（sim）" in page and "在线" in page and "负责的群（1）：绵阳企业家" in page
    assert "排队 0 条" in page
