// The Diagnostics view, a tab beside the network in the centre column: why the network learns or does not.
// Its own tabs: Health (the flags' sentences; per layer ‖∂J/∂Wˡ‖, the update ratio on a log axis with the healthy
// 10⁻³ band, dead and saturated fractions, over the passes), Distributions (each layer's W, a, δ or ∂J/∂W as a
// pass × bin heatmap), Evaluation, Hidden units and Landscape (their own modules, drawn into panes here).
// Everything comes from GET /api/sessions/{id}/diagnostics?history=true, asked again while the view is open and
// the session moves (at most once a second while playing or training); the stepping controls stay in view.

import { sessionPath } from "./store.js";
import { api } from "./transport.js";
import { esc, fmt, px } from "./format.js";
import { layerColor, logAxis } from "./losschart.js";
import { HEALTHY_BAND, HEALTHY_RATIO, QUANTITIES, SERIES, hasSeries, heatmapOf, quantityLabel, seriesOf } from "./health.js";

const REFRESH_PLAYING_MS = 1000;
const REFRESH_STEPPING_MS = 150;
const FAMILY = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif";
const HEAT_SCALE = [[0, "#ffffff"], [0.04, "#e7f0f8"], [0.2, "#a9cbe5"], [0.45, "#4a90c2"], [0.75, "#1d5b96"], [1, "#08306b"]];

export const PANES = [
  ["health", "Health"],
  ["dist", "Distributions"],
  ["eval", "Evaluation"],
  ["units", "Hidden units"],
  ["landscape", "Landscape"],
];

/** A small chart's common layout at the current type scale. */
export function chartLayout(extra = {}) {
  return {
    margin: { l: 6, r: 8, t: 6, b: 4 },
    font: { family: FAMILY, size: px(12), color: "#222" },
    showlegend: false,
    paper_bgcolor: "#fff",
    plot_bgcolor: "#fff",
    hovermode: "closest",
    ...extra,
  };
}

export const PLOT_CONFIG = { displayModeBar: false, responsive: true };

// Plotly's `responsive` follows window resizes only; these charts also change size when the view opens, a pane
// shows, A+ folds the set-up panel away or a note above them wraps.
const sized = new WeakMap();
const resizer = new ResizeObserver((entries) => {
  for (const { target } of entries) {
    const size = `${target.clientWidth}x${target.clientHeight}`;
    if (sized.get(target) === size || !target.classList.contains("js-plotly-plot") || !window.Plotly || !target.offsetParent) continue;
    sized.set(target, size);
    Plotly.Plots.resize(target);
  }
});

/** Draw (or redraw) a chart of the view, and keep it the size of its box. */
export function plot(element, traces, layout) {
  Plotly.react(element, traces, layout, PLOT_CONFIG);
  if (!sized.has(element)) {
    sized.set(element, `${element.clientWidth}x${element.clientHeight}`);
    resizer.observe(element);
  }
}

/** A message in the middle of an empty chart. */
export function emptyNote(text, color = "#666") {
  return [{ text, showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5, font: { size: px(12), color } }];
}

/** The pass axis: with few passes a tick at each (no "0.5"), else a few whole numbers. */
export function passTicks(passes) {
  if (passes.length && passes[passes.length - 1] - passes[0] < 6) return { tickmode: "array", tickvals: passes };
  return { nticks: 5, tickformat: "d" };
}

export class DiagnosticsView {
  /**
   * @param {HTMLElement} element  the view's <section>
   * @param {object} deps  {store, flags (flags.js), panes: {eval, units, landscape} (each {mount(el), show(), hide(),
   *                       follow(change)}), onOpen(open): the centre shows the view or the network}
   */
  constructor(element, { store, flags, panes, onOpen }) {
    this.el = element;
    this.store = store;
    this.flags = flags;
    this.subviews = panes;
    this.onOpen = onOpen;
    this.open = false;
    this.pane = "health";
    this.quantity = "grad_W";
    this.answer = null; // the last GET …/diagnostics?history=true
    this.askedFor = ""; // the session moment (id|pass|position) of the request in flight or answered
    this.inFlight = false;
    this.timer = 0;
    this.lastAsk = 0;
    element.innerHTML = `
      <div class="diag-head">
        <div class="subtabs" role="tablist" aria-label="Diagnostics views">${PANES.map(([id, text]) => `<button type="button" role="tab" id="diag-tab-${id}" data-pane="${id}" aria-controls="diag-pane-${id}" aria-selected="${id === this.pane}" aria-label="Diagnostics: ${text}" data-testid="diag-tab-${id}">${text}</button>`).join("")}</div>
        <span class="hint diag-status" data-part="status" data-testid="diag-status"></span>
      </div>
      <div class="diag-body">
        <div class="diag-pane" role="tabpanel" id="diag-pane-health" aria-labelledby="diag-tab-health">
          <div class="flag-list" data-testid="flag-list" aria-live="polite"></div>
          <div class="series-grid">${SERIES.map((s) => `<div class="chart-box diag-chart" data-series="${s.key}"><div class="chart-head"><h3 title="${esc(s.help)}">${esc(s.title)}</h3></div><div class="plot" data-testid="series-${s.key}"></div></div>`).join("")}</div>
          <p class="hint legend-line" data-part="series-legend"></p>
        </div>
        <div class="diag-pane" role="tabpanel" id="diag-pane-dist" aria-labelledby="diag-tab-dist" hidden>
          <div class="dist-head"><div class="segmented" role="group" aria-label="Which quantity">${QUANTITIES.map(([q, text]) => `<button type="button" data-quantity="${q}" aria-pressed="${q === this.quantity}" aria-label="Show the distributions of ${text}">${text}</button>`).join("")}</div>
            <span class="hint" data-part="dist-note">each column is one pass: the share of the layer's values in each bin (darker: more)</span></div>
          <div class="heat-grid" data-testid="heat-grid"></div>
        </div>
        <div class="diag-pane" role="tabpanel" id="diag-pane-eval" aria-labelledby="diag-tab-eval" hidden></div>
        <div class="diag-pane" role="tabpanel" id="diag-pane-units" aria-labelledby="diag-tab-units" hidden></div>
        <div class="diag-pane" role="tabpanel" id="diag-pane-landscape" aria-labelledby="diag-tab-landscape" hidden></div>
      </div>`;
    this.statusEl = element.querySelector("[data-part='status']");
    this.heatGrid = element.querySelector(".heat-grid");
    flags.attachList(element.querySelector(".flag-list"));
    for (const [id, view] of Object.entries(panes)) view.mount(element.querySelector(`#diag-pane-${id}`));
    const tabs = [...element.querySelectorAll(".subtabs [role='tab']")];
    for (const tab of tabs) tab.addEventListener("click", () => this.showPane(tab.dataset.pane));
    element.querySelector(".subtabs").addEventListener("keydown", (e) => {
      const move = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
      if (move === undefined) return;
      e.preventDefault();
      e.stopPropagation(); // ← → step the network elsewhere on the page
      const i = tabs.findIndex((t) => t.dataset.pane === this.pane);
      const next = tabs[(i + move + tabs.length) % tabs.length];
      this.showPane(next.dataset.pane);
      next.focus();
    });
    element.querySelector(".segmented").addEventListener("click", (e) => {
      const button = e.target.closest("button[data-quantity]");
      if (!button) return;
      this.quantity = button.dataset.quantity;
      for (const b of element.querySelectorAll("[data-quantity]")) b.setAttribute("aria-pressed", String(b === button));
      this.drawDistributions();
    });
  }

  /** Show or hide the view (the centre's tabs). */
  setOpen(open) {
    if (open === this.open) return;
    this.open = open;
    this.el.hidden = !open;
    this.onOpen(open);
    const view = this.subviews[this.pane];
    if (open) {
      this.refresh(true);
      if (view) view.show();
    } else if (view) view.hide();
  }

  showPane(pane) {
    const before = this.subviews[this.pane];
    if (before && pane !== this.pane) before.hide();
    this.pane = pane;
    for (const tab of this.el.querySelectorAll(".subtabs [role='tab']")) tab.setAttribute("aria-selected", String(tab.dataset.pane === pane));
    for (const el of this.el.querySelectorAll(".diag-pane")) el.hidden = el.id !== `diag-pane-${pane}`;
    const view = this.subviews[pane];
    if (view) view.show();
    this.draw();
  }

  /** A badge was clicked: open the view on its flag. */
  showFlag(flag) {
    if (!this.open) this.setOpen(true);
    if (this.pane !== "health") this.showPane("health");
    this.flags.highlight(this.el.querySelector(".flag-list"), flag);
  }

  /** Follow the store's change (render.js hands every one over): ask again when the session moved. */
  follow(change) {
    for (const view of Object.values(this.subviews)) view.follow(change);
    if (change.network) {
      this.answer = null;
      this.askedFor = "";
      this.heatGrid.innerHTML = "";
    }
    if (this.open && (change.state || change.diagnostics || change.network)) this.refresh(false);
  }

  /** The session's moment: a new pass, a step, an edit or a reset ask for new statistics. */
  moment() {
    const st = this.store.state;
    if (!st) return "";
    const d = this.store.diagnostics;
    return `${st.id}|${st.counters.pass}|${st.counters.position}|${d ? d.pass : ""}|${st.weights[0] && st.weights[0][0] ? st.weights[0][0][0] : ""}`;
  }

  refresh(now) {
    const st = this.store.state;
    if (!st || !this.open) return;
    const moment = this.moment();
    if (moment === this.askedFor && !now) return;
    const busy = st.playing || (this.store.job && this.store.job.status === "running");
    const wait = now ? 0 : Math.max(0, (busy ? REFRESH_PLAYING_MS : REFRESH_STEPPING_MS) - (performance.now() - this.lastAsk));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.ask(), wait);
  }

  async ask() {
    const st = this.store.state;
    if (!st || !this.open) return;
    if (this.inFlight) {
      this.refresh(false); // once the answer is in
      return;
    }
    const moment = this.moment();
    this.askedFor = moment;
    this.lastAsk = performance.now();
    this.inFlight = true;
    try {
      const answer = await api("GET", `${sessionPath(this.store, st.id)}/diagnostics?history=true`);
      if (this.store.state && this.store.state.id === st.id) {
        this.answer = answer;
        this.store.flags = answer.flags || [];
        this.flags.set(this.store.flags);
        this.draw();
      }
    } catch (err) {
      this.statusEl.textContent = `statistics unavailable: ${err.message}`;
      this.statusEl.dataset.kind = "error";
    } finally {
      this.inFlight = false;
    }
    if (this.moment() !== this.askedFor) this.refresh(false);
  }

  draw() {
    if (!this.open || !this.answer || !window.Plotly) return;
    const a = this.answer;
    this.el.dataset.pass = String(a.pass);
    this.statusEl.dataset.kind = "";
    this.statusEl.textContent = `after pass ${a.pass.toLocaleString("en")} · on ${a.probe_size.toLocaleString("en")} probe samples`;
    if (this.pane === "health") this.drawHealth();
    if (this.pane === "dist") this.drawDistributions();
  }

  // -- Health: the scalar series ----------------------------------------------------------------------------
  drawHealth() {
    const a = this.answer;
    const h = a.history;
    const L = a.layers.length;
    for (const spec of SERIES) {
      const el = this.el.querySelector(`[data-testid='series-${spec.key}']`);
      const traces = [];
      let note = null;
      if (!h || !h.passes.length) note = "No passes yet: step, play or train";
      else if (!hasSeries(h, spec.key)) note = spec.key === "dead_fraction" ? "No ReLU layers: no unit can die" : spec.key === "saturated_fraction" ? "No sigmoid or tanh layers" : "Not measured yet: after the first update";
      if (!note) {
        for (const s of seriesOf(h, spec.key)) {
          if (!s.y) continue;
          traces.push({ type: "scatter", mode: h.passes.length > 40 ? "lines" : "lines+markers", name: `layer ${s.layer}`, x: s.x, y: spec.log ? s.y.map((v) => (v > 0 ? v : null)) : s.y, line: { color: layerColor(s.layer, L), width: 1.8 }, marker: { size: 4 }, hovertemplate: `layer ${s.layer}, pass %{x}<br>%{y:${spec.fraction ? ".1%" : ".3g"}}<extra></extra>` });
        }
      }
      const x0 = h && h.passes.length ? h.passes[0] : 0;
      const x1 = h && h.passes.length ? h.passes[h.passes.length - 1] : 1;
      if (spec.band && !note) {
        // The healthy band (about 10⁻³, a decade each way) as a filled area, and 10⁻³ itself dashed.
        traces.unshift(
          { type: "scatter", mode: "lines", x: [x0, x1, x1, x0, x0], y: [HEALTHY_BAND[0], HEALTHY_BAND[0], HEALTHY_BAND[1], HEALTHY_BAND[1], HEALTHY_BAND[0]], fill: "toself", fillcolor: "rgba(0,158,115,0.10)", line: { width: 0 }, hoverinfo: "skip", name: "healthy" },
          { type: "scatter", mode: "lines", x: [x0, x1], y: [HEALTHY_RATIO, HEALTHY_RATIO], line: { color: "#009e73", width: 1.2, dash: "dash" }, hoverinfo: "skip", name: "10⁻³" },
        );
      }
      const values = traces.filter((t) => t.name.startsWith("layer")).flatMap((t) => t.y);
      const yaxis = spec.fraction
        ? { range: [-0.02, 1.02], tickformat: ".0%", tickvals: [0, 0.5, 1], zeroline: false, automargin: true }
        : { type: "log", automargin: true, ...logAxis(spec.band ? [...values, ...HEALTHY_BAND] : values, 4) };
      plot(el, traces, chartLayout({
        xaxis: { zeroline: false, automargin: true, visible: !note, ...passTicks(h ? h.passes : []) },
        yaxis: { ...yaxis, visible: !note },
        annotations: note ? emptyNote(note) : spec.band ? [{ xref: "paper", x: 0, y: Math.log10(HEALTHY_BAND[1]), xanchor: "left", yanchor: "top", text: "healthy ≈ 10⁻³", showarrow: false, font: { size: px(12), color: "#03563f" }, bgcolor: "rgba(255,255,255,0.7)" }] : [],
        uirevision: spec.key,
      }));
    }
    this.renderSeriesLegend(L);
  }

  renderSeriesLegend(L) {
    const el = this.el.querySelector("[data-part='series-legend']");
    const items = Array.from({ length: L }, (_, i) => `<span class="item"><i class="swatch" style="border-color:${layerColor(i + 1, L)}"></i>${i + 1 === L ? `layer ${L} (output)` : `layer ${i + 1}`}</span>`);
    const html = `<span class="chart-legend">${items.join("")}<span class="item">· across: passes</span></span>`;
    if (el.innerHTML !== html) el.innerHTML = html;
  }

  // -- Distributions: one heatmap per layer -----------------------------------------------------------------
  drawDistributions() {
    if (!this.answer || !window.Plotly) return;
    const a = this.answer;
    const h = a.history;
    const q = this.quantity;
    const entries = h && h.histograms && h.histograms[q] ? h.histograms[q] : [];
    const L = a.layers.length;
    if (this.heatGrid.children.length !== L) {
      this.heatGrid.innerHTML = a.layers.map((layer) => `<div class="chart-box heat-box"><div class="chart-head"><h3 data-part="title-${layer.layer}"></h3><span class="hint" data-part="now-${layer.layer}"></span></div><div class="plot" data-testid="heatmap-${layer.layer}"></div></div>`).join("");
    }
    for (const layer of a.layers) {
      const l = layer.layer;
      const el = this.heatGrid.querySelector(`[data-testid='heatmap-${l}']`);
      const entry = entries.find((e) => e.layer === l);
      const title = this.heatGrid.querySelector(`[data-part='title-${l}']`);
      title.textContent = `${l === L ? "output" : `layer ${l}`} · ${quantityLabel(q, l)}`;
      title.title = `${layer.units} units, ${layer.activation}`;
      const now = this.heatGrid.querySelector(`[data-part='now-${l}']`);
      const norm = q === "W" ? layer.weight_norm : q === "grad_W" ? layer.grad_norm : null;
      now.textContent = norm !== null && norm !== undefined ? `‖·‖ ${fmt(norm, "3")}` : "";
      if (!entry || !entry.counts.length) {
        plot(el, [], chartLayout({ xaxis: { visible: false }, yaxis: { visible: false }, annotations: emptyNote("No passes yet") }));
        continue;
      }
      const m = heatmapOf(entry, h.passes);
      let top = 0;
      for (const row of m.z) for (const v of row) if (v !== null && v > top) top = v;
      plot(el, [{
        type: "heatmap", x: m.x, y: m.y, z: m.z, zmin: 0, zmax: top || 1, colorscale: HEAT_SCALE, showscale: false, xgap: 0, ygap: 0,
        hovertemplate: `pass %{x}<br>${quantityLabel(q, l)} ≈ %{y:.3g}<br>%{z:.1%} of the values<extra></extra>`,
      }], chartLayout({
        xaxis: { title: { text: "pass", standoff: 4 }, automargin: true, zeroline: false, ...passTicks(m.x) },
        yaxis: { automargin: true, nticks: 5, zeroline: false, exponentformat: "e" },
        uirevision: `heat-${l}-${q}`,
      }));
    }
  }
}
