// The loss curve (train batch loss per pass, train and test loss per epoch, accuracy for classification) and
// the small per-layer gradient-norm chart. Both are Plotly charts redrawn with Plotly.react on the same traces.
// The norms ‖∂J/∂W^l‖ are the one piece of arithmetic the page does itself: a display summary of the batch
// gradients the backward records carry.

const FONT = { family: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size: 11, color: "#222" };
const LAYER_COLORS = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#000000", "#999999", "#f0e442", "#7f3b08", "#2166ac"];
const MAX_NORM_PASSES = 2000;
const MAX_DRAWN = 600; // per-pass points drawn (a longer history is drawn every k-th point, plus the last)

const MAX_KEPT = 20_000; // points kept per series in the page; beyond, every other one is dropped (display only)
const MARKERS_UP_TO = 60;

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
    this.log = false;
    this.classification = false;
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
    const empty = pp.pass.length === 0 && this.perEpoch.pass.length === 0;
    const accuracy = this.classification && this.perEpoch.train_accuracy.some((v) => v !== null);
    const layout = {
      margin: { l: 48, r: accuracy ? 44 : 12, t: 8, b: 34 },
      font: FONT,
      datarevision: this.revision,
      xaxis: { title: { text: "pass", standoff: 4 }, zeroline: false, rangemode: "tozero", visible: !empty },
      yaxis: { title: { text: "loss J", standoff: 4 }, type: this.log ? "log" : "linear", zeroline: false, exponentformat: "e", visible: !empty },
      yaxis2: { overlaying: "y", side: "right", range: [0, 1.04], dtick: 0.25, tickformat: ".0%", showgrid: false, title: { text: "accuracy", standoff: 2 }, visible: accuracy },
      showlegend: false,
      annotations: empty ? [{ text: "No passes yet — press Next pass, Play or Train", showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5, font: { size: 12, color: "#777" } }] : [],
      uirevision: "loss",
      paper_bgcolor: "#fff",
      plot_bgcolor: "#fff",
    };
    Plotly.react(this.el, traces, layout, { displayModeBar: false, responsive: true });
    legend(this.legendEl, empty ? [] : traces);
  }
}

/** A one-line HTML legend (a Plotly legend would take half of a chart this small). */
function legend(element, traces) {
  if (!element) return;
  const html = traces
    .map((t) => {
      const dash = t.line.dash ? ` dashed ${t.line.dash}` : "";
      return `<span class="item"><i class="swatch${dash}" style="border-color:${t.line.color}"></i>${t.name}</span>`;
    })
    .join("");
  if (element.innerHTML !== html) element.innerHTML = html;
}

export class GradChart {
  constructor(element, legendElement) {
    this.el = element;
    this.legendEl = legendElement;
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

  render(L) {
    this.layers = L;
    const passes = [...this.norms.keys()].sort((a, b) => a - b);
    const traces = [];
    for (let l = 1; l <= L; l++) {
      traces.push({
        type: "scatter",
        mode: passes.length > 40 ? "lines" : "lines+markers",
        name: `W${l}`,
        x: passes.map((p) => p + 1),
        y: passes.map((p) => {
          const v = this.norms.get(p)[l - 1];
          return v === undefined || v === 0 ? null : v;
        }),
        line: { color: LAYER_COLORS[(l - 1) % LAYER_COLORS.length], width: 1.6 },
        marker: { size: 4 },
        hovertemplate: `layer ${l}, pass %{x}<br>‖∂J/∂W‖ %{y:.3g}<extra></extra>`,
      });
    }
    const empty = passes.length === 0;
    Plotly.react(this.el, traces, {
      margin: { l: 44, r: 8, t: 8, b: 34 },
      font: FONT,
      xaxis: { title: { text: "pass (stepped)", standoff: 4 }, zeroline: false, visible: !empty, tickformat: "d",
               dtick: passes.length && passes[passes.length - 1] - passes[0] < 6 ? 1 : undefined },
      yaxis: { type: "log", title: { text: "‖∂J/∂W‖", standoff: 2 }, exponentformat: "e", visible: !empty },
      showlegend: false,
      annotations: empty ? [{ text: "Step through a backward pass<br>to see each layer's gradient", showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5, font: { size: 11, color: "#777" } }] : [],
      uirevision: "grad",
      paper_bgcolor: "#fff",
      plot_bgcolor: "#fff",
    }, { displayModeBar: false, responsive: true });
    legend(this.legendEl, empty ? [] : traces);
  }
}
