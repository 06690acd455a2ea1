"""A person at the simulator page, in a real headless Chromium: pick a persona, type, see the bot.

Also shows that chat text is never interpreted as HTML on the page.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp import web

from bot.app import create_app
from bot.config import Config

pytestmark = [pytest.mark.browser, pytest.mark.slow]

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

from tests.support.browser import browser as _browser  # noqa: E402
from tests.support.browser import wait_for as _wait_for  # noqa: E402
from tests.support.server import free_port  # noqa: E402

XSS = "<img src=x onerror=\"document.title='pwned'\">园区停电三天了，生产线全停"


@pytest.fixture
async def server(example_config: Config, sqlite_url: str) -> AsyncIterator[str]:
    """The page's address as ``make run`` prints it, with the admin token in the fragment."""
    port = free_port()
    config = replace(example_config, database_url=sqlite_url)
    runner = web.AppRunner(create_app(config))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}/sim/#token={config.web.admin_token}"
    await runner.cleanup()


def _type(driver: WebDriver, text: str) -> None:
    box = driver.find_element(By.ID, "text")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def _bubbles(driver: WebDriver, where: str = "#messages") -> list[str]:
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, f"{where} .bubble")]


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
        private = driver.find_element(By.ID, "dm-text")
        private.send_keys("我的")
        private.send_keys(Keys.ENTER)  # a reply in the private chat: the bot answers there
        _wait_for(driver, lambda d: len(_bubbles(d, "#dm")) >= 2 and "#1" in _bubbles(d, "#dm")[-1], "dm")
        driver.save_screenshot(str(tmp_path / "simulator.png"))
        return {
            "private": _bubbles(driver, "#dm"),
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
    private = seen["private"]
    assert isinstance(private, list) and private[-2] == "我的"  # typed in the private chat ...
    assert "我的" not in bubbles  # ... never shown in the group
    assert (tmp_path / "simulator.png").stat().st_size > 10_000


# --- issue 12: the page as people use it, at desktop and at phone width ------------------------

DOCS = Path(__file__).resolve().parents[2] / "docs"


async def _history(server: str, n: int) -> None:
    """``n`` messages in the group before anyone opens the page (a busy group)."""
    import aiohttp

    base = server.split("/sim/")[0]
    async with aiohttp.ClientSession() as session:
        for i in range(n):
            body = {
                "room_id": "mianyang-qiyejia@chatroom",
                "sender_id": "e_fucheng_jiang",
                "text": f"第{i}条：收到",
            }
            async with session.post(base + "/sim/api/messages", json=body) as r:
                assert r.status == 201


# What a person sees of the layout, whatever the font: the boxes that must not cover one another,
# whether the page scrolls sideways, and how tall the header and the conversation are.
LAYOUT = """
const box = (e) => e.getBoundingClientRect();
const named = {title: 'header h1', clock: '#clock', messages: '#messages', composer: '#text'};
const boxes = Object.entries(named).map(([k, sel]) => [k, box(document.querySelector(sel))]);
const overlaps = [];
for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
  const [a, p] = boxes[i], [b, q] = boxes[j];
  const w = Math.min(p.right, q.right) - Math.max(p.left, q.left);
  const h = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
  if (w > 1 && h > 1 && p.width > 0 && q.width > 0) overlaps.push(a + '/' + b);
}
return {overlaps, width: window.innerWidth, scroll_width: document.documentElement.scrollWidth,
        header: box(document.querySelector('header')).height, chat: box(document.querySelector('#messages')).height};
"""


def _page(url: str, tmp_path: Path, size: str, shot: Path) -> dict[str, object]:
    driver = _browser(tmp_path, size)
    try:
        driver.get(url)
        _wait_for(driver, lambda d: any("第619条" in b for b in _bubbles(d)), "the newest message")
        Select(driver.find_element(By.ID, "persona")).select_by_value("e_huake_liu")
        _type(driver, "园区这周第三次停电了，生产线停了半天")
        _wait_for(driver, lambda d: any("已受理 #1" in b for b in _bubbles(d)), "acknowledgement")
        Select(driver.find_element(By.ID, "persona")).select_by_value("e_fucheng_jiang")
        mine_after_switch = len(driver.find_elements(By.CSS_SELECTOR, "#messages li.mine"))
        box = driver.find_element(By.ID, "text").rect
        seen = {
            "mine_after_switch": mine_after_switch,
            "first_bubble": _bubbles(driver)[0],
            "layout": driver.execute_script(LAYOUT),
            "input_bottom": box["y"] + box["height"],
            "viewport": driver.execute_script("return window.innerHeight"),
            "page": driver.execute_script("return document.documentElement.scrollHeight"),
            "clock": driver.find_element(By.ID, "clock").text,
            "next_morning": driver.find_element(By.CSS_SELECTOR, "#time-travel button").text,
        }
        driver.execute_script("document.getElementById('messages').scrollTop = 0")
        _wait_for(driver, lambda d: any("第420条" in b for b in _bubbles(d)), "older messages on scroll")
        driver.execute_script("document.getElementById('messages').scrollTop = 1e9")
        driver.save_screenshot(str(shot))
        return seen
    finally:
        driver.quit()


@pytest.mark.parametrize(("size", "name"), [("1400,900", "desktop"), ("390,844", "phone")])
async def test_the_page_at_desktop_and_phone_width(server: str, tmp_path: Path, size: str, name: str) -> None:
    await _history(server, 620)  # more than one screenful, more than the old 500-message load
    shot = tmp_path / f"simulator-{name}.png"
    seen = await asyncio.to_thread(_page, server, tmp_path, size, shot)
    assert seen["mine_after_switch"] >= 100  # own earlier messages stay on the right after a switch
    assert seen["first_bubble"] != "第0条：收到"  # the newest messages are loaded first
    assert str(seen["clock"]).startswith("小助手时间：")  # the bot's clock, from the bot
    assert str(seen["next_morning"]).startswith("⏩ 到上班时间（")  # the button says where it goes
    assert seen["input_bottom"] <= seen["viewport"]  # the input box stays on the screen
    assert seen["page"] <= seen["viewport"] + 2  # the chat scrolls, not the page
    layout = seen["layout"]
    assert isinstance(layout, dict)
    assert (
        layout["overlaps"] == []
    )  # the header's title and clock, the chat and the input: none covers another
    assert layout["scroll_width"] <= layout["width"]  # no sideways scroll
    assert layout["chat"] >= layout["header"] * 3  # the conversation, not the header, has the screen
    shutil.copy(shot, DOCS / shot.name) if os.environ.get("ZHUQI_SCREENSHOTS") else None
