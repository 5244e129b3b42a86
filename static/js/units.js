// What the hidden units compute. For 2-D data (TensorFlow Playground's idea): a small picture of each hidden
// neuron's output a^l_j over the input plane beside it in the diagram, on the grid the data view uses for the
// output; click one to see it large in the data view (× brings the output back). For any data, the Diagnostics
// view's Hidden units pane: the layer's pictures (2-D data), or the probe samples as the layer sees them — its two
// units directly, or a projection on its two principal axes, fixed per session (GET …/units?layer=l).

import { sessionPath } from "./store.js";
import { api } from "./transport.js";
import { CLASS_COLORS, DIVERGING, diverging } from "./palette.js";
import { esc, sub, sup } from "./format.js";
import { chartLayout, emptyNote, plot } from "./diagnostics.js";
import { unitScale } from "./health.js";

// While playing, the pictures are asked for at most this often: a layer's answer is every unit's a over the data
// view's 50 × 50 grid (about 50 KB of JSON a unit), so 8 + 8 units are some 0.7 MB each time.
const REFRESH_PLAYING_MS = 1500;
// The diverging scale in 256 steps (a picture has thousands of pixels; parsing a colour per pixel would not do).
let LUT = null;
function lut() {
  if (!LUT) LUT = Array.from({ length: 256 }, (_, k) => diverging(k / 127.5 - 1).match(/\d+/g).map(Number));
  return LUT;
}

/** A unit's grid (rows over ys, bottom-up) as an image, top row first, on the diverging scale. */
function gridImage(grid, { center, scale }) {
  const colors = lut();
  const ny = grid.length;
  const nx = grid[0].length;
  const canvas = Object.assign(document.createElement("canvas"), { width: nx, height: ny });
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(nx, ny);
  for (let i = 0; i < ny; i++) {
    for (let j = 0; j < nx; j++) {
      const v = grid[i][j];
      const [r, g, b] = v === null ? [255, 255, 255] : colors[Math.max(0, Math.min(255, Math.round(((v - center) / scale + 1) * 127.5)))];
      const o = ((ny - 1 - i) * nx + j) * 4;
      image.data.set([r, g, b, 255], o);
    }
  }
  ctx.putImageData(image, 0, 0);
  return canvas;
}

export class UnitViews {
  /**
   * @param {object} deps {store, diagram, dataView, toggle: the "neuron pictures" checkbox, schedule(part)}
   */
  constructor({ store, diagram, dataView, toggle, schedule }) {
    this.store = store;
    this.diagram = diagram;
    this.dataView = dataView;
    this.toggle = toggle;
    this.schedule = schedule;
    this.grids = new Map(); // layer → {answer, scale, images}
    this.moment = "";
    this.timer = 0;
    this.lastAsk = 0;
    this.inFlight = false;
    this.boxes = []; // [{layer, index, x, y, s}] where pictures were painted (CSS px in the diagram element)
    this.large = null; // {layer, index}: the unit shown large in the data view
    this.networkVisible = true;
    this.paneVisible = false;
    this.paneLayer = 1;
    diagram.overlays.push(this);
    toggle.addEventListener("change", () => {
      this.redraw();
      this.refresh(true);
    });
    this.banner = document.createElement("div");
    this.banner.className = "unit-banner";
    this.banner.hidden = true;
    this.banner.dataset.testid = "unit-banner";
    this.banner.innerHTML = `<span data-part="text"></span><button type="button" class="icon" aria-label="Show the network's output again" title="Show the network's output again">×</button>`;
    this.banner.querySelector("button").addEventListener("click", () => this.showLarge(null));
    dataView.el.closest(".data").querySelector(".data-wrap").before(this.banner);
  }

  /** 2-D data: the plane exists, so every hidden neuron has a picture. */
  planar() {
    const st = this.store.state;
    return Boolean(st && st.dataset.features.length === 2 && st.config.layers[0] === 2 && this.store.data);
  }

  get thumbnailsOn() {
    return this.planar() && this.toggle.checked && this.networkVisible;
  }

  // -- the Hidden units pane of the Diagnostics view ------------------------------------------------------
  mount(element) {
    this.pane = element;
    element.innerHTML = `
      <div class="dist-head"><label>layer <select data-part="layer" aria-label="Layer whose units to show"></select></label>
        <span class="hint" data-part="note" data-testid="units-note"></span></div>
      <div class="unit-grid" data-testid="unit-grid" hidden></div>
      <div class="plot units-plot" data-testid="units-plot"></div>`;
    this.layerSelect = element.querySelector("[data-part='layer']");
    this.layerSelect.addEventListener("change", () => {
      this.paneLayer = Number(this.layerSelect.value);
      this.refresh(true);
    });
    element.querySelector(".unit-grid").addEventListener("click", (e) => {
      const cell = e.target.closest("button[data-unit]");
      if (cell) this.showLarge({ layer: this.paneLayer, index: Number(cell.dataset.unit) });
    });
  }

  show() {
    this.paneVisible = true;
    this.fillLayers();
    this.refresh(true);
  }

  hide() {
    this.paneVisible = false;
  }

  fillLayers() {
    const st = this.store.state;
    if (!st) return;
    const L = st.config.layers.length - 1;
    if (this.paneLayer > L) this.paneLayer = 1;
    const html = Array.from({ length: L }, (_, i) => `<option value="${i + 1}"${i + 1 === this.paneLayer ? " selected" : ""}>${i + 1 === L ? `${L} (output)` : i + 1}</option>`).join("");
    if (this.layerSelect.innerHTML !== html) this.layerSelect.innerHTML = html;
  }

  /** The network view is shown or hidden (the centre's tabs): pictures are fetched only while they can be seen. */
  setNetworkVisible(visible) {
    this.networkVisible = visible;
    if (visible) this.refresh(true);
  }

  follow(change) {
    if (change.network) {
      this.grids.clear();
      this.boxes = [];
      this.moment = "";
      this.showLarge(null);
      document.getElementById("unit-pictures-toggle").hidden = !this.planar();
    }
    if (change.state || change.network || change.redraw.includes("data")) {
      document.getElementById("unit-pictures-toggle").hidden = !this.planar();
      this.refresh(false);
    }
  }

  /** Which layers to ask for now: the diagram's hidden layers (pictures), the pane's layer. */
  wanted() {
    const st = this.store.state;
    if (!st) return [];
    const L = st.config.layers.length - 1;
    const layers = new Set();
    if (this.thumbnailsOn || this.large) for (let l = 1; l < L; l++) layers.add(l);
    if (this.large) layers.add(this.large.layer);
    if (this.paneVisible) layers.add(Math.min(this.paneLayer, L));
    return [...layers];
  }

  refresh(now) {
    const st = this.store.state;
    if (!st || !this.wanted().length) return;
    const moment = `${st.id}|${st.counters.pass}|${st.weights.map((w) => w[0][0]).join(",")}|${this.wanted().join(",")}`;
    if (moment === this.moment && !now) return;
    clearTimeout(this.timer);
    const wait = now ? 0 : Math.max(0, (st.playing ? REFRESH_PLAYING_MS : 120) - (performance.now() - this.lastAsk));
    this.timer = setTimeout(() => this.ask(moment), wait);
  }

  async ask(moment) {
    const st = this.store.state;
    if (!st) return;
    if (this.inFlight) {
      this.timer = setTimeout(() => this.refresh(false), 100);
      return;
    }
    this.inFlight = true;
    this.moment = moment;
    this.lastAsk = performance.now();
    try {
      const answers = await Promise.all(this.wanted().map((l) => api("GET", `${sessionPath(this.store, st.id)}/units?layer=${l}`)));
      if (!this.store.state || this.store.state.id !== st.id) return;
      for (const a of answers) {
        const activation = st.config.activations[a.layer - 1];
        const scale = a.kind === "grid" ? unitScale(activation, a.units) : null;
        this.grids.set(a.layer, { answer: a, scale, images: a.kind === "grid" ? a.units.map((g) => gridImage(g, scale)) : null });
      }
      this.redraw();
      this.updateLarge();
      if (this.paneVisible) this.drawPane();
    } catch (err) {
      if (this.paneVisible) this.pane.querySelector("[data-part='note']").textContent = `unavailable: ${err.message}`;
    } finally {
      this.inFlight = false;
    }
  }

  // -- pictures in the diagram ---------------------------------------------------------------------------
  /** Redraw the diagram with the pictures at its next frame (not paint() now: it may hold a new network whose
   * phase view is not drawn yet). */
  redraw() {
    this.schedule("diagram");
  }

  /** Diagram overlay: a picture left of each shown hidden neuron (its edges come in from the left, under it). */
  paint(ctx, tr, diagram) {
    this.boxes = [];
    if (!this.thumbnailsOn) return;
    const g = diagram.geometry;
    const size = diagram.nodeSize(tr);
    const s = Math.round(Math.max(14, Math.min(36, size * 0.85)));
    ctx.save();
    ctx.imageSmoothingEnabled = true;
    for (let l = 1; l < g.L; l++) {
      const entry = this.grids.get(l);
      if (!entry || !entry.images) continue;
      for (const [j, at] of g.pos[l]) {
        if (j < 0 || !entry.images[j]) continue;
        const x = tr.x(at.x) - size / 2 - 3 - s;
        const y = tr.y(at.y) - s / 2;
        ctx.fillStyle = "#fff";
        ctx.fillRect(x - 2, y - 2, s + 4, s + 4);
        ctx.drawImage(entry.images[j], x, y, s, s);
        const on = this.large && this.large.layer === l && this.large.index === j;
        ctx.lineWidth = on ? 2.5 : 1;
        ctx.strokeStyle = on ? "#111" : "#9aa3ad";
        ctx.strokeRect(x - 0.5, y - 0.5, s + 1, s + 1);
        this.boxes.push({ layer: l, index: j, x, y, s });
      }
    }
    ctx.restore();
    diagram.el.dataset.unitPictures = String(this.boxes.length);
  }

  /** Diagram overlay: a click on a picture shows it large in the data view. */
  hit(x, y) {
    const box = this.boxes.find((b) => x >= b.x - 2 && x <= b.x + b.s + 2 && y >= b.y - 2 && y <= b.y + b.s + 2);
    if (!box) return false;
    this.showLarge(this.large && this.large.layer === box.layer && this.large.index === box.index ? null : { layer: box.layer, index: box.index });
    return true;
  }

  /** Diagram overlay: the tooltip over a picture. */
  tip(x, y) {
    const box = this.boxes.find((b) => x >= b.x - 2 && x <= b.x + b.s + 2 && y >= b.y - 2 && y <= b.y + b.s + 2);
    return box ? `a${sup(box.layer)}${sub(box.index + 1)} over the input plane (neuron ${box.index + 1} of layer ${box.layer}) · click: large in the data view` : null;
  }

  /** Page coordinates of a unit's picture in the diagram (tests click like a person). */
  pointOf(layer, index) {
    const box = this.boxes.find((b) => b.layer === layer && b.index === index);
    if (!box) return null;
    const r = this.diagram.el.getBoundingClientRect();
    return { x: r.left + this.diagram.el.clientLeft + box.x + box.s / 2, y: r.top + this.diagram.el.clientTop + box.y + box.s / 2 };
  }

  showLarge(unit) {
    this.large = unit;
    if (unit && !this.grids.has(unit.layer)) this.refresh(true);
    this.updateLarge();
    this.redraw();
  }

  /** The data view paints the unit's grid instead of the network's output (and says so above it). */
  updateLarge() {
    const u = this.large;
    const entry = u && this.grids.get(u.layer);
    const grid = entry && entry.answer.kind === "grid" ? entry.answer : null;
    if (!u || !grid || !grid.units[u.index]) {
      this.dataView.unit = null;
      this.banner.hidden = !u;
      if (u) this.banner.querySelector("[data-part='text']").textContent = "loading the neuron's picture…";
      this.dataView.paint();
      return;
    }
    this.dataView.unit = { kind: "unit", xs: grid.xs, ys: grid.ys, values: grid.units[u.index], ...entry.scale };
    this.banner.hidden = false;
    const st = this.store.state;
    this.banner.dataset.unit = `${u.layer},${u.index}`;
    this.banner.querySelector("[data-part='text']").innerHTML = `Showing <b>a${sup(u.layer)}${sub(u.index + 1)}</b>: neuron ${u.index + 1} of layer ${u.layer} (${esc(st.config.activations[u.layer - 1])}) over the input plane`;
    this.dataView.paint();
  }

  // -- the pane ---------------------------------------------------------------------------------------------
  drawPane() {
    const entry = this.grids.get(this.paneLayer);
    const note = this.pane.querySelector("[data-part='note']");
    const gridEl = this.pane.querySelector(".unit-grid");
    const chart = this.pane.querySelector(".units-plot");
    if (!entry || !window.Plotly) return;
    const a = entry.answer;
    if (a.kind === "grid") {
      gridEl.hidden = false;
      chart.hidden = true;
      note.textContent = "each hidden neuron's output over the input plane (blue: high, orange: low); click one to see it large in the data view";
      gridEl.innerHTML = entry.images.map((_, j) => `<button type="button" class="unit-cell" data-unit="${j}" aria-label="Show neuron ${j + 1} of layer ${a.layer} large in the data view"><canvas width="${a.xs.length}" height="${a.ys.length}"></canvas><span>a${sup(a.layer)}${sub(j + 1)}</span></button>`).join("");
      gridEl.querySelectorAll("canvas").forEach((c, j) => c.getContext("2d").drawImage(entry.images[j], 0, 0));
      return;
    }
    gridEl.hidden = true;
    chart.hidden = false;
    const st = this.store.state;
    const classification = st.dataset.task === "classification";
    const axes = a.axes === "pca" ? ["first principal axis", "second principal axis"] : [`a${sup(a.layer)}${sub(1)}`, `a${sup(a.layer)}${sub(2)}`];
    note.textContent = a.axes === "pca"
      ? `the probe samples as layer ${a.layer} sees them, on its two principal axes${a.explained ? ` (${(100 * (a.explained[0] + a.explained[1])).toFixed(0)} % of the variance)` : ""}; fixed for the session, so the points move as the layer learns`
      : `the probe samples as layer ${a.layer} sees them: its units' outputs`;
    const traces = [];
    if (classification && st.dataset.classes) {
      st.dataset.classes.forEach((name, k) => {
        const idx = a.labels.map((v, i) => (v === k ? i : -1)).filter((i) => i >= 0);
        traces.push({ type: "scatter", mode: "markers", name: String(name), x: idx.map((i) => a.points[i][0]), y: idx.map((i) => a.points[i][1]), marker: { size: 5, color: CLASS_COLORS[k % CLASS_COLORS.length], opacity: 0.75 }, hovertemplate: `${esc(name)}<extra></extra>` });
      });
    } else {
      let m = 1e-9;
      for (const v of a.labels) if (v !== null && Math.abs(v) > m) m = Math.abs(v);
      traces.push({ type: "scatter", mode: "markers", x: a.points.map((p) => p[0]), y: a.points.map((p) => p[1]), marker: { size: 5, color: a.labels, colorscale: DIVERGING, cmin: -m, cmax: m, opacity: 0.8 }, hovertemplate: "y %{marker.color:.3g}<extra></extra>" });
    }
    plot(chart, traces, chartLayout({
      showlegend: classification && traces.length <= 10, legend: { orientation: "h", y: 1.02, yanchor: "bottom" },
      xaxis: { title: { text: axes[0], standoff: 4 }, automargin: true, zeroline: false },
      yaxis: { title: { text: axes[1], standoff: 4 }, automargin: true, zeroline: false },
      annotations: a.points.length ? [] : emptyNote("No samples"),
      uirevision: `units-${a.layer}`,
    }));
  }
}
