// Number formatting at a precision the person chooses. Display only: the value itself is never changed, and
// "full" shows the JSON number exactly as it came from the server (the shortest round-trip form).

export const PRECISIONS = ["2", "3", "4", "6", "8", "full"];

/** A number as text: `precision` significant digits ("full": as sent); null (non-finite on the wire) → "—". */
export function fmt(value, precision = "4") {
  if (value === null || value === undefined) return "—";
  if (typeof value !== "number") return String(value);
  if (!Number.isFinite(value)) return String(value);
  if (precision === "full") return String(value);
  const p = Number(precision);
  if (value === 0) return "0";
  const abs = Math.abs(value);
  let text;
  if (abs < 1e-4 || abs >= 1e6) {
    text = value.toExponential(p - 1).replace(/\.?0+e/, "e");
  } else {
    text = value.toPrecision(p);
    if (text.includes("e")) text = Number(text).toString();
    if (text.includes(".")) text = text.replace(/0+$/, "").replace(/\.$/, "");
  }
  return text.replace("-", "−");
}

/** The raw JSON text of a value, for data-value attributes (tests compare these exactly with the API). */
export function raw(value) {
  return value === undefined ? "null" : JSON.stringify(value);
}

/** Seconds as "12 s", "3 min 5 s", "1 h 2 min". */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** Escape text for innerHTML. */
export function esc(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

/** A name as Plotly text: Plotly reads <a href>, <b>, <span style> … in titles and labels, so a data set's own names
 * (a CSV header) are escaped to show as written, never as markup (Plotly turns &amp; &lt; &gt; back into & < >). */
export function plotlyText(text) {
  return String(text).replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c]);
}

/** Subscripts and superscripts for the seed's notation (w²₁₂ and the like). */
const SUP = { 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹", L: "ᴸ", l: "ˡ", "+": "⁺", "-": "⁻" };
const SUB = { 0: "₀", 1: "₁", 2: "₂", 3: "₃", 4: "₄", 5: "₅", 6: "₆", 7: "₇", 8: "₈", 9: "₉", ",": "," };
export const sup = (v) => String(v).split("").map((c) => SUP[c] ?? c).join("");
export const sub = (v) => String(v).split("").map((c) => SUB[c] ?? c).join("");

/** The type scale: 1, or 17/14 with "Large text" (html.big, for a projector). Plotly and canvas fonts use it. */
export function uiScale() {
  return document.documentElement.classList.contains("big") ? 17 / 14 : 1;
}

/** A font size in CSS pixels at the current type scale (never below 12 px). */
export function px(size) {
  return Math.max(12, Math.round(size * uiScale() * 10) / 10);
}
