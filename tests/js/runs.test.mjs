// static/js/runs.js: the runs this browser created, kept in localStorage, and the labels of a compared run (what
// differs from the run on screen). A Map-backed storage stands in for the browser's.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { MAX_RUNS, RUNS_KEY, differences, forgetRun, listRuns, rememberRun, runLabel, setupText } from "../../static/js/runs.js";
import { sessionState } from "./fixtures.mjs";

function memoryStorage(initial = {}) {
  const data = new Map(Object.entries(initial));
  return { getItem: (k) => (data.has(k) ? data.get(k) : null), setItem: (k, v) => data.set(k, String(v)), data };
}

const config = (patch = {}) => ({ ...sessionState().config, ...patch });

describe("remembering runs", () => {
  test("newest first, one entry per session, without inline rows", () => {
    const storage = memoryStorage();
    rememberRun(storage, sessionState({ id: "a" }), 1);
    rememberRun(storage, sessionState({ id: "b", lr: 0.3 }), 2);
    rememberRun(storage, sessionState({ id: "a" }), 3);
    const runs = listRuns(storage);
    assert.deepEqual(runs.map((r) => [r.id, r.created]), [["a", 3], ["b", 2]]);
    assert.equal(runs[1].config.optimizer.learning_rate, 0.3);
    const inline = sessionState({ id: "c" });
    inline.config.dataset = { inputs: [[1, 2], [3, 4]], targets: [1, 2], task: "regression" };
    rememberRun(storage, inline, 4);
    assert.deepEqual(listRuns(storage)[0].config.dataset, { inline: true, rows: 2, task: "regression" });
  });

  test("keeps at most MAX_RUNS, forgets a run by id, survives junk in the storage", () => {
    const storage = memoryStorage();
    for (let i = 0; i < MAX_RUNS + 5; i++) rememberRun(storage, sessionState({ id: `s${i}` }), i);
    assert.equal(listRuns(storage).length, MAX_RUNS);
    assert.equal(listRuns(storage)[0].id, `s${MAX_RUNS + 4}`);
    forgetRun(storage, `s${MAX_RUNS + 4}`);
    assert.equal(listRuns(storage)[0].id, `s${MAX_RUNS + 3}`);
    assert.deepEqual(listRuns(memoryStorage({ [RUNS_KEY]: "{not json" })), []);
    assert.deepEqual(listRuns(memoryStorage({ [RUNS_KEY]: '[{"id": 3}, null, {"id": "x", "config": {}}]' })).map((r) => r.id), ["x"]);
    const broken = { getItem: () => { throw new Error("denied"); }, setItem: () => { throw new Error("denied"); } };
    assert.deepEqual(listRuns(broken), []);
    rememberRun(broken, sessionState()); // no exception: remembering is a convenience
  });
});

describe("what differs", () => {
  test("the learning rate in the seed's notation", () => {
    assert.deepEqual(differences(config(), config({ optimizer: { name: "sgd", learning_rate: 0.3 } })), ["η = 0.3"]);
    assert.equal(runLabel(config(), config({ optimizer: { name: "sgd", learning_rate: 0.3 } })), "η = 0.3");
  });

  test("optimizer, layers, activations, batch, regularization, seeds", () => {
    const other = config({ optimizer: { name: "adam", learning_rate: 0.01 }, layers: [2, 8, 1], activations: ["relu", "sigmoid"], batch_size: 32, regularization: { kind: "l2", rate: 0.001 }, seed: 4 });
    assert.deepEqual(differences(config(), other), ["Adam", "η = 0.01", "layers 2-8-1", "relu", "batch 32", "L2 λ = 0.001", "seed 4"]);
    assert.equal(runLabel(config(), other), "Adam, η = 0.01, layers 2-8-1 …");
    assert.equal(runLabel(config(), config()), "same set-up");
  });

  test("data: another set, or the same with other noise or seed", () => {
    const base = config();
    assert.deepEqual(differences(base, config({ dataset: { builtin: "xor", test_fraction: 0.2, seed: 0 } })), ["xor"]);
    assert.deepEqual(differences(base, config({ dataset: { builtin: "circles", test_fraction: 0.2, seed: 2, noise: 0.3 } })), ["noise 0.3", "data seed 2"]);
  });

  test("a set-up in one line", () => {
    assert.equal(setupText(config()), "2-4-4-1 tanh · SGD η 0.1 · batch 10 · circles");
    assert.equal(setupText(config({ regularization: { kind: "l2", rate: 0.01 } }), "moons"), "2-4-4-1 tanh · SGD η 0.1 · batch 10 · L2 λ 0.01 · moons");
  });
});
