"""营商办's accounts page with two simulated accounts, one of them cut off: each account, the groups
it answers now, and the group's move in the table of moves, at desktop and phone width, nothing
wider than the screen."""

from __future__ import annotations

import asyncio
import json
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
from tests.support.server import free_port
from tests.support.waiting import until
from tests.web.test_simulated_accounts import AUTH, simulated_accounts_config

pytestmark = [pytest.mark.browser, pytest.mark.slow]

from selenium.webdriver.common.by import By  # noqa: E402

from tests.support.browser import PHONE  # noqa: E402
from tests.support.browser import browser as _browser  # noqa: E402
from tests.support.browser import wait_for as _wait_for  # noqa: E402

PASSWORD = "correct horse battery"


@pytest.fixture
async def base(example_config: Config, sqlite_url: str, tmp_path: Path) -> AsyncIterator[str]:
    config = replace(simulated_accounts_config(example_config, tmp_path), database_url=sqlite_url)
    app = create_app(config)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    async with app[keys.UOW]() as uow:
        await uow.accounts.set_password_hash("co_yang", hash_password(PASSWORD), datetime.now(UTC))
        await uow.commit()
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        async with session.post(
            url + "/sim/api/accounts/一号", data=json.dumps({"connected": False}), headers=AUTH
        ) as r:
            assert r.status == 200

        async def moved() -> bool:
            async with session.get(url + "/sim/api/accounts") as r:
                return bool(next(a for a in (await r.json())["accounts"] if a["name"] == "二号")["rooms"])

        await until(moved, 30, "the group moved to 二号")
    yield url
    await runner.cleanup()


def _look(base: str, tmp_path: Path, size: str) -> dict[str, object]:
    driver = _browser(tmp_path, size)
    try:
        driver.get(base + "/app/accounts")
        _wait_for(driver, lambda d: "/app/login" in d.current_url, "the login page")
        driver.find_element(By.NAME, "member_id").send_keys("co_yang")
        driver.find_element(By.NAME, "password").send_keys(PASSWORD)
        driver.find_element(By.CSS_SELECTOR, "form.login button").click()
        _wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "section.account"), "the accounts page")
        return {
            "accounts": [e.text for e in driver.find_elements(By.CSS_SELECTOR, "section.account")],
            "moves": [e.text for e in driver.find_elements(By.CSS_SELECTOR, "table.moves tbody tr")],
            "width": driver.execute_script("return document.documentElement.scrollWidth"),
            "viewport": driver.execute_script("return window.innerWidth"),
        }
    finally:
        driver.quit()


@pytest.mark.parametrize("size", ["1400,900", PHONE])
async def test_the_accounts_page_shows_who_answers_and_the_moves(
    base: str, tmp_path: Path, size: str
) -> None:
    seen = await asyncio.to_thread(_look, base, tmp_path, size)
    one, two = seen["accounts"]  # type: ignore[misc]
    assert "一号" in one and "离线" in one and "负责的群（0）" in one
    assert "二号" in two and "在线" in two and "负责的群（1）：绵阳企业家" in two
    assert any(
        "绵阳企业家" in m and "一号" in m and "二号" in m and "掉线或被限流" in m for m in seen["moves"]
    )  # type: ignore[attr-defined]
    assert int(str(seen["width"])) <= int(str(seen["viewport"])) + 1  # no sideways scrolling
