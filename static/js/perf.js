// Performance marks around each frame update (diagram + math panel) and input latency, read by
// bench/page_bench.py and the browser tests through window.__bpv.perf. Keeps only the last few hundred
// figures so a long session does not grow the page's memory.

const KEEP = 500;

export const perf = {
  frames: [], // ms per frame update: diagram + math panel
  diagram: [], // ms of the diagram alone
  input: [], // ms from an input event's timestamp to its handler
  firstFrameAt: null, // ms since navigation start of the first drawn diagram
};

function push(list, value) {
  list.push(value);
  if (list.length > KEEP) list.splice(0, list.length - KEEP);
}

export function mark(name) {
  performance.mark(name);
}

/** Time `fn` as one frame update (performance.measure "frame") and keep the figure. */
export function frame(fn) {
  performance.mark("frame-start");
  fn();
  performance.mark("frame-end");
  const m = performance.measure("frame", "frame-start", "frame-end");
  push(perf.frames, m.duration);
  try {
    const d = performance.measure("diagram", "diagram-start", "diagram-end");
    if (d.startTime >= m.startTime) push(perf.diagram, d.duration);
  } catch {
    /* the frame drew no diagram */
  }
  if (perf.firstFrameAt === null) perf.firstFrameAt = performance.now();
  performance.clearMarks();
  performance.clearMeasures();
}

/** Record how long an input event waited before its handler ran (event.timeStamp → now). */
export function inputLatency(event) {
  if (event && typeof event.timeStamp === "number" && event.timeStamp > 0) push(perf.input, performance.now() - event.timeStamp);
}
