"""Data sets whose samples are images: their shape, the value of a fully inked pixel, and how a drawing on the
page's pad is reduced to one of their samples — the same way the data were made.

A sample of an h × w image data set is one row of h·w raw pixel values in reading order (row by row, top row
first), so feature k is pixel (k // w, k % w). Two recipes turn a drawing into such a row:

  blocks    the UCI "Optical Recognition of Handwritten Digits" recipe: the drawing, scaled to fit a
            (block·h) × (block·w) bitmap and centred, is cut into block × block squares and each pixel is the
            number of inked bitmap pixels in its square (0 … block², 0 … 16 for the 8 × 8 digits);
  centred   the MNIST recipe: the drawing, scaled to fit a box of 20/28 of the image and anti-aliased
            (grey levels), is placed so that its centre of mass is the image's centre; 0 … pixel_max.

The page's pad does the reduction as it draws (static/js/drawpad.js); the recipe and its numbers come from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from engine.datasets.base import DatasetError

Array = np.ndarray

Drawing = Literal["blocks", "centred"]
DRAWINGS: tuple[Drawing, ...] = ("blocks", "centred")
MAX_SIDE = 256  # pixels per side of an image data set (a 256 × 256 image is 65,536 input neurons)
_SHAPE = re.compile(r"\s*(\d+)\s*[,x×]\s*(\d+)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class ImageFormat:
    """How the features of an image data set form a picture, and how a drawing becomes one of its samples.

    `pixel_max` is the raw value of a fully inked pixel (16 for the 8 × 8 digits, 255 for MNIST); `block` is the
    side of the bitmap squares the `blocks` recipe counts in (the digits' 4: a 32 × 32 bitmap to 8 × 8)."""

    shape: tuple[int, int]
    pixel_max: float
    drawing: Drawing = "centred"
    block: int = 4

    def __post_init__(self) -> None:
        h, w = self.shape
        if not (1 <= h <= MAX_SIDE and 1 <= w <= MAX_SIDE):
            raise DatasetError(f"an image must be 1 to {MAX_SIDE} pixels per side, got {h} × {w}")
        if not (np.isfinite(self.pixel_max) and self.pixel_max > 0):
            raise DatasetError(f"the value of an inked pixel must be a number > 0, got {self.pixel_max}")
        if self.drawing not in DRAWINGS:
            raise DatasetError(f"drawing must be one of {', '.join(DRAWINGS)}, got {self.drawing!r}")
        if not 1 <= self.block <= 16:
            raise DatasetError(f"block must be from 1 to 16, got {self.block}")
        object.__setattr__(self, "shape", (int(h), int(w)))
        object.__setattr__(self, "pixel_max", float(self.pixel_max))

    @property
    def pixels(self) -> int:
        """Pixels per image: the input layer's width."""
        return self.shape[0] * self.shape[1]

    @classmethod
    def for_data(cls, shape: tuple[int, int], X_raw: Array) -> ImageFormat:
        """The format of images given as rows of raw pixels: an inked pixel is the data's largest value (1 if
        the data hold nothing above 0); 8 × 8 images of 0 … 16 are taken as the UCI digits' blocks of 4 × 4."""
        largest = float(np.max(X_raw)) if X_raw.size else 0.0
        pixel_max = largest if largest > 0 else 1.0
        if tuple(shape) == (8, 8) and pixel_max == 16.0:
            return cls(shape, 16.0, "blocks", 4)
        return cls(shape, pixel_max, "centred")

    def to_dict(self) -> dict[str, Any]:
        return {"shape": list(self.shape), "pixel_max": self.pixel_max, "drawing": self.drawing, "block": self.block}

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> ImageFormat:
        try:
            return cls(tuple(doc["shape"]), float(doc["pixel_max"]), doc.get("drawing", "centred"), doc.get("block", 4))
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, DatasetError):
                raise
            raise DatasetError(f"an image format needs 'shape' [h, w] and 'pixel_max' ({exc})") from None


def parse_image_shape(text: str) -> tuple[int, int]:
    """'28,28' (or '28x28') as (28, 28), or a DatasetError saying how to write it."""
    match = _SHAPE.fullmatch(text or "")
    if match is None:
        raise DatasetError(
            f"image_shape must be the image's height and width in pixels, e.g. 28,28 or 8,8; got {text!r}"
        )
    h, w = int(match.group(1)), int(match.group(2))
    if not (1 <= h <= MAX_SIDE and 1 <= w <= MAX_SIDE):
        raise DatasetError(f"image_shape must be 1 to {MAX_SIDE} pixels per side, got {h},{w}")
    return h, w


def check_pixel_count(shape: tuple[int, int], n_features: int, what: str = "the file") -> None:
    """A DatasetError unless `n_features` columns make images of `shape`."""
    h, w = shape
    if n_features != h * w:
        raise DatasetError(
            f"image_shape {h},{w} means {h * w:,} pixel columns, but {what} has {n_features:,} feature columns "
            "besides the target: give the shape the pixels make (for 784 columns, 28,28), or choose the target "
            "column so that only pixels are left"
        )


def blocks_from_bitmap(bitmap: Array, block: int) -> Array:
    """The UCI digits' reduction: the number of inked pixels in each block × block square of a 0/1 bitmap (the
    page's pad does the same to a drawing; tests/js/drawpad.test.mjs checks it on this module's test bitmaps)."""
    bitmap = np.asarray(bitmap)
    H, W = bitmap.shape
    if H % block or W % block:
        raise ValueError(f"a {H} × {W} bitmap does not divide into {block} × {block} blocks")
    return (bitmap > 0).reshape(H // block, block, W // block, block).sum(axis=(1, 3)).astype(np.float64)
