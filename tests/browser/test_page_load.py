"""Loading the page: no console errors, the diagram, legends, loss curve and data view are drawn, and every
control can be found by its role and accessible name."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pagekit import layout_problems, open_page, shot

pytestmark = pytest.mark.browser

CONTROLS = [
    "Reset",
    "Back one pass",
    "Back one phase",
    "Next phase",
    "Next pass",
    "Next epoch",
    "Play",
    "Train in the background",
    "Export the session as a JSON file",
    "Copy a link to this set-up",
]


def canvas_pixel(page: Any, selector: str, x: float, y: float) -> list[int]:
    """The RGBA of a canvas pixel at CSS coordinates (x, y) inside the canvas."""
    return page.evaluate(
        """([selector, x, y]) => { const c = document.querySelector(selector); const r = window.devicePixelRatio || 1;
            return Array.from(c.getContext('2d').getImageData(Math.round(x * r), Math.round(y * r), 1, 1).data); }""",
        [selector, x, y],
    )


def test_page_loads_without_errors_and_draws_the_network(
    page: Any, server: str, api: httpx.Client, request: pytest.FixtureRequest
) -> None:
    session_id = open_page(page, server)
    state = api.get(f"/api/sessions/{session_id}").json()
    layers = state["config"]["layers"]
    assert layers == [2, 4, 4, 1]
    assert f"session={session_id}" in page.url and "hidden=4,4" in page.url

    # The diagram: every neuron laid out and painted (a neuron's centre is not the background).
    geometry = page.evaluate("window.__bpv.diagram.geometry.layers")
    assert geometry == layers
    assert page.evaluate("window.__bpv.diagram.geometry.nodes.length") == sum(layers)
    box = page.locator("#diagram").bounding_box()
    for layer, index in ((0, 0), (2, 3), (3, 0)):
        neuron = {"kind": "neuron", "layer": layer, "index": index}
        point = page.evaluate("(s) => window.__bpv.diagram.pointOf(s)", neuron)
        rgba = canvas_pixel(page, "#diagram-edges", point["x"] - box["x"], point["y"] - box["y"])
        assert rgba[3] == 255, f"neuron ({layer}, {index}) is not painted"
    # The Plotly figure (layer titles) and the legends.
    page.wait_for_selector("#diagram .main-svg")
    titles = page.locator("#diagram .annotation-text").all_text_contents()  # two lines each: name, then size
    assert {"input2", "layer 14 · tanh", "layer 24 · tanh", "output1 · sigmoid"} <= set(titles)
    assert "weight w" in page.get_by_test_id("legend-edges").inner_text()

    # The loss chart and the data view are Plotly figures; the data view has the train and test points.
    page.wait_for_selector("#loss-chart .main-svg")
    page.wait_for_selector("#data-view .main-svg")
    assert "No passes yet" in page.locator("#loss-chart").inner_text()
    points = page.evaluate("document.querySelectorAll('#data-view .scatterlayer .trace:first-child .point').length")
    assert points == state["dataset"]["train_rows"]

    # Every control is found by role and name; the timeline has one button per phase.
    for name in CONTROLS:
        assert page.get_by_role("button", name=name, exact=True).is_visible(), name
    timeline = state["counters"]["timeline"]
    assert timeline == ["F1", "F2", "F3", "J", "B3", "B2", "B1", "U"]
    for label in timeline:
        assert page.get_by_role("button", name=f"Jump to phase {label}", exact=True).is_visible()
    assert page.get_by_test_id("connection").inner_text() == "connected"
    # The empty states say what to do, and the legends say what the colours mean.
    assert "Step through a backward pass" in page.locator("#grad-chart").inner_text()
    legend = page.get_by_test_id("data-legend").inner_text()
    assert all(word in legend for word in ("inner", "outer", "test", "focus", "p(outer)"))
    shot(page, request, "loaded")
    assert layout_problems(page) == []
    assert page.problems.errors == []


def test_clicking_a_training_point_makes_it_the_focus(page: Any, server: str, api: httpx.Client) -> None:
    session_id = open_page(page, server)
    page.wait_for_selector("#data-view .main-svg")
    # The training point farthest from any other point (so the pointer cannot land on a neighbour).
    target, point = page.evaluate(
        """() => { const gd = document.getElementById('data-view'); const tr = gd.data[0], te = gd.data[1];
            const all = tr.x.map((x, i) => [x, tr.y[i]]).concat(te.x.map((x, i) => [x, te.y[i]]));
            let best = 0, bestD = -1;
            tr.x.forEach((x, i) => { let d = Infinity;
                all.forEach(([u, v], k) => { if (k !== i) d = Math.min(d, Math.hypot(u - x, v - tr.y[i])); });
                if (d > bestD) { bestD = d; best = i; } });
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
            const at = {x: box.left + xa._offset + xa.l2p(tr.x[best]), y: box.top + ya._offset + ya.l2p(tr.y[best])};
            return [best, at];
        }"""
    )
    assert target != page.evaluate("window.__bpv.store.state.focus")
    page.mouse.move(point["x"], point["y"])  # Plotly picks the point under the pointer on hover
    page.wait_for_timeout(100)
    page.mouse.click(point["x"], point["y"])
    page.wait_for_function("(i) => window.__bpv.store.state.focus === i", arg=target)
    assert api.get(f"/api/sessions/{session_id}").json()["focus"] == target
    page.wait_for_function(
        "(i) => document.getElementById('math-body').textContent.includes(`Focus sample #${i} `)", arg=target
    )
    assert page.locator("#focus-index").input_value() == str(target)
    assert page.problems.errors == []


def test_the_set_up_round_trips_through_the_url_and_numbers_keep_their_value(page: Any, server: str) -> None:
    page.goto(f"{server}/api/health")  # any page of the origin: the modules are imported on their own
    result = page.evaluate("""async () => {
        const state = await import('/static/js/state.js');
        const format = await import('/static/js/format.js');
        const catalog = await (await fetch('/api/catalog')).json();  // the names and defaults are the engine's
        const s = {...state.defaults(catalog), data: 'spiral', noise: 0.25, hidden: [8, 6, 3],
                   acts: ['relu', 'tanh', 'sigmoid'], opt: 'momentum', lr: 0.03, mom: 0.8, reg: 'l2', rate: 0.001,
                   iseed: 7, session: 'abc', log: true};
        const back = state.fromQuery('?' + state.toQuery(s, 'tok', catalog), catalog);
        const body = state.sessionBody(s, {task: 'classification', features: ['x1', 'x2'], targets: ['label'],
                                           classes: ['a', 'b']}, catalog);
        return {same: JSON.stringify(back) === JSON.stringify(s), query: state.toQuery(s, 'tok', catalog), body,
                fmt: [format.fmt(0.123456789, '4'), format.fmt(-0.000012345, '3'), format.fmt(0.1 + 0.2, 'full'),
                      format.fmt(null, '4'), format.fmt(1234567, '2'), format.fmt(0.5, '6')]};
    }""")
    assert result["same"], result["query"]
    assert "token=tok" in result["query"] and "hidden=8,6,3" in result["query"]
    assert result["body"]["layers"] == [2, 8, 6, 3, 1]
    assert result["body"]["activations"] == ["relu", "tanh", "sigmoid", "sigmoid"]
    assert result["body"]["optimizer"] == {"name": "momentum", "learning_rate": 0.03, "momentum": 0.8}
    assert result["body"]["regularization"] == {"kind": "l2", "rate": 0.001}
    assert result["body"]["dataset"] == {"builtin": "spiral", "test_fraction": 0.2, "seed": 0, "noise": 0.25}
    assert result["fmt"] == ["0.1235", "−1.23e-5", "0.30000000000000004", "—", "1.2e+6", "0.5"]
