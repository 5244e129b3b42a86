// The page's one store of what the server said last (the session's state, the records of the pass shown, the
// focus sample, the data, the job) and the reducers that fold each server event into it. A reducer is a plain
// function (store, event) → Change: it updates the store and says what the page must follow (redraw the
// diagram, extend the loss curve, show the job bar …); render.js does that. No DOM and no globals here, so
// tests/js/ runs the reducers in Node.

import { fromQuery, fromSessionConfig } from "./state.js";

// Set-up keys that the server's config may change: hyperparameters (a `set` from another tab) …
const HYPER_KEYS = ["opt", "lr", "mom", "batch", "reg", "rate"];
// … and what only a new session changes (the set-up panel is redrawn even while the person is in it).
const STRUCTURAL_KEYS = ["data", "dataset", "hidden", "acts", "out", "loss", "init", "iseed", "seed", "test", "dseed", "samples", "noise", "classes"];

/** A fresh store for the page opened at `search` (its query string), with the engine's catalog. */
export function createStore(search, catalog) {
  return {
    catalog,
    s: fromQuery(search, catalog), // the set-up (mirrors the URL)
    state: null, // SessionState
    records: [], // records of the pass shown, by position
    focus: null,
    data: null,
    boundary: null,
    selection: null,
    selectedAt: 0, // timestamp of the click that chose the selection (perf.select)
    tween: false, // animate the next diagram redraw (an update arrived)
    job: null,
    diverged: null,
    inline: null, // {spec, info} of a session created over the API with inline data
    sessionId: null,
    watch: null, // a watch link's token: the page shows the session read-only (GET /watch/{token})
    lesson: null, // the open step of the session's lesson (GET …/lesson, the `lesson` event), or null
    flags: [], // the session's health flags (the snapshot's `flags`, the `flags` event, GET …/diagnostics)
    diagnostics: null, // the latest per-layer statistics ({pass, layers}: a play frame's, or GET …/diagnostics)
    landscapeJob: null, // the loss-landscape job (its `job` events), apart from training's job bar
  };
}

/**
 * What an event changed, for the page to follow:
 *  redraw      parts to redraw: "diagram", "charts", "data"
 *  network     the network's shape changed: the diagram lays it out again
 *  lossCurve   {replace, per_pass, per_epoch}: new points for the loss chart (replace: instead of its own)
 *  gradients   {pass, records}: the gradient chart drops passes from `pass` on (null: keeps them), adds these
 *  state       the new SessionState: play button, pending tag and focus field follow it
 *  setup       {changed, structural}: the set-up adopted from the server's config (link and panel follow)
 *  job         the job to show in the job bar
 *  diverged    the divergence to show in the banner; null: hide the banner; undefined: leave it
 *  notice      {message, kind}
 *  first       the session's first snapshot
 *  lesson      the lesson's open step changed (store.lesson; null: no lesson)
 *  flags       the health flags changed (store.flags)
 *  diagnostics new per-layer statistics arrived (store.diagnostics)
 *  landscape   the loss-landscape job moved (store.landscapeJob)
 */
export function noChange() {
  return { redraw: [], network: false, lossCurve: null, gradients: null, state: null, setup: null, job: null, diverged: undefined, notice: null, first: false, lesson: false, flags: false, diagnostics: false, landscape: false };
}

/** Fold one server event (a WebSocket message, or a REST answer in the same shape) into the store. */
export function reduce(store, ev) {
  switch (ev.type) {
    case "snapshot":
      return snapshot(store, ev);
    case "phase":
      return phase(store, ev.record);
    case "metrics":
      return { ...noChange(), lossCurve: { replace: Boolean(ev.replace), per_pass: ev.per_pass, per_epoch: ev.per_epoch }, redraw: ["charts"] };
    case "state":
      return state(store, ev);
    case "job":
      return ev.job.kind === "landscape" ? landscapeJob(store, ev.job) : job(store, ev.job);
    case "flags":
      store.flags = ev.flags || [];
      return { ...noChange(), flags: true };
    case "diverged":
      store.diverged = ev.diverged;
      return { ...state(store, { state: ev.state }), diverged: store.diverged };
    case "error":
      return { ...noChange(), notice: { message: ev.message, kind: "error" } };
    case "lesson":
      store.lesson = ev.lesson;
      return { ...noChange(), lesson: true };
    default:
      return noChange();
  }
}

/** Everything at once (on every (re)connect): the state, the pass shown so far, the data and the curves. */
function snapshot(store, ev) {
  const st = ev.state;
  const before = store.state;
  const first = !before;
  const network = !before || before.id !== st.id || before.config.layers.join() !== st.config.layers.join() || before.config.activations.join() !== st.config.activations.join();
  store.state = st;
  store.records = ev.visible.slice();
  store.focus = ev.focus;
  store.data = ev.data;
  store.boundary = ev.boundary;
  store.lesson = ev.lesson ?? null;
  store.flags = ev.flags || [];
  if (ev.diagnostics) store.diagnostics = ev.diagnostics;
  else if (network) store.diagnostics = null;
  if (network && !validSelection(store.selection, st.config.layers)) store.selection = { kind: "neuron", layer: st.config.layers.length - 1, index: 0 };
  const change = {
    ...noChange(),
    first,
    network,
    lossCurve: { replace: true, per_pass: ev.metrics.per_pass, per_epoch: ev.metrics.per_epoch },
    gradients: { pass: st.counters.pass, records: store.records.slice() },
    redraw: ["diagram", "charts", "data"],
    lesson: true,
    flags: true,
    diagnostics: true,
  };
  return afterState(store, st, change);
}

/** One phase of the open pass: it extends (or, at position 0, restarts) the records shown. */
function phase(store, record) {
  if (record.position === 0 || store.records.length === 0 || store.records[0].pass !== record.pass) store.records = [];
  store.records[record.position] = record;
  store.records.length = record.position + 1;
  if (record.phase === "update") store.tween = true;
  return { ...noChange(), gradients: { pass: null, records: [record] }, redraw: record.phase === "backward" ? ["charts", "diagram"] : ["diagram"] };
}

/** A new state (after back, reset, play, a hyperparameter …), sometimes with the records now visible. */
function state(store, ev) {
  const st = ev.state;
  const previous = store.state;
  store.state = st;
  const p = st.counters.position;
  const change = { ...noChange(), redraw: [] };
  if (ev.visible) {
    store.records = ev.visible.slice();
    store.tween = false;
    change.gradients = { pass: st.counters.pass, records: store.records.slice() };
    change.redraw.push("charts");
  } else if (p > 0) {
    if (store.records.length !== p || (store.records[0] && store.records[0].pass !== st.counters.pass)) store.records = store.records.slice(0, p);
  } else {
    const last = store.records[store.records.length - 1];
    if (!(last && last.phase === "update" && last.pass === st.counters.pass - 1)) store.records = [];
  }
  if (ev.focus) store.focus = ev.focus;
  if (ev.boundary) {
    store.boundary = ev.boundary;
    change.redraw.push("data");
  }
  if (ev.focus) change.redraw.push("data");
  if (ev.diagnostics) {
    store.diagnostics = ev.diagnostics;
    change.diagnostics = true;
  }
  if (previous && previous.playing !== st.playing) change.redraw.push("charts");
  change.redraw.push("diagram");
  return afterState(store, st, change);
}

/** What every new state brings along: the set-up it runs, its job, the end of a divergence. */
function afterState(store, st, change) {
  change.state = st;
  change.setup = adoptSetup(store, st);
  if (st.job && st.job.kind === "landscape") {
    if (landscapeJob(store, st.job).landscape) change.landscape = true;
  } else if (st.job) change.job = acceptJob(store, st.job);
  else if (store.job && store.job.status === "running") change.job = acceptJob(store, { ...store.job, status: "done" });
  if (!st.playing && store.diverged && st.counters.pass > store.diverged.pass + 1) {
    store.diverged = null;
    change.diverged = null;
  }
  return change;
}

/** A job's progress: from the WebSocket, or the REST answer that started or cancelled it. */
function job(store, info) {
  return { ...noChange(), job: acceptJob(store, info) };
}

/** The loss-landscape job's progress: the landscape view's bar follows it, not training's job bar. */
function landscapeJob(store, info) {
  const known = store.landscapeJob;
  if (known && known.id === info.id && known.status !== "running" && info.status === "running") return noChange(); // old news
  store.landscapeJob = info;
  return { ...noChange(), landscape: true };
}

/** The job, unless it is older news than the one known: the REST answer that started a job can arrive after
 * the job's first WebSocket events, and the bar must never go back. Returns the job taken, or null. */
export function acceptJob(store, info) {
  const known = store.job;
  if (known && known.id === info.id && (known.status !== "running" ? info.status === "running" : info.status === "running" && info.done < known.done)) return null;
  store.job = info;
  return info;
}

/** The set-up the session runs (another tab's `set`, a shared link to a session) becomes the page's own. */
export function adoptSetup(store, st) {
  const inline = inlineData(st);
  if (inline) store.inline = inline;
  const s = { ...fromSessionConfig(store.s, st.config), session: st.id, lesson: st.lesson ? st.lesson.id : "" };
  const changed = HYPER_KEYS.some((k) => s[k] !== store.s[k]) || s.session !== store.s.session || s.lesson !== store.s.lesson;
  const structural = STRUCTURAL_KEYS.some((k) => JSON.stringify(s[k]) !== JSON.stringify(store.s[k]));
  store.s = s;
  return changed || structural ? { changed, structural } : null;
}

/** A session made over the API with inline data: its rows, so a new architecture can re-use them (or null). */
export function inlineData(st) {
  if (!st.config.dataset.inputs) return null;
  const ds = st.dataset;
  return { spec: st.config.dataset, info: { task: ds.task, features: ds.features, targets: ds.targets, classes: ds.classes } };
}

/** Is the neuron or weight selected still in a network of these layer sizes? */
export function validSelection(sel, layers) {
  if (!sel) return false;
  if (sel.layer >= layers.length) return false;
  if (sel.kind === "neuron") return sel.index < layers[sel.layer];
  return sel.layer >= 1 && sel.row < layers[sel.layer] && sel.column < layers[sel.layer - 1];
}

/** Joining another session: what the store knew of the old one goes. */
export function leave(store, sessionId) {
  store.sessionId = sessionId;
  store.state = null;
  store.records = [];
  store.job = null;
  store.diverged = null;
  store.lesson = null;
  store.flags = [];
  store.diagnostics = null;
  store.landscapeJob = null;
}

/** Where the page reads a session's REST views: through its watch token when watching (the id is not known
 * there), else by its id. */
export function sessionPath(store, id) {
  return store.watch ? `/api/watch/${encodeURIComponent(store.watch)}` : `/api/sessions/${encodeURIComponent(id)}`;
}
