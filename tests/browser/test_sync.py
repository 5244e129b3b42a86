"""The WebSocket: the page reconnects by itself (and says so meanwhile) — after its socket drops and after the
server itself is killed and started again — and goes on from there; two tabs on one session stay in step
whichever of them steps, sets a hyperparameter, edits a weight or plays."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_server import LiveServer
from pagekit import math_value, math_values, open_page, pick, shot, wait_shown, watched

pytestmark = pytest.mark.browser


@pytest.fixture
def other_window(browser: Any) -> Any:
    """A second browser window on the same server. (A second tab of the same window would be a background tab,
    whose animation frames Chromium delays by up to a second: slow to drive, though the page works the same.)"""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        yield watched(context.new_page())
    finally:
        context.close()


def test_two_tabs_stay_in_step_and_a_dropped_socket_reconnects(
    page: Any, other_window: Any, server: str, api: httpx.Client, request: pytest.FixtureRequest
) -> None:
    session_id = open_page(page, server)
    other = other_window
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

    # A hyperparameter set in one tab shows in the other's set-up panel and address.
    rate = page.get_by_label("Learning rate", exact=True)
    rate.fill("0.05")
    rate.press("Enter")
    other.wait_for_function("() => window.__bpv.store.state.config.optimizer.learning_rate === 0.05")
    other.wait_for_function("() => document.querySelector('[data-key=lr]').value === '0.05'")
    assert "lr=0.05" in other.url

    # A weight edited by hand in the other tab shows here, in the numbers and in the diagram.
    pick(other, "edge", 2, 1, 0)
    pick(page, "edge", 2, 1, 0)
    other.get_by_label("New value", exact=True).fill("-0.625")
    other.get_by_role("button", name="Apply the new value", exact=True).click()
    page.wait_for_function("() => window.__bpv.store.state.weights[1][1][0] === -0.625")
    page.wait_for_function("() => window.__bpv.diagram.marks.edges[2][1][0] === -0.625")
    assert math_value(page, "math-w") == -0.625

    # Play in one tab: the other shows it playing (its button says Pause) and its loss curve grows; pause there.
    page.get_by_role("button", name="Play", exact=True).click()
    other.get_by_role("button", name="Pause", exact=True).wait_for()
    other.wait_for_function("() => window.__bpv.lossChart.points > 5")
    other.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).wait_for()
    page.wait_for_function("() => !window.__bpv.store.state.playing")
    passes = api.get(f"/api/sessions/{session_id}").json()["counters"]["pass"]
    for tab in (page, other):
        tab.wait_for_function(
            "(p) => window.__bpv.store.state.counters.pass === p && window.__bpv.lossChart.points === p", arg=passes
        )
    assert page.problems.errors == [] and other.problems.errors == []


def connection_errors_only(errors: list[str]) -> list[str]:
    """Console errors other than Chromium's own reports of the refused connections while the server is down."""
    return [e for e in errors if "WebSocket connection to" not in e and "ERR_CONNECTION_REFUSED" not in e]


@pytest.mark.parametrize("persist", [True, False], ids=["sessions-kept", "sessions-lost"])
def test_the_page_recovers_when_the_server_is_killed_and_restarted(
    page: Any, tmp_path: Path, persist: bool, request: pytest.FixtureRequest
) -> None:
    """kill -9 the server mid-session and start it again on the same port: the page says it is reconnecting,
    comes back by itself, and goes on — on the same session where it was (the server keeps sessions), or, when
    the server lost it, on a new session with the same set-up."""
    live = LiveServer(tmp_path / "data", persist=persist)
    live.start()
    try:
        with httpx.Client(base_url=live.base, timeout=30.0) as api:
            session_id = open_page(page, live.base, "?hidden=3&acts=tanh")
            before = api.get(f"/api/sessions/{session_id}").json()
            pick(page, "neuron", 1, 2)
            page.get_by_role("button", name="Next pass", exact=True).click()
            wait_shown(page, "U", 1)
            page.get_by_role("button", name="Next phase", exact=True).click()
            wait_shown(page, "F1", 1)
            weights = api.get(f"/api/sessions/{session_id}").json()["weights"]
            # A step answers before its checkpoint is written; the checkpoint follows within the interval (1 s).
            time.sleep(2.0 if persist else 0.0)
            live.kill()
            page.wait_for_function("() => document.body.dataset.conn === 'reconnecting'")
            page.get_by_role("button", name="Reconnect now", exact=True).wait_for()
            shot(page, request, "server-down")
            live.start()
            page.wait_for_function("() => document.body.dataset.conn === 'open'", timeout=30_000)
            assert page.get_by_role("button", name="Reconnect now", exact=True).is_hidden()

            if persist:
                page.wait_for_function("() => window.__bpv.store.state.counters.pass === 1")
                assert page.evaluate("window.__bpv.store.state.id") == session_id
                assert api.get(f"/api/sessions/{session_id}").json()["weights"] == weights
                wait_shown(page, "F1", 1)
                expected_pass = 2
            else:
                assert api.get(f"/api/sessions/{session_id}").status_code == 404
                page.wait_for_function(
                    "(old) => window.__bpv.store.state && window.__bpv.store.state.id !== old "
                    "&& window.__bpv.diagram.ready",
                    arg=session_id,
                )
                new_id = page.evaluate("window.__bpv.store.state.id")
                fresh = api.get(f"/api/sessions/{new_id}").json()
                assert fresh["config"] == before["config"] and fresh["weights"] == before["weights"]
                assert f"session={new_id}" in page.url
                page.wait_for_function("() => document.body.dataset.conn === 'open'")
                expected_pass = 1

            # …and it goes on: the next pass steps on the server, and the equations show its numbers.
            page.get_by_role("button", name="Next pass", exact=True).click()
            wait_shown(page, "U", expected_pass)
            state = api.get(f"/api/sessions/{page.evaluate('window.__bpv.store.state.id')}").json()
            assert state["counters"]["pass"] == expected_pass
            pick(page, "neuron", 1, 2)
            assert math_value(page, "math-after") == state["biases"][0][2]
            shot(page, request, "recovered")
            assert connection_errors_only(page.problems.errors) == []
    finally:
        live.stop()
