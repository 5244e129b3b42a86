// Stepping controls: buttons, keyboard shortcuts, play/pause with a speed slider, and the phase timeline
// (F1 … FL, J, BL … B1, U) that shows where the step is and jumps on click. Every control has an accessible
// name that says what it does ("Next phase", "Back one pass", "Play" …).

import { SPEEDS } from "./state.js";
import { inputLatency } from "./perf.js";

const SPEED_TEXT = { max: "max" };

export class Controls {
  constructor({ send, onSpeed, onPlayToggle }) {
    this.send = send;
    this.onSpeed = onSpeed;
    this.onPlayToggle = onPlayToggle;
    this.playing = false;
    this.timelineKey = null;
    this.busy = false;
    this.disabledFor = ""; // "job" while a training job runs
    this.shown = -1;
    this.P = 0;
    const bind = (id, fn) =>
      document.getElementById(id).addEventListener("click", (e) => {
        inputLatency(e);
        fn();
      });
    bind("next-phase", () => this.step("phase"));
    bind("next-pass", () => this.step("pass"));
    bind("next-epoch", () => this.step("epoch"));
    bind("back-phase", () => this.back("phase"));
    bind("back-pass", () => this.back("pass"));
    bind("reset", () => this.send({ type: "reset" }));
    bind("play", () => this.onPlayToggle(!this.playing));
    this.speed = document.getElementById("speed");
    this.speedOut = document.getElementById("speed-out");
    this.speed.addEventListener("input", (e) => {
      inputLatency(e);
      const value = SPEEDS[Number(this.speed.value)];
      this.speedOut.textContent = SPEED_TEXT[value] || `${value}/s`;
      this.onSpeed(value);
    });
    document.addEventListener("keydown", (e) => this.key(e));
    document.addEventListener("keyup", (e) => {
      if ((e.key === " " || e.code === "Space") && e.target && e.target.tagName === "BUTTON") e.preventDefault();
    });
    this.timeline = document.getElementById("timeline");
    this.timeline.addEventListener("click", (e) => {
      const button = e.target.closest("button[data-index]");
      if (!button) return;
      inputLatency(e);
      this.jump(Number(button.dataset.index));
    });
  }

  step(unit) {
    this.send({ type: "step", unit, count: 1 });
  }

  back(unit) {
    this.send({ type: "back", unit, count: 1 });
  }

  key(e) {
    const target = e.target;
    if (target && (target.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName))) {
      if (!(target.type === "range" || target.type === "checkbox")) return;
      if (e.key !== " ") return; // a slider keeps its own arrow keys
    }
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === "ArrowRight") {
      inputLatency(e);
      e.preventDefault();
      this.step(e.shiftKey ? "pass" : "phase");
    } else if (e.key === "ArrowLeft") {
      inputLatency(e);
      e.preventDefault();
      this.back(e.shiftKey ? "pass" : "phase");
    } else if (e.key === " " || e.code === "Space") {
      // Space is play/pause everywhere but in form fields (a focused button is still pressed with Enter).
      inputLatency(e);
      e.preventDefault();
      this.onPlayToggle(!this.playing);
    }
  }

  setSpeed(value) {
    const index = Math.max(0, SPEEDS.indexOf(value));
    this.speed.value = String(index);
    this.speedOut.textContent = SPEED_TEXT[value] || `${value}/s`;
  }

  setPlaying(playing) {
    this.playing = playing;
    const button = document.getElementById("play");
    button.setAttribute("aria-label", playing ? "Pause" : "Play");
    button.title = playing ? "Pause (Space)" : "Play (Space)";
    button.textContent = playing ? "‖ Pause" : "▶ Play";
    button.classList.toggle("active", playing);
  }

  setDisabled(disabled, reason = "") {
    for (const id of ["next-phase", "next-pass", "next-epoch", "back-phase", "back-pass", "reset", "play"]) {
      const el = document.getElementById(id);
      el.disabled = disabled;
      el.dataset.reason = reason;
    }
    for (const b of this.timeline.querySelectorAll("button")) b.disabled = disabled;
  }

  /** The timeline for this network; `shown` is the index of the last phase shown (−1: none in this pass). */
  renderTimeline(labels, shown, pass) {
    this.P = labels.length;
    this.shown = shown;
    const key = labels.join(",");
    if (key !== this.timelineKey) {
      this.timelineKey = key;
      this.timeline.innerHTML = labels
        .map((label, i) => {
          const kind = label === "J" ? "loss" : label === "U" ? "update" : label[0] === "F" ? "forward" : "backward";
          return `<button type="button" class="tl ${kind}" data-index="${i}" data-label="${label}" aria-label="Jump to phase ${label}" title="${TITLE[kind](label)}">${label}</button>`;
        })
        .join("");
    }
    for (const button of this.timeline.children) {
      const i = Number(button.dataset.index);
      button.classList.toggle("done", i < shown);
      button.classList.toggle("current", i === shown);
      if (i === shown) button.setAttribute("aria-current", "step");
      else button.removeAttribute("aria-current");
    }
    this.timeline.dataset.current = shown >= 0 ? labels[shown] : "";
    document.getElementById("timeline-label").textContent = `pass #${pass + 1}`;
  }

  /** Jump to timeline index `target`: as many phase steps (or steps back) as it takes, as one command. */
  jump(target) {
    const shown = this.shown;
    if (target === shown) return;
    if (shown === this.P - 1) {
      // the pass is complete (U shown): a click starts the next pass and goes to `target` in it
      this.send({ type: "step", unit: "phase", count: target + 1 });
    } else if (target > shown) {
      this.send({ type: "step", unit: "phase", count: target - shown });
    } else {
      this.send({ type: "back", unit: "phase", count: shown - target });
    }
  }
}

const TITLE = {
  forward: (l) => `Forward, layer ${l.slice(1)}: z = W a + b, a = f(z)`,
  loss: () => "Loss J and the output error δᴸ",
  backward: (l) => `Backward, layer ${l.slice(1)}: δ = (Wᵀδ) ⊙ f′(z), ∂J/∂W = δ aᵀ`,
  update: () => "Update: W := W − η ∂J/∂W",
};
