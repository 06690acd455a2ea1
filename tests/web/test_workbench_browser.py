"""The workbench in a real headless Chromium, at desktop and phone width: sign in, the ledger as a
department head sees it, 营商办 归类 on the web (the group sees the bot's answer), sign out."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.app import create_app
from bot.config import Config
from bot.web import keys
from bot.web.workbench.auth import hash_password
from tests.support.chat import ROOM

pytestmark = [pytest.mark.browser, pytest.mark.slow]

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

from tests.support.browser import browser as _browser  # noqa: E402
from tests.support.browser import wait_for as _wait_for  # noqa: E402
from tests.support.server import free_port  # noqa: E402

PASSWORD = "correct horse battery"
DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture
async def base(example_config: Config, sqlite_url: str) -> AsyncIterator[str]:
    port = free_port()
    app = create_app(replace(example_config, database_url=sqlite_url))
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    async with app[keys.UOW]() as uow:
        for member in ("co_yang", "h_gd_shi"):
            await uow.accounts.set_password_hash(member, hash_password(PASSWORD), datetime.now(UTC))
        await uow.commit()
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        for text, by in (("<b>园区</b>这周第三次停电了，生产线停了半天", "e_huake_liu"),
                         ("厂里招不到熟练技工，缺口30多人，希望人社局帮忙对接", "e_jiuzhou_lin")):  # fmt: skip
            async with session.post(
                url + "/sim/api/messages", json={"room_id": ROOM, "sender_id": by, "text": text}
            ) as r:
                assert r.status == 201
    yield url
    await runner.cleanup()


def _sign_in(driver: WebDriver, base: str, member: str) -> None:
    driver.get(base + "/app/issues")
    _wait_for(driver, lambda d: "/app/login" in d.current_url, "the login page")
    driver.find_element(By.NAME, "member_id").send_keys(member)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form.login button").click()
    _wait_for(driver, lambda d: d.current_url.endswith("/app/issues"), "the ledger after login")
    _wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#ledger tbody tr"), "the ledger's rows")


def _numbers(driver: WebDriver) -> list[str]:
    return [a.text for a in driver.find_elements(By.CSS_SELECTOR, "#ledger tbody td:first-child a")]


def _visit(base: str, tmp_path: Path, size: str, shot: Path) -> dict[str, object]:
    driver = _browser(tmp_path, size)
    try:
        _sign_in(driver, base, "h_gd_shi")
        department_sees = _numbers(driver)
        driver.find_element(By.CSS_SELECTOR, "form.logout button").click()
        _wait_for(driver, lambda d: "/app/login" in d.current_url, "signed out")
        _sign_in(driver, base, "co_yang")
        coordinator_sees = _numbers(driver)
        summaries = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#ledger td.summary")]
        bold = len(driver.find_elements(By.CSS_SELECTOR, "#ledger td.summary b"))
        driver.save_screenshot(str(shot))
        driver.get(base + "/app/issues/2")
        form = driver.find_element(By.XPATH, "//form[.//input[@name='verb' and @value='归类']]")
        Select(form.find_element(By.NAME, "category")).select_by_visible_text("政策咨询")
        form.find_element(By.TAG_NAME, "button").click()
        _wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".flash"), "the bot's answer")
        flash, title = (
            driver.find_element(By.CSS_SELECTOR, ".flash").text,
            driver.find_element(By.TAG_NAME, "h1").text,
        )
        driver.get(base + "/app/")
        _wait_for(
            driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#charts canvas")) >= 3, "the charts"
        )
        _wait_for(
            driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#ranking tbody tr"), "the ranking table"
        )
        driver.save_screenshot(str(shot.with_name(shot.name.replace("ledger", "charts"))))
        ranking = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "#ranking tbody tr")]
        width = driver.execute_script("return document.documentElement.scrollWidth")
        viewport = driver.execute_script("return window.innerWidth")
        driver.find_element(By.LINK_TEXT, "账号").click()  # 营商办's accounts page, from the menu
        _wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "section.account"), "the accounts page")
        account = driver.find_element(By.CSS_SELECTOR, "section.account").text
        accounts_width = driver.execute_script("return document.documentElement.scrollWidth")
        return {"summaries": summaries, "account": account, "accounts_width": accounts_width, "bold": bold, "department": department_sees, "coordinator": coordinator_sees,
                "flash": flash, "title": title,
                "ranking": ranking,
                "width": width, "viewport": viewport}  # fmt: skip
    finally:
        driver.quit()


@pytest.mark.parametrize(("size", "name"), [("1400,900", "desktop"), ("390,844", "phone")])
async def test_the_workbench_in_a_browser(base: str, tmp_path: Path, size: str, name: str) -> None:
    shot = tmp_path / f"workbench-ledger-{name}.png"
    seen = await asyncio.to_thread(_visit, base, tmp_path, size, shot)
    assert any("<b>园区</b>" in s for s in seen["summaries"]) and seen["bold"] == 0  # type: ignore[attr-defined]
    assert seen["department"] == ["#1"]  # 供电公司 sees its own ticket only
    assert seen["coordinator"] == ["#2", "#1"]  # 营商办 sees every ticket, newest first
    assert "#2" in str(seen["flash"]) and "政策咨询" in str(seen["flash"])  # the bot's reply, as in the group
    assert "政策咨询" in str(seen["title"])
    assert int(str(seen["width"])) <= int(str(seen["viewport"])) + 1  # no sideways scrolling of the page
    account = str(seen["account"])
    assert "default（sim）" in account and "在线" in account and "负责的群（1）：绵阳企业家" in account
    assert "回复" in account and "群发推送" in account  # the backlog by priority
    assert int(str(seen["accounts_width"])) <= int(str(seen["viewport"])) + 1
    async with (
        aiohttp.ClientSession() as session,
        session.get(base + "/sim/api/messages", params={"room_id": ROOM}) as r,
    ):
        said = (await r.json())["messages"]
    assert said[-1]["sender_id"] == "zhuqi-bot" and "政策咨询" in said[-1]["text"]
    assert any("国网绵阳供电公司" in r for r in seen["ranking"])  # type: ignore[union-attr]
    if os.environ.get("ZHUQI_SCREENSHOTS"):
        for picture in (shot, shot.with_name(shot.name.replace("ledger", "charts"))):
            shutil.copy(picture, DOCS / picture.name)


def _export_and_public(base: str, tmp_path: Path) -> dict[str, object]:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver = _browser(tmp_path, downloads=downloads)
    try:
        _sign_in(driver, base, "co_yang")
        Select(driver.find_element(By.NAME, "category")).select_by_visible_text("用工人才")
        driver.find_element(By.CSS_SELECTOR, ".filters button[type=submit]").click()
        _wait_for(driver, lambda d: "category=" in d.current_url, "the filtered ledger")
        driver.find_element(By.LINK_TEXT, "导出 Excel").click()
        _wait_for(driver, lambda d: [p for p in downloads.iterdir() if p.suffix == ".xlsx"], "the download")
        driver.get(base + "/app/issues/1")
        ticket_text = driver.find_element(By.CSS_SELECTOR, ".text").text
        driver.get(base + "/public/")
        return {"file": next(p for p in downloads.iterdir() if p.suffix == ".xlsx"), "ticket": ticket_text,
                "public": driver.find_element(By.TAG_NAME, "body").text}  # fmt: skip
    finally:
        driver.quit()


async def test_the_export_and_the_public_page_in_a_browser(
    base: str, tmp_path: Path, example_config: Config
) -> None:
    from openpyxl import load_workbook

    seen = await asyncio.to_thread(_export_and_public, base, tmp_path)
    rows = list(load_workbook(seen["file"]).active.iter_rows(values_only=True))  # type: ignore[arg-type]
    assert rows[0][0] == "编号" and [r[0] for r in rows[1:]] == [2]  # what the filter showed, and no more
    assert seen["ticket"] == "<b>园区</b>这周第三次停电了，生产线停了半天"  # markup shown as text
    roster = example_config.roster
    names = [m.name for m in roster.members] + [e.name for e in roster.enterprises]
    names += [e.short for e in roster.enterprises if e.short]
    assert "诉求办理公示" in str(seen["public"]) and [n for n in names if n in str(seen["public"])] == []
