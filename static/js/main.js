// The page: builds or joins a session, listens to its WebSocket, and draws what the server sends. It keeps
// one store of the server's latest messages and redraws from it at most once per animation frame.

import { ApiError, SessionSocket, api, download, token } from "./transport.js";
import { defaults, fromQuery, fromSessionConfig, sessionBody, toQuery } from "./state.js";
import { duration, esc, fmt } from "./format.js";
import { Diagram, outputNames } from "./diagram.js";
import { MathPanel } from "./mathpanel.js";
import { Controls } from "./controls.js";
import { GradChart, LossChart } from "./losschart.js";
import { DataView } from "./dataview.js";
import { ConfigPanel } from "./config.js";
import { frame, perf, push } from "./perf.js";
import { phaseView } from "./view.js";

const CHART_INTERVAL_PLAYING = 300; // ms between loss-chart redraws while playing (the diagram gets every frame)
const DATA_INTERVAL_PLAYING = 120;
const PLOTLY_QUIET = 700; // ms without input after the diagram is drawn: then Plotly.js is evaluated
const PLOTLY_AT_LATEST = 4000; // ms after start: evaluate it anyway

const $ = (id) => document.getElementById(id);

const store = {
  s: fromQuery(location.search), // the set-up (mirrors the URL)
  state: null, // SessionState
  records: [], // records of the pass shown, by position
  focus: null,
  data: null,
  boundary: null,
  selection: null,
  tween: false,
  job: null,
  diverged: null,
  socket: null,
  sessionId: null,
  dirty: { diagram: false, charts: false, data: false },
};

// -- drawing ---------------------------------------------------------------------------------------------
// The parts are built once the document is parsed (this module runs early, `async`, so the session is created
// and its WebSocket opened at once; Plotly.js is evaluated later, see startPlotly).
const precision = () => store.s.prec;
let diagram, math, controls, lossChart, gradChart, dataView, config;

function build() {
  diagram = new Diagram($("diagram"), { onSelect: select, precision });
  math = new MathPanel($("math"), { precision, onEdit: editWeight, onPickChange: select });
  controls = new Controls({ send, onSpeed: setSpeed, onPlayToggle: togglePlay });
  lossChart = new LossChart($("loss-chart"), $("loss-legend"));
  gradChart = new GradChart($("grad-chart"), $("grad-legend"));
  dataView = new DataView($("data-view"), $("data-caption"), { onFocus: setFocus, legend: $("data-legend") });
  config = new ConfigPanel($("config"), { onArchitecture: newSession, onHyper: setHyper, onUpload: upload });
}

let frameRequest = 0;
let lastCharts = 0;
let lastData = 0;
let plotlyLoaded = false;

function schedule(...parts) {
  for (const part of parts) store.dirty[part] = true;
  if (!frameRequest) frameRequest = requestAnimationFrame(draw);
}

/**
 * Plotly.js is preloaded by the page (<link rel="preload">) but evaluated only once the diagram is on screen and
 * the person has not touched anything for PLOTLY_QUIET ms (at the latest PLOTLY_AT_LATEST ms after start):
 * evaluating its 4.8 MB blocks the main thread for about a second on a modest machine, and the diagram, the
 * controls and the equations do not need it — only the loss charts, the data view and the diagram's titles do.
 * So the first clicks are answered at once, and the charts appear while the person reads.
 */
let plotlyStarted = false;
let plotlyTimer = 0;
let plotlyResolve;
const plotlyLoadedPromise = new Promise((resolve, reject) => {
  plotlyResolve = { resolve, reject };
});

function startPlotly() {
  if (plotlyStarted) return;
  plotlyStarted = true;
  clearTimeout(plotlyTimer);
  if (window.Plotly) {
    plotlyResolve.resolve();
    return;
  }
  const script = document.createElement("script");
  script.src = document.body.dataset.plotly;
  script.onload = () => plotlyResolve.resolve();
  script.onerror = () => plotlyResolve.reject(new Error("Plotly.js did not load from /vendor/plotly.min.js"));
  document.head.append(script);
}

/** (Re)start the quiet-time countdown; called when the diagram is first drawn and on every input. */
function plotlyWhenQuiet() {
  if (plotlyStarted || !diagram.everDrawn) return;
  clearTimeout(plotlyTimer);
  plotlyTimer = setTimeout(startPlotly, PLOTLY_QUIET);
}

function plotlyReady() {
  setTimeout(startPlotly, PLOTLY_AT_LATEST);
  for (const type of ["pointerdown", "keydown", "wheel"]) document.addEventListener(type, plotlyWhenQuiet, { capture: true, passive: true });
  return plotlyLoadedPromise;
}

function domReady() {
  return document.readyState === "loading" ? new Promise((r) => document.addEventListener("DOMContentLoaded", r, { once: true })) : Promise.resolve();
}

function draw(now) {
  frameRequest = 0;
  const st = store.state;
  if (!st) return;
  const playing = st.playing;
  const firstDiagram = !diagram.everDrawn && store.dirty.diagram;
  if (store.dirty.diagram) {
    store.dirty.diagram = false;
    const view = phaseView(st, store.records, store.focus);
    frame(() => {
      if (store.tween && !playing) diagram.tween(view, store.selection);
      else if (diagram.tweening && diagram.tweenKey === `${view.pass}|${view.label}`) diagram.pendingView = [view, store.selection]; // same phase: drawn when the tween ends
      else {
        diagram.stopTween(); // the person stepped on: show the new phase now, not after the transition
        diagram.render(view, store.selection);
      }
      store.tween = false;
      math.render(mathContext(view));
    });
    if (store.selectedAt) {
      push(perf.select, performance.now() - store.selectedAt);
      store.selectedAt = 0;
    }
    controls.renderTimeline(st.counters.timeline, view.shown, view.pass);
    document.body.dataset.shown = view.label || "";
    document.body.dataset.pass = String(st.counters.pass);
    renderCounters(view);
    $("diagram-empty").hidden = true;
  }
  let again = false;
  if (firstDiagram) {
    // The first frame draws only the network; Plotly.js and the charts follow.
    document.body.dataset.ready = "1";
    requestAnimationFrame(plotlyWhenQuiet); // after this frame is on screen
    return;
  }
  if (!plotlyLoaded) return; // the charts are drawn once Plotly.js has loaded (the diagram does not wait)
  if (store.dirty.charts) {
    if (!playing || now - lastCharts > CHART_INTERVAL_PLAYING) {
      store.dirty.charts = false;
      lastCharts = now;
      lossChart.render();
      gradChart.render(st.config.layers.length - 1, { pass: st.counters.pass, playing, job: Boolean(store.job && store.job.status === "running") });
    } else again = true;
  }
  if (store.dirty.data) {
    if (!playing || now - lastData > DATA_INTERVAL_PLAYING) {
      store.dirty.data = false;
      lastData = now;
      dataView.set(st.dataset, store.data, store.boundary, store.focus);
      dataView.render();
    } else again = true;
  }
  if (again) frameRequest = requestAnimationFrame(draw);
  document.body.dataset.ready = "1";
}

function mathContext(view) {
  const st = store.state;
  const ds = st.dataset;
  const L = st.config.layers.length - 1;
  const names = (l) => (l === 0 ? ds.features : l === L ? outputNames(ds, st.config.layers[L]) : null);
  return {
    view,
    state: st,
    focus: store.focus,
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

function renderCounters(view) {
  const c = store.state.counters;
  const next = c.label;
  // (The phase shown is on the timeline and in the diagram's title.)
  $("counters").innerHTML = `<span title="passes and epochs completed">passes <b>${c.pass}</b> · epochs <b>${c.epoch}</b></span> · next <b>${next}</b>`;
  const m = store.state.metrics;
  const parts = [];
  if (m.batch_loss !== null && m.batch_loss !== undefined) parts.push(`batch J ${fmt(m.batch_loss, "3")}`);
  if (m.train_loss !== null && m.train_loss !== undefined) parts.push(`train J ${fmt(m.train_loss, "3")}`);
  if (m.test_loss !== null && m.test_loss !== undefined) parts.push(`test J ${fmt(m.test_loss, "3")}`);
  if (m.test_accuracy !== null && m.test_accuracy !== undefined) parts.push(`test acc ${(100 * m.test_accuracy).toFixed(1)}%`);
  const latest = parts.join(" · ");
  if ($("latest").textContent !== latest) {
    $("latest").textContent = latest;
    $("latest").title = latest;
  }
}

// -- server events ---------------------------------------------------------------------------------------
function onEvent(ev) {
  switch (ev.type) {
    case "snapshot":
      return onSnapshot(ev);
    case "phase":
      return onPhase(ev.record);
    case "metrics":
      if (ev.replace) lossChart.replace(ev.per_pass, ev.per_epoch);
      else lossChart.extend(ev.per_pass, ev.per_epoch);
      return schedule("charts");
    case "state":
      return onState(ev);
    case "job":
      return onJob(ev.job);
    case "diverged":
      showDiverged(ev.diverged);
      return onState({ state: ev.state });
    case "error":
      notice(ev.message, "error");
      return undefined;
    default:
      return undefined;
  }
}

function onSnapshot(ev) {
  const first = !store.state;
  const st = ev.state;
  const architectureChanged = !store.state || store.state.id !== st.id || store.state.config.layers.join() !== st.config.layers.join() || store.state.config.activations.join() !== st.config.activations.join();
  store.state = st;
  store.records = ev.visible.slice();
  store.focus = ev.focus;
  store.data = ev.data;
  store.boundary = ev.boundary;
  lossChart.classification = st.dataset.task === "classification";
  lossChart.replace(ev.metrics.per_pass, ev.metrics.per_epoch);
  gradChart.truncate(st.counters.pass);
  for (const rec of store.records) gradChart.add(rec);
  if (architectureChanged) {
    diagram.setNetwork(st.config, st.dataset);
    const L = st.config.layers.length - 1;
    if (!validSelection(store.selection, st.config.layers)) store.selection = { kind: "neuron", layer: L, index: 0 };
  }
  adoptConfig(st);
  afterState(st);
  if (first) perf.snapshotAt = performance.now();
  schedule("diagram", "charts", "data");
}

function onPhase(record) {
  if (record.position === 0 || store.records.length === 0 || store.records[0].pass !== record.pass) store.records = [];
  store.records[record.position] = record;
  store.records.length = record.position + 1;
  gradChart.add(record);
  if (record.phase === "update") store.tween = true;
  if (record.phase === "backward") schedule("charts");
  schedule("diagram");
}

function onState(ev) {
  const st = ev.state;
  const previous = store.state;
  store.state = st;
  const p = st.counters.position;
  if (ev.visible) {
    store.records = ev.visible.slice();
    store.tween = false;
    gradChart.truncate(st.counters.pass);
    for (const rec of store.records) gradChart.add(rec);
    schedule("charts");
  } else if (p > 0) {
    if (store.records.length !== p || (store.records[0] && store.records[0].pass !== st.counters.pass)) store.records = store.records.slice(0, p);
  } else {
    const last = store.records[store.records.length - 1];
    if (!(last && last.phase === "update" && last.pass === st.counters.pass - 1)) store.records = [];
  }
  if (ev.focus) store.focus = ev.focus;
  if (ev.boundary) {
    store.boundary = ev.boundary;
    schedule("data");
  }
  if (ev.focus) schedule("data");
  if (previous && previous.playing !== st.playing) schedule("charts");
  adoptConfig(st);
  afterState(st);
  schedule("diagram");
}

function afterState(st) {
  controls.setPlaying(st.playing);
  config.setPending(st.pending_config);
  if (st.job) onJob(st.job);
  else if (store.job && store.job.status === "running") onJob({ ...store.job, status: "done" });
  const focusInput = $("focus-index");
  focusInput.max = String(st.dataset.train_rows - 1);
  if (document.activeElement !== focusInput) focusInput.value = String(st.focus);
  if (!st.playing && store.diverged && st.counters.pass > store.diverged.pass + 1) hideDiverged();
}

/** Hyperparameters changed elsewhere (another tab, REST) show in the panel and the link. */
/** A session made over the API with inline data: remember the rows, so a new architecture can re-use them. */
function rememberInline(st) {
  if (!st.config.dataset.inputs) return;
  const ds = st.dataset;
  config.inline = { spec: st.config.dataset, info: { task: ds.task, features: ds.features, targets: ds.targets, classes: ds.classes } };
}

function adoptConfig(st) {
  rememberInline(st);
  const s = fromSessionConfig(store.s, st.config);
  s.session = st.id;
  const changed = ["opt", "lr", "mom", "batch", "reg", "rate"].some((k) => s[k] !== store.s[k]) || s.session !== store.s.session;
  const structural = ["data", "dataset", "hidden", "acts", "out", "loss", "init", "iseed", "seed", "test", "dseed", "samples", "noise", "classes"].some((k) => JSON.stringify(s[k]) !== JSON.stringify(store.s[k]));
  store.s = s;
  if (changed || structural) {
    writeURL();
    const panel = $("config");
    if (!panel.contains(document.activeElement) || structural) config.render(store.s);
  }
}

function onJob(job) {
  // The REST answer that started a job can arrive after the job's first WebSocket events: never go back.
  const known = store.job;
  if (known && known.id === job.id && (known.status !== "running" ? job.status === "running" : job.status === "running" && job.done < known.done)) return;
  store.job = job;
  const running = job.status === "running";
  const bar = $("job-progress");
  bar.max = Math.max(1, job.total);
  bar.value = job.done;
  const pct = job.total ? Math.round((100 * job.done) / job.total) : 0;
  let text;
  const loss = job.loss !== null && job.loss !== undefined ? ` · loss ${fmt(job.loss, "3")}` : "";
  if (running) text = `${pct}% · pass ${job.done.toLocaleString("en")} of ${job.total.toLocaleString("en")}${loss} · ETA ${duration(job.eta_seconds)}`;
  else text = `${job.status}: ${job.done.toLocaleString("en")} of ${job.total.toLocaleString("en")} passes${loss}${job.message ? ` · ${job.message}` : ""}`;
  $("job-text").textContent = text;
  $("job-text").dataset.status = job.status;
  $("cancel-job").hidden = !running;
  $("train").disabled = running;
  const wasRunning = controls.disabledFor === "job";
  controls.setDisabled(running, running ? "a training job is running: wait for it or cancel it" : "");
  controls.disabledFor = running ? "job" : "";
  if (wasRunning !== running) schedule("charts");
}

function showDiverged(info) {
  store.diverged = info;
  const banner = $("banner");
  const hint = info.hint ? info.hint.charAt(0).toUpperCase() + info.hint.slice(1) : "Lower the learning rate";
  $("banner-text").innerHTML = `<b>Training diverged at pass ${info.pass + 1}</b> (${esc(info.reason)}). The state shown is the one before that pass. ${esc(hint)}.`;
  banner.dataset.pass = String(info.pass);
  banner.hidden = false;
  window.dispatchEvent(new Event("resize")); // the banner takes height from the layout
}

function hideDiverged() {
  store.diverged = null;
  if (!$("banner").hidden) {
    $("banner").hidden = true;
    window.dispatchEvent(new Event("resize"));
  }
}

// -- commands ---------------------------------------------------------------------------------------------
function send(command) {
  if (!store.socket) return;
  if (store.diverged && (command.type === "reset" || command.type === "back")) hideDiverged();
  store.socket.send(command);
}

function select(selection, event) {
  store.selection = selection;
  if (event && event.timeStamp) store.selectedAt = event.timeStamp;
  schedule("diagram");
}

function validSelection(sel, layers) {
  if (!sel) return false;
  if (sel.layer >= layers.length) return false;
  if (sel.kind === "neuron") return sel.index < layers[sel.layer];
  return sel.layer >= 1 && sel.row < layers[sel.layer] && sel.column < layers[sel.layer - 1];
}

function editWeight(edit) {
  send({ type: "edit_weight", ...edit });
}

function setFocus(index) {
  send({ type: "focus", index });
}

function togglePlay(play) {
  if (play) send({ type: "play", speed: store.s.speed === "max" ? "max" : Number(store.s.speed) });
  else send({ type: "pause" });
  controls.setPlaying(play); // at once; the state event confirms
}

function setSpeed(speed) {
  store.s.speed = speed;
  writeURL();
  if (store.state && store.state.playing) send({ type: "play", speed: speed === "max" ? "max" : Number(speed) });
}

function setHyper(patch, s) {
  store.s = { ...s, session: store.s.session };
  writeURL();
  send({ type: "set", ...patch });
}

function writeURL() {
  const query = toQuery(store.s, token);
  if (location.search.slice(1) !== query) history.replaceState(null, "", `${location.pathname}?${query}`);
}

// -- sessions ---------------------------------------------------------------------------------------------
async function newSession(s) {
  const info = config.dataInfo(s);
  if (!info) {
    notice(`the data set ${s.data === "upload" ? s.dataset : s.data} is not available; pick another one`, "error");
    return false;
  }
  try {
    const created = await api("POST", "/api/sessions", sessionBody(s, info));
    store.s = { ...s, session: created.id };
    join(created.id);
    writeURL();
    config.render(store.s);
    return true;
  } catch (err) {
    notice(err.message, "error");
    config.render(store.s); // back to the set-up that runs
    return false;
  }
}

function join(sessionId) {
  if (store.socket) store.socket.close();
  store.sessionId = sessionId;
  store.state = null;
  store.records = [];
  store.job = null;
  hideDiverged();
  gradChart.clear();
  store.socket = new SessionSocket(sessionId, { onEvent, onStatus });
  window.__bpv.socket = store.socket;
}

function onStatus(status, detail) {
  const el = $("conn");
  const text = { connecting: "connecting…", open: "connected", reconnecting: "reconnecting…", refused: "refused", closed: "closed" }[status] || status;
  el.textContent = text;
  el.dataset.state = status;
  el.title = detail || "";
  document.body.dataset.conn = status;
  $("reconnect").hidden = status !== "reconnecting";
  if (status === "refused" && detail) {
    notice(detail, "error");
    if (/session/.test(detail) && /(expired|deleted|does not exist|no session)/i.test(detail)) {
      notice("This session is gone (expired or deleted); starting a new one with the same set-up.", "info");
      newSession({ ...store.s, session: "" });
    }
  }
}

async function upload(file, target, task) {
  const form = new FormData();
  form.append("file", file);
  if (target !== "") form.append("target", target);
  form.append("task", task);
  try {
    notice(`Uploading ${file.name}…`, "info");
    const info = await api("POST", "/api/datasets", form);
    const list = await api("GET", "/api/datasets");
    config.setDatasets(list);
    const s = { ...store.s, data: "upload", dataset: info.id, out: "auto", loss: "auto", samples: null, noise: null, classes: null };
    if (await newSession(s)) notice(`Using ${info.name}: ${info.rows} rows, ${info.features.length} features${info.classes ? `, classes ${info.classes.join(", ")}` : ""}.`, "info");
  } catch (err) {
    notice(err.message, "error");
  }
}

async function train(e) {
  e.preventDefault();
  const epochs = Number($("train-epochs").value);
  if (!Number.isFinite(epochs) || epochs < 1 || !store.sessionId) return;
  try {
    if (store.state && store.state.playing) send({ type: "pause" });
    const job = await api("POST", `/api/sessions/${store.sessionId}/train`, { epochs: Math.round(epochs) });
    onJob(job);
  } catch (err) {
    notice(err.message, "error");
  }
}

async function cancelJob() {
  if (!store.job) return;
  try {
    onJob(await api("DELETE", `/api/sessions/${store.sessionId}/jobs/${store.job.id}`));
  } catch (err) {
    notice(err.message, "error");
  }
}

async function importSession(file) {
  try {
    const text = await file.text();
    const created = await api("POST", "/api/sessions/import", text);
    const list = await api("GET", "/api/datasets");
    config.setDatasets(list);
    store.s = { ...fromSessionConfig(store.s, created.config), session: created.id };
    join(created.id);
    writeURL();
    config.render(store.s);
    notice("Imported: a new session continues from the exported state.", "info");
  } catch (err) {
    notice(err.message, "error");
  }
}

let noticeTimer = 0;
function notice(message, kind = "info") {
  const el = $("notice");
  el.textContent = message;
  el.dataset.kind = kind;
  el.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => (el.hidden = true), kind === "error" ? 8000 : 4000);
  if (kind === "error") console.warn(`backprop-viz: ${message}`);
}

// -- start ------------------------------------------------------------------------------------------------
function wire() {
  $("precision").value = store.s.prec;
  $("precision").addEventListener("change", (e) => {
    store.s.prec = e.target.value;
    writeURL();
    schedule("diagram");
  });
  controls.setSpeed(store.s.speed);
  $("log-scale").checked = store.s.log;
  lossChart.log = store.s.log;
  $("log-scale").addEventListener("change", (e) => {
    store.s.log = e.target.checked;
    lossChart.log = store.s.log;
    writeURL();
    schedule("charts");
  });
  $("train-form").addEventListener("submit", train);
  $("cancel-job").addEventListener("click", cancelJob);
  $("export").addEventListener("click", async () => {
    if (!store.sessionId) return;
    try {
      await download(`/api/sessions/${store.sessionId}/export`, `backprop-viz-session-${store.sessionId.slice(0, 8)}.json`);
    } catch (err) {
      notice(err.message, "error");
    }
  });
  $("import").addEventListener("click", () => $("import-file").click());
  $("import-file").addEventListener("change", (e) => {
    const file = e.target.files[0];
    e.target.value = "";
    if (file) importSession(file);
  });
  $("share").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(location.href);
      notice("Link copied: it opens this set-up (and, while it lives, this session).", "info");
    } catch {
      notice(`Copy this link: ${location.href}`, "info");
    }
  });
  $("focus-index").addEventListener("change", (e) => {
    const v = Math.round(Number(e.target.value));
    if (Number.isFinite(v) && v >= 0) setFocus(v);
  });
  const toggle = $("toggle-config");
  const showConfig = (show) => {
    $("layout").classList.toggle("no-config", !show);
    toggle.setAttribute("aria-expanded", String(show));
    toggle.setAttribute("aria-label", show ? "Hide the set-up panel" : "Show the set-up panel");
    window.dispatchEvent(new Event("resize"));
  };
  toggle.addEventListener("click", () => showConfig($("layout").classList.contains("no-config")));
  if (window.innerWidth < 1200) showConfig(false); // a projector's 1024 px: the network and equations first

  // Larger text for a projector: every text grows (rem units, and the charts and the diagram follow), and the
  // set-up panel folds away to make room (the ☰ button brings it back).
  const big = $("big");
  const setBig = (on, fold = true) => {
    store.s.big = on;
    document.documentElement.classList.toggle("big", on);
    big.setAttribute("aria-pressed", String(on));
    big.setAttribute("aria-label", "Larger text for a projector");
    if (fold) showConfig(!on && window.innerWidth >= 1200);
    diagram.restyle();
    dataView.plotKey = "";
    writeURL();
    schedule("diagram", "charts", "data");
  };
  big.addEventListener("click", () => setBig(!store.s.big));
  if (store.s.big) setBig(true);

  $("halve-lr").addEventListener("click", () => {
    const lr = store.state.config.optimizer.learning_rate / 2;
    setHyper({ learning_rate: lr }, { ...store.s, lr });
    hideDiverged();
  });
  $("dismiss-banner").addEventListener("click", hideDiverged);
  $("reconnect").addEventListener("click", () => store.socket && store.socket.retryNow());
}

async function start() {
  await domReady();
  build();
  window.__bpv = { store, perf, diagram, math, lossChart, gradChart, socket: null };
  wire();
  plotlyReady().then(
    () => {
      plotlyLoaded = true;
      schedule("diagram", "charts", "data");
    },
    (err) => notice(`${err.message}; reload the page.`, "error"),
  );
  let list;
  try {
    list = await api("GET", "/api/datasets");
  } catch (err) {
    const why = err instanceof ApiError && err.status === 401 ? "this server needs an access token: open the page as /?token=<token>" : err.message;
    $("diagram-empty").textContent = `Cannot reach the server: ${why}`;
    $("config").innerHTML = `<p class="empty">The set-up needs the server.</p>`;
    onStatus("refused", "");
    notice(why, "error");
    return;
  }
  config.setDatasets(list);
  if (store.s.session) {
    try {
      const st = await api("GET", `/api/sessions/${encodeURIComponent(store.s.session)}`);
      rememberInline(st);
      store.s = { ...fromSessionConfig(store.s, st.config), session: st.id };
      config.render(store.s);
      writeURL();
      join(st.id);
      return;
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) notice(err.message, "error");
      else notice("The session in the link is gone (expired or deleted); starting a new one with the same set-up.", "info");
    }
  }
  if (!config.dataInfo(store.s)) store.s = { ...defaults(), prec: store.s.prec, speed: store.s.speed, log: store.s.log };
  config.render(store.s);
  if (!(await newSession({ ...store.s, session: "" }))) {
    store.s = { ...defaults(), prec: store.s.prec };
    await newSession(store.s);
  }
}

start();
