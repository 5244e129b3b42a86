// The network diagram (Plotly): neurons by layer, edges between them. Edge colour and width show the weight
// (or ∂J/∂w in the backward pass) on a colour-blind-safe diverging scale; neurons show a (or δ) of the focus
// sample. Redraws use Plotly.react with the same traces every time (never newPlot per frame); edges are drawn
// as a fixed number of traces, one per colour/width bin, so a frame costs the same whatever the value spread.

import { DIVERGING, MID, diverging } from "./palette.js";
import { fmt, sub, sup } from "./format.js";
import { mark } from "./perf.js";

const BINS = 7; // per sign: 2·BINS + 1 edge traces
const MAX_SHOWN = 16; // a wider layer shows its first and last few neurons and a "… n more" marker
const HEAD = 6;
const TAIL = 3;
const HIT = 0.72; // where along an edge its click target sits (near the receiving neuron: targets don't pile up)

const PHASE_TITLE = {
  idle: "Ready: step to start a pass",
  forward: "Forward pass",
  loss: "Loss",
  backward: "Backward pass",
  update: "Update",
};

/** Which neurons of a layer of width n are drawn: all, or the first HEAD and last TAIL with a gap marker. */
export function shownNeurons(n) {
  if (n <= MAX_SHOWN) return { indices: [...Array(n).keys()], hidden: 0 };
  const indices = [...Array(HEAD).keys(), -1, ...Array.from({ length: TAIL }, (_, i) => n - TAIL + i)];
  return { indices, hidden: n - HEAD - TAIL };
}

function binOf(t) {
  return Math.max(-BINS, Math.min(BINS, Math.round(t * BINS))) + BINS;
}

function maxAbs(arrays) {
  let m = 0;
  for (const row of arrays) {
    if (!row) continue;
    for (const v of row) {
      if (Array.isArray(v)) {
        for (const u of v) if (u !== null && Math.abs(u) > m) m = Math.abs(u);
      } else if (v !== null && Math.abs(v) > m) m = Math.abs(v);
    }
  }
  return m;
}

export class Diagram {
  constructor(element, { onSelect, precision }) {
    this.el = element;
    this.onSelect = onSelect;
    this.precision = precision;
    this.geometry = null;
    this.ready = false;
    this.tweenFrame = null;
    this.lastView = null;
  }

  /** Lay the network out (on a new session or architecture). */
  setNetwork(config, dataset) {
    const layers = config.layers;
    const L = layers.length - 1;
    const columns = layers.map((n) => shownNeurons(n));
    const slots = Math.max(...columns.map((c) => c.indices.length));
    const pos = columns.map((col, l) => {
      const count = col.indices.length;
      const map = new Map();
      col.indices.forEach((j, s) => map.set(j, { x: l, y: (count - 1) / 2 - s }));
      return map;
    });
    const names = [];
    names[0] = dataset.features;
    names[L] = dataset.task === "classification" && dataset.classes && layers[L] === dataset.classes.length
      ? dataset.classes
      : dataset.targets;
    this.geometry = { layers, L, columns, slots, pos, names, activations: config.activations };
    // Edge endpoints, built once: for every drawn edge (l, j, k) its segment and its click target.
    const edges = [];
    for (let l = 1; l <= L; l++) {
      for (const j of columns[l].indices) {
        if (j < 0) continue;
        for (const k of columns[l - 1].indices) {
          if (k < 0) continue;
          const a = pos[l - 1].get(k);
          const b = pos[l].get(j);
          edges.push({ l, j, k, x0: a.x, y0: a.y, x1: b.x, y1: b.y });
        }
      }
    }
    this.geometry.edges = edges;
    this.ready = false;
  }

  layerTitle(l) {
    const g = this.geometry;
    const n = g.layers[l];
    if (l === 0) return `input · ${n}`;
    const act = g.activations[l - 1];
    return `${l === g.L ? "output" : `layer ${l}`} · ${n} · ${act}`;
  }

  neuronName(l, j) {
    const g = this.geometry;
    const named = g.names[l] && g.names[l][j];
    return named ? `${named}` : `neuron ${j + 1}`;
  }

  /** Draw a phase view (see view.js); `edgesOverride` draws given edge matrices (the update's tween). */
  render(view, selection, edgesOverride = null) {
    if (!this.geometry) return;
    mark("diagram-start");
    const g = this.geometry;
    const p = this.precision();
    const edgeValues = edgesOverride || view.edges;
    const edgeScale = this.edgeScaleFor(view, edgeValues);
    const nodeScale = maxAbs(view.nodes) || 1;

    // Edge traces: one per bin, plus one for edges not computed yet (backward pass).
    const binX = Array.from({ length: 2 * BINS + 1 }, () => []);
    const binY = Array.from({ length: 2 * BINS + 1 }, () => []);
    const pendingX = [];
    const pendingY = [];
    const hitX = [];
    const hitY = [];
    const hitText = [];
    const hitData = [];
    const kind = view.edgeKind;
    for (const e of g.edges) {
      const matrix = edgeValues[e.l];
      const v = matrix ? matrix[e.j][e.k] : null;
      if (v === null || v === undefined) {
        pendingX.push(e.x0, e.x1, null);
        pendingY.push(e.y0, e.y1, null);
      } else {
        const b = binOf(v / edgeScale);
        binX[b].push(e.x0, e.x1, null);
        binY[b].push(e.y0, e.y1, null);
      }
      hitX.push(e.x0 + HIT * (e.x1 - e.x0));
      hitY.push(e.y0 + HIT * (e.y1 - e.y0));
      hitData.push([e.l, e.j, e.k]);
      const name = kind === "w" ? `w${sup(e.l)}${sub(`${e.j + 1},${e.k + 1}`)}` : `∂J/∂w${sup(e.l)}${sub(`${e.j + 1},${e.k + 1}`)}`;
      hitText.push(`${name} = ${fmt(v, p)}<br>from ${this.neuronName(e.l - 1, e.k)} to ${this.neuronName(e.l, e.j)}`);
    }
    const traces = [];
    for (let b = 0; b <= 2 * BINS; b++) {
      const t = (b - BINS) / BINS;
      traces.push({
        type: "scatter",
        mode: "lines",
        x: binX[b],
        y: binY[b],
        line: { color: b === BINS ? "#cfcfcf" : diverging(t), width: 0.7 + 4.3 * Math.abs(t) },
        hoverinfo: "skip",
        showlegend: false,
      });
    }
    traces.push({
      type: "scatter",
      mode: "lines",
      x: pendingX,
      y: pendingY,
      line: { color: "#d9d9d9", width: 0.8, dash: "dot" },
      hoverinfo: "skip",
      showlegend: false,
    });
    traces.push({
      type: "scatter",
      mode: "markers",
      x: hitX,
      y: hitY,
      customdata: hitData,
      hovertext: hitText,
      hoverinfo: "text",
      marker: { size: 9, color: "rgba(0,0,0,0)" },
      showlegend: false,
      name: "edges",
    });

    // Neurons.
    const nx = [];
    const ny = [];
    const ncolor = [];
    const nline = [];
    const ntext = [];
    const nhover = [];
    const ndata = [];
    const moreX = [];
    const moreY = [];
    const moreText = [];
    const small = g.slots <= 8;
    for (let l = 0; l <= g.L; l++) {
      const values = view.nodes[l];
      for (const j of g.columns[l].indices) {
        const at = g.pos[l].get(j);
        if (j < 0) {
          moreX.push(at.x);
          moreY.push(at.y);
          moreText.push(`… ${g.columns[l].hidden} more`);
          continue;
        }
        const v = values ? values[j] : null;
        nx.push(at.x);
        ny.push(at.y);
        ncolor.push(v === null || v === undefined ? "#f3f3f3" : diverging(v / nodeScale));
        nline.push(view.activeLayer === l ? "#222" : "#777");
        const symbol = l === 0 ? "x" : view.nodeKind === "δ" ? "δ" : "a";
        const label = `${symbol}${sup(l)}${sub(j + 1)}`;
        ntext.push(small && v !== null && v !== undefined ? fmt(v, "2") : "");
        nhover.push(`${this.neuronName(l, j)} (${l === 0 ? "input" : `layer ${l}`})<br>${label} = ${fmt(v, p)}`);
        ndata.push([l, j]);
      }
    }
    const nodeSize = Math.max(12, Math.min(36, 300 / g.slots));
    traces.push({
      type: "scatter",
      mode: small ? "markers+text" : "markers",
      x: nx,
      y: ny,
      customdata: ndata,
      text: ntext,
      textposition: "middle center",
      textfont: { size: 10, color: "#111" },
      hovertext: nhover,
      hoverinfo: "text",
      marker: { size: nodeSize, color: ncolor, line: { color: nline, width: 1.5 } },
      showlegend: false,
      name: "neurons",
    });
    traces.push({
      type: "scatter",
      mode: "text",
      x: moreX,
      y: moreY,
      text: moreText,
      textfont: { size: 11, color: "#555" },
      hoverinfo: "skip",
      showlegend: false,
    });

    // Selection highlight.
    const selX = [];
    const selY = [];
    let selMode = "markers";
    if (selection && selection.kind === "neuron") {
      const at = g.pos[selection.layer] && g.pos[selection.layer].get(selection.index);
      if (at) {
        selX.push(at.x);
        selY.push(at.y);
      }
    } else if (selection && selection.kind === "edge") {
      const a = g.pos[selection.layer - 1] && g.pos[selection.layer - 1].get(selection.column);
      const b = g.pos[selection.layer] && g.pos[selection.layer].get(selection.row);
      if (a && b) {
        selX.push(a.x, b.x);
        selY.push(a.y, b.y);
        selMode = "lines";
      }
    }
    traces.push({
      type: "scatter",
      mode: selMode,
      x: selX,
      y: selY,
      marker: { size: nodeSize + 10, color: "rgba(0,0,0,0)", line: { color: "#111", width: 3 } },
      line: { color: "rgba(17,17,17,0.55)", width: 9 },
      hoverinfo: "skip",
      showlegend: false,
    });

    // Colour legends: edges (w or ∂J/∂w) and neurons (a or δ).
    traces.push(this.legendTrace(kind === "w" ? "edge: weight w" : "edge: ∂J/∂w (batch)", edgeScale, 0.98, 0.74));
    traces.push(this.legendTrace(view.nodeKind === "δ" ? "neuron: δ" : "neuron: a", nodeScale, 0.98, 0.24));

    const layout = this.layout(view);
    Plotly.react(this.el, traces, layout, {
      displayModeBar: false,
      responsive: true,
      doubleClick: false,
      scrollZoom: false,
    });
    if (!this.ready) {
      this.ready = true;
      this.el.on("plotly_click", (ev) => this.clicked(ev));
    }
    this.lastView = view;
    mark("diagram-end");
  }

  edgeScaleFor(view, edgeValues) {
    if (view.mode === "update" && view.before) return Math.max(maxAbs(edgeValues.slice(1)), maxAbs(view.before.slice(1))) || 1;
    return maxAbs(edgeValues.slice(1)) || 1;
  }

  legendTrace(title, scale, x, y) {
    return {
      type: "scatter",
      mode: "markers",
      x: [null],
      y: [null],
      hoverinfo: "skip",
      showlegend: false,
      marker: {
        color: [0],
        cmin: -scale,
        cmax: scale,
        colorscale: DIVERGING,
        showscale: true,
        colorbar: {
          title: { text: title, side: "right", font: { size: 11 } },
          x,
          xanchor: "left",
          y,
          len: 0.44,
          thickness: 10,
          tickfont: { size: 10 },
          nticks: 5,
          exponentformat: "e",
        },
      },
    };
  }

  layout(view) {
    const g = this.geometry;
    const top = g.slots / 2 + 0.15;
    const bottom = -g.slots / 2 - 0.1;
    const annotations = [];
    for (let l = 0; l <= g.L; l++) {
      annotations.push({
        x: l,
        y: top,
        yanchor: "bottom",
        text: this.layerTitle(l),
        showarrow: false,
        font: { size: 12, color: view.activeLayer === l ? "#111" : "#555" },
      });
    }
    const shapes = [];
    const band = (l0, l1, color) =>
      shapes.push({
        type: "rect",
        xref: "x",
        yref: "y",
        x0: l0 - 0.28,
        x1: l1 + 0.28,
        y0: bottom,
        y1: top - 0.05,
        fillcolor: color,
        line: { width: 0 },
        layer: "below",
      });
    if (view.mode === "forward") band(view.activeLayer - 1, view.activeLayer, "rgba(0,158,115,0.10)");
    if (view.mode === "backward") band(view.activeLayer - 1, view.activeLayer, "rgba(213,94,0,0.10)");
    if (view.mode === "loss") band(g.L, g.L, "rgba(204,121,167,0.16)");
    if (view.mode === "update") band(0, g.L, "rgba(33,102,172,0.07)");
    if (view.mode === "loss" && view.loss) {
      const lossText = `J = ${fmt(view.loss.loss, this.precision())}`;
      annotations.push({
        x: g.L,
        y: bottom,
        yanchor: "top",
        text: `<b>${lossText}</b> (batch) · this sample ${fmt(view.loss.sample_loss, this.precision())}`,
        showarrow: false,
        font: { size: 13, color: "#7a1f5c" },
        bgcolor: "rgba(255,255,255,0.85)",
      });
    }
    const arrows = { forward: "forward →", backward: "← backward", update: "update: W := W − η ∂J/∂W" };
    const title = view.mode === "idle" ? PHASE_TITLE.idle : `${PHASE_TITLE[view.mode]} · ${view.label}${arrows[view.mode] ? ` · ${arrows[view.mode]}` : ""}`;
    return {
      margin: { l: 20, r: 90, t: 34, b: 26 },
      title: { text: title, x: 0.01, xanchor: "left", font: { size: 14 } },
      xaxis: { visible: false, range: [-0.55, g.L + 0.55], fixedrange: true },
      yaxis: { visible: false, range: [bottom - 0.45, top + 0.55], fixedrange: true },
      hovermode: "closest",
      dragmode: false,
      showlegend: false,
      annotations,
      shapes,
      paper_bgcolor: "#fff",
      plot_bgcolor: "#fff",
      font: { family: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", color: "#222" },
      uirevision: "diagram",
    };
  }

  clicked(ev) {
    const point = ev && ev.points && ev.points[0];
    if (!point || !point.customdata) return;
    const data = point.customdata;
    if (data.length === 2) this.onSelect({ kind: "neuron", layer: data[0], index: data[1] });
    else this.onSelect({ kind: "edge", layer: data[0], row: data[1], column: data[2] });
  }

  /** Screen coordinates of a neuron (for tests and the benchmark: click it like a person would). */
  neuronPoint(l, j) {
    const at = this.geometry && this.geometry.pos[l] && this.geometry.pos[l].get(j);
    const full = this.el._fullLayout;
    if (!at || !full) return null;
    const box = this.el.getBoundingClientRect();
    return {
      x: box.left + full.margin.l + full.xaxis.l2p(at.x),
      y: box.top + full.margin.t + full.yaxis.l2p(at.y),
    };
  }

  /** Animate the edges from the weights before the update to the new ones (a short tween, not a jump). */
  tween(view, selection, duration = 450) {
    cancelAnimationFrame(this.tweenFrame);
    const from = view.before;
    const to = view.edges;
    if (!from || from.slice(1).some((m) => !m)) {
      this.render(view, selection);
      return;
    }
    const start = performance.now();
    const step = (now) => {
      const f = Math.min(1, (now - start) / duration);
      const ease = f < 0.5 ? 2 * f * f : 1 - (-2 * f + 2) ** 2 / 2;
      if (f >= 1) {
        this.render(view, selection);
        this.tweenFrame = null;
        return;
      }
      const mid = to.map((m, l) => (m && from[l] ? m.map((row, j) => row.map((v, k) => from[l][j][k] + ease * (v - from[l][j][k]))) : m));
      this.render(view, selection, mid);
      this.tweenFrame = requestAnimationFrame(step);
    };
    this.tweenFrame = requestAnimationFrame(step);
  }

  get tweening() {
    return this.tweenFrame !== null;
  }

  stopTween() {
    cancelAnimationFrame(this.tweenFrame);
    this.tweenFrame = null;
  }
}

export { MID };
