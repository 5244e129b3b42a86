// The runs this browser created, for comparing them: each session the page builds (a set-up, a lesson, an import)
// is remembered in localStorage with its configuration, newest first, and a compared run is labelled by what
// differs from the session on screen ("η = 0.3", "layers 2-4-1"). No DOM: tests/js/ runs it in Node.

export const RUNS_KEY = "backprop-viz.runs";
export const MAX_RUNS = 30; // the oldest are forgotten beyond this (sessions expire on the server anyway)

/** The remembered runs, newest first ([] when the storage fails or holds junk). */
export function listRuns(storage) {
  try {
    const runs = JSON.parse(storage.getItem(RUNS_KEY) || "[]");
    return Array.isArray(runs) ? runs.filter((r) => r && typeof r.id === "string" && r.config && typeof r.config === "object") : [];
  } catch {
    return [];
  }
}

function save(storage, runs) {
  try {
    storage.setItem(RUNS_KEY, JSON.stringify(runs.slice(0, MAX_RUNS)));
  } catch {
    /* private mode or full: comparing is a convenience */
  }
}

/** Remember a session this browser created (its SessionState or SessionCreated answer). */
export function rememberRun(storage, state, now = Date.now()) {
  const c = state.config;
  const config = { layers: c.layers, activations: c.activations, loss: c.loss, optimizer: c.optimizer, batch_size: c.batch_size, regularization: c.regularization, init: c.init && c.init.scheme ? { scheme: c.init.scheme, seed: c.init.seed } : { scheme: "explicit" }, dataset: datasetOf(c.dataset), seed: c.seed, dtype: c.dtype };
  const entry = { id: state.id, created: now, config, lesson: state.lesson ? state.lesson.id : null, dataName: state.dataset ? state.dataset.name : null };
  save(storage, [entry, ...listRuns(storage).filter((r) => r.id !== state.id)]);
  return entry;
}

/** The data set's spec without inline rows (which can be large): what it is, not its numbers. */
function datasetOf(spec) {
  if (!spec) return {};
  if (spec.inputs) return { inline: true, rows: spec.inputs.length, task: spec.task };
  const { builtin, id, samples, noise, test_fraction, seed, classes } = spec;
  return { builtin, id, samples, noise, test_fraction, seed, classes };
}

/** Forget a run (its session is gone). */
export function forgetRun(storage, id) {
  save(storage, listRuns(storage).filter((r) => r.id !== id));
}

const num = (v) => (typeof v === "number" ? String(Number(v.toPrecision(4))) : String(v));
const OPT_NAMES = { sgd: "SGD", momentum: "momentum", adam: "Adam" };

/** A run's set-up in one line: "2-8-8-1 tanh · SGD η 0.1 · batch 10 · circles". */
export function setupText(config, dataName = null) {
  const acts = [...new Set(config.activations.slice(0, -1))].join("/") || config.activations[0];
  const opt = config.optimizer || {};
  const ds = config.dataset || {};
  const data = dataName || ds.builtin || (ds.inline ? "inline data" : "uploaded data");
  const reg = config.regularization && config.regularization.kind !== "none" ? ` · ${config.regularization.kind.toUpperCase()} λ ${num(config.regularization.rate)}` : "";
  return `${config.layers.join("-")} ${acts} · ${OPT_NAMES[opt.name] || opt.name} η ${num(opt.learning_rate)} · batch ${config.batch_size}${reg} · ${data}`;
}

/**
 * What differs between the run on screen (`base`) and another (`other`), as short labels in the seed's notation:
 * ["η = 0.3", "batch 32"]. The learning rate, optimizer, layers, activations, batch, regularization, loss,
 * initialization, data and seeds are compared, in that order.
 */
export function differences(base, other) {
  const out = [];
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  const bo = base.optimizer || {};
  const oo = other.optimizer || {};
  if (bo.name !== oo.name) out.push(OPT_NAMES[oo.name] || oo.name);
  if (bo.learning_rate !== oo.learning_rate) out.push(`η = ${num(oo.learning_rate)}`);
  if (oo.name === "momentum" && bo.name === "momentum" && bo.momentum !== oo.momentum) out.push(`μ = ${num(oo.momentum)}`);
  if (!same(base.layers, other.layers)) out.push(`layers ${other.layers.join("-")}`);
  if (!same(base.activations, other.activations)) out.push([...new Set(other.activations.slice(0, -1))].join("/") + (base.activations.at(-1) !== other.activations.at(-1) ? ` → ${other.activations.at(-1)}` : ""));
  if (base.batch_size !== other.batch_size) out.push(`batch ${other.batch_size}`);
  if (!same(base.regularization, other.regularization)) {
    const r = other.regularization || { kind: "none" };
    out.push(r.kind === "none" ? "no regularization" : `${r.kind.toUpperCase()} λ = ${num(r.rate)}`);
  }
  if (base.loss !== other.loss) out.push(other.loss.replaceAll("_", " "));
  const bi = base.init || {};
  const oi = other.init || {};
  if (bi.scheme !== oi.scheme) out.push(`${oi.scheme} init`);
  const bd = base.dataset || {};
  const od = other.dataset || {};
  if ((bd.builtin || bd.id) !== (od.builtin || od.id)) out.push(od.builtin || "other data");
  else {
    if (bd.noise !== od.noise && od.noise !== undefined) out.push(`noise ${num(od.noise)}`);
    if (bd.samples !== od.samples && od.samples !== undefined) out.push(`${od.samples} samples`);
    if (bd.seed !== od.seed) out.push(`data seed ${od.seed}`);
  }
  if (bi.seed !== oi.seed && bi.scheme === oi.scheme) out.push(`init seed ${oi.seed}`);
  if (base.seed !== other.seed) out.push(`seed ${other.seed}`);
  return out;
}

/** A compared run's label on the loss chart: what differs, or its set-up when nothing does. */
export function runLabel(base, other, max = 3) {
  const diff = differences(base, other);
  if (!diff.length) return "same set-up";
  return diff.length > max ? `${diff.slice(0, max).join(", ")} …` : diff.join(", ");
}

/** A time as "14:05" today, else "3 Dec 14:05". */
export function when(created, now = Date.now()) {
  const d = new Date(created);
  const hm = `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
  return new Date(now).toDateString() === d.toDateString() ? hm : `${d.getDate()} ${d.toLocaleString("en", { month: "short" })} ${hm}`;
}
