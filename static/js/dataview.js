// The data view: for 2-D data the network's output over the input plane (decision boundary for classification,
// surface for regression) under the train and test points; for 1-D data the fitted curve over the points.
// Clicking a training point makes it the focus sample (whose numbers the diagram and math panel show).

import { CLASS_COLORS, DIVERGING } from "./palette.js";
import { fmt } from "./format.js";

const FONT = { family: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size: 11, color: "#222" };

function light(hex, f = 0.62) {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const m = c.map((v) => Math.round(v + f * (255 - v)));
  return `rgb(${m[0]},${m[1]},${m[2]})`;
}

export class DataView {
  constructor(element, caption, { onFocus }) {
    this.el = element;
    this.caption = caption;
    this.onFocus = onFocus;
    this.bound = false;
    this.data = null;
    this.dataset = null;
    this.boundary = null;
    this.focus = null;
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
    const traces = [];
    const classification = ds.task === "classification";
    const b = this.boundary;
    const d = this.data;
    const focusIndex = this.focus ? this.focus.index : -1;
    let layout;
    if (nf === 2) {
      if (b && b.ys) {
        let colorscale;
        let zmin;
        let zmax;
        if (b.kind === "probability") {
          colorscale = [[0, light(CLASS_COLORS[0], 0.45)], [0.5, "#f7f7f7"], [1, light(CLASS_COLORS[1], 0.45)]];
          zmin = 0;
          zmax = 1;
        } else if (b.kind === "class") {
          const k = ds.classes ? ds.classes.length : 3;
          colorscale = [];
          for (let i = 0; i < k; i++) {
            colorscale.push([i / k, light(this.classColor(i), 0.55)], [(i + 1) / k, light(this.classColor(i), 0.55)]);
          }
          zmin = -0.5;
          zmax = k - 0.5;
        } else {
          colorscale = DIVERGING.map(([t, c]) => [t, c.startsWith("#") ? light(c, 0.45) : c]);
          const m = Math.max(...b.values.flat().map((v) => Math.abs(v ?? 0)), 1e-9);
          zmin = -m;
          zmax = m;
        }
        traces.push({
          type: "heatmap",
          x: b.xs,
          y: b.ys,
          z: b.values,
          zmin,
          zmax,
          colorscale,
          showscale: b.kind === "value",
          colorbar: { thickness: 8, len: 0.8, tickfont: { size: 9 } },
          hovertemplate: b.kind === "probability" ? `p(${ds.classes ? ds.classes[1] : "1"}) = %{z:.3f}<extra></extra>` : "%{z:.3g}<extra></extra>",
          zsmooth: "best",
        });
        if (b.kind === "probability") {
          traces.push({ type: "contour", x: b.xs, y: b.ys, z: b.values, showscale: false, contours: { start: 0.5, end: 0.5, size: 1, coloring: "none" }, line: { color: "#444", width: 1.2, dash: "dot" }, hoverinfo: "skip" });
        }
      }
      const pointColors = (ys) => (classification ? ys.map((k) => this.classColor(k)) : ys);
      const regressionMarker = (ys) => ({ color: ys, colorscale: DIVERGING, cmin: -1, cmax: 1 });
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
      const [dx, dy] = ds.domain;
      layout = {
        xaxis: { title: { text: ds.features[0], standoff: 2 }, range: b ? [b.xs[0], b.xs[b.xs.length - 1]] : undefined, zeroline: false, constrain: "domain" },
        yaxis: { title: { text: ds.features[1], standoff: 2 }, range: b && b.ys ? [b.ys[0], b.ys[b.ys.length - 1]] : undefined, zeroline: false, scaleanchor: dx && dy ? "x" : undefined },
      };
    } else {
      // One feature: the fitted curve over the points.
      if (b) {
        traces.push({ type: "scatter", mode: "lines", name: "network", x: b.xs, y: b.values, line: { color: "#2166ac", width: 2.5 }, hovertemplate: "x %{x:.3f}<br>ŷ %{y:.3f}<extra></extra>" });
      }
      traces.push({ type: "scatter", mode: "markers", name: "train", x: d.train_x.map((p) => p[0]), y: d.train_y, customdata: d.train_x.map((_, i) => i), marker: { size: 6, color: "#e08214", line: { color: "#fff", width: 0.5 } }, hovertemplate: "train #%{customdata}<br>x %{x:.3f}, y %{y:.3f}<extra></extra>" });
      traces.push({ type: "scatter", mode: "markers", name: "test", x: d.test_x.map((p) => p[0]), y: d.test_y, marker: { size: 6, symbol: "diamond", color: "#999", line: { color: "#222", width: 0.5 } }, hovertemplate: "test x %{x:.3f}, y %{y:.3f}<extra></extra>" });
      if (focusIndex >= 0 && d.train_x[focusIndex]) {
        traces.push({ type: "scatter", mode: "markers", name: "focus", x: [d.train_x[focusIndex][0]], y: [d.train_y[focusIndex]], marker: { size: 15, color: "rgba(0,0,0,0)", line: { color: "#111", width: 2.5 } }, hoverinfo: "skip" });
      }
      layout = { xaxis: { title: { text: ds.features[0], standoff: 2 }, zeroline: false }, yaxis: { title: { text: ds.targets[0] || "y", standoff: 2 }, zeroline: false } };
    }
    Plotly.react(this.el, traces, {
      ...layout,
      margin: { l: 40, r: 8, t: 4, b: 34 },
      font: FONT,
      showlegend: true,
      legend: { orientation: "h", x: 0, y: -0.18, yanchor: "top", font: { size: 10 } },
      hovermode: "closest",
      dragmode: false,
      uirevision: "data",
      paper_bgcolor: "#fff",
      plot_bgcolor: "#fff",
    }, { displayModeBar: false, responsive: true });
    if (!this.bound) {
      this.bound = true;
      this.el.on("plotly_click", (ev) => {
        const p = ev && ev.points && ev.points[0];
        if (p && p.data && p.data.name === "train" && typeof p.customdata === "number") this.onFocus(p.customdata);
      });
    }
    this.caption.textContent = this.captionText();
  }

  captionText() {
    const ds = this.dataset;
    const kind = ds.task === "classification" ? "boundary" : ds.features.length === 1 ? "fit" : "surface";
    return `${ds.name} · ${ds.train_rows} train / ${ds.test_rows} test · ${kind} · click a point to focus it`;
  }

  renderSummary() {
    const ds = this.dataset;
    if (this.bound || this.el.classList.contains("js-plotly-plot")) {
      Plotly.purge(this.el);
      this.bound = false;
    }
    const f = this.focus;
    const rows = f
      ? f.x_raw
          .slice(0, 12)
          .map((v, i) => `<tr><th>${ds.features[i] ?? `x${i + 1}`}</th><td>${fmt(v, "4")}</td></tr>`)
          .join("") + (f.x_raw.length > 12 ? `<tr><th>…</th><td>${f.x_raw.length - 12} more</td></tr>` : "")
      : "";
    this.el.innerHTML = `<div class="summary">
      <p><b>${ds.name}</b>: ${ds.features.length} features — no plane to draw, so here is the focus sample.</p>
      ${f ? `<p>Focus sample #${f.index}${f.label !== null && f.label !== undefined ? `, class <b>${f.label}</b>` : ""}</p><table class="kv">${rows}</table>` : ""}
      <p class="hint">${ds.train_rows} train / ${ds.test_rows} test rows.</p></div>`;
    this.caption.textContent = `${ds.name} · ${ds.features.length} features`;
  }
}
