// The page's lesson parts that need no browser: the store's `lesson` event and the lesson in snapshots and the
// link (store.js, state.js), the control names a lesson or a link hides and locks (controlgate.js), and what
// the lesson panel writes (lessonpanel.js), the catalogue's cards and the finished list (lessons.js).

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { createStore, leave, reduce } from "../../static/js/store.js";
import { fromQuery, toQuery } from "../../static/js/state.js";
import { CONTROLS, controlOf, gateSets, parseControls } from "../../static/js/controlgate.js";
import { answerFeedback, comparisonText, controlsNote, parseAnswer, progressText } from "../../static/js/lessonpanel.js";
import { catalog, sessionState, snapshotEvent } from "./fixtures.mjs";

// lessons.js talks to the server through transport.js, which reads the page's address when it loads.
globalThis.location ??= new URL("http://127.0.0.1:8000/");
const { finishedLessons, lessonCard, markFinished, setupIsClosed } = await import("../../static/js/lessons.js");

const progress = (patch = {}) => ({ id: "01-seed-by-hand", title: "The seed's example by hand", step: 2, steps: 27, completed: [0, 1], skipped: [], revealed: [], finished: false, ...patch });

function stepView(patch = {}) {
  return { index: 2, kind: "compute", title: "z", html: "<p>x</p>", ask: null, condition: null, status: "open", tries: 0, hint: null, hint_tex: null, expected: null, check: null, hide: [], lock: [], lesson: progress(), ...patch };
}

class MemoryStorage {
  constructor(text = null) {
    this.items = new Map(text === null ? [] : [["backprop-viz.lessons.finished", text]]);
  }
  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }
  setItem(key, value) {
    this.items.set(key, String(value));
  }
}

describe("the store", () => {
  test("a lesson event replaces the open step and says so", () => {
    const store = createStore("", catalog());
    const view = stepView();
    const change = reduce(store, { type: "lesson", lesson: view });
    assert.equal(store.lesson, view);
    assert.equal(change.lesson, true);
    assert.deepEqual(change.redraw, []);
    assert.equal(reduce(store, { type: "lesson", lesson: null }).lesson, true);
    assert.equal(store.lesson, null);
  });

  test("a snapshot brings the lesson (or none) and the state's lesson goes into the link", () => {
    const store = createStore("", catalog());
    const change = reduce(store, { ...snapshotEvent(sessionState({ lesson: progress() })), lesson: stepView() });
    assert.equal(change.lesson, true);
    assert.equal(store.lesson.index, 2);
    assert.equal(store.s.lesson, "01-seed-by-hand");
    assert.match(toQuery(store.s, "", catalog()), /lesson=01-seed-by-hand/);
    reduce(store, { type: "state", state: sessionState() });
    assert.equal(store.s.lesson, "");
    reduce(store, snapshotEvent(sessionState()));
    assert.equal(store.lesson, null);
  });

  test("leaving a session forgets its lesson", () => {
    const store = createStore("", catalog());
    reduce(store, { type: "lesson", lesson: stepView() });
    leave(store, "other");
    assert.equal(store.lesson, null);
  });

  test("the link keeps the lesson and the hidden controls", () => {
    const s = fromQuery("?lesson=02-xor-hidden-layer&hide=dataset,layers", catalog());
    assert.equal(s.lesson, "02-xor-hidden-layer");
    assert.equal(s.hide, "dataset,layers");
    assert.match(toQuery(s, "", catalog()), /lesson=02-xor-hidden-layer&hide=dataset,layers/);
  });
});

describe("controls a lesson or a link hides and locks", () => {
  test("the names are the server's (app/lessons/models.py CONTROLS)", () => {
    assert.deepEqual(CONTROLS, ["dataset", "layers", "activations", "loss", "optimizer", "learning_rate", "batch_size", "regularization", "init", "seed", "precision", "play", "step", "back", "reset", "train", "upload", "import", "export"]);
  });

  test("a link's list keeps the known names once", () => {
    assert.deepEqual(parseControls("dataset, layers,nope,dataset,,play"), ["dataset", "layers", "play"]);
    assert.deepEqual(parseControls(""), []);
  });

  test("hidden wins over locked", () => {
    const { hidden, locked } = gateSets(["play"], ["upload"], ["play", "layers", "bogus"]);
    assert.deepEqual([...hidden].sort(), ["play", "upload"]);
    assert.deepEqual([...locked], ["layers"]);
  });

  test("commands belong to the controls that send them", () => {
    assert.equal(controlOf({ type: "step", unit: "phase" }), "step");
    assert.equal(controlOf({ type: "back" }), "back");
    assert.equal(controlOf({ type: "play", speed: "max" }), "play");
    assert.equal(controlOf({ type: "set", learning_rate: 0.1 }), null);
    assert.equal(controlOf("train"), "train");
    assert.equal(controlOf("unknown"), null);
  });

  test("a lesson that locks or hides the whole set-up folds the set-up panel away", () => {
    const all = ["dataset", "layers", "activations", "loss", "optimizer", "learning_rate", "batch_size", "regularization", "init"];
    assert.equal(setupIsClosed(stepView({ lock: all, hide: ["seed"] })), true);
    assert.equal(setupIsClosed(stepView({ lock: ["dataset", "loss"] })), false);
  });
});

describe("the lesson panel's words", () => {
  test("a goal's comparison reads as live value → target", () => {
    assert.equal(comparisonText({ quantity: "test_loss", value: "0.2312", op: "≤", target: "0.1", passed: false }), "test loss 0.2312 → target ≤ 0.1");
  });

  test("progress counts steps from one", () => {
    assert.equal(progressText(progress()), "Step 3 of 27 · 2 done");
  });

  test("answers may be typed as people write numbers", () => {
    assert.equal(parseAnswer("0.6225"), 0.6225);
    assert.equal(parseAnswer(" −0.06127 "), -0.06127);
    assert.equal(parseAnswer("-3.5e-4"), -3.5e-4);
    assert.equal(parseAnswer("1.5×10^-3"), 1.5e-3);
    assert.equal(parseAnswer("0,5"), 0.5);
    assert.equal(parseAnswer(".5"), 0.5);
    for (const junk of ["", "abc", "1/2", "0.5.1", "Infinity", "NaN", "1e999"]) assert.equal(parseAnswer(junk), null, junk);
  });

  test("feedback says right, wrong with the tries, or revealed", () => {
    assert.deepEqual(answerFeedback(stepView(), null), { kind: "", text: "" });
    assert.match(answerFeedback(stepView({ tries: 1 }), 0.75).text, /^✗ 0.75 is not right \(1 try\)\. Check it and try again\.$/);
    assert.match(answerFeedback(stepView({ tries: 2 }), null).text, /That is not right \(2 tries\)\. The hint below/);
    assert.equal(answerFeedback(stepView({ status: "done", tries: 3, expected: 0.5 })).kind, "right");
    assert.match(answerFeedback(stepView({ status: "revealed", expected: -0.06127 })).text, /The answer is −0.06127 \(revealed\)/);
  });

  test("the note names what is locked and hidden, the whole set-up at once", () => {
    const setup = ["dataset", "layers", "activations", "loss", "optimizer", "learning_rate", "batch_size", "regularization", "init", "seed"];
    assert.equal(controlsNote(stepView({ lock: setup, hide: ["upload", "play"] })), "Locked: the whole set-up. Hidden: CSV upload, play. Leave the lesson to get them back.");
    assert.equal(controlsNote(stepView({ lock: ["dataset", "loss"] })), "Locked: data set, loss. Leave the lesson to get them back.");
    assert.equal(controlsNote(stepView()), "");
  });
});

describe("the catalogue", () => {
  test("a card names the lesson for a screen reader and escapes what the server sent", () => {
    const card = lessonCard({ id: "x", title: "A <b>bold</b> idea", summary: "s & t", level: "core", minutes: 5, steps: 3 }, true);
    assert.match(card, /aria-label="Open the lesson A &lt;b&gt;bold&lt;\/b&gt; idea \(core, 5 minutes, finished\)"/);
    assert.match(card, /✓ finished/);
    assert.match(card, /s &amp; t/);
    assert.match(card, /core · 5 min · 3 steps/);
    assert.doesNotMatch(lessonCard({ id: "y", title: "t", summary: "s", level: "intro", minutes: 1, steps: 1 }, false), /finished/);
  });

  test("finished lessons are remembered once; junk in the storage counts as none", () => {
    const storage = new MemoryStorage();
    markFinished(storage, "a");
    markFinished(storage, "a");
    markFinished(storage, "b");
    assert.deepEqual(finishedLessons(storage), ["a", "b"]);
    assert.deepEqual(finishedLessons(new MemoryStorage("{not json")), []);
    assert.deepEqual(finishedLessons(new MemoryStorage('{"a": 1}')), []);
  });
});
