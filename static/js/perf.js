// Performance marks around each frame update (diagram + math panel) and input latency, read by
// bench/page_bench.py and the browser tests through window.__bpv.perf. Keeps only the last few hundred
// figures so a long session does not grow the page's memory.

const KEEP = 1000;

export const perf = {
  frames: [], // ms per frame update: diagram + math panel (performance.measure "frame")
  diagram: [], // ms per diagram redraw, including the update's animation frames ("diagram")
  input: [], // ms from an input event's timestamp to its handler
  select: [], // ms from a click on a neuron or edge to its equations drawn
  firstFrameAt: null, // ms since navigation start when the diagram was first drawn
  snapshotAt: null, // ms since navigation start when the first snapshot arrived
};

export function push(list, value) {
  list.push(value);
  if (list.length > KEEP) list.splice(0, list.length - KEEP);
}

/** Time `fn` as one frame update (performance.measure "frame") and keep the figure. */
export function frame(fn) {
  const start = performance.now();
  fn();
  const m = performance.measure("frame", { start, end: performance.now() });
  push(perf.frames, m.duration);
  if (perf.firstFrameAt === null) perf.firstFrameAt = performance.now();
}

/** Time one diagram redraw (performance.measure "diagram"). */
export function timed(name, list, fn) {
  const start = performance.now();
  fn();
  const m = performance.measure(name, { start, end: performance.now() });
  push(list, m.duration);
}

/** Record how long an input event waited before its handler ran (event.timeStamp → now). */
export function inputLatency(event) {
  if (event && typeof event.timeStamp === "number" && event.timeStamp > 0) push(perf.input, performance.now() - event.timeStamp);
}

/** Measures would pile up in the performance timeline: drop them now and then. */
setInterval(() => performance.clearMeasures(), 10_000);
