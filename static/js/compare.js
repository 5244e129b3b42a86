// Compare runs: the loss chart's **Compare…** lists the other sessions this browser made (runs.js keeps them in
// localStorage), each with its set-up and what differs from the session on screen; ticked ones have their loss
// curves (GET …/metrics) drawn on the loss chart beside this run's, labelled by that difference ("η = 0.3").
// A run the server no longer has (expired, deleted) is said so and forgotten. The curves are asked again every few
// seconds while shown, since a compared run may be training in another tab.

import { api } from "./transport.js";
import { esc } from "./format.js";
import { forgetRun, listRuns, rememberRun, runLabel, setupText, when } from "./runs.js";

const REFRESH_MS = 4000;
// Okabe–Ito hues that are not the loss chart's own (train blue, test orange, accuracy green and pink).
export const COMPARE_COLORS = ["#d55e00", "#56b4e9", "#7f3b08", "#000000", "#e6ab02", "#999999"];

export class CompareRuns {
  /**
   * @param {object} deps {store, lossChart, schedule(): redraw the charts, notice(message, kind)}
   */
  constructor({ store, lossChart, schedule, notice }) {
    this.store = store;
    this.lossChart = lossChart;
    this.schedule = schedule;
    this.notice = notice;
    this.picked = []; // session ids, in the order picked
    this.curves = new Map(); // id → {per_pass, per_epoch}
    this.timer = 0;
    this.dialog = document.getElementById("compare-dialog");
    this.list = document.getElementById("compare-list");
    this.button = document.getElementById("compare-runs");
    this.button.addEventListener("click", () => this.open());
    document.getElementById("compare-close").addEventListener("click", () => this.dialog.close());
    document.getElementById("compare-done").addEventListener("click", () => this.dialog.close());
    document.getElementById("compare-clear").addEventListener("click", () => {
      this.picked = [];
      this.renderList();
      this.apply();
    });
    this.dialog.addEventListener("click", (e) => {
      if (e.target === this.dialog) this.dialog.close(); // the backdrop
    });
    this.list.addEventListener("change", (e) => {
      const box = e.target.closest("input[data-run]");
      if (!box) return;
      const id = box.dataset.run;
      this.picked = box.checked ? [...this.picked.filter((x) => x !== id), id] : this.picked.filter((x) => x !== id);
      this.apply();
    });
  }

  /** A session this browser just made (actions.js, lessons.js): remembered for comparing. */
  remember(state) {
    rememberRun(localStorage, state);
  }

  others() {
    const id = this.store.sessionId;
    return listRuns(localStorage).filter((r) => r.id !== id);
  }

  open() {
    this.renderList();
    if (!this.dialog.open) this.dialog.showModal();
    (this.list.querySelector("input") || document.getElementById("compare-done")).focus();
  }

  renderList() {
    const st = this.store.state;
    const runs = this.others();
    if (!runs.length) {
      this.list.innerHTML = `<li class="empty">No other runs yet. Change the set-up (a new session starts; this one is kept), then come back here to compare them.</li>`;
      return;
    }
    this.list.innerHTML = runs
      .map((r) => {
        const label = st ? runLabel(st.config, r.config) : "";
        const checked = this.picked.includes(r.id) ? " checked" : "";
        const gone = r.gone ? ` <span class="warn">(gone from the server)</span>` : "";
        return `<li><label class="run"><input type="checkbox" data-run="${esc(r.id)}"${checked} aria-label="${esc(`Compare the run ${label || setupText(r.config, r.dataName)}`)}">
          <span class="run-label">${esc(label)}${gone}</span>
          <span class="run-setup hint">${esc(setupText(r.config, r.dataName))}${r.lesson ? ` · lesson ${esc(r.lesson)}` : ""} · made ${esc(when(r.created))}</span></label></li>`;
      })
      .join("");
  }

  /** Fetch the picked runs' curves and hand them to the loss chart. */
  async apply() {
    clearTimeout(this.timer);
    const ids = this.picked.slice();
    await Promise.all(ids.map((id) => this.fetch(id)));
    this.draw();
    clearTimeout(this.timer); // (another apply may have finished meanwhile: one refresh loop only)
    if (this.picked.length) this.timer = setTimeout(() => this.apply(), REFRESH_MS);
  }

  async fetch(id) {
    try {
      this.curves.set(id, await api("GET", `/api/sessions/${encodeURIComponent(id)}/metrics?points=5000`));
    } catch (err) {
      if (err.status === 404) {
        this.notice("A compared run is gone from the server (expired or deleted): it is no longer listed.", "info");
        forgetRun(localStorage, id);
        this.picked = this.picked.filter((x) => x !== id);
        this.curves.delete(id);
        if (this.dialog.open) this.renderList();
      } else this.notice(err.message, "error");
    }
  }

  draw() {
    const st = this.store.state;
    const runs = new Map(listRuns(localStorage).map((r) => [r.id, r]));
    this.lossChart.compared = this.picked
      .filter((id) => this.curves.has(id) && runs.has(id))
      .map((id, i) => ({ id, label: st ? runLabel(st.config, runs.get(id).config) : id, color: COMPARE_COLORS[i % COMPARE_COLORS.length], metrics: this.curves.get(id) }));
    this.button.dataset.count = String(this.lossChart.compared.length);
    this.button.textContent = this.lossChart.compared.length ? `Compare runs (${this.lossChart.compared.length})…` : "Compare runs…";
    this.schedule();
  }

  /** A new session on screen: the labels say what differs from it now; it leaves the list of others. */
  follow(change) {
    if (!change.network) return;
    this.picked = this.picked.filter((id) => id !== this.store.sessionId);
    this.draw();
  }
}
