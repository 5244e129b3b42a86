// What the page shows follows the store: `follow(change)` hands a reducer's change to the parts (the loss and
// gradient charts' data, the diagram's network, the set-up panel, the chrome) and schedules the redraws, which
// happen at most once per animation frame — the diagram and the equations every frame, the charts and the data
// view less often while playing.

import { outputNames } from "./diagram.js";
import { esc } from "./format.js";
import { frame, perf, push } from "./perf.js";
import { phaseView } from "./view.js";
import { imageShapeOf } from "./pixels.js";
import * as chrome from "./chrome.js";

const CHART_INTERVAL_PLAYING = 300; // ms between loss-chart redraws while playing (the diagram gets every frame)
const DATA_INTERVAL_PLAYING = 120;

const $ = (id) => document.getElementById(id);

export class Renderer {
  /**
   * @param {object} store  the store (store.js)
   * @param {object} parts  {diagram, math, controls, lossChart, gradChart, dataView, config}
   * @param {object} hooks  {onFirstDiagram}: called once the first diagram is on screen; {onLesson(step)}: the
   *                        lesson's open step changed (lessons.js); {onFollow(change)}: every change, after the
   *                        parts here (insight.js: the diagnostics)
   */
  constructor(store, parts, { onFirstDiagram, onLesson, onFollow }) {
    this.store = store;
    this.parts = parts;
    this.onFirstDiagram = onFirstDiagram;
    this.onLesson = onLesson;
    this.onFollow = onFollow;
    this.dirty = { diagram: false, charts: false, data: false };
    this.frameRequest = 0;
    this.lastCharts = 0;
    this.lastData = 0;
    this.chartsReady = false; // Plotly.js has loaded: the charts can be drawn
  }

  schedule(...parts) {
    for (const part of parts) this.dirty[part] = true;
    if (!this.frameRequest) this.frameRequest = requestAnimationFrame((now) => this.draw(now));
  }

  /** Plotly.js has loaded: draw everything that waited for it. */
  plotlyLoaded() {
    this.chartsReady = true;
    this.schedule("diagram", "charts", "data");
  }

  /** Hand a reducer's change (store.js) to the parts and schedule what it redraws. */
  follow(change) {
    const store = this.store;
    const { diagram, lossChart, gradChart } = this.parts;
    const st = store.state;
    if (change.lossCurve) {
      if (change.lossCurve.replace) {
        if (st) lossChart.classification = st.dataset.task === "classification";
        lossChart.replace(change.lossCurve.per_pass, change.lossCurve.per_epoch);
      } else lossChart.extend(change.lossCurve.per_pass, change.lossCurve.per_epoch);
    }
    if (change.gradients) {
      if (change.gradients.pass !== null) gradChart.truncate(change.gradients.pass);
      for (const rec of change.gradients.records) gradChart.add(rec);
    }
    if (change.network) {
      diagram.setNetwork(st.config, st.dataset);
      this.parts.gallery.setShape(imageShapeOf(st.dataset, st.config.layers[0]), st.config.layers[1]);
    }
    if (change.setup) this.followSetup(change.setup);
    if (change.state) this.followState(change.state);
    if (change.job) this.showJob(change.job);
    if (change.diverged) chrome.showDiverged(change.diverged);
    else if (change.diverged === null) chrome.hideDiverged();
    if (change.notice) chrome.notice(change.notice.message, change.notice.kind);
    if (change.lesson && this.onLesson) this.onLesson(store.lesson);
    if (change.first) perf.snapshotAt = performance.now();
    if (change.redraw.length) this.schedule(...change.redraw);
    if (this.onFollow) this.onFollow(change);
  }

  /** The set-up changed on the server's side: the link follows, and the panel unless the person is in it. */
  followSetup({ structural }) {
    chrome.writeLink(this.store);
    if (!$("config").contains(document.activeElement) || structural) this.parts.config.render(this.store.s);
  }

  followState(st) {
    const { controls, config } = this.parts;
    if (this.showImages(st)) this.schedule("data"); // new weights: new predictions for the image view (throttled)
    controls.setPlaying(st.playing);
    config.setPending(st.pending_config);
    const focusInput = $("focus-index");
    focusInput.max = String(st.dataset.train_rows - 1);
    const training = st.focus_split !== "test"; // a test image focused from the image view: not a training number
    focusInput.placeholder = training ? "" : `test ${st.focus}`;
    if (document.activeElement !== focusInput) focusInput.value = training ? String(st.focus) : "";
  }

  /** The job bar, and the stepping controls held while a job runs. */
  showJob(job) {
    const { controls } = this.parts;
    chrome.showJob(job);
    const running = job.status === "running";
    const wasRunning = controls.disabledFor === "job";
    controls.setDisabled(running, running ? "a training job is running: wait for it or cancel it" : "");
    controls.disabledFor = running ? "job" : "";
    if (wasRunning !== running) this.schedule("charts");
  }

  draw(now) {
    this.frameRequest = 0;
    const store = this.store;
    const { diagram, math, controls, lossChart, gradChart, dataView } = this.parts;
    const st = store.state;
    if (!st) return;
    const playing = st.playing;
    const dirty = this.dirty;
    const firstDiagram = !diagram.everDrawn && dirty.diagram;
    if (dirty.diagram) {
      dirty.diagram = false;
      const view = phaseView(st, store.records, store.focus);
      frame(() => {
        if (store.tween && !playing) diagram.tween(view, store.selection);
        else if (diagram.tweening && diagram.tweenKey === `${view.pass}|${view.label}`) diagram.pendingView = [view, store.selection]; // same phase: drawn when the tween ends
        else {
          diagram.stopTween(); // the person stepped on: show the new phase now, not after the transition
          diagram.render(view, store.selection);
        }
        store.tween = false;
        this.parts.gallery.render(view, st, store.selection);
        math.render(this.mathContext(view));
      });
      if (store.selectedAt) {
        push(perf.select, performance.now() - store.selectedAt);
        store.selectedAt = 0;
      }
      controls.renderTimeline(st.counters.timeline, view.shown, view.pass);
      document.body.dataset.shown = view.label || "";
      document.body.dataset.pass = String(st.counters.pass);
      chrome.showCounters(st);
      $("diagram-empty").hidden = true;
    }
    let again = false;
    if (firstDiagram) {
      // The first frame draws only the network; Plotly.js and the charts follow.
      document.body.dataset.ready = "1";
      requestAnimationFrame(this.onFirstDiagram); // after this frame is on screen
      return;
    }
    if (!this.chartsReady) return; // the charts are drawn once Plotly.js has loaded (the diagram does not wait)
    if (dirty.charts) {
      if (!playing || now - this.lastCharts > CHART_INTERVAL_PLAYING) {
        dirty.charts = false;
        this.lastCharts = now;
        lossChart.render();
        gradChart.render(st.config.layers.length - 1, { pass: st.counters.pass, playing, job: Boolean(store.job && store.job.status === "running") });
      } else again = true;
    }
    if (dirty.data) {
      if (!playing || now - this.lastData > DATA_INTERVAL_PLAYING) {
        dirty.data = false;
        this.lastData = now;
        if (this.showImages(st)) this.parts.imageView.update(st, store.focus);
        else {
          dataView.set(st.dataset, store.data, store.boundary, store.focus);
          dataView.render();
        }
      } else again = true;
    }
    if (again) this.frameRequest = requestAnimationFrame((t) => this.draw(t));
    document.body.dataset.ready = "1";
  }

  /** Image data get the image view (grid, confusion, pad) instead of the plane or the feature summary. */
  showImages(st) {
    const images = Boolean(imageShapeOf(st.dataset, st.config.layers[0])) && st.dataset.task === "classification";
    const view = $("image-view");
    if (view.hidden === images) {
      view.hidden = !images;
      for (const id of ["data-view", "data-legend", "data-caption"]) $(id).closest(".data-wrap, .data-legend, .caption").hidden = images;
    }
    return images;
  }

  /** What the math panel needs besides the view: the session, the selection and names for neurons. */
  mathContext(view) {
    const store = this.store;
    const st = store.state;
    const ds = st.dataset;
    const L = st.config.layers.length - 1;
    const names = (l) => (l === 0 ? ds.features : l === L ? outputNames(ds, st.config.layers[L]) : null);
    return {
      view,
      state: st,
      focus: view.sample || store.focus, // a taught drawing during its pass
      dataset: ds,
      selection: store.selection,
      outputName: (j) => {
        const n = names(L);
        return n && n[j] !== undefined ? ` “${esc(n[j])}”` : "";
      },
      neuronName: (l, j) => {
        const n = names(l);
        return n && n[j] !== undefined ? String(n[j]) : `${l === 0 ? "input" : `neuron`} ${j + 1}${l === 0 ? "" : ` of layer ${l}`}`;
      },
    };
  }
}
