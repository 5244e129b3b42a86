"""The Diagnostics view (issue 12) in the page, against the real server: a deep sigmoid network gets the vanishing
flag — a badge on layer 1 in the diagram and the server's sentence in the view, linked to lesson 03, which opens —
with the health series and the distributions drawn, at 1280×800 and at A+; the loss landscape computed with its
progress bar, drawn with the path and the current point, and a costly one cancelled; two runs of this browser
compared on the loss chart, labelled by what differs; each hidden neuron's picture beside it, shown large in the
data view on a click. Screenshots of each state go to test-artifacts/screenshots/."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pagekit import layout_problems, open_page, shot

pytestmark = pytest.mark.browser

PROGRESS_TEXT = "document.querySelector(\"[data-testid='landscape-progress-text']\").textContent"
DEEP_SIGMOID = "?hidden=8,8,8,8,8,8&acts=sigmoid,sigmoid,sigmoid,sigmoid,sigmoid,sigmoid&lr=0.3"


def diagnostics(api: httpx.Client, session_id: str) -> dict[str, Any]:
    answer = api.get(f"/api/sessions/{session_id}/diagnostics")
    assert answer.status_code == 200, answer.text
    return answer.json()


def open_diagnostics(page: Any, pane: str = "health") -> None:
    page.get_by_test_id("diagnostics-tab").click()
    page.wait_for_selector("body[data-centre='diagnostics']")
    if pane != "health":
        page.get_by_test_id(f"diag-tab-{pane}").click()
    page.wait_for_function("(p) => document.getElementById(`diag-tab-${p}`).ariaSelected === 'true'", arg=pane)


def drawn(page: Any, testid: str) -> None:
    """Wait until the Plotly chart under `testid` has been drawn."""
    page.wait_for_selector(f"[data-testid='{testid}'] .main-svg")


def test_a_deep_sigmoid_net_shows_the_vanishing_flag(page: Any, server: str, api: httpx.Client, request: Any) -> None:
    session_id = open_page(page, server, DEEP_SIGMOID)
    flags = diagnostics(api, session_id)["flags"]
    vanishing = next(f for f in flags if f["kind"] == "vanishing")
    assert vanishing["lesson"] == "03-vanishing-gradients"

    # The badge sits on layer 1 in the diagram (the ratio is layer 1's gradient to the output's) …
    badge = page.locator("[data-testid='flag-badge-1']")
    badge.wait_for()
    assert "vanishing" in badge.get_attribute("data-kinds").split()
    assert "vanishing gradient" in badge.get_attribute("aria-label")
    assert page.get_by_test_id("flag-count").inner_text().strip() == f"⚠ {len(flags)}"
    box = badge.bounding_box()
    column = page.evaluate(
        "() => { const d = window.__bpv.diagram; return d.el.getBoundingClientRect().left + d.transform().x(1); }"
    )
    assert abs(box["x"] + box["width"] / 2 - column) < 2  # under layer 1's column
    shot(page, request, "network-badge")

    # … and a click on it opens the view at the server's own sentence, with the lesson linked.
    badge.click()
    page.wait_for_selector("body[data-centre='diagnostics']")
    sentence = page.locator("[data-testid='flag-vanishing']")
    assert sentence.locator(".flag-message").inner_text() == vanishing["message"]
    assert "vanishes" in vanishing["message"]
    link = page.get_by_test_id("flag-lesson-vanishing")
    assert link.get_attribute("href") == "?lesson=03-vanishing-gradients"
    page.wait_for_function("() => /Vanishing gradients/.test(document.querySelector('.lesson-link').textContent)")

    # Some passes: the health series and the distributions over time.
    page.click("#next-pass")
    page.click("#next-pass")
    page.wait_for_function("() => Number(document.getElementById('diagnostics').dataset.pass) >= 2")
    for key in ("grad_norm", "update_ratio", "saturated_fraction", "dead_fraction"):
        drawn(page, f"series-{key}")
    layers = page.evaluate("() => document.querySelectorAll('[data-series=grad_norm] .scatterlayer .trace').length")
    assert layers == 7  # one line per layer with weights
    dead_note = page.locator("[data-testid='series-dead_fraction'] .annotation-text").text_content()
    assert "No ReLU layers" in dead_note
    ratio_band = page.locator("[data-testid='series-update_ratio'] .annotation-text").text_content()
    assert "10⁻³" in ratio_band
    assert layout_problems(page) == []
    shot(page, request, "health")

    page.get_by_test_id("diag-tab-dist").click()
    page.get_by_role("button", name="Show the distributions of δ").click()
    for layer in range(1, 8):
        drawn(page, f"heatmap-{layer}")
    heat = page.evaluate(
        """() => {
          const t = document.querySelector("[data-testid='heatmap-1']").data[0];
          return {type: t.type, passes: t.x.length, bins: t.z.length};
        }"""
    )
    history = api.get(f"/api/sessions/{session_id}/diagnostics?history=true").json()["history"]
    entry = next(h for h in history["histograms"]["delta"] if h["layer"] == 1)
    assert heat == {"type": "heatmap", "passes": len(entry["counts"]), "bins": len(entry["edges"]) - 1}
    shot(page, request, "distributions")

    # Readable at A+ (the set-up panel folds away).
    page.click("#big")
    page.get_by_test_id("diag-tab-health").click()
    drawn(page, "series-grad_norm")
    font = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('.flag-message')).fontSize)")
    assert font >= 16
    assert layout_problems(page) == []  # nothing cut off, overlapping or too small
    shot(page, request, "health-big")
    page.click("#big")

    # The lesson opens in a new session beside the network; the diagnosed one is kept for comparing.
    link.click()
    page.wait_for_function("() => document.body.dataset.lesson === '03-vanishing-gradients'")
    page.wait_for_selector("body[data-centre='network']")
    assert page.evaluate("window.__bpv.store.sessionId") != session_id
    runs = page.evaluate("() => JSON.parse(localStorage.getItem('backprop-viz.runs')).map((r) => r.id)")
    assert session_id in runs
    assert page.problems.errors == []


def test_the_loss_landscape_is_computed_drawn_and_cancelled(
    page: Any, server: str, api: httpx.Client, request: Any
) -> None:
    session_id = open_page(page, server, "?hidden=32,32")
    for _ in range(3):
        page.click("#next-pass")
    page.wait_for_function("() => document.body.dataset.pass === '3'")
    open_diagnostics(page, "landscape")
    drawn(page, "landscape-contour")
    assert "Not computed yet" in page.locator("[data-testid='landscape-contour'] .annotation-text").text_content()

    page.get_by_label("Grid points along each direction").fill("15")
    page.get_by_test_id("landscape-compute").click()
    page.wait_for_function(f"() => {PROGRESS_TEXT}.startsWith('done')")
    page.wait_for_function("() => document.getElementById('diag-pane-landscape').dataset.pass === '3'")
    landscape = api.get(f"/api/sessions/{session_id}/landscape").json()
    assert len(landscape["alphas"]) == 15
    traces = page.evaluate(
        """() => document.querySelector("[data-testid='landscape-contour']").data
                   .map((t) => ({type: t.type, name: t.name || null, n: (t.x || []).length}))"""
    )
    assert traces[0] == {"type": "contour", "name": None, "n": 15}
    assert {"type": "scatter", "name": "path", "n": len(landscape["path"])} in traces
    assert {"type": "scatter", "name": "now", "n": 1} in traces
    slice_steps = page.evaluate("() => document.querySelector(\"[data-testid='landscape-slice']\").data[0].x")
    assert slice_steps == landscape["slice"]["steps"]
    shot(page, request, "landscape")

    # A costly one (near the work budget: about a second here): the stepping controls wait, Cancel stops it.
    page.get_by_label("Grid points along each direction").fill("101")
    page.get_by_label("Span along each direction").fill("3")
    page.get_by_test_id("landscape-compute").click()
    page.wait_for_function("() => (window.__bpv.store.landscapeJob || {}).status === 'running'")
    assert page.locator("#next-pass").is_disabled()
    page.get_by_role("button", name="Cancel the landscape").click()
    page.wait_for_function(f"() => {PROGRESS_TEXT}.startsWith('cancelled')")
    shot(page, request, "landscape-cancelled")
    page.wait_for_function("() => !document.getElementById('next-pass').disabled")
    assert page.problems.errors == []


def test_two_runs_compared_on_the_loss_chart(
    page: Any, context: Any, server: str, api: httpx.Client, request: Any
) -> None:
    # A first run at η = 0.3 in another tab of this browser, trained a little over REST.
    first = context.new_page()
    other_id = open_page(first, server, "?hidden=4,4&lr=0.3")
    trained = api.post(f"/api/sessions/{other_id}/train", json={"epochs": 3}, headers={"X-Backprop-Viz-Request": "1"})
    assert trained.status_code == 202, trained.text
    job = trained.json()
    first.wait_for_function("() => window.__bpv.store.job && window.__bpv.store.job.status === 'done'")
    assert api.get(f"/api/sessions/{other_id}/jobs/{job['id']}").json()["status"] == "done"
    first.close()

    session_id = open_page(page, server, "?hidden=4,4&lr=0.1")
    assert session_id != other_id
    page.click("#next-pass")
    page.get_by_test_id("compare-button").click()
    listed = page.get_by_test_id("compare-list")
    checkbox = listed.locator(f"input[data-run='{other_id}']")
    checkbox.wait_for()
    assert "η = 0.3" in checkbox.locator("xpath=ancestor::li").inner_text()
    assert session_id not in listed.inner_html()  # the run on screen is not one of the others
    checkbox.check()
    page.wait_for_selector(f"#loss-legend [data-compared='{other_id}']")
    page.locator("#compare-done").click()
    assert page.locator(f"#loss-legend [data-compared='{other_id}']").inner_text() == "η = 0.3"
    overlay = page.evaluate(
        "(id) => document.getElementById('loss-chart').data.find((t) => t.compared === id)", other_id
    )
    metrics = api.get(f"/api/sessions/{other_id}/metrics").json()
    assert overlay["name"] == "η = 0.3"
    assert overlay["x"] == metrics["per_epoch"]["pass"]  # its train loss per epoch
    assert overlay["y"] == metrics["per_epoch"]["train_loss"]
    labels = page.evaluate(
        "() => [...document.querySelectorAll('#loss-chart .annotation-text')].map((a) => a.textContent)"
    )
    assert "η = 0.3" in labels  # at the end of its curve
    shot(page, request, "compared")

    # A run gone from the server is said so and forgotten.
    assert api.delete(f"/api/sessions/{other_id}", headers={"X-Backprop-Viz-Request": "1"}).status_code in (200, 204)
    gone = "(id) => !document.querySelector(`#loss-legend [data-compared='${id}']`)"
    page.wait_for_function(gone, arg=other_id, timeout=15_000)
    assert other_id not in page.evaluate("() => JSON.parse(localStorage.getItem('backprop-viz.runs')).map((r) => r.id)")
    # (the browser reports the 404 that told the page so; nothing else went wrong)
    assert [e for e in page.problems.errors if "404 (Not Found)" not in e] == []


def test_hidden_neurons_pictures_and_the_layers_eye_view(
    page: Any, server: str, api: httpx.Client, request: Any
) -> None:
    session_id = open_page(page, server, "?hidden=6,4&acts=tanh,tanh")
    page.wait_for_function("() => Number(document.getElementById('diagram').dataset.unitPictures) === 10")
    grid = api.get(f"/api/sessions/{session_id}/units?layer=2").json()
    point = page.evaluate("() => window.__bpv.insight.units.pointOf(2, 1)")
    page.mouse.click(point["x"], point["y"])
    banner = page.get_by_test_id("unit-banner")
    banner.wait_for()
    assert "neuron 2 of layer 2" in banner.inner_text()
    shown = page.evaluate("() => { const u = window.__bpv.insight.units.dataView.unit; return u && u.values; }")
    assert shown == grid["units"][1]
    shot(page, request, "unit-large")
    banner.get_by_role("button").click()
    page.wait_for_function("() => window.__bpv.insight.units.dataView.unit === null")

    # The Hidden units pane: the layer's pictures for 2-D data.
    open_diagnostics(page, "units")
    page.wait_for_function("() => document.querySelectorAll(\"[data-testid='unit-grid'] .unit-cell\").length === 6")
    shot(page, request, "units-pane")
    page.get_by_test_id("diag-tab-eval").click()
    drawn(page, "eval-plot")
    evaluation = api.get(f"/api/sessions/{session_id}/evaluation").json()
    cells = page.evaluate("() => JSON.parse(document.querySelector(\"[data-testid='eval-plot']\").dataset.cells)")
    assert cells == evaluation["confusion"]["test"]
    assert page.problems.errors == []


def test_the_layers_eye_scatter_for_data_that_is_not_a_plane(
    page: Any, server: str, api: httpx.Client, request: Any
) -> None:
    session_id = open_page(page, server, "?data=digits&hidden=16&acts=relu&opt=adam&lr=0.01&batch=32")
    assert page.locator("#unit-pictures-toggle").is_hidden()
    open_diagnostics(page, "units")
    drawn(page, "units-plot")
    view = api.get(f"/api/sessions/{session_id}/units?layer=1").json()
    assert view["kind"] == "projection"
    points = page.evaluate("() => document.querySelector('.units-plot').data.reduce((n, t) => n + t.x.length, 0)")
    assert points == len(view["points"])
    drawn_points = page.evaluate("() => document.querySelectorAll('.units-plot .scatterlayer .point').length")
    assert drawn_points == len(view["points"])  # drawn as SVG (no WebGL needed)
    assert "principal axes" in page.get_by_test_id("units-note").inner_text()
    shot(page, request, "layers-eye")
    assert page.problems.errors == []
