"""Helpers the browser tests share: open the page and wait for it, wait for a phase, read the math panel's
exact values, write screenshots. (Fixtures live in conftest.py.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


class PageProblems:
    """Console errors and uncaught exceptions seen by one page."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def exception(self, error: Any) -> None:
        self.errors.append(f"page error: {error}")


def watched(page: Any) -> Any:
    """A tab whose console errors and uncaught exceptions are collected in `page.problems.errors`."""
    problems = PageProblems()
    page.on("console", problems.console)
    page.on("pageerror", problems.exception)
    page.problems = problems
    return page


def shot(page: Any, request: pytest.FixtureRequest, state: str) -> Path:
    """Screenshot of one state of a test: test-artifacts/screenshots/<test>-<state>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{request.node.name}-{state}.png"
    page.screenshot(path=str(path))
    return path


def open_page(page: Any, server: str, query: str = "") -> str:
    """Load the page, wait until the diagram is drawn and the socket is open; returns the session id."""
    page.goto(f"{server}/{query}")
    page.wait_for_selector("body[data-ready='1'][data-conn='open']")
    page.wait_for_function("() => window.__bpv && window.__bpv.store.state && window.__bpv.diagram.ready")
    page.wait_for_selector("#diagram .main-svg")  # Plotly.js has loaded and drawn the figure
    return page.evaluate("window.__bpv.store.state.id")


def wait_shown(page: Any, label: str, pass_index: int | None = None) -> None:
    """Wait until the timeline shows `label` as the current phase (and the session is at `pass_index`)."""
    condition = f"document.body.dataset.shown === {json.dumps(label)}"
    if pass_index is not None:
        condition += f" && document.body.dataset.pass === '{pass_index}'"
    page.wait_for_function(f"() => {condition}")


def math_value(page: Any, testid: str) -> Any:
    """The raw JSON value the math panel shows under `data-testid` (exactly the server's number)."""
    locator = page.locator(f"#math-body [data-testid='{testid}']")
    return json.loads(locator.first.get_attribute("data-value"))


def math_values(page: Any, prefix: str) -> dict[str, Any]:
    """All math-panel values whose data-testid starts with `prefix`, by test id."""
    return page.evaluate(
        """(prefix) => Object.fromEntries([...document.querySelectorAll(`#math-body [data-testid^="${prefix}"]`)]
            .map((el) => [el.dataset.testid, JSON.parse(el.dataset.value)]))""",
        prefix,
    )


def click_on_diagram(page: Any, target: dict[str, Any]) -> None:
    """Click a neuron ({kind: neuron, layer, index}) or an edge ({kind: edge, layer, row, column}) where it is
    drawn, as a person would; waits until the math panel shows it."""
    point = page.evaluate("(s) => window.__bpv.diagram.pointOf(s)", target)
    page.mouse.click(point["x"], point["y"])
    wait_selected(page, target)


def wait_selected(page: Any, target: dict[str, Any]) -> None:
    """Wait until the math panel shows `target` (the page draws it on the next animation frame)."""
    page.wait_for_function("(s) => document.getElementById('math').dataset.selection === JSON.stringify(s)", arg=target)


def pick(page: Any, kind: str, layer: int, index: int, column: int | None = None) -> None:
    """Choose a neuron or weight with the math panel's pickers (select elements found by their labels)."""

    def choose(label: str, value: str, key: str, expected: Any) -> None:
        # Set the value and fire `change` as a choice does (Playwright's select_option also matches option
        # labels, and these selects have labels "1", "2", … next to values "0", "1", …).
        page.get_by_label(label, exact=True).evaluate(
            "(el, v) => { el.value = v; el.dispatchEvent(new Event('change', {bubbles: true})); }", value
        )
        page.wait_for_function(
            "([k, v]) => window.__bpv.store.selection && window.__bpv.store.selection[k] === v", arg=[key, expected]
        )
        # …and until the pickers are drawn for it (the next choice must not land on the old select).
        page.wait_for_function(
            "() => document.getElementById('math').dataset.selection === JSON.stringify(window.__bpv.store.selection)"
        )

    choose("Show a neuron or a weight", kind, "kind", kind)
    choose("Layer to show", str(layer), "layer", layer)
    choose("To neuron" if kind == "edge" else "Neuron to show", str(index), "row" if kind == "edge" else "index", index)
    if column is not None:
        choose("From neuron (of the layer before)", str(column), "column", column)
    target = {"kind": kind, "layer": layer}
    target.update({"row": index, "column": column} if kind == "edge" else {"index": index})
    wait_selected(page, target)


def shadow_session(api: Any, session_id: str) -> str:
    """A second session with the page session's exact configuration (same seeds, so the same numbers), which
    the test steps over REST to get the records the page must show."""
    state = api.get(f"/api/sessions/{session_id}").json()
    created = api.post("/api/sessions", json={**state["config"], "focus": state["focus"]})
    assert created.status_code == 201, created.text
    return created.json()["id"]


def rest_step(api: Any, session_id: str, unit: str = "phase", count: int = 1) -> list[dict[str, Any]]:
    response = api.post(f"/api/sessions/{session_id}/step", json={"unit": unit, "count": count})
    assert response.status_code == 200, response.text
    return response.json()["records"]


# -- looks: nothing overlapping, cut off, or too small to read ------------------------------------------------
LAYOUT_CHECK = (Path(__file__).with_name("layout_check.js")).read_text(encoding="utf-8")


def layout_problems(page: Any, min_font: float = 12.0) -> list[str]:
    """What looks unfinished at the current size: controls cut off or overlapping, selects that cut their
    choice, clipped or too-small text (charts included), neurons or diagram labels on top of each other."""
    page.wait_for_function("() => !window.__bpv || !window.__bpv.diagram.tweening")
    return page.evaluate(LAYOUT_CHECK, min_font)
