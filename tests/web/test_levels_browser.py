"""The demo as shipped (the city, 涪城区 and its park), in a real headless Chromium at desktop and
phone width: in the simulator a person picks the county's group and their persona and gets the
county's department; the city leader's charts offer a unit filter and 公示 a link per unit; nothing
wider than the screen."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiohttp import web

from bot.app import create_app
from bot.config import Config
from bot.web import keys
from bot.web.workbench.auth import hash_password

pytestmark = [pytest.mark.browser, pytest.mark.slow]

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

from tests.support.browser import PHONE  # noqa: E402
from tests.support.browser import browser as _browser  # noqa: E402
from tests.support.browser import wait_for as _wait_for  # noqa: E402
from tests.support.server import free_port  # noqa: E402

PASSWORD = "correct horse battery"
WIDTH = "return [document.documentElement.scrollWidth, window.innerWidth]"


@pytest.fixture
async def base(demo_config: Config, sqlite_url: str) -> AsyncIterator[tuple[str, str]]:
    config = replace(demo_config, database_url=sqlite_url)
    app = create_app(config)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    async with app[keys.UOW]() as uow:
        await uow.accounts.set_password_hash("ld_chen", hash_password(PASSWORD), datetime.now(UTC))
        await uow.commit()
    yield f"http://127.0.0.1:{port}", config.web.admin_token
    await runner.cleanup()


def _bubbles(driver: WebDriver) -> list[str]:
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#messages .bubble")]


def _look(url: str, token: str, tmp_path: Path, size: str) -> dict[str, object]:
    driver = _browser(tmp_path, size)
    try:
        driver.get(f"{url}/sim/#token={token}")
        _wait_for(driver, lambda d: len(Select(d.find_element(By.ID, "room")).options) == 3, "three groups")
        Select(driver.find_element(By.ID, "room")).select_by_visible_text("涪城区企业服务群")
        _wait_for(driver, lambda d: "e_fc_he" in [o.get_attribute("value") for o in Select(
            d.find_element(By.ID, "persona")).options], "the county's people")  # fmt: skip
        Select(driver.find_element(By.ID, "persona")).select_by_value("e_fc_he")
        box = driver.find_element(By.ID, "text")
        box.send_keys("厂里招不到熟练技工，缺口三十多人，希望帮忙对接职校")
        box.send_keys(Keys.ENTER)
        _wait_for(
            driver,
            lambda d: any("涪城区人力资源和社会保障局" in b for b in _bubbles(d)),
            "the county's answer",
        )
        seen: dict[str, object] = {"simulator": driver.execute_script(WIDTH)}
        driver.get(url + "/app/login")
        driver.find_element(By.NAME, "member_id").send_keys("ld_chen")
        driver.find_element(By.NAME, "password").send_keys(PASSWORD)
        driver.find_element(By.CSS_SELECTOR, "form.login button").click()
        _wait_for(driver, lambda d: "/app/login" not in d.current_url, "signed in")
        driver.get(url + "/app/?unit=涪城区")
        _wait_for(driver, lambda d: d.find_elements(By.ID, "unit"), "the unit filter")
        seen["filter"] = Select(driver.find_element(By.ID, "unit")).first_selected_option.text
        seen["charts"] = driver.execute_script(WIDTH)
        driver.get(url + "/public/?unit=涪城高新园区")
        seen["public"] = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "nav.units a")]
        seen["public_width"] = driver.execute_script(WIDTH)
        return seen
    finally:
        driver.quit()


@pytest.mark.parametrize("size", ["1400,900", PHONE])
async def test_the_county_and_its_park_in_the_simulator_charts_and_public_page(
    base: tuple[str, str], tmp_path: Path, size: str
) -> None:
    seen = await asyncio.to_thread(_look, *base, tmp_path, size)
    assert seen["filter"] == "涪城区"
    assert seen["public"] == ["全部", "绵阳市", "涪城区", "涪城高新园区"]
    for page in ("simulator", "charts", "public_width"):
        scroll, width = seen[page]  # type: ignore[misc]
        assert scroll <= width + 1, f"{page} scrolls sideways at {size}"
