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
        page.wait_for_function("([k, v]) => window.__bpv.store.selection && window.__bpv.store.selection[k] === v",
                               arg=[key, expected])
        # …and until the pickers are drawn for it (the next choice must not land on the old select).
        page.wait_for_function("() => document.getElementById('math').dataset.selection === "
                               "JSON.stringify(window.__bpv.store.selection)")

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
LAYOUT_CHECK = r"""
(minFont) => {
  const problems = [];
  const name = (el) => {
    const label = el.getAttribute && (el.getAttribute('aria-label') || el.id || el.getAttribute('data-testid'));
    return `${el.tagName.toLowerCase()}${label ? `[${label}]` : ''}${label ? '' : ` "${(el.textContent || '').trim().slice(0, 30)}"`}`;
  };
  const shown = (el) => {
    if (!el.isConnected) return false;
    const closed = el.closest('details:not([open])');
    if (closed && !el.closest('summary')) return false;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return false;
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === 'none' || s.visibility === 'hidden' || Number(s.opacity) === 0) return false;
    }
    return true;
  };
  // The box an element can be seen in: the intersection of its clipping ancestors. `scrolls`: one of them is a
  // scrolling panel (what it cuts at its edge is a scroll away, not lost).
  const clipBox = (el) => {
    let box = {left: 0, top: 0, right: innerWidth, bottom: innerHeight, scrolls: false};
    for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.overflowX !== 'visible' || s.overflowY !== 'visible') {
        const r = e.getBoundingClientRect();
        const scrolls = ['auto', 'scroll'].includes(s.overflowY) || ['auto', 'scroll'].includes(s.overflowX);
        box = {left: Math.max(box.left, r.left), top: Math.max(box.top, r.top),
               right: Math.min(box.right, r.right), bottom: Math.min(box.bottom, r.bottom), scrolls: box.scrolls || scrolls};
      }
    }
    return box;
  };
  const inside = (r, b, slack = 1) => r.left >= b.left - slack && r.right <= b.right + slack && r.top >= b.top - slack && r.bottom <= b.bottom + slack;
  const scrolledAway = (r, b) => r.bottom <= b.top + 1 || r.top >= b.bottom - 1 || r.right <= b.left + 1 || r.left >= b.right - 1;

  // 1. One screen: nothing reaches past the window.
  const layout = document.getElementById('layout').getBoundingClientRect();
  if (layout.bottom > innerHeight + 1) problems.push(`the layout ends at ${layout.bottom}px, below the window (${innerHeight}px)`);
  if (document.documentElement.scrollWidth > innerWidth + 1) problems.push(`the page is ${document.documentElement.scrollWidth}px wide`);

  // 2. Controls: each wholly visible (or wholly scrolled away inside a scrolling panel), none on top of another.
  const controls = [...document.querySelectorAll('button, select, input:not([type=hidden]), summary, progress, .tl')]
    .filter(shown);
  const rects = [];
  for (const el of controls) {
    const r = el.getBoundingClientRect();
    const b = clipBox(el);
    if (scrolledAway(r, b)) continue;
    if (!inside(r, b) && !b.scrolls) problems.push(`${name(el)} is cut off (${Math.round(r.left)},${Math.round(r.top)} ${Math.round(r.width)}×${Math.round(r.height)})`);
    const home = el.parentElement.closest('.panel, .controls, .timeline-row, .chart-box, .topbar, .banner, .diagram-wrap');
    if (home && !b.scrolls && !inside(r, home.getBoundingClientRect())) problems.push(`${name(el)} sticks out of its panel`);
    rects.push([el, r]);
  }
  for (let i = 0; i < rects.length; i++) {
    for (let k = i + 1; k < rects.length; k++) {
      const [a, ra] = rects[i];
      const [b, rb] = rects[k];
      if (a.contains(b) || b.contains(a)) continue;
      const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
      const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
      if (w > 1 && h > 1) problems.push(`${name(a)} overlaps ${name(b)}`);
    }
  }

  // 3. A select shows its whole choice.
  const ctx = document.createElement('canvas').getContext('2d');
  for (const el of controls.filter((e) => e.tagName === 'SELECT')) {
    const s = getComputedStyle(el);
    ctx.font = `${s.fontSize} ${s.fontFamily}`;
    const text = el.selectedOptions[0] ? el.selectedOptions[0].textContent : '';
    const room = el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight) - 18;  // the arrow
    if (ctx.measureText(text).width > room + 1) problems.push(`${name(el)} cuts "${text}" (${Math.round(ctx.measureText(text).width)} > ${Math.round(room)}px)`);
  }

  // 4. Text: not clipped by its own box (deliberate ellipses aside), and never smaller than minFont.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    if (!el || seen.has(el) || ['SCRIPT', 'STYLE', 'OPTION', 'NOSCRIPT', 'TITLE'].includes(el.tagName) || !shown(el)) continue;
    seen.add(el);
    const s = getComputedStyle(el);
    const size = parseFloat(s.fontSize);
    const r = el.getBoundingClientRect();
    if (scrolledAway(r, clipBox(el))) continue;
    const svg = el.closest('svg');
    if (size < minFont - 0.05) problems.push(`"${node.textContent.trim().slice(0, 40)}" is ${size}px (< ${minFont}px)${svg ? ' in a chart' : ''}`);
    if (!svg && s.overflowX !== 'visible' && s.textOverflow !== 'ellipsis' && el.scrollWidth > el.clientWidth + 1)
      problems.push(`"${node.textContent.trim().slice(0, 40)}" is cut off (${el.scrollWidth} > ${el.clientWidth}px)`);
  }

  // 5. Chart annotations (empty-state messages, labels) inside their chart.
  for (const chart of document.querySelectorAll('.js-plotly-plot')) {
    if (!shown(chart)) continue;
    const box = chart.getBoundingClientRect();
    for (const a of chart.querySelectorAll('.annotation')) {
      const r = a.getBoundingClientRect();
      if (r.width > 0 && !inside(r, box)) problems.push(`"${a.textContent.slice(0, 40)}" sticks out of ${chart.id}`);
    }
    // …and no two texts of a chart (tick labels, axis titles, labels) on top of each other.
    const texts = [...chart.querySelectorAll('text')].filter((e) => e.textContent.trim() && shown(e))
      .map((e) => [e.textContent.trim(), e.getBoundingClientRect()]);
    for (let i = 0; i < texts.length; i++) {
      for (let k = i + 1; k < texts.length; k++) {
        const [ta, ra] = texts[i];
        const [tb, rb] = texts[k];
        if (Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left) > 1 && Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top) > 2)
          problems.push(`in ${chart.id}, "${ta.slice(0, 30)}" overlaps "${tb.slice(0, 30)}"`);
      }
    }
  }

  // 6. The diagram: neurons apart, titles and markers clear of each other, of the neurons and of the legend.
  const d = window.__bpv && window.__bpv.diagram;
  if (d && d.geometry) {
    const box = d.el.getBoundingClientRect();
    const size = d.nodeSize();
    const circles = d.geometry.nodes.map((n) => {
      const p = d.pointOf({kind: 'neuron', layer: n.l, index: n.j});
      return {x: p.x, y: p.y, r: size / 2, n};
    });
    for (let i = 0; i < circles.length; i++) {
      const a = circles[i];
      if (a.x - a.r < box.left || a.x + a.r > box.right || a.y - a.r < box.top || a.y + a.r > box.bottom)
        problems.push(`neuron ${a.n.l}/${a.n.j} is outside the diagram`);
      for (let k = i + 1; k < circles.length; k++) {
        const b = circles[k];
        if (Math.hypot(a.x - b.x, a.y - b.y) < a.r + b.r - 0.5) problems.push(`neurons ${a.n.l}/${a.n.j} and ${b.n.l}/${b.n.j} overlap`);
      }
    }
    const labels = [...d.el.querySelectorAll('.annotation')].map((e) => [e.textContent, e.getBoundingClientRect()]).filter(([, r]) => r.width > 0);
    const legend = document.getElementById('diagram-legend').getBoundingClientRect();
    const hitsCircle = (r, c) => {
      const x = Math.max(r.left, Math.min(c.x, r.right)), y = Math.max(r.top, Math.min(c.y, r.bottom));
      return Math.hypot(x - c.x, y - c.y) < c.r - 1;
    };
    for (let i = 0; i < labels.length; i++) {
      const [ta, ra] = labels[i];
      if (!inside(ra, box)) problems.push(`diagram label "${ta}" is cut off`);
      for (let k = i + 1; k < labels.length; k++) {
        const [tb, rb] = labels[k];
        if (Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left) > 1 && Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top) > 1)
          problems.push(`diagram labels "${ta}" and "${tb}" overlap`);
      }
      for (const c of circles) if (hitsCircle(ra, c)) problems.push(`diagram label "${ta}" covers neuron ${c.n.l}/${c.n.j}`);
    }
    for (const c of circles) if (c.x + c.r > legend.left && c.y + c.r > legend.top && c.y - c.r < legend.bottom) problems.push(`the colour legend covers neuron ${c.n.l}/${c.n.j}`);
  }
  return problems;
}
"""


def layout_problems(page: Any, min_font: float = 12.0) -> list[str]:
    """What looks unfinished at the current size: controls cut off or overlapping, selects that cut their
    choice, clipped or too-small text (charts included), neurons or diagram labels on top of each other."""
    page.wait_for_function("() => !window.__bpv || !window.__bpv.diagram.tweening")
    return page.evaluate(LAYOUT_CHECK, min_font)
