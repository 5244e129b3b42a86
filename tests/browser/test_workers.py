"""The page on `backprop-viz serve --workers 2`: two students on two workers; one's worker is killed (`kill -9`):
that page says it is reconnecting and comes back by itself to its session where it was, while the other page's
socket never drops."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_server import LiveServer
from pagekit import math_value, open_page, pick, shot, wait_shown, watched

from app.shards import shard_of

pytestmark = pytest.mark.browser


def _connection_errors_only(errors: list[str]) -> list[str]:
    """Console errors other than Chromium's reports of the socket closed while the worker was down."""
    return [e for e in errors if "WebSocket connection to" not in e and "ERR_CONNECTION_REFUSED" not in e]


def test_a_killed_worker_brings_its_page_back_and_leaves_the_other_alone(
    browser: Any, page: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    live = LiveServer(tmp_path / "data", args=("--workers", "2"))
    live.start()
    other_context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        with httpx.Client(base_url=live.base, timeout=30.0) as api:
            deadline = time.monotonic() + 60
            while not all(w["up"] for w in api.get("/api/health").json()["workers"]):
                assert time.monotonic() < deadline, live.log()[-3000:]
                time.sleep(0.1)
            session_id = open_page(page, live.base)
            other = watched(other_context.new_page())
            other_id = open_page(other, live.base)
            assert {shard_of(session_id), shard_of(other_id)} == {0, 1}, "the two pages' sessions on two workers"
            other.evaluate("window.__bpv.conns = []")
            other.evaluate(
                "new MutationObserver(() => window.__bpv.conns.push(document.body.dataset.conn))"
                ".observe(document.body, {attributes: true, attributeFilter: ['data-conn']})"
            )

            pick(page, "neuron", 1, 2)
            page.get_by_role("button", name="Next pass", exact=True).click()
            wait_shown(page, "U", 1)
            weights = api.get(f"/api/sessions/{session_id}").json()["weights"]
            time.sleep(1.5)  # its checkpoint is written within BACKPROP_VIZ_CHECKPOINT_SECONDS

            victim = api.get("/api/health").json()["workers"][shard_of(session_id)]
            os.kill(victim["pid"], signal.SIGKILL)
            page.wait_for_function("() => document.body.dataset.conn === 'reconnecting'")
            shot(page, request, "worker-down")
            page.wait_for_function("() => document.body.dataset.conn === 'open'", timeout=60_000)
            page.wait_for_function("() => window.__bpv.store.state.counters.pass === 1")
            assert page.evaluate("window.__bpv.store.state.id") == session_id
            back = api.get(f"/api/sessions/{session_id}")
            assert back.status_code == 200, back.text
            assert back.json()["weights"] == weights
            health = api.get("/api/health").json()["workers"][shard_of(session_id)]
            assert health["restarts"] == 1 and health["pid"] != victim["pid"]

            page.get_by_role("button", name="Next pass", exact=True).click()
            wait_shown(page, "U", 2)
            state = api.get(f"/api/sessions/{session_id}").json()
            assert state["counters"]["pass"] == 2
            pick(page, "neuron", 1, 2)
            assert math_value(page, "math-after") == state["biases"][0][2]
            shot(page, request, "recovered")

            other.get_by_role("button", name="Next phase", exact=True).click()
            wait_shown(other, "F1", 0)
            assert other.evaluate("window.__bpv.conns") == [], "the other worker's page never lost its socket"
            shot(other, request, "other-worker")
            assert _connection_errors_only(page.problems.errors) == []
            assert other.problems.errors == []
    finally:
        other_context.close()
        live.stop()


def test_a_watch_link_works_through_the_router(
    browser: Any, page: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The owner's page and a watcher's page on `--workers 2`: the link's token names the owner's worker, so the
    watcher's REST reads and socket reach it, and the watcher follows the owner's steps."""
    live = LiveServer(tmp_path / "data", args=("--workers", "2"))
    live.start()
    watcher_context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        with httpx.Client(base_url=live.base, timeout=30.0, headers={"X-Backprop-Viz-Request": "1"}) as api:
            session_id = open_page(page, live.base)
            link = api.post(f"/api/sessions/{session_id}/watch").json()
            assert shard_of(link["token"]) == shard_of(session_id)
            watcher = watched(watcher_context.new_page())
            watcher.goto(f"{live.base}{link['url']}")
            watcher.wait_for_selector("body[data-ready='1'][data-conn='open']")
            watcher.wait_for_function("() => window.__bpv.diagram.ready")
            assert watcher.locator("[data-testid='watching-badge']").is_visible()
            for _ in range(2):
                page.click("#next-phase")
            wait_shown(page, "F2")
            wait_shown(watcher, "F2")
            assert watcher.evaluate("window.__bpv.store.state.weights") == page.evaluate(
                "window.__bpv.store.state.weights"
            )
            assert session_id not in watcher.evaluate("JSON.stringify(window.__bpv.store.state)")
            watcher.wait_for_timeout(1000)  # the charts and the data view finish drawing
            shot(watcher, request, "watching")
            assert watcher.problems.errors == [] and page.problems.errors == []
    finally:
        watcher_context.close()
        live.stop()
