// The engine's catalog (GET /api/catalog) as the page reads it: the names its menus offer, their labels, the
// diagram's short names, the formulas (TeX and MathML) and the defaults. The page keeps no list of its own, so
// an activation, loss or optimizer the engine adds appears in the menus and the equations with no page change.
// Pure functions of the catalog's JSON: no DOM, so tests/js/ runs them in Node.

/** The entry named `name` in one of the catalog's lists (catalog.activations, .losses, …), or null. */
export function entry(list, name) {
  return list.find((e) => e.name === name) || null;
}

/** How menus name a choice: its label, or the name itself when the catalog does not list it. */
export function label(list, name) {
  const e = entry(list, name);
  return e ? e.label : name;
}

/** The activations a hidden layer may use (softmax, say, is for the output layer only). */
export function hiddenActivations(catalog) {
  return catalog.activations.filter((a) => a.hidden).map((a) => a.name);
}

/** An activation's name in a layer title when the columns are close together ("σ", "lReLU", …). */
export function shortName(catalog, activation) {
  const e = entry(catalog.activations, activation);
  return e && e.short ? e.short : activation;
}

/** The pairing of output activation and loss whose δ^L the seed writes in closed form (a^L − y), or null. */
export function closedFormDelta(catalog, activation, loss) {
  return catalog.closed_form_deltas.find((p) => p.activation === activation && p.loss === loss) || null;
}

/** The output activation the engine picks for a task: one unit of a classifier, several, or a regression. */
export function defaultOutputActivation(catalog, task, outputs) {
  const by = catalog.defaults.output_activation;
  if (task === "classification") return outputs === 1 ? by.binary : by.multiclass;
  return by.regression;
}

/** Does the optimizer read this setting (e.g. "momentum")? */
export function reads(catalog, optimizer, setting) {
  const e = entry(catalog.optimizers, optimizer);
  return Boolean(e && e.hyperparameters && e.hyperparameters.includes(setting));
}

/** Does this regularization take a rate λ (every kind but "none")? */
export function takesRate(catalog, regularization) {
  const e = entry(catalog.regularizations, regularization);
  return Boolean(e && e.hyperparameters && e.hyperparameters.includes("rate"));
}

/** Is the optimizer's step the seed's own −η ∂J/∂W, so the update can be written with its numbers? */
export function seedRule(catalog, optimizer) {
  const e = entry(catalog.optimizers, optimizer);
  return Boolean(e && e.seed_rule);
}

/** Does the activation act on each z_k alone, so δ^L = ∂J/∂a ⊙ f'(z) term by term (not softmax)? */
export function elementwise(catalog, activation) {
  const e = entry(catalog.activations, activation);
  return Boolean(e && e.elementwise);
}

/** The first number an activation's formula holds (leaky ReLU's slope, ELU's α), or null: the page offers it
 * beside the layer's activation menu. */
export function parameterOf(catalog, activation) {
  const e = entry(catalog.activations, activation);
  return e && e.parameters && e.parameters.length ? e.parameters[0] : null;
}
