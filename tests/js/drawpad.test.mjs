// static/js/drawpad.js and pixels.js: a drawing reduced as the data were made, and pixels painted as pictures.
// The bitmap cases are tests/engine/datasets/test_images.py's, whose numbers the engine's blocks_from_bitmap gives.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { blocksFromBitmap, centreOfMassShift, inkBox } from "../../static/js/drawpad.js";
import { imageShapeOf, largest, writeImage } from "../../static/js/pixels.js";

describe("the UCI digits' reduction", () => {
  test("counts the inked bitmap pixels of each 4 × 4 block, as the engine does", () => {
    const bitmap = new Array(32 * 32).fill(0);
    const on = (r, c) => (bitmap[r * 32 + c] = 1);
    for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) on(r, c); // a whole block
    for (let c = 4; c < 8; c++) on(4, c); // one row of the next block down-right
    on(31, 31);
    const image = blocksFromBitmap(bitmap, 32, 32, 4);
    assert.equal(image.length, 64);
    assert.equal(image[0], 16);
    assert.equal(image[1 * 8 + 1], 4);
    assert.equal(image[7 * 8 + 7], 1);
    assert.equal(image.reduce((a, b) => a + b, 0), 21);
    assert.deepEqual(blocksFromBitmap(new Array(1024).fill(1), 32, 32, 4), new Array(64).fill(16));
  });

  test("the ink's box and the shift that centres its mass", () => {
    const alpha = new Array(10 * 10).fill(0);
    alpha[2 * 10 + 3] = 255;
    alpha[6 * 10 + 7] = 200;
    assert.deepEqual(inkBox(alpha, 10, 10), { x: 3, y: 2, w: 5, h: 5 });
    assert.equal(inkBox(new Array(100).fill(0), 10, 10), null);
    const grey = new Array(5 * 5).fill(0);
    grey[0] = 1; // all the mass in the top-left corner of a 5 × 5 image: move it 2 right and 2 down
    assert.deepEqual(centreOfMassShift(grey, 5, 5), [2, 2]);
    assert.deepEqual(centreOfMassShift(new Array(25).fill(0), 5, 5), [0, 0]);
  });
});

describe("pixels as pictures", () => {
  const image = (w, h) => ({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4) });
  const rgb = (img, k) => [...img.data.slice(k * 4, k * 4 + 3)];

  test("raw pixels in grey: 0 is paper white, the inked value near black", () => {
    const img = image(3, 1);
    writeImage(img, [0, 8, 16], 1, 3, 0, 0, "grey", 16);
    assert.deepEqual(rgb(img, 0), [255, 255, 255]);
    assert.deepEqual(rgb(img, 2), [20, 20, 20]);
    assert.ok(rgb(img, 1)[0] > 20 && rgb(img, 1)[0] < 255);
  });

  test("weights on the diverging scale: orange below zero, grey at zero, blue above", () => {
    const img = image(3, 1);
    writeImage(img, [-2, 0, 2], 1, 3, 0, 0, "diverging", 2);
    assert.deepEqual(rgb(img, 0), [127, 59, 8]); // #7f3b08
    assert.deepEqual(rgb(img, 2), [5, 48, 97]); // #053061
    const mid = rgb(img, 1);
    assert.ok(Math.abs(mid[0] - mid[2]) < 8 && mid[0] > 200, `zero is grey, got ${mid}`);
  });

  test("a picture is written at its place in a larger image (the gallery's atlas)", () => {
    const img = image(4, 2);
    writeImage(img, [1, 1], 1, 2, 2, 1, "grey", 1);
    assert.deepEqual(rgb(img, 1 * 4 + 2), [20, 20, 20]);
    assert.deepEqual(rgb(img, 0), [0, 0, 0]); // untouched
  });

  test("the image shape of a data set, when its pixels are the input layer", () => {
    assert.deepEqual(imageShapeOf({ image_shape: [8, 8] }, 64), [8, 8]);
    assert.equal(imageShapeOf({ image_shape: [8, 8] }, 63), null);
    assert.equal(imageShapeOf({ image_shape: null }, 2), null);
    assert.equal(largest([[1, -3], null, [2, null]]), 3);
  });
});
