"""The WebSocket: the page reconnects by itself (and says so meanwhile), and two tabs on one session stay in
step whichever of them steps."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pagekit import math_values, open_page, pick, shot, wait_shown, watched

pytestmark = pytest.mark.browser


def test_two_tabs_stay_in_step_and_a_dropped_socket_reconnects(page: Any, context: Any, server: str,
                                                             api: httpx.Client, request: pytest.FixtureRequest) -> None:
    session_id = open_page(page, server)
    other = watched(context.new_page())
    assert open_page(other, server, f"?session={session_id}") == session_id
    for tab in (page, other):
        pick(tab, "neuron", 2, 1)

    page.get_by_role("button", name="Next phase", exact=True).click()
    page.get_by_role("button", name="Next phase", exact=True).click()
    wait_shown(page, "F2", 0)
    wait_shown(other, "F2", 0)
    assert math_values(other, "math-") == math_values(page, "math-")

    # Drop the first tab's socket: it shows "reconnecting…", comes back by itself, and catches up with a
    # step the other tab made meanwhile.
    page.evaluate("window.__bpv.socket.drop()")
    page.wait_for_function("() => document.body.dataset.conn === 'reconnecting'")
    assert page.get_by_test_id("connection").inner_text() == "reconnecting…"
    shot(page, request, "reconnecting")
    other.get_by_role("button", name="Next phase", exact=True).click()
    wait_shown(other, "F3", 0)
    page.wait_for_function("() => document.body.dataset.conn === 'open'")
    wait_shown(page, "F3", 0)
    assert page.get_by_test_id("connection").inner_text() == "connected"

    other.keyboard.press("Shift+ArrowRight")
    wait_shown(other, "U", 1)
    wait_shown(page, "U", 1)
    assert math_values(other, "math-") == math_values(page, "math-")
    assert api.get(f"/api/sessions/{session_id}").json()["counters"]["pass"] == 1
    assert page.problems.errors == [] and other.problems.errors == []
