// Data the reducer tests share, built in code: a catalog in GET /api/catalog's shape (with an activation the
// page has never heard of, "gelu", to show that the page takes whatever the engine lists), and session states
// and records in the WebSocket protocol's shape.

const formula = (tex) => ({ tex, mathml: `<math><mtext>${tex}</mtext></math>` });

function activation(name, label, short, hidden = true) {
  const elementwise = name !== "softmax";
  return { name, label, formula: formula(`f_{${name}}(z)`), short, derivative: formula(`f'_{${name}}`), hidden, elementwise, seed_rule: null, outputs: null, hyperparameters: null };
}

function plain(name, label, extra = {}) {
  return { name, label, formula: formula(name), short: null, derivative: null, hidden: null, outputs: null, hyperparameters: null, ...extra };
}

export function catalog() {
  return {
    activations: [
      activation("sigmoid", "sigmoid", "σ"),
      activation("tanh", "tanh", "tanh"),
      activation("relu", "ReLU", "ReLU"),
      activation("gelu", "GELU", "GELU"),
      activation("linear", "linear", "lin"),
      activation("softmax", "softmax", "softmax", false),
    ],
    losses: [plain("half_sse", "½ Σ(ŷ−y)²"), plain("mse", "mean squared error"), plain("bce", "binary cross-entropy", { outputs: ["sigmoid", "softmax"] }), plain("cross_entropy", "cross-entropy", { outputs: ["softmax"] })],
    optimizers: [plain("sgd", "SGD", { hyperparameters: ["learning_rate"], seed_rule: true }), plain("momentum", "momentum", { hyperparameters: ["learning_rate", "momentum"] }), plain("adam", "Adam", { hyperparameters: ["learning_rate", "beta1", "beta2", "epsilon"] })],
    initializers: [plain("xavier", "Xavier (Glorot)"), plain("he", "He")],
    regularizations: [plain("none", "none"), plain("l1", "L1", { hyperparameters: ["rate"] }), plain("l2", "L2", { hyperparameters: ["rate"] })],
    datasets: ["circles", "xor", "sine"],
    closed_form_deltas: [
      { activation: "sigmoid", loss: "bce", formula: formula("\\delta^L = a^L - y") },
      { activation: "softmax", loss: "cross_entropy", formula: formula("\\delta^L = a^L - y") },
    ],
    chain_rule_delta: formula("\\delta^L = \\frac{\\partial J}{\\partial a^L} \\odot f'(z^L)"),
    defaults: {
      optimizer: "sgd",
      initializer: "xavier",
      regularization: "none",
      hidden_activation: "tanh",
      output_activation: { binary: "sigmoid", multiclass: "softmax", regression: "linear" },
      loss: { sigmoid: "bce", softmax: "cross_entropy" },
      loss_otherwise: "mse",
    },
  };
}

/** A SessionState of a 2-4-4-1 network on circles, at `pass` and `position`; `patch` overrides fields. */
export function sessionState({ id = "s1", layers = [2, 4, 4, 1], activations = ["tanh", "tanh", "sigmoid"], pass = 0, position = 0, playing = false, job = null, lr = 0.1, ...patch } = {}) {
  return {
    id,
    playing,
    focus: 0,
    pending_config: null,
    job,
    config: {
      layers,
      activations,
      loss: "bce",
      optimizer: { name: "sgd", learning_rate: lr },
      batch_size: 10,
      regularization: { kind: "none", rate: 0 },
      init: { scheme: "xavier", seed: 0 },
      seed: 0,
      dataset: { builtin: "circles", test_fraction: 0.2, seed: 0 },
    },
    counters: { pass, position, epoch: 0, label: "F1", timeline: [] },
    dataset: { task: "classification", features: ["x1", "x2"], targets: ["y"], classes: ["inner", "outer"], train_rows: 400 },
    metrics: {},
    ...patch,
  };
}

/** A phase record of pass `pass` at `position` (forward 1…L, loss, backward L…1, update). */
export function record(pass, position, phase = "forward") {
  return { pass, position, phase, label: `${phase}${position}`, layer: 1 };
}

export function snapshotEvent(state, visible = []) {
  return { type: "snapshot", state, visible, focus: { index: 0 }, data: { x: [] }, boundary: null, metrics: { per_pass: { pass: [1] }, per_epoch: { epoch: [] } } };
}

export function job(id, status, done, total = 100) {
  return { id, status, done, total, loss: null, eta_seconds: 1, message: null };
}
