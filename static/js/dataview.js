// The data view: for 2-D data the network's output over the input plane (decision boundary for classification,
// surface for regression) under the train and test points; for 1-D data the fitted curve over the points.
// Clicking a training point makes it the focus sample (whose numbers the diagram and math panel show).
//
// Plotly draws the figure (axes, points, focus ring, legend) and redraws it only when the points or the focus
// change; the server's output grid, which changes every frame in play mode, is painted on a canvas under
// Plotly's transparent plot area (an image of the grid, smoothed), so playing stays cheap.

import { CLASS_COLORS, DIVERGING } from "./palette.js";
import { esc, fmt, plotlyText, px } from "./format.js";
import { coverAndClear } from "./canvas.js";
import { watching } from "./watching.js";

const font = () => ({ family: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size: px(12), color: "#222" });

function rgb(hex) {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

function lighten(c, f) {
  return c.map((v) => Math.round(v + f * (255 - v)));
}

function mix(a, b, f) {
  return a.map((v, i) => Math.round(v + f * (b[i] - v)));
}

const LIGHT_DIVERGING = DIVERGING.map(([t, c]) => [t, lighten(rgb(c), 0.45)]);
const MID_GREY = "#e4e4e4";

function scaleColor(stops, u) {
  const x = Math.min(1, Math.max(0, u));
  for (let i = 1; i < stops.length; i++) {
    if (x <= stops[i][0]) {
      const [t0, c0] = stops[i - 1];
      const [t1, c1] = stops[i];
      return mix(c0, c1, (x - t0) / (t1 - t0 || 1));
    }
  }
  return stops[stops.length - 1][1];
}

export class DataView {
  constructor(element, caption, { onFocus, legend }) {
    this.el = element;
    this.caption = caption;
    this.legendEl = legend;
    this.onFocus = onFocus;
    this.canvas = document.getElementById("data-canvas");
    this.bound = false;
    this.plotKey = "";
    this.data = null;
    this.dataset = null;
    this.boundary = null;
    this.focus = null;
    this.unit = null; // a hidden neuron's output over the plane, shown instead of the network's (units.js), or null
    new ResizeObserver(() => this.paint()).observe(element);
  }

  set(dataset, data, boundary, focus) {
    this.dataset = dataset;
    if (data !== undefined) this.data = data;
    if (boundary) this.boundary = boundary;
    if (focus) this.focus = focus;
  }

  classColor(k) {
    return CLASS_COLORS[k % CLASS_COLORS.length];
  }

  render() {
    const ds = this.dataset;
    if (!ds) return;
    const nf = ds.features.length;
    if (nf > 2 || !this.data) {
      this.renderSummary();
      return;
    }
    const key = [ds.name, ds.train_rows, ds.test_rows, this.data ? this.data.train_x.length : 0, this.focus ? this.focus.index : -1, this.boundary ? `${this.boundary.xs[0]}:${this.boundary.xs.length}` : ""].join("|");
    if (key !== this.plotKey) {
      this.plotKey = key;
      this.drawFigure();
    }
    this.paint();
    this.caption.textContent = this.captionText();
    this.renderLegend();
  }

  /** What the colours and marks mean (HTML under the plot: Plotly's legend would show one class's colour for
   * "train"). */
  renderLegend() {
    const el = this.legendEl;
    if (!el) return;
    const ds = this.dataset;
    const b = this.boundary;
    const items = [];
    const item = (mark, text) => items.push(`<span class="item">${mark}${esc(text)}</span>`);
    if (ds.task === "classification" && ds.classes) {
      ds.classes.forEach((name, k) => item(`<i class="dot" style="background:${this.classColor(k)}"></i>`, name));
    } else if (ds.features.length === 2) {
      item(`<i class="dot" style="background:linear-gradient(to right, ${CLASS_COLORS[0]}, ${MID_GREY}, #2166ac)"></i>`, `train: ${ds.targets[0] || "y"}`);
    } else {
      item(`<i class="dot" style="background:#e08214"></i>`, "train");
    }
    item(`<i class="diamond"></i>`, "test");
    item(`<i class="ring"></i>`, "focus");
    if (b && b.ys) {
      if (b.kind === "probability" && ds.classes) {
        const [c0, c1] = [0, 1].map((k) => `rgb(${lighten(rgb(CLASS_COLORS[k]), 0.45).join(",")})`);
        items.push(`<span class="item">shading p(${esc(ds.classes[1])}): 0 <i class="ramp" style="background:linear-gradient(to right, ${c0}, #f7f7f7, ${c1})"></i> 1</span>`);
      } else if (b.kind === "class") {
        item("", "shading: predicted class");
      } else {
        const stops = LIGHT_DIVERGING.map(([s, c]) => `rgb(${c.join(",")}) ${Math.round(s * 100)}%`).join(", ");
        items.push(`<span class="item">shading ŷ <i class="ramp" style="background:linear-gradient(to right, ${stops})"></i></span>`);
      }
    } else if (b) {
      items.push(`<span class="item"><i class="line"></i>network ŷ</span>`);
    }
    const html = items.join("");
    if (el.innerHTML !== html) el.innerHTML = html;
  }

  /** The Plotly figure: axes fixed to the grid's extent, the points, the focus ring. */
  drawFigure() {
    const summary = this.el.querySelector(".summary");
    if (summary) summary.remove();
    const ds = this.dataset;
    const d = this.data;
    const b = this.boundary;
    const classification = ds.task === "classification";
    const focusIndex = this.focus ? this.focus.index : -1;
    const traces = [];
    let layout;
    const pointColors = (ys) => (classification ? ys.map((k) => this.classColor(k)) : ys);
    let yMax = 1e-9;
    for (const v of [...d.train_y, ...d.test_y]) if (Math.abs(v) > yMax) yMax = Math.abs(v);
    const regressionMarker = (ys) => ({ color: ys, colorscale: DIVERGING, cmin: -yMax, cmax: yMax });
    if (ds.features.length === 2) {
      traces.push({
        type: "scatter",
        mode: "markers",
        name: "train",
        x: d.train_x.map((p) => p[0]),
        y: d.train_x.map((p) => p[1]),
        customdata: d.train_x.map((_, i) => i),
        marker: { size: 7, line: { color: "#fff", width: 1 }, ...(classification ? { color: pointColors(d.train_y) } : regressionMarker(d.train_y)) },
        hovertemplate: "train #%{customdata}<br>(%{x:.3f}, %{y:.3f})<br>click: make it the focus<extra></extra>",
      });
      traces.push({
        type: "scatter",
        mode: "markers",
        name: "test",
        x: d.test_x.map((p) => p[0]),
        y: d.test_x.map((p) => p[1]),
        marker: { size: 7, symbol: "diamond", line: { color: "#222", width: 1 }, ...(classification ? { color: pointColors(d.test_y) } : regressionMarker(d.test_y)) },
        hovertemplate: "test (%{x:.3f}, %{y:.3f})<extra></extra>",
      });
      if (focusIndex >= 0 && d.train_x[focusIndex]) {
        traces.push({ type: "scatter", mode: "markers", name: "focus", x: [d.train_x[focusIndex][0]], y: [d.train_x[focusIndex][1]], marker: { size: 16, color: "rgba(0,0,0,0)", line: { color: "#111", width: 2.5 } }, hoverinfo: "skip" });
      }
      layout = {
        xaxis: { title: { text: plotlyText(ds.features[0]), standoff: 6 }, range: b ? [b.xs[0], b.xs[b.xs.length - 1]] : undefined, zeroline: false, showgrid: false, fixedrange: true },
        yaxis: { title: { text: plotlyText(ds.features[1]), standoff: 6 }, range: b && b.ys ? [b.ys[0], b.ys[b.ys.length - 1]] : undefined, zeroline: false, showgrid: false, fixedrange: true },
      };
    } else {
      traces.push({ type: "scatter", mode: "markers", name: "train", x: d.train_x.map((p) => p[0]), y: d.train_y, customdata: d.train_x.map((_, i) => i), marker: { size: 6, color: "#e08214", line: { color: "#fff", width: 0.5 } }, hovertemplate: "train #%{customdata}<br>x %{x:.3f}, y %{y:.3f}<extra></extra>" });
      traces.push({ type: "scatter", mode: "markers", name: "test", x: d.test_x.map((p) => p[0]), y: d.test_y, marker: { size: 6, symbol: "diamond", color: "#999", line: { color: "#222", width: 0.5 } }, hovertemplate: "test x %{x:.3f}, y %{y:.3f}<extra></extra>" });
      traces.push({ type: "scatter", mode: "lines", name: "network ŷ", x: [null], y: [null], line: { color: "#2166ac", width: 2.5 }, hoverinfo: "skip" });
      if (focusIndex >= 0 && d.train_x[focusIndex]) {
        traces.push({ type: "scatter", mode: "markers", name: "focus", x: [d.train_x[focusIndex][0]], y: [d.train_y[focusIndex]], marker: { size: 15, color: "rgba(0,0,0,0)", line: { color: "#111", width: 2.5 } }, hoverinfo: "skip" });
      }
      const ys = [...d.train_y, ...d.test_y];
      const lo = Math.min(...ys);
      const hi = Math.max(...ys);
      const pad = 0.15 * (hi - lo || 1);
      layout = {
        xaxis: { title: { text: plotlyText(ds.features[0]), standoff: 6 }, range: b ? [b.xs[0], b.xs[b.xs.length - 1]] : undefined, zeroline: false, fixedrange: true },
        yaxis: { title: { text: plotlyText(ds.targets[0] || "y"), standoff: 6 }, range: [lo - pad, hi + pad], zeroline: false, fixedrange: true },
      };
    }
    for (const axis of [layout.xaxis, layout.yaxis]) Object.assign(axis, { automargin: true, exponentformat: "e", ticklabelstandoff: 3 });
    Plotly.react(this.el, traces, {
      ...layout,
      margin: { l: 8, r: 8, t: 4, b: 4 },
      font: font(),
      showlegend: false,
      hovermode: "closest",
      dragmode: false,
      uirevision: "data",
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
    }, { displayModeBar: false, responsive: true });
    if (!this.bound) {
      this.bound = true;
      this.el.on("plotly_click", (ev) => {
        const p = ev && ev.points && ev.points[0];
        if (p && p.data && p.data.name === "train" && typeof p.customdata === "number") this.onFocus(p.customdata);
      });
      this.el.on("plotly_afterplot", () => this.paint());
    }
  }

  /** Paint the server's output grid (heatmap) or curve under the figure's plot area. */
  paint() {
    const canvas = this.canvas;
    const full = this.el._fullLayout;
    const b = this.unit || this.boundary;
    const ds = this.dataset;
    const [ctx] = coverAndClear(canvas, this.el);
    if (!b || !full || !full.xaxis || !ds || ds.features.length > 2 || !this.data) return;
    const xa = full.xaxis;
    const ya = full.yaxis;
    if (b.ys) {
      const nx = b.xs.length;
      const ny = b.ys.length;
      const image = new ImageData(nx, ny);
      const color = this.colorFor(b);
      for (let i = 0; i < ny; i++) {
        const row = b.values[i];
        for (let j = 0; j < nx; j++) {
          const c = color(row[j]);
          const o = ((ny - 1 - i) * nx + j) * 4; // image rows run top-down, ys bottom-up
          image.data[o] = c[0];
          image.data[o + 1] = c[1];
          image.data[o + 2] = c[2];
          image.data[o + 3] = 255;
        }
      }
      const off = this.offscreen && this.offscreen.width === nx && this.offscreen.height === ny ? this.offscreen : (this.offscreen = Object.assign(document.createElement("canvas"), { width: nx, height: ny }));
      off.getContext("2d").putImageData(image, 0, 0);
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(off, xa._offset, ya._offset, xa._length, ya._length);
    } else {
      ctx.save();
      ctx.beginPath();
      ctx.rect(xa._offset, ya._offset, xa._length, ya._length);
      ctx.clip();
      ctx.strokeStyle = "#2166ac";
      ctx.lineWidth = 2.5;
      ctx.beginPath();
      b.xs.forEach((x, j) => {
        const v = b.values[j];
        if (v === null) return;
        const px = xa._offset + xa.l2p(x);
        const py = ya._offset + ya.l2p(v);
        if (j === 0) ctx.moveTo(px, py);
        else ctx.lineTo(px, py);
      });
      ctx.stroke();
      ctx.restore();
    }
  }

  colorFor(b) {
    const ds = this.dataset;
    if (b.kind === "unit") return (v) => (v === null ? [255, 255, 255] : scaleColor(LIGHT_DIVERGING, ((v - b.center) / b.scale + 1) / 2));
    if (b.kind === "probability") {
      const stops = [[0, lighten(rgb(CLASS_COLORS[0]), 0.45)], [0.5, [247, 247, 247]], [1, lighten(rgb(CLASS_COLORS[1]), 0.45)]];
      return (v) => (v === null ? [255, 255, 255] : scaleColor(stops, v));
    }
    if (b.kind === "class") {
      const palette = (ds.classes || ["A", "B", "C"]).map((_, i) => lighten(rgb(this.classColor(i)), 0.55));
      return (v) => (v === null ? [255, 255, 255] : palette[Math.round(v)] || [255, 255, 255]);
    }
    let m = 1e-9;
    for (const row of b.values) for (const v of row) if (v !== null && Math.abs(v) > m) m = Math.abs(v);
    return (v) => (v === null ? [255, 255, 255] : scaleColor(LIGHT_DIVERGING, (v / m + 1) / 2));
  }

  captionText() {
    const ds = this.dataset;
    const hint = watching() ? "" : " · click a training point to focus it";
    return `${ds.name}: ${ds.train_rows} train, ${ds.test_rows} test${hint}`;
  }

  renderSummary() {
    const ds = this.dataset;
    if (this.el.classList.contains("js-plotly-plot")) {
      Plotly.purge(this.el);
      this.bound = false;
    }
    this.plotKey = "";
    const ctx = this.canvas.getContext("2d");
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    const f = this.focus;
    const shown = 15;
    const cells = f
      ? f.x_raw
          .slice(0, shown)
          .map((v, i) => `<span class="k">${esc(ds.features[i] ?? `x${i + 1}`)}</span><span class="v">${fmt(v, "3")}</span>`)
          .join("") + (f.x_raw.length > shown ? `<span class="k">…</span><span class="v">${f.x_raw.length - shown} more</span>` : "")
      : "";
    this.el.innerHTML = `<div class="summary">
      <p><b>${esc(ds.name)}</b> has ${ds.features.length} features: no plane to draw. The focus sample (pick another by number above)${f ? ` is #${f.index}${f.label !== null && f.label !== undefined ? `, class <b>${esc(f.label)}</b>` : ""}` : ""}:</p>
      <div class="kv">${cells}</div></div>`;
    this.caption.textContent = `${ds.name}: ${ds.features.length} features, ${ds.train_rows} train / ${ds.test_rows} test rows`;
    if (this.legendEl) this.legendEl.innerHTML = "";
  }
}
