// Colours: one colour-blind-safe diverging scale (orange = negative, blue = positive, as TensorFlow Playground
// shows weights), shared by the diagram, its legend and the data view.

export const NEG = "#b35806";
export const POS = "#2166ac";
export const MID = "#e4e4e4";

// Plotly colourscale, −1 … +1 mapped to 0 … 1 (PuOr's orange half, RdBu's blue half: both safe for deuteranopia).
export const DIVERGING = [
  [0.0, "#7f3b08"],
  [0.15, "#b35806"],
  [0.3, "#e08214"],
  [0.42, "#fdb863"],
  [0.5, MID],
  [0.58, "#92c5de"],
  [0.7, "#4393c3"],
  [0.85, "#2166ac"],
  [1.0, "#053061"],
];

// Class colours for the data view: class 0 orange, class 1 blue, then more safe hues (Okabe–Ito).
export const CLASS_COLORS = ["#e08214", "#2166ac", "#009e73", "#cc79a7", "#f0e442", "#56b4e9", "#d55e00", "#000000", "#999999", "#7f3b08"];

function hex(c) {
  return [parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16), parseInt(c.slice(5, 7), 16)];
}

const STOPS = DIVERGING.map(([t, c]) => [t, hex(c)]);

/** The colour of t in [−1, 1] on the diverging scale, as "rgb(…)". */
export function diverging(t) {
  const u = Math.min(1, Math.max(0, (t + 1) / 2));
  for (let i = 1; i < STOPS.length; i++) {
    if (u <= STOPS[i][0]) {
      const [t0, c0] = STOPS[i - 1];
      const [t1, c1] = STOPS[i];
      const f = (u - t0) / (t1 - t0 || 1);
      const mix = c0.map((v, k) => Math.round(v + f * (c1[k] - v)));
      return `rgb(${mix[0]},${mix[1]},${mix[2]})`;
    }
  }
  const last = STOPS[STOPS.length - 1][1];
  return `rgb(${last[0]},${last[1]},${last[2]})`;
}
