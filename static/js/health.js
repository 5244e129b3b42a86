// The diagnostics' numbers as the charts draw them: a layer's histograms over time as a pass × bin matrix, the
// per-layer scalar series, the flags by layer with a short name each, a confusion matrix's row shares, the
// landscape's colour scale, the colours of a hidden unit's picture. The server computes every statistic and
// every flag (GET …/diagnostics, the `flags` event); this module only arranges them. No DOM: tests/js/ runs it.

/** The four quantities of a layer, in the seed's notation: wire name → label. */
export const QUANTITIES = [
  ["W", "W"],
  ["a", "a"],
  ["delta", "δ"],
  ["grad_W", "∂J/∂W"],
];

/** The scalar series the view draws, one small chart each. */
export const SERIES = [
  { key: "grad_norm", title: "‖∂J/∂Wˡ‖", log: true, help: "the norm of each layer's gradient: a fan that gets lower toward layer 1 is a vanishing gradient" },
  { key: "update_ratio", title: "update ratio ‖ΔWˡ‖ / ‖Wˡ‖", log: true, band: true, help: "how far the last update moved each layer, relative to its weights: about 10⁻³ is healthy (Stanford's CS231n notes)" },
  { key: "dead_fraction", title: "dead units (ReLU)", fraction: true, help: "the share of a layer's units that output 0 for every probe sample: they no longer learn" },
  { key: "saturated_fraction", title: "saturated units (sigmoid, tanh)", fraction: true, help: "the share of a layer's units stuck in a flat end of their activation for most samples, where f′(z) ≈ 0" },
];

// A healthy update ratio: about 10⁻³ (CS231n, "Neural Networks Part 3"); the band drawn around it spans a decade
// each way, and the flags' thresholds (10⁻¹, 10⁻⁶) are far outside it.
export const HEALTHY_RATIO = 1e-3;
export const HEALTHY_BAND = [1e-4, 1e-2];

/** Short names for the flag kinds (the sentence comes from the server). */
export const FLAG_TITLES = {
  vanishing: "vanishing gradient",
  exploding: "exploding gradient",
  dead_units: "dead units",
  saturated: "saturated units",
  update_too_large: "updates too large",
  update_too_small: "updates too small",
  diverging: "loss rising",
};

/**
 * A layer's histograms over time as a heatmap: x the passes, y the bins' centres, z[bin][pass] the share of the
 * layer's values in that bin at that pass (each column sums to 1, so passes with more values compare fairly).
 * @param {{edges: number[], counts: number[][]}} entry   one layer's entry of history.histograms[quantity]
 * @param {number[]} passes                               history.passes
 */
export function heatmapOf(entry, passes) {
  const edges = entry.edges;
  const bins = edges.length - 1;
  const y = Array.from({ length: bins }, (_, b) => (edges[b] + edges[b + 1]) / 2);
  const z = Array.from({ length: bins }, () => new Array(passes.length).fill(null));
  entry.counts.forEach((column, p) => {
    if (!column) return;
    let total = 0;
    for (const c of column) total += c || 0;
    if (!total) return;
    for (let b = 0; b < bins; b++) z[b][p] = (column[b] || 0) / total;
  });
  return { x: passes.slice(0, entry.counts.length), y, z };
}

/** The latest histogram of a layer (GET …/diagnostics' layers[i].histograms[quantity]) as one column. */
export function latestColumn(hist) {
  const total = hist.counts.reduce((s, c) => s + c, 0) || 1;
  return { y: hist.edges.slice(0, -1).map((e, b) => (e + hist.edges[b + 1]) / 2), share: hist.counts.map((c) => c / total) };
}

/** One scalar series per layer from the history (null where a layer has none: a fraction that does not apply). */
export function seriesOf(history, key) {
  return history.layers.map((layer) => ({ layer: layer.layer, x: history.passes, y: layer[key] || null }));
}

/** Does any layer have this series at all (dead units only exist in ReLU layers, saturation in sigmoid/tanh)? */
export function hasSeries(history, key) {
  return history.layers.some((layer) => Array.isArray(layer[key]) && layer[key].some((v) => v !== null && v !== undefined));
}

/** The layer a flag's badge goes on: its own; a vanishing or exploding gradient without one is layer 1's problem
 * (the ratio is layer 1's gradient to the last layer's); anything else without a layer is the network's (0). */
export function badgeLayer(flag) {
  if (flag.layer !== null && flag.layer !== undefined) return flag.layer;
  return flag.kind === "vanishing" || flag.kind === "exploding" ? 1 : 0;
}

/** The flags by the layer of their badge (0: the network as a whole, e.g. a rising loss). */
export function flagsByLayer(flags) {
  const out = new Map();
  for (const f of flags || []) {
    const l = badgeLayer(f);
    if (!out.has(l)) out.set(l, []);
    out.get(l).push(f);
  }
  return out;
}

/** A stable key for a set of flags: their kinds and layers (the badges are redrawn only when it changes). */
export function flagsKey(flags) {
  return (flags || []).map((f) => `${f.kind}@${f.layer ?? ""}`).sort().join(",");
}

/** The histograms' x-axis title for a quantity, in the seed's notation. */
export function quantityLabel(q, layer) {
  const sup = String(layer).replace(/\d/g, (d) => "⁰¹²³⁴⁵⁶⁷⁸⁹"[d]);
  return { W: `W${sup}`, a: `a${sup}`, delta: `δ${sup}`, grad_W: `∂J/∂W${sup}` }[q];
}

/** A confusion matrix's cells as shares of their row (a row with no samples stays empty). */
export function rowShares(matrix) {
  return matrix.map((row) => {
    const total = row.reduce((s, v) => s + v, 0);
    return row.map((v) => (total ? v / total : null));
  });
}

/** Should the contour show log₁₀ J? When J spans more than two decades the basin would otherwise be one colour. */
export function useLog(loss) {
  let lo = Infinity;
  let hi = 0;
  for (const row of loss) for (const v of row) if (v !== null && v > 0) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  return lo > 0 && hi / lo > 100;
}

// Activations with a known range are coloured around its middle (sigmoid's ½, tanh's 0) over its whole width, so
// pictures compare across neurons and passes; the others around 0, scaled to the layer's largest |a|.
const RANGES = { sigmoid: [0.5, 0.5], tanh: [0, 1] };

/** How a layer's pictures are coloured: {center, scale} for diverging((a − center) / scale). */
export function unitScale(activation, units) {
  if (RANGES[activation]) return { center: RANGES[activation][0], scale: RANGES[activation][1] };
  let m = 0;
  for (const grid of units) for (const row of grid) for (const v of row) if (v !== null && Math.abs(v) > m) m = Math.abs(v);
  return { center: 0, scale: m || 1 };
}
