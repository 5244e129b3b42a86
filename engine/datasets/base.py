"""The Dataset every source (builtin, CSV, inline) produces, its error type, and split/standardize helpers.

Conventions: rows are samples. Classification targets are stored ready for the loss: two classes as one
column of 0/1 (one sigmoid output), k > 2 classes one-hot (k softmax outputs); `with_output_width` converts
a two-class set to one-hot when the network has two outputs. Arrays held by a Dataset are read-only views,
so one Dataset can be shared by several sessions without any of them changing it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

if TYPE_CHECKING:  # images.py raises this module's DatasetError
    from engine.datasets.images import ImageFormat

Array = np.ndarray
Task = Literal["classification", "regression"]
TASKS: tuple[Task, ...] = ("classification", "regression")

# Columns whose training-set std is at most this times their largest |value| count as constant: std 1.
_CONSTANT_RTOL = 1e-12


class DatasetError(ValueError):
    """A data problem the user can fix; the message reads as a sentence to show them as it is.

    `row` is the 1-based line number in the file as an editor shows it (the header is row 1), or the
    1-based row of inline data; `column` is the column's name, or its 1-based index when it has none.
    `limit` is the `CsvLimits` field the data went beyond, if that is the problem; `field` the request field
    the problem is about when it is not the data (e.g. "image_shape").
    """

    def __init__(
        self,
        message: str,
        *,
        row: int | None = None,
        column: str | int | None = None,
        limit: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.row = row
        self.column = column
        self.limit = limit
        self.field = field

    def to_dict(self) -> dict[str, Any]:
        """The error as JSON-safe fields, for an API error body."""
        return {"message": self.message, "row": self.row, "column": self.column}


def readonly_array(values: Any, ndim: int) -> Array:
    """A read-only float64 view of `values` with `ndim` dimensions (the caller's array stays writable)."""
    array = np.ascontiguousarray(values, dtype=np.float64)
    if array.ndim != ndim:
        raise DatasetError(f"expected a {ndim}-D array, got shape {array.shape}")
    view = array.view()
    view.flags.writeable = False
    return view


@dataclass(frozen=True, eq=False)
class Normalization:
    """Per-feature standardization x' = (x − mean) / std, with the training split's statistics."""

    mean: Array
    std: Array

    def __post_init__(self) -> None:
        mean, std = readonly_array(self.mean, 1), readonly_array(self.std, 1)
        if mean.shape != std.shape:
            raise DatasetError(f"normalization has {mean.size} means but {std.size} standard deviations")
        if not (np.isfinite(mean).all() and np.isfinite(std).all() and (std > 0).all()):
            raise DatasetError("normalization needs finite means and finite standard deviations > 0")
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "std", std)

    @classmethod
    def fit(cls, X: Array) -> Normalization:
        """Mean and population std of each column of X; a (near-)constant column gets std 1, not 0."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[0] == 0:
            raise DatasetError("standardization needs at least one training row")
        mean = X.mean(axis=0)
        std = X.std(axis=0)
        scale = np.abs(X).max(axis=0)  # a constant column's std is 0 or rounding noise far below its values
        std = np.where(std > _CONSTANT_RTOL * scale, std, 1.0)
        return cls(mean, std)

    @property
    def n_features(self) -> int:
        return int(self.mean.size)

    def apply(self, X_raw: Array) -> Array:
        """Raw feature values (rows, or one sample) to the network's inputs."""
        X = np.asarray(X_raw, dtype=np.float64)
        if X.shape[-1:] != (self.n_features,):
            raise DatasetError(
                f"expected {self.n_features} feature values per sample, got {X.shape[-1] if X.ndim else 0}"
            )
        return (X - self.mean) / self.std

    def invert(self, X: Array) -> Array:
        """The network's inputs back to raw feature values (for display)."""
        return np.asarray(X, dtype=np.float64) * self.std + self.mean

    def to_dict(self) -> dict[str, list[float]]:
        """JSON-safe lists; Python floats print with repr, so JSON round-trips them exactly."""
        return {"mean": [float(v) for v in self.mean], "std": [float(v) for v in self.std]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Normalization:
        try:
            return cls(np.asarray(d["mean"], dtype=np.float64), np.asarray(d["std"], dtype=np.float64))
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, DatasetError):
                raise
            raise DatasetError(f"a normalization needs 'mean' and 'std' lists of numbers ({exc})") from None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Normalization):
            return NotImplemented
        return bool(np.array_equal(self.mean, other.mean) and np.array_equal(self.std, other.std))

    __hash__ = None  # type: ignore[assignment]


_ARRAY_FIELDS = ("X_train", "Y_train", "X_test", "Y_test", "raw_domain")  # a Dataset's arrays, all 2-D and finite


@dataclass(frozen=True, eq=False)
class Dataset:
    """A data set split into train and test, with everything needed to train on it and to plot it.

    X holds the network's inputs: standardized if `normalization` is set (raw x → (x − mean) / std), else
    the raw values. `raw_domain[j]` is [min, max] of raw feature j over train and test. `image` is set when
    each sample is an image (engine/datasets/images.py): its raw features are the pixels in reading order.
    """

    name: str
    task: Task
    X_train: Array
    Y_train: Array
    X_test: Array
    Y_test: Array
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...]
    class_names: tuple[str, ...] | None
    normalization: Normalization | None
    raw_domain: Array
    image: ImageFormat | None = None

    def __post_init__(self) -> None:
        for field_name in _ARRAY_FIELDS:
            object.__setattr__(self, field_name, readonly_array(getattr(self, field_name), 2))
        object.__setattr__(self, "feature_names", tuple(self.feature_names))
        object.__setattr__(self, "target_names", tuple(self.target_names))
        if self.class_names is not None:
            object.__setattr__(self, "class_names", tuple(self.class_names))
        self._check_shapes()

    def _check_shapes(self) -> None:
        if self.task not in TASKS:
            raise DatasetError(f"task must be 'classification' or 'regression', got {self.task!r}")
        n, t = len(self.feature_names), self.Y_train.shape[1]
        for part, X, Y in (("train", self.X_train, self.Y_train), ("test", self.X_test, self.Y_test)):
            if X.shape[1] != n or Y.shape[1] != t or X.shape[0] != Y.shape[0]:
                raise DatasetError(
                    f"the {part} split has shapes {X.shape} and {Y.shape}; expected {n} features, "
                    f"{t} target columns and as many target rows as input rows"
                )
        if self.raw_domain.shape != (n, 2):
            raise DatasetError(f"raw_domain must have shape ({n}, 2), got {self.raw_domain.shape}")
        for field_name in _ARRAY_FIELDS:
            if not np.isfinite(getattr(self, field_name)).all():
                raise DatasetError(f"{field_name} holds values that are not finite numbers (NaN or ±inf)")
        if (self.task == "classification") != (self.class_names is not None):
            raise DatasetError("class_names are required for classification and must be None for regression")
        k = self.n_classes
        if self.class_names is not None and (k < 2 or t not in ((1, 2) if k == 2 else (k,))):
            raise DatasetError(f"{plural(k, 'class')} cannot be stored in {plural(t, 'target column')}")
        if self.normalization is not None and self.normalization.n_features != n:
            raise DatasetError(f"the normalization is for {self.normalization.n_features} features, not {n}")
        if self.image is not None and self.image.pixels != n:
            h, w = self.image.shape
            raise DatasetError(f"{h} × {w} images have {h * w} pixels, but the data set has {plural(n, 'feature')}")

    # -- sizes -------------------------------------------------------------------------------------------
    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    @property
    def n_targets(self) -> int:
        """Target columns as stored now (1 for a two-class set until `with_output_width(2)`)."""
        return int(self.Y_train.shape[1])

    @property
    def n_classes(self) -> int:
        """Number of classes; 0 for regression."""
        return len(self.class_names) if self.class_names is not None else 0

    @property
    def n_train(self) -> int:
        return int(self.X_train.shape[0])

    @property
    def n_test(self) -> int:
        return int(self.X_test.shape[0])

    # -- labels ------------------------------------------------------------------------------------------
    @property
    def labels_train(self) -> Array:
        """Class index of each training row (classification only)."""
        return self._labels(self.Y_train)

    @property
    def labels_test(self) -> Array:
        """Class index of each test row (classification only)."""
        return self._labels(self.Y_test)

    def _labels(self, Y: Array) -> Array:
        if self.task != "classification":
            raise DatasetError(f"{self.name!r} is a regression data set; it has no class labels")
        return decode_labels(Y)

    # -- output width --------------------------------------------------------------------------------------
    def with_output_width(self, n_outputs: int) -> Dataset:
        """This data set with targets for an output layer of `n_outputs` neurons, or a DatasetError saying
        which width fits. Only a two-class set has a choice: 1 (sigmoid, 0/1) or 2 (softmax, one-hot)."""
        if n_outputs == self.n_targets:
            return self
        if self.task == "classification" and self.n_classes == 2 and n_outputs in (1, 2):
            return replace(self, Y_train=_binary_width(self.Y_train), Y_test=_binary_width(self.Y_test))
        raise DatasetError(self._width_message(n_outputs))

    def _width_message(self, n_outputs: int) -> str:
        neurons = plural(n_outputs, "neuron")
        if self.task == "regression":
            return (
                f"the data set has {plural(self.n_targets, 'target column')}, so the output layer needs "
                f"{plural(self.n_targets, 'neuron')}; it has {neurons}"
            )
        if self.n_classes == 2:
            return (
                "the data set has 2 classes, so the output layer needs 1 neuron (sigmoid) "
                f"or 2 (softmax); it has {neurons}"
            )
        return (
            f"the data set has {self.n_classes} classes, so the output layer needs {self.n_classes} "
            f"neurons (softmax); it has {neurons}"
        )

    # -- one example given by hand (a drawing to teach) ---------------------------------------------------
    def encode_example(self, x_raw: Any, label: str) -> tuple[Array, Array]:
        """The network's input and target for raw feature values and a class name, as a training row would
        have them (standardized as the data were); a DatasetError names what the data set expects."""
        if self.class_names is None:
            raise DatasetError(
                f"{self.name!r} is a regression data set: an example needs a class label to learn", field="label"
            )
        x = np.asarray(x_raw, dtype=np.float64) if _is_vector(x_raw) else None
        if x is None or x.shape != (self.n_features,):
            got = f"{x.size:,}" if x is not None else "something else"
            shape = f" ({self.image.shape[0]} × {self.image.shape[1]} pixels, row by row)" if self.image else ""
            raise DatasetError(
                f"the input must be {plural(self.n_features, 'number')}{shape}; got {got}", field="input"
            )
        if not np.isfinite(x).all():
            bad = int(np.flatnonzero(~np.isfinite(x))[0])
            raise DatasetError(f"input[{bad}] is not a finite number", field="input")
        if label not in self.class_names:
            names = ", ".join(repr(c) for c in self.class_names)
            raise DatasetError(
                f"label {brief(label)} is not a class of {self.name!r}; its classes are {names}", field="label"
            )
        target = encode_labels(np.array([self.class_names.index(label)]), self.n_classes)
        Y = _binary_width(target) if target.shape[1] != self.n_targets else target
        X = self.normalization.apply(x) if self.normalization is not None else x
        return X, Y[0]

    def with_training_row(self, x_raw: Any, label: str) -> Dataset:
        """This data set with one more training row (raw values and a class, encoded as `encode_example` does);
        the standardization stays the one fitted before, so the other rows do not move."""
        x, y = self.encode_example(x_raw, label)
        raw = np.asarray(x_raw, dtype=np.float64)
        domain = np.stack([np.minimum(self.raw_domain[:, 0], raw), np.maximum(self.raw_domain[:, 1], raw)], axis=1)
        return replace(
            self,
            X_train=np.vstack([self.X_train, x[None, :]]),
            Y_train=np.vstack([self.Y_train, y[None, :]]),
            raw_domain=domain,
        )

    # -- summary ---------------------------------------------------------------------------------------------
    def raw_features(self) -> Array:
        """Raw feature values of all rows, train then test (un-standardized if needed)."""
        X = np.concatenate([self.X_train, self.X_test])
        return self.normalization.invert(X) if self.normalization is not None else X

    def summary(self) -> dict[str, Any]:
        """JSON-safe overview: sizes, task, classes with counts, and statistics of each raw feature."""
        raw = self.raw_features()
        columns = column_statistics(raw, self.feature_names, digits=12)
        for column, (low, high) in zip(columns, self.raw_domain, strict=True):
            column["min"], column["max"] = float(low), float(high)  # exact, unlike un-standardized values
        classes = None
        if self.class_names is not None:
            train = np.bincount(self.labels_train, minlength=self.n_classes)
            test = np.bincount(self.labels_test, minlength=self.n_classes)
            classes = [
                {"name": name, "count": int(a + b), "train": int(a), "test": int(b)}
                for name, a, b in zip(self.class_names, train, test, strict=True)
            ]
        return {
            "name": self.name,
            "task": self.task,
            "rows": {"train": self.n_train, "test": self.n_test, "total": self.n_train + self.n_test},
            "features": self.n_features,
            "feature_names": list(self.feature_names),
            "targets": list(self.target_names),
            "classes": classes,
            "standardized": self.normalization is not None,
            "columns": columns,
            "image_shape": list(self.image.shape) if self.image is not None else None,
        }


# ----------------------------------------------------------------------------------------------------------
# Helpers shared by the sources
# ----------------------------------------------------------------------------------------------------------
def brief(value: Any, limit: int = 30) -> str:
    """A value as a message quotes it (its repr), cut short if long."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plural(count: int, noun: str) -> str:
    """'1 row', '3 rows', '2 classes': a count with its noun, for messages."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count:,} {noun}{'es' if noun.endswith(('s', 'x')) else 's'}"


def _is_vector(value: Any) -> bool:
    """A flat sequence of numbers (not bools or text), as a drawing's pixels are given."""
    if isinstance(value, np.ndarray):
        return value.ndim == 1 and value.dtype.kind in "iuf"
    return isinstance(value, list | tuple) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value
    )


def _binary_width(Y: Array) -> Array:
    """Two-class targets from one column (y) to two (1 − y, y), or back; soft labels survive both ways."""
    if Y.shape[1] == 1:
        return np.hstack([1.0 - Y, Y])
    return Y[:, 1:2].copy()


def encode_labels(labels: Array, n_classes: int) -> Array:
    """Class indices to stored targets: one 0/1 column for two classes, one-hot columns for more."""
    labels = np.asarray(labels, dtype=np.int64)
    if n_classes == 2:
        return labels.astype(np.float64).reshape(-1, 1)
    Y = np.zeros((labels.size, n_classes))
    Y[np.arange(labels.size), labels] = 1.0
    return Y


def decode_labels(Y: Array) -> Array:
    """Stored targets back to class indices: threshold 0.5 for one column, arg-max otherwise."""
    if Y.shape[1] == 1:
        return (Y[:, 0] > 0.5).astype(np.int64)
    return Y.argmax(axis=1).astype(np.int64)


def check_test_fraction(test_fraction: float) -> float:
    """test_fraction as a float in [0, 0.9], or a DatasetError naming the allowed range."""
    number = not isinstance(test_fraction, bool) and isinstance(test_fraction, int | float | np.number)
    if not number or not 0 <= test_fraction <= 0.9:  # NaN fails the comparison too
        raise DatasetError(f"test_fraction must be a number from 0 to 0.9, got {brief(test_fraction)}")
    return float(test_fraction)


MAX_SEED = 2**32 - 1


def check_seed(seed: int) -> int:
    """seed as an int in [0, 2³² − 1], or a DatasetError naming the range."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed <= MAX_SEED:
        raise DatasetError(f"seed must be a whole number from 0 to {MAX_SEED}, got {brief(seed)}")
    return int(seed)


def _test_counts(group_sizes: list[int], n_test: int) -> list[int]:
    """Split `n_test` over groups in proportion to their sizes (largest remainder), so classes stay
    balanced between train and test and the total is exact."""
    total = sum(group_sizes)
    ideal = [n_test * size / total for size in group_sizes]
    counts = [math.floor(x) for x in ideal]
    order = sorted(range(len(ideal)), key=lambda i: (counts[i] - ideal[i], i))
    for i in order[: n_test - sum(counts)]:
        counts[i] += 1
    return counts


def split_indices(
    m: int,
    test_fraction: float,
    rng: np.random.Generator,
    labels: Array | None = None,
    *,
    min_train: int = 2,
    what: str = "the data set",
) -> tuple[Array, Array]:
    """Shuffled (train, test) row indices; stratified by class when `labels` are given. The test split
    has round(test_fraction · m) rows; a DatasetError if fewer than `min_train` rows are left to train on."""
    n_test = math.floor(test_fraction * m + 0.5)
    if m - n_test < min_train:
        raise DatasetError(
            f"{what} has {plural(m, 'row')}; with test_fraction {test_fraction:g}, "
            f"{m - n_test} would be left for training but training needs at least {min_train}: "
            "add rows or lower test_fraction"
        )
    if labels is None:
        order = rng.permutation(m)
        return order[n_test:], order[:n_test]
    groups = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    counts = _test_counts([g.size for g in groups], n_test)
    train_parts, test_parts = [], []
    for group, count in zip(groups, counts, strict=True):
        shuffled = rng.permutation(group)
        test_parts.append(shuffled[:count])
        train_parts.append(shuffled[count:])
    train = rng.permutation(np.concatenate(train_parts))
    test = rng.permutation(np.concatenate(test_parts))
    return train, test


def raw_domain(X_raw: Array) -> Array:
    """[min, max] of each raw feature column: the extent a heatmap of the input space should cover."""
    return np.stack([X_raw.min(axis=0), X_raw.max(axis=0)], axis=1)


def column_statistics(
    X_raw: Array, names: tuple[str, ...] | list[str], digits: int | None = None
) -> list[dict[str, Any]]:
    """Per column: name, min, max, mean, std (population) and missing (always 0: missing values are
    refused). `digits` rounds to that many significant digits (to hide un-standardizing's last-bit noise)."""

    def clean(value: float) -> float:
        return float(value) if digits is None else float(f"{float(value):.{digits}g}")

    stats = []
    for j, name in enumerate(names):
        column = X_raw[:, j]
        stats.append(
            {
                "name": name,
                "min": clean(column.min()),
                "max": clean(column.max()),
                "mean": clean(column.mean()),
                "std": clean(column.std()),
                "missing": 0,
            }
        )
    return stats


def build_dataset(
    *,
    name: str,
    task: Task,
    X_raw: Array,
    Y: Array,
    feature_names: tuple[str, ...],
    target_names: tuple[str, ...],
    class_names: tuple[str, ...] | None,
    test_fraction: float,
    seed: int | np.random.Generator,
    standardize: bool,
    labels: Array | None = None,
    min_train: int = 2,
    shuffle: bool = True,
    what: str = "the data set",
    image: ImageFormat | None = None,
) -> Dataset:
    """Split raw rows into train/test (stratified by `labels` if given) and standardize with the training
    split's statistics only, so nothing about the test rows leaks into the inputs the network trains on."""
    test_fraction = check_test_fraction(test_fraction)
    X_raw = np.asarray(X_raw, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    m = X_raw.shape[0]
    if not shuffle and test_fraction == 0.0:
        if m < min_train:
            raise DatasetError(f"{what} has {plural(m, 'row')}; training needs at least {min_train}")
        train, test = np.arange(m), np.arange(0)
    else:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(check_seed(seed))
        train, test = split_indices(m, test_fraction, rng, labels, min_train=min_train, what=what)
    X_train, X_test = X_raw[train], X_raw[test]
    normalization = Normalization.fit(X_train) if standardize else None
    if normalization is not None:
        X_train, X_test = normalization.apply(X_train), normalization.apply(X_test)
    return Dataset(
        name=name,
        task=task,
        X_train=X_train,
        Y_train=Y[train],
        X_test=X_test,
        Y_test=Y[test],
        feature_names=feature_names,
        target_names=target_names,
        class_names=class_names,
        normalization=normalization,
        raw_domain=raw_domain(X_raw),
        image=image,
    )
