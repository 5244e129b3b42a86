// The Diagnostics view's Evaluation pane: how good the network is where it counts. Classification: the confusion
// matrix of the training or the test split (rows the true class, columns the predicted one; each cell's share of
// its row colours it, its count is written in it). Regression: predicted against actual with the line y = x and
// R². From GET /api/sessions/{id}/evaluation, asked again when the weights have changed (at most once a second
// while playing or training).

import { sessionPath } from "./store.js";
import { api } from "./transport.js";
import { esc, fmt, px } from "./format.js";
import { chartLayout, emptyNote, plot } from "./diagnostics.js";
import { rowShares } from "./health.js";

const REFRESH_MS = 1000;

export class EvaluationPane {
  constructor({ store }) {
    this.store = store;
    this.split = "test";
    this.visible = false;
    this.answer = null;
    this.asked = "";
    this.timer = 0;
    this.lastAsk = 0;
  }

  mount(element) {
    this.el = element;
    element.innerHTML = `
      <div class="dist-head"><div class="segmented" role="group" aria-label="Which split">
        <button type="button" data-split="train" aria-pressed="false" aria-label="Evaluate on the training set">training set</button><button type="button" data-split="test" aria-pressed="true" aria-label="Evaluate on the test set">test set</button></div>
        <span class="hint" data-part="summary" data-testid="eval-summary"></span></div>
      <div class="plot eval-plot" data-testid="eval-plot"></div>`;
    this.plot = element.querySelector(".eval-plot");
    this.summary = element.querySelector("[data-part='summary']");
    element.querySelector(".segmented").addEventListener("click", (e) => {
      const button = e.target.closest("button[data-split]");
      if (!button) return;
      this.split = button.dataset.split;
      for (const b of element.querySelectorAll("[data-split]")) b.setAttribute("aria-pressed", String(b === button));
      this.draw();
    });
  }

  show() {
    this.visible = true;
    this.refresh(true);
  }

  hide() {
    this.visible = false;
  }

  follow(change) {
    if (change.network) this.answer = null;
    if (this.visible && (change.state || change.network)) this.refresh(false);
  }

  refresh(now) {
    const st = this.store.state;
    if (!st) return;
    const key = `${st.id}|${st.counters.pass}|${st.weights[0] && st.weights[0][0] ? st.weights[0][0][0] : ""}`;
    if (key === this.asked && !now) return;
    clearTimeout(this.timer);
    const wait = now ? 0 : Math.max(0, REFRESH_MS - (performance.now() - this.lastAsk));
    this.timer = setTimeout(() => this.ask(key), st.playing ? wait : Math.min(wait, 150));
  }

  async ask(key) {
    const st = this.store.state;
    if (!st || !this.visible) return;
    this.asked = key;
    this.lastAsk = performance.now();
    try {
      this.answer = await api("GET", `${sessionPath(this.store, st.id)}/evaluation`);
      this.draw();
    } catch (err) {
      this.summary.textContent = `unavailable: ${err.message}`;
    }
  }

  draw() {
    const a = this.answer;
    if (!a || !this.visible || !window.Plotly) return;
    if (a.kind === "classification") this.drawConfusion(a.confusion);
    else this.drawRegression(a);
  }

  drawConfusion(confusion) {
    const matrix = confusion[this.split];
    const classes = confusion.classes.map(String);
    if (!matrix) {
      this.summary.textContent = "this session has no test split";
      plot(this.plot, [], chartLayout({ xaxis: { visible: false }, yaxis: { visible: false }, annotations: emptyNote("No test samples: pick the training set") }));
      return;
    }
    const total = matrix.flat().reduce((s, v) => s + v, 0);
    const right = matrix.reduce((s, row, i) => s + (row[i] || 0), 0);
    this.summary.textContent = `${right.toLocaleString("en")} of ${total.toLocaleString("en")} right (${total ? ((100 * right) / total).toFixed(1) : "—"} %) · rows: the true class, columns: the predicted one`;
    const shares = rowShares(matrix);
    const many = classes.length > 12;
    plot(this.plot, [{
      type: "heatmap", x: classes, y: classes, z: shares, zmin: 0, zmax: 1, showscale: false,
      colorscale: [[0, "#ffffff"], [0.25, "#c6dbef"], [1, "#08519c"]], xgap: 1, ygap: 1,
      customdata: matrix, hovertemplate: "true %{y}, predicted %{x}<br>%{customdata} samples (%{z:.1%} of the row)<extra></extra>",
      text: many ? null : matrix.map((row) => row.map(String)), texttemplate: many ? "" : "%{text}", textfont: { size: px(12) },
    }], chartLayout({
      xaxis: { title: { text: "predicted", standoff: 4 }, type: "category", side: "bottom", automargin: true },
      yaxis: { title: { text: "true class", standoff: 4 }, type: "category", autorange: "reversed", automargin: true },
      uirevision: "confusion",
    }));
    this.plot.dataset.cells = JSON.stringify(matrix);
  }

  drawRegression(a) {
    const pairs = a.pairs[this.split];
    const r2 = a.r2[this.split];
    if (!pairs) {
      this.summary.textContent = "this session has no test split";
      plot(this.plot, [], chartLayout({ xaxis: { visible: false }, yaxis: { visible: false }, annotations: emptyNote("No test samples: pick the training set") }));
      return;
    }
    this.summary.innerHTML = `R² = <b>${esc(fmt(r2, "4"))}</b> on the ${this.split === "train" ? "training" : "test"} set (1 is perfect; 0 is no better than the mean)`;
    let lo = Infinity;
    let hi = -Infinity;
    for (const [y, p] of pairs) {
      for (const v of [y, p]) if (v !== null) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    }
    plot(this.plot, [
      { type: "scatter", mode: "lines", x: [lo, hi], y: [lo, hi], line: { color: "#999", dash: "dash", width: 1.2 }, hoverinfo: "skip", name: "y = x" },
      { type: "scatter", mode: "markers", x: pairs.map((p) => p[0]), y: pairs.map((p) => p[1]), marker: { size: 6, color: "#2166ac", opacity: 0.7 }, hovertemplate: "actual %{x:.4g}<br>predicted %{y:.4g}<extra></extra>", name: "samples" },
    ], chartLayout({
      xaxis: { title: { text: "actual y", standoff: 4 }, automargin: true, zeroline: false },
      yaxis: { title: { text: "predicted ŷ", standoff: 4 }, automargin: true, zeroline: false, scaleanchor: "x" },
      uirevision: "pairs",
    }));
  }
}
