// static/js/health.js: the server's diagnostics arranged for the charts — histograms over time as a pass × bin
// matrix of shares, the scalar series, the flags by layer.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { badgeLayer, flagsByLayer, flagsKey, hasSeries, heatmapOf, latestColumn, quantityLabel, rowShares, seriesOf, unitScale, useLog } from "../../static/js/health.js";

const history = {
  passes: [0, 10, 20],
  layers: [
    { layer: 1, weight_norm: [1, 1, 1], grad_norm: [1e-5, 1e-6, 1e-7], update_ratio: [null, 1e-4, 1e-5], dead_fraction: null, saturated_fraction: [0.2, 0.5, 0.9] },
    { layer: 2, weight_norm: [1, 1, 1], grad_norm: [0.1, 0.1, 0.1], update_ratio: [null, 1e-3, 1e-3], dead_fraction: null, saturated_fraction: null },
  ],
};

describe("histograms over time", () => {
  test("each pass's column holds the shares of the layer's values per bin, bins at their centres", () => {
    const entry = { layer: 1, edges: [-1, 0, 1, 2], counts: [[1, 1, 2], [0, 4, 0], [0, 0, 0]] };
    const h = heatmapOf(entry, [0, 10, 20]);
    assert.deepEqual(h.x, [0, 10, 20]);
    assert.deepEqual(h.y, [-0.5, 0.5, 1.5]);
    assert.deepEqual(h.z, [[0.25, 0, null], [0.25, 1, null], [0.5, 0, null]]); // an empty pass is a gap, not zeros
  });

  test("the latest histogram as one column of shares", () => {
    assert.deepEqual(latestColumn({ edges: [0, 2, 4], counts: [3, 1] }), { y: [1, 3], share: [0.75, 0.25] });
  });
});

describe("scalar series", () => {
  test("one per layer, null where the statistic does not apply", () => {
    const s = seriesOf(history, "saturated_fraction");
    assert.deepEqual(s.map((x) => x.layer), [1, 2]);
    assert.deepEqual(s[0].y, [0.2, 0.5, 0.9]);
    assert.equal(s[1].y, null);
    assert.equal(hasSeries(history, "saturated_fraction"), true);
    assert.equal(hasSeries(history, "dead_fraction"), false);
  });
});

describe("flags", () => {
  test("grouped by layer (the network as a whole under 0), keyed by kind and layer only", () => {
    const flags = [
      { kind: "vanishing", layer: 1, message: "…", value: 1e-5, threshold: 1e-3, lesson: "03-vanishing-gradients" },
      { kind: "saturated", layer: 1, message: "…", value: 0.9, threshold: 0.5, lesson: null },
      { kind: "diverging", layer: null, message: "…", value: 2, threshold: 1, lesson: null },
    ];
    const by = flagsByLayer(flags);
    assert.deepEqual([...by.keys()], [1, 0]);
    assert.deepEqual(by.get(1).map((f) => f.kind), ["vanishing", "saturated"]);
    assert.equal(flagsKey(flags), "diverging@,saturated@1,vanishing@1");
    assert.equal(flagsKey([{ ...flags[0], value: 2e-5 }]), flagsKey([flags[0]])); // new numbers, same badges
  });

  test("a vanishing or exploding gradient measured between layer 1 and the output has its badge on layer 1", () => {
    assert.equal(badgeLayer({ kind: "vanishing", layer: null }), 1);
    assert.equal(badgeLayer({ kind: "exploding", layer: null }), 1);
    assert.equal(badgeLayer({ kind: "exploding", layer: 3 }), 3);
    assert.equal(badgeLayer({ kind: "diverging", layer: null }), 0);
    assert.deepEqual([...flagsByLayer([{ kind: "vanishing", layer: null }, { kind: "saturated", layer: 1 }]).keys()], [1]);
  });

  test("the quantities in the seed's notation", () => {
    assert.equal(quantityLabel("grad_W", 12), "∂J/∂W¹²");
    assert.equal(quantityLabel("delta", 3), "δ³");
  });
});

describe("evaluation, landscape and unit pictures", () => {
  test("a confusion matrix coloured by each row's shares; an empty row stays empty", () => {
    assert.deepEqual(rowShares([[3, 1], [0, 0], [2, 2]]), [[0.75, 0.25], [null, null], [0.5, 0.5]]);
  });

  test("the landscape goes to log₁₀ J only when J spans more than two decades", () => {
    assert.equal(useLog([[0.5, 0.6], [0.7, null]]), false);
    assert.equal(useLog([[0.01, 0.6], [5, 2]]), true);
    assert.equal(useLog([[null]]), false);
  });

  test("pictures of bounded activations use their whole range, the others the layer's largest |a|", () => {
    assert.deepEqual(unitScale("sigmoid", []), { center: 0.5, scale: 0.5 });
    assert.deepEqual(unitScale("tanh", []), { center: 0, scale: 1 });
    assert.deepEqual(unitScale("relu", [[[0, 2], [null, 1]], [[4, 0]]]), { center: 0, scale: 4 });
    assert.deepEqual(unitScale("relu", [[[0, 0]]]), { center: 0, scale: 1 }); // a dead layer: no division by 0
  });
});
