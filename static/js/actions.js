// What the person does to the session: commands over its WebSocket (step, play, select, edit a weight, change
// a hyperparameter) and the REST actions (a new session, join one, upload a CSV, train, cancel, import, export).
// Server answers go through the store's reducers like WebSocket events, so the page has one way to take news.

import { ApiError, SessionSocket, api, appUrl, download } from "./transport.js";
import { defaults, fromSessionConfig, sessionBody } from "./state.js";
import { inlineData, leave, reduce } from "./store.js";
import * as chrome from "./chrome.js";

const $ = (id) => document.getElementById(id);

export class Actions {
  /**
   * @param {object}   store     the store (store.js)
   * @param {object}   parts     {config, controls, gradChart, …}
   * @param {Renderer} renderer  render.js: follows the store's changes
   */
  constructor(store, parts, renderer) {
    this.store = store;
    this.parts = parts;
    this.renderer = renderer;
    this.socket = null;
    this.guard = null; // (command or control name) → may it be used? (a lesson or a link hides or locks controls)
    this.startLesson = null; // (lesson id) → Promise<bool>: open a lesson in a new session (lessons.js)
    this.onCreated = null; // (SessionState) → void: a session this page made (remembered for Compare runs)
  }

  /** Whether a command or a page control may be used now (controlgate.js says why not). */
  allowed(what) {
    if (this.store.watch) return false; // a watch link changes nothing
    return !this.guard || this.guard(what);
  }

  /** A server event (or a REST answer in the same shape) into the store, and the page follows. */
  receive(ev) {
    this.renderer.follow(reduce(this.store, ev));
  }

  // -- over the WebSocket ----------------------------------------------------------------------------------
  send(command) {
    if (!this.socket || !this.allowed(command)) return;
    if (this.store.diverged && (command.type === "reset" || command.type === "back")) this.dismissDiverged();
    this.socket.send(command);
  }

  select(selection, event) {
    this.store.selection = selection;
    if (event && event.timeStamp) this.store.selectedAt = event.timeStamp;
    this.renderer.schedule("diagram");
  }

  editWeight(edit) {
    this.send({ type: "edit_weight", ...edit });
  }

  setFocus(index, split = "train") {
    this.send({ type: "focus", index, split });
  }

  // -- images (imageview.js, drawpad.js) --------------------------------------------------------------------
  /** One pass on a drawing, shown from its first phase (step on through it as through any pass). */
  teach(pixels, label) {
    this.send({ type: "teach", input: pixels, label, unit: "phase" });
  }

  /** The drawing joins this session's training data (REST; the WebSocket brings the new state). */
  async addExample(pixels, label) {
    try {
      const st = await api("POST", `/api/sessions/${this.store.sessionId}/examples`, { input: pixels, label });
      chrome.notice(`Added as a ${label}: the training set has ${st.dataset.train_rows.toLocaleString("en")} images now; stepping back stops here.`, "info");
    } catch (err) {
      chrome.notice(err.message, "error");
    }
  }

  predict(pixels) {
    return api("POST", `/api/sessions/${this.store.sessionId}/predict`, { inputs: [pixels] });
  }

  images(query) {
    const q = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
    const base = this.store.watch ? `/api/watch/${this.store.watch}` : `/api/sessions/${this.store.sessionId}`;
    return api("GET", `${base}/images?${q}`);
  }

  togglePlay(play) {
    if (!this.allowed("play")) return;
    if (play) this.send({ type: "play", speed: this.store.s.speed === "max" ? "max" : Number(this.store.s.speed) });
    else this.send({ type: "pause" });
    this.parts.controls.setPlaying(play); // at once; the state event confirms
  }

  setSpeed(speed) {
    const store = this.store;
    store.s.speed = speed;
    chrome.writeLink(store);
    if (store.state && store.state.playing) this.send({ type: "play", speed: speed === "max" ? "max" : Number(speed) });
  }

  /** A hyperparameter from the set-up panel: applies from the next pass. */
  setHyper(patch, s) {
    this.store.s = { ...s, session: this.store.s.session };
    chrome.writeLink(this.store);
    this.send({ type: "set", ...patch });
  }

  halveLearningRate() {
    const lr = this.store.state.config.optimizer.learning_rate / 2;
    this.setHyper({ learning_rate: lr }, { ...this.store.s, lr });
    this.dismissDiverged();
  }

  dismissDiverged() {
    this.store.diverged = null;
    chrome.hideDiverged();
  }

  // -- sessions --------------------------------------------------------------------------------------------
  /** Build a session from a set-up and join it; false (with a notice) when the server refuses it. */
  async newSession(s) {
    const { config } = this.parts;
    const info = config.dataInfo(s);
    if (!info) {
      chrome.notice(`the data set ${s.data === "upload" ? s.dataset : s.data} is not available; pick another one`, "error");
      return false;
    }
    if (this.store.lesson && this.store.sessionId) return this.rebuild(s, info);
    try {
      const created = await api("POST", "/api/sessions", sessionBody(s, info, this.store.catalog));
      if (this.onCreated) this.onCreated(created);
      this.store.s = { ...s, session: created.id };
      this.join(created.id);
      chrome.writeLink(this.store);
      config.render(this.store.s);
      return true;
    } catch (err) {
      chrome.notice(err.message, "error");
      config.render(this.store.s); // back to the set-up that runs
      return false;
    }
  }

  /** In a lesson the session is rebuilt in place (same id and lesson progress); its socket brings a snapshot. */
  async rebuild(s, info) {
    const { config } = this.parts;
    const id = this.store.sessionId;
    try {
      await api("POST", `/api/sessions/${encodeURIComponent(id)}/rebuild`, sessionBody(s, info, this.store.catalog));
      this.store.s = { ...s, session: id };
      chrome.writeLink(this.store);
      config.render(this.store.s);
      return true;
    } catch (err) {
      chrome.notice(err.message, "error");
      config.render(this.store.s);
      return false;
    }
  }

  /** Listen to a session's WebSocket (its first message is a snapshot of everything). */
  join(sessionId, path = null) {
    if (this.socket) this.socket.close();
    leave(this.store, sessionId);
    chrome.hideDiverged();
    this.parts.gradChart.clear();
    this.socket = new SessionSocket(sessionId, { onEvent: (ev) => this.receive(ev), onStatus: (status, detail) => this.connection(status, detail), path });
  }

  /** Watch a session through its watch link (read-only): its set-up shown, its socket followed, nothing sent. */
  async watch(token, datasets, linked) {
    const store = this.store;
    store.watch = token;
    this.parts.config.setDatasets(datasets);
    try {
      const st = await linked;
      store.inline = inlineData(st) || store.inline;
      store.s = { ...fromSessionConfig(store.s, st.config), session: "" };
      this.parts.config.render(store.s);
    } catch (err) {
      chrome.notice(err instanceof ApiError && err.status === 404 ? "This watch link no longer works: it was revoked, or the session is gone. Ask for a new one." : err.message, "error");
      return;
    }
    this.join(token, `ws/watch/${encodeURIComponent(token)}`);
  }

  /** The adopted session's set-up becomes the page's (a link to a session, an import). */
  adopt(st) {
    const store = this.store;
    store.s = { ...fromSessionConfig(store.s, st.config), session: st.id };
    this.join(st.id);
    chrome.writeLink(store);
    this.parts.config.render(store.s);
  }

  connection(status, detail) {
    chrome.showConnection(status, detail);
    if (status === "refused" && detail) {
      chrome.notice(detail, "error");
      if (this.store.watch) return; // a watcher never makes a session of its own
      if (/session/.test(detail) && /(expired|deleted|does not exist|no session)/i.test(detail)) {
        chrome.notice("This session is gone (expired or deleted); starting a new one with the same set-up.", "info");
        if (this.store.s.lesson && this.startLesson) this.startLesson(this.store.s.lesson);
        else this.newSession({ ...this.store.s, session: "" });
      }
    }
  }

  async upload(file, target, task, imageShape = "") {
    if (!this.allowed("upload")) return;
    const form = new FormData();
    form.append("file", file);
    if (target !== "") form.append("target", target);
    form.append("task", task);
    if (imageShape) form.append("image_shape", imageShape);
    try {
      chrome.notice(`Uploading ${file.name}…`, "info");
      const info = await api("POST", "/api/datasets", form);
      this.parts.config.setDatasets(await api("GET", "/api/datasets"));
      const s = { ...this.store.s, data: "upload", dataset: info.id, out: "auto", loss: "auto", samples: null, noise: null, classes: null };
      if (await this.newSession(s)) chrome.notice(`Using ${info.name}: ${info.rows} rows, ${info.features.length} features${info.classes ? `, classes ${info.classes.join(", ")}` : ""}.`, "info");
    } catch (err) {
      chrome.notice(err.message, "error");
    }
  }

  async train(epochs) {
    const store = this.store;
    if (!Number.isFinite(epochs) || epochs < 1 || !store.sessionId || !this.allowed("train")) return;
    try {
      if (store.state && store.state.playing) this.send({ type: "pause" });
      this.receive({ type: "job", job: await api("POST", `/api/sessions/${store.sessionId}/train`, { epochs: Math.round(epochs) }) });
    } catch (err) {
      chrome.notice(err.message, "error");
    }
  }

  async cancelJob() {
    const store = this.store;
    if (!store.job) return;
    try {
      this.receive({ type: "job", job: await api("DELETE", `/api/sessions/${store.sessionId}/jobs/${store.job.id}`) });
    } catch (err) {
      chrome.notice(err.message, "error");
    }
  }

  async importSession(file) {
    if (!this.allowed("import")) return;
    try {
      const created = await api("POST", "/api/sessions/import", await file.text());
      if (this.onCreated) this.onCreated(created);
      this.parts.config.setDatasets(await api("GET", "/api/datasets"));
      this.adopt(created);
      chrome.notice("Imported: a new session continues from the exported state.", "info");
    } catch (err) {
      chrome.notice(err.message, "error");
    }
  }

  async exportSession() {
    const id = this.store.sessionId;
    if (!id || !this.allowed("export")) return;
    try {
      await download(`/api/sessions/${id}/export`, `backprop-viz-session-${id.slice(0, 8)}.json`);
    } catch (err) {
      chrome.notice(err.message, "error");
    }
  }

  /** The session's data as CSV: raw values as given, the target, the split (GET …/dataset.csv). */
  async downloadData() {
    const id = this.store.sessionId;
    if (!id) return;
    try {
      await download(`/api/sessions/${id}/dataset.csv`, `backprop-viz-data-${id.slice(0, 8)}.csv`);
    } catch (err) {
      chrome.notice(err.message, "error");
    }
  }

  async share() {
    try {
      await navigator.clipboard.writeText(location.href);
      chrome.notice("Link copied: it opens this set-up (and, while it lives, this session).", "info");
    } catch {
      chrome.notice(`Copy this link: ${location.href}`, "info");
    }
  }

  /** A read-only watch link to this session (POST /api/sessions/{id}/watch), copied: a class sees it live. */
  async watchLink() {
    const id = this.store.sessionId;
    if (!id) return;
    try {
      const link = await api("POST", `/api/sessions/${encodeURIComponent(id)}/watch`);
      const url = appUrl(link.url);
      this.store.watchUrl = url;
      try {
        await navigator.clipboard.writeText(url);
        chrome.notice(`Watch link copied: ${url} — anyone with it sees this session live but cannot change it.`, "info");
      } catch {
        chrome.notice(`Watch link (read-only): ${url}`, "info");
      }
    } catch (err) {
      chrome.notice(err.message, "error");
    }
  }

  /**
   * Start-up, once the catalog and the data sets are known: join the session the link names (its answer
   * `linked` was requested in parallel with them), or build one from the link's set-up — or, when the server
   * refuses that set-up, from the defaults.
   */
  async open(datasets, linked) {
    const store = this.store;
    const { config } = this.parts;
    config.setDatasets(datasets);
    if (linked) {
      try {
        const st = await linked;
        store.inline = inlineData(st) || store.inline;
        this.adopt(st);
        return;
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 404)) chrome.notice(err.message, "error");
        else chrome.notice("The session in the link is gone (expired or deleted); starting a new one with the same set-up.", "info");
      }
    }
    if (store.s.lesson && this.startLesson && (await this.startLesson(store.s.lesson))) return; // a teacher's link
    if (!config.dataInfo(store.s)) store.s = { ...defaults(store.catalog), prec: store.s.prec, speed: store.s.speed, log: store.s.log };
    config.render(store.s);
    if (!(await this.newSession({ ...store.s, session: "" }))) {
      store.s = { ...defaults(store.catalog), prec: store.s.prec };
      await this.newSession(store.s);
    }
  }
}
