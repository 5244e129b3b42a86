// The diagnostics' parts, wired into the page (issue 12): the centre's Network / Diagnostics tabs, the flags
// (flags.js: badges on the diagram, sentences in the view), the Diagnostics view (diagnostics.js) with its
// Evaluation (evaluation.js), Hidden units (units.js, which also puts each hidden neuron's picture in the diagram)
// and Landscape (landscape.js) panes, and Compare runs on the loss chart (compare.js). main.js makes one
// Insight; render.js hands it every change of the store.

import * as chrome from "./chrome.js";
import { FlagView } from "./flags.js";
import { DiagnosticsView } from "./diagnostics.js";
import { EvaluationPane } from "./evaluation.js";
import { UnitViews } from "./units.js";
import { LandscapePane } from "./landscape.js";
import { CompareRuns } from "./compare.js";

const $ = (id) => document.getElementById(id);

export class Insight {
  /** @param {object} store  the store; @param {object} page  {parts, renderer, actions} (main.js) */
  constructor(store, { parts, renderer, actions }) {
    this.store = store;
    this.actions = actions;
    this.controls = parts.controls;
    const notice = (message, kind) => chrome.notice(message, kind);
    this.flags = new FlagView(
      { badges: $("flag-badges"), count: $("flag-count"), diagram: parts.diagram },
      { show: (flag) => this.view.showFlag(flag), openLesson: (id) => this.openLesson(id) },
    );
    this.units = new UnitViews({ store, diagram: parts.diagram, dataView: parts.dataView, toggle: $("unit-pictures"), schedule: (part) => renderer.schedule(part) });
    this.view = new DiagnosticsView($("diagnostics"), {
      store,
      flags: this.flags,
      panes: { eval: new EvaluationPane({ store }), units: this.units, landscape: new LandscapePane({ store, notice, receive: (ev) => actions.receive(ev) }) },
      onOpen: (open) => this.showCentre(open),
    });
    this.compare = new CompareRuns({ store, lossChart: parts.lossChart, schedule: () => renderer.schedule("charts"), notice });
    actions.onCreated = (state) => this.compare.remember(state);
    for (const tab of [$("tab-network"), $("tab-diagnostics")]) tab.addEventListener("click", () => this.view.setOpen(tab.id === "tab-diagnostics"));
    $("tab-network").closest("[role='tablist']").addEventListener("keydown", (e) => {
      if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
      if (!e.target.closest("[role='tab']")) return;
      e.preventDefault();
      e.stopPropagation(); // ← → step the network elsewhere on the page
      this.view.setOpen(!this.view.open);
      (this.view.open ? $("tab-diagnostics") : $("tab-network")).focus();
    });
  }

  /** The centre shows the Diagnostics view or the network with its charts (the controls stay in both). */
  showCentre(diagnostics) {
    $("network-view").hidden = diagnostics;
    $("charts").hidden = diagnostics;
    $("tab-network").setAttribute("aria-selected", String(!diagnostics));
    $("tab-diagnostics").setAttribute("aria-selected", String(diagnostics));
    document.body.dataset.centre = diagnostics ? "diagnostics" : "network";
    this.units.setNetworkVisible(!diagnostics);
    window.dispatchEvent(new Event("resize")); // the charts and the diagram take their room again
  }

  /** A flag's lesson: opened in a new session (this one stays in Compare runs), beside the network. */
  async openLesson(id) {
    if (!this.actions.startLesson) return;
    this.view.setOpen(false);
    if (await this.actions.startLesson(id)) chrome.notice("Lesson opened in a new session; the one you were looking at is in Compare runs.", "info");
  }

  /** A landscape job holds the session as a training job does: stepping waits for it (the server refuses it). */
  holdControls() {
    const job = this.store.landscapeJob;
    const running = Boolean(job && job.status === "running");
    const controls = this.controls;
    if (running) {
      controls.setDisabled(true, "the loss landscape is being computed: wait for it or cancel it (Diagnostics › Landscape)");
      controls.disabledFor = "landscape";
    } else if (controls.disabledFor === "landscape") {
      controls.setDisabled(false, "");
      controls.disabledFor = "";
    }
  }

  /** Plotly.js has loaded: draw what the open view could not draw without it. */
  plotlyLoaded() {
    if (!this.view.open) return;
    this.view.draw();
    const pane = this.view.subviews[this.view.pane];
    if (pane) pane.show();
  }

  /** A change of the store (render.js): the flags, the view, its panes and the compared runs follow. */
  follow(change) {
    if (change.flags || change.network) this.flags.set(this.store.flags);
    if (change.landscape || change.network) this.holdControls();
    this.view.follow(change); // and its panes
    this.compare.follow(change);
  }
}
