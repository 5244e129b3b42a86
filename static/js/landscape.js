// The Diagnostics view's Landscape pane: the loss J around the current weights, θ + α d₁ + β d₂ with two
// filter-normalized random directions (Li et al., 2018), as a contour plot with the path training took projected
// onto that plane and the current point (α = β = 0) marked; beside it the 1-D slice along −∇J (what a step of η
// would do). Computing it is a background job on the server (POST …/landscape → 202): its `job` events move a
// progress bar here, Cancel deletes the job, and the result comes from GET …/landscape once the job is done (the
// session's last job, which its state carries, says whether there is one: no request is made before).

import { sessionPath } from "./store.js";
import { api } from "./transport.js";
import { esc, fmt, px } from "./format.js";
import { chartLayout, emptyNote, plot } from "./diagnostics.js";
import { useLog } from "./health.js";

export class LandscapePane {
  /** @param {object} deps {store, notice(message, kind), receive(event): a REST answer into the store (actions.js)} */
  constructor({ store, notice, receive }) {
    this.store = store;
    this.notice = notice;
    this.receive = receive;
    this.visible = false;
    this.result = null;
    this.doneJob = null; // the landscape job whose result was asked for
  }

  mount(element) {
    this.el = element;
    element.innerHTML = `
      <form class="land-form" data-part="form">
        <label title="points along each direction: the grid has resolution² points, each a forward pass over the probe set">grid <input type="number" name="resolution" min="3" max="101" step="2" value="21" aria-label="Grid points along each direction"></label>
        <label title="how far along each direction, in units of the filter-normalized direction (1: as large as the weights)">span ± <input type="number" name="span" min="0.05" max="100" step="0.05" value="1" aria-label="Span along each direction"></label>
        <label title="the random directions' seed">seed <input type="number" name="seed" min="0" step="1" value="0" aria-label="Seed of the random directions"></label>
        <button type="submit" class="primary" data-testid="landscape-compute" aria-label="Compute the loss landscape">Compute the landscape</button>
        <button type="button" data-part="cancel" aria-label="Cancel the landscape" hidden>Cancel</button>
      </form>
      <div class="progress-row land-progress" data-part="progress-row" hidden>
        <progress max="1" value="0" data-testid="landscape-progress" aria-label="Landscape progress"></progress>
        <span class="hint" data-part="progress-text" data-testid="landscape-progress-text"></span>
      </div>
      <p class="hint" data-part="about" data-testid="landscape-about" title="Two random directions scaled filter by filter like the weights (Li et al., 2018, “Visualizing the Loss Landscape of Neural Nets”); the path is the weights the step-back history kept, projected onto that plane; the slice is J(θ − s ∇J) for steps s up to 4η. It costs grid² forward passes over the probe set, run on the server as a job.">J around the current weights along two random filter-normalized directions (Li et al., 2018), with the path training took; grid² forward passes, on the server.</p>
      <div class="land-plots">
        <div class="chart-box"><div class="chart-head"><h3>J(θ + α d₁ + β d₂)</h3><span class="hint" data-part="center"></span></div><div class="plot" data-testid="landscape-contour"></div></div>
        <div class="chart-box"><div class="chart-head"><h3>J along −∇J</h3></div><div class="plot" data-testid="landscape-slice"></div></div>
      </div>`;
    this.form = element.querySelector("[data-part='form']");
    this.cancelButton = element.querySelector("[data-part='cancel']");
    this.progressRow = element.querySelector("[data-part='progress-row']");
    this.bar = element.querySelector("progress");
    this.progressText = element.querySelector("[data-part='progress-text']");
    this.contour = element.querySelector("[data-testid='landscape-contour']");
    this.slice = element.querySelector("[data-testid='landscape-slice']");
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.compute();
    });
    this.cancelButton.addEventListener("click", () => this.cancel());
  }

  show() {
    this.visible = true;
    this.showJob(this.store.landscapeJob); // a landscape computed before (the session's last job) is fetched
    this.draw();
  }

  hide() {
    this.visible = false;
  }

  follow(change) {
    if (change.network) {
      this.result = null;
      this.doneJob = null;
      this.showJob(this.store.landscapeJob);
      if (this.visible) this.draw();
    }
    if (change.landscape) this.showJob(this.store.landscapeJob);
  }

  body() {
    const data = new FormData(this.form);
    return { resolution: Math.round(Number(data.get("resolution"))), span: Number(data.get("span")), seed: Math.round(Number(data.get("seed"))) };
  }

  async compute() {
    const st = this.store.state;
    if (!st) return;
    try {
      // (its job events may be ahead of this answer: the store keeps the newer news)
      this.receive({ type: "job", job: await api("POST", `${sessionPath(this.store, st.id)}/landscape`, this.body()) });
    } catch (err) {
      this.notice(err.message, "error");
      this.progressRow.hidden = false;
      this.progressText.textContent = err.message;
      this.progressText.dataset.kind = "error";
    }
  }

  async cancel() {
    const st = this.store.state;
    const info = this.store.landscapeJob;
    if (!st || !info) return;
    try {
      this.receive({ type: "job", job: await api("DELETE", `/api/sessions/${encodeURIComponent(st.id)}/jobs/${encodeURIComponent(info.id)}`) });
    } catch (err) {
      this.notice(err.message, "error");
    }
  }

  /** The progress bar follows the job; when it is done, the result is fetched and drawn. */
  showJob(info) {
    const running = Boolean(info && info.status === "running");
    this.cancelButton.hidden = !running;
    this.form.querySelector("[type='submit']").disabled = running;
    if (!info) {
      this.progressRow.hidden = true;
      return;
    }
    this.progressRow.hidden = false;
    this.bar.max = Math.max(1, info.total);
    this.bar.value = info.done;
    this.progressText.dataset.kind = info.status;
    this.progressText.textContent = running
      ? `${Math.round((100 * info.done) / Math.max(1, info.total))}% · ${info.done.toLocaleString("en")} of ${info.total.toLocaleString("en")} points`
      : `${info.status}${info.message ? `: ${info.message}` : ""}`;
    if (info.status === "done" && this.doneJob !== info.id) {
      this.doneJob = info.id;
      this.load();
    }
  }

  async load() {
    const st = this.store.state;
    if (!st) return;
    try {
      this.result = await api("GET", `${sessionPath(this.store, st.id)}/landscape`);
    } catch (err) {
      if (err.status !== 404 && err.status !== 409) this.notice(err.message, "error");
      this.result = null;
    }
    this.draw();
  }

  draw() {
    if (!this.visible || !window.Plotly) return;
    const r = this.result;
    const centerEl = this.el.querySelector("[data-part='center']");
    if (!r) {
      centerEl.textContent = "";
      const note = emptyNote("Not computed yet: press Compute the landscape");
      plot(this.contour, [], chartLayout({ xaxis: { visible: false }, yaxis: { visible: false }, annotations: note }));
      plot(this.slice, [], chartLayout({ xaxis: { visible: false }, yaxis: { visible: false }, annotations: emptyNote("") }));
      this.el.dataset.pass = "";
      return;
    }
    const log = useLog(r.loss);
    const z = log ? r.loss.map((row) => row.map((v) => (v !== null && v > 0 ? Math.log10(v) : null))) : r.loss;
    const st = this.store.state;
    const stale = st && st.counters.pass !== r.pass;
    centerEl.innerHTML = `at pass ${r.pass.toLocaleString("en")}: J = ${esc(fmt(r.center_loss, "4"))}${stale ? ` <span class="warn">(the network has moved on: compute again)</span>` : ""}`;
    this.el.dataset.pass = String(r.pass);
    const path = r.path || [];
    plot(this.contour, [
      {
        type: "contour", x: r.alphas, y: r.betas, z, customdata: r.loss, ncontours: 22, colorscale: "Viridis", reversescale: false,
        contours: { coloring: "heatmap", showlines: true }, line: { width: 0.5, color: "rgba(255,255,255,0.5)" },
        colorbar: { thickness: 10, len: 0.9, title: { text: log ? "log₁₀ J" : "J", side: "right", font: { size: px(12) } }, tickfont: { size: px(12) } },
        hovertemplate: "α %{x:.3g}, β %{y:.3g}<br>J %{customdata:.4g}<extra></extra>",
      },
      { type: "scatter", mode: "lines+markers", name: "path", x: path.map((p) => p[0]), y: path.map((p) => p[1]), line: { color: "#fff", width: 2 }, marker: { size: 4, color: "#ff7f0e", line: { color: "#fff", width: 0.5 } }, hovertemplate: "path: α %{x:.3g}, β %{y:.3g}<extra></extra>" },
      { type: "scatter", mode: "markers", name: "now", x: [0], y: [0], marker: { size: 15, symbol: "star", color: "#e41a1c", line: { color: "#fff", width: 1.5 } }, hovertemplate: `the current weights<br>J ${fmt(r.center_loss, "4")}<extra></extra>` },
    ], chartLayout({
      xaxis: { title: { text: "α (direction d₁)", standoff: 4 }, automargin: true, zeroline: false, range: [r.alphas[0], r.alphas[r.alphas.length - 1]] },
      yaxis: { title: { text: "β (direction d₂)", standoff: 4 }, automargin: true, zeroline: false, range: [r.betas[0], r.betas[r.betas.length - 1]] },
      uirevision: "landscape",
    }));
    const s = r.slice;
    const lr = st ? st.config.optimizer.learning_rate : null;
    const inRange = s && lr !== null && s.steps.length && lr >= Math.min(...s.steps) && lr <= Math.max(...s.steps);
    plot(this.slice, s ? [
      { type: "scatter", mode: "lines+markers", x: s.steps, y: s.loss, line: { color: "#2166ac", width: 2 }, marker: { size: 4 }, hovertemplate: "step %{x:.3g}<br>J %{y:.4g}<extra></extra>", name: "J" },
      { type: "scatter", mode: "markers", x: [0], y: [r.center_loss], marker: { size: 12, symbol: "star", color: "#e41a1c" }, hovertemplate: "now: J %{y:.4g}<extra></extra>", name: "now" },
    ] : [], chartLayout({
      xaxis: { title: { text: "step along −∇J (η)", standoff: 4 }, automargin: true, zeroline: false },
      yaxis: { title: { text: "J", standoff: 4 }, automargin: true, zeroline: false, type: s && s.loss.every((v) => v === null || v > 0) && useLog([s.loss]) ? "log" : "linear" },
      shapes: inRange ? [{ type: "line", x0: lr, x1: lr, yref: "paper", y0: 0, y1: 1, line: { color: "#e08214", dash: "dot", width: 1.5 } }] : [],
      annotations: [...(inRange ? [{ x: lr, yref: "paper", y: 1, yanchor: "top", xanchor: "left", text: ` η = ${fmt(lr, "3")}`, showarrow: false, font: { size: px(12), color: "#8a4b00" } }] : []), ...(s ? [] : emptyNote("no slice"))],
      uirevision: "slice",
    }));
  }
}
