// The page, wired: the store of what the server said (store.js), the renderer that follows it (render.js),
// the person's actions (actions.js), the page's chrome (chrome.js) and Plotly.js loaded when the page is quiet
// (plotlyloader.js). It fetches the engine's catalog, the data sets and a linked session at once, then builds
// or joins the session; its WebSocket's events go through the store's reducers to the screen.

import { ApiError, api } from "./transport.js";
import { label, shortName } from "./catalog.js";
import { createStore } from "./store.js";
import { Renderer } from "./render.js";
import { Actions } from "./actions.js";
import { PlotlyLoader } from "./plotlyloader.js";
import * as chrome from "./chrome.js";
import { Diagram } from "./diagram.js";
import { MathPanel } from "./mathpanel.js";
import { Controls } from "./controls.js";
import { GradChart, LossChart } from "./losschart.js";
import { DataView } from "./dataview.js";
import { ConfigPanel } from "./config.js";
import { WeightGallery } from "./gallery.js";
import { ImageView } from "./imageview.js";
import { Lessons } from "./lessons.js";
import { Insight } from "./insight.js";
import { perf } from "./perf.js";

const $ = (id) => document.getElementById(id);

// Requested as this module runs (it is `async`, before the document is parsed), in parallel: the catalog and
// the data sets (a session is built from both) and the session the link names. A rejection is handled where
// the answer is awaited; `.catch` here only keeps an unawaited one from being reported as unhandled.
const early = (promise) => {
  promise.catch(() => {});
  return promise;
};
const catalogRequest = early(api("GET", "/api/catalog"));
// A watch link (/watch/{token}, docs/protocol.md): the session is read through the token, never its id.
const watchMatch = /\/watch\/([^/?#]+)\/?$/.exec(location.pathname);
const watchToken = watchMatch ? decodeURIComponent(watchMatch[1]) : null;
// A watcher builds nothing, so it needs no data sets (and may hold the watch link and no access token).
const datasetsRequest = watchToken ? Promise.resolve({ builtin: [], uploaded: [] }) : early(api("GET", "/api/datasets"));
const linkedId = watchToken ? null : new URLSearchParams(location.search).get("session");
const linkedRequest = watchToken
  ? early(api("GET", `/api/watch/${encodeURIComponent(watchToken)}`))
  : linkedId
    ? early(api("GET", `/api/sessions/${encodeURIComponent(linkedId)}`))
    : null;

function domReady() {
  return document.readyState === "loading" ? new Promise((r) => document.addEventListener("DOMContentLoaded", r, { once: true })) : Promise.resolve();
}

/** The page's parts, each drawing into its element, and the renderer and actions that connect them. */
function build(store, plotly) {
  const catalog = store.catalog;
  const precision = () => store.s.prec;
  const activationName = (act, compact) => (compact ? shortName(catalog, act) : label(catalog.activations, act));
  let actions = null; // the parts' callbacks reach it once it exists (it needs the parts itself)
  const parts = {
    diagram: new Diagram($("diagram"), { onSelect: (sel, e) => actions.select(sel, e), precision, activationName }),
    math: new MathPanel($("math"), { catalog, precision, onEdit: (edit) => actions.editWeight(edit), onPickChange: (sel) => actions.select(sel) }),
    controls: new Controls({ send: (command) => actions.send(command), onSpeed: (speed) => actions.setSpeed(speed), onPlayToggle: (play) => actions.togglePlay(play) }),
    lossChart: new LossChart($("loss-chart"), $("loss-legend")),
    gradChart: new GradChart($("grad-chart"), $("grad-legend")),
    dataView: new DataView($("data-view"), $("data-caption"), { onFocus: (index) => actions.setFocus(index), legend: $("data-legend") }),
    gallery: new WeightGallery($("gallery"), { onSelect: (sel, e) => actions.select(sel, e) }),
    imageView: new ImageView($("image-view"), {
      fetchImages: (query) => actions.images(query),
      onFocus: (index, split) => actions.setFocus(index, split),
      predict: (pixels) => actions.predict(pixels),
      teach: (pixels, label) => actions.teach(pixels, label),
      add: (pixels, label) => actions.addExample(pixels, label),
    }),
    config: new ConfigPanel($("config"), {
      catalog,
      inline: () => store.inline,
      onArchitecture: (s) => actions.newSession(s),
      onHyper: (patch, s) => actions.setHyper(patch, s),
      onUpload: (file, target, task, imageShape) => actions.upload(file, target, task, imageShape),
    }),
  };
  let lessons = null; // made once the page is wired (it needs the set-up panel's toggle)
  let insight = null; // the diagnostics (made once the page is wired)
  const renderer = new Renderer(store, parts, { onFirstDiagram: () => plotly.whenQuiet(), onLesson: (step) => lessons && lessons.follow(step), onFollow: (change) => insight && insight.follow(change) });
  actions = new Actions(store, parts, renderer);
  const page = { parts, renderer, actions };
  page.startInsight = () => (insight = new Insight(store, page));
  page.startLessons = () => (lessons = new Lessons(store, page));
  return page;
}

/** The top bar, the train form and the banner's buttons. */
function wire(store, page) {
  const { parts, renderer, actions } = page;
  const { controls, lossChart, diagram, dataView } = parts;
  $("precision").value = store.s.prec;
  $("precision").addEventListener("change", (e) => {
    store.s.prec = e.target.value;
    chrome.writeLink(store);
    renderer.schedule("diagram");
  });
  controls.setSpeed(store.s.speed);
  $("log-scale").checked = store.s.log;
  lossChart.log = store.s.log;
  $("log-scale").addEventListener("change", (e) => {
    store.s.log = e.target.checked;
    lossChart.log = store.s.log;
    chrome.writeLink(store);
    renderer.schedule("charts");
  });
  $("train-form").addEventListener("submit", (e) => {
    e.preventDefault();
    actions.train(Number($("train-epochs").value));
  });
  $("cancel-job").addEventListener("click", () => actions.cancelJob());
  $("export").addEventListener("click", () => actions.exportSession());
  $("download-data").addEventListener("click", () => actions.downloadData());
  $("import").addEventListener("click", () => $("import-file").click());
  $("import-file").addEventListener("change", (e) => {
    const file = e.target.files[0];
    e.target.value = "";
    if (file) actions.importSession(file);
  });
  $("share").addEventListener("click", () => actions.share());
  $("watch-link").addEventListener("click", () => actions.watchLink());
  $("focus-index").addEventListener("change", (e) => {
    const v = Math.round(Number(e.target.value));
    if (Number.isFinite(v) && v >= 0) actions.setFocus(v);
  });
  const toggle = $("toggle-config");
  const showConfig = (show) => {
    $("layout").classList.toggle("no-config", !show);
    toggle.setAttribute("aria-expanded", String(show));
    toggle.setAttribute("aria-label", show ? "Hide the set-up panel" : "Show the set-up panel");
    window.dispatchEvent(new Event("resize"));
  };
  toggle.addEventListener("click", () => showConfig($("layout").classList.contains("no-config")));
  page.showConfig = showConfig;
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
    chrome.writeLink(store);
    renderer.schedule("diagram", "charts", "data");
  };
  big.addEventListener("click", () => setBig(!store.s.big));
  if (store.s.big) setBig(true);

  $("halve-lr").addEventListener("click", () => actions.halveLearningRate());
  $("dismiss-banner").addEventListener("click", () => actions.dismissDiverged());
  $("reconnect").addEventListener("click", () => actions.socket && actions.socket.retryNow());
}

async function start() {
  await domReady();
  if (watchToken) document.body.classList.add("watching"); // before anything draws: the hints depend on it
  let diagram = null;
  const plotly = new PlotlyLoader(document.body.dataset.plotly, () => Boolean(diagram && diagram.everDrawn));
  const plotlyLoaded = plotly.arm();
  let catalog, datasets;
  try {
    [catalog, datasets] = await Promise.all([catalogRequest, datasetsRequest]);
  } catch (err) {
    chrome.unreachable(err instanceof ApiError && err.status === 401 ? "this server needs an access token: open the page as /?token=<token>" : err.message);
    return;
  }
  const store = createStore(location.search, catalog);
  const page = build(store, plotly);
  const { parts, renderer, actions } = page;
  diagram = parts.diagram;
  // For the tests and bench/page_bench.py.
  window.__bpv = { store, perf, diagram, math: parts.math, lossChart: parts.lossChart, gradChart: parts.gradChart, gallery: parts.gallery, imageView: parts.imageView, get socket() { return actions.socket; } };
  wire(store, page);
  const lessons = page.startLessons();
  window.__bpv.lessons = lessons;
  window.__bpv.insight = page.startInsight();
  plotlyLoaded.then(
    () => {
      renderer.plotlyLoaded();
      window.__bpv.insight.plotlyLoaded();
    },
    (err) => chrome.notice(`${err.message}; reload the page.`, "error"),
  );
  if (watchToken) {
    document.body.classList.add("watching"); // the badge shows; the controls that change the session hide
    $("watching-badge").hidden = false;
    page.showConfig(false);
    await actions.watch(watchToken, datasets, linkedRequest);
    return;
  }
  await actions.open(datasets, linkedRequest);
}

start();
