"""Network forward and backward: the seed's per-sample equations, batched as rows, with the regularization term."""

from __future__ import annotations

import numpy as np
import pytest

from engine.initializers import InitSpec
from engine.network import Network, parameter_count
from engine.regularization import Regularization

F = {
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z, a: a * (1 - a)),
    "tanh": (np.tanh, lambda z, a: 1 - a * a),
    "relu": (lambda z: np.maximum(z, 0), lambda z, a: (z > 0).astype(float)),
    "linear": (lambda z: z, lambda z, a: np.ones_like(z)),
}


def _net(regularization: Regularization | None = None) -> Network:
    return Network.build(
        [3, 4, 3, 2],
        ["tanh", "relu", "sigmoid"],
        "half_sse",
        InitSpec("uniform", seed=1, low=-1, high=1),
        regularization=regularization,
    )


def _data(m: int = 5) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(8)
    return rng.normal(size=(m, 3)), rng.uniform(size=(m, 2))


def _per_sample(net: Network, x: np.ndarray, y: np.ndarray) -> dict[str, list[np.ndarray]]:
    """The seed's equations for one sample as column-free vectors: z = W a + b, δ^L, δ^l = Wᵀδ ⊙ f'(z)."""
    names = [act.name for act in net.activations]
    zs, acts = [], [x]
    for W, b, name in zip(net.W, net.b, names, strict=True):
        zs.append(W @ acts[-1] + b)
        acts.append(F[name][0](zs[-1]))
    yhat = acts[-1]
    deltas = [None] * net.L
    deltas[-1] = (yhat - y) * F[names[-1]][1](zs[-1], yhat)  # half_sse: ∂J/∂ŷ = ŷ − y
    for i in range(net.L - 2, -1, -1):
        deltas[i] = (net.W[i + 1].T @ deltas[i + 1]) * F[names[i]][1](zs[i], acts[i + 1])
    grads_W = [np.outer(deltas[i], acts[i]) for i in range(net.L)]
    return {"z": zs, "a": acts, "delta": deltas, "grad_W": grads_W, "grad_b": deltas}


def test_forward_rows_equal_the_seed_equation_per_sample() -> None:
    net = _net()
    X, Y = _data()
    fwd = net.forward(X)
    np.testing.assert_array_equal(fwd.a[0], X)  # a^0 = x
    for row in range(X.shape[0]):
        expected = _per_sample(net, X[row], Y[row])
        for layer in range(net.L):
            np.testing.assert_allclose(fwd.z[layer][row], expected["z"][layer], rtol=1e-14, atol=1e-15)
            np.testing.assert_allclose(fwd.a[layer + 1][row], expected["a"][layer + 1], rtol=1e-14, atol=1e-15)


def test_forward_shapes_are_batch_by_layer_width() -> None:
    net = _net()
    fwd = net.forward(_data(7)[0])
    assert [z.shape for z in fwd.z] == [(7, 4), (7, 3), (7, 2)]
    assert [a.shape for a in fwd.a] == [(7, 3), (7, 4), (7, 3), (7, 2)]


def test_predict_equals_the_last_forward_activation() -> None:
    net = _net()
    X, _ = _data()
    np.testing.assert_array_equal(net.predict(X), net.forward(X).a[-1])


def test_backward_deltas_are_per_sample_and_gradients_the_batch_mean() -> None:
    net = _net()
    X, Y = _data()
    bwd = net.backward(net.forward(X), Y)
    per = [_per_sample(net, X[row], Y[row]) for row in range(X.shape[0])]
    for layer in range(net.L):
        for row in range(X.shape[0]):
            np.testing.assert_allclose(bwd.delta[layer][row], per[row]["delta"][layer], rtol=1e-13, atol=1e-16)
        mean_W = np.mean([p["grad_W"][layer] for p in per], axis=0)
        mean_b = np.mean([p["grad_b"][layer] for p in per], axis=0)
        np.testing.assert_allclose(bwd.grad_W[layer], mean_W, rtol=1e-13, atol=1e-16)
        np.testing.assert_allclose(bwd.grad_b[layer], mean_b, rtol=1e-13, atol=1e-16)


def test_gradient_shapes_match_the_parameters() -> None:
    net = _net()
    X, Y = _data(6)
    bwd = net.backward(net.forward(X), Y)
    assert [g.shape for g in bwd.grad_W] == [W.shape for W in net.W]
    assert [g.shape for g in bwd.grad_b] == [b.shape for b in net.b]
    assert [d.shape for d in bwd.delta] == [(6, 4), (6, 3), (6, 2)]


def test_l2_adds_lambda_w_to_weight_gradients_only() -> None:
    X, Y = _data()
    plain = _net()
    l2 = _net(Regularization("l2", 0.3))
    g_plain = plain.backward(plain.forward(X), Y)
    g_l2 = l2.backward(l2.forward(X), Y)
    for layer in range(plain.L):
        np.testing.assert_allclose(g_l2.grad_W[layer], g_plain.grad_W[layer] + 0.3 * plain.W[layer], rtol=1e-14)
        np.testing.assert_array_equal(g_l2.grad_b[layer], g_plain.grad_b[layer])


def test_l1_adds_lambda_sign_w_to_weight_gradients() -> None:
    X, Y = _data()
    plain = _net()
    l1 = _net(Regularization("l1", 0.2))
    g_plain = plain.backward(plain.forward(X), Y)
    g_l1 = l1.backward(l1.forward(X), Y)
    for layer in range(plain.L):
        expected = g_plain.grad_W[layer] + 0.2 * np.sign(plain.W[layer])
        np.testing.assert_allclose(g_l1.grad_W[layer], expected, rtol=1e-14)


def test_backward_without_regularize_leaves_the_penalty_out() -> None:
    X, Y = _data()
    plain = _net()
    l2 = _net(Regularization("l2", 0.3))
    g_plain = plain.backward(plain.forward(X), Y)
    g_data = l2.backward(l2.forward(X), Y, regularize=False)
    for got, want in zip(g_data.grad_W, g_plain.grad_W, strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(
    ("kind", "expected_penalty"),
    [
        ("l2", lambda Ws: 0.5 * 0.3 * sum(np.sum(W**2) for W in Ws)),
        ("l1", lambda Ws: 0.3 * sum(np.sum(np.abs(W)) for W in Ws)),
    ],
)
def test_total_loss_is_data_loss_plus_penalty(kind: str, expected_penalty) -> None:
    net = _net(Regularization(kind, 0.3))
    X, Y = _data()
    fwd = net.forward(X)
    data = np.mean(0.5 * np.sum((fwd.a[-1] - Y) ** 2, axis=1))
    assert net.data_loss(fwd, Y) == pytest.approx(data, rel=1e-14)
    assert net.total_loss(fwd, Y) == pytest.approx(data + expected_penalty(net.W), rel=1e-14)


def test_regularization_rejects_unknown_kinds_and_negative_rates() -> None:
    with pytest.raises(ValueError, match="unknown regularization 'l3'; choose one of none, l1, l2"):
        Regularization("l3", 0.1)
    with pytest.raises(ValueError, match=r"regularization rate must be a finite number ≥ 0, got -0\.1"):
        Regularization("l2", -0.1)


def test_set_params_overwrites_in_place_keeping_array_identity() -> None:
    net = _net()
    ids = [id(W) for W in net.W]
    Ws, bs = net.copy_params()
    Ws[0][0, 0] = 42.0
    assert net.W[0][0, 0] != 42.0  # copies, not views
    net.set_params(Ws, bs)
    assert net.W[0][0, 0] == 42.0
    assert [id(W) for W in net.W] == ids


def test_parameter_count_and_depth() -> None:
    net = _net()
    assert net.L == 3
    assert net.parameter_count == (3 * 4 + 4) + (4 * 3 + 3) + (3 * 2 + 2)


def test_params_finite_detects_inf_and_nan() -> None:
    net = _net()
    assert net.params_finite()
    net.b[1][0] = np.inf
    assert not net.params_finite()
    net.b[1][0] = 0.0
    net.W[2][0, 0] = np.nan
    assert not net.params_finite()


def test_float32_network_keeps_float32_through_forward_and_backward() -> None:
    net = Network.build([3, 4, 2], ["tanh", "softmax"], "cross_entropy", dtype="float32")
    X = np.ones((2, 3), dtype=np.float32)
    Y = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    fwd = net.forward(X)
    bwd = net.backward(fwd, Y)
    assert net.dtype_name == "float32"
    arrays = fwd.z + fwd.a + bwd.delta + bwd.grad_W + bwd.grad_b
    assert all(x.dtype == np.float32 for x in arrays)


def test_default_activations_are_sigmoid_and_a_single_name_applies_to_every_layer() -> None:
    assert [a.name for a in Network.build([2, 3, 1]).activations] == ["sigmoid", "sigmoid"]
    assert [a.name for a in Network.build([2, 3, 1], "tanh").activations] == ["tanh", "tanh"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sizes": [3]}, r"layers needs at least 2 sizes"),
        ({"sizes": [2, 0, 1]}, r"every layer needs at least one neuron, got \[2, 0, 1\]"),
        ({"sizes": [2, 3, 1], "activations": ["tanh"]}, r"activations needs one name per non-input layer \(2\), got 1"),
        ({"sizes": [2, 1], "dtype": "float16"}, r"dtype must be one of float64, float32, got 'float16'"),
        ({"sizes": [2, 1], "activations": ["swish"]}, r"unknown activation 'swish'"),
    ],
)
def test_build_refuses_bad_configurations_with_fixable_messages(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Network.build(**kwargs)


def test_weights_are_stored_column_major_in_the_seeds_orientation() -> None:
    """W^l is (n_l, n_{l−1}) as in the seed, stored column-major so (W^l)ᵀ is the row-major matrix BLAS
    multiplies a batch by fastest; the layout survives set_params, and `reshape(-1, order="A")` is a view."""
    net = _net()
    assert [W.shape for W in net.W] == [(4, 3), (3, 4), (2, 3)]
    assert all(W.flags.f_contiguous for W in net.W)
    net.set_params([np.ascontiguousarray(W) for W in net.W], net.b)
    assert all(W.flags.f_contiguous for W in net.W)
    flat = net.W[0].reshape(-1, order="A")
    flat[1] = 7.0
    assert net.W[0][1, 0] == 7.0  # column-major: the second entry is row 1 of column 0
    Ws, _ = net.copy_params()
    assert all(W.flags.f_contiguous for W in Ws)  # copies keep the layout (a plain memory copy)


def test_gradients_come_out_in_the_weights_layout() -> None:
    net = _net()
    X, Y = _data(6)
    bwd = net.backward(net.forward(X), Y)
    assert all(g.flags.f_contiguous for g in bwd.grad_W)


@pytest.mark.parametrize("sizes", [[3, 4, 2], [300, 250, 2]], ids=["checked-as-one-vector", "checked-per-array"])
def test_params_finite_detects_inf_and_nan_in_small_and_large_networks(sizes: list[int]) -> None:
    net = Network.build(sizes, ["tanh", "sigmoid"], "half_sse", InitSpec(seed=2))
    assert net.params_finite()
    net.W[1][1, 0] = -np.inf
    assert not net.params_finite()
    net.W[1][1, 0] = 0.0
    net.b[0][-1] = np.nan
    assert not net.params_finite()
    net.b[0][-1] = 0.0
    assert net.params_finite()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan], ids=["inf", "-inf", "nan"])
def test_params_finite_finds_one_bad_number_anywhere_and_no_false_alarm_on_huge_ones(dtype: str, bad: float) -> None:
    net = Network.build([3, 4, 2], ["tanh", "sigmoid"], "half_sse", InitSpec(seed=3), dtype=dtype)
    huge = np.finfo(net.dtype).max
    for array in (*net.W, *net.b):
        for index in np.ndindex(array.shape):
            kept = array[index]
            array[index] = huge  # finite, and its square would overflow: still finite
            assert net.params_finite()
            array[index] = bad
            assert not net.params_finite(), (array.shape, index)
            array[index] = kept
    assert net.params_finite()


@pytest.mark.parametrize("sizes", [[1, 1], [2, 4, 1], [3, 5, 4, 2], [784, 128, 64, 10]])
def test_parameter_count_of_sizes_is_the_built_networks(sizes: list[int]) -> None:
    assert parameter_count(sizes) == Network.build(sizes).parameter_count  # known before it is built
