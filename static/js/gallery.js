// The weight gallery, beside the diagram when the inputs are an image: each layer-1 neuron j's incoming weights
// W¹ⱼ (row j of W¹, one weight per pixel) drawn as a small picture of the input's shape on the diverging scale —
// what that neuron looks for. In the backward pass, once B1 is shown, the pictures are ∂J/∂W¹ⱼ (the batch mean
// the update uses, or the focus sample's own δ¹ⱼ xᵀ: a toggle); at the update, the change ΔW¹ⱼ, faded in as the
// diagram animates its edges. One scale for all pictures (its value is shown), so neurons compare.
// Click a picture (or move with the arrow keys and press Enter) to select that neuron: the equations show it.

import { fmt } from "./format.js";
import { Atlas, largest, writeImage } from "./pixels.js";
import { DIVERGING } from "./palette.js";

const GAP = 2; // CSS pixels between pictures
const MAX_SHOWN = 256; // a wider first layer shows its first 256 neurons
const TWEEN_MS = 650; // as the diagram's update animation
const GRADIENT = `linear-gradient(to right, ${DIVERGING.map(([t, c]) => `${c} ${Math.round(t * 100)}%`).join(", ")})`;

/** What the gallery shows for a phase view (view.js): which matrix, its title, and a note. */
export function galleryContent(view, state, gradient) {
  const b1 = view.bwd[1];
  if (!view.playing && view.mode === "update" && view.update) {
    return { rows: view.update.step_W[0], kind: "step", title: "ΔW¹ⱼ: the update's change", note: "blue: the weight grew, orange: it shrank" };
  }
  if (!view.playing && view.mode === "backward") {
    if (b1) {
      const sample = gradient === "sample";
      return {
        rows: sample ? b1.sample_grad_W : b1.grad_W,
        kind: "grad",
        title: sample ? "∂J/∂W¹ⱼ: this sample's δ¹ⱼ xᵀ" : "∂J/∂W¹ⱼ: batch mean",
        note: "the update moves each weight against its gradient",
      };
    }
    return { rows: view.before[1] || state.weights[0], kind: "weight", title: "W¹ⱼ: weights", note: "∂J/∂W¹ comes at B1", pending: true };
  }
  return { rows: view.edges[1] || state.weights[0], kind: "weight", title: "W¹ⱼ: what each neuron looks for", note: "blue: ink here raises z¹ⱼ, orange: lowers it" };
}

export class WeightGallery {
  /** `element`: the gallery section; `onSelect(selection)` when a picture is chosen. */
  constructor(element, { onSelect }) {
    this.el = element;
    this.onSelect = onSelect;
    this.canvas = element.querySelector("canvas");
    this.wrap = this.canvas.parentElement;
    this.titleEl = element.querySelector("[data-part='title']");
    this.noteEl = element.querySelector("[data-part='note']");
    this.scaleEl = element.querySelector("[data-part='scale']");
    this.toggle = element.querySelector("[data-part='toggle']");
    this.atlas = new Atlas();
    this.gradient = "batch"; // which ∂J/∂W¹ the backward pass shows: "batch" or "sample"
    this.shape = null;
    this.count = 0;
    this.cursor = 0;
    this.last = null; // {view, state, selection}
    this.updateId = null; // the update record last animated
    this.tweenStart = 0;
    this.tweenFrame = 0;
    this.grid = null;
    this.canvas.addEventListener("click", (e) => this.clicked(e));
    this.canvas.addEventListener("mousemove", (e) => this.hover(e));
    this.canvas.addEventListener("keydown", (e) => this.key(e));
    for (const button of this.toggle.querySelectorAll("button")) {
      button.addEventListener("click", () => {
        this.gradient = button.dataset.gradient;
        this.renderToggle();
        this.redraw();
      });
    }
    new ResizeObserver(() => this.redraw()).observe(this.wrap);
  }

  /** Show the gallery for a network whose input is an h × w image (null: hide it). */
  setShape(shape, neurons) {
    this.shape = shape;
    this.count = shape ? Math.min(neurons, MAX_SHOWN) : 0;
    this.neurons = neurons;
    this.cursor = Math.min(this.cursor, Math.max(0, this.count - 1));
    if (this.el.hidden !== !shape) {
      this.el.hidden = !shape;
      window.dispatchEvent(new Event("resize")); // the diagram beside it is narrower or wider: Plotly lays it out again
    }
    this.last = null;
    this.updateId = null;
  }

  get visible() {
    return Boolean(this.shape) && !this.el.hidden;
  }

  /** Draw a phase view; a new update record starts the fade-in of ΔW¹ (unless playing). */
  render(view, state, selection) {
    if (!this.visible) return;
    this.last = { view, state, selection };
    const update = view.mode === "update" && view.update && !view.playing ? view.update : null;
    if (update && update !== this.updateId) {
      this.updateId = update;
      this.tweenStart = performance.now();
      cancelAnimationFrame(this.tweenFrame);
      const tick = () => {
        this.paint();
        this.tweenFrame = performance.now() - this.tweenStart < TWEEN_MS ? requestAnimationFrame(tick) : 0;
      };
      this.tweenFrame = requestAnimationFrame(tick);
    } else if (!update) this.updateId = null;
    this.paint();
  }

  redraw() {
    if (this.last) this.paint();
  }

  get tweening() {
    return this.tweenFrame !== 0;
  }

  /** Pictures per row and their size in CSS pixels, as large as the box allows. */
  layout(width, height) {
    const n = Math.max(1, this.count);
    let best = { cols: 1, side: 0 };
    for (let cols = 1; cols <= n; cols++) {
      const rows = Math.ceil(n / cols);
      const side = Math.floor(Math.min((width - GAP) / cols, (height - GAP) / rows)) - GAP;
      if (side > best.side) best = { cols, side };
    }
    return { ...best, rows: Math.ceil(n / best.cols) };
  }

  paint() {
    const { view, state, selection } = this.last;
    const [h, w] = this.shape;
    const content = galleryContent(view, state, this.gradient);
    const rows = content.rows;
    const dpr = window.devicePixelRatio || 1;
    const width = this.wrap.clientWidth;
    const height = this.wrap.clientHeight;
    if (this.canvas.width !== Math.round(width * dpr) || this.canvas.height !== Math.round(height * dpr)) {
      this.canvas.width = Math.round(width * dpr);
      this.canvas.height = Math.round(height * dpr);
      this.canvas.style.width = `${width}px`;
      this.canvas.style.height = `${height}px`;
    }
    const ctx = this.canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    if (!rows) return;
    const grid = this.layout(width, height);
    this.grid = grid;
    const shown = rows.slice(0, this.count);
    const scale = largest(shown) || 1;
    const fade = content.kind === "step" && this.tweenStart ? Math.min(1, (performance.now() - this.tweenStart) / TWEEN_MS) : 1;
    const ease = fade < 0.5 ? 2 * fade * fade : 1 - (-2 * fade + 2) ** 2 / 2;
    const image = this.atlas.begin(grid.cols * w, grid.rows * h);
    shown.forEach((row, j) => writeImage(image, row, h, w, (j % grid.cols) * w, Math.floor(j / grid.cols) * h, "diverging", scale, content.kind === "step" ? ease : 1));
    this.atlas.commit();
    const side = Math.max(1, grid.side);
    ctx.globalAlpha = content.pending ? 0.45 : 1;
    const chosen = selectedNeuron(selection);
    for (let j = 0; j < shown.length; j++) {
      const [x, y] = this.cellAt(j, grid);
      this.atlas.draw(ctx, (j % grid.cols) * w, Math.floor(j / grid.cols) * h, w, h, x, y, side, side);
    }
    ctx.globalAlpha = 1;
    if (content.kind === "step" && fade < 1) {
      ctx.strokeStyle = `rgba(255, 196, 0, ${(0.9 * (1 - fade)).toFixed(3)})`;
      ctx.lineWidth = 3;
      for (let j = 0; j < shown.length; j++) {
        const [x, y] = this.cellAt(j, grid);
        ctx.strokeRect(x - 1.5, y - 1.5, side + 3, side + 3);
      }
    }
    if (chosen !== null && chosen < shown.length) {
      const [x, y] = this.cellAt(chosen, grid);
      ctx.strokeStyle = "#111";
      ctx.lineWidth = 2.5;
      ctx.strokeRect(x - 1.5, y - 1.5, side + 3, side + 3);
    }
    if (document.activeElement === this.canvas) {
      const [x, y] = this.cellAt(this.cursor, grid);
      ctx.setLineDash([3, 2]);
      ctx.strokeStyle = "#2166ac";
      ctx.lineWidth = 2;
      ctx.strokeRect(x - 3, y - 3, side + 6, side + 6);
      ctx.setLineDash([]);
    }
    this.showHead(content, scale);
  }

  cellAt(j, grid) {
    return [GAP + (j % grid.cols) * (grid.side + GAP), GAP + Math.floor(j / grid.cols) * (grid.side + GAP)];
  }

  showHead(content, scale) {
    const more = this.neurons > this.count ? ` (first ${this.count} of ${this.neurons})` : "";
    const title = `${content.title}${more}`;
    if (this.titleEl.textContent !== title) this.titleEl.textContent = title;
    if (this.noteEl.textContent !== content.note) this.noteEl.textContent = content.note;
    const scaleHtml = `<span>−${fmt(scale, "2")}</span><i style="background:${GRADIENT}"></i><span>${fmt(scale, "2")}</span>`;
    if (this.scaleEl.dataset.key !== scaleHtml) {
      this.scaleEl.dataset.key = scaleHtml;
      this.scaleEl.innerHTML = scaleHtml;
    }
    const gradientShown = content.kind === "grad";
    this.toggle.hidden = !gradientShown;
    this.el.dataset.content = content.kind;
    this.canvas.setAttribute(
      "aria-label",
      `${content.title}: ${this.count} pictures, one per neuron of layer 1. Arrow keys move, Enter shows neuron ${this.cursor + 1} in the equations.`,
    );
  }

  renderToggle() {
    for (const button of this.toggle.querySelectorAll("button")) button.setAttribute("aria-pressed", String(button.dataset.gradient === this.gradient));
  }

  /** The neuron under a point of the canvas (CSS pixels), or null. */
  hit(x, y) {
    const grid = this.grid;
    if (!grid) return null;
    const col = Math.floor((x - GAP) / (grid.side + GAP));
    const row = Math.floor((y - GAP) / (grid.side + GAP));
    if (col < 0 || col >= grid.cols || row < 0) return null;
    const j = row * grid.cols + col;
    return j < this.count ? j : null;
  }

  local(e) {
    const box = this.canvas.getBoundingClientRect();
    return [e.clientX - box.left, e.clientY - box.top];
  }

  clicked(e) {
    const j = this.hit(...this.local(e));
    if (j === null) return;
    this.cursor = j;
    this.onSelect({ kind: "neuron", layer: 1, index: j }, e);
  }

  hover(e) {
    const j = this.hit(...this.local(e));
    this.canvas.title = j === null ? "" : `neuron ${j + 1} of layer 1: click to see its equations`;
    this.canvas.style.cursor = j === null ? "default" : "pointer";
  }

  key(e) {
    if (!this.grid) return;
    const moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: this.grid.cols, ArrowUp: -this.grid.cols };
    if (e.key in moves) {
      e.preventDefault();
      e.stopPropagation(); // the page's arrow keys step through the pass; here they move between pictures
      this.cursor = Math.max(0, Math.min(this.count - 1, this.cursor + moves[e.key]));
      this.redraw();
    } else if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      e.stopPropagation();
      this.onSelect({ kind: "neuron", layer: 1, index: this.cursor }, e);
    }
  }

  /** Page coordinates of neuron j's picture (tests click it as a person would). */
  pointOf(j) {
    if (!this.grid) return null;
    const [x, y] = this.cellAt(j, this.grid);
    const box = this.canvas.getBoundingClientRect();
    return { x: box.left + x + this.grid.side / 2, y: box.top + y + this.grid.side / 2 };
  }
}

function selectedNeuron(selection) {
  if (!selection || selection.layer !== 1) return null;
  return selection.kind === "neuron" ? selection.index : selection.row;
}
