// The lesson panel beside the diagram: the open step's text with its math (HTML and MathML the server rendered
// and sanitized), Back / Next, the answer box of a compute step (Enter submits; right or wrong is shown at once;
// the hint and Reveal come after two wrong tries), the live status of a do or goal step ("test loss 0.23 →
// target ≤ 0.1"), what the lesson hides and locks, and a progress bar. It shows what the server says (the
// `lesson` event, GET …/lesson); what the learner does goes out through the callbacks (lessons.js).

import { esc, fmt } from "./format.js";
import { CONTROL_LABELS, SETUP_CONTROLS } from "./controlgate.js";

const KIND_TEXT = { read: "read", setup: "set-up", do: "do", compute: "compute", goal: "goal" };
const HINT_AFTER = 2; // wrong answers before the hint (the server's rule; it sends the hint then)

/** A condition's comparison as the learner reads it: "test loss 0.2312 → target ≤ 0.1". */
export function comparisonText(c) {
  return `${c.quantity.replaceAll("_", " ")} ${c.value} → target ${c.op} ${c.target}`;
}

/** "Step 3 of 27 · 2 done" */
export function progressText(lesson) {
  return `Step ${lesson.step + 1} of ${lesson.steps} · ${lesson.completed.length} done`;
}

/** A typed answer as a number, or null: accepts −, a decimal comma, and 1e-3 or 1.5×10^-3. */
export function parseAnswer(text) {
  let t = String(text).trim().replace(/[\u2212\u2013]/g, "-").replace(/\s+/g, "");
  if (/^-?\d+,\d+$/.test(t)) t = t.replace(",", ".");
  t = t.replace(/[×x*]10\^?\(?(-?\d+)\)?$/i, "e$1");
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) return null;
  const value = Number(t);
  return Number.isFinite(value) ? value : null;
}

/** The note under a step: what the lesson hides and locks while it is open, and how to get them back. */
export function controlsNote(view) {
  const names = (list) => {
    const setup = SETUP_CONTROLS.every((n) => list.includes(n));
    const rest = setup ? list.filter((n) => !SETUP_CONTROLS.includes(n)) : list;
    return [...(setup ? ["the whole set-up"] : []), ...rest.map((n) => CONTROL_LABELS[n] || n)].join(", ");
  };
  const parts = [];
  if (view.lock.length) parts.push(`Locked: ${names(view.lock)}.`);
  if (view.hide.length) parts.push(`Hidden: ${names(view.hide)}.`);
  return parts.length ? `${parts.join(" ")} Leave the lesson to get them back.` : "";
}

/** What the feedback line says about a compute step, from the view (and the value just typed, if any). */
export function answerFeedback(view, typed) {
  if (view.status === "done") return { kind: "right", text: `✓ Right. The engine's value is ${fmt(view.expected, "6")}.` };
  if (view.status === "revealed") return { kind: "revealed", text: `The answer is ${fmt(view.expected, "6")} (revealed). Type it in to go on, or press Next.` };
  if (!view.tries) return { kind: "", text: "" };
  const what = typed === undefined || typed === null ? "That is" : `${fmt(typed, "full")} is`;
  const more = view.tries >= HINT_AFTER ? " The hint below has the equation with its numbers." : " Check it and try again.";
  return { kind: "wrong", text: `✗ ${what} not right (${view.tries} ${view.tries === 1 ? "try" : "tries"}).${more}` };
}

export class LessonPanel {
  /**
   * @param {HTMLElement} element  the <aside> the panel fills
   * @param {object} on  {answer(value), reveal(), next(), back(), leave(), catalogue()}
   */
  constructor(element, on) {
    this.el = element;
    this.on = on;
    this.key = "";
    this.view = null;
    this.typed = null; // the last value this tab sent for the open step
    element.innerHTML = `
      <div class="lesson-head">
        <div class="lesson-name"><span class="lesson-kicker">Lesson</span><h2 id="lesson-title"></h2></div>
        <button type="button" id="lesson-leave" aria-label="Leave the lesson" title="Leave the lesson: every control comes back; the network stays as it is">Leave</button>
      </div>
      <div class="lesson-progress-row">
        <progress id="lesson-progress" max="1" value="0" data-testid="lesson-progress"></progress>
        <span id="lesson-progress-text" class="hint"></span>
      </div>
      <section class="lesson-step" aria-labelledby="lesson-step-title">
        <h3 id="lesson-step-title" tabindex="-1"></h3>
        <div id="lesson-text" class="lesson-text"></div>
      </section>
      <div id="lesson-task" class="lesson-task"></div>
      <p id="lesson-note" class="lesson-note hint" data-testid="lesson-note"></p>
      <div id="lesson-finished" class="lesson-finished" hidden>
        <p><b>Lesson complete.</b> <span id="lesson-finished-text"></span></p>
        <button type="button" id="lesson-more" aria-label="Choose another lesson">Choose another lesson</button>
      </div>
      <div class="lesson-nav">
        <button type="button" id="lesson-back" aria-label="Back: the step before">‹ Back</button>
        <button type="button" id="lesson-next" class="primary" aria-label="Next step">Next ›</button>
      </div>`;
    const $ = (id) => element.querySelector(`#${id}`);
    $("lesson-leave").addEventListener("click", () => this.on.leave());
    $("lesson-back").addEventListener("click", () => this.on.back());
    $("lesson-next").addEventListener("click", () => this.on.next());
    $("lesson-more").addEventListener("click", () => this.on.catalogue());
    element.addEventListener("submit", (e) => {
      e.preventDefault();
      if (e.target.id === "lesson-answer-form") this.submit();
    });
    element.addEventListener("click", (e) => {
      if (e.target.closest("#lesson-reveal")) this.on.reveal();
    });
  }

  $(id) {
    return this.el.querySelector(`#${id}`);
  }

  /** Show a step (null: no lesson, the panel hides). */
  render(view) {
    this.el.hidden = !view;
    this.view = view;
    if (!view) {
      this.key = "";
      return;
    }
    const key = `${view.lesson.id}|${view.index}`;
    const arrived = key !== this.key;
    const focusWasHere = this.el.contains(document.activeElement);
    if (arrived) {
      this.key = key;
      this.typed = null;
      this.build(view);
    }
    this.update(view);
    if (arrived && focusWasHere) {
      const input = this.$("lesson-answer");
      if (input) input.focus();
      else if (document.activeElement === document.body || !this.el.contains(document.activeElement)) this.$("lesson-next").focus();
    }
  }

  /** The parts of a step that stay while it is open: title, text, the answer box or the status list. */
  build(view) {
    this.$("lesson-title").textContent = view.lesson.title;
    this.$("lesson-step-title").innerHTML = `<span class="kind kind-${esc(view.kind)}">${esc(KIND_TEXT[view.kind] || view.kind)}</span> ${esc(view.title)}`;
    this.$("lesson-text").innerHTML = view.html; // sanitized by the server (app/lessons/render.py)
    this.el.querySelector(".lesson-step").scrollTop = 0;
    const task = this.$("lesson-task");
    task.dataset.kind = view.kind;
    if (view.kind === "compute") {
      const ask = view.ask;
      task.innerHTML = `
        <form id="lesson-answer-form" class="answer" novalidate>
          <label for="lesson-answer" class="answer-label"><span class="symbol">${ask.symbol}</span> =</label>
          <input id="lesson-answer" type="text" inputmode="decimal" autocomplete="off" spellcheck="false"
                 aria-label="Your answer: ${esc(ask.label)}" aria-describedby="lesson-feedback" placeholder="your number">
          <button type="submit" id="lesson-check-answer" aria-label="Check the answer">Check</button>
        </form>
        <p id="lesson-feedback" class="feedback" role="status" aria-live="polite" data-testid="lesson-feedback"></p>
        <div id="lesson-hint" class="hint-box" hidden>
          <p class="hint-title">Hint: the equation with the numbers in it</p>
          <div id="lesson-hint-math" class="hint-math" data-testid="lesson-hint"></div>
          <button type="button" id="lesson-reveal" aria-label="Reveal the answer">Reveal the answer</button>
        </div>`;
    } else if (view.kind === "do" || view.kind === "goal") {
      const title = view.kind === "goal" ? "Goal" : "Waiting for you";
      task.innerHTML = `
        <div class="check-box" role="status" aria-live="polite">
          <p class="check-title">${title}</p>
          <ul id="lesson-check" class="checks" data-testid="lesson-check"></ul>
          <p id="lesson-check-done" class="check-done" hidden></p>
        </div>`;
    } else {
      task.innerHTML = "";
    }
  }

  /** What changes while a step is open: status, feedback, hint, the live check, progress and the buttons. */
  update(view) {
    const lesson = view.lesson;
    const progress = this.$("lesson-progress");
    progress.max = lesson.steps;
    progress.value = lesson.completed.length;
    progress.setAttribute("aria-label", `Lesson progress: ${lesson.completed.length} of ${lesson.steps} steps done`);
    this.$("lesson-progress-text").textContent = progressText(lesson);
    this.el.dataset.step = String(view.index);
    this.el.dataset.status = view.status;
    this.el.dataset.kind = view.kind;
    if (view.kind === "compute") this.updateCompute(view);
    else if (view.kind === "do" || view.kind === "goal") this.updateCheck(view);
    this.$("lesson-note").textContent = controlsNote(view);
    const last = view.index === lesson.steps - 1;
    const next = this.$("lesson-next");
    next.textContent = last ? "Finish ✓" : "Next ›";
    next.setAttribute("aria-label", last ? "Finish the lesson" : "Next step");
    const unmet = ["do", "compute", "goal"].includes(view.kind) && view.status !== "done" && view.status !== "revealed";
    next.title = unmet ? "Go on without it: the step is recorded as skipped" : last ? "Finish the lesson" : "The next step";
    next.classList.toggle("skip", unmet);
    this.$("lesson-back").disabled = view.index === 0;
    const finished = this.$("lesson-finished");
    finished.hidden = !(lesson.finished && last);
    if (!finished.hidden) {
      const skipped = lesson.skipped.length ? `, ${lesson.skipped.length} skipped` : "";
      this.$("lesson-finished-text").textContent = `${lesson.completed.length} of ${lesson.steps} steps done${skipped}. Leave the lesson to explore freely, or choose another one.`;
    }
  }

  updateCompute(view) {
    const feedback = answerFeedback(view, this.typed);
    const line = this.$("lesson-feedback");
    if (line.textContent !== feedback.text) line.textContent = feedback.text;
    line.dataset.kind = feedback.kind;
    const hint = this.$("lesson-hint");
    hint.hidden = !view.hint;
    const math = this.$("lesson-hint-math");
    if (view.hint && math.dataset.tex !== view.hint_tex) {
      math.innerHTML = view.hint; // MathML, sanitized by the server
      math.dataset.tex = view.hint_tex;
    }
    this.$("lesson-reveal").hidden = view.status === "done" || view.status === "revealed";
    const input = this.$("lesson-answer");
    input.setAttribute("aria-invalid", String(feedback.kind === "wrong"));
    if (view.status === "done" && input.value === "" && view.expected !== null) input.value = fmt(view.expected, "6");
  }

  updateCheck(view) {
    const list = this.$("lesson-check");
    const check = view.check;
    const items = check
      ? check.comparisons.length
        ? check.comparisons.map((c) => `<li class="${c.passed ? "met" : "unmet"}">${esc(comparisonText(c))} <span class="mark">${c.passed ? "✓ met" : "✗ not yet"}</span></li>`)
        : [`<li class="unmet">${esc(check.detail)}</li>`]
      : [`<li>${esc(view.condition || "")}</li>`];
    const html = items.join("");
    if (list.innerHTML !== html) list.innerHTML = html;
    const done = this.$("lesson-check-done");
    done.hidden = view.status !== "done";
    done.textContent = view.kind === "goal" ? "✓ Goal met. Press Next when you are ready." : "✓ Done.";
  }

  /** Enter in the answer box: send the number (or say what is wrong with the text). */
  submit() {
    const input = this.$("lesson-answer");
    const value = parseAnswer(input.value);
    const line = this.$("lesson-feedback");
    if (value === null) {
      line.textContent = "Type a number, e.g. 0.6225 or -3.5e-4.";
      line.dataset.kind = "wrong";
      input.select();
      return;
    }
    this.typed = value;
    this.on.answer(value);
  }

  /** The answer's result came back (the lesson event brings the same to every tab): show it at once. */
  answered(result) {
    if (!this.view || this.view.kind !== "compute") return;
    const view = { ...this.view, status: result.status, tries: result.tries, hint: result.hint ?? this.view.hint, hint_tex: result.hint_tex ?? this.view.hint_tex, expected: result.expected };
    this.view = view;
    this.update(view);
    const input = this.$("lesson-answer");
    if (result.correct || result.status === "revealed") {
      if (result.status === "revealed") input.value = fmt(result.expected, "6");
      this.$("lesson-next").focus();
    } else {
      input.focus();
      input.select();
    }
  }
}
