// The network diagram: neurons by layer and the edges between them. Edge colour and width show the weight (or
// ∂J/∂w in the backward pass) on a colour-blind-safe diverging scale; neurons show a (or δ) of the focus sample.
//
// Plotly draws the figure — its axes (the coordinate system), the title, the layer titles, the phase band, the
// loss label, the "… n more" markers — with Plotly.react, and only when the phase changes. The marks that
// change every frame (~1,300 edges and ~100 neurons for 6 hidden layers × 16) are painted on a canvas under
// Plotly's transparent figure, in Plotly's own axis coordinates: Plotly's SVG traces take 15–60 ms to restyle
// that many marks on a modest machine, the canvas 1–3 ms, so a frame (and each frame of the update's animated
// transition) stays under 16 ms. Pointing (click to select, hover to read a value) is hit-tested here.

import { DIVERGING, diverging } from "./palette.js";
import { fmt, px, sub, sup, uiScale } from "./format.js";
import { coverAndClear } from "./canvas.js";
import { inputLatency, perf, timed } from "./perf.js";
import { IMAGE_LEFT, InputImage } from "./imageinput.js";
import { watching } from "./watching.js";

const MAX_SHOWN = 16; // a wider layer shows its first and last few neurons and a "… n more" marker
const HEAD = 6;
const TAIL = 3;
const EDGE_HIT_PX = 6; // how close a click must be to an edge to select it
const EDGE_LEVELS = 16; // colour/width steps per sign (one canvas stroke each)
const FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif";
const TWEEN_MS = 650; // the update's animated transition
const PAD = 0.62; // data units around the outermost neurons (half a slot and a little)

/** The Plotly figure's margins at the current type scale: the phase title and two-line layer titles above, the
 * loss label below, the colour legends in the right one. */
function margins() {
  const s = uiScale();
  return { l: 20, r: Math.round(6.6 * 14 * s + 16), t: Math.round(60 * s), b: Math.round(28 * s) };
}

const PHASE_TITLE = {
  idle: "Ready: step to start a pass",
  forward: "Forward pass",
  loss: "Loss",
  backward: "Backward pass",
  update: "Update",
};
const ARROWS = { forward: "left to right →", backward: "← right to left", update: "W := W − η ∂J/∂W" };

/** Names of the output neurons: the classes (softmax), p(second class) for one sigmoid output, the targets. */
export function outputNames(dataset, width) {
  if (dataset.task === "classification" && dataset.classes) {
    if (width === dataset.classes.length) return dataset.classes;
    if (width === 1 && dataset.classes.length === 2) return [`p(${dataset.classes[1]})`];
  }
  return dataset.targets;
}

/** Which neurons of a layer of width n are drawn: all, or the first HEAD and last TAIL with a gap marker. */
export function shownNeurons(n) {
  if (n <= MAX_SHOWN) return { indices: [...Array(n).keys()], hidden: 0 };
  const indices = [...Array(HEAD).keys(), -1, ...Array.from({ length: TAIL }, (_, i) => n - TAIL + i)];
  return { indices, hidden: n - HEAD - TAIL };
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

// Stable ids for the server's arrays (records are never mutated), so "did the neurons change?" is cheap.
const ids = new WeakMap();
let nextId = 1;
function idOf(value) {
  if (!value || typeof value !== "object") return 0;
  let id = ids.get(value);
  if (!id) ids.set(value, (id = nextId++));
  return id;
}

const GRADIENT = `linear-gradient(to top, ${DIVERGING.map(([t, c]) => `${c} ${Math.round(t * 100)}%`).join(", ")})`;

export class Diagram {
  /** `activationName(activation, compact)`: its name in a layer title, short when the columns are close together
   * (the catalog's label and short name). */
  constructor(element, { onSelect, precision, activationName }) {
    this.el = element;
    this.onSelect = onSelect;
    this.precision = precision;
    this.activationName = activationName;
    this.geometry = null;
    this.ready = false; // laid out and drawn for the current network
    this.everDrawn = false;
    this.bound = false;
    this.tweenFrame = null;
    this.pendingView = null;
    this.pulse = 0;
    this.lastView = null;
    this.plotKey = "";
    this.marks = null;
    this.wrap = element.parentElement;
    this.canvas = document.getElementById("diagram-edges");
    this.tooltip = document.getElementById("diagram-tip");
    this.legend = document.getElementById("diagram-legend");
    this.legendKey = "";
    this.compact = false;
    // What other modules draw over the diagram after each paint, in its coordinates ({paint(ctx, tr, diagram)},
    // optionally {hit(x, y, diagram)} → true when a click was theirs): the hidden units' pictures, the flags' badges.
    this.overlays = [];
    new ResizeObserver(() => {
      // Narrower or wider: the layer titles may need their compact form (a Plotly redraw), else just repaint.
      if (this.geometry && this.lastView && this.isCompact() !== this.compact) this.render(this.lastView, this.marks ? this.marks.selection : null);
      else this.paint();
    }).observe(element);
    this.wrap.addEventListener("click", (e) => this.clicked(e));
    this.wrap.addEventListener("mousemove", (e) => this.hover(e));
    this.wrap.addEventListener("mouseleave", () => (this.tooltip.hidden = true));
  }

  /** Lay the network out (on a new session or architecture). */
  setNetwork(config, dataset) {
    const layers = config.layers;
    const L = layers.length - 1;
    this.inputImage = InputImage.for(dataset, layers[0]); // image data: the input layer is the sample's picture
    const columns = layers.map((n, l) => (l === 0 && this.inputImage ? this.inputImage.column() : shownNeurons(n)));
    const slots = Math.max(...columns.map((c, l) => (l === 0 && this.inputImage ? 1 : c.indices.length))); // a picture is not a column
    const pos = columns.map((col, l) => {
      const count = col.indices.length;
      // A summarized column (first few, "⋮ n more", last few) uses the whole height, so its marker has room.
      const step = col.hidden && count > 1 ? Math.max(1, (slots - 1) / (count - 1)) : 1;
      const map = new Map();
      col.indices.forEach((j, s) => map.set(j, { x: l, y: ((count - 1) / 2) * step - s * step }));
      return map;
    });
    const names = [];
    names[0] = dataset.features;
    names[L] = outputNames(dataset, layers[L]);
    this.geometry = { layers, L, columns, slots, pos, names, activations: config.activations };
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
    const nodes = [];
    for (let l = this.inputImage ? 1 : 0; l <= L; l++) {
      for (const j of columns[l].indices) {
        if (j < 0) continue;
        const at = pos[l].get(j);
        nodes.push({ l, j, x: at.x, y: at.y, label: `${this.neuronName(l, j)} (${l === 0 ? "input" : `layer ${l}`})` });
      }
    }
    Object.assign(this.geometry, { edges, nodes });
    this.stopTween();
    this.plotKey = "";
    this.ready = false;
  }

  /** Two short lines, so that eight columns still fit side by side: "layer 2" over "4 · tanh". */
  layerTitle(l) {
    const g = this.geometry;
    const n = g.layers[l];
    if (l === 0) return `<b>input</b><br>${n}`;
    const act = g.activations[l - 1];
    const name = l === g.L ? "output" : `layer ${l}`;
    return this.compact ? `<b>${name}</b><br>${n} ${this.activationName(act, true)}` : `<b>${name}</b><br>${n} · ${this.activationName(act, false)}`;
  }

  /** Are the columns too close for "16 · sigmoid" titles? */
  isCompact() {
    const tr = this.transform();
    return Boolean(tr) && Math.abs(tr.x(1) - tr.x(0)) < 84 * uiScale();
  }

  neuronName(l, j) {
    if (l === 0 && this.inputImage) return this.inputImage.name(j);
    const g = this.geometry;
    const named = g.names[l] && g.names[l][j];
    return named ? `${named}` : `neuron ${j + 1}`;
  }

  /** Draw a phase view (see view.js); `edgesOverride` paints given edge matrices (the update's tween). */
  render(view, selection, edgesOverride = null) {
    if (!this.geometry) return;
    timed("diagram", perf.diagram, () => this.draw(view, selection, edgesOverride));
  }

  draw(view, selection, edgesOverride) {
    const p = this.precision();
    this.compact = this.isCompact();
    // The Plotly figure changes only with the phase (title, band, layer titles, J): redraw it only then.
    const key = [this.compact, view.mode, view.label, view.activeLayer, view.playing, p, view.loss ? idOf(view.loss) : 0, uiScale()].join("|");
    if (window.Plotly && key !== this.plotKey) {
      this.plotKey = key;
      Plotly.react(this.el, [], this.layout(view), { displayModeBar: false, responsive: true, staticPlot: false });
    }
    this.ready = true;
    this.everDrawn = true;
    const edgeValues = edgesOverride || view.edges;
    const edgeScale = this.edgeScaleFor(view, edgeValues);
    const nodeScale = maxAbs(view.nodes) || 1;
    this.marks = { view, selection, edges: edgeValues, edgeScale, nodeScale, precision: p, pulse: edgesOverride ? this.pulse : 0 };
    this.paint();
    this.renderLegend(view.edgeKind, edgeScale, view.nodeKind, nodeScale);
    this.lastView = view;
  }

  edgeScaleFor(view, edgeValues) {
    if (view.mode === "update" && view.before) return Math.max(maxAbs(edgeValues.slice(1)), maxAbs(view.before.slice(1))) || 1;
    return maxAbs(edgeValues.slice(1)) || 1;
  }

  /** The figure's axis ranges (the same numbers its Plotly layout uses). */
  ranges() {
    const g = this.geometry;
    const top = (g.slots - 1) / 2 + PAD;
    const bottom = -top;
    return { top, bottom, x: [this.inputImage ? IMAGE_LEFT : -0.55, g.L + 0.55], y: [bottom, top] };
  }

  /** Neuron diameter in CSS pixels: as large as the spacing allows (rows and columns), at most 44 px. */
  nodeSize(tr = this.transform()) {
    if (!tr) return 20;
    const dy = Math.abs(tr.y(0) - tr.y(1));
    const dx = Math.abs(tr.x(1) - tr.x(0));
    return Math.max(8, Math.min(44, 0.74 * dy, 0.42 * dx));
  }

  /** Data → CSS pixels inside the diagram element: the linear map of Plotly's fixed-range axes, computed
   * here so the marks can be painted (and clicked) before Plotly.js has even finished loading. */
  transform() {
    if (!this.geometry) return null;
    const w = this.el.clientWidth;
    const h = this.el.clientHeight;
    const { x, y } = this.ranges();
    const m = margins();
    const pw = Math.max(1, w - m.l - m.r);
    const ph = Math.max(1, h - m.t - m.b);
    return {
      x: (v) => m.l + ((v - x[0]) / (x[1] - x[0])) * pw,
      y: (v) => m.t + ((y[1] - v) / (y[1] - y[0])) * ph,
    };
  }

  /** Paint edges, neurons and the selection on the canvas, in the Plotly figure's coordinates. */
  paint() {
    const m = this.marks;
    const g = this.geometry;
    const tr = this.transform();
    if (!m || !g || !tr) return;
    const [ctx] = coverAndClear(this.canvas, this.el);
    this.paintEdges(ctx, tr, m);
    if (this.inputImage) {
      const sample = m.view.sample;
      this.inputImage.paint(ctx, this.imageBox(tr), sample ? sample.x_raw : null, m.selection, m.view.activeLayer === 1);
    }
    this.paintNodes(ctx, tr, m);
    if (!this.plotKey) this.paintTitles(ctx, tr); // until Plotly.js has loaded and drawn the figure
    for (const overlay of this.overlays) overlay.paint(ctx, tr, this);
  }

  /** The layer titles, painted while the Plotly figure is not there yet (the first second of a visit). */
  paintTitles(ctx, tr) {
    const g = this.geometry;
    const { top } = this.ranges();
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillStyle = "#444";
    const size = px(12);
    for (let l = 0; l <= g.L; l++) {
      const [name, detail] = this.layerTitle(l).replace(/<\/?b>/g, "").split("<br>");
      const x = tr.x(l === 0 && this.inputImage ? this.inputImage.cx : l);
      const y = tr.y(top);
      ctx.font = `bold ${size}px ${FONT}`;
      ctx.fillText(name, x, y - size - 3);
      ctx.font = `${size}px ${FONT}`;
      ctx.fillText(detail, x, y - 2);
    }
  }

  /** The input picture's square in CSS pixels (image data only). */
  imageBox(tr) {
    const { top, bottom } = this.ranges();
    return this.inputImage.rect(tr, top, bottom);
  }

  /** An edge's two ends in CSS pixels: from its input pixel when the input is a picture, else from its neuron. */
  ends(e, tr, box) {
    const [ax, ay] = e.l === 1 && this.inputImage ? this.inputImage.point(e.k, box || this.imageBox(tr)) : [tr.x(e.x0), tr.y(e.y0)];
    return [ax, ay, tr.x(e.x1), tr.y(e.y1)];
  }

  paintEdges(ctx, tr, { edges: values, edgeScale: scale, selection, view, pulse }) {
    const g = this.geometry;
    const box = this.inputImage ? this.imageBox(tr) : null;
    ctx.lineCap = "round";
    if (pulse > 0 && view.update) this.paintPulse(ctx, tr, view.update, pulse);
    // Edges are grouped by quantized colour and width: one stroke per group, weakest first.
    const groups = new Map();
    const pending = [];
    for (const e of g.edges) {
      const matrix = values[e.l];
      const v = matrix ? matrix[e.j][e.k] : null;
      if (v === null || v === undefined) {
        pending.push(e);
        continue;
      }
      const q = Math.max(-EDGE_LEVELS, Math.min(EDGE_LEVELS, Math.round((v / scale) * EDGE_LEVELS)));
      let list = groups.get(q);
      if (!list) groups.set(q, (list = []));
      list.push(e);
    }
    const line = (e) => {
      const [ax, ay, bx, by] = this.ends(e, tr, box);
      ctx.moveTo(ax, ay);
      ctx.lineTo(bx, by);
    };
    if (pending.length) {
      ctx.setLineDash([2, 4]);
      ctx.strokeStyle = "#cfcfcf";
      ctx.lineWidth = 0.8;
      ctx.beginPath();
      pending.forEach(line);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    if (selection && selection.kind === "edge") {
      const e = g.edges.find((x) => x.l === selection.layer && x.j === selection.row && x.k === selection.column);
      if (e) {
        ctx.strokeStyle = "rgba(17,17,17,0.35)";
        ctx.lineWidth = 11;
        ctx.beginPath();
        line(e);
        ctx.stroke();
      }
    }
    const order = [...groups.keys()].sort((a, b) => Math.abs(a) - Math.abs(b));
    for (const q of order) {
      const t = q / EDGE_LEVELS;
      ctx.strokeStyle = q === 0 ? "#d9d9d9" : diverging(t);
      ctx.lineWidth = 0.6 + 4.6 * Math.abs(t);
      ctx.beginPath();
      groups.get(q).forEach(line);
      ctx.stroke();
    }
  }

  /** The update's highlight: a glow under each edge in proportion to how much the update moved its weight,
   * fading as the transition runs — so even a small step is seen to change the edges. */
  paintPulse(ctx, tr, update, pulse) {
    const g = this.geometry;
    let top = 0;
    for (const m of update.step_W) for (const row of m) for (const v of row) if (v !== null && Math.abs(v) > top) top = Math.abs(v);
    if (!top) return;
    const LEVELS = 6;
    const groups = Array.from({ length: LEVELS }, () => []);
    for (const e of g.edges) {
      const v = update.step_W[e.l - 1][e.j][e.k];
      const q = v === null ? 0 : Math.round((Math.abs(v) / top) * (LEVELS - 1));
      if (q > 0) groups[q].push(e);
    }
    groups.forEach((list, q) => {
      if (!list.length) return;
      const t = q / (LEVELS - 1);
      ctx.strokeStyle = `rgba(255, 196, 0, ${(0.75 * pulse * (0.35 + 0.65 * t)).toFixed(3)})`;
      ctx.lineWidth = 4 + 9 * t;
      ctx.beginPath();
      for (const e of list) {
        const [ax, ay, bx, by] = this.ends(e, tr);
        ctx.moveTo(ax, ay);
        ctx.lineTo(bx, by);
      }
      ctx.stroke();
    });
  }

  paintNodes(ctx, tr, { view, selection, nodeScale }) {
    const g = this.geometry;
    const size = this.nodeSize(tr);
    const r = size / 2;
    const small = size >= 26;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (const n of g.nodes) {
      const values = view.nodes[n.l];
      const v = values ? values[n.j] : null;
      const missing = v === null || v === undefined;
      const t = missing ? 0 : v / nodeScale;
      const x = tr.x(n.x);
      const y = tr.y(n.y);
      ctx.beginPath();
      ctx.arc(x, y, r, 0, 2 * Math.PI);
      ctx.fillStyle = missing ? "#f3f3f3" : diverging(t);
      ctx.fill();
      ctx.lineWidth = view.activeLayer === n.l ? 2 : 1.2;
      ctx.strokeStyle = view.activeLayer === n.l ? "#222" : "#888";
      ctx.stroke();
      if (small && !missing) {
        const text = fmt(v, "2");
        ctx.font = `${Math.min(13 * uiScale(), size * 0.32, (size - 4) / (0.58 * text.length)).toFixed(1)}px ${FONT}`;
        ctx.fillStyle = Math.abs(t) > 0.55 ? "#fff" : "#111";
        ctx.fillText(text, x, y);
      }
    }
    if (selection && selection.kind === "neuron") {
      const at = g.pos[selection.layer] && g.pos[selection.layer].get(selection.index);
      if (at) {
        ctx.beginPath();
        ctx.arc(tr.x(at.x), tr.y(at.y), r + 5, 0, 2 * Math.PI);
        ctx.lineWidth = 3;
        ctx.strokeStyle = "#111";
        ctx.stroke();
      }
    }
  }

  /** The two colour legends (plain HTML, redrawn only when they change). */
  renderLegend(edgeKind, edgeScale, nodeKind, nodeScale) {
    if (!this.legend) return;
    const key = `${edgeKind}|${fmt(edgeScale, "2")}|${nodeKind}|${fmt(nodeScale, "2")}`;
    if (key === this.legendKey) return;
    this.legendKey = key;
    const bar = (title, scale, testid) => `<div class="legend-item" data-testid="${testid}">
        <div class="legend-title">${title}</div>
        <div class="legend-scale"><div class="legend-bar" style="background:${GRADIENT}"></div>
        <div class="legend-ticks"><span>${fmt(scale, "2")}</span><span>0</span><span>${fmt(-scale, "2")}</span></div></div></div>`;
    this.legend.innerHTML =
      bar(edgeKind === "w" ? "edge colour &amp; width: weight w" : "edge: ∂J/∂w <small>(batch mean)</small>", edgeScale, "legend-edges") +
      bar(nodeKind === "δ" ? "neuron: δ <small>(focus sample)</small>" : "neuron: a <small>(focus sample)</small>", nodeScale, "legend-neurons");
  }

  layout(view) {
    const g = this.geometry;
    const { top, bottom, x: xRange, y: yRange } = this.ranges();
    const annotations = [];
    for (let l = 0; l <= g.L; l++) {
      annotations.push({
        x: l === 0 && this.inputImage ? this.inputImage.cx : l,
        y: top,
        yanchor: "bottom",
        text: this.layerTitle(l),
        showarrow: false,
        font: { size: px(12), color: view.activeLayer === l ? "#111" : "#555" },
      });
      const hidden = g.columns[l].hidden;
      if (hidden) {
        const at = g.pos[l].get(-1);
        annotations.push({ x: at.x, y: at.y, text: `⋮ ${hidden} more`, showarrow: false, font: { size: px(12), color: "#333" }, bgcolor: "rgba(255,255,255,0.92)", borderpad: 1 });
      }
    }
    const shapes = [];
    const band = (l0, l1, color) =>
      shapes.push({ type: "rect", x0: l0 - 0.28, x1: l1 + 0.28, y0: bottom, y1: top - 0.05, fillcolor: color, line: { width: 0 }, layer: "below" });
    if (view.mode === "forward") band(view.activeLayer - 1, view.activeLayer, "rgba(0,158,115,0.10)");
    if (view.mode === "backward") band(view.activeLayer - 1, view.activeLayer, "rgba(213,94,0,0.10)");
    if (view.mode === "loss") band(g.L, g.L, "rgba(204,121,167,0.16)");
    if (view.mode === "update") band(0, g.L, "rgba(33,102,172,0.07)");
    if (view.mode === "loss" && view.loss) {
      annotations.push({
        x: g.L,
        y: bottom,
        yanchor: "top",
        text: `<b>J = ${fmt(view.loss.loss, this.precision())}</b> (batch) · this sample ${fmt(view.loss.sample_loss, this.precision())}`,
        showarrow: false,
        font: { size: px(13), color: "#7a1f5c" },
        bgcolor: "rgba(255,255,255,0.9)",
      });
    }
    let title = view.mode === "idle" ? (watching() ? "Waiting for the owner to start a pass" : PHASE_TITLE.idle) : `${PHASE_TITLE[view.mode]} · ${view.label}${ARROWS[view.mode] ? ` · ${ARROWS[view.mode]}` : ""}`;
    if (view.playing) title = `Playing · the edges show the weights as they train${watching() ? "" : " (pause to step through a pass)"}`;
    return {
      margin: margins(),
      title: { text: title, x: 0.01, xanchor: "left", y: 0.985, yanchor: "top", font: { size: px(14) } },
      xaxis: { visible: false, range: xRange, fixedrange: true },
      yaxis: { visible: false, range: yRange, fixedrange: true },
      hovermode: false,
      dragmode: false,
      showlegend: false,
      annotations,
      shapes,
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      font: { family: FONT, color: "#222" },
      uirevision: "diagram",
    };
  }

  // -- pointing at neurons and edges ---------------------------------------------------------------------
  /** What is under a point (CSS pixels relative to the diagram element): a neuron, an edge, or nothing. */
  hit(px, py) {
    const g = this.geometry;
    const tr = this.transform();
    if (!g || !tr) return null;
    const r = this.nodeSize(tr) / 2 + 3;
    let best = null;
    let bestD = Infinity;
    for (const n of g.nodes) {
      const d = Math.hypot(tr.x(n.x) - px, tr.y(n.y) - py);
      if (d <= r && d < bestD) {
        best = { kind: "neuron", layer: n.l, index: n.j };
        bestD = d;
      }
    }
    if (best) return best;
    if (this.inputImage) {
      const k = this.inputImage.hit(px, py, this.imageBox(tr));
      if (k !== null) return { kind: "neuron", layer: 0, index: k };
    }
    const box = this.inputImage ? this.imageBox(tr) : null;
    for (const e of g.edges) {
      const [ax, ay, bx, by] = this.ends(e, tr, box);
      const dx = bx - ax;
      const dy = by - ay;
      const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy || 1)));
      const d = Math.hypot(ax + t * dx - px, ay + t * dy - py);
      if (d <= EDGE_HIT_PX && d < bestD) {
        best = { kind: "edge", layer: e.l, row: e.j, column: e.k };
        bestD = d;
      }
    }
    return best;
  }

  local(event) {
    const box = this.el.getBoundingClientRect();
    return [event.clientX - box.left - this.el.clientLeft, event.clientY - box.top - this.el.clientTop];
  }

  clicked(event) {
    const [x, y] = this.local(event);
    if (this.overlays.some((overlay) => overlay.hit && overlay.hit(x, y, this))) return;
    const target = this.hit(x, y);
    if (!target) return;
    inputLatency(event);
    this.onSelect(target, event);
  }

  hover(event) {
    if (this.hoverFrame) return;
    this.hoverFrame = requestAnimationFrame(() => {
      this.hoverFrame = 0;
      const [x, y] = this.local(event);
      const tip = this.tooltip;
      const over = this.overlays.map((overlay) => overlay.tip && overlay.tip(x, y)).find(Boolean);
      const target = over ? null : this.hit(x, y);
      if (over) {
        this.el.style.cursor = "pointer";
        tip.textContent = over;
        tip.hidden = false;
        tip.style.left = `${Math.max(4, Math.min(x + this.el.offsetLeft + 14, this.wrap.clientWidth - tip.offsetWidth - 6))}px`;
        tip.style.top = `${y + this.el.offsetTop + 10}px`;
        return;
      }
      this.el.style.cursor = target ? "pointer" : "default";
      const m = this.marks;
      if (!target || !m) {
        tip.hidden = true;
        return;
      }
      const p = this.precision();
      if (target.kind === "edge") {
        const matrix = m.edges[target.layer];
        const v = matrix ? matrix[target.row][target.column] : null;
        const name = `${m.view.edgeKind === "w" ? "" : "∂J/∂"}w${sup(target.layer)}${sub(`${target.row + 1},${target.column + 1}`)}`;
        tip.textContent = `${name} = ${fmt(v, p)} · ${this.neuronName(target.layer - 1, target.column)} → ${this.neuronName(target.layer, target.row)}`;
      } else {
        const values = m.view.nodes[target.layer];
        const v = values ? values[target.index] : null;
        const symbol = target.layer === 0 ? "x" : m.view.nodeKind === "δ" ? "δ" : "a";
        const where = target.layer === 0 ? "input" : `layer ${target.layer}`;
        tip.textContent = `${this.neuronName(target.layer, target.index)} (${where}) · ${symbol}${sup(target.layer)}${sub(target.index + 1)} = ${v === null || v === undefined ? "not computed yet" : fmt(v, p)}`;
      }
      tip.hidden = false;
      // Keep the tip inside the diagram's box: to the left of the pointer near the right edge.
      const left = x + this.el.offsetLeft + 14;
      const room = this.wrap.clientWidth - 6;
      tip.style.left = `${left + tip.offsetWidth > room ? Math.max(4, x + this.el.offsetLeft - 14 - tip.offsetWidth) : left}px`;
      const top = y + this.el.offsetTop + 10;
      tip.style.top = `${top + tip.offsetHeight > this.wrap.clientHeight - 4 ? y + this.el.offsetTop - 10 - tip.offsetHeight : top}px`;
    });
  }

  /** Page coordinates of a neuron or of an edge's midpoint (tests and the benchmark click like a person). */
  pointOf(selection) {
    const g = this.geometry;
    const tr = this.transform();
    if (!g || !tr) return null;
    let at;
    if (selection.kind === "neuron" && selection.layer === 0 && this.inputImage) {
      const [x, y] = this.inputImage.point(selection.index, this.imageBox(tr));
      at = { px: x, py: y };
    } else if (selection.kind === "neuron") {
      const p = g.pos[selection.layer] && g.pos[selection.layer].get(selection.index);
      at = p && { px: tr.x(p.x), py: tr.y(p.y) };
    } else {
      const e = g.edges.find((x) => x.l === selection.layer && x.j === selection.row && x.k === selection.column);
      const [ax, ay, bx, by] = e ? this.ends(e, tr) : [];
      at = e && { px: ax + 0.35 * (bx - ax), py: ay + 0.35 * (by - ay) };
    }
    if (!at) return null;
    const box = this.el.getBoundingClientRect();
    return { x: box.left + this.el.clientLeft + at.px, y: box.top + this.el.clientTop + at.py };
  }

  // -- the update's animated transition ------------------------------------------------------------------
  /** Animate the edges from the weights before the update to the new ones (a short tween, not a jump). */
  tween(view, selection, duration = TWEEN_MS) {
    cancelAnimationFrame(this.tweenFrame);
    this.tweenKey = `${view.pass}|${view.label}`;
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
        this.tweenFrame = null;
        this.pulse = 0;
        const [latest, latestSelection] = this.pendingView || [view, selection];
        this.pendingView = null;
        this.render(latest, latestSelection);
        return;
      }
      this.pulse = 1 - f * f;
      const mid = to.map((m, l) => (m && from[l] ? m.map((row, j) => row.map((v, k) => from[l][j][k] + ease * (v - from[l][j][k]))) : m));
      this.render(view, selection, mid);
      this.tweenFrame = requestAnimationFrame(step);
    };
    this.pulse = 1;
    this.render(view, selection, from);
    this.tweenFrame = requestAnimationFrame(step);
  }

  get tweening() {
    return this.tweenFrame !== null;
  }

  stopTween() {
    cancelAnimationFrame(this.tweenFrame);
    this.tweenFrame = null;
    this.pendingView = null;
    this.pulse = 0;
  }

  /** Redraw everything at a new type scale (the "Large text" toggle). */
  restyle() {
    this.plotKey = "";
    this.legendKey = "";
  }
}
