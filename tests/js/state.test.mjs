// static/js/state.js: the set-up as a link and as a session request, with the catalog's names and defaults.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { defaults, fromQuery, fromSessionConfig, sessionBody, toQuery } from "../../static/js/state.js";
import { catalog } from "./fixtures.mjs";

const binary = { task: "classification", features: ["x1", "x2"], targets: ["y"], classes: ["inner", "outer"] };
const threeClasses = { ...binary, classes: ["a", "b", "c"] };
const regression = { task: "regression", features: ["x"], targets: ["y"], classes: null };

describe("the link", () => {
  test("defaults put the catalog's default activation in every hidden layer", () => {
    const s = defaults(catalog());
    assert.deepEqual(s.hidden, [4, 4]);
    assert.deepEqual(s.acts, ["tanh", "tanh"]);
    assert.equal(s.out, "auto");
  });

  test("a set-up survives the round trip through its link", () => {
    const s = { ...defaults(catalog()), hidden: [5, 3, 2], acts: ["gelu", "relu", "tanh"], opt: "momentum", mom: 0.8, lr: 0.02, big: true, log: true };
    const query = toQuery(s, "", catalog());
    assert.match(query, /hidden=5,3,2&acts=gelu,relu,tanh/);
    assert.deepEqual(fromQuery(`?${query}`, catalog()), s);
  });

  test("momentum is in the link only for an optimizer that reads it", () => {
    const s = defaults(catalog());
    assert.doesNotMatch(toQuery(s, "", catalog()), /mom=/);
    assert.match(toQuery({ ...s, opt: "momentum" }, "", catalog()), /mom=0.9/);
    assert.match(toQuery(s, "tok", catalog()), /token=tok$/);
  });

  test("malformed numbers, speeds and precisions fall back to the defaults", () => {
    const s = fromQuery("?lr=abc&speed=7&prec=5&hidden=0,x,3", catalog());
    assert.equal(s.lr, 0.1);
    assert.equal(s.speed, "10");
    assert.equal(s.prec, "4");
    assert.deepEqual(s.hidden, [1, 1, 3]);
    assert.deepEqual(s.acts, ["tanh", "tanh", "tanh"]);
  });
});

describe("sessionBody", () => {
  test("an automatic output takes the catalog's default for the task", () => {
    const s = defaults(catalog());
    assert.deepEqual(sessionBody(s, binary, catalog()).activations, ["tanh", "tanh", "sigmoid"]);
    assert.deepEqual(sessionBody(s, binary, catalog()).layers, [2, 4, 4, 1]);
    const three = sessionBody(s, threeClasses, catalog());
    assert.deepEqual([three.layers.at(-1), three.activations.at(-1)], [3, "softmax"]);
    const reg = sessionBody({ ...s, data: "sine" }, regression, catalog());
    assert.deepEqual([reg.layers, reg.activations.at(-1)], [[1, 4, 4, 1], "linear"]);
  });

  test("the several-class output over two classes gets a unit per class", () => {
    const body = sessionBody({ ...defaults(catalog()), out: "softmax" }, binary, catalog());
    assert.deepEqual(body.layers, [2, 4, 4, 2]);
  });

  test("a chosen loss and optimizer are sent as chosen; 'auto' leaves the loss to the server", () => {
    const s = defaults(catalog());
    assert.equal("loss" in sessionBody(s, binary, catalog()), false);
    const body = sessionBody({ ...s, loss: "mse", opt: "momentum", mom: 0.7, reg: "l2", rate: 0.01 }, binary, catalog());
    assert.equal(body.loss, "mse");
    assert.deepEqual(body.optimizer, { name: "momentum", learning_rate: 0.1, momentum: 0.7 });
    assert.deepEqual(body.regularization, { kind: "l2", rate: 0.01 });
    assert.deepEqual(body.dataset, { builtin: "circles", test_fraction: 0.2, seed: 0 });
  });
});

test("fromSessionConfig takes a session's set-up", () => {
  const config = {
    layers: [2, 6, 1],
    activations: ["gelu", "sigmoid"],
    loss: "bce",
    optimizer: { name: "adam", learning_rate: 0.01 },
    batch_size: 32,
    regularization: { kind: "l1", rate: 0.001 },
    init: { scheme: "he", seed: 3 },
    seed: 4,
    dataset: { builtin: "xor", samples: 300, test_fraction: 0.1, seed: 2 },
  };
  const s = fromSessionConfig(defaults(catalog()), config);
  assert.deepEqual([s.hidden, s.acts, s.out, s.loss], [[6], ["gelu"], "sigmoid", "bce"]);
  assert.deepEqual([s.opt, s.lr, s.batch, s.reg, s.rate, s.init, s.iseed, s.seed], ["adam", 0.01, 32, "l1", 0.001, "he", 3, 4]);
  assert.deepEqual([s.data, s.samples, s.test, s.dseed], ["xor", 300, 0.1, 2]);
});

test("the optimizer, regularization and initializer default to the catalog's and unknown names fall back", () => {
  const cat = catalog();
  cat.defaults.optimizer = "adam";
  const s = fromQuery("?opt=rmsprop&reg=l2&init=he", cat);
  assert.equal(s.opt, "adam");
  assert.equal(s.reg, "l2");
  assert.equal(s.init, "he");
  assert.equal(fromQuery("", cat).init, "xavier");
});

describe("activation parameters", () => {
  // The catalog with an activation that has a parameter, as GET /api/catalog lists leaky ReLU's slope.
  function withLeaky() {
    const cat = catalog();
    const symbol = { tex: "\\alpha", mathml: "<math><mi>α</mi></math>" };
    cat.activations.splice(3, 0, { ...cat.activations[2], name: "leaky_relu", label: "leaky ReLU", parameters: [{ name: "slope", symbol, label: "slope", default: 0.01, min: -1000, max: 1000 }] });
    return cat;
  }

  test("a layer's parameter goes into the link and back", () => {
    const cat = withLeaky();
    const s = { ...defaults(cat), hidden: [3, 2], acts: ["leaky_relu", "tanh"], aparams: [0.2, null], out: "leaky_relu", oparam: 0.05 };
    const query = toQuery(s, "", cat);
    assert.match(query, /aparams=0.2,&/);
    assert.match(query, /oparam=0.05/);
    const back = fromQuery(`?${query}`, cat);
    assert.deepEqual([back.aparams, back.oparam], [[0.2, null], 0.05]);
    assert.doesNotMatch(toQuery(defaults(cat), "", cat), /aparams|oparam/); // nothing set: nothing written
  });

  test("sessionBody sends activation_options only for the layers that set one", () => {
    const cat = withLeaky();
    const s = { ...defaults(cat), acts: ["leaky_relu", "tanh"], aparams: [0.2, null] };
    assert.deepEqual(sessionBody(s, binary, cat).activation_options, [{ slope: 0.2 }, null, null]);
    assert.equal("activation_options" in sessionBody(defaults(cat), binary, cat), false);
    const short = { ...defaults(cat), hidden: [4, 4, 4], acts: ["tanh", "tanh", "leaky_relu"], aparams: [null] };
    assert.equal("activation_options" in sessionBody(short, binary, cat), false); // a link from before: defaults
    const tanhWithValue = { ...defaults(cat), aparams: [0.3, 0.3] }; // tanh takes none: not sent
    assert.equal("activation_options" in sessionBody(tanhWithValue, binary, cat), false);
  });

  test("a session's options become the set-up's", () => {
    const cat = withLeaky();
    const config = {
      layers: [2, 3, 1],
      activations: ["leaky_relu", "leaky_relu"],
      activation_options: [{ slope: 0.25 }, { slope: 0.1 }],
      loss: "mse",
      optimizer: { name: "sgd", learning_rate: 0.1 },
      batch_size: 10,
      regularization: { kind: "none", rate: 0 },
      init: { scheme: "xavier", seed: 0 },
      seed: 0,
      dataset: { builtin: "xor", test_fraction: 0.2, seed: 0 },
    };
    const s = fromSessionConfig(defaults(cat), config);
    assert.deepEqual([s.acts, s.aparams, s.out, s.oparam], [["leaky_relu"], [0.25], "leaky_relu", 0.1]);
    const none = fromSessionConfig(defaults(cat), { ...config, activation_options: null });
    assert.deepEqual([none.aparams, none.oparam], [[null], null]);
  });
});
