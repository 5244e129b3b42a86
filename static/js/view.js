// What the current phase shows, worked out from the server's records (no math: only which record holds what).
// The diagram and the math panel both draw from this one description, so they never disagree.

/**
 * @param {object} state    SessionState from the server
 * @param {Array}  records  the records of the pass being shown, indexed by position (update last, if shown)
 * @param {object} focus    FocusSample (x is the standardized input the network sees)
 */
export function phaseView(state, records, focus) {
  const layers = state.config.layers;
  const L = layers.length - 1;
  const P = 2 * L + 2;
  const shown = records.length - 1; // index of the last phase shown in this pass; −1: none yet
  const last = shown >= 0 ? records[shown] : null;
  const fwd = new Array(L + 1).fill(null); // fwd[l]: the forward record of layer l
  const bwd = new Array(L + 1).fill(null);
  let loss = null;
  let update = null;
  for (const rec of records) {
    if (!rec) continue;
    if (rec.phase === "forward") fwd[rec.layer] = rec;
    else if (rec.phase === "backward") bwd[rec.layer] = rec;
    else if (rec.phase === "loss") loss = rec;
    else if (rec.phase === "update") update = rec;
  }
  let mode = "idle";
  if (last) mode = last.phase;
  const input = fwd[1] ? fwd[1].a_prev : focus ? focus.x : null;

  // Neurons: a (forward, loss, update) or δ (backward) of the focus sample; null where not computed yet.
  const nodes = new Array(L + 1).fill(null);
  let nodeKind = "a";
  if (mode === "backward") {
    nodeKind = "δ";
    for (let l = 1; l <= L; l++) nodes[l] = bwd[l] ? bwd[l].delta : null;
  } else {
    nodes[0] = input;
    for (let l = 1; l <= L; l++) nodes[l] = fwd[l] ? fwd[l].a : null;
  }

  // Edges: the weights, except in the backward pass, where layers already reached show the batch ∂J/∂W.
  const edges = new Array(L + 1).fill(null);
  let edgeKind = "w";
  if (mode === "backward") {
    edgeKind = "∂J/∂w";
    for (let l = 1; l <= L; l++) edges[l] = bwd[l] ? bwd[l].grad_W : null;
  } else {
    // After the update, its record holds the new weights (the state that follows it says the same).
    for (let l = 1; l <= L; l++) edges[l] = update ? update.W[l - 1] : state.weights[l - 1];
  }
  // The weights before the update (for the animated transition and the math panel's w := w − η ∂J/∂w).
  const before = new Array(L + 1).fill(null);
  const biasBefore = new Array(L + 1).fill(null);
  for (let l = 1; l <= L; l++) {
    const rec = fwd[l] || bwd[l];
    before[l] = rec && rec.W ? rec.W : null;
    biasBefore[l] = fwd[l] && fwd[l].b ? fwd[l].b : null;
  }

  let activeLayer = null;
  if (mode === "forward" || mode === "backward") activeLayer = last.layer;
  else if (mode === "loss") activeLayer = L;

  return {
    L,
    P,
    layers,
    shown,
    last,
    label: last ? last.label : null,
    mode,
    fwd,
    bwd,
    loss,
    update,
    nodes,
    nodeKind,
    edges,
    edgeKind,
    before,
    biasBefore,
    activeLayer,
    playing: state.playing,
    pass: last ? last.pass : state.counters.pass,
    sample: state.example || focus, // the sample shown (a taught drawing during its pass): its raw inputs, its class
  };
}
