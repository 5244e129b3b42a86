// The page's set-up as one object that serializes to the URL, so a link reproduces it (TensorFlow Playground's
// idea). `session` pins the link to a live session (several tabs stay in step); without it a fresh session is
// built from the rest. Names (activations, optimizers, …) and the engine's defaults come from its catalog
// (catalog.js); nothing here touches the DOM, so tests/js/ runs it in Node.

import { defaultOutputActivation, hiddenActivations, parameterOf, reads, takesRate } from "./catalog.js";

export const SPEEDS = ["1", "2", "5", "10", "30", "100", "max"];

export const DEFAULTS = Object.freeze({
  data: "circles", // a built-in name, or "upload" with `dataset` naming the uploaded CSV
  dataset: "",
  samples: null, // null: the data set's own default
  noise: null,
  classes: null,
  test: 0.2,
  dseed: 0,
  hidden: [4, 4],
  acts: null, // one per hidden layer: the engine's default hidden activation (catalog.defaults)
  aparams: null, // one per hidden layer: its activation's parameter (leaky ReLU's slope), null for the default
  out: "auto", // output activation; auto: the engine's default for the task (catalog.defaults)
  oparam: null, // the output activation's parameter, null for the default
  loss: "auto",
  opt: null, // the engine's default optimizer (catalog.defaults)
  lr: 0.1,
  mom: 0.9,
  batch: 10,
  reg: null, // the engine's default regularization (catalog.defaults): none
  rate: 0,
  init: null, // the engine's default initializer (catalog.defaults)
  iseed: 0,
  seed: 0,
  session: "",
  lesson: "", // the lesson the session follows (a teacher's link: /?lesson=<id>)
  hide: "", // controls the link hides, e.g. "dataset,layers" (controlgate.js)
  prec: "4",
  speed: "10",
  log: false,
  big: false, // larger text for a projector
});

const NUMBER_KEYS = ["samples", "noise", "classes", "test", "dseed", "lr", "mom", "batch", "rate", "iseed", "seed"];
const LIST_KEYS = ["hidden", "acts"];
const TEXT_KEYS = ["data", "dataset", "out", "loss", "opt", "reg", "init", "session", "lesson", "hide", "prec", "speed"];

/** A fresh copy of the defaults, with the catalog's defaults: its activation in every hidden layer, its
 * optimizer, regularization and initializer. */
export function defaults(catalog) {
  const hidden = [...DEFAULTS.hidden];
  const d = catalog.defaults;
  return structuredClone({
    ...DEFAULTS,
    hidden,
    acts: hidden.map(() => d.hidden_activation),
    aparams: hidden.map(() => null),
    opt: d.optimizer,
    reg: d.regularization,
    init: d.initializer,
  });
}

// Set-up keys that name a catalog entry, with the catalog list that holds their names.
const NAMED = { opt: "optimizers", reg: "regularizations", init: "initializers" };

/** The set-up a query string describes; unknown or malformed values (an activation the catalog does not list
 * for hidden layers, say) fall back to the defaults. */
export function fromQuery(search, catalog) {
  const q = new URLSearchParams(search);
  const s = defaults(catalog);
  for (const key of NUMBER_KEYS) {
    if (q.has(key) && q.get(key) !== "") {
      const v = Number(q.get(key));
      if (Number.isFinite(v)) s[key] = v;
    }
  }
  for (const key of TEXT_KEYS) if (q.has(key)) s[key] = q.get(key);
  for (const [key, list] of Object.entries(NAMED)) {
    if (!catalog[list].some((e) => e.name === s[key])) s[key] = defaults(catalog)[key];
  }
  if (q.has("hidden")) {
    const text = q.get("hidden");
    s.hidden = text === "" ? [] : text.split(",").map((v) => Math.max(1, Math.round(Number(v)) || 1));
  }
  if (q.has("acts")) {
    const known = hiddenActivations(catalog);
    s.acts = q.get("acts").split(",").filter((a) => known.includes(a));
  }
  while (s.acts.length < s.hidden.length) s.acts.push(s.acts[s.acts.length - 1] || catalog.defaults.hidden_activation);
  s.acts.length = s.hidden.length;
  if (q.has("aparams")) {
    const given = q.get("aparams").split(",");
    s.aparams = s.hidden.map((_, i) => parameterValue(given[i] ?? ""));
  }
  if (q.has("oparam")) s.oparam = parameterValue(q.get("oparam"));
  if (q.has("log")) s.log = q.get("log") === "1";
  if (q.has("big")) s.big = q.get("big") === "1";
  if (!SPEEDS.includes(s.speed)) s.speed = DEFAULTS.speed;
  if (!["2", "3", "4", "6", "8", "full"].includes(s.prec)) s.prec = DEFAULTS.prec;
  return s;
}

/** Each hidden layer's activation parameter, null where unset (`aparams` may be shorter than the layers). */
export function layerParameters(s) {
  return s.acts.map((_, i) => (s.aparams || [])[i] ?? null);
}

/** A parameter's value from the link: a finite number, or null (the activation's default). */
function parameterValue(text) {
  const v = text === "" || text === null ? NaN : Number(text);
  return Number.isFinite(v) ? v : null;
}

/** The query string of a set-up (the token, if the page was opened with one, is kept). */
export function toQuery(s, token, catalog) {
  const q = new URLSearchParams();
  q.set("data", s.data);
  if (s.data === "upload" && s.dataset) q.set("dataset", s.dataset);
  for (const key of ["samples", "noise", "classes"]) if (s[key] !== null && s[key] !== undefined) q.set(key, String(s[key]));
  q.set("test", String(s.test));
  q.set("dseed", String(s.dseed));
  q.set("hidden", s.hidden.join(","));
  q.set("acts", s.acts.join(","));
  const aparams = layerParameters(s);
  if (aparams.some((v) => v !== null)) q.set("aparams", aparams.map((v) => (v === null ? "" : String(v))).join(","));
  if (s.oparam !== null && s.oparam !== undefined) q.set("oparam", String(s.oparam));
  for (const key of ["out", "loss", "opt", "lr"]) q.set(key, String(s[key]));
  if (reads(catalog, s.opt, "momentum")) q.set("mom", String(s.mom));
  for (const key of ["batch", "reg", "rate", "init", "iseed", "seed"]) q.set(key, String(s[key]));
  if (s.session) q.set("session", s.session);
  if (s.lesson) q.set("lesson", s.lesson);
  if (s.hide) q.set("hide", s.hide);
  q.set("prec", s.prec);
  q.set("speed", s.speed);
  if (s.log) q.set("log", "1");
  if (s.big) q.set("big", "1");
  if (token) q.set("token", token);
  for (const key of LIST_KEYS) q.set(key, q.get(key)); // keep commas readable below
  return q.toString().replace(/%2C/g, ",");
}

/** The session-creation body (POST /api/sessions) for a set-up and the chosen data set's description. */
export function sessionBody(s, dataInfo, catalog) {
  const features = dataInfo.features.length;
  const task = dataInfo.task;
  const nClasses = dataInfo.classes ? dataInfo.classes.length : 0;
  let outputs = task === "classification" ? (nClasses > 2 ? nClasses : 1) : Math.max(1, dataInfo.targets?.length || 1);
  let outAct = s.out;
  if (outAct === "auto") outAct = defaultOutputActivation(catalog, task, outputs);
  // The several-class output (softmax) over two classes still needs one unit per class.
  if (task === "classification" && nClasses === 2 && outAct === catalog.defaults.output_activation.multiclass) outputs = 2;
  const body = {
    layers: [features, ...s.hidden, outputs],
    activations: [...s.acts, outAct],
    optimizer: { name: s.opt, learning_rate: s.lr },
    batch_size: s.batch,
    regularization: { kind: s.reg, rate: takesRate(catalog, s.reg) ? s.rate : 0 },
    init: { scheme: s.init, seed: s.iseed },
    seed: s.seed,
  };
  if (reads(catalog, s.opt, "momentum")) body.optimizer.momentum = s.mom;
  const options = activationOptions(catalog, [...s.acts, outAct], [...layerParameters(s), s.oparam ?? null]);
  if (options) body.activation_options = options;
  if (s.loss !== "auto") body.loss = s.loss;
  if (s.data === "upload") {
    body.dataset = { id: s.dataset, test_fraction: s.test, seed: s.dseed };
  } else if (s.data === "inline") {
    body.dataset = { ...dataInfo.spec, test_fraction: s.test, seed: s.dseed };
  } else {
    body.dataset = { builtin: s.data, test_fraction: s.test, seed: s.dseed };
    for (const key of ["samples", "noise", "classes"]) if (s[key] !== null && s[key] !== undefined) body.dataset[key] = s[key];
  }
  return body;
}

/** Each layer's {parameter: value} for the values set (null where the activation's default applies), or
 * null when no layer sets one — as POST /api/sessions takes `activation_options`. */
export function activationOptions(catalog, activations, values) {
  const options = activations.map((act, i) => {
    const p = parameterOf(catalog, act);
    return p && values[i] !== null && values[i] !== undefined ? { [p.name]: values[i] } : null;
  });
  return options.some((o) => o !== null) ? options : null;
}

/** The set-up a server-side session config describes (a shared link to a session adopts its set-up). */
export function fromSessionConfig(s, config) {
  const next = { ...s };
  const ds = config.dataset;
  if (ds.builtin) {
    next.data = ds.builtin;
    next.dataset = "";
    next.samples = ds.samples ?? null;
    next.noise = ds.noise ?? null;
    next.classes = ds.classes ?? null;
  } else if (ds.id) {
    next.data = "upload";
    next.dataset = ds.id;
  } else if (ds.inputs) {
    next.data = "inline"; // data given in the API request: a new session re-uses the same rows
    next.dataset = "";
  }
  next.test = ds.test_fraction ?? next.test;
  next.dseed = ds.seed ?? 0;
  next.hidden = config.layers.slice(1, -1);
  next.acts = config.activations.slice(0, -1);
  next.loss = config.loss;
  next.out = config.activations[config.activations.length - 1];
  const given = config.activation_options || [];
  const first = (o) => (o && Object.keys(o).length ? Object.values(o)[0] : null);
  next.aparams = next.acts.map((_, i) => first(given[i]));
  next.oparam = first(given[config.activations.length - 1]);
  next.opt = config.optimizer.name;
  next.lr = config.optimizer.learning_rate;
  next.mom = config.optimizer.momentum ?? next.mom;
  next.batch = config.batch_size;
  next.reg = config.regularization.kind;
  next.rate = config.regularization.rate;
  if (config.init && config.init.scheme) {
    next.init = config.init.scheme;
    next.iseed = config.init.seed;
  }
  next.seed = config.seed;
  return next;
}
