// Plotly.js is preloaded by the page (<link rel="preload">) but evaluated only once the diagram is on screen and
// the person has not touched anything for QUIET_MS (at the latest AT_LATEST_MS after start): evaluating its
// 4.8 MB blocks the main thread for about a second on a modest machine, and the diagram, the controls and the
// equations do not need it — only the loss charts, the data view and the diagram's titles do. So the first
// clicks are answered at once, and the charts appear while the person reads.

const QUIET_MS = 700; // without input after the diagram is drawn: then Plotly.js is evaluated
const AT_LATEST_MS = 4000; // after start: evaluate it anyway

export class PlotlyLoader {
  /** `src`: the script's address; `isDrawn()`: is the diagram on screen yet (the quiet time starts then)? */
  constructor(src, isDrawn) {
    this.src = src;
    this.isDrawn = isDrawn;
    this.started = false;
    this.timer = 0;
    /** Resolves once Plotly.js has been evaluated (window.Plotly exists). */
    this.loaded = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Start counting: at the latest AT_LATEST_MS from now; every input restarts the quiet time. */
  arm() {
    setTimeout(() => this.start(), AT_LATEST_MS);
    for (const type of ["pointerdown", "keydown", "wheel"]) document.addEventListener(type, () => this.whenQuiet(), { capture: true, passive: true });
    return this.loaded;
  }

  /** (Re)start the quiet-time countdown; called when the diagram is first drawn and on every input. */
  whenQuiet() {
    if (this.started || !this.isDrawn()) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.start(), QUIET_MS);
  }

  start() {
    if (this.started) return;
    this.started = true;
    clearTimeout(this.timer);
    if (window.Plotly) {
      this.resolve();
      return;
    }
    const script = document.createElement("script");
    script.src = this.src;
    script.onload = () => this.resolve();
    script.onerror = () => this.reject(new Error("Plotly.js did not load from /vendor/plotly.min.js"));
    document.head.append(script);
  }
}
