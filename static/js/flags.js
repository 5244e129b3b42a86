// The health flags the server raises (vanishing or exploding gradients, dead or saturated units, updates too
// large or too small, a rising loss): a badge on the affected layer in the network diagram, a count on the
// Diagnostics tab, and the server's plain-language sentences in the Diagnostics view, each linked to the lesson
// that teaches it. The server decides every flag and writes every sentence; this module only shows them.

import { api } from "./transport.js";
import { esc, fmt, px } from "./format.js";
import { FLAG_TITLES, badgeLayer, flagsByLayer, flagsKey } from "./health.js";

export class FlagView {
  /**
   * @param {object} el     {badges: the overlay over the diagram, count: the tab's counter, diagram (diagram.js)}
   * @param {object} hooks  {show(flag): open the Diagnostics view at this flag, openLesson(id)}
   */
  constructor({ badges, count, diagram }, { show, openLesson }) {
    this.badgesEl = badges;
    this.diagram = diagram;
    diagram.overlays.push({ paint: () => this.place() }); // the badges move with the diagram's layout
    this.countEl = count;
    this.show = show;
    this.openLesson = openLesson;
    this.flags = [];
    this.key = null;
    this.placed = "";
    this.lessonTitles = null; // id → title, from GET /api/lessons (asked once, when a flag names a lesson)
    this.lists = new Set(); // the sentence lists to keep current (the Diagnostics view's)
    this.badgesEl.addEventListener("click", (e) => {
      const badge = e.target.closest("button[data-layer]");
      if (badge) this.show(this.flags.find((f) => String(badgeLayer(f)) === badge.dataset.layer) || null);
    });
  }

  /** The session's flags (the store's): badges, the tab's count and the sentences follow. */
  set(flags) {
    this.flags = flags || [];
    const key = flagsKey(this.flags);
    const changed = key !== this.key;
    this.key = key;
    this.countEl.hidden = !this.flags.length;
    this.countEl.textContent = this.flags.length ? `⚠ ${this.flags.length}` : "";
    this.countEl.title = this.flags.length ? `${this.flags.length} health ${this.flags.length === 1 ? "flag" : "flags"}: open Diagnostics` : "";
    if (changed) {
      this.placed = "";
      this.badgesEl.innerHTML = [...flagsByLayer(this.flags)].map(([layer, list]) => this.badge(layer, list)).join("");
    }
    for (const list of this.lists) this.renderList(list);
    if (this.flags.some((f) => f.lesson) && !this.lessonTitles) this.loadLessonTitles();
    this.place(); // new badges are placed at once, not at the next paint
  }

  badge(layer, list) {
    const titles = list.map((f) => FLAG_TITLES[f.kind] || f.kind);
    const where = layer === 0 ? "the network" : `layer ${layer}`;
    const label = `${where}: ${titles.join(", ")}. ${list.map((f) => f.message).join(" ")}`;
    return `<button type="button" class="flag-badge" data-layer="${layer}" data-kinds="${esc(list.map((f) => f.kind).join(" "))}" data-testid="flag-badge-${layer}" aria-label="${esc(`Health flag on ${label}`)}" title="${esc(label)}"><span class="icon" aria-hidden="true">⚠${list.length > 1 ? `<small>${list.length}</small>` : ""}</span><span class="text">${esc(titles.join(" · "))}</span></button>`;
  }

  /** Put each badge under its layer's column (called after every diagram paint; moves only when needed). */
  place() {
    const diagram = this.diagram;
    const g = diagram.geometry;
    const tr = diagram.transform();
    if (!g || !tr || !this.flags.length) return;
    const { bottom } = diagram.ranges();
    const spacing = g.L ? Math.abs(tr.x(1) - tr.x(0)) : 200;
    const y = tr.y(bottom) + diagram.el.offsetTop + 2;
    const key = `${this.key}|${Math.round(spacing)}|${Math.round(y)}|${Math.round(tr.x(0))}|${px(12)}`;
    if (key === this.placed) return;
    this.placed = key;
    for (const badge of this.badgesEl.querySelectorAll(".flag-badge")) {
      const layer = Number(badge.dataset.layer);
      const x = tr.x(layer === 0 ? g.L : Math.min(layer, g.L)) + diagram.el.offsetLeft;
      // Its words when they fit between the neighbouring columns, else only ⚠ (the words are in its name and title).
      badge.classList.remove("compact");
      badge.classList.toggle("compact", badge.offsetWidth > spacing - 8);
      badge.style.top = `${Math.round(y)}px`;
      badge.style.left = `${Math.round(x)}px`;
    }
  }

  /** Keep a sentence list current (the Diagnostics view's box above its charts). */
  attachList(element) {
    this.lists.add(element);
    element.addEventListener("click", (e) => {
      const link = e.target.closest("a[data-lesson]");
      if (!link || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return; // a new tab follows the link
      e.preventDefault();
      this.openLesson(link.dataset.lesson);
    });
    this.renderList(element);
  }

  renderList(element) {
    if (!this.flags.length) {
      const html = `<p class="flags-none" data-testid="flags-none">✓ No health flags: the gradients, the updates and the units look fine for now.</p>`;
      if (element.innerHTML !== html) element.innerHTML = html;
      element.dataset.count = "0";
      return;
    }
    const items = this.flags.map((f) => {
      const where = f.layer === null || f.layer === undefined ? (badgeLayer(f) ? "layer 1 vs the output" : "network") : `layer ${f.layer}`;
      const title = f.lesson && this.lessonTitles ? this.lessonTitles.get(f.lesson) || f.lesson : f.lesson;
      const lesson = f.lesson ? ` <a href="?lesson=${encodeURIComponent(f.lesson)}" data-lesson="${esc(f.lesson)}" class="lesson-link" data-testid="flag-lesson-${esc(f.kind)}" title="Open the lesson in a new session (this one stays in Compare runs)">Lesson: ${esc(title)} →</a>` : "";
      return `<li class="flag" data-kind="${esc(f.kind)}" data-layer="${f.layer ?? ""}" data-testid="flag-${esc(f.kind)}">
        <span class="flag-kind">⚠ ${esc(FLAG_TITLES[f.kind] || f.kind)} <small>${esc(where)}</small></span>
        <span class="flag-message">${esc(f.message)}</span>
        <span class="flag-numbers" title="the value the flag measured and the threshold it crossed">${fmt(f.value, "3")} vs ${fmt(f.threshold, "3")}</span>${lesson}</li>`;
    });
    const html = `<ul class="flags">${items.join("")}</ul>`;
    if (element.innerHTML !== html) element.innerHTML = html;
    element.dataset.count = String(this.flags.length);
  }

  /** Point at one flag in a list (a badge was clicked). */
  highlight(element, flag) {
    if (!flag) return;
    const item = element.querySelector(`.flag[data-kind="${CSS.escape(flag.kind)}"][data-layer="${flag.layer ?? ""}"]`);
    if (!item) return;
    item.classList.remove("pulse");
    void item.offsetWidth; // restart the animation
    item.classList.add("pulse");
    item.scrollIntoView({ block: "nearest" });
  }

  async loadLessonTitles() {
    this.lessonTitles = new Map();
    try {
      for (const info of await api("GET", "/api/lessons")) this.lessonTitles.set(info.id, info.title);
    } catch {
      return; // the ids stand in for the titles
    }
    for (const list of this.lists) this.renderList(list);
  }
}
