"""Generated data sets: every TensorFlow Playground set (circles, xor, gaussian, spiral, plane,
multi_gaussian) plus moons and sine, deterministic for a seed.

Coordinates: inputs lie in [-1, 1]: Playground's coordinates divided by 5 (its patterns have radius 5 in a
[-6, 6] view, so radius 1 here); noise may push points a little outside. The sets are not standardized (their
normalization is None): they are already well scaled, and a heatmap of the input space uses these raw
coordinates directly.

Noise is a number in [0, 1] that means what Playground's noise slider means (noise 0.3 = Playground's 30%;
its slider stops at 0.5): 0 gives the clean pattern, and each set's `describe()` says what it moves. Classes
are balanced (their counts differ by at most one) and the labels never flip: noise moves the points.

One set is not generated: `digits`, the 1,797 8 × 8 handwritten digits of UCI's "Optical Recognition of
Handwritten Digits" (engine/datasets/digits.py), standardized like an uploaded CSV, with no noise parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from engine.datasets import digits
from engine.datasets.base import (
    MAX_SEED,
    Dataset,
    DatasetError,
    Task,
    brief,
    build_dataset,
    check_seed,
    check_test_fraction,
    encode_labels,
)
from engine.datasets.images import ImageFormat

Array = np.ndarray
Generator = Callable[[np.random.Generator, list[int], float], tuple[Array, Array]]

SAMPLES_RANGE = (4, 100_000)
NOISE_RANGE = (0.0, 1.0)
CLASSES_RANGE = (2, 10)
TEST_FRACTION_RANGE = (0.0, 0.9)
TWO_PI = 2.0 * np.pi


@dataclass(frozen=True)
class ParamSpec:
    """One parameter a builtin takes: its type, default and allowed range."""

    kind: Literal["int", "float"]
    default: int | float
    minimum: int | float
    maximum: int | float
    description: str

    def describe(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "default": self.default,
            "min": self.minimum,
            "max": self.maximum,
            "description": self.description,
        }


@dataclass(frozen=True)
class BuiltinSpec:
    """A generated data set: what it is, its defaults, and the generator behind it."""

    name: str
    description: str
    task: Task
    samples: int
    noise: float | None  # None: the set has no noise parameter
    noise_effect: str
    generator: Generator
    feature_names: tuple[str, ...] = ("x1", "x2")
    target_names: tuple[str, ...] = ("label",)
    class_names: tuple[str, ...] | None = None
    classes: int | None = None  # default class count; None for regression
    variable_classes: bool = False  # whether the "classes" parameter may change it
    samples_range: tuple[int, int] = SAMPLES_RANGE
    standardize: bool = False  # standardize the features with the training split's statistics
    image: ImageFormat | None = None  # set for a set of images (its features are the pixels)

    def parameters(self) -> dict[str, ParamSpec]:
        """The parameters `make_builtin` accepts for this set, with defaults and ranges."""
        params = {
            "samples": ParamSpec("int", self.samples, *self.samples_range, "number of points, train and test"),
            "noise": ParamSpec("float", self.noise or 0.0, *NOISE_RANGE, self.noise_effect),
            "test_fraction": ParamSpec("float", 0.2, *TEST_FRACTION_RANGE, "share of the points held out"),
            "seed": ParamSpec("int", 0, 0, MAX_SEED, "the same seed gives the same points and split"),
        }
        if self.noise is None:
            del params["noise"]
            params["samples"] = ParamSpec("int", self.samples, *self.samples_range, "number of images, train and test")
        if self.variable_classes:
            params["classes"] = ParamSpec("int", self.classes or 2, *CLASSES_RANGE, "number of classes")
        return params

    def names_of_classes(self, k: int) -> tuple[str, ...] | None:
        if self.task == "regression":
            return None
        return self.class_names if self.class_names is not None else tuple("ABCDEFGHIJ"[:k])

    def describe(self) -> dict[str, Any]:
        """JSON-safe description for the API: name, task, features, classes and parameters."""
        return {
            "name": self.name,
            "description": self.description,
            "task": self.task,
            "features": list(self.feature_names),
            "targets": list(self.target_names),
            "classes": list(names) if (names := self.names_of_classes(self.classes or 2)) else None,
            "domain": [[-1.0, 1.0] for _ in self.feature_names],
            "parameters": {name: spec.describe() for name, spec in self.parameters().items()},
            "image_shape": list(self.image.shape) if self.image is not None else None,
        }


# ----------------------------------------------------------------------------------------------------------
# Generators: (rng, points per class or [samples] for regression, noise) -> (X raw, labels or targets)
# Every generator draws the same random numbers whatever the noise, so noise 0 and noise 0.3 with one seed
# give the same points, the second set moved.
# ----------------------------------------------------------------------------------------------------------
def _labels(counts: list[int]) -> Array:
    return np.repeat(np.arange(len(counts)), counts)


def _polar(r: Array, angle: Array) -> Array:
    """Points at radius r and angle (Playground's convention: x = r sin t, y = r cos t)."""
    return np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)


def _jitter(rng: np.random.Generator, m: int, amplitude: float) -> Array:
    """Uniform noise in [-amplitude, amplitude] on each of two coordinates."""
    return rng.uniform(-1.0, 1.0, size=(m, 2)) * amplitude


def _circles(rng: np.random.Generator, counts: list[int], noise: float) -> tuple[Array, Array]:
    inner, outer = counts
    r = np.concatenate([rng.uniform(0.0, 0.5, inner), rng.uniform(0.7, 1.0, outer)])
    angle = rng.uniform(0.0, TWO_PI, inner + outer)
    return _polar(r, angle) + _jitter(rng, inner + outer, noise), _labels(counts)


def _xor(rng: np.random.Generator, counts: list[int], noise: float) -> tuple[Array, Array]:
    m = sum(counts)
    labels = _labels(counts)
    magnitude = rng.uniform(0.05, 1.0, size=(m, 2))  # kept off the axes, as Playground pads them
    sign_x = rng.choice([-1.0, 1.0], size=m)
    sign_y = np.where(labels == 1, -sign_x, sign_x)  # class 1: signs differ (x1 > 0 XOR x2 > 0)
    X = magnitude * np.stack([sign_x, sign_y], axis=1)
    return X + _jitter(rng, m, noise), labels


def _spiral(rng: np.random.Generator, counts: list[int], noise: float) -> tuple[Array, Array]:
    m = sum(counts)
    labels = _labels(counts)
    u = rng.uniform(0.0, 1.0, m)
    angle = 1.75 * TWO_PI * u + np.pi * labels  # 1.75 turns per arm; the second arm is the first turned 180°
    return _polar(u, angle) + _jitter(rng, m, 0.2 * noise), labels


def _gaussian(rng: np.random.Generator, counts: list[int], noise: float) -> tuple[Array, Array]:
    k = len(counts)
    labels = _labels(counts)
    radius = 0.4 * np.sqrt(2.0)  # k = 2: Playground's centres (2, 2) and (−2, −2), divided by 5
    theta = np.pi / 4 + TWO_PI * np.arange(k) / k
    centres = radius * np.stack([np.cos(theta), np.sin(theta)], axis=1)
    spacing = 2 * radius * np.sin(np.pi / k)
    std = np.sqrt(0.5 + 7.0 * noise) / 5.0 * min(1.0, spacing / 0.8)  # Playground's variance 0.5 … 4
    return centres[labels] + std * rng.standard_normal((labels.size, 2)), labels


def _moons(rng: np.random.Generator, counts: list[int], noise: float) -> tuple[Array, Array]:
    upper, lower = counts
    t = rng.uniform(0.0, np.pi, upper + lower)
    x = np.where(np.arange(t.size) < upper, np.cos(t), 1.0 - np.cos(t))
    y = np.where(np.arange(t.size) < upper, np.sin(t), 0.5 - np.sin(t))
    X = np.stack([(x - 0.5) / 1.5, (y - 0.25) / 1.5], axis=1)  # x in [-1, 1], y in [-0.5, 0.5]
    return X + _jitter(rng, t.size, 0.5 * noise), _labels(counts)


def _regression(f: Callable[[Array], Array], dims: int) -> Generator:
    """Inputs uniform in [-1, 1]^dims, target f(X) plus uniform noise in [-noise, noise]."""

    def generate(rng: np.random.Generator, counts: list[int], noise: float) -> tuple[Array, Array]:
        X = rng.uniform(-1.0, 1.0, size=(counts[0], dims))
        y = f(X) + noise * rng.uniform(-1.0, 1.0, counts[0])
        return X, y.reshape(-1, 1)

    return generate


_BUMPS = [  # (centre x1, centre x2, sign): Playground's six bumps at (±4 or 0, ±2.5), divided by about 6
    (-0.65, 0.42, 1.0),
    (0.0, 0.42, -1.0),
    (0.65, 0.42, 1.0),
    (-0.65, -0.42, -1.0),
    (0.0, -0.42, 1.0),
    (0.65, -0.42, -1.0),
]


def _bumps(X: Array) -> Array:
    y = np.zeros(X.shape[0])
    for cx, cy, sign in _BUMPS:
        y += sign * np.exp(-((X[:, 0] - cx) ** 2 + (X[:, 1] - cy) ** 2) / (2 * 0.18**2))
    return y


BUILTINS: dict[str, BuiltinSpec] = {
    spec.name: spec
    for spec in (
        BuiltinSpec(
            "circles",
            "a disc of one class inside a ring of the other (Playground's 'circle')",
            "classification",
            500,
            0.1,
            "moves each point by up to ±noise in x1 and in x2 (the disc has radius 0.5, the ring 0.7 to 1)",
            _circles,
            class_names=("inner", "outer"),
            classes=2,
        ),
        BuiltinSpec(
            "xor",
            "class 1 where exactly one of x1, x2 is positive (Playground's 'exclusive or')",
            "classification",
            500,
            0.1,
            "moves each point by up to ±noise in x1 and in x2 (points lie 0.05 to 1 from the axes)",
            _xor,
            class_names=("0", "1"),
            classes=2,
        ),
        BuiltinSpec(
            "spiral",
            "two interleaved spiral arms of 1.75 turns each (Playground's 'spiral')",
            "classification",
            500,
            0.1,
            "moves each point by up to ±0.2·noise in x1 and in x2 (the arms lie about 0.29 apart)",
            _spiral,
            class_names=("arm 1", "arm 2"),
            classes=2,
        ),
        BuiltinSpec(
            "gaussian",
            "k gaussian clusters around a circle, one per class (Playground's 'gaussian' for k = 2)",
            "classification",
            500,
            0.1,
            "widens the clusters: std = √(0.5 + 7·noise)/5 for 2 to 4 classes (Playground's spread), "
            "narrower for more classes so their centres stay apart",
            _gaussian,
            classes=2,
            variable_classes=True,
        ),
        BuiltinSpec(
            "moons",
            "two interleaving half circles",
            "classification",
            500,
            0.1,
            "moves each point by up to ±0.5·noise in x1 and in x2 (the moons lie about 0.33 apart)",
            _moons,
            class_names=("upper", "lower"),
            classes=2,
        ),
        BuiltinSpec(
            "plane",
            "a tilted plane: y = (x1 + x2) / 2 (Playground's 'plane' regression)",
            "regression",
            500,
            0.05,
            "adds uniform noise in [-noise, noise] to y (whose clean values span [-1, 1])",
            _regression(lambda X: (X[:, 0] + X[:, 1]) / 2, 2),
            target_names=("y",),
        ),
        BuiltinSpec(
            "sine",
            "one period of a sine wave: y = sin(π·x) for x in [-1, 1]",
            "regression",
            200,
            0.05,
            "adds uniform noise in [-noise, noise] to y (whose clean values span [-1, 1])",
            _regression(lambda X: np.sin(np.pi * X[:, 0]), 1),
            feature_names=("x",),
            target_names=("y",),
        ),
        BuiltinSpec(
            "multi_gaussian",
            "three positive and three negative gaussian bumps, checkerboard-wise (Playground's)",
            "regression",
            1000,
            0.05,
            "adds uniform noise in [-noise, noise] to y (whose clean values span about [-1, 1])",
            _regression(_bumps, 2),
            target_names=("y",),
        ),
        BuiltinSpec(
            "digits",
            "1,797 handwritten digits, 8 × 8 pixels of 0 to 16 (UCI's optical recognition of handwritten digits)",
            "classification",
            digits.IMAGES,
            None,
            "",
            digits.generate,
            feature_names=digits.FEATURE_NAMES,
            target_names=("digit",),
            class_names=digits.CLASS_NAMES,
            classes=10,
            samples_range=(20, digits.IMAGES),
            standardize=True,
            image=digits.FORMAT,
        ),
    )
}


# ----------------------------------------------------------------------------------------------------------
# Validation and construction
# ----------------------------------------------------------------------------------------------------------
def _spec(name: str) -> BuiltinSpec:
    if not isinstance(name, str) or name not in BUILTINS:
        raise DatasetError(f"unknown builtin data set {brief(name)}; choose one of {', '.join(BUILTINS)}")
    return BUILTINS[name]


def _int_in(field: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not low <= value <= high:
        raise DatasetError(f"{field} must be a whole number from {low:,} to {high:,}, got {brief(value)}")
    return int(value)


def _noise(spec: BuiltinSpec, value: Any) -> float:
    if spec.noise is None:
        raise DatasetError(f"{spec.name} has no noise parameter: its images are used as they were collected")
    low, high = NOISE_RANGE
    ok = not isinstance(value, bool) and isinstance(value, int | float | np.number)
    if not ok or not low <= value <= high:  # NaN fails the comparison too
        raise DatasetError(f"noise must be a number from {low:g} to {high:g}, got {brief(value)}")
    return float(value)


def _classes(spec: BuiltinSpec, classes: int | None) -> int | None:
    if spec.variable_classes:
        return spec.classes if classes is None else _int_in("classes", classes, *CLASSES_RANGE)
    if classes is not None and classes != spec.classes:
        fixed = f"always has {spec.classes} classes" if spec.classes else "is a regression data set"
        raise DatasetError(f"classes applies to gaussian only; {spec.name} {fixed}")
    return spec.classes


def _counts(samples: int, k: int) -> list[int]:
    """`samples` points over k classes as evenly as possible (counts differ by at most one)."""
    return [samples // k + (1 if i < samples % k else 0) for i in range(k)]


def make_builtin(
    name: str,
    samples: int | None = None,
    noise: float | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
    classes: int | None = None,
) -> Dataset:
    """Generate builtin `name` (None for samples/noise = the set's default) and split it, stratified by
    class, into train and test; the same arguments always give the same Dataset."""
    spec = _spec(name)
    samples = spec.samples if samples is None else _int_in("samples", samples, *spec.samples_range)
    noise = (spec.noise or 0.0) if noise is None else _noise(spec, noise)
    test_fraction = check_test_fraction(test_fraction)
    k = _classes(spec, classes)
    if k is not None and samples < 2 * k:
        raise DatasetError(f"{name} with {k} classes needs at least {2 * k} samples (2 per class), got {samples}")
    rng = np.random.default_rng(check_seed(seed))
    X, Y = spec.generator(rng, _counts(samples, k) if k else [samples], noise)
    labels = Y if k else None
    if labels is not None:
        Y = encode_labels(labels, k)
    return build_dataset(
        name=spec.name,
        task=spec.task,
        X_raw=X,
        Y=Y,
        feature_names=spec.feature_names,
        target_names=spec.target_names,
        class_names=spec.names_of_classes(k) if k else None,
        test_fraction=test_fraction,
        seed=rng,
        standardize=spec.standardize,
        labels=labels,
        what=f"{name} with {samples} samples",
        image=spec.image,
    )
