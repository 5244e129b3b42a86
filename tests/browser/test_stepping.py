"""Stepping through backprop in the page: after each click the timeline and the math panel follow, and the
numbers shown for a chosen neuron and weight are exactly the API's (GET /api/sessions/{id} and the records of
a second session with the same configuration, stepped over REST); stepping back brings the earlier numbers
back; the keyboard and the timeline step too."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pagekit import (
    click_on_diagram,
    layout_problems,
    math_value,
    math_values,
    open_page,
    pick,
    rest_step,
    shadow_session,
    shot,
    wait_shown,
)

pytestmark = pytest.mark.browser

J = 1  # the chosen neuron of layer 2 (0-based row), and the chosen weight w²₂,₁ (row 1, column 0)
K = 0


def current_label(page: Any) -> str:
    return page.get_by_role("group", name="Phase timeline").locator("[aria-current='step']").get_attribute("data-label")


def test_one_pass_phase_by_phase_shows_the_api_numbers(
    page: Any, server: str, api: httpx.Client, request: pytest.FixtureRequest
) -> None:
    session_id = open_page(page, server)
    initial = api.get(f"/api/sessions/{session_id}").json()
    shadow = shadow_session(api, session_id)
    click_on_diagram(page, {"kind": "neuron", "layer": 2, "index": J})
    assert "Layer 2, neuron 2" in page.locator("#math-body h3").inner_text()
    assert math_value(page, "math-b") == initial["biases"][1][J]

    records: dict[str, dict[str, Any]] = {}
    for label in initial["counters"]["timeline"]:
        page.get_by_role("button", name="Next phase", exact=True).click()
        wait_shown(page, label)
        (record,) = rest_step(api, shadow)
        assert record["label"] == label
        records[label] = record
        assert current_label(page) == label
        assert page.locator("#math").get_attribute("data-phase") == label
        f2 = records.get("F2")
        if f2 is not None:  # from F2 on, the forward equations of neuron (2, J) hold F2's numbers
            assert math_value(page, "math-z") == f2["z"][J]
            assert math_value(page, "math-a") == f2["a"][J]
            assert math_value(page, "math-b") == f2["b"][J]
            terms = math_values(page, "math-term-")
            for k in range(4):
                assert terms[f"math-term-w-{k}"] == f2["W"][J][k]
                assert terms[f"math-term-a-{k}"] == f2["a_prev"][k]
        else:
            assert page.locator("#math-body [data-testid='math-z']").count() == 0
        b2 = records.get("B2")
        if b2 is not None:  # δ²_J = (Σ_i w³_iJ δ³_i) · f'(z²_J), and ∂J/∂b for this sample and the batch
            b3 = records["B3"]
            assert math_value(page, "math-delta") == b2["delta"][J]
            assert math_value(page, "math-fprime") == b2["fprime"][J]
            terms = math_values(page, "math-term-")
            for i in range(len(b3["delta"])):
                assert terms[f"math-term-wnext-{i}"] == b3["W"][i][J]
                assert terms[f"math-term-deltanext-{i}"] == b3["delta"][i]
            assert math_value(page, "math-grad-b-sample") == b2["sample_grad_b"][J]
            assert math_value(page, "math-grad-b-batch") == b2["grad_b"][J]
        else:
            assert page.locator("#math-body [data-testid='math-delta']").count() == 0
        # The legend names what the colours show now: ∂J/∂w and δ in the backward pass, else w and a.
        edges, neurons = (page.get_by_test_id(t).inner_text() for t in ("legend-edges", "legend-neurons"))
        if label.startswith("B"):
            assert "∂J/∂w" in edges and "δ" in neurons, (label, edges, neurons)
        else:
            assert "weight w" in edges and "neuron: a" in neurons, (label, edges, neurons)
        if label in ("F2", "J", "B2", "U"):
            shot(page, request, label)
            assert layout_problems(page) == [], label

    # The update: b := b − η ∂J/∂b with the batch gradient, and the new bias is the API's.
    update = records["U"]
    assert math_value(page, "math-before") == records["F2"]["b"][J]
    assert math_value(page, "math-eta") == update["learning_rate"] == 0.1
    assert math_value(page, "math-grad-used") == records["B2"]["grad_b"][J]
    assert math_value(page, "math-after") == update["b"][1][J]
    assert math_value(page, "math-step") == update["step_b"][1][J]
    after = api.get(f"/api/sessions/{session_id}").json()
    assert after["biases"][1][J] == update["b"][1][J]
    assert after["counters"]["pass"] == 1

    # The weight w²_{J,K}: picked with the math panel's selects, then clicked on in the diagram.
    pick(page, "edge", 2, J, K)
    click_on_diagram(page, {"kind": "neuron", "layer": 1, "index": 0})
    click_on_diagram(page, {"kind": "edge", "layer": 2, "row": J, "column": K})
    assert "Weight" in page.locator("#math-body h3").inner_text()
    b2 = records["B2"]
    assert math_value(page, "math-w") == records["F2"]["W"][J][K] == initial["weights"][1][J][K]
    assert math_value(page, "math-term-w") == records["F2"]["W"][J][K]
    assert math_value(page, "math-term-a") == records["F2"]["a_prev"][K]
    assert math_value(page, "math-delta") == b2["delta"][J]
    assert math_value(page, "math-a-prev") == b2["a_prev"][K]
    assert math_value(page, "math-grad-sample") == b2["sample_grad_W"][J][K]
    assert math_value(page, "math-grad-batch") == b2["grad_W"][J][K]
    assert math_value(page, "math-after") == update["W"][1][J][K] == after["weights"][1][J][K]
    assert math_value(page, "math-step") == update["step_W"][1][J][K]
    shot(page, request, "weight")

    # Precision changes the digits shown, never the value behind them.
    shown = "() => document.querySelector(\"#math-body [data-testid='math-after']\").textContent"
    page.get_by_label("Precision of the numbers shown").select_option("full")
    page.wait_for_function(f"(v) => Number(({shown})().replace('−', '-')) === v", arg=update["W"][1][J][K])
    full = page.locator("#math-body [data-testid='math-after']").inner_text()
    assert float(full.replace("−", "-")) == update["W"][1][J][K]
    page.get_by_label("Precision of the numbers shown").select_option("2")
    page.wait_for_function(f"() => ({shown})().length < {len(full)}")
    assert math_value(page, "math-after") == update["W"][1][J][K]
    assert page.problems.errors == []


def test_stepping_back_brings_the_earlier_numbers_back(
    page: Any, server: str, api: httpx.Client, request: pytest.FixtureRequest
) -> None:
    session_id = open_page(page, server)
    initial = api.get(f"/api/sessions/{session_id}").json()
    pick(page, "neuron", 2, J)
    page.get_by_role("button", name="Jump to phase B2", exact=True).click()
    wait_shown(page, "B2", 0)
    at_b2 = math_values(page, "math-")
    assert "math-delta" in at_b2 and "math-z" in at_b2

    page.get_by_role("button", name="Next phase", exact=True).click()
    wait_shown(page, "B1")
    page.get_by_role("button", name="Next phase", exact=True).click()
    wait_shown(page, "U", 1)
    assert math_value(page, "math-after") != math_value(page, "math-before")
    assert api.get(f"/api/sessions/{session_id}").json()["biases"][1][J] == math_value(page, "math-after")

    page.get_by_role("button", name="Back one phase", exact=True).click()
    wait_shown(page, "B1", 0)
    page.get_by_role("button", name="Back one phase", exact=True).click()
    wait_shown(page, "B2", 0)
    assert math_values(page, "math-") == at_b2
    assert api.get(f"/api/sessions/{session_id}").json()["biases"] == initial["biases"]
    shot(page, request, "back-at-B2")

    page.get_by_role("button", name="Back one pass", exact=True).click()
    wait_shown(page, "", 0)
    assert math_value(page, "math-b") == initial["biases"][1][J]
    state = api.get(f"/api/sessions/{session_id}").json()
    assert state["weights"] == initial["weights"] and state["counters"]["position"] == 0
    assert page.problems.errors == []


def test_keyboard_and_timeline_step(page: Any, server: str, api: httpx.Client) -> None:
    session_id = open_page(page, server)
    page.locator("h1").click()  # focus on the page, not in a form field
    page.keyboard.press("ArrowRight")
    wait_shown(page, "F1", 0)
    page.keyboard.press("ArrowRight")
    wait_shown(page, "F2", 0)
    page.keyboard.press("ArrowLeft")
    wait_shown(page, "F1", 0)
    page.keyboard.press("Shift+ArrowRight")
    wait_shown(page, "U", 1)
    page.keyboard.press("Shift+ArrowRight")
    wait_shown(page, "U", 2)
    page.keyboard.press("Shift+ArrowLeft")
    wait_shown(page, "", 1)
    assert api.get(f"/api/sessions/{session_id}").json()["counters"]["pass"] == 1

    page.get_by_role("button", name="Jump to phase J", exact=True).click()
    wait_shown(page, "J", 1)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#diagram .annotation-text')].some((t) => t.textContent.startsWith('J ='))"
    )  # the loss appears at the output
    page.get_by_role("button", name="Jump to phase F2", exact=True).click()
    wait_shown(page, "F2", 1)

    page.keyboard.press("Space")
    page.get_by_role("button", name="Pause", exact=True).wait_for()
    page.wait_for_function("() => window.__bpv.store.state.playing")
    page.keyboard.press("Space")
    page.get_by_role("button", name="Play", exact=True).wait_for()
    page.wait_for_function("() => !window.__bpv.store.state.playing")
    assert not api.get(f"/api/sessions/{session_id}").json()["playing"]
    assert page.problems.errors == []


def test_edit_a_weight_next_epoch_and_reset(
    page: Any, server: str, api: httpx.Client, request: pytest.FixtureRequest
) -> None:
    session_id = open_page(page, server)
    initial = api.get(f"/api/sessions/{session_id}").json()
    pick(page, "edge", 1, 0, 1)
    page.get_by_label("New value", exact=True).fill("0.75")
    page.get_by_role("button", name="Apply the new value", exact=True).click()
    page.wait_for_function("() => window.__bpv.store.state.weights[0][0][1] === 0.75")
    assert api.get(f"/api/sessions/{session_id}").json()["weights"][0][0][1] == 0.75
    # the math panel follows on the next animation frame (later than the store on a loaded machine)
    page.wait_for_function(
        "() => document.querySelector(\"#math-body [data-testid='math-w']\").dataset.value === '0.75'"
    )
    assert math_value(page, "math-w") == 0.75
    page.get_by_role("button", name="Next phase", exact=True).click()
    wait_shown(page, "F1", 0)
    assert math_value(page, "math-term-w") == 0.75  # the forward pass uses the edited weight

    # A bias edited in the middle of a pass: the open pass starts again from F1 with the new value.
    page.get_by_role("button", name="Jump to phase B2", exact=True).click()
    wait_shown(page, "B2", 0)
    pick(page, "neuron", 2, 0)
    page.get_by_label("New value", exact=True).fill("0.5")
    page.get_by_role("button", name="Apply the new value", exact=True).click()
    wait_shown(page, "", 0)
    assert api.get(f"/api/sessions/{session_id}").json()["biases"][1][0] == 0.5
    page.get_by_role("button", name="Jump to phase F2", exact=True).click()
    wait_shown(page, "F2", 0)
    assert math_value(page, "math-b") == 0.5

    page.get_by_role("button", name="Next epoch", exact=True).click()
    page.wait_for_function("() => window.__bpv.store.state.counters.epoch === 1")
    page.wait_for_function("() => window.__bpv.lossChart.perEpoch.epoch.length === 1")
    wait_shown(page, "U")
    state = api.get(f"/api/sessions/{session_id}").json()
    assert state["counters"]["epoch"] == 1 and state["metrics"]["train_loss"] is not None
    shot(page, request, "after-epoch")

    page.get_by_role("button", name="Reset", exact=True).click()
    wait_shown(page, "", 0)
    page.wait_for_function("() => window.__bpv.lossChart.points === 0")
    state = api.get(f"/api/sessions/{session_id}").json()
    assert state["weights"] == initial["weights"] and state["counters"]["epoch"] == 0
    assert state["biases"] == initial["biases"]
    pick(page, "edge", 1, 0, 1)
    assert math_value(page, "math-w") == initial["weights"][0][0][1]
    assert page.problems.errors == []


def test_the_update_animates_the_edges(
    page: Any, server: str, api: httpx.Client, request: pytest.FixtureRequest
) -> None:
    """U moves each edge from its old weight to its new one in a short transition (not a jump), and a glow that
    fades shows which weights the update moved."""
    session_id = open_page(page, server, "?lr=3")  # a big step, so the change is plain to see
    page.get_by_role("button", name="Jump to phase B1", exact=True).click()
    wait_shown(page, "B1", 0)
    before = api.get(f"/api/sessions/{session_id}").json()["weights"][1][1][0]  # w²₂,₁: edge (layer 2, row 1, col 0)
    page.evaluate("""() => { window.__frames = []; const d = window.__bpv.diagram, t0 = performance.now();
        const tick = (now) => { const m = d.marks;
            window.__frames.push({t: now - t0, w: m.edges[2] ? m.edges[2][1][0] : null, pulse: m.pulse,
                                  tweening: d.tweening, shown: document.body.dataset.shown});
            if (now - t0 < 2000) requestAnimationFrame(tick); };
        requestAnimationFrame(tick); }""")
    page.get_by_role("button", name="Next phase", exact=True).click()
    wait_shown(page, "U", 1)
    page.wait_for_function("() => window.__frames.length && window.__frames[window.__frames.length - 1].t > 1900")
    after = api.get(f"/api/sessions/{session_id}").json()["weights"][1][1][0]
    assert abs(after - before) > 1e-3
    frames = [f for f in page.evaluate("window.__frames") if f["shown"] == "U"]
    tween = [f for f in frames if f["tweening"]]
    assert tween, "the update was drawn without a transition"
    lo, hi = min(before, after), max(before, after)
    between = [f["w"] for f in tween if lo < f["w"] < hi]
    assert len(set(between)) >= 4, f"too few steps between {before} and {after}: {between}"
    assert between == sorted(between, reverse=after < before)  # one way, from the old weight to the new
    assert 300 <= tween[-1]["t"] - tween[0]["t"] <= 1500  # short: a fraction of a second to a second
    pulses = [f["pulse"] for f in tween]
    assert pulses[0] > 0.8 and min(pulses) < 0.3 and pulses == sorted(pulses, reverse=True)
    settled = [f for f in frames if not f["tweening"]]
    assert settled and settled[-1]["w"] == after and settled[-1]["pulse"] == 0
    assert page.problems.errors == []


def test_stepping_on_during_the_update_shows_the_next_phase_at_once(page: Any, server: str) -> None:
    """The transition never holds the diagram back: a step during it shows the new phase right away."""
    open_page(page, server)
    page.get_by_role("button", name="Jump to phase B1", exact=True).click()
    wait_shown(page, "B1", 0)
    page.get_by_role("button", name="Next phase", exact=True).click()
    page.wait_for_function("() => window.__bpv.diagram.tweening")
    page.get_by_role("button", name="Next phase", exact=True).click()
    # What the diagram draws in the very frame the timeline reaches F1 (not after the transition's end).
    drawn = page.wait_for_function(
        "() => document.body.dataset.shown === 'F1' && "
        "[window.__bpv.diagram.lastView.label, window.__bpv.diagram.tweening]"
    ).json_value()
    assert drawn == ["F1", False]
    assert page.evaluate("window.__bpv.diagram.marks.pulse") == 0
    page.wait_for_function(
        "() => document.querySelector('#diagram .gtitle').textContent.startsWith('Forward pass · F1')"
    )
    assert page.problems.errors == []
