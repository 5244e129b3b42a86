// The page's chrome around the network: notices, the job bar, the divergence banner, the connection status,
// the counters in the top bar and the link in the address bar. Each function shows what it is given; the
// decisions (which job is news, when a divergence is over) are the store's.

import { duration, esc, fmt } from "./format.js";
import { toQuery } from "./state.js";

const $ = (id) => document.getElementById(id);

let noticeTimer = 0;

/** A message under the top bar that goes away by itself (errors stay longer and go to the console too). */
export function notice(message, kind = "info") {
  const el = $("notice");
  el.textContent = message;
  el.dataset.kind = kind;
  el.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => (el.hidden = true), kind === "error" ? 8000 : 4000);
  if (kind === "error") console.warn(`backprop-viz: ${message}`);
}

/** The job bar: progress, passes done, loss and ETA; the Cancel and Train buttons follow the job. */
export function showJob(job) {
  const running = job.status === "running";
  const bar = $("job-progress");
  bar.max = Math.max(1, job.total);
  bar.value = job.done;
  const pct = job.total ? Math.round((100 * job.done) / job.total) : 0;
  const loss = job.loss !== null && job.loss !== undefined ? ` · loss ${fmt(job.loss, "3")}` : "";
  let text;
  if (running) text = `${pct}% · pass ${job.done.toLocaleString("en")} of ${job.total.toLocaleString("en")}${loss} · ETA ${duration(job.eta_seconds)}`;
  else text = `${job.status}: ${job.done.toLocaleString("en")} of ${job.total.toLocaleString("en")} passes${loss}${job.message ? ` · ${job.message}` : ""}`;
  $("job-text").textContent = text;
  $("job-text").dataset.status = job.status;
  $("cancel-job").hidden = !running;
  $("train").disabled = running;
}

/** The banner that says training diverged, where, why, and what to do. */
export function showDiverged(info) {
  const banner = $("banner");
  const hint = info.hint ? info.hint.charAt(0).toUpperCase() + info.hint.slice(1) : "Lower the learning rate";
  $("banner-text").innerHTML = `<b>Training diverged at pass ${info.pass + 1}</b> (${esc(info.reason)}). The state shown is the one before that pass. ${esc(hint)}.`;
  banner.dataset.pass = String(info.pass);
  banner.hidden = false;
  window.dispatchEvent(new Event("resize")); // the banner takes height from the layout
}

export function hideDiverged() {
  if (!$("banner").hidden) {
    $("banner").hidden = true;
    window.dispatchEvent(new Event("resize"));
  }
}

const CONNECTION_TEXT = { connecting: "connecting…", open: "connected", reconnecting: "reconnecting…", refused: "refused", closed: "closed" };

/** The WebSocket's status in the top bar (and on <body data-conn>, which the tests wait for). */
export function showConnection(status, detail) {
  const el = $("conn");
  el.textContent = CONNECTION_TEXT[status] || status;
  el.dataset.state = status;
  el.title = detail || "";
  document.body.dataset.conn = status;
  $("reconnect").hidden = status !== "reconnecting";
}

/** Passes, epochs and the next phase; the latest losses and accuracy. */
export function showCounters(state) {
  const c = state.counters;
  // (The phase shown is on the timeline and in the diagram's title.)
  $("counters").innerHTML = `<span title="passes and epochs completed">passes <b>${c.pass}</b> · epochs <b>${c.epoch}</b></span> · next <b>${c.label}</b>`;
  const m = state.metrics;
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

/** The address bar holds the set-up, so a link reproduces it (never the access token: see transport.js). */
export function writeLink(store) {
  if (store.watch) return; // a watcher's address is the watch link itself
  const query = toQuery(store.s, store.catalog);
  if (location.search.slice(1) !== query) history.replaceState(null, "", `${location.pathname}?${query}`);
}

/** The server could not be reached at start-up (or refused the page): say why in place of the network. */
export function unreachable(why) {
  $("diagram-empty").textContent = `Cannot reach the server: ${why}`;
  $("config").innerHTML = `<p class="empty">The set-up needs the server.</p>`;
  showConnection("refused", "");
  notice(why, "error");
}
