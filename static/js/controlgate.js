// Hiding and locking the page's controls by name (app/lessons/models.py CONTROLS; docs/lessons.md): a lesson or
// its open step hides some and locks others, and any link may hide some with `?hide=dataset,layers`. A hidden
// control is not shown at all; a locked one is shown disabled, with a title and a note saying why. Leaving the
// lesson restores every control. The set-up panel and the timeline redraw themselves, and a training job
// re-enables the stepping buttons when it ends, so the gate re-applies itself when they change.

// Each control name: the elements that make it up. A form field inside a `label.row` hides with its row.
export const CONTROL_SELECTORS = {
  dataset: ['#config [data-key="data"]', '#config [data-key="samples"]', '#config [data-key="noise"]', '#config [data-key="classes"]', '#config [data-key="test"]', '#config [data-key="dseed"]'],
  layers: ['#config [data-act="inc"]', '#config [data-act="dec"]', '#config [data-act="remove"]', '#config [data-act="add"]'],
  activations: ['#config [data-act="act"]', '#config [data-key="out"]'],
  loss: ['#config [data-key="loss"]'],
  optimizer: ['#config [data-key="opt"]', '#config [data-key="mom"]'],
  learning_rate: ['#config [data-key="lr"]'],
  batch_size: ['#config [data-key="batch"]'],
  regularization: ['#config [data-key="reg"]', '#config [data-key="rate"]'],
  init: ['#config [data-key="init"]', '#config [data-key="iseed"]'],
  seed: ['#config [data-key="seed"]'],
  precision: ["#precision"],
  play: ["#play", "#speed"],
  step: ["#next-phase", "#next-pass", "#next-epoch"],
  back: ["#back-phase", "#back-pass"],
  reset: ["#reset"],
  train: [".panel.train"],
  upload: ["#config details.upload"],
  import: ["#import"],
  export: ["#export"],
};
export const CONTROLS = Object.keys(CONTROL_SELECTORS);

// How the note names them.
export const CONTROL_LABELS = {
  dataset: "data set",
  layers: "layers",
  activations: "activations",
  loss: "loss",
  optimizer: "optimizer",
  learning_rate: "learning rate η",
  batch_size: "batch size",
  regularization: "regularization",
  init: "initialization",
  seed: "batch seed",
  precision: "digits",
  play: "play",
  step: "next phase / pass / epoch",
  back: "back",
  reset: "reset",
  train: "background training",
  upload: "CSV upload",
  import: "import",
  export: "export",
};

// The set-up panel's controls (when all of them are locked or hidden, the panel has nothing to offer).
export const SETUP_CONTROLS = ["dataset", "layers", "activations", "loss", "optimizer", "learning_rate", "batch_size", "regularization", "init", "seed"];

// Commands and actions, and the control each belongs to (a locked control's keyboard shortcut is refused too).
const COMMAND_CONTROLS = { step: "step", back: "back", reset: "reset", play: "play", teach: "step" }; // teaching a drawing steps a pass

/** The known control names in a comma-separated list (unknown ones are left out). */
export function parseControls(text) {
  if (!text) return [];
  return [...new Set(String(text).split(",").map((name) => name.trim()).filter((name) => name in CONTROL_SELECTORS))];
}

/** The hidden and locked sets from the link's and the lesson's lists (hidden wins over locked). */
export function gateSets(linkHidden, lessonHidden, lessonLocked) {
  const hidden = new Set([...linkHidden, ...lessonHidden].filter((n) => n in CONTROL_SELECTORS));
  const locked = new Set(lessonLocked.filter((n) => n in CONTROL_SELECTORS && !hidden.has(n)));
  return { hidden, locked };
}

/** The control a WebSocket command or a page action belongs to (null: none is gated). */
export function controlOf(commandOrName) {
  if (typeof commandOrName === "string") return commandOrName in CONTROL_SELECTORS ? commandOrName : null;
  return COMMAND_CONTROLS[commandOrName.type] || null;
}

export class ControlGate {
  /**
   * @param {Function} onRefused  (name, why) → a notice when a gated control's shortcut or action is refused
   */
  constructor({ onRefused }) {
    this.onRefused = onRefused;
    this.linkHidden = [];
    this.lessonHidden = [];
    this.lessonLocked = [];
    this.why = "";
    this.sets = { hidden: new Set(), locked: new Set() };
    this.marked = new Set(); // elements this gate changed, so they can be given back
    this.applying = false;
    const observe = (selector, options) => {
      const el = document.querySelector(selector);
      if (el) new MutationObserver(() => this.reapply()).observe(el, options);
    };
    observe("#config", { childList: true });
    observe("#controls", { attributes: true, attributeFilter: ["disabled"], subtree: true });
    observe(".train-form", { attributes: true, attributeFilter: ["disabled", "hidden"], subtree: true });
  }

  /** Controls a link hides (`?hide=`), whatever the lesson. */
  setLinkHidden(names) {
    this.linkHidden = names;
    this.apply();
  }

  /** The lesson's and its open step's lists; `why` names the lesson for the note. Empty lists: no lesson. */
  setLesson(hidden, locked, why) {
    this.lessonHidden = hidden;
    this.lessonLocked = locked;
    this.why = why;
    this.apply();
  }

  /** True when the control may be used; otherwise says why and returns false. */
  allows(commandOrName) {
    const name = controlOf(commandOrName);
    if (!name) return true;
    if (this.sets.locked.has(name) || this.sets.hidden.has(name)) {
      this.onRefused(name, this.reason(name));
      return false;
    }
    return true;
  }

  reason(name) {
    const what = CONTROL_LABELS[name] || name;
    if (this.lessonHidden.includes(name) || this.lessonLocked.includes(name)) return `${what} is locked by the lesson “${this.why}”; leave the lesson to use it`;
    return `${what} is hidden by this link`;
  }

  reapply() {
    if (!this.applying) queueMicrotask(() => this.apply());
  }

  /** Hide and lock what the lists say, give every other control back. */
  apply() {
    if (this.applying) return;
    this.applying = true;
    try {
      this.sets = gateSets(this.linkHidden, this.lessonHidden, this.lessonLocked);
      const now = new Map(); // element → {hide, lock, name}
      for (const [name, selectors] of Object.entries(CONTROL_SELECTORS)) {
        const hide = this.sets.hidden.has(name);
        if (!hide && !this.sets.locked.has(name)) continue;
        for (const selector of selectors) for (const el of document.querySelectorAll(selector)) now.set(el, { hide, name });
      }
      for (const el of this.marked) if (!now.has(el)) release(el);
      this.marked = new Set(now.keys());
      for (const [el, { hide, name }] of now) {
        if (hide) conceal(el);
        else disable(el, this.reason(name));
      }
      this.lockNote();
    } finally {
      this.applying = false;
    }
  }

  /** A note at the top of the set-up panel naming what the lesson locked there. */
  lockNote() {
    const config = document.getElementById("config");
    if (!config) return;
    const locked = SETUP_CONTROLS.filter((n) => this.sets.locked.has(n) && this.lessonLocked.includes(n));
    let note = config.querySelector(".lock-note");
    if (!locked.length) {
      if (note) note.remove();
      return;
    }
    if (!note) {
      note = document.createElement("p");
      note.className = "lock-note";
      note.dataset.testid = "lock-note";
      config.prepend(note);
    }
    const text = `Locked by the lesson “${this.why}”: ${locked.map((n) => CONTROL_LABELS[n]).join(", ")}. Leave the lesson to change them.`;
    if (note.textContent !== text) note.textContent = text;
  }
}

/** The element to hide for a control element: the label it sits in (a field with its label), or itself. */
function container(el) {
  return el.closest("label.row, label.speed, label.precision") || el;
}

/** A form field is disabled; anything else (the upload section, the training panel) is made inert. */
function isField(el) {
  return el.matches("button, input, select, textarea");
}

function conceal(el) {
  const box = container(el);
  if (!box.hidden) {
    box.hidden = true;
    box.dataset.gateHidden = "1";
  }
  unlock(el);
}

function disable(el, why) {
  const box = container(el);
  if (box.dataset.gateHidden) {
    box.hidden = false;
    delete box.dataset.gateHidden;
  }
  if (!el.dataset.gateLocked) {
    el.dataset.gateLocked = "1";
    el.dataset.gateTitle = el.getAttribute("title") ?? "";
  }
  if (isField(el)) {
    if (!el.disabled) el.disabled = true;
  } else if (!el.inert) el.inert = true;
  if (el.title !== why) el.title = why;
  box.classList.add("gate-locked");
}

/** Give a locked control back: enabled, its own title (a job that still runs disables the stepping buttons
 * again: the lessons module asks the page to). */
function unlock(el) {
  if (!el.dataset.gateLocked) return;
  if (isField(el)) el.disabled = false;
  else el.inert = false;
  if (el.dataset.gateTitle) el.title = el.dataset.gateTitle;
  else el.removeAttribute("title");
  delete el.dataset.gateLocked;
  delete el.dataset.gateTitle;
  container(el).classList.remove("gate-locked");
}

function release(el) {
  const box = container(el);
  if (box.dataset.gateHidden) {
    box.hidden = false;
    delete box.dataset.gateHidden;
  }
  unlock(el);
}
