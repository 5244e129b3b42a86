// The data view for images (the built-in digits, a CSV uploaded with image_shape), in three tabs:
//   Test images  a grid of the test split's images with their true class and the network's prediction, mistakes
//                in red; click one (or Enter) to make it the focus sample the diagram and equations follow;
//   Confusion    the test split's confusion matrix (rows: the true class, columns: the predicted one);
//   Draw         the drawing pad (drawpad.js): draw, see the prediction, teach the network one pass.
// The images and the confusion matrix come from GET /api/sessions/{id}/images, asked again (without the pixels)
// when the weights have changed, at most every REFRESH_MS while playing.

import { esc, fmt } from "./format.js";
import { paintThumbnail } from "./pixels.js";
import { DrawPad } from "./drawpad.js";

const PAGE = 40; // images per page of the grid
const REFRESH_MS = 600;
const TABS = [
  ["images", "Test images"],
  ["confusion", "Confusion"],
  ["draw", "Draw"],
];

export class ImageView {
  /**
   * @param {HTMLElement} element  the image view's box in the data panel
   * @param {object} hooks  {fetchImages(query) → Promise<ImageSamples>, onFocus(index, split), predict(pixels),
   *                         teach(pixels, label), add(pixels, label)}
   */
  constructor(element, { fetchImages, onFocus, predict, teach, add }) {
    this.el = element;
    this.fetchImages = fetchImages;
    this.onFocus = onFocus;
    this.tab = "images";
    this.el.dataset.tab = this.tab;
    this.offset = 0;
    this.mistakesOnly = false;
    this.answer = null; // the last ImageSamples
    this.pixels = new Map(); // index → raw pixels of the test images seen (they never change)
    this.key = ""; // session | data set: a new one starts over
    this.asked = ""; // the query of the request in flight or last answered
    this.weightsAt = null; // the state (pass, position) the answer shows
    this.lastFetch = 0;
    this.timer = 0;
    this.el.innerHTML = `
      <div class="tabs" role="tablist" aria-label="Image views">${TABS.map(([id, text]) => `<button type="button" role="tab" id="tab-${id}" data-tab="${id}" aria-controls="pane-${id}" aria-selected="${id === this.tab}" aria-label="${text}">${text}</button>`).join("")}</div>
      <div class="pane" role="tabpanel" id="pane-images" aria-labelledby="tab-images">
        <div class="grid-head"><label class="check"><input type="checkbox" data-part="mistakes" aria-label="Only the mistakes"> only mistakes</label>
          <span class="hint" data-part="range"></span>
          <button type="button" class="icon" data-act="prev" aria-label="Previous images">‹</button><button type="button" class="icon" data-act="next" aria-label="Next images">›</button></div>
        <div class="img-grid" data-testid="image-grid" role="group" aria-label="Test images: click one to focus it"></div>
      </div>
      <div class="pane" role="tabpanel" id="pane-confusion" aria-labelledby="tab-confusion" hidden>
        <div class="confusion" data-testid="confusion"></div>
      </div>
      <div class="pane" role="tabpanel" id="pane-draw" aria-labelledby="tab-draw" hidden></div>
      <p class="hint caption" data-part="caption"></p>`;
    this.grid = this.el.querySelector(".img-grid");
    this.rangeEl = this.el.querySelector("[data-part='range']");
    this.captionEl = this.el.querySelector("[data-part='caption']");
    this.confusionEl = this.el.querySelector(".confusion");
    this.pad = new DrawPad(this.el.querySelector("#pane-draw"), { predict, teach, add });
    const tabs = [...this.el.querySelectorAll("[role='tab']")];
    for (const button of tabs) button.addEventListener("click", () => this.show(button.dataset.tab));
    this.el.querySelector("[role='tablist']").addEventListener("keydown", (e) => {
      const i = tabs.findIndex((t) => t.dataset.tab === this.tab);
      const move = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
      if (move === undefined) return;
      e.preventDefault();
      e.stopPropagation();
      const next = tabs[(i + move + tabs.length) % tabs.length];
      this.show(next.dataset.tab);
      next.focus();
    });
    this.el.querySelector("[data-part='mistakes']").addEventListener("change", (e) => {
      this.mistakesOnly = e.target.checked;
      this.offset = 0;
      this.refresh(true);
    });
    this.el.querySelector("[data-act='prev']").addEventListener("click", () => this.page(-1));
    this.el.querySelector("[data-act='next']").addEventListener("click", () => this.page(1));
    this.grid.addEventListener("click", (e) => {
      const cell = e.target.closest("button[data-index]");
      if (cell) this.onFocus(Number(cell.dataset.index), "test");
    });
    this.grid.addEventListener("keydown", (e) => this.gridKey(e));
  }

  show(tab) {
    this.tab = tab;
    this.el.dataset.tab = tab;
    for (const button of this.el.querySelectorAll("[role='tab']")) {
      const on = button.dataset.tab === tab;
      button.setAttribute("aria-selected", String(on));
    }
    for (const pane of this.el.querySelectorAll("[role='tabpanel']")) pane.hidden = pane.id !== `pane-${tab}`;
    if (tab === "draw") this.pad.resize();
    this.renderAnswer();
  }

  /** Follow the session: a new session or data set starts over; new weights ask for new predictions. */
  update(state, focus) {
    const ds = state.dataset;
    const key = `${state.id}|${ds.name}|${ds.train_rows}|${ds.test_rows}`;
    this.state = state;
    this.focus = focus;
    this.pad.setDataset(ds);
    if (key !== this.key) {
      this.key = key;
      this.answer = null;
      this.pixels.clear();
      this.offset = 0;
      this.weightsAt = null;
    }
    const at = `${state.counters.pass}`;
    if (at !== this.weightsAt) {
      this.refresh(false);
      if (this.weightsAt !== null) this.pad.weightsChanged();
    } else this.renderAnswer();
  }

  page(direction) {
    const total = this.answer ? this.answer.matching : 0;
    const next = this.offset + direction * PAGE;
    if (next < 0 || next >= total) return;
    this.offset = next;
    this.refresh(true);
  }

  /** Ask for the current page (at once when `now`, else throttled while playing). */
  refresh(now) {
    clearTimeout(this.timer);
    const wait = now || !this.state.playing ? 0 : Math.max(0, REFRESH_MS - (performance.now() - this.lastFetch));
    this.timer = setTimeout(() => this.fetch(), wait);
  }

  async fetch() {
    const state = this.state;
    const query = { split: "test", offset: this.offset, limit: PAGE, mistakes: this.mistakesOnly };
    const at = `${state.counters.pass}`;
    const asked = `${this.key}|${JSON.stringify(query)}|${at}`;
    if (asked === this.asked) return;
    this.asked = asked;
    this.lastFetch = performance.now();
    // Pixels only for images not seen yet: the images never change, only what the network makes of them.
    const known = this.answer && this.answer.indices.every((i) => this.pixels.has(i)) && !this.mistakesOnly && this.answer.offset === this.offset;
    let answer;
    try {
      answer = await this.fetchImages({ ...query, pixels: !known });
    } catch (err) {
      this.captionEl.textContent = err.message;
      this.asked = "";
      return;
    }
    if (asked !== this.asked) return; // a newer request went out meanwhile
    if (answer.pixels) answer.indices.forEach((i, n) => this.pixels.set(i, answer.pixels[n]));
    this.answer = answer;
    this.weightsAt = at;
    this.renderAnswer();
  }

  renderAnswer() {
    const a = this.answer;
    if (!a || !this.state) return;
    const ds = this.state.dataset;
    const [h, w] = a.image_shape;
    const max = ds.image ? ds.image.pixel_max : 1;
    const focusTest = this.state.focus_split === "test" ? this.state.focus : -1;
    const cellsKey = `${a.indices.join(",")}|${h}x${w}`;
    if (this.grid.dataset.key !== cellsKey) {
      this.grid.dataset.key = cellsKey;
      this.grid.innerHTML = a.indices
        .map((i, n) => `<button type="button" class="img-cell" data-index="${i}" aria-label="test image ${i}"><canvas width="${w}" height="${h}"></canvas><span class="lab"></span></button>`)
        .join("");
      [...this.grid.children].forEach((cell, n) => {
        const pixels = this.pixels.get(a.indices[n]);
        if (pixels) paintThumbnail(cell.querySelector("canvas"), pixels, h, w, "grey", max);
      });
    }
    [...this.grid.children].forEach((cell, n) => {
      const truth = a.labels[n];
      const said = a.predicted[n];
      const wrong = truth !== said;
      cell.classList.toggle("mistake", wrong);
      cell.classList.toggle("focus", a.indices[n] === focusTest);
      cell.querySelector(".lab").innerHTML = wrong ? `${esc(truth)}<b>→${esc(said)}</b>` : esc(truth);
      cell.setAttribute("aria-label", `test image ${a.indices[n]}: a ${truth}, the network says ${said} (${Math.round(a.confidence[n] * 100)}%)${wrong ? ", a mistake" : ""}`);
      cell.title = `test #${a.indices[n]}: true ${truth}, predicted ${said} (${Math.round(a.confidence[n] * 100)}%) · click to focus it`;
    });
    const last = Math.min(a.matching, a.offset + a.indices.length);
    this.rangeEl.textContent = a.matching ? `${a.offset + 1}–${last} of ${a.matching}${this.mistakesOnly ? " mistakes" : ""}` : this.mistakesOnly ? "no mistakes" : "no test images";
    this.renderConfusion(a);
    const accuracy = a.accuracy === null ? "—" : `${fmt(100 * a.accuracy, "3")}%`;
    const focusNote = this.state.example ? " · the pass shown is on your drawing" : focusTest >= 0 ? ` · focus: test #${focusTest}` : ` · focus: train #${this.state.focus}`;
    this.captionEl.textContent = `${ds.name}: test accuracy ${accuracy} after pass ${a.pass}${focusNote}`;
    this.el.dataset.pass = String(a.pass);
  }

  renderConfusion(a) {
    const k = a.classes.length;
    let top = 1;
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) if (i !== j && a.confusion[i][j] > top) top = a.confusion[i][j];
    const rowsum = a.confusion.map((row) => row.reduce((x, y) => x + y, 0) || 1);
    const head = `<tr><th scope="col" class="corner">true ↓ · said →</th>${a.classes.map((c) => `<th scope="col">${esc(c)}</th>`).join("")}</tr>`;
    const body = a.confusion
      .map((row, i) => {
        const cells = row
          .map((n, j) => {
            const shade = i === j ? `rgba(0,158,115,${(0.12 + 0.6 * (n / rowsum[i])).toFixed(3)})` : n ? `rgba(213,94,0,${(0.15 + 0.7 * (n / top)).toFixed(3)})` : "transparent";
            return `<td style="background:${shade}" title="${n} test images of ${esc(a.classes[i])} read as ${esc(a.classes[j])}">${n || ""}</td>`;
          })
          .join("");
        return `<tr><th scope="row">${esc(a.classes[i])}</th>${cells}</tr>`;
      })
      .join("");
    const html = `<table aria-label="Confusion matrix of the test set: rows are the true class, columns the predicted class"><thead>${head}</thead><tbody>${body}</tbody></table>`;
    if (this.confusionEl.dataset.key !== html) {
      this.confusionEl.dataset.key = html;
      this.confusionEl.innerHTML = html;
    }
  }

  /** Arrow keys move between the images too (Tab goes through them); the page's stepping keys stay out. */
  gridKey(e) {
    const cells = [...this.grid.querySelectorAll("button[data-index]")];
    const i = cells.indexOf(document.activeElement);
    if (i < 0) return;
    const across = Math.max(1, Math.round(this.grid.clientWidth / (cells[0].offsetWidth || 1)));
    const move = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: across, ArrowUp: -across }[e.key];
    if (move === undefined) return;
    e.preventDefault();
    e.stopPropagation();
    cells[Math.max(0, Math.min(cells.length - 1, i + move))].focus();
  }
}
