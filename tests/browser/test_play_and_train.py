"""Playing moves the loss curve and stops on pause (the page stays responsive meanwhile, and the gradient chart
says why it has nothing to show); a divergence shows its banner; training in the background — started in the
page or over REST by someone else — fills the progress bar with the loss and an ETA."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from pagekit import click_on_diagram, layout_problems, open_page, shot

pytestmark = pytest.mark.browser

LOSS_POINTS = "window.__bpv.lossChart.points"
DRAWN_LOSS = (
    "() => { const gd = document.getElementById('loss-chart');"
    " return gd.data && gd.data[0].x ? gd.data[0].x.length : 0; }"
)


def test_play_and_pause_move_the_loss_curve(
    page: Any, server: str, api: httpx.Client, request: pytest.FixtureRequest
) -> None:
    session_id = open_page(page, server, "?speed=max")
    assert page.evaluate(LOSS_POINTS) == 0
    page.get_by_role("button", name="Play", exact=True).click()
    page.get_by_role("button", name="Pause", exact=True).wait_for()
    page.wait_for_function(f"() => {LOSS_POINTS} > 200")
    page.wait_for_function(f"() => ({DRAWN_LOSS})() > 50")  # the curve on screen grows too
    # While playing, the page answers a click on a neuron at once (handlers are timed by the page).
    for layer, index in ((1, 0), (2, 3), (3, 0)):
        click_on_diagram(page, {"kind": "neuron", "layer": layer, "index": index})
    assert max(page.evaluate("window.__bpv.perf.input")) < 500
    # The gradient chart cannot fill while playing (the server sends losses, not gradients): it says so.
    note = page.get_by_test_id("grad-note")
    page.wait_for_function("() => document.getElementById('grad-note').textContent.startsWith('playing')")
    assert "no gradients" in note.inner_text()
    assert "Pause, then step a pass" in page.locator("#grad-chart").inner_text()
    shot(page, request, "playing")
    assert layout_problems(page) == []

    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).wait_for()
    page.wait_for_function("() => !window.__bpv.store.state.playing")
    page.wait_for_timeout(200)  # anything still in flight lands
    stopped = page.evaluate(LOSS_POINTS)
    state = api.get(f"/api/sessions/{session_id}").json()
    assert not state["playing"] and state["counters"]["pass"] >= stopped
    page.wait_for_timeout(600)
    assert page.evaluate(LOSS_POINTS) == stopped
    assert api.get(f"/api/sessions/{session_id}").json()["counters"]["pass"] == state["counters"]["pass"]
    assert "No passes yet" not in page.locator("#loss-chart").inner_text()
    # Paused, one stepped pass adds a gradient point per layer; the note says these come from stepped passes.
    page.get_by_role("button", name="Next pass", exact=True).click()
    page.wait_for_function(
        "() => [...window.__bpv.gradChart.norms.values()].some((n) => n.filter(Boolean).length === 3)"
    )
    page.wait_for_function("() => document.getElementById('grad-note').textContent === 'stepped passes only'")
    page.wait_for_function("() => document.getElementById('grad-chart').data.every((t) => t.y.some((v) => v > 0))")
    # A second stepped pass continues the line; after passes trained on the fast path (which send no gradients)
    # the line breaks, rather than joining the last stepped pass to the next one across them.
    page.get_by_role("button", name="Next pass", exact=True).click()
    page.wait_for_function("() => window.__bpv.gradChart.norms.size === 2")
    before = api.get(f"/api/sessions/{session_id}").json()["counters"]["pass"]
    assert api.post(f"/api/sessions/{session_id}/train", json={"passes": 50}).status_code == 202
    page.wait_for_function(
        "(p) => window.__bpv.store.state.counters.pass === p && !window.__bpv.store.job"
        " || (window.__bpv.store.job && window.__bpv.store.job.status === 'done'"
        " && window.__bpv.store.state.counters.pass === p)",
        arg=before + 50,
    )
    page.get_by_role("button", name="Next pass", exact=True).click()
    page.wait_for_function("() => window.__bpv.gradChart.norms.size === 3")
    page.wait_for_function("() => document.getElementById('grad-chart').data[0].x.length === 4")
    x = page.evaluate("document.getElementById('grad-chart').data[0].x")
    assert x == [before - 1, before, None, before + 51], x  # the chart counts passes from 1

    # Log scale, and the URL remembers it.
    page.get_by_label("Log scale").check()
    page.wait_for_function("() => document.getElementById('loss-chart')._fullLayout.yaxis.type === 'log'")
    assert "log=1" in page.url
    shot(page, request, "paused-log")
    assert layout_problems(page) == []
    assert page.problems.errors == []


def test_a_divergence_shows_its_banner(
    page: Any, server: str, api: httpx.Client, request: pytest.FixtureRequest
) -> None:
    # Linear regression with a learning rate far too large: the loss overflows within a few dozen passes.
    created = api.post(
        "/api/sessions",
        json={
            "layers": [1, 1],
            "activations": ["linear"],
            "loss": "mse",
            "optimizer": {"name": "sgd", "learning_rate": 50},
            "init": {"weights": [[[0.5]]], "biases": [[0.0]]},
            "dataset": {"inputs": [[1.0], [2.0], [3.0]], "targets": [[1.0], [2.0], [3.0]]},
        },
    )
    assert created.status_code == 201, created.text
    session_id = created.json()["id"]
    open_page(page, server, f"?session={session_id}&speed=max")
    page.get_by_role("button", name="Play", exact=True).click()
    banner = page.get_by_test_id("diverged-banner")
    banner.wait_for()
    state = api.get(f"/api/sessions/{session_id}").json()
    diverged_at = int(banner.get_attribute("data-pass"))
    assert f"diverged at pass {diverged_at + 1}" in banner.inner_text()
    assert "the one before that pass" in banner.inner_text()
    assert "learning rate" in banner.inner_text().lower()
    assert state["counters"]["pass"] == diverged_at and not state["playing"]
    shot(page, request, "diverged")
    assert layout_problems(page) == []

    page.get_by_role("button", name="Halve the learning rate", exact=True).click()
    page.wait_for_function("() => window.__bpv.store.state.config.optimizer.learning_rate === 25")
    assert banner.is_hidden()
    assert "lr=25" in page.url
    assert page.problems.errors == []


def test_training_in_the_background_fills_the_progress_bar(
    page: Any, server: str, api: httpx.Client, request: pytest.FixtureRequest
) -> None:
    session_id = open_page(page, server, "?data=xor&samples=400&hidden=8,8&acts=tanh,tanh")
    page.get_by_label("Epochs to train").fill("1500")  # ≈ 48,000 passes: a few seconds, many progress events
    page.evaluate("""() => { window.__progress = [];
        const bar = document.getElementById('job-progress'), text = document.getElementById('job-text');
        new MutationObserver(() => window.__progress.push([Number(bar.value), text.dataset.status]))
            .observe(bar, {attributes: true}); }""")
    watch_job_text(page)
    page.get_by_role("button", name="Train in the background", exact=True).click()
    page.wait_for_function("() => document.getElementById('job-text').dataset.status === 'done'", timeout=60_000)
    progress = page.evaluate("window.__progress")
    total = int(page.locator("#job-progress").get_attribute("max"))
    running = [done for done, status in progress if status == "running" and 0 < done < total]
    assert running, f"no intermediate progress was shown: {progress}"
    assert running == sorted(running)
    assert_progress_texts(page)
    assert page.evaluate("document.getElementById('job-progress').value") == total
    assert "done" in page.get_by_test_id("job-text").inner_text()
    state = api.get(f"/api/sessions/{session_id}").json()
    assert state["counters"]["epoch"] == 1500
    page.wait_for_function("(e) => window.__bpv.lossChart.perEpoch.epoch.length >= e", arg=1500)
    assert page.get_by_role("button", name="Next phase", exact=True).is_enabled()
    shot(page, request, "trained")
    assert page.problems.errors == []


def watch_job_text(page: Any) -> None:
    """Record every text the progress line shows while a job runs, with the state of the stepping controls."""
    page.evaluate("""() => { window.__jobTexts = [];
        const text = document.getElementById('job-text'), next = document.getElementById('next-phase');
        const note = document.getElementById('grad-note');
        new MutationObserver(() => window.__jobTexts.push({text: text.textContent, status: text.dataset.status,
                                                            stepDisabled: next.disabled, note: note.textContent}))
            .observe(text, {childList: true, characterData: true, subtree: true}); }""")


RUNNING = re.compile(r"^(\d+)% · pass ([\d,]+) of ([\d,]+) · loss [−\d.e+-]+ · ETA (\d+ s|\d+ min \d+ s)$")


def assert_progress_texts(page: Any) -> None:
    """While it ran, the line said how far (percent and passes), the loss and the time left, and stepping was
    off (the job owns the session); it ends saying done."""
    texts = page.evaluate("window.__jobTexts")
    running = [t for t in texts if t["status"] == "running"]
    with_loss = [t for t in running if RUNNING.match(t["text"])]
    assert with_loss, f"no progress text with the loss and an ETA: {[t['text'] for t in running][:5]}"
    assert all(t["stepDisabled"] for t in running)
    assert any(t["note"].startswith("training") for t in running)  # (drawn on the frame after the text)
    assert texts[-1]["status"] == "done" and not texts[-1]["stepDisabled"]
    page.wait_for_function("() => !document.getElementById('grad-note').textContent.startsWith('training')")


def test_a_job_started_over_rest_shows_in_the_page(
    page: Any, server: str, api: httpx.Client, request: pytest.FixtureRequest
) -> None:
    """Someone (a script, another tool) starts a training job on the session the page shows: the page's
    progress bar follows it with the loss and an ETA, and stepping waits for it."""
    session_id = open_page(page, server, "?data=xor&samples=400&hidden=8,8&acts=tanh,tanh")
    watch_job_text(page)
    started = api.post(f"/api/sessions/{session_id}/train", json={"epochs": 1500})
    assert started.status_code == 202, started.text
    job = started.json()
    page.wait_for_function("() => document.getElementById('job-text').dataset.status === 'running'")
    assert (
        page.get_by_role("button", name="Next phase", exact=True).is_disabled()
        or page.evaluate("document.getElementById('job-text').dataset.status") == "done"
    )
    page.wait_for_function(
        "() => document.getElementById('job-progress').value > 0 && "
        "document.getElementById('job-text').dataset.status === 'running'"
    )
    shot(page, request, "running")
    assert layout_problems(page) == []
    page.wait_for_function("() => document.getElementById('job-text').dataset.status === 'done'", timeout=60_000)
    final = api.get(f"/api/sessions/{session_id}/jobs/{job['id']}").json()
    assert final["status"] == "done" and final["done"] == final["total"] == job["total"]
    assert page.evaluate("document.getElementById('job-progress').value") == job["total"]
    assert_progress_texts(page)
    page.wait_for_function("(e) => window.__bpv.lossChart.perEpoch.epoch.length >= e", arg=1500)
    assert page.get_by_role("button", name="Next phase", exact=True).is_enabled()
    assert f"{job['total']:,} of {job['total']:,} passes" in page.get_by_test_id("job-text").inner_text()
    assert page.problems.errors == []
