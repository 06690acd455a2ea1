"""Headless Chromium for the browser tests (Debian's chromium and chromedriver, which
``make browser-deps`` installs with the CJK font the pages are designed for)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
if not (CHROMIUM and DRIVER):
    if os.environ.get("CI"):
        raise RuntimeError("CI needs chromium and chromedriver (make browser-deps installs them)")
    pytest.skip("chromium/chromedriver not installed (make browser-deps)", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

PHONE = "390,844"
# The flags this machine needs: no sandbox as root, and no background connections (refused here).
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)  # fmt: skip  (one flag a cell reads as the command line does)


def browser(tmp_path: Path, size: str = "1200,900", downloads: Path | None = None) -> WebDriver:
    """A fresh Chromium with its own profile; ``PHONE`` emulates a phone's screen."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={size}"):
        options.add_argument(flag)
    if size == PHONE:  # a desktop window cannot be made narrower than ~500 px
        options.add_experimental_option(
            "mobileEmulation", {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 1}}
        )
    if downloads is not None:  # files the page offers are saved here without asking
        prefs = {"download.default_directory": str(downloads), "download.prompt_for_download": False}
        options.add_experimental_option("prefs", prefs)
    return webdriver.Chrome(service=Service(executable_path=str(DRIVER)), options=options)


def wait_for(driver: WebDriver, predicate: object, what: str) -> None:
    WebDriverWait(driver, 15).until(lambda d: predicate(d), message=what)  # type: ignore[operator]
