// The set-up panel: data set (built-in generators with their parameters, or an uploaded CSV with its target
// column), layers and neurons, activations, loss, optimizer, learning rate, batch size, regularization,
// initialization and seeds. Changing the data or the architecture starts a fresh session; changing a
// hyperparameter is sent as `set` and applies from the next pass.

// The menus list what the engine's catalog lists (catalog.js), in its order and with its labels.

import { csvHeader } from "./csv.js";
import { esc } from "./format.js";
import { layerParameters } from "./state.js";
import { parameterOf, reads, takesRate } from "./catalog.js";

const ARCH_DELAY = 450; // ms: several quick clicks on + make one new session
const MAX_HIDDEN_LAYERS = 8;
const MAX_WIDTH = 64;
const ARROW_PX = 18; // room for a menu's drop-down arrow

/** <option>s for [value, text] pairs, `selected` chosen. */
function options(pairs, selected) {
  return pairs.map(([v, text]) => `<option value="${esc(v)}"${String(v) === String(selected) ? " selected" : ""}>${esc(text)}</option>`).join("");
}

/** The [name, label] pairs of catalog entries (catalog.activations, .losses, …). */
const named = (entries) => entries.map((e) => [e.name, e.label]);

/** A number input for an activation's parameter (leaky ReLU's slope …), when it has one; `value` null shows
 * the engine's default. */
function parameterInput(catalog, activation, value, data, where) {
  const p = parameterOf(catalog, activation);
  if (!p) return "";
  const shown = value ?? p.default;
  return `<input type="number" class="act-param" ${data} min="${p.min}" max="${p.max}" step="any" value="${shown}" aria-label="${esc(p.label)} of ${where}" title="${esc(p.label)}">`;
}

export class ConfigPanel {
  /**
   * @param {object} catalog  the engine's catalog (GET /api/catalog): the menus' names and labels
   * @param {Function} inline  () → {spec, info} of a session created over the API with inline data, or null
   */
  constructor(element, { catalog, inline, onArchitecture, onHyper, onUpload }) {
    this.el = element;
    this.catalog = catalog;
    this.inline = inline;
    this.onArchitecture = onArchitecture;
    this.onHyper = onHyper;
    this.onUpload = onUpload;
    this.datasets = { builtin: [], uploaded: [] };
    this.s = null;
    this.timer = null;
    this.csvHeader = [];
    element.addEventListener("change", (e) => this.changed(e));
    element.addEventListener("input", (e) => this.live(e));
    element.addEventListener("click", (e) => this.clicked(e));
    element.addEventListener("submit", (e) => {
      e.preventDefault();
      if (e.target.id === "upload-form") this.upload();
    });
  }

  setDatasets(list) {
    this.datasets = list;
  }

  /** The description of a data set choice: features, targets, classes, task (for sizing the layers). */
  dataInfo(s) {
    if (s.data === "inline") {
      const inline = this.inline();
      return inline ? { ...inline.info, spec: inline.spec } : null;
    }
    if (s.data === "upload") {
      const up = this.datasets.uploaded.find((d) => d.id === s.dataset);
      if (!up) return null;
      return { task: up.task, features: up.features, targets: [up.target], classes: up.classes };
    }
    const b = this.datasets.builtin.find((d) => d.name === s.data);
    if (!b) return null;
    const features = b.features || (b.name === "sine" ? ["x"] : ["x1", "x2"]);
    let classes = b.classes || (b.task === "classification" ? ["0", "1"] : null);
    if (b.task === "classification" && s.classes && b.parameters.classes) classes = "ABCDEFGHIJ".slice(0, s.classes).split("");
    return { task: b.task, features, targets: b.targets || ["y"], classes };
  }

  render(s) {
    this.s = structuredClone(s);
    const cat = this.catalog;
    const inline = this.inline();
    const b = this.datasets.builtin.find((d) => d.name === s.data);
    const builtinGroup = (task, title) => {
      const list = this.datasets.builtin.filter((d) => d.task === task);
      return list.length ? `<optgroup label="${title}">${list.map((d) => `<option value="${d.name}"${s.data === d.name ? " selected" : ""}>${d.name}</option>`).join("")}</optgroup>` : "";
    };
    const dataOptions = [
      builtinGroup("classification", "Classification"),
      builtinGroup("regression", "Regression"),
      inline ? `<option value="inline"${s.data === "inline" ? " selected" : ""}>inline (${inline.info.features.length} feature${inline.info.features.length === 1 ? "" : "s"})</option>` : "",
      this.datasets.uploaded.length
        ? `<optgroup label="Uploaded">${this.datasets.uploaded.map((d) => `<option value="upload:${esc(d.id)}"${s.data === "upload" && s.dataset === d.id ? " selected" : ""}>${esc(d.name)} (${d.rows} rows)</option>`).join("")}</optgroup>`
        : "",
    ].join("");
    const params = b ? b.parameters : {};
    const param = (name, key, text) => {
      const p = params[name];
      if (!p) return "";
      const value = s[key] ?? p.default;
      const step = p.type === "int" ? 1 : 0.01;
      if (name === "noise") {
        return `<label class="row">${text}<input type="range" data-key="${key}" min="0" max="${Math.min(p.max, 1)}" step="0.01" value="${value}" aria-label="Noise"><output data-out="${key}">${value}</output></label>`;
      }
      const names = { samples: "Number of samples", classes: "Number of classes" };
      return `<label class="row">${text}<input type="number" data-key="${key}" min="${p.min}" max="${Math.min(p.max, 20000)}" step="${step}" value="${value}" aria-label="${names[name] || text}"></label>`;
    };
    const hiddenRows = s.hidden
      .map(
        (n, i) => `<div class="layer-row" data-layer="${i}">
          <span class="layer-name">layer ${i + 1}</span>
          <button type="button" class="icon" data-act="dec" data-layer="${i}" aria-label="Fewer neurons in layer ${i + 1}">−</button>
          <span class="width" data-testid="width-${i + 1}">${n}</span>
          <button type="button" class="icon" data-act="inc" data-layer="${i}" aria-label="More neurons in layer ${i + 1}">+</button>
          <span class="layer-act"><select data-act="act" data-layer="${i}" aria-label="Activation of layer ${i + 1}">${options(named(cat.activations.filter((a) => a.hidden)), s.acts[i])}</select>${parameterInput(cat, s.acts[i], (s.aparams || [])[i] ?? null, `data-act="param" data-layer="${i}"`, `layer ${i + 1}`)}
          <button type="button" class="icon" data-act="remove" data-layer="${i}" aria-label="Remove layer ${i + 1}">×</button></span>
        </div>`,
      )
      .join("");
    this.el.innerHTML = `
      <div class="panel-head"><h2>Set-up</h2><span class="hint">saved in the link</span></div>
      <fieldset><legend>Data</legend>
        <label class="row">data set<select data-key="data" aria-label="Data set">${dataOptions}</select></label>
        ${b ? `<p class="hint">${esc(b.description)}</p>` : ""}
        ${param("samples", "samples", "samples")}
        ${param("noise", "noise", "noise")}
        ${param("classes", "classes", "classes")}
        <label class="row">test share<input type="range" data-key="test" min="0" max="0.9" step="0.05" value="${s.test}" aria-label="Test share"><output data-out="test">${s.test}</output></label>
        <label class="row">data seed<input type="number" data-key="dseed" min="0" step="1" value="${s.dseed}" aria-label="Data seed"></label>
        <details class="upload" ${s.data === "upload" ? "" : ""}>
          <summary>Upload a CSV…</summary>
          <form id="upload-form">
            <input type="file" id="csv-file" accept=".csv,text/csv" aria-label="CSV file" required>
            <label class="row">target<select id="csv-target" aria-label="Target column" title="default: the last column; for images, the column named label (or else the first)"><option value="">(default)</option>${this.csvHeader.map((h, i) => `<option value="${i}">${esc(h)}</option>`).join("")}</select></label>
            <label class="row">task<select id="csv-task" aria-label="Task">${options(["auto", "classification", "regression"].map((v) => [v, v]), "auto")}</select></label>
            <label class="row">image shape<input type="text" id="csv-image-shape" placeholder="e.g. 28,28" inputmode="numeric" pattern="\\s*\\d+\\s*[,x×]\\s*\\d+\\s*" aria-label="Image shape: height,width of each row's picture (empty: not images)"></label>
            <button type="submit" aria-label="Upload the CSV and train on it">Upload and use</button>
          </form>
        </details>
      </fieldset>
      <fieldset><legend>Network</legend>
        <div class="layer-row fixed"><span class="layer-name">input</span><span class="width" data-testid="width-input">${this.dataInfo(s) ? this.dataInfo(s).features.length : "?"}</span><span class="hint">features</span></div>
        ${hiddenRows}
        <button type="button" data-act="add" aria-label="Add a hidden layer" ${s.hidden.length >= MAX_HIDDEN_LAYERS ? "disabled" : ""}>+ Add layer</button>
        <label class="row">output<select data-key="out" aria-label="Output activation">${options([["auto", "auto"], ...named(cat.activations)], s.out)}</select>${parameterInput(cat, s.out, s.oparam ?? null, `data-act="oparam"`, "the output layer")}</label>
        <label class="row">loss<select data-key="loss" aria-label="Loss">${options([["auto", "auto"], ...named(cat.losses)], s.loss)}</select></label>
      </fieldset>
      <fieldset><legend>Training <span id="pending" class="pending-tag" hidden data-testid="pending">applies from next pass</span></legend>
        <label class="row">optimizer<select data-key="opt" data-hyper="1" aria-label="Optimizer">${options(named(cat.optimizers), s.opt)}</select></label>
        <label class="row">learning rate η<input type="number" data-key="lr" data-hyper="1" min="0.00001" max="1000" step="any" value="${s.lr}" aria-label="Learning rate"></label>
        ${reads(cat, s.opt, "momentum") ? `<label class="row">momentum μ<input type="number" data-key="mom" data-hyper="1" min="0" max="0.999" step="0.01" value="${s.mom}" aria-label="Momentum"></label>` : ""}
        <label class="row">batch size<input type="number" data-key="batch" data-hyper="1" min="1" step="1" value="${s.batch}" aria-label="Batch size"></label>
        <label class="row">regularization<select data-key="reg" data-hyper="1" aria-label="Regularization">${options(named(cat.regularizations), s.reg)}</select></label>
        ${takesRate(cat, s.reg) ? `<label class="row">rate λ<input type="number" data-key="rate" data-hyper="1" min="0" step="any" value="${s.rate}" aria-label="Regularization rate"></label>` : ""}
      </fieldset>
      <fieldset><legend>Initialization</legend>
        <label class="row">weights<select data-key="init" aria-label="Initialization">${options(named(cat.initializers), s.init)}</select></label>
        <label class="row">init seed<input type="number" data-key="iseed" min="0" step="1" value="${s.iseed}" aria-label="Initialization seed"></label>
        <label class="row">batch seed<input type="number" data-key="seed" min="0" step="1" value="${s.seed}" aria-label="Shuffle seed"></label>
        <button type="button" data-act="new" aria-label="Start a new session with this set-up">New session</button>
      </fieldset>`;
    const file = this.el.querySelector("#csv-file");
    file.addEventListener("change", () => this.readHeader(file.files[0]));
    this.fitActivationMenus();
  }

  /** A layer's activation menu is never narrower than its longest label (the catalog decides the labels): the
   * width is measured here, and a row without room for it puts the menu (and ×) on a second line (app.css). */
  fitActivationMenus() {
    const select = this.el.querySelector(".layer-act select");
    if (!select) return;
    const style = getComputedStyle(select);
    const ctx = document.createElement("canvas").getContext("2d");
    ctx.font = `${style.fontSize} ${style.fontFamily}`;
    const widest = Math.max(...[...select.options].map((o) => ctx.measureText(o.text).width));
    const chrome = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight) + parseFloat(style.borderLeftWidth) + parseFloat(style.borderRightWidth);
    this.el.style.setProperty("--activation-menu", `${Math.ceil(widest + chrome) + ARROW_PX}px`);
  }

  setPending(pending) {
    const tag = this.el.querySelector("#pending");
    if (tag) tag.hidden = !pending;
  }

  live(e) {
    if (e.target.id === "csv-image-shape") this.imageTarget(e.target.value.trim() !== "");
    if (e.target.id === "csv-target") this.targetChosen = true;
    const key = e.target.dataset.key;
    const out = key && this.el.querySelector(`[data-out="${key}"]`);
    if (out) out.textContent = e.target.value;
  }

  changed(e) {
    const t = e.target;
    this.s.aparams = layerParameters(this.s); // one per hidden layer, whatever the link held
    if (t.dataset.act === "act") {
      this.s.acts[Number(t.dataset.layer)] = t.value;
      this.s.aparams[Number(t.dataset.layer)] = null; // the new activation's own default
      this.render(this.s); // show or hide its parameter
      this.architecture();
      return;
    }
    if (t.dataset.act === "param" || t.dataset.act === "oparam") {
      const value = Number(t.value);
      if (t.value === "" || !Number.isFinite(value) || value < Number(t.min) || value > Number(t.max)) return;
      if (t.dataset.act === "oparam") this.s.oparam = value;
      else this.s.aparams[Number(t.dataset.layer)] = value;
      this.architecture();
      return;
    }
    const key = t.dataset.key;
    if (!key) return;
    if (key === "data") {
      if (t.value.startsWith("upload:")) {
        this.s.data = "upload";
        this.s.dataset = t.value.slice(7);
      } else if (t.value === "inline") {
        this.s.data = "inline";
        this.s.dataset = "";
      } else {
        this.s.data = t.value;
        this.s.dataset = "";
        this.s.samples = this.s.noise = this.s.classes = null;
      }
      if (this.s.out !== "auto" || this.s.loss !== "auto") {
        this.s.out = "auto";
        this.s.loss = "auto";
      }
      this.architecture(0);
      return;
    }
    let value = t.type === "number" || t.type === "range" ? Number(t.value) : t.value;
    if (typeof value === "number" && !Number.isFinite(value)) return;
    if (t.type === "number" && t.min !== "" && value < Number(t.min)) return;
    this.s[key] = value;
    if (key === "out") {
      this.s.oparam = null; // the new output activation's own default
      this.render(this.s);
    }
    if (t.dataset.hyper) {
      const s = this.s;
      if (key === "opt" || key === "reg") this.render(s); // show or hide momentum / rate
      const patch = {
        optimizer: { name: s.opt, learning_rate: s.lr, ...(reads(this.catalog, s.opt, "momentum") ? { momentum: s.mom } : {}) },
        batch_size: s.batch,
        regularization: { kind: s.reg, rate: takesRate(this.catalog, s.reg) ? s.rate : 0 },
      };
      this.onHyper(patch, structuredClone(s));
    } else {
      this.architecture();
    }
  }

  clicked(e) {
    const t = e.target.closest("button[data-act]");
    if (!t) return;
    this.s.aparams = layerParameters(this.s);
    const i = Number(t.dataset.layer);
    const s = this.s;
    const act = t.dataset.act;
    if (act === "inc") s.hidden[i] = Math.min(MAX_WIDTH, s.hidden[i] + 1);
    else if (act === "dec") s.hidden[i] = Math.max(1, s.hidden[i] - 1);
    else if (act === "remove") {
      s.hidden.splice(i, 1);
      s.acts.splice(i, 1);
      s.aparams.splice(i, 1);
    } else if (act === "add") {
      s.hidden.push(s.hidden.length ? s.hidden[s.hidden.length - 1] : 4);
      s.acts.push(s.acts.length ? s.acts[s.acts.length - 1] : this.catalog.defaults.hidden_activation);
      s.aparams.push(s.aparams.length ? s.aparams[s.aparams.length - 1] : null);
    } else if (act === "new") {
      this.architecture(0);
      return;
    } else return;
    // Show the new widths at once; the session follows after a short pause.
    const focusKey = t.getAttribute("aria-label");
    this.render(s);
    const again = [...this.el.querySelectorAll("button[data-act]")].find((b) => b.getAttribute("aria-label") === focusKey);
    if (again) again.focus();
    this.architecture();
  }

  architecture(delay = ARCH_DELAY) {
    clearTimeout(this.timer);
    const s = structuredClone(this.s);
    this.timer = setTimeout(() => this.onArchitecture(s), delay);
  }

  async readHeader(file) {
    if (!file) return;
    const text = await file.slice(0, 64 * 1024).text();
    this.csvHeader = csvHeader(text);
    const select = this.el.querySelector("#csv-target");
    // By index: the server reads a whole number as a column's position, so a column named "1" stays unambiguous.
    select.innerHTML = this.csvHeader.map((h, i) => `<option value="${i}"${i === this.csvHeader.length - 1 ? " selected" : ""}>${esc(h)}</option>`).join("");
    this.targetChosen = false;
    this.imageTarget(this.el.querySelector("#csv-image-shape").value.trim() !== "");
  }

  /** An image file's target, unless the person chose one, is the server's to pick (a column named label, else the
   * first: MNIST's layout — engine/datasets/csv_loader.py): the menu says so and sends none. */
  imageTarget(images) {
    const select = this.el.querySelector("#csv-target");
    if (this.targetChosen || !this.csvHeader.length) return;
    let auto = select.querySelector("option[value='']");
    if (images && !auto) {
      auto = Object.assign(document.createElement("option"), { value: "", textContent: "(images: label or first)" });
      select.prepend(auto);
    } else if (!images && auto) auto.remove();
    select.value = images ? "" : String(this.csvHeader.length - 1);
  }

  upload() {
    const file = this.el.querySelector("#csv-file").files[0];
    if (!file) return;
    const target = this.el.querySelector("#csv-target").value;
    const task = this.el.querySelector("#csv-task").value;
    const imageShape = this.el.querySelector("#csv-image-shape").value.trim(); // "28,28": each row an image
    this.onUpload(file, target, task, imageShape);
  }
}
