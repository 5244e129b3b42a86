// Small images painted on canvases: a row of values in reading order (row by row, top row first) drawn as an
// h × w picture — in grey for the data's raw pixels (0 white … the data's inked value black, as the digits look
// on paper), or on the diagram's diverging scale for weights and gradients (orange negative, blue positive).
// Shared by the weight gallery, the diagram's input picture, the grid of test images and the drawing pad.

import { DIVERGING } from "./palette.js";

const LEVELS = 256; // colours per scale: a lookup table, so a frame of 100,000 pixels is a few milliseconds

function hex(c) {
  return [parseInt(c.slice(1, 3), 16), parseInt(c.slice(3, 5), 16), parseInt(c.slice(5, 7), 16)];
}

/** RGB of u in [0, 1] on the diverging scale (0 = most negative, ½ = zero, 1 = most positive). */
function divergingRgb(u) {
  const stops = DIVERGING.map(([t, c]) => [t, hex(c)]);
  for (let i = 1; i < stops.length; i++) {
    if (u <= stops[i][0]) {
      const [t0, c0] = stops[i - 1];
      const [t1, c1] = stops[i];
      const f = (u - t0) / (t1 - t0 || 1);
      return c0.map((v, k) => Math.round(v + f * (c1[k] - v)));
    }
  }
  return stops[stops.length - 1][1];
}

const DIVERGING_LUT = new Uint8ClampedArray(LEVELS * 3);
for (let i = 0; i < LEVELS; i++) DIVERGING_LUT.set(divergingRgb(i / (LEVELS - 1)), i * 3);
const GREY_LUT = new Uint8ClampedArray(LEVELS * 3);
for (let i = 0; i < LEVELS; i++) GREY_LUT.fill(Math.round(255 - (i * 235) / (LEVELS - 1)), i * 3, i * 3 + 3); // ink: near black

/**
 * Write one h × w image into `image` (an ImageData) at pixel (ox, oy).
 * kind "grey": values 0 … scale (raw pixels); kind "diverging": values −scale … scale. null (not finite) is grey.
 * `fade` in [0, 1] moves every colour towards the scale's zero colour (1 = as is): the update's animation.
 */
export function writeImage(image, values, h, w, ox, oy, kind, scale, fade = 1) {
  const data = image.data;
  const stride = image.width;
  const lut = kind === "grey" ? GREY_LUT : DIVERGING_LUT;
  const s = scale > 0 ? scale : 1;
  const top = LEVELS - 1;
  for (let r = 0; r < h; r++) {
    let o = ((oy + r) * stride + ox) * 4;
    const base = r * w;
    for (let c = 0; c < w; c++, o += 4) {
      const v = values[base + c];
      let i;
      if (v === null || v === undefined) i = kind === "grey" ? 0 : top >> 1;
      else if (kind === "grey") i = Math.round(Math.min(1, Math.max(0, (v / s) * fade)) * top);
      else i = Math.round(((Math.min(1, Math.max(-1, (v / s) * fade)) + 1) / 2) * top);
      data[o] = lut[i * 3];
      data[o + 1] = lut[i * 3 + 1];
      data[o + 2] = lut[i * 3 + 2];
      data[o + 3] = 255;
    }
  }
}

/** The largest |v| in arrays of numbers (nested one level deep), ignoring nulls; 0 if there are none. */
export function largest(rows) {
  let m = 0;
  for (const row of rows) {
    if (!row) continue;
    for (const v of row) if (v !== null && v !== undefined && Math.abs(v) > m) m = Math.abs(v);
  }
  return m;
}

/** A reusable off-screen canvas holding an ImageData of w × h, for drawing it scaled without smoothing. */
export class Atlas {
  constructor() {
    this.canvas = document.createElement("canvas");
    this.image = null;
  }

  /** An ImageData of at least w × h (kept between frames while the size holds). */
  begin(w, h) {
    if (!this.image || this.image.width !== w || this.image.height !== h) {
      this.image = new ImageData(Math.max(1, w), Math.max(1, h));
      this.canvas.width = Math.max(1, w);
      this.canvas.height = Math.max(1, h);
    }
    return this.image;
  }

  /** Put the ImageData on the off-screen canvas (after writing it). */
  commit() {
    this.canvas.getContext("2d").putImageData(this.image, 0, 0);
  }

  /** Draw the region (sx, sy, sw, sh) of the atlas into `ctx` at (dx, dy, dw, dh), pixels kept sharp. */
  draw(ctx, sx, sy, sw, sh, dx, dy, dw, dh) {
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.canvas, sx, sy, sw, sh, dx, dy, dw, dh);
  }
}

/** Paint one image into a canvas element sized to it (static thumbnails: the grid of test images). */
export function paintThumbnail(canvas, values, h, w, kind, scale) {
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(w, h);
  writeImage(image, values, h, w, 0, 0, kind, scale);
  ctx.putImageData(image, 0, 0);
}

/** The image shape of a data set summary ([h, w]) when its input layer is its pixels, else null. */
export function imageShapeOf(dataset, inputs) {
  const shape = dataset && dataset.image_shape;
  if (!shape || shape.length !== 2) return null;
  return inputs === undefined || shape[0] * shape[1] === inputs ? shape : null;
}
