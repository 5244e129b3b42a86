"""A watch link in the browser: the page at /watch/{token} shows the owner's session live — every phase the owner
steps, the charts, the math panel — with a "watching" badge and no control that would change the session; nothing
on the page (its address, its store, its requests) holds the session id; revoking the link says so."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pagekit import open_page, shot, wait_shown, watched

pytestmark = pytest.mark.browser

CONTROLS = ["#watch-link", "#next-phase", "#play", "#reset", "#config", "#share", "#export", "#import", ".panel.train"]


def test_a_watcher_sees_the_owners_steps_read_only(
    page: Any, context: Any, server: str, api: httpx.Client, request: pytest.FixtureRequest
) -> None:
    session_id = open_page(page, server)
    page.click("#watch-link")  # the owner's button makes the link (and copies it)
    page.wait_for_function("() => Boolean(window.__bpv.store.watchUrl)")
    link = api.post(f"/api/sessions/{session_id}/watch", headers={"X-Backprop-Viz-Request": "1"}).json()
    assert page.evaluate("window.__bpv.store.watchUrl") == f"{server}{link['url']}"  # the same link, once made
    watcher = watched(context.new_page())
    requests: list[str] = []
    watcher.on("request", lambda r: requests.append(r.url))
    watcher.on("websocket", lambda ws: requests.append(ws.url))
    watcher.goto(f"{server}{link['url']}")
    watcher.wait_for_selector("body[data-ready='1'][data-conn='open']")
    watcher.wait_for_function("() => window.__bpv.diagram.ready")
    assert watcher.locator("[data-testid='watching-badge']").is_visible()
    assert watcher.locator("[data-testid='watching-badge']").inner_text().strip() == "watching"
    for selector in CONTROLS:
        assert not watcher.locator(selector).first.is_visible(), f"{selector} is shown to a watcher"

    # The owner steps three phases; the watcher's page follows, to the same numbers.
    for _ in range(3):
        page.click("#next-phase")
    wait_shown(page, "F3")
    wait_shown(watcher, "F3")
    owner_state = page.evaluate("window.__bpv.store.state")
    watched_state = watcher.evaluate("window.__bpv.store.state")
    assert watched_state["counters"] == owner_state["counters"]
    assert watched_state["weights"] == owner_state["weights"]
    shot(watcher, request, "watching")

    # Keys that would step are refused without a command (the session stays where the owner left it).
    watcher.keyboard.press("ArrowRight")
    watcher.wait_for_timeout(300)
    assert api.get(f"/api/sessions/{session_id}").json()["counters"] == owner_state["counters"]
    assert session_id not in watcher.url
    assert session_id not in watcher.evaluate("JSON.stringify(window.__bpv.store.state)")
    assert all(session_id not in url for url in requests), [u for u in requests if session_id in u]

    # Revoking the link closes the watcher's socket with the reason, and the page says so.
    assert api.delete(f"/api/sessions/{session_id}/watch").status_code == 204
    watcher.wait_for_selector("body[data-conn='refused']")
    watcher.wait_for_function("() => /revoked/.test(document.getElementById('notice').textContent)")
    shot(watcher, request, "revoked")
    assert not watcher.problems.errors
    watcher.close()
