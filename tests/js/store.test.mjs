// static/js/store.js: each server event folds into the store as the page needs it, and the change it returns
// says exactly what the page must redraw and show. Plain functions: no browser, no server.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { acceptJob, adoptSetup, createStore, inlineData, leave, reduce, validSelection } from "../../static/js/store.js";
import { catalog, job, record, sessionState, snapshotEvent } from "./fixtures.mjs";

function joined(state = sessionState(), visible = []) {
  const store = createStore("?hidden=4,4&acts=tanh,tanh", catalog());
  reduce(store, snapshotEvent(state, visible));
  return store;
}

describe("createStore", () => {
  test("reads the set-up from the link", () => {
    const store = createStore("?hidden=8,3&acts=relu,gelu&lr=0.03&prec=6", catalog());
    assert.deepEqual(store.s.hidden, [8, 3]);
    assert.deepEqual(store.s.acts, ["relu", "gelu"]);
    assert.equal(store.s.lr, 0.03);
    assert.equal(store.s.prec, "6");
    assert.equal(store.state, null);
    assert.deepEqual(store.records, []);
  });

  test("an activation the catalog does not list for hidden layers falls back, as the links always did", () => {
    const store = createStore("?hidden=4,4,4&acts=relu,swish,softmax", catalog());
    assert.deepEqual(store.s.acts, ["relu", "relu", "relu"]); // unknown and output-only dropped; the last one fills
    assert.deepEqual(createStore("?hidden=4,4&acts=nope", catalog()).s.acts, ["tanh", "tanh"]); // the default
  });
});

describe("snapshot", () => {
  test("takes the session's state, records, focus and data, and asks for everything to be drawn", () => {
    const store = createStore("", catalog());
    const visible = [record(0, 0), record(0, 1)];
    const change = reduce(store, snapshotEvent(sessionState({ position: 2 }), visible));
    assert.equal(store.state.id, "s1");
    assert.deepEqual(store.records, visible);
    assert.notEqual(store.records, visible); // a copy: later phases do not write into the event
    assert.deepEqual(store.focus, { index: 0 });
    assert.deepEqual(store.data, { x: [] });
    assert.equal(change.first, true);
    assert.equal(change.network, true);
    assert.deepEqual(change.redraw.sort(), ["charts", "data", "diagram"]);
    assert.deepEqual(change.lossCurve, { replace: true, per_pass: { pass: [1] }, per_epoch: { epoch: [] } });
    assert.deepEqual(change.gradients, { pass: 0, records: visible });
    assert.equal(change.state, store.state);
  });

  test("selects the first output neuron in a new network, and keeps a selection the network still has", () => {
    const store = createStore("", catalog());
    reduce(store, snapshotEvent(sessionState()));
    assert.deepEqual(store.selection, { kind: "neuron", layer: 3, index: 0 });
    store.selection = { kind: "edge", layer: 2, row: 3, column: 1 };
    const again = reduce(store, snapshotEvent(sessionState({ pass: 5 }))); // a reconnect: same network
    assert.equal(again.network, false);
    assert.equal(again.first, false);
    assert.deepEqual(store.selection, { kind: "edge", layer: 2, row: 3, column: 1 });
    const smaller = reduce(store, snapshotEvent(sessionState({ id: "s2", layers: [2, 2, 1], activations: ["tanh", "sigmoid"] })));
    assert.equal(smaller.network, true);
    assert.deepEqual(store.selection, { kind: "neuron", layer: 2, index: 0 });
  });

  test("another activation is another network", () => {
    const store = joined();
    assert.equal(reduce(store, snapshotEvent(sessionState({ activations: ["gelu", "tanh", "sigmoid"] }))).network, true);
  });

  test("adopts the session's set-up into the link's", () => {
    const store = joined(sessionState({ id: "abc", lr: 0.25 }));
    assert.equal(store.s.session, "abc");
    assert.equal(store.s.lr, 0.25);
    assert.equal(store.s.out, "sigmoid");
    assert.equal(store.s.loss, "bce");
  });
});

describe("phase", () => {
  test("extends the pass shown, and a new pass starts afresh", () => {
    const store = joined();
    reduce(store, { type: "phase", record: record(0, 0) });
    const change = reduce(store, { type: "phase", record: record(0, 1) });
    assert.deepEqual(store.records.map((r) => r.position), [0, 1]);
    assert.deepEqual(change.redraw, ["diagram"]);
    assert.deepEqual(change.gradients, { pass: null, records: [record(0, 1)] });
    reduce(store, { type: "phase", record: record(1, 0) });
    assert.deepEqual(store.records, [record(1, 0)]);
  });

  test("a record at an earlier position cuts the records after it (stepping back and on again)", () => {
    const store = joined(sessionState(), [record(0, 0), record(0, 1), record(0, 2), record(0, 3)]);
    reduce(store, { type: "phase", record: record(0, 2, "loss") });
    assert.deepEqual(store.records.map((r) => r.position), [0, 1, 2]);
    assert.equal(store.records[2].phase, "loss");
  });

  test("a backward record redraws the gradient chart; an update animates the diagram", () => {
    const store = joined(sessionState({ position: 4 }), [0, 1, 2, 3].map((p) => record(0, p)));
    assert.deepEqual(reduce(store, { type: "phase", record: record(0, 4, "backward") }).redraw, ["charts", "diagram"]);
    assert.equal(store.tween, false);
    reduce(store, { type: "phase", record: record(0, 7, "update") });
    assert.equal(store.tween, true);
  });
});

describe("state", () => {
  test("with the visible records: they replace the pass shown, the gradient chart restarts there", () => {
    const store = joined(sessionState(), [record(0, 0), record(0, 1), record(0, 2)]);
    store.tween = true;
    const change = reduce(store, { type: "state", state: sessionState({ pass: 0, position: 1 }), visible: [record(0, 0)] });
    assert.deepEqual(store.records, [record(0, 0)]);
    assert.equal(store.tween, false);
    assert.deepEqual(change.gradients, { pass: 0, records: [record(0, 0)] });
    assert.ok(change.redraw.includes("charts") && change.redraw.includes("diagram"));
  });

  test("without them, the records are cut to the position", () => {
    const store = joined(sessionState(), [record(0, 0), record(0, 1), record(0, 2)]);
    reduce(store, { type: "state", state: sessionState({ position: 2 }) });
    assert.deepEqual(store.records.map((r) => r.position), [0, 1]);
  });

  test("at position 0 the finished pass stays on screen, anything else goes", () => {
    const store = joined(sessionState({ pass: 3, position: 7 }), []);
    store.records = [record(3, 0)];
    store.records[7] = record(3, 7, "update");
    reduce(store, { type: "state", state: sessionState({ pass: 4, position: 0 }) });
    assert.equal(store.records.length, 8); // the update of pass 3 is still shown
    reduce(store, { type: "state", state: sessionState({ pass: 6, position: 0 }) });
    assert.deepEqual(store.records, []); // a reset, or passes run elsewhere: nothing of them is shown
  });

  test("play and pause redraw the charts; a new boundary or focus redraws the data view", () => {
    const store = joined();
    assert.ok(reduce(store, { type: "state", state: sessionState({ playing: true }) }).redraw.includes("charts"));
    assert.ok(!reduce(store, { type: "state", state: sessionState({ playing: true }) }).redraw.includes("charts"));
    const focus = { index: 7 };
    const change = reduce(store, { type: "state", state: sessionState({ playing: true }), focus, boundary: { z: [1] } });
    assert.deepEqual(store.focus, focus);
    assert.deepEqual(store.boundary, { z: [1] });
    assert.ok(change.redraw.includes("data"));
  });

  test("a hyperparameter set elsewhere changes the set-up (not its structure)", () => {
    const store = joined();
    const change = reduce(store, { type: "state", state: sessionState({ lr: 0.05 }) });
    assert.deepEqual(change.setup, { changed: true, structural: false });
    assert.equal(store.s.lr, 0.05);
    assert.equal(reduce(store, { type: "state", state: sessionState({ lr: 0.05 }) }).setup, null); // nothing new
  });
});

describe("jobs", () => {
  test("the job bar never goes back: an older answer after newer events is ignored", () => {
    const store = joined();
    assert.deepEqual(reduce(store, { type: "job", job: job("j", "running", 40) }).job, job("j", "running", 40));
    assert.equal(reduce(store, { type: "job", job: job("j", "running", 10) }).job, null); // the REST answer, late
    assert.equal(store.job.done, 40);
    reduce(store, { type: "job", job: job("j", "done", 100) });
    assert.equal(reduce(store, { type: "job", job: job("j", "running", 90) }).job, null);
    assert.equal(store.job.status, "done");
    assert.deepEqual(reduce(store, { type: "job", job: job("k", "running", 1) }).job, job("k", "running", 1)); // a new job
  });

  test("a state without the running job ends it in the bar", () => {
    const store = joined();
    reduce(store, { type: "job", job: job("j", "running", 40) });
    const change = reduce(store, { type: "state", state: sessionState({ pass: 40 }) });
    assert.equal(change.job.status, "done");
    assert.equal(store.job.status, "done");
    assert.equal(reduce(store, { type: "state", state: sessionState({ pass: 40 }) }).job, null); // said once
  });

  test("a state carrying the job shows it", () => {
    const store = joined();
    const change = reduce(store, { type: "state", state: sessionState({ job: job("j", "running", 3) }) });
    assert.deepEqual(change.job, job("j", "running", 3));
  });

  test("acceptJob returns the job it took", () => {
    const store = joined();
    const j = job("j", "cancelled", 5);
    assert.equal(acceptJob(store, j), j);
    assert.equal(store.job, j);
  });
});

describe("divergence", () => {
  test("shows the banner, which goes once the person has stepped past it, paused", () => {
    const store = joined();
    const info = { pass: 12, reason: "loss is NaN", hint: "lower the learning rate" };
    const change = reduce(store, { type: "diverged", diverged: info, state: sessionState({ pass: 12 }) });
    assert.deepEqual(change.diverged, info);
    assert.deepEqual(store.diverged, info);
    assert.equal(reduce(store, { type: "state", state: sessionState({ pass: 13 }) }).diverged, undefined); // still shown
    assert.equal(reduce(store, { type: "state", state: sessionState({ pass: 14, playing: true }) }).diverged, undefined);
    assert.equal(reduce(store, { type: "state", state: sessionState({ pass: 14 }) }).diverged, null);
    assert.equal(store.diverged, null);
  });
});

describe("other events", () => {
  test("metrics extend the loss curve, or replace it", () => {
    const store = joined();
    assert.deepEqual(reduce(store, { type: "metrics", per_pass: { pass: [2] }, per_epoch: null }), {
      ...reduce(store, { type: "unknown" }),
      lossCurve: { replace: false, per_pass: { pass: [2] }, per_epoch: null },
      redraw: ["charts"],
    });
    assert.equal(reduce(store, { type: "metrics", replace: true, per_pass: {}, per_epoch: {} }).lossCurve.replace, true);
  });

  test("an error becomes a notice; an unknown event changes nothing", () => {
    const store = joined();
    const before = structuredClone(store);
    assert.deepEqual(reduce(store, { type: "error", message: "no such neuron" }).notice, { message: "no such neuron", kind: "error" });
    const change = reduce(store, { type: "from-the-future" });
    assert.deepEqual(change.redraw, []);
    assert.equal(change.state, null);
    assert.deepEqual(store, before);
  });
});

describe("helpers", () => {
  test("validSelection checks neurons and weights against the layer sizes", () => {
    const layers = [2, 4, 1];
    assert.equal(validSelection(null, layers), false);
    assert.equal(validSelection({ kind: "neuron", layer: 1, index: 3 }, layers), true);
    assert.equal(validSelection({ kind: "neuron", layer: 1, index: 4 }, layers), false);
    assert.equal(validSelection({ kind: "neuron", layer: 3, index: 0 }, layers), false);
    assert.equal(validSelection({ kind: "edge", layer: 2, row: 0, column: 3 }, layers), true);
    assert.equal(validSelection({ kind: "edge", layer: 2, row: 1, column: 0 }, layers), false);
    assert.equal(validSelection({ kind: "edge", layer: 0, row: 0, column: 0 }, layers), false);
  });

  test("a session made with inline data is remembered, so a new architecture re-uses its rows", () => {
    const inline = { inputs: [[0, 1]], targets: [[1]] };
    const st = sessionState({ id: "i" });
    st.config.dataset = inline;
    assert.equal(inlineData(sessionState()), null);
    assert.deepEqual(inlineData(st), { spec: inline, info: { task: "classification", features: ["x1", "x2"], targets: ["y"], classes: ["inner", "outer"] } });
    const store = joined();
    const setup = adoptSetup(store, st);
    assert.deepEqual(store.inline.spec, inline);
    assert.equal(store.s.data, "inline");
    assert.deepEqual(setup, { changed: true, structural: true });
  });

  test("leaving a session forgets its state, records, job and divergence", () => {
    const store = joined(sessionState(), [record(0, 0)]);
    store.job = job("j", "running", 1);
    store.diverged = { pass: 1 };
    leave(store, "next");
    assert.equal(store.sessionId, "next");
    assert.equal(store.state, null);
    assert.deepEqual(store.records, []);
    assert.equal(store.job, null);
    assert.equal(store.diverged, null);
  });
});

describe("diagnostics (issue 12)", () => {
  const vanishing = { kind: "vanishing", layer: 1, message: "Layer 1's gradients are 10⁻⁵ of layer 6's.", value: 1e-5, threshold: 1e-3, lesson: "03-vanishing-gradients" };

  test("the snapshot's flags, then a flags event, replace the store's flags", () => {
    const store = createStore("", catalog());
    const change = reduce(store, { ...snapshotEvent(sessionState()), flags: [vanishing] });
    assert.equal(change.flags, true);
    assert.deepEqual(store.flags, [vanishing]);
    const next = reduce(store, { type: "flags", flags: [] });
    assert.equal(next.flags, true);
    assert.deepEqual(store.flags, []);
    assert.deepEqual(next.redraw, []);
  });

  test("a play frame's diagnostics are kept; a frame without them keeps what the store had", () => {
    const store = joined();
    const diagnostics = { pass: 3, layers: [{ layer: 1, grad_norm: 0.1 }] };
    assert.equal(reduce(store, { type: "state", state: sessionState({ pass: 3 }), diagnostics }).diagnostics, true);
    assert.equal(store.diagnostics, diagnostics);
    assert.equal(reduce(store, { type: "state", state: sessionState({ pass: 4 }), diagnostics: null }).diagnostics, false);
    assert.equal(store.diagnostics, diagnostics);
  });

  test("a landscape job goes to its own bar, never to training's job bar or its disabled controls", () => {
    const store = joined();
    const info = { ...job("j1", "running", 10, 441), kind: "landscape" };
    const change = reduce(store, { type: "job", job: info });
    assert.equal(change.landscape, true);
    assert.equal(change.job, null);
    assert.equal(store.job, null);
    assert.equal(store.landscapeJob, info);
    const done = { ...info, status: "done", done: 441 };
    reduce(store, { type: "job", job: done });
    assert.equal(reduce(store, { type: "job", job: info }).landscape, false); // late news of the running job
    assert.equal(store.landscapeJob, done);
    const viaState = reduce(store, { type: "state", state: sessionState({ job: { ...info, id: "j2" } }) });
    assert.equal(viaState.landscape, true);
    assert.equal(viaState.job, null);
  });

  test("leaving a session forgets its flags, statistics and landscape job", () => {
    const store = joined();
    store.flags = [vanishing];
    store.diagnostics = { pass: 1, layers: [] };
    store.landscapeJob = job("j", "done", 1);
    leave(store, "s2");
    assert.deepEqual(store.flags, []);
    assert.equal(store.diagnostics, null);
    assert.equal(store.landscapeJob, null);
  });
});
