// The drawing pad: draw a digit with the mouse, a finger or a pen (pointer events), see it reduced to one sample
// of the data — the same way the data were made (engine/datasets/images.py) — and what the network makes of it,
// updated as you draw; then "Teach it: this is a 7" runs one pass on the drawing through the stepper, to be
// stepped through phase by phase like any other pass. The drawing is not added to the data.
//
// The two recipes, as the server describes the data set's image format (`dataset.image`):
//   blocks   (UCI digits) the drawing's bounding box scaled to fit a (block·h) × (block·w) bitmap, centred, each
//            bitmap pixel on or off; a pixel of the image counts the on pixels of its block × block square.
//   centred  (MNIST) the bounding box scaled to fit 20/28 of the image, grey levels, then moved so its centre of
//            mass is the image's centre; 0 … pixel_max.

const PAD_PEN = 0.085; // pen width, as a share of the pad's side (the digits' strokes are ~3 bitmap pixels of 32)
const MNIST_BOX = 20 / 28; // the share of an MNIST image its digit's box fills

/** The UCI reduction of a 0/1 bitmap (H × W, row by row): on pixels counted per block × block square. Pure, so
 * tests/js checks it on the bitmaps whose counts the engine's `blocks_from_bitmap` is tested with. */
export function blocksFromBitmap(bitmap, H, W, block) {
  const h = H / block;
  const w = W / block;
  const out = new Array(h * w).fill(0);
  for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) if (bitmap[r * W + c]) out[Math.floor(r / block) * w + Math.floor(c / block)] += 1;
  return out;
}

/** The box of inked pixels of an alpha channel (width × height), or null when nothing is drawn. */
export function inkBox(alpha, width, height, threshold = 24) {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (alpha[y * width + x] > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  return x1 < 0 ? null : { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

/** The shift (dx, dy) that moves the centre of mass of grey levels (h × w) to the image's centre, rounded. */
export function centreOfMassShift(values, h, w) {
  let total = 0;
  let sx = 0;
  let sy = 0;
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const v = values[r * w + c];
      total += v;
      sx += v * c;
      sy += v * r;
    }
  }
  if (!total) return [0, 0];
  return [Math.round((w - 1) / 2 - sx / total), Math.round((h - 1) / 2 - sy / total)];
}

export class DrawPad {
  /**
   * @param {HTMLElement} element  where the pad goes (the image view's Draw tab)
   * @param {object} hooks  {predict(pixels) → Promise<PredictResponse>, teach(pixels, label),
   *                         add(pixels, label) → Promise: the drawing joins this session's training data}
   */
  constructor(element, { predict, teach, add }) {
    this.el = element;
    this.predictFn = predict;
    this.teachFn = teach;
    this.addFn = add;
    this.format = null; // the data set's image format (ImageFormatOut)
    this.classes = [];
    this.pixels = null; // the drawing as one sample (raw pixels), or null when the pad is empty
    this.pending = false; // a prediction request is on its way
    this.stale = false; // the drawing changed since that request was sent
    this.labelChosen = false;
    this.strokes = 0;
    this.el.innerHTML = `
      <div class="pad-row">
        <div class="pad-box"><canvas class="pad" data-testid="draw-pad" aria-label="Drawing pad: draw a digit with the mouse, a finger or a pen" role="img"></canvas>
          <div class="pad-hint" data-part="hint">draw here</div></div>
        <div class="pad-side">
          <div class="pad-seen"><canvas class="pad-preview" data-testid="pad-preview" aria-label="The drawing as the network sees it"></canvas>
            <span class="hint" data-part="seen">what the network sees</span></div>
          <div class="pad-prediction" data-testid="pad-prediction" aria-live="polite">—</div>
          <ol class="pad-probs" data-testid="pad-probabilities" aria-label="Class probabilities"></ol>
        </div>
      </div>
      <div class="pad-actions">
        <button type="button" data-act="clear" aria-label="Clear the drawing">Clear</button>
        <label class="pad-label">it is <select data-part="label" aria-label="What the drawing is"></select></label>
        <button type="button" class="primary" data-act="teach" data-testid="teach" aria-label="Teach the network the drawing: one pass on it, step by step" disabled>Teach it</button>
      </div>
      <div class="pad-actions more"><button type="button" class="link" data-act="add" data-testid="add-example" aria-label="Add the drawing to this session's training data" disabled>+ add it to the training data</button>
        <span class="hint">(this session only; teaching alone does not)</span></div>`;
    this.pad = this.el.querySelector("canvas.pad");
    this.preview = this.el.querySelector("canvas.pad-preview");
    this.predictionEl = this.el.querySelector("[data-testid='pad-prediction']");
    this.probsEl = this.el.querySelector("[data-testid='pad-probabilities']");
    this.labelEl = this.el.querySelector("[data-part='label']");
    this.teachButton = this.el.querySelector("[data-act='teach']");
    this.hintEl = this.el.querySelector("[data-part='hint']");
    this.ink = document.createElement("canvas"); // the strokes at the pad's own resolution (alpha = ink)
    this.work = document.createElement("canvas"); // scratch for the reduction
    this.bindPointer();
    this.el.querySelector("[data-act='clear']").addEventListener("click", () => this.clear());
    this.teachButton.addEventListener("click", () => this.teach());
    this.addButton = this.el.querySelector("[data-act='add']");
    this.addButton.addEventListener("click", () => this.add());
    this.labelEl.addEventListener("change", () => {
      this.labelChosen = true;
      this.renderTeach();
    });
    new ResizeObserver(() => this.resize()).observe(this.pad.parentElement);
  }

  /** The data set the pad draws for: its image format and classes (a new session may change them). */
  setDataset(dataset) {
    const format = dataset && dataset.image;
    const key = format ? `${format.shape}|${format.pixel_max}|${format.drawing}|${(dataset.classes || []).join()}` : "";
    if (key === this.key) return;
    this.key = key;
    this.format = format || null;
    this.classes = dataset && dataset.classes ? dataset.classes : [];
    this.labelEl.innerHTML = this.classes.map((c) => `<option value="${c}">${c}</option>`).join("");
    this.labelChosen = false;
    this.clear();
  }

  resize() {
    const side = Math.max(80, Math.floor(Math.min(this.pad.parentElement.clientWidth, this.pad.parentElement.clientHeight || 9999)));
    if (this.ink.width === side) return;
    const old = this.ink.width ? this.ink : null;
    const copy = old ? Object.assign(document.createElement("canvas"), { width: old.width, height: old.height }) : null;
    if (copy) copy.getContext("2d").drawImage(old, 0, 0);
    this.ink.width = this.ink.height = side;
    if (copy) this.ink.getContext("2d").drawImage(copy, 0, 0, side, side);
    const dpr = window.devicePixelRatio || 1;
    this.pad.width = this.pad.height = Math.round(side * dpr);
    this.pad.style.width = this.pad.style.height = `${side}px`;
    this.show();
  }

  bindPointer() {
    let last = null;
    const at = (e) => {
      const box = this.pad.getBoundingClientRect();
      return [((e.clientX - box.left) / box.width) * this.ink.width, ((e.clientY - box.top) / box.height) * this.ink.height];
    };
    const stroke = (from, to) => {
      const ctx = this.ink.getContext("2d");
      ctx.strokeStyle = "#000";
      ctx.fillStyle = "#000";
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.lineWidth = PAD_PEN * this.ink.width;
      ctx.beginPath();
      ctx.moveTo(...from);
      ctx.lineTo(...to);
      ctx.stroke();
    };
    this.pad.addEventListener("pointerdown", (e) => {
      if (!this.format) return;
      e.preventDefault();
      this.pad.setPointerCapture(e.pointerId);
      last = at(e);
      stroke(last, last);
      this.strokes += 1;
      this.changed();
    });
    this.pad.addEventListener("pointermove", (e) => {
      if (!last) return;
      const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
      for (const ev of events.length ? events : [e]) {
        const point = at(ev);
        stroke(last, point);
        last = point;
      }
      this.changed();
    });
    const end = () => {
      last = null;
    };
    this.pad.addEventListener("pointerup", end);
    this.pad.addEventListener("pointercancel", end);
  }

  clear() {
    this.ink.getContext("2d").clearRect(0, 0, this.ink.width, this.ink.height);
    this.pixels = null;
    this.strokes = 0;
    this.show();
    this.renderPreview();
    this.showPrediction(null);
    this.renderTeach();
  }

  /** The drawing changed: show it, reduce it, and ask for a prediction (one request at a time). */
  changed() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.show();
      this.pixels = this.reduce();
      this.renderPreview();
      this.renderTeach();
      this.requestPrediction();
    });
  }

  show() {
    const ctx = this.pad.getContext("2d");
    const side = this.pad.width;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, side, side);
    ctx.drawImage(this.ink, 0, 0, side, side);
    this.hintEl.hidden = this.strokes > 0;
  }

  /** The drawing as one sample of the data (raw pixels, row by row), or null when nothing is drawn. */
  reduce() {
    const f = this.format;
    if (!f) return null;
    const W = this.ink.width;
    const alpha = channel(this.ink.getContext("2d").getImageData(0, 0, W, W).data, 3);
    const box = inkBox(alpha, W, W);
    if (!box) return null;
    const [h, w] = f.shape;
    if (f.drawing === "blocks") {
      const H = h * f.block;
      const Wb = w * f.block;
      const scale = Math.min(H / box.h, Wb / box.w);
      const dw = box.w * scale;
      const dh = box.h * scale;
      const grey = this.draw(box, Wb, H, (Wb - dw) / 2, (H - dh) / 2, dw, dh);
      const bitmap = grey.map((v) => (v >= 128 ? 1 : 0));
      return blocksFromBitmap(bitmap, H, Wb, f.block);
    }
    const fit = MNIST_BOX * Math.min(h, w);
    const scale = Math.min(fit / box.h, fit / box.w);
    const dw = box.w * scale;
    const dh = box.h * scale;
    let grey = this.draw(box, w, h, (w - dw) / 2, (h - dh) / 2, dw, dh);
    const [sx, sy] = centreOfMassShift(grey, h, w);
    if (sx || sy) grey = this.draw(box, w, h, (w - dw) / 2 + sx, (h - dh) / 2 + sy, dw, dh);
    return grey.map((v) => Math.round((v / 255) * f.pixel_max * 1000) / 1000);
  }

  /** The ink box drawn scaled into a w × h image at (x, y, dw, dh), smoothed: its alpha channel, 0 … 255. */
  draw(box, w, h, x, y, dw, dh) {
    this.work.width = w;
    this.work.height = h;
    const ctx = this.work.getContext("2d");
    ctx.clearRect(0, 0, w, h);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(this.ink, box.x, box.y, box.w, box.h, x, y, dw, dh);
    return channel(ctx.getImageData(0, 0, w, h).data, 3);
  }

  renderPreview() {
    const f = this.format;
    if (!f) return;
    const [h, w] = f.shape;
    this.preview.width = w;
    this.preview.height = h;
    const ctx = this.preview.getContext("2d");
    const image = ctx.createImageData(w, h);
    const values = this.pixels || new Array(h * w).fill(0);
    for (let k = 0; k < h * w; k++) {
      const g = Math.round(255 - (Math.min(1, values[k] / f.pixel_max) * 235));
      image.data.set([g, g, g, 255], k * 4);
    }
    ctx.putImageData(image, 0, 0);
  }

  async requestPrediction() {
    if (!this.pixels) return;
    if (this.pending) {
      this.stale = true;
      return;
    }
    this.pending = true;
    this.stale = false;
    try {
      const answer = await this.predictFn(this.pixels);
      if (this.pixels) this.showPrediction(answer);
    } catch (err) {
      this.predictionEl.textContent = err.message;
    } finally {
      this.pending = false;
      if (this.stale) this.requestPrediction();
    }
  }

  /** The network's answer for the drawing: its class, and every class's probability as a bar. */
  showPrediction(answer) {
    this.lastAnswer = answer;
    if (!answer || !answer.probabilities) {
      this.predictionEl.innerHTML = this.pixels ? "…" : "draw a digit";
      this.probsEl.innerHTML = "";
      this.el.dataset.predicted = "";
      return;
    }
    const probs = answer.probabilities[0];
    const predicted = answer.predicted[0];
    const best = Math.max(...probs);
    this.predictionEl.innerHTML = `it reads <b>${predicted}</b> <span class="hint">${Math.round(best * 100)}%</span>`;
    this.probsEl.innerHTML = answer.classes
      .map((c, k) => `<li data-class="${c}"${c === predicted ? ' class="top"' : ""}><span class="c">${c}</span><span class="bar"><i style="width:${(probs[k] * 100).toFixed(1)}%"></i></span><span class="p">${Math.round(probs[k] * 100)}%</span></li>`)
      .join("");
    this.el.dataset.predicted = predicted;
    if (!this.labelChosen) this.labelEl.value = predicted;
    this.renderTeach();
  }

  /** The network's weights changed (a pass, a reset, a taught drawing): ask again what it makes of the drawing. */
  weightsChanged() {
    if (this.pixels) this.requestPrediction();
  }

  renderTeach() {
    const label = this.labelEl.value;
    this.teachButton.disabled = !this.pixels || !label;
    this.addButton.disabled = !this.pixels || !label;
    this.addButton.setAttribute("aria-label", `Add the drawing to this session's training data as a ${label}`);
    this.teachButton.textContent = label ? `Teach it: this is a ${label}` : "Teach it";
    this.teachButton.setAttribute("aria-label", `Teach the network that the drawing is a ${label}: one pass on it, step by step`);
  }

  teach() {
    if (!this.pixels || !this.labelEl.value) return;
    this.teachFn(this.pixels.slice(), this.labelEl.value);
  }

  async add() {
    if (!this.pixels || !this.labelEl.value) return;
    this.addButton.disabled = true;
    try {
      await this.addFn(this.pixels.slice(), this.labelEl.value);
    } finally {
      this.renderTeach();
    }
  }
}

function channel(rgba, offset) {
  const out = new Array(rgba.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = rgba[i * 4 + offset];
  return out;
}
