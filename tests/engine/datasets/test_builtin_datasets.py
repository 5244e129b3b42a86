"""Generated data sets: determinism, shapes, balance, splits, parameter checks, geometry, learnability. (The
built-in digits, which are not generated, have their own tests in test_digits.py.)"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from engine.datasets import BUILTINS, Dataset, DatasetError, make_builtin

GENERATED = [name for name, spec in BUILTINS.items() if spec.image is None]
CLASSIFICATION = [name for name in GENERATED if BUILTINS[name].task == "classification"]
REGRESSION = [name for name in GENERATED if BUILTINS[name].task == "regression"]


def test_every_playground_set_and_more_is_there() -> None:
    expected = {"xor", "circles", "spiral", "gaussian", "moons", "plane", "sine", "multi_gaussian"}
    assert set(GENERATED) == expected
    assert set(BUILTINS) == {*expected, "digits"}
    assert set(CLASSIFICATION) == {"xor", "circles", "spiral", "gaussian", "moons"}


@pytest.mark.parametrize("name", GENERATED)
def test_same_seed_same_data_other_seed_other_data(name: str) -> None:
    a, b = make_builtin(name, seed=3), make_builtin(name, seed=3)
    c = make_builtin(name, seed=4)
    for field in ("X_train", "Y_train", "X_test", "Y_test", "raw_domain"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.X_train, c.X_train)


@pytest.mark.parametrize("name", GENERATED)
def test_shapes_defaults_and_split_sizes(name: str) -> None:
    spec = BUILTINS[name]
    ds = make_builtin(name)
    m = spec.samples
    assert ds.n_train + ds.n_test == m
    assert ds.n_test == round(0.2 * m)
    n = len(spec.feature_names)
    assert ds.X_train.shape == (ds.n_train, n) and ds.X_test.shape == (ds.n_test, n)
    assert ds.X_train.dtype == np.float64 and ds.Y_train.dtype == np.float64
    assert ds.Y_train.shape == (ds.n_train, 1)  # two classes: one 0/1 column; regression: one target
    assert ds.normalization is None
    assert ds.raw_domain.shape == (n, 2)
    X = np.concatenate([ds.X_train, ds.X_test])
    np.testing.assert_array_equal(ds.raw_domain[:, 0], X.min(axis=0))
    np.testing.assert_array_equal(ds.raw_domain[:, 1], X.max(axis=0))
    assert ds.name == name and ds.task == spec.task


@pytest.mark.parametrize("name", GENERATED)
def test_inputs_lie_in_minus_one_to_one_without_noise(name: str) -> None:
    ds = make_builtin(name, noise=0.0, samples=2000)
    X = np.concatenate([ds.X_train, ds.X_test])
    if name != "gaussian":  # gaussian clusters have tails
        assert X.min() >= -1.0 - 1e-12 and X.max() <= 1.0 + 1e-12
    assert np.abs(X).max() > 0.8  # the pattern fills the square rather than a corner of it


@pytest.mark.parametrize("name", CLASSIFICATION)
def test_classes_are_balanced_in_both_splits(name: str) -> None:
    ds = make_builtin(name, samples=501, test_fraction=0.3)
    train = np.bincount(ds.labels_train, minlength=2)
    test = np.bincount(ds.labels_test, minlength=2)
    assert abs(int(train[0] + test[0]) - int(train[1] + test[1])) <= 1
    assert abs(int(test[0]) - int(test[1])) <= 1
    assert set(np.unique(ds.Y_train)) == {0.0, 1.0}


def test_gaussian_with_k_classes_is_one_hot_and_balanced() -> None:
    ds = make_builtin("gaussian", classes=5, samples=103, test_fraction=0.2)
    assert ds.n_classes == 5 and ds.n_targets == 5
    assert ds.class_names == ("A", "B", "C", "D", "E")
    np.testing.assert_array_equal(ds.Y_train.sum(axis=1), 1.0)
    counts = np.bincount(np.concatenate([ds.labels_train, ds.labels_test]))
    assert counts.max() - counts.min() <= 1 and counts.sum() == 103
    test_counts = np.bincount(ds.labels_test, minlength=5)
    assert test_counts.max() - test_counts.min() <= 1


def test_gaussian_clusters_sit_around_their_own_centres() -> None:
    ds = make_builtin("gaussian", classes=3, noise=0.0, samples=3000, test_fraction=0.0)
    centres = np.array([ds.X_train[ds.labels_train == c].mean(axis=0) for c in range(3)])
    radii = np.hypot(centres[:, 0], centres[:, 1])
    np.testing.assert_allclose(radii, 0.4 * np.sqrt(2), atol=0.02)
    nearest = np.argmin(((ds.X_train[:, None, :] - centres[None]) ** 2).sum(axis=2), axis=1)
    assert np.mean(nearest == ds.labels_train) > 0.99


def test_two_gaussians_sit_where_playground_puts_them() -> None:
    ds = make_builtin("gaussian", noise=0.0, samples=4000, test_fraction=0.0)
    for label, centre in ((0, (0.4, 0.4)), (1, (-0.4, -0.4))):
        np.testing.assert_allclose(ds.X_train[ds.labels_train == label].mean(axis=0), centre, atol=0.02)


def test_clean_circles_have_separated_radii() -> None:
    ds = make_builtin("circles", noise=0.0, samples=1000)
    assert ds.class_names == ("inner", "outer")
    for X, labels in ((ds.X_train, ds.labels_train), (ds.X_test, ds.labels_test)):
        r = np.hypot(X[:, 0], X[:, 1])
        assert r[labels == 0].max() <= 0.5 and r[labels == 1].min() >= 0.7 and r.max() <= 1.0


def test_clean_xor_labels_follow_the_signs() -> None:
    ds = make_builtin("xor", noise=0.0, samples=1000)
    X = np.concatenate([ds.X_train, ds.X_test])
    labels = np.concatenate([ds.labels_train, ds.labels_test])
    np.testing.assert_array_equal(labels == 1, X[:, 0] * X[:, 1] < 0)
    assert np.abs(X).min() >= 0.05  # kept off the axes


def test_clean_spiral_arms_are_the_same_arm_turned_half_a_turn() -> None:
    ds = make_builtin("spiral", noise=0.0, samples=2000, test_fraction=0.0)
    X, labels = ds.X_train, ds.labels_train
    r = np.hypot(X[:, 0], X[:, 1])
    angle = np.arctan2(X[:, 0], X[:, 1])  # x = r sin t, y = r cos t
    expected = 1.75 * 2 * np.pi * r + np.pi * labels
    np.testing.assert_allclose(np.angle(np.exp(1j * (angle - expected))), 0.0, atol=1e-9)


def test_clean_moons_lie_on_their_half_circles() -> None:
    ds = make_builtin("moons", noise=0.0, samples=400, test_fraction=0.0)
    x = ds.X_train[:, 0] * 1.5 + 0.5
    y = ds.X_train[:, 1] * 1.5 + 0.25
    upper = ds.labels_train == 0
    np.testing.assert_allclose(np.hypot(x[upper], y[upper]), 1.0)
    np.testing.assert_allclose(np.hypot(x[~upper] - 1.0, y[~upper] - 0.5), 1.0)
    assert (y[upper] >= -1e-12).all() and (y[~upper] <= 0.5 + 1e-12).all()


@pytest.mark.parametrize(
    ("name", "f"),
    [
        ("plane", lambda X: (X[:, 0] + X[:, 1]) / 2),
        ("sine", lambda X: np.sin(np.pi * X[:, 0])),
    ],
)
def test_clean_regression_targets_are_the_function(name: str, f) -> None:
    ds = make_builtin(name, noise=0.0)
    assert ds.class_names is None and ds.n_classes == 0 and ds.target_names == ("y",)
    np.testing.assert_allclose(ds.Y_train[:, 0], f(ds.X_train), atol=1e-12)
    np.testing.assert_allclose(ds.Y_test[:, 0], f(ds.X_test), atol=1e-12)


def test_multi_gaussian_has_positive_and_negative_bumps() -> None:
    ds = make_builtin("multi_gaussian", noise=0.0, samples=4000)
    y = ds.Y_train[:, 0]
    assert y.max() > 0.9 and y.min() < -0.9 and np.abs(y).max() <= 1.05


@pytest.mark.parametrize("name", GENERATED)
def test_noise_moves_the_same_points_by_at_most_its_amplitude(name: str) -> None:
    clean = make_builtin(name, noise=0.0, seed=7)
    noisy = make_builtin(name, noise=0.3, seed=7)
    if name in CLASSIFICATION:  # labels never flip: noise moves points
        np.testing.assert_array_equal(clean.Y_train, noisy.Y_train)
    moved = np.abs(np.concatenate([noisy.X_train - clean.X_train, noisy.Y_train - clean.Y_train], axis=1))
    assert moved.max() > 0
    if name != "gaussian":  # the others move by uniform noise of at most ±0.3 in any coordinate
        assert moved.max() <= 0.3 + 1e-12


def test_regression_noise_is_on_the_target_only() -> None:
    clean, noisy = make_builtin("sine", noise=0.0), make_builtin("sine", noise=0.5)
    np.testing.assert_array_equal(clean.X_train, noisy.X_train)
    difference = noisy.Y_train - clean.Y_train
    assert 0.4 < np.abs(difference).max() <= 0.5


def test_test_fraction_zero_gives_an_empty_test_split() -> None:
    ds = make_builtin("circles", samples=50, test_fraction=0.0)
    assert ds.X_test.shape == (0, 2) and ds.Y_test.shape == (0, 1) and ds.n_train == 50
    assert ds.labels_test.shape == (0,)


def test_changing_test_fraction_keeps_the_points() -> None:
    a = make_builtin("moons", samples=100, test_fraction=0.0)
    b = make_builtin("moons", samples=100, test_fraction=0.5)

    def rows_sorted(X: np.ndarray) -> np.ndarray:
        return X[np.lexsort(X.T)]

    np.testing.assert_array_equal(rows_sorted(a.X_train), rows_sorted(np.concatenate([b.X_train, b.X_test])))


def test_arrays_are_read_only() -> None:
    ds = make_builtin("xor", samples=20)
    with pytest.raises(ValueError, match="read-only"):
        ds.X_train[0, 0] = 5.0


@pytest.mark.parametrize(
    ("kwargs", "fragments"),
    [
        ({"name": "checkerboard"}, ["unknown builtin", "'checkerboard'", "circles", "multi_gaussian", "digits"]),
        ({"samples": 3}, ["samples", "from 4 to 100,000", "got 3"]),
        ({"samples": 100_001}, ["samples", "100,000"]),
        ({"samples": 10.5}, ["samples", "whole number"]),
        ({"samples": True}, ["samples"]),
        ({"noise": -0.1}, ["noise", "from 0 to 1", "-0.1"]),
        ({"noise": 1.5}, ["noise", "from 0 to 1"]),
        ({"noise": float("nan")}, ["noise"]),
        ({"test_fraction": 0.95}, ["test_fraction", "from 0 to 0.9"]),
        ({"test_fraction": -0.1}, ["test_fraction", "from 0 to 0.9"]),
        ({"seed": -1}, ["seed"]),
        ({"name": "gaussian", "classes": 11}, ["classes", "from 2 to 10", "got 11"]),
        ({"name": "gaussian", "classes": 1}, ["classes", "from 2 to 10"]),
        ({"name": "gaussian", "classes": 10, "samples": 12}, ["10 classes", "at least 20 samples"]),
        ({"classes": 3}, ["classes applies to gaussian only", "circles always has 2 classes"]),
        ({"name": "sine", "classes": 2}, ["classes applies to gaussian only", "regression"]),
        ({"samples": 4, "test_fraction": 0.9}, ["4 rows", "at least 2", "lower test_fraction"]),
    ],
)
def test_bad_parameters_name_the_field_and_the_range(kwargs: dict, fragments: list[str]) -> None:
    kwargs = {"name": "circles", **kwargs}
    with pytest.raises(DatasetError) as info:
        make_builtin(**kwargs)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_fixed_class_count_may_be_given_when_it_matches() -> None:
    assert make_builtin("circles", classes=2, samples=20).n_classes == 2


@pytest.mark.parametrize("name", GENERATED)
def test_describe_is_json_safe_and_lists_the_parameters(name: str) -> None:
    description = json.loads(json.dumps(BUILTINS[name].describe()))
    params = description["parameters"]
    assert params["samples"] == {
        "type": "int",
        "default": BUILTINS[name].samples,
        "min": 4,
        "max": 100_000,
        "description": params["samples"]["description"],
    }
    assert params["noise"]["min"] == 0 and params["noise"]["max"] == 1
    assert params["test_fraction"]["max"] == 0.9
    assert ("classes" in params) == (name == "gaussian")
    assert description["task"] == BUILTINS[name].task
    assert description["domain"] == [[-1.0, 1.0]] * len(description["features"])


def test_summary_counts_classes_in_each_split() -> None:
    summary = json.loads(json.dumps(make_builtin("circles", samples=100, test_fraction=0.2).summary()))
    assert summary["rows"] == {"train": 80, "test": 20, "total": 100}
    assert summary["classes"] == [
        {"name": "inner", "count": 50, "train": 40, "test": 10},
        {"name": "outer", "count": 50, "train": 40, "test": 10},
    ]
    assert [c["name"] for c in summary["columns"]] == ["x1", "x2"]
    assert all(c["missing"] == 0 and c["min"] < c["mean"] < c["max"] for c in summary["columns"])


# ----------------------------------------------------------------------------------------------------------
# Learnability: a small tanh MLP (written here, so this test depends on the data alone) trained full-batch
# ----------------------------------------------------------------------------------------------------------
def _test_accuracy(ds: Dataset, hidden: tuple[int, ...] = (16, 16), steps: int = 1500, lr: float = 0.02) -> float:
    """Train a tanh MLP with a sigmoid output and Adam on the training split; accuracy on the test split."""
    rng = np.random.default_rng(0)
    sizes = [ds.n_features, *hidden, 1]
    params = [rng.normal(0.0, np.sqrt(1.0 / a), (a, b)) for a, b in itertools.pairwise(sizes)]
    params += [np.zeros(n) for n in sizes[1:]]
    L = len(sizes) - 1
    m1 = [np.zeros_like(p) for p in params]
    m2 = [np.zeros_like(p) for p in params]

    def forward(X: np.ndarray) -> list[np.ndarray]:
        acts = [X]
        for i in range(L):
            z = acts[-1] @ params[i] + params[L + i]
            acts.append(np.tanh(z) if i < L - 1 else 1.0 / (1.0 + np.exp(-z)))
        return acts

    for t in range(1, steps + 1):
        acts = forward(ds.X_train)
        delta = (acts[-1] - ds.Y_train) / ds.n_train  # sigmoid + cross-entropy
        grads: list[np.ndarray] = [np.empty(0)] * (2 * L)
        for i in range(L - 1, -1, -1):
            grads[i], grads[L + i] = acts[i].T @ delta, delta.sum(axis=0)
            if i:
                delta = (delta @ params[i].T) * (1.0 - acts[i] ** 2)
        for k, (p, g) in enumerate(zip(params, grads, strict=True)):
            m1[k] = 0.9 * m1[k] + 0.1 * g
            m2[k] = 0.999 * m2[k] + 0.001 * g * g
            p -= lr * (m1[k] / (1 - 0.9**t)) / (np.sqrt(m2[k] / (1 - 0.999**t)) + 1e-8)
    predicted = forward(ds.X_test)[-1][:, 0] > 0.5
    return float(np.mean(predicted == ds.labels_test.astype(bool)))


@pytest.mark.parametrize(("name", "noise"), [("spiral", 0.3), ("circles", 0.1)])
def test_a_small_tanh_mlp_learns_it(name: str, noise: float) -> None:
    """Moderate noise, as in Playground: spiral at 30 %, circles at 10 % (its points then still agree with
    the clean boundary as often as Playground's circle at 10 % does)."""
    assert _test_accuracy(make_builtin(name, noise=noise, samples=500, seed=1)) >= 0.95
