// The loss curve (train batch loss per pass, train and test loss per epoch, accuracy for classification) and
// the small per-layer gradient-norm chart. Both are Plotly charts redrawn with Plotly.react on the same traces.
// The norms ‖∂J/∂W^l‖ are the one piece of arithmetic the page does itself: a display summary of the batch
// gradients the backward records carry. The server sends those records only for passes stepped phase by phase
// (play and background training send the loss, not the gradients), so the chart says so when it has none.

import { esc, px, sup } from "./format.js";
import { watching } from "./watching.js";

const FAMILY = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif";
const font = () => ({ family: FAMILY, size: px(12), color: "#222" });

/** A chart's message (lines split by <br>) re-broken at word boundaries when a line would not fit `width` px
 * (a narrow chart, larger text): Plotly does not wrap annotations itself. */
export function fitLines(text, width, size) {
  const fits = (line) => line.length * 0.62 * size <= width - 16; // a generous average glyph width
  const lines = text.split("<br>");
  if (!width || lines.every(fits)) return text;
  const out = [];
  for (const word of text.replace(/<br>/g, " ").split(/\s+/)) {
    const last = out.length ? `${out[out.length - 1]} ${word}` : word;
    if (out.length && fits(last)) out[out.length - 1] = last;
    else out.push(word);
  }
  return out.join("<br>");
}
// Layers on a sequential, colour-blind-safe ramp (viridis, without its pale yellow end): layer 1 dark, layer L
// light, so a fan of lines that gets darker toward the bottom reads as "the gradient vanishes toward the input".
const RAMP = [[0, [68, 1, 84]], [0.25, [59, 82, 139]], [0.5, [33, 145, 140]], [0.75, [53, 183, 121]], [1, [144, 200, 60]]];
export function layerColor(l, L) {
  const u = L <= 1 ? 0.5 : (l - 1) / (L - 1);
  for (let i = 1; i < RAMP.length; i++) {
    if (u <= RAMP[i][0]) {
      const [t0, c0] = RAMP[i - 1];
      const [t1, c1] = RAMP[i];
      const f = (u - t0) / (t1 - t0);
      return `rgb(${c0.map((v, k) => Math.round(v + f * (c1[k] - v))).join(",")})`;
    }
  }
  return "rgb(144,200,60)";
}
const MAX_NORM_PASSES = 2000;
const MAX_DRAWN = 600; // per-pass points drawn (a longer history is drawn every k-th point, plus the last)

const MAX_KEPT = 20_000; // points kept per series in the page; beyond, every other one is dropped (display only)
const MARKERS_UP_TO = 60;

/**
 * A log axis (range in log10 units, padded to span at least one decade) with tick labels we choose: 1, 2 and 5
 * times powers of ten, written plainly ("0.05", "2", "3e-6") — Plotly's own log ticks over a short span print
 * small minor digits and superscript exponents that crowd a small chart.
 */
export function logAxis(values, maxTicks = 5) {
  const positive = values.filter((v) => v !== null && v > 0 && Number.isFinite(v));
  if (!positive.length) return {};
  let lo = Math.log10(Math.min(...positive));
  let hi = Math.log10(Math.max(...positive));
  const pad = Math.max(0.08 * (hi - lo), (1 - (hi - lo)) / 2);
  lo -= pad;
  hi += pad;
  const ticks = (mantissas, every = 1) => {
    const out = [];
    for (let k = Math.floor(lo); k <= Math.ceil(hi); k++) {
      if (k % every) continue;
      for (const m of mantissas) {
        const v = m * 10 ** k;
        if (Math.log10(v) >= lo && Math.log10(v) <= hi) out.push(v);
      }
    }
    return out;
  };
  let tickvals = ticks([1, 2, 5]);
  if (tickvals.length > maxTicks) tickvals = ticks([1]);
  for (let every = 2; tickvals.length > maxTicks; every++) tickvals = ticks([1], every);
  const label = (v) => {
    const text = v >= 1e-3 && v < 1e5 ? String(Number(v.toPrecision(1))) : v.toExponential(0).replace("e+", "e");
    return text.replace("-", "−");
  };
  return { type: "log", range: [lo, hi], autorange: false, tickmode: "array", tickvals, ticktext: tickvals.map(label) };
}

/** The indices of every k-th point of a series of length n (and always the last): fewer points, none changed. */
function strideIndices(n, limit) {
  const k = Math.max(1, Math.ceil(n / limit));
  const out = [];
  for (let i = 0; i < n; i += k) out.push(i);
  if (n && out[out.length - 1] !== n - 1) out.push(n - 1);
  return out;
}

function pick(list, indices) {
  return indices.map((i) => list[i]);
}

export class LossChart {
  constructor(element, legendElement) {
    this.el = element;
    this.legendEl = legendElement;
    followSize(element);
    this.log = false;
    this.classification = false;
    this.compared = []; // other runs' curves (compare.js): [{id, label, color, metrics: GET …/metrics}]
    this.clear();
  }

  clear() {
    this.perPass = { pass: [], batch_loss: [] };
    this.perEpoch = { epoch: [], pass: [], train_loss: [], test_loss: [], train_accuracy: [], test_accuracy: [] };
    this.revision = 0;
  }

  /** The whole history (snapshot, or a metrics event with replace: true). */
  replace(perPass, perEpoch) {
    this.clear();
    this.extend(perPass, perEpoch);
  }

  extend(perPass, perEpoch) {
    for (const [key, list] of Object.entries(this.perPass)) if (perPass && perPass[key]) for (const v of perPass[key]) list.push(v);
    for (const [key, list] of Object.entries(this.perEpoch)) if (perEpoch && perEpoch[key]) for (const v of perEpoch[key]) list.push(v);
    for (const series of [this.perPass, this.perEpoch]) {
      const n = Object.values(series)[0].length;
      if (n > MAX_KEPT) {
        const keep = strideIndices(n, MAX_KEPT / 2);
        for (const key of Object.keys(series)) series[key] = pick(series[key], keep);
      }
    }
    this.revision += 1;
  }

  /** The compared runs' loss: train loss per epoch when they have epochs, else their batch loss (every k-th pass). */
  comparedTraces() {
    return this.compared.map((run) => {
      const m = run.metrics;
      const epochs = m.per_epoch && m.per_epoch.pass.length && m.per_epoch.train_loss.some((v) => v !== null);
      const series = epochs ? { x: m.per_epoch.pass, y: m.per_epoch.train_loss, what: "train J" } : { x: m.per_pass.pass, y: m.per_pass.batch_loss, what: "batch J" };
      const keep = strideIndices(series.x.length, MAX_DRAWN);
      return { type: "scatter", mode: "lines", name: run.label, compared: run.id, x: pick(series.x, keep), y: pick(series.y, keep), line: { color: run.color, width: 1.8, dash: "dot" }, hovertemplate: `${run.label.replace(/[<>&]/g, "")}<br>pass %{x}<br>${series.what} %{y:.4g}<extra></extra>` };
    });
  }

  /** A compared curve's label at its last point, in its colour. */
  endLabel(trace) {
    for (let i = trace.y.length - 1; i >= 0; i--) {
      if (trace.y[i] === null || trace.y[i] === undefined) continue;
      const y = this.log ? Math.log10(Math.max(trace.y[i], 1e-300)) : trace.y[i];
      return { x: trace.x[i], y, text: trace.name.replace(/[<>&]/g, ""), showarrow: false, xanchor: "right", yanchor: "bottom", font: { size: px(12), color: trace.line.color }, bgcolor: "rgba(255,255,255,0.75)" };
    }
    return null;
  }

  get points() {
    return this.perPass.pass.length;
  }

  render() {
    const pp = this.perPass;
    const ip = strideIndices(pp.pass.length, MAX_DRAWN);
    const ie = strideIndices(this.perEpoch.pass.length, MAX_DRAWN);
    const pe = Object.fromEntries(Object.entries(this.perEpoch).map(([k, v]) => [k, pick(v, ie)]));
    const epochMode = ie.length <= MARKERS_UP_TO ? "lines+markers" : "lines";
    const traces = [
      { type: "scatter", mode: ip.length <= MARKERS_UP_TO ? "lines+markers" : "lines", marker: { size: 5, color: "#6a9bcb" }, name: "batch (per pass)", x: pick(pp.pass, ip), y: pick(pp.batch_loss, ip), line: { color: "rgba(33,102,172,0.35)", width: 1 }, hovertemplate: "pass %{x}<br>batch J %{y:.4g}<extra></extra>" },
      { type: "scatter", mode: epochMode, name: "train", x: pe.pass, y: pe.train_loss, line: { color: "#2166ac", width: 2.2 }, marker: { size: 4 }, hovertemplate: "pass %{x}<br>train J %{y:.4g}<extra></extra>" },
      { type: "scatter", mode: epochMode, name: "test", x: pe.pass, y: pe.test_loss, line: { color: "#e08214", width: 2.2, dash: "dash" }, marker: { size: 4 }, connectgaps: true, hovertemplate: "pass %{x}<br>test J %{y:.4g}<extra></extra>" },
    ];
    if (this.classification) {
      traces.push(
        { type: "scatter", mode: "lines", name: "train acc", x: pe.pass, y: pe.train_accuracy, yaxis: "y2", line: { color: "#009e73", width: 1.5 }, hovertemplate: "pass %{x}<br>train acc %{y:.1%}<extra></extra>" },
        { type: "scatter", mode: "lines", name: "test acc", x: pe.pass, y: pe.test_accuracy, yaxis: "y2", line: { color: "#cc79a7", width: 1.5, dash: "dot" }, connectgaps: true, hovertemplate: "pass %{x}<br>test acc %{y:.1%}<extra></extra>" },
      );
    }
    const overlays = this.comparedTraces();
    traces.push(...overlays);
    const empty = pp.pass.length === 0 && this.perEpoch.pass.length === 0 && !overlays.length;
    const accuracy = this.classification && this.perEpoch.train_accuracy.some((v) => v !== null);
    const layout = {
      margin: { l: 8, r: 8, t: 6, b: 6 },
      font: font(),
      datarevision: this.revision,
      xaxis: { title: { text: "pass", standoff: 6 }, zeroline: false, rangemode: "tozero", visible: !empty, automargin: true, exponentformat: "SI" },
      yaxis: { title: { text: this.log ? "loss J (log)" : "loss J", standoff: 4 }, type: this.log ? "log" : "linear", rangemode: "tozero", zeroline: false, visible: !empty, automargin: true, nticks: 6, ticklabelstandoff: 4, exponentformat: "e",
               ...(this.log ? logAxis([...pick(pp.batch_loss, ip), ...pe.train_loss, ...pe.test_loss, ...overlays.flatMap((t) => t.y)], 6) : {}) },
      // (no "0%" tick: it would sit on the last pass number in the corner)
      yaxis2: { overlaying: "y", side: "right", range: [0, 1.04], tickmode: "array", tickvals: [0.25, 0.5, 0.75, 1], tickformat: ".0%", showgrid: false, title: { text: "accuracy", standoff: 4 }, visible: accuracy, automargin: true, ticklabelstandoff: 4 },
      showlegend: false,
      annotations: empty ? [{ text: fitLines(watching() ? "No passes yet" : "No passes yet:<br>press Next pass, Play or Train", this.el.clientWidth, px(13)), showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5, font: { size: px(13), color: "#666" } }] : overlays.map((t) => this.endLabel(t)).filter(Boolean),
      uirevision: "loss",
      paper_bgcolor: "#fff",
      plot_bgcolor: "#fff",
    };
    Plotly.react(this.el, traces, layout, { displayModeBar: false, responsive: true });
    legend(this.legendEl, empty ? [] : traces);
  }
}

/** The gradient chart's pass axis: a little room at both ends (no tick in a corner, on the y labels), and with
 * few passes a tick at each of them. */
function passAxis(passes) {
  if (!passes.length) return {};
  const first = passes[0] + 1;
  const last = passes[passes.length - 1] + 1;
  const pad = Math.max(0.6, 0.08 * (last - first));
  const axis = { range: [first - pad, last + pad], autorange: false };
  if (last - first < 6) Object.assign(axis, { tickmode: "array", tickvals: passes.map((p) => p + 1) });
  else axis.nticks = 4;
  return axis;
}

/** Stepped passes in order, with a null between two that are not consecutive: Plotly breaks the line there, so
 * the passes played or trained in between (whose gradients were never sent) are not drawn as a straight line. */
export function withGaps(passes) {
  const out = [];
  passes.forEach((p, i) => {
    if (i && p > passes[i - 1] + 1) out.push(null);
    out.push(p);
  });
  return out;
}

/** Resize a Plotly chart with its box (a note or legend above it may change height; Plotly's `responsive`
 * follows only window resizes). */
function followSize(element) {
  let last = "";
  new ResizeObserver(() => {
    const size = `${element.clientWidth}x${element.clientHeight}`;
    if (size === last || !element.classList.contains("js-plotly-plot") || !window.Plotly) return;
    last = size;
    Plotly.Plots.resize(element);
  }).observe(element);
}

/** A one-line HTML legend (a Plotly legend would take half of a chart this small). */
function legend(element, traces) {
  if (!element) return;
  const html = traces
    .map((t) => {
      const dash = t.line.dash ? ` dashed ${t.line.dash === "dot" ? "dot" : ""}` : "";
      const compared = t.compared ? ` data-compared="${esc(t.compared)}" title="a compared run: what differs from this one"` : "";
      return `<span class="item"${compared}><i class="swatch${dash}" style="border-color:${t.line.color}"></i>${esc(t.name)}</span>`;
    })
    .join("");
  if (element.innerHTML !== html) element.innerHTML = html;
}

export class GradChart {
  constructor(element, legendElement) {
    this.el = element;
    this.legendEl = legendElement;
    followSize(element);
    this.clear();
  }

  clear() {
    this.norms = new Map(); // pass → [‖∂J/∂W¹‖, …] (batch gradients)
    this.layers = 0;
    this.current = null;
  }

  /** Take the norm of a backward record's batch gradient (display only). */
  add(record) {
    if (record.phase !== "backward" || !record.grad_W) return;
    let sum = 0;
    for (const row of record.grad_W) for (const v of row) if (v !== null) sum += v * v;
    const norm = Math.sqrt(sum);
    let entry = this.norms.get(record.pass);
    if (!entry) {
      entry = [];
      this.norms.set(record.pass, entry);
      if (this.norms.size > MAX_NORM_PASSES) this.norms.delete(this.norms.keys().next().value);
    }
    entry[record.layer - 1] = norm;
    this.current = record.pass;
  }

  /** Forget passes at or after `pass` (after back or reset they will be recomputed). */
  truncate(pass) {
    for (const key of [...this.norms.keys()]) if (key >= pass) this.norms.delete(key);
  }

  /**
   * @param {number} L       layers with weights
   * @param {object} session {pass, playing, job}: what the session is doing, for the note under the title
   */
  render(L, session = { pass: 0, playing: false, job: false }) {
    this.layers = L;
    const passes = [...this.norms.keys()].sort((a, b) => a - b);
    const x = withGaps(passes);
    const traces = [];
    for (let l = 1; l <= L; l++) {
      traces.push({
        type: "scatter",
        // Markers always: a pass stepped on its own after played or trained ones is a point without a line.
        mode: "lines+markers",
        name: `W${sup(l)}`,
        x: x.map((p) => (p === null ? null : p + 1)),
        y: x.map((p) => {
          const v = p === null ? undefined : this.norms.get(p)[l - 1];
          return v === undefined || v === 0 ? null : v;
        }),
        line: { color: layerColor(l, L), width: 1.8 },
        marker: { size: passes.length > 40 ? 3 : 5 },
        hovertemplate: `layer ${l}, pass %{x}<br>‖∂J/∂W‖ %{y:.3g}<extra></extra>`,
      });
    }
    const empty = passes.length === 0;
    const busy = session.playing || session.job;

    let text;
    if (empty && busy) {
      if (watching()) text = session.playing ? "No gradients while playing" : "No gradients while training";
      else text = session.playing ? "No gradients while playing:<br>Pause, then step a pass." : "No gradients while training:<br>step a pass afterwards.";
    } else if (empty) text = watching() ? "Each layer's gradient shows<br>once a backward pass is stepped through" : "Step through a backward pass<br>to see each layer's gradient";
    Plotly.react(this.el, traces, {
      margin: { l: 6, r: 8, t: 6, b: 4 },
      font: font(),
      // A pass label that would reach past the plot's edge is left out: with long pass numbers it ran into the log
      // axis's lowest label (the passes are padded, but Plotly picks round ticks anywhere in the range).
      xaxis: { title: { text: "pass", standoff: 6 }, zeroline: false, visible: !empty, tickformat: "d", automargin: true, ticklabeloverflow: "hide past domain", ...passAxis(passes) },
      yaxis: { type: "log", visible: !empty, automargin: true, ticklabelstandoff: 4, ...logAxis(traces.flatMap((tr) => tr.y), 4) },
      showlegend: false,
      annotations: text ? [{ text: fitLines(text, this.el.clientWidth, px(12)), showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5, font: { size: px(12), color: busy ? "#8a4b00" : "#666" } }] : [],
      uirevision: "grad",
      paper_bgcolor: "#fff",
      plot_bgcolor: "#fff",
    }, { displayModeBar: false, responsive: true });
    this.renderLegend(empty ? 0 : L);
    this.renderNote(passes, session);
  }

  /** Up to four layers: a swatch each; more: one ramp from W¹ to Wᴸ (the colours run in layer order). */
  renderLegend(L) {
    if (!this.legendEl) return;
    let html = "";
    if (L > 0 && L <= 4) {
      for (let l = 1; l <= L; l++) html += `<span class="item"><i class="swatch" style="border-color:${layerColor(l, L)}"></i>W${sup(l)}</span>`;
    } else if (L > 4) {
      const stops = Array.from({ length: 5 }, (_, i) => layerColor(1 + (i * (L - 1)) / 4, L)).join(", ");
      html = `<span class="item">W${sup(1)} <i class="ramp" style="background:linear-gradient(to right, ${stops})"></i> W${sup(L)}</span>`;
    }
    if (this.legendEl.innerHTML !== html) this.legendEl.innerHTML = html;
  }

  /** The note under the title: which passes the points come from, and why there are none for played passes. */
  renderNote({ length }, session) {
    const note = document.getElementById("grad-note");
    if (!note) return;
    // Short enough for one line in the small chart; the title holds the whole story.
    let text = "from the passes you step through";
    let kind = "";
    if (session.playing) {
      text = "playing: no gradients sent";
      kind = "playing";
    } else if (session.job) {
      text = "training: no gradients sent";
      kind = "playing";
    } else if (length && session.pass > length + 1) text = "stepped passes only";
    if (note.textContent !== text) note.textContent = text;
    note.title = "Each point is the norm of a layer's batch gradient ∂J/∂Wˡ from a backward pass you stepped through. " +
      "Play and background training send the loss, not the gradients: pause and step a pass to add a point.";
    note.dataset.kind = kind;
  }
}
