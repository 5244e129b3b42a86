// Lessons in the page: the **Lessons** catalogue (a dialog: title, summary, level, minutes, ✓ for lessons this
// browser finished), starting one (the button, or a teacher's link /?lesson=<id>), the lesson panel beside the
// diagram (lessonpanel.js) fed by the session's `lesson` events, the controls a step hides or locks
// (controlgate.js; a link's ?hide= too), and leaving the lesson, which gives every control back. The server
// checks everything: answers, conditions, which step is open; this module only asks and shows.

import { api } from "./transport.js";
import { inlineData } from "./store.js";
import * as chrome from "./chrome.js";
import { esc } from "./format.js";
import { ControlGate, SETUP_CONTROLS, parseControls } from "./controlgate.js";
import { LessonPanel } from "./lessonpanel.js";

const $ = (id) => document.getElementById(id);

export const FINISHED_KEY = "backprop-viz.lessons.finished";

/** The ids of the lessons this browser finished (a storage that fails or holds junk counts as none). */
export function finishedLessons(storage) {
  try {
    const ids = JSON.parse(storage.getItem(FINISHED_KEY) || "[]");
    return Array.isArray(ids) ? ids.filter((id) => typeof id === "string") : [];
  } catch {
    return [];
  }
}

export function markFinished(storage, id) {
  const ids = finishedLessons(storage);
  if (ids.includes(id)) return;
  try {
    storage.setItem(FINISHED_KEY, JSON.stringify([...ids, id]));
  } catch {
    /* private mode or full: the ✓ is a convenience */
  }
}

/** One catalogue entry as a button (the whole card opens the lesson). */
export function lessonCard(info, finished) {
  const meta = `${info.level} · ${info.minutes} min · ${info.steps} steps`;
  const name = `Open the lesson ${info.title} (${info.level}, ${info.minutes} minutes${finished ? ", finished" : ""})`;
  return `<li><button type="button" class="lesson-card" data-id="${esc(info.id)}" aria-label="${esc(name)}">
      <span class="card-top"><span class="card-title">${esc(info.title)}</span>${finished ? '<span class="done-mark" title="Finished in this browser">✓ finished</span>' : ""}</span>
      <span class="card-summary">${esc(info.summary)}</span>
      <span class="card-meta level-${esc(info.level)}">${esc(meta)}</span>
    </button></li>`;
}

/** Every set-up control is locked or hidden: the set-up panel has nothing to offer meanwhile. */
export function setupIsClosed(view) {
  const closed = new Set([...view.hide, ...view.lock]);
  return SETUP_CONTROLS.every((name) => closed.has(name));
}

export class Lessons {
  /**
   * @param {object} store    the store (store.js); `store.lesson` is the open step, from the server
   * @param {object} page     {actions, parts, renderer, showConfig}
   */
  constructor(store, { actions, parts, showConfig }) {
    this.store = store;
    this.actions = actions;
    this.parts = parts;
    this.showConfig = showConfig;
    this.catalogue = null;
    this.closedSetup = null; // whether the set-up panel was folded for the lesson (null: no lesson)
    this.gate = new ControlGate({ onRefused: (name, why) => chrome.notice(`${why.charAt(0).toUpperCase()}${why.slice(1)}.`, "info") });
    this.gate.setLinkHidden(parseControls(store.s.hide));
    this.panel = new LessonPanel($("lesson"), {
      answer: (value) => this.answer(value),
      reveal: () => this.call("POST", "/reveal").then((r) => r && this.panel.answered(r)),
      next: () => this.move("/next"),
      back: () => this.move("/back"),
      leave: () => this.leave(),
      catalogue: () => this.openCatalogue(),
    });
    actions.guard = (what) => this.gate.allows(what);
    actions.startLesson = (id) => this.start(id);
    this.dialog = $("lessons-dialog");
    $("lessons-button").addEventListener("click", () => this.openCatalogue());
    $("lessons-close").addEventListener("click", () => this.dialog.close());
    this.dialog.addEventListener("click", (e) => {
      const card = e.target.closest(".lesson-card");
      if (card) this.choose(card.dataset.id);
      else if (e.target === this.dialog) this.dialog.close(); // a click on the backdrop
    });
  }

  /** The session's lesson moved (a `lesson` event or a snapshot): the panel, the controls and the layout follow. */
  follow(view) {
    const layout = $("layout");
    const was = layout.classList.contains("in-lesson");
    this.panel.render(view);
    if (!view) {
      layout.classList.remove("in-lesson");
      this.gate.setLesson([], [], "");
      this.restoreJobControls();
      if (was) {
        this.closedSetup = null;
        this.showConfig(window.innerWidth >= 1200 && !this.store.s.big);
      }
      document.body.dataset.lesson = "";
      return;
    }
    layout.classList.add("in-lesson");
    document.body.dataset.lesson = view.lesson.id;
    this.gate.setLesson(view.hide, view.lock, view.lesson.title);
    this.restoreJobControls();
    const closed = setupIsClosed(view);
    if (!was || closed !== this.closedSetup) {
      this.closedSetup = closed;
      this.showConfig(!closed && window.innerWidth >= 1200);
    }
    if (!was) window.dispatchEvent(new Event("resize")); // the diagram lays itself out in its new room
    if (view.lesson.finished) markFinished(localStorage, view.lesson.id);
  }

  /** A running job disables the stepping buttons; a control the gate gives back must not forget that. */
  restoreJobControls() {
    const job = this.store.job;
    if (job && job.status === "running") this.parts.controls.setDisabled(true, "a training job is running: wait for it or cancel it");
  }

  // -- the learner's actions (REST; the lesson event brings the result to every tab) ---------------------------
  async call(method, path, body) {
    const id = this.store.sessionId;
    if (!id || this.store.watch) return null; // a watcher follows the lesson, it does not answer
    try {
      return await api(method, `/api/sessions/${encodeURIComponent(id)}/lesson${path}`, method === "POST" ? (body ?? {}) : undefined);
    } catch (err) {
      chrome.notice(err.message, "error");
      return null;
    }
  }

  async answer(value) {
    const result = await this.call("POST", "/answer", { value });
    if (result) this.panel.answered(result);
  }

  async move(path) {
    const view = await this.call("POST", path);
    if (view) this.adoptView(view);
  }

  /** A step view from a REST answer: shown at once (the same arrives as a `lesson` event). */
  adoptView(view) {
    this.store.lesson = view;
    this.follow(view);
  }

  async leave() {
    const state = await this.call("DELETE", "");
    if (!state) return;
    this.store.lesson = null;
    this.follow(null);
    chrome.notice("You left the lesson: every control is back, and the network stays as it is.", "info");
  }

  /** Start a lesson in a new session and join it; false (with a notice) when the server refuses. */
  async start(id) {
    try {
      const st = await api("POST", "/api/sessions", { lesson: id });
      if (this.actions.onCreated) this.actions.onCreated(st);
      this.store.inline = inlineData(st) || this.store.inline;
      this.actions.adopt(st);
      return true;
    } catch (err) {
      chrome.notice(`The lesson “${id}” could not be opened: ${err.message}`, "error");
      return false;
    }
  }

  // -- the catalogue --------------------------------------------------------------------------------------
  async openCatalogue() {
    const list = $("lessons-list");
    if (!this.catalogue) {
      try {
        this.catalogue = await api("GET", "/api/lessons");
      } catch (err) {
        chrome.notice(err.message, "error");
        return;
      }
    }
    const finished = new Set(finishedLessons(localStorage));
    list.innerHTML = this.catalogue.length
      ? this.catalogue.map((info) => lessonCard(info, finished.has(info.id))).join("")
      : '<li class="empty">This server has no lessons.</li>';
    if (!this.dialog.open) this.dialog.showModal();
    const current = this.store.lesson && list.querySelector(`.lesson-card[data-id="${CSS.escape(this.store.lesson.lesson.id)}"]`);
    (current || list.querySelector(".lesson-card") || $("lessons-close")).focus();
  }

  async choose(id) {
    this.dialog.close();
    if (await this.start(id)) chrome.notice("Lesson opened. Follow the panel on the left; Next moves on.", "info");
  }
}
