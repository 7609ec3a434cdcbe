"""Browser tests: Playwright for Python driving Debian's chromium against a real uvicorn process.

Without a browser they skip with the reason, unless ``MEDIADESK_REQUIRE_BROWSER=1`` (CI), where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("MEDIADESK_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    reason = None
    if not CHROMIUM.exists():
        reason = f"no chromium at {CHROMIUM} (apt-get install chromium fonts-wqy-zenhei)"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            reason = "the playwright Python package is not installed"
    if reason:
        if os.environ.get("MEDIADESK_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests are required here but cannot run: {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()


PHONE = {"width": 390, "height": 844}


@pytest.fixture
def new_page(browser: Any, live_api: Any) -> Iterator[Any]:
    """``new_page()`` opens a page in a fresh browser context (its own cookies: one per user); ``phone=True`` gives
    a 390×844 touch screen (an ordinary Android phone, WeChat's browser included)."""
    contexts: list[Any] = []

    def open_page(locale: str = "zh-CN", *, phone: bool = False, downloads: bool = False) -> Any:
        size = PHONE if phone else {"width": 1400, "height": 900}
        context = browser.new_context(base_url=live_api.url, locale=locale, viewport=size, is_mobile=phone,
                                      has_touch=phone, accept_downloads=downloads)
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def login(page: Any, username: str, password: str) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def use_language(page: Any, lang: str) -> None:
    """Switch the page's language the way a user does (the switch link sets the ``lang`` cookie)."""
    page.goto(f"/lang/{lang}?next=/")


def fits_the_screen(page: Any) -> bool:
    """Nothing wider than the viewport: no sideways scrolling on a phone."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def shot(page: Any, name: str) -> None:
    """Save a screenshot when ``MEDIADESK_SCREENSHOTS`` names a folder (docs/screenshots is made this way)."""
    folder = os.environ.get("MEDIADESK_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
