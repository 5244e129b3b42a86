"""The built-in `digits`: UCI's "Optical Recognition of Handwritten Digits", the 1,797 images of its test part
(data/digits.csv.gz, as scikit-learn ships them; licence CC BY 4.0 — data/DIGITS-LICENSE.md).

E. Alpaydin and C. Kaynak made them from NIST's normalized 32 × 32 bitmaps of digits written by 43 people:
each bitmap was cut into 4 × 4 blocks and each pixel counts the inked bitmap pixels of its block, so an image
is 8 × 8 pixels of 0 … 16. Each row of the file is the 64 pixels in reading order, then the digit.
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

import numpy as np

from engine.datasets.base import _test_counts
from engine.datasets.images import ImageFormat

Array = np.ndarray

FILE = Path(__file__).resolve().parent / "data" / "digits.csv.gz"
IMAGES = 1_797
SIDE = 8
FORMAT = ImageFormat((SIDE, SIDE), 16.0, "blocks", 4)
FEATURE_NAMES = tuple(f"pixel {r + 1},{c + 1}" for r in range(SIDE) for c in range(SIDE))
CLASS_NAMES = tuple(str(d) for d in range(10))


@cache
def load() -> tuple[Array, Array]:
    """All 1,797 images as rows of 64 raw pixels (float64, read-only) and their digits (int64, read-only)."""
    with gzip.open(FILE, "rt", encoding="ascii") as stream:
        table = np.loadtxt(stream, delimiter=",", dtype=np.float64)
    if table.shape != (IMAGES, SIDE * SIDE + 1):
        raise RuntimeError(f"{FILE} holds a {table.shape} table, not {IMAGES} rows of 64 pixels and a digit")
    X = np.ascontiguousarray(table[:, :-1])
    labels = table[:, -1].astype(np.int64)
    X.flags.writeable = False
    labels.flags.writeable = False
    return X, labels


def generate(rng: np.random.Generator, counts: list[int], noise: float) -> tuple[Array, Array]:
    """`sum(counts)` images and their digits: all of them, or a subset drawn with each digit in proportion to
    its share of the 1,797 (so a small set stays as balanced as the whole). `noise` is unused: the images are
    used as they were collected."""
    X, labels = load()
    samples = sum(counts)
    if samples >= IMAGES:
        return X, labels
    groups = [np.flatnonzero(labels == d) for d in range(len(CLASS_NAMES))]
    take = _test_counts([g.size for g in groups], samples)
    chosen = np.sort(np.concatenate([rng.choice(g, size=n, replace=False) for g, n in zip(groups, take, strict=True)]))
    return X[chosen], labels[chosen]
