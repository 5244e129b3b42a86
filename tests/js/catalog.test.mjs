// static/js/catalog.js: what the page reads from the engine's catalog.

import assert from "node:assert/strict";
import { test } from "node:test";

import { closedFormDelta, defaultOutputActivation, elementwise, entry, hiddenActivations, label, reads, seedRule, shortName, takesRate } from "../../static/js/catalog.js";
import { catalog } from "./fixtures.mjs";

test("hidden layers may use every activation the catalog marks so, in its order", () => {
  assert.deepEqual(hiddenActivations(catalog()), ["sigmoid", "tanh", "relu", "gelu", "linear"]);
});

test("labels and short names come from the entries, and fall back to the name", () => {
  const cat = catalog();
  assert.equal(label(cat.losses, "bce"), "binary cross-entropy");
  assert.equal(label(cat.losses, "hinge"), "hinge");
  assert.equal(shortName(cat, "sigmoid"), "σ");
  assert.equal(shortName(cat, "swish"), "swish");
  assert.equal(entry(cat.activations, "gelu").derivative.tex, "f'_{gelu}");
  assert.equal(entry(cat.activations, "swish"), null);
});

test("the closed-form δ^L pairings are the catalog's", () => {
  const cat = catalog();
  assert.equal(closedFormDelta(cat, "sigmoid", "bce").formula.tex, "\\delta^L = a^L - y");
  assert.ok(closedFormDelta(cat, "softmax", "cross_entropy"));
  assert.equal(closedFormDelta(cat, "sigmoid", "mse"), null);
  assert.equal(closedFormDelta(cat, "softmax", "bce"), null);
});

test("the default output activation follows the task and the number of outputs", () => {
  const cat = catalog();
  assert.equal(defaultOutputActivation(cat, "classification", 1), "sigmoid");
  assert.equal(defaultOutputActivation(cat, "classification", 4), "softmax");
  assert.equal(defaultOutputActivation(cat, "regression", 2), "linear");
  cat.defaults.output_activation.regression = "tanh"; // the engine decides; the page follows
  assert.equal(defaultOutputActivation(cat, "regression", 1), "tanh");
});

test("an optimizer reads the settings it lists", () => {
  const cat = catalog();
  assert.equal(reads(cat, "momentum", "momentum"), true);
  assert.equal(reads(cat, "sgd", "momentum"), false);
  assert.equal(reads(cat, "nadam", "momentum"), false);
});

test("the catalog says which regularizations take a rate, which optimizer is the seed's rule, which f is elementwise", () => {
  const cat = catalog();
  assert.deepEqual(cat.regularizations.map((r) => takesRate(cat, r.name)), [false, true, true]);
  assert.deepEqual(cat.optimizers.map((o) => seedRule(cat, o.name)), [true, false, false]);
  assert.equal(elementwise(cat, "sigmoid"), true);
  assert.equal(elementwise(cat, "softmax"), false);
  assert.equal(elementwise(cat, "no-such"), false);
});
