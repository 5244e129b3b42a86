// The diagram's input layer when the inputs are an image: the focus sample's picture (its raw pixels in grey)
// instead of a column of circles, with the edges to layer 1 fanning out from its pixels. An image of up to 64
// pixels fans from every pixel; a larger one from a lattice of at most 8 × 8 of them (every 4th pixel of a
// 28 × 28 image, each way), so the fan stays readable. Clicking a pixel selects that input (the equations show x_k).

import { Atlas, writeImage } from "./pixels.js";

const FAN_SIDE = 8; // at most 8 × 8 pixels fan edges out
export const IMAGE_LEFT = -1.0; // the diagram's x range starts here (data units) to make room for the picture
const SPAN = [-0.95, 0.5]; // the picture's horizontal extent in data units (layer 1 is at x = 1)

export class InputImage {
  /** The input picture of a network whose input layer is the pixels of `dataset` (null when it is not). */
  static for(dataset, inputs) {
    const shape = dataset && dataset.image_shape;
    if (!shape || shape[0] * shape[1] !== inputs) return null;
    return new InputImage(shape, dataset.image ? dataset.image.pixel_max : 1);
  }

  constructor([h, w], pixelMax) {
    this.h = h;
    this.w = w;
    this.pixelMax = pixelMax || 1;
    this.atlas = new Atlas();
    this.values = null;
    this.fan = lattice(h, w);
    this.cx = (SPAN[0] + SPAN[1]) / 2; // data x of the picture's centre (the layer title goes there)
  }

  /** The diagram's column for the input layer: the pixels the edges fan from. */
  column() {
    return { indices: this.fan, hidden: 0 };
  }

  /** The picture's square in CSS pixels of the diagram, from the diagram's data → pixel transform. */
  rect(tr, top, bottom) {
    const left = tr.x(SPAN[0]);
    const right = tr.x(SPAN[1]);
    const height = Math.abs(tr.y(bottom) - tr.y(top));
    const side = Math.max(8, Math.min(right - left, 0.78 * height));
    const cx = (left + right) / 2;
    const cy = tr.y(0);
    return { x: cx - side / 2, y: cy - side / 2, side, cell: side / this.w };
  }

  /** Centre of pixel k in CSS pixels. */
  point(k, box) {
    const r = Math.floor(k / this.w);
    const c = k % this.w;
    return [box.x + (c + 0.5) * (box.side / this.w), box.y + (r + 0.5) * (box.side / this.h)];
  }

  /** Paint the sample's picture (raw pixels `values`) and the selected pixel's frame. */
  paint(ctx, box, values, selection, active) {
    const image = this.atlas.begin(this.w, this.h);
    writeImage(image, values || new Array(this.h * this.w).fill(0), this.h, this.w, 0, 0, "grey", this.pixelMax);
    this.atlas.commit();
    ctx.fillStyle = "#fff";
    ctx.fillRect(box.x, box.y, box.side, box.side);
    this.atlas.draw(ctx, 0, 0, this.w, this.h, box.x, box.y, box.side, box.side);
    ctx.lineWidth = active ? 2 : 1.2;
    ctx.strokeStyle = active ? "#222" : "#888";
    ctx.strokeRect(box.x - 0.5, box.y - 0.5, box.side + 1, box.side + 1);
    if (selection && selection.kind === "neuron" && selection.layer === 0) {
      const k = selection.index;
      const pw = box.side / this.w;
      const ph = box.side / this.h;
      ctx.lineWidth = 2.5;
      ctx.strokeStyle = "#d55e00";
      ctx.strokeRect(box.x + (k % this.w) * pw, box.y + Math.floor(k / this.w) * ph, pw, ph);
    }
  }

  /** The pixel under a point (CSS pixels), or null. */
  hit(px, py, box) {
    const c = Math.floor(((px - box.x) / box.side) * this.w);
    const r = Math.floor(((py - box.y) / box.side) * this.h);
    if (c < 0 || c >= this.w || r < 0 || r >= this.h) return null;
    return r * this.w + c;
  }

  /** "pixel (row, column)" of input k, 1-based as the seed counts. */
  name(k) {
    return `pixel (${Math.floor(k / this.w) + 1}, ${(k % this.w) + 1})`;
  }
}

/** The pixels edges fan from: every pixel of a small image, else a centred lattice of at most 8 × 8. */
function lattice(h, w) {
  if (h * w <= FAN_SIDE * FAN_SIDE) return [...Array(h * w).keys()];
  const axis = (n) => {
    const stride = Math.max(1, Math.ceil(n / FAN_SIDE));
    const count = Math.ceil(n / stride);
    const start = Math.floor((n - 1 - stride * (count - 1)) / 2);
    return Array.from({ length: count }, (_, i) => start + i * stride);
  };
  const out = [];
  for (const r of axis(h)) for (const c of axis(w)) out.push(r * w + c);
  return out;
}
