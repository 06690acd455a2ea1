"""A person at the simulator page, in a real headless Chromium: pick a persona, type, see the bot.

Also shows that chat text is never interpreted as HTML on the page.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp import web

from bot.app import create_app
from bot.config import Config

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
if not (CHROMIUM and DRIVER):
    if os.environ.get("CI"):
        raise RuntimeError("CI needs chromium and chromedriver (make browser-deps installs them)")
    pytest.skip("chromium/chromedriver not installed (make browser-deps)", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

XSS = "<img src=x onerror=\"document.title='pwned'\">园区停电三天了，生产线全停"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def server(example_config: Config, sqlite_url: str) -> AsyncIterator[str]:
    """The page's address as ``make run`` prints it, with the admin token in the fragment."""
    port = _free_port()
    config = replace(example_config, database_url=sqlite_url)
    runner = web.AppRunner(create_app(config))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}/sim/#token={config.web.admin_token}"
    await runner.cleanup()


def _browser(tmp_path: Path) -> WebDriver:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,900"):  # fmt: skip
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path=str(DRIVER)), options=options)


def _type(driver: WebDriver, text: str) -> None:
    box = driver.find_element(By.ID, "text")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def _bubbles(driver: WebDriver) -> list[str]:
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#messages .bubble")]


def _wait_for(driver: WebDriver, predicate: object, what: str) -> None:
    WebDriverWait(driver, 15).until(lambda d: predicate(d), message=what)  # type: ignore[operator]


def _session(url: str, tmp_path: Path) -> dict[str, object]:
    driver = _browser(tmp_path)
    try:
        driver.get(url)
        _wait_for(
            driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#persona option")) == 30, "personas"
        )
        Select(driver.find_element(By.ID, "persona")).select_by_value("e_huake_liu")
        _type(driver, XSS)
        _wait_for(driver, lambda d: any("已受理 #1" in b for b in _bubbles(d)), "acknowledgement")
        Select(driver.find_element(By.ID, "persona")).select_by_value("h_gd_shi")
        _type(driver, "认领 1")
        _wait_for(
            driver, lambda d: any(b.startswith("#1 已由国网绵阳供电公司") for b in _bubbles(d)), "claim"
        )
        driver.save_screenshot(str(tmp_path / "simulator.png"))
        return {
            "bubbles": _bubbles(driver),
            "title": driver.title,
            "images": len(driver.find_elements(By.CSS_SELECTOR, "#messages img")),
            "mentions": [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#messages .mention")],
            "mine": len(driver.find_elements(By.CSS_SELECTOR, "#messages li.mine")),
            "private_hint": len(driver.find_elements(By.CSS_SELECTOR, "#dm .hint")),
            "address": driver.current_url,
        }
    finally:
        driver.quit()


async def test_a_person_plays_the_loop_in_the_page(server: str, tmp_path: Path) -> None:
    seen = await asyncio.to_thread(_session, server, tmp_path)
    bubbles = seen["bubbles"]
    assert isinstance(bubbles, list)
    assert bubbles[0] == XSS  # shown literally ...
    assert seen["images"] == 0 and seen["title"] == "助企群助手 · 群聊模拟器"  # ... and never run
    assert any(b.startswith("【紧急】已受理 #1【水电气暖】") for b in bubbles)
    assert "@供电公司施经理" in seen["mentions"]  # type: ignore[operator]
    assert seen["mine"] == 1  # the persona's own message is on the right
    assert seen["private_hint"] == 0  # the token from the address opened the private chat ...
    assert "token" not in str(seen["address"])  # ... and left the address bar
    assert (tmp_path / "simulator.png").stat().st_size > 10_000
