"""Browser tests: a REAL server (`python -m app.cli serve`) on a free 127.0.0.1 port, and Debian's Chromium
driven by Playwright's sync API (never a downloaded browser). Screenshots go to test-artifacts/screenshots/.

Without /usr/bin/chromium the tests are skipped with the reason — except in CI (CI=true), where that fails.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_server import LiveServer
from pagekit import SCREENSHOTS, watched

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 800}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app under uvicorn in a subprocess; yields its base URL and stops it afterwards."""
    live = LiveServer(tmp_path_factory.mktemp("server") / "data", persist=False)
    live.start()
    try:
        yield live.base
    finally:
        live.stop()


@pytest.fixture(scope="session")
def api(server: str) -> Iterator[httpx.Client]:
    """A REST client on the same server (the tests compare the page's numbers with its answers)."""
    with httpx.Client(base_url=server, timeout=30.0) as client:
        yield client


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless; skipped when it is missing (a failure in CI)."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install it with scripts/ensure-chromium (apt-get install chromium)"
        if in_ci():
            pytest.fail(f"CI=true and {message}")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    ctx.set_default_timeout(15_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A 1280×800 tab; `page.problems.errors` lists console errors; a screenshot is kept after the test."""
    tab = watched(context.new_page())
    try:
        yield tab
    finally:
        with contextlib.suppress(Exception):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"))
