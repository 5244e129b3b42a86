// The math panel: the seed's equations for the selected neuron or weight, with the focus sample's real numbers
// plugged in. Every number is a value the server sent, shown at the chosen precision; the element carries the
// raw JSON value in data-value (tests compare it exactly with the API). Sums are written out term by term for
// reading only — the result shown is always the record's own number (z, a, δ, ∂J/∂w …), never recomputed here.
// The formulas of f and f′, the names and the δ^L pairings written in closed form are the engine's, from its
// catalog (catalog.js): MathML the server made from the engine's TeX, which Chromium renders natively.

import { esc, fmt, raw } from "./format.js";
import { closedFormDelta, elementwise, entry, label, seedRule } from "./catalog.js";
import { stepTo, watching } from "./watching.js";

const MAX_TERMS = 10; // a longer sum shows its first and last few terms and "… n more"
const LARGEST_TERMS = 8; // a sum over an image's pixels shows its largest terms, the biggest first

/** A symbol in the seed's notation: name, layer as superscript, indices as subscript (1-based, as the seed). */
function sym(name, layer, index) {
  const s = layer === null || layer === undefined ? "" : `<sup>${layer}</sup>`;
  const i = index === null || index === undefined ? "" : `<sub>${index}</sub>`;
  return `<var>${name}</var>${s}${i}`;
}

export class MathPanel {
  constructor(element, { catalog, precision, onEdit, onPickChange }) {
    this.el = element;
    this.catalog = catalog;
    this.precision = precision;
    this.onEdit = onEdit;
    this.onPickChange = onPickChange;
    this.body = element.querySelector("#math-body");
    this.edit = element.querySelector("#math-edit");
    this.picker = element.querySelector("#math-picker");
    this.editKey = null;
    this.pickerKey = null;
    this.lastHtml = "";
  }

  num(value, testid, extra = "") {
    const t = testid ? ` data-testid="${testid}"` : "";
    return `<span class="num${extra}"${t} data-value="${esc(raw(value))}" title="${esc(raw(value))}">${fmt(value, this.precision())}</span>`;
  }

  /** An activation's f(z) or f′ ("derivative") as the server's MathML (its name, if the catalog lacks it). */
  formula(activation, which = "formula") {
    const e = entry(this.catalog.activations, activation);
    return e && e[which] ? e[which].mathml : esc(activation);
  }

  /** The values of the parameters in layer l's activation (leaky ReLU's slope α, …): the session's
   * activation_options, else the engine's defaults; shown beside its formula, which writes their symbols. */
  parameters(state, l, activation) {
    const e = entry(this.catalog.activations, activation);
    if (!e || !e.parameters) return "";
    const given = (state.config.activation_options || [])[l - 1] || {};
    return e.parameters
      .map((p) => ` <span class="note">with ${p.symbol.mathml} = ${this.num(given[p.name] ?? p.default, `math-param-${p.name}`)}</span>`)
      .join("");
  }

  /** Parenthesize a number that is negative, so "(w)(a)" reads as a product. */
  par(value, testid) {
    return `(${this.num(value, testid)})`;
  }

  /** The terms of a sum over pixels, largest |term| first (`size(k)` for ordering only; the sum shown is the
   * record's own z), then how many smaller ones are left out. */
  largestTerms(count, size, term) {
    if (count <= MAX_TERMS) return this.terms(count, term);
    const order = [...Array(count).keys()].sort((a, b) => size(b) - size(a) || a - b);
    const shown = order.slice(0, LARGEST_TERMS).map(term);
    return `${shown.join(" + ")} + <span class="more">… ${count - LARGEST_TERMS} smaller terms (${count} in all) …</span>`;
  }

  terms(count, term) {
    const out = [];
    const skip = count > MAX_TERMS ? [6, count - 2] : null;
    for (let k = 0; k < count; k++) {
      if (skip && k === skip[0]) {
        out.push(`<span class="more">… ${count - 8} more terms …</span>`);
        k = skip[1] - 1;
        continue;
      }
      out.push(term(k));
    }
    return out.join(" + ");
  }

  /** Redraw for the current view; cheap enough to run every frame. */
  render(ctx) {
    const { view, state, selection } = ctx;
    this.renderPicker(state, selection);
    let html;
    if (!selection) html = `<p class="empty">Click a neuron or an edge in the diagram (or pick one above) to see its equations with the numbers of the focus sample.</p>`;
    else if (selection.kind === "neuron" && selection.layer === 0) html = this.inputNeuron(ctx);
    else if (selection.kind === "neuron") html = this.neuron(ctx);
    else html = this.edge(ctx);
    html = this.header(ctx) + html;
    if (html !== this.lastHtml) {
      this.body.innerHTML = html;
      this.lastHtml = html;
    }
    // Keep the equations of the phase just shown in sight.
    const scrollKey = `${view.mode}|${selection ? JSON.stringify(selection) : ""}`;
    if (scrollKey !== this.scrollKey) {
      this.scrollKey = scrollKey;
      const head = this.body.querySelector(`h4[data-section="${view.mode}"]`);
      if (!head || view.mode === "forward") this.el.scrollTop = 0;
      else this.el.scrollTop += head.getBoundingClientRect().top - this.el.getBoundingClientRect().top - 90;
    }
    this.renderEdit(ctx);
    this.el.dataset.phase = view.label || "";
    this.el.dataset.selection = selection ? JSON.stringify(selection) : "";
  }

  header({ view, focus, dataset }) {
    if (!focus) return "";
    const label = focus.label !== null && focus.label !== undefined ? ` · class <b>${esc(focus.label)}</b>` : "";
    const xs = focus.x_raw.slice(0, 4).map((v) => fmt(v, "3")).join(", ") + (focus.x_raw.length > 4 ? ", …" : "");
    const ys = dataset.task === "regression" ? ` · y = ${focus.y.map((v) => fmt(v, "3")).join(", ")}` : "";
    const where = view.label ? `after <b>${view.label}</b> of pass ${view.pass + 1}` : `before pass ${view.pass + 1}`;
    const who = focus.split === "example" ? "Your drawing (the whole batch of this pass)" : `Focus sample <b>#${focus.index}</b>${focus.split === "test" ? " of the test set" : ""}`;
    return `<p class="focus-line">${who} (x = ${xs})${label}${ys} · ${where}</p>`;
  }

  renderPicker(state, selection) {
    const layers = state.config.layers;
    const key = `${layers.join("-")}|${selection ? JSON.stringify(selection) : ""}`;
    if (key === this.pickerKey) return;
    this.pickerKey = key;
    const kind = selection ? selection.kind : "neuron";
    const layer = selection ? selection.layer : layers.length - 1;
    const index = selection ? (selection.kind === "neuron" ? selection.index : selection.row) : 0;
    const column = selection && selection.kind === "edge" ? selection.column : 0;
    const opt = (n, v, sel) => `<option value="${v}"${v === sel ? " selected" : ""}>${n}</option>`;
    const layerOpts = [];
    for (let l = kind === "edge" ? 1 : 0; l < layers.length; l++) layerOpts.push(opt(l === 0 ? "input" : l === layers.length - 1 ? `${l} (output)` : `${l}`, l, layer));
    const idxOpts = [];
    for (let j = 0; j < layers[layer]; j++) idxOpts.push(opt(`${j + 1}`, j, index));
    const colOpts = [];
    if (kind === "edge") for (let k = 0; k < layers[layer - 1]; k++) colOpts.push(opt(`${k + 1}`, k, column));
    this.picker.innerHTML = `
      <label>Show <select data-pick="kind" aria-label="Show a neuron or a weight">
        ${opt("neuron", "neuron", kind)}${opt("weight", "edge", kind)}</select></label>
      <label>layer <select data-pick="layer" aria-label="Layer to show">${layerOpts.join("")}</select></label>
      <label>${kind === "edge" ? "to neuron" : "neuron"} <select data-pick="index" aria-label="${kind === "edge" ? "To neuron" : "Neuron to show"}">${idxOpts.join("")}</select></label>
      ${kind === "edge" ? `<label>from <select data-pick="column" aria-label="From neuron (of the layer before)">${colOpts.join("")}</select></label>` : ""}`;
    for (const select of this.picker.querySelectorAll("select")) {
      select.addEventListener("change", () => this.picked(layers));
    }
  }

  picked(layers) {
    const get = (name) => {
      const el = this.picker.querySelector(`[data-pick="${name}"]`);
      return el ? el.value : null;
    };
    const kind = get("kind");
    let layer = Number(get("layer"));
    if (kind === "edge" && layer < 1) layer = 1;
    let index = Math.min(Number(get("index")) || 0, layers[layer] - 1);
    if (kind === "edge") {
      const column = Math.min(Number(get("column")) || 0, layers[layer - 1] - 1);
      this.onPickChange({ kind: "edge", layer, row: index, column });
    } else {
      index = Math.max(0, index);
      this.onPickChange({ kind: "neuron", layer, index });
    }
  }

  // -- a neuron ------------------------------------------------------------------------------------------
  inputNeuron({ selection, focus, dataset }) {
    const j = selection.index;
    const name = dataset.features[j] || `x${j + 1}`;
    return `<h3>Input ${esc(name)} (neuron ${j + 1} of the input layer)</h3>
      <div class="eq">${sym("a", 0, j + 1)} = ${sym("x", null, j + 1)} = ${this.num(focus.x[j], "math-x")}</div>
      <p class="note">The value the network sees${focus.x[j] !== focus.x_raw[j] ? ` (standardized; the raw value is ${this.num(focus.x_raw[j], "math-x-raw")})` : ""}.</p>`;
  }

  neuron(ctx) {
    const { view, state, selection } = ctx;
    const l = selection.layer;
    const j = selection.index;
    const L = view.L;
    const act = state.config.activations[l - 1];
    const title = l === L ? `Output neuron ${j + 1}${ctx.outputName(j)}` : `Layer ${l}, neuron ${j + 1}`;
    const parts = [`<h3>${title} <span class="tag">${esc(label(this.catalog.activations, act))}</span></h3>`];
    parts.push(this.forwardSection(ctx, l, j, act));
    if (l === L) parts.push(this.lossSection(ctx, j, act));
    parts.push(this.backwardSection(ctx, l, j, act));
    parts.push(this.biasUpdateSection(ctx, l, j));
    return parts.join("");
  }

  forwardSection({ view, state }, l, j, act) {
    const rec = view.fwd[l];
    const head = `<h4 data-section="forward">Forward <span class="phase">F${l}</span></h4>`;
    if (!rec) {
      return `${head}<div class="eq">${sym("z", l, j + 1)} = Σ<sub>k</sub> ${sym("w", l, "jk")} ${sym("a", l - 1, "k")} + ${sym("b", l, j + 1)}</div>
        <p class="pending">Not computed yet in this pass: ${stepTo(`F${l}`)}. Now ${sym("b", l, j + 1)} = ${this.num(state.biases[l - 1][j], "math-b")}.</p>`;
    }
    const W = rec.W;
    const a = rec.a_prev;
    const term = (k) => `${this.par(W[j][k], `math-term-w-${k}`)}${this.par(a[k], `math-term-a-${k}`)}`;
    const pixels = l === 1 && state.dataset.image_shape; // z¹ⱼ over an image: its largest terms, not all of them
    const sum = pixels ? this.largestTerms(a.length, (k) => Math.abs(W[j][k] * a[k]), term) : this.terms(a.length, term);
    return `${head}
      <div class="eq">${sym("z", l, j + 1)} = Σ<sub>k</sub> ${sym("w", l, `${j + 1}k`)} ${sym("a", l - 1, "k")} + ${sym("b", l, j + 1)}</div>
      <div class="eq cont">= ${sum} + ${this.par(rec.b[j], "math-b")}</div>
      <div class="eq cont">= ${this.num(rec.z[j], "math-z", " result")}</div>
      <div class="eq">${sym("a", l, j + 1)} = f(${sym("z", l, j + 1)}) = ${this.formula(act)} = ${this.num(rec.a[j], "math-a", " result")}${this.parameters(state, l, act)}</div>`;
  }

  lossSection({ view, state }, j, act) {
    const rec = view.loss;
    const head = `<h4 data-section="loss">Loss <span class="phase">J</span></h4>`;
    if (!rec) return `${head}<p class="pending">Not computed yet in this pass: ${stepTo("J")}.</p>`;
    const lossName = state.config.loss;
    const L = view.L;
    let deltaEq;
    if (closedFormDelta(this.catalog, act, lossName)) {
      deltaEq = `${sym("δ", "L", j + 1)} = ${sym("a", "L", j + 1)} − ${sym("y", null, j + 1)} = ${this.par(rec.a[j])} − ${this.par(rec.y[j], "math-y")} = ${this.num(rec.delta[j], "math-delta-out", " result")}`;
    } else if (elementwise(this.catalog, act) && rec.grad_a) {
      // The chain rule term by term: δ^L_j = ∂J/∂a^L_j · f′(z^L_j), with the loss's own ∂J/∂a (catalog).
      const dJda = `∂J/∂${sym("a", "L", j + 1)}`;
      const lossEntry = entry(this.catalog.losses, lossName);
      const rule = lossEntry && lossEntry.derivative ? ` <span class="note">${lossEntry.derivative.mathml}</span>` : "";
      deltaEq = `${sym("δ", "L", j + 1)} = ${dJda} · f′(${sym("z", "L", j + 1)}) = ${this.par(rec.grad_a[j], "math-grad-a")} · ${this.par(rec.fprime[j], "math-fprime-out")} = ${this.num(rec.delta[j], "math-delta-out", " result")}${rule}`;
    } else {
      deltaEq = `${sym("δ", "L", j + 1)} = ∂J/∂${sym("z", "L", j + 1)} (chain rule through ${esc(label(this.catalog.activations, act))} and ${esc(label(this.catalog.losses, lossName))}) = ${this.num(rec.delta[j], "math-delta-out", " result")}; ${sym("y", null, j + 1)} = ${this.num(rec.y[j], "math-y")}`;
    }
    const penalty = rec.penalty ? ` (with the regularization penalty ${this.num(rec.penalty, "math-penalty")})` : "";
    const inBatch = rec.focus_in_batch ? "" : ` <span class="warn">The focus sample is not in this pass's batch: its numbers are shown, the batch's gradients are what the update uses.</span>`;
    return `${head}
      <div class="eq">J = ${this.num(rec.loss, "math-loss", " result")} <span class="note">mean over the batch of ${rec.batch ? rec.batch.length : "?"} samples${penalty}</span></div>
      <div class="eq">J<sub>this sample</sub> = ${this.num(rec.sample_loss, "math-sample-loss")}</div>
      <div class="eq">${deltaEq}</div>${inBatch ? `<p class="note">${inBatch}</p>` : ""}`;
  }

  backwardSection({ view, state }, l, j, act) {
    const rec = view.bwd[l];
    const L = view.L;
    const head = `<h4 data-section="backward">Backward <span class="phase">B${l}</span></h4>`;
    if (!rec) {
      const eq = l === L
        ? `${sym("δ", "L", j + 1)} = ∂J/∂${sym("z", "L", j + 1)}`
        : `${sym("δ", l, j + 1)} = (Σ<sub>i</sub> ${sym("w", l + 1, `i${j + 1}`)} ${sym("δ", l + 1, "i")}) · f′(${sym("z", l, j + 1)})`;
      return `${head}<div class="eq">${eq}</div><p class="pending">Not computed yet in this pass: ${stepTo(`B${l}`)}.</p>`;
    }
    let deltaHtml;
    if (l === L) {
      deltaHtml = `<div class="eq">${sym("δ", "L", j + 1)} = ${this.num(rec.delta[j], "math-delta", " result")} <span class="note">(the output error from J)</span></div>`;
    } else {
      const next = view.bwd[l + 1];
      const sum = this.terms(next.delta.length, (i) => `${this.par(next.W[i][j], `math-term-wnext-${i}`)}${this.par(next.delta[i], `math-term-deltanext-${i}`)}`);
      deltaHtml = `
        <div class="eq">${sym("δ", l, j + 1)} = (Σ<sub>i</sub> ${sym("w", l + 1, `i${j + 1}`)} ${sym("δ", l + 1, "i")}) · f′(${sym("z", l, j + 1)}) <span class="note">f′ = ${this.formula(act, "derivative")}</span>${this.parameters(state, l, act)}</div>
        <div class="eq cont">= [${sum}] · ${this.par(rec.fprime[j], "math-fprime")}</div>
        <div class="eq cont">= ${this.num(rec.delta[j], "math-delta", " result")}</div>`;
    }
    return `${head}${deltaHtml}
      <div class="eq">∂J/∂${sym("b", l, j + 1)} = ${sym("δ", l, j + 1)} = ${this.num(rec.sample_grad_b[j], "math-grad-b-sample")} <span class="note">this sample</span></div>
      <div class="eq">∂J/∂${sym("b", l, j + 1)} = ${this.num(rec.grad_b[j], "math-grad-b-batch", " result")} <span class="note">batch mean — what the update uses</span></div>`;
  }

  biasUpdateSection({ view, state }, l, j) {
    const rec = view.update;
    const head = `<h4 data-section="update">Update <span class="phase">U</span></h4>`;
    if (!rec) return `${head}<div class="eq">${sym("b", l, j + 1)} := ${sym("b", l, j + 1)} − η ∂J/∂${sym("b", l, j + 1)}</div><p class="pending">Not applied yet in this pass: ${stepTo("U")}.</p>`;
    const before = view.biasBefore[l] ? view.biasBefore[l][j] : null;
    const grad = view.bwd[l] ? view.bwd[l].grad_b[j] : null;
    const after = rec.b[l - 1][j];
    const step = rec.step_b[l - 1][j];
    return `${head}${this.updateEq(state, rec, sym("b", l, j + 1), before, grad, after, step)}`;
  }

  updateEq(state, rec, name, before, grad, after, step) {
    const opt = state.config.optimizer.name;
    if (seedRule(this.catalog, opt) && before !== null && grad !== null) {
      return `<div class="eq">${name} := ${name} − η ∂J/∂${name}</div>
        <div class="eq cont">= ${this.par(before, "math-before")} − ${this.par(rec.learning_rate, "math-eta")}${this.par(grad, "math-grad-used")}</div>
        <div class="eq cont">= ${this.num(after, "math-after", " result")} <span class="note">Δ = ${this.num(step, "math-step")}</span></div>`;
    }
    const rule = esc(label(this.catalog.optimizers, opt));
    return `<div class="eq">${name} := ${name} + Δ${name} <span class="note">Δ from ${rule} (η = ${this.num(rec.learning_rate, "math-eta")})</span></div>
      <div class="eq cont">= ${before !== null ? this.par(before, "math-before") : "…"} + ${this.par(step, "math-step")}</div>
      <div class="eq cont">= ${this.num(after, "math-after", " result")}</div>`;
  }

  // -- a weight ------------------------------------------------------------------------------------------
  edge(ctx) {
    const { view, state, selection } = ctx;
    const { layer: l, row: j, column: k } = selection;
    const name = sym("w", l, `${j + 1},${k + 1}`);
    const parts = [`<h3>Weight ${name} <span class="tag">from ${esc(ctx.neuronName(l - 1, k))} to ${esc(ctx.neuronName(l, j))}</span></h3>`];
    const now = state.weights[l - 1][j][k];
    const fwd = view.fwd[l];
    const current = view.mode === "update" && view.before[l] ? view.before[l][j][k] : now;
    parts.push(`<div class="eq">${name} = ${this.num(current, "math-w", " result")} <span class="note">${view.mode === "update" ? "before this update" : "now"}</span></div>`);
    parts.push(`<h4 data-section="forward">Forward <span class="phase">F${l}</span></h4>`);
    if (fwd) {
      parts.push(`<div class="eq">its term in ${sym("z", l, j + 1)}: ${name} · ${sym("a", l - 1, k + 1)} = ${this.par(fwd.W[j][k], "math-term-w")}${this.par(fwd.a_prev[k], "math-term-a")}</div>
        <div class="eq">${sym("z", l, j + 1)} = ${this.num(fwd.z[j], "math-z")}, ${sym("a", l, j + 1)} = ${this.num(fwd.a[j], "math-a")}</div>`);
    } else parts.push(`<p class="pending">Not computed yet in this pass: ${stepTo(`F${l}`)}.</p>`);
    parts.push(`<h4 data-section="backward">Backward <span class="phase">B${l}</span></h4>`);
    const bwd = view.bwd[l];
    if (bwd) {
      const kind = state.config.regularization.kind;
      const reg = kind !== "none" ? `, with the ${esc(label(this.catalog.regularizations, kind))} penalty's gradient` : "";
      parts.push(`<div class="eq">∂J/∂${name} = ${sym("δ", l, j + 1)} · ${sym("a", l - 1, k + 1)} = ${this.par(bwd.delta[j], "math-delta")}${this.par(bwd.a_prev[k], "math-a-prev")} = ${this.num(bwd.sample_grad_W[j][k], "math-grad-sample")} <span class="note">this sample (${bwd.focus < 0 ? "your drawing" : `#${bwd.focus}`})</span></div>
        <div class="eq">∂J/∂${name} = ${this.num(bwd.grad_W[j][k], "math-grad-batch", " result")} <span class="note">mean of δ·a over the batch${reg} — what the update uses</span></div>`);
    } else {
      parts.push(`<div class="eq">∂J/∂${name} = ${sym("δ", l, j + 1)} · ${sym("a", l - 1, k + 1)}</div><p class="pending">Not computed yet in this pass: ${stepTo(`B${l}`)}.</p>`);
    }
    parts.push(`<h4 data-section="update">Update <span class="phase">U</span></h4>`);
    const upd = view.update;
    if (upd) {
      const before = view.before[l] ? view.before[l][j][k] : null;
      const grad = bwd ? bwd.grad_W[j][k] : null;
      parts.push(this.updateEq(state, upd, name, before, grad, upd.W[l - 1][j][k], upd.step_W[l - 1][j][k]));
    } else {
      parts.push(`<div class="eq">${name} := ${name} − η ∂J/∂${name}</div><p class="pending">Not applied yet in this pass: ${stepTo("U")}.</p>`);
    }
    return parts.join("");
  }

  // -- editing a weight or bias by hand ------------------------------------------------------------------
  renderEdit({ selection, state }) {
    let key = null;
    let label = "";
    let value = null;
    let target = null;
    if (selection && selection.kind === "edge") {
      const { layer: l, row: j, column: k } = selection;
      key = `w${l},${j},${k}`;
      label = `Set w<sup>${l}</sup><sub>${j + 1},${k + 1}</sub> by hand`;
      value = state.weights[l - 1][j][k];
      target = { layer: l, row: j, column: k };
    } else if (selection && selection.kind === "neuron" && selection.layer > 0) {
      const { layer: l, index: j } = selection;
      key = `b${l},${j}`;
      label = `Set the bias b<sup>${l}</sup><sub>${j + 1}</sub> by hand`;
      value = state.biases[l - 1][j];
      target = { layer: l, row: j, column: null };
    }
    const input = this.edit.querySelector("input");
    if (key === this.editKey && input) {
      // Same weight: follow its value unless the person is typing a new one.
      if (!input.dataset.dirty && document.activeElement !== input) input.value = String(value);
      return;
    }
    this.editKey = key;
    if (!key || watching()) {
      this.edit.innerHTML = ""; // a watcher changes nothing
      return;
    }
    this.edit.innerHTML = `<form class="edit-form"><label>${label}
        <input type="number" step="any" required data-testid="edit-value" aria-label="New value" value="${esc(String(value))}"></label>
        <button type="submit" aria-label="Apply the new value">Apply</button>
        <span class="note">continues from there: the open pass restarts</span></form>`;
    const field = this.edit.querySelector("input");
    field.addEventListener("input", () => (field.dataset.dirty = "1"));
    this.edit.querySelector("form").addEventListener("submit", (e) => {
      e.preventDefault();
      const v = Number(field.value);
      delete field.dataset.dirty;
      if (field.value.trim() !== "" && Number.isFinite(v)) this.onEdit({ ...target, value: v });
    });
  }
}
