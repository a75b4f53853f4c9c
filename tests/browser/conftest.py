"""A real Chromium (the system's, never a downloaded one) driven by Playwright against pytest-django's live server.

Without Chromium the browser tests skip locally; with CI=true they fail, like the PostgreSQL tests.
Set BROWSER_SCREENSHOTS=/some/dir to keep a screenshot of each page the tests look at.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.conftest import IN_CI

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _missing(reason: str):
    if IN_CI:
        pytest.fail(f"CI=true: {reason}; install it (.ci/run does: apt-get install chromium chromium-driver)", pytrace=False)
    pytest.skip(f"{reason}; the browser tests run in CI")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.browser_call_failed = report.failed


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        _missing(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed (requirements-dev.txt)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(request, browser, live_server, tmp_path, monkeypatch):
    """A fresh browser profile that asks for Chinese first, like a clerk's browser in China."""
    # Playwright's sync API keeps an asyncio loop registered on this thread, which makes Django refuse
    # ORM calls from the test itself (setting up data, reading the run); nothing here is really async.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000}, base_url=live_server.url)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.js_errors = errors
    yield tab
    if getattr(request.node, "browser_call_failed", False):
        path = tmp_path / "failure.png"
        tab.screenshot(path=str(path), full_page=True)
        print(f"\nscreenshot of the page at failure ({tab.url}): {path}")  # noqa: T201 - shown by pytest on failure
    context.close()


def screenshot(tab, name: str) -> None:
    """Keep a picture of the page when BROWSER_SCREENSHOTS names a folder (to look at, not to commit)."""
    folder = os.environ.get("BROWSER_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(Path(folder) / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"), full_page=True)
