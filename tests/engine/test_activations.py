"""Activations: a = f(z) and f'(z) side by side, stable at extreme z, and the softmax Jacobian product; each one
against its reference formula, its f' against a central difference of f, and backprop through a network
against finite differences of J."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from engine.activations import ACTIVATIONS, ELU_ALPHA, LEAKY_SLOPE, get_activation, normal_cdf
from engine.gradcheck import check_gradients
from engine.initializers import InitSpec
from engine.network import Network

ELEMENTWISE = [name for name, act in ACTIVATIONS.items() if not act.output_only]


def _gelu_reference(z: np.ndarray) -> np.ndarray:
    """z Φ(z) with Φ(z) = ½ erfc(−z/√2), one number at a time through Python's math.erfc."""
    return np.array([v * 0.5 * math.erfc(-v / math.sqrt(2)) for v in z.ravel()]).reshape(z.shape)


def test_registry_holds_the_nine_activations_and_only_softmax_is_output_only() -> None:
    assert list(ACTIVATIONS) == [
        "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "gelu", "linear", "softmax"
    ]  # fmt: skip
    assert [name for name, act in ACTIVATIONS.items() if act.output_only] == ["softmax"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("sigmoid", lambda z: 1.0 / (1.0 + np.exp(-z))),
        ("tanh", np.tanh),
        ("relu", lambda z: np.where(z > 0, z, 0.0)),
        ("leaky_relu", lambda z: np.where(z > 0, z, LEAKY_SLOPE * z)),
        ("linear", lambda z: z),
        ("elu", lambda z: np.where(z > 0, z, ELU_ALPHA * (np.exp(z) - 1))),
        ("softplus", lambda z: np.log1p(np.exp(z))),
        ("gelu", _gelu_reference),
    ],
)
def test_elementwise_activation_values_match_their_formula(name: str, expected) -> None:
    z = np.array([[-3.0, -0.5, 0.25, 2.0], [0.1, -0.1, 5.0, -7.0]])
    np.testing.assert_allclose(get_activation(name).f(z), expected(z), rtol=1e-15, atol=0)


def test_leaky_relu_slope_is_one_hundredth() -> None:
    act = get_activation("leaky_relu")
    z = np.array([-2.0, 3.0])
    np.testing.assert_array_equal(act.f(z), [-0.02, 3.0])
    np.testing.assert_array_equal(act.df(z, act.f(z)), [0.01, 1.0])


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_matches_central_difference_of_f(name: str) -> None:
    act = get_activation(name)
    z = np.array([-2.5, -0.7, -0.05, 0.05, 0.3, 1.9])  # away from the relu kink at 0
    h = 1e-6
    numeric = (act.f(z + h) - act.f(z - h)) / (2 * h)
    np.testing.assert_allclose(act.df(z, act.f(z)), numeric, rtol=1e-8, atol=1e-10)


def test_relu_derivative_is_zero_at_and_below_zero() -> None:
    act = get_activation("relu")
    z = np.array([-1.0, 0.0, 1e-12])
    np.testing.assert_array_equal(act.df(z, act.f(z)), [0.0, 0.0, 1.0])


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_backward_multiplies_upstream_gradient_by_fprime(name: str) -> None:
    act = get_activation(name)
    rng = np.random.default_rng(0)
    z = rng.normal(size=(4, 3))
    g = rng.normal(size=(4, 3))
    a = act.f(z)
    np.testing.assert_array_equal(act.backward(z, a, g), g * act.df(z, a))


def test_sigmoid_of_plus_minus_1000_is_exactly_one_and_zero_without_warnings() -> None:
    act = get_activation("sigmoid")
    z = np.array([[-1000.0, 1000.0, -745.0, 40.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = act.f(z)
        fprime = act.df(z, a)
    assert a[0, 0] == 0.0
    assert a[0, 1] == 1.0
    assert np.isfinite(a).all() and np.isfinite(fprime).all()
    np.testing.assert_array_equal(fprime[0, :2], [0.0, 0.0])


def test_sigmoid_saturates_in_float32_without_warnings() -> None:
    act = get_activation("sigmoid")
    z = np.array([-200.0, 200.0], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = act.f(z)
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a, np.array([0.0, 1.0], dtype=np.float32))


def test_softmax_rows_sum_to_one_and_match_exp_ratio() -> None:
    z = np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 0.5]])
    a = get_activation("softmax").f(z)
    expected = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(a, expected, rtol=1e-14)
    np.testing.assert_allclose(a.sum(axis=1), [1.0, 1.0], rtol=1e-15)


def test_softmax_of_huge_z_is_finite_and_shift_invariant() -> None:
    act = get_activation("softmax")
    z = np.array([[1000.0, 999.0, -1000.0], [1e300, 0.0, -1e300]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = act.f(z)
    assert np.isfinite(a).all()
    e = np.exp([1.0, 0.0])
    np.testing.assert_allclose(a[0], [e[0] / e.sum(), e[1] / e.sum(), 0.0], rtol=1e-15, atol=0)
    np.testing.assert_array_equal(a[1], [1.0, 0.0, 0.0])


def test_softmax_backward_is_the_jacobian_vector_product() -> None:
    act = get_activation("softmax")
    rng = np.random.default_rng(1)
    z = rng.normal(size=(3, 4))
    g = rng.normal(size=(3, 4))
    a = act.f(z)
    got = act.backward(z, a, g)
    for row in range(3):
        jacobian = np.diag(a[row]) - np.outer(a[row], a[row])  # ∂a_k/∂z_j = a_k (δ_kj − a_j)
        np.testing.assert_allclose(got[row], jacobian @ g[row], rtol=1e-12, atol=1e-15)


def test_softmax_df_is_the_jacobian_diagonal() -> None:
    act = get_activation("softmax")
    z = np.array([[0.2, -0.4, 1.0]])
    a = act.f(z)
    np.testing.assert_allclose(act.df(z, a), a * (1 - a), rtol=1e-15)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_and_derivative_keep_float32(name: str) -> None:
    act = get_activation(name)
    z = np.array([[-1.5, 0.5, 2.0]], dtype=np.float32)
    a = act.f(z)
    assert a.dtype == np.float32
    assert act.df(z, a).dtype == np.float32
    assert act.backward(z, a, np.ones_like(z)).dtype == np.float32


def test_activation_does_not_modify_its_input() -> None:
    z = np.array([[-1.0, 2.0]])
    for name in ACTIVATIONS:
        get_activation(name).f(z)
    np.testing.assert_array_equal(z, [[-1.0, 2.0]])


def test_unknown_activation_error_lists_valid_names() -> None:
    with pytest.raises(ValueError, match=r"unknown activation 'swish'.*sigmoid.*softmax"):
        get_activation("swish")


def test_relu_backward_multiplies_by_the_mask_and_overwrites_g_only_when_allowed() -> None:
    act = get_activation("relu")
    z = np.array([[-1.0, 0.0, 2.0], [3.0, -0.5, 1e-300]])
    g = np.array([[5.0, -6.0, 7.0], [-8.0, 9.0, -1.0]])
    expected = g * act.df(z, act.f(z))
    kept = g.copy()
    np.testing.assert_array_equal(act.backward(z, act.f(z), g), expected)
    np.testing.assert_array_equal(g, kept)  # g untouched by default
    delta = act.backward(z, act.f(z), g, overwrite_g=True)
    assert delta is g
    np.testing.assert_array_equal(delta, expected)


def test_softmax_rows_sum_to_one_for_short_and_long_rows() -> None:
    act = get_activation("softmax")
    for shape in [(64, 10), (2, 50)]:
        z = np.random.default_rng(5).normal(size=shape) * 50
        a = act.f(z)
        np.testing.assert_allclose(a.sum(axis=1), 1.0, rtol=1e-14)
        e = np.exp(z - z.max(axis=1, keepdims=True))
        np.testing.assert_allclose(a, e / e.sum(axis=1, keepdims=True), rtol=1e-14, atol=1e-300)


# -- ELU, softplus, GELU -------------------------------------------------------------------------------------------


def test_elu_is_alpha_e_to_the_z_minus_one_below_zero_and_its_slope_is_a_plus_alpha() -> None:
    act = get_activation("elu")
    z = np.array([-1.0, 0.0, 2.0, -800.0])
    a = act.f(z)
    np.testing.assert_allclose(a, [math.exp(-1) - 1, 0.0, 2.0, -1.0], rtol=1e-15, atol=0)
    np.testing.assert_allclose(act.df(z, a), [math.exp(-1), 1.0, 1.0, 0.0], rtol=1e-15, atol=0)  # α e^z = a + α


def test_elu_of_huge_z_does_not_overflow() -> None:
    act = get_activation("elu")
    z = np.array([1000.0, -1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = act.f(z)
        fprime = act.df(z, a)
    np.testing.assert_array_equal(a, [1000.0, -1.0])
    np.testing.assert_array_equal(fprime, [1.0, 0.0])


def test_softplus_is_finite_at_extreme_z_and_its_derivative_is_the_sigmoid() -> None:
    act = get_activation("softplus")
    z = np.array([[-1000.0, -30.0, 0.0, 30.0, 1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = act.f(z)
        fprime = act.df(z, a)
    tail = math.log1p(math.exp(-30))  # log(1 + e^{−30}) = e^{−30} − e^{−60}/2 + …
    np.testing.assert_allclose(a, [[0.0, tail, math.log(2), 30.0 + tail, 1000.0]], rtol=1e-15, atol=0)
    np.testing.assert_array_equal(fprime, get_activation("sigmoid").f(z))


@pytest.mark.parametrize(
    ("z", "cdf"),
    [  # the standard normal distribution function, from published tables
        (-7.0, 1.279812543885835e-12),
        (-3.0, 1.349898031630095e-3),
        (-1.0, 0.158655253931457),
        (0.0, 0.5),
        (1.0, 0.841344746068543),
        (2.0, 0.977249868051821),
        (3.0, 0.998650101968370),
    ],
)
def test_normal_cdf_matches_published_values_in_the_tails_too(z: float, cdf: float) -> None:
    assert normal_cdf(np.array([z]))[0] == pytest.approx(cdf, rel=1e-14)


def test_gelu_equals_the_erf_form_where_that_form_keeps_its_digits() -> None:
    """½ z (1 + erf(z/√2)) as written: for z ≥ −2 the sum 1 + erf(z/√2) ≥ 0.045 loses under 2 digits."""
    z = np.linspace(-2.0, 3.0, 101)
    erf_form = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in z])
    np.testing.assert_allclose(get_activation("gelu").f(z), erf_form, rtol=1e-13, atol=1e-300)


def test_gelu_derivative_is_phi_plus_z_times_the_normal_density() -> None:
    act = get_activation("gelu")
    z = np.array([-6.0, -1.5, -0.2, 0.0, 0.7, 4.0])
    expected = [0.5 * math.erfc(-v / math.sqrt(2)) + v * math.exp(-v * v / 2) / math.sqrt(2 * math.pi) for v in z]
    np.testing.assert_allclose(act.df(z, act.f(z)), expected, rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize("name", ["elu", "softplus", "gelu"])
@pytest.mark.parametrize("where", ["hidden", "output"])
def test_backprop_through_a_network_with_the_activation_matches_finite_differences(name: str, where: str) -> None:
    activations = [name, "sigmoid"] if where == "hidden" else ["tanh", name]
    loss = "bce" if where == "hidden" else "mse"
    net = Network.build([3, 5, 2], activations, loss, InitSpec("uniform", seed=4, low=-1, high=1))
    rng = np.random.default_rng(9)
    X, Y = rng.normal(size=(6, 3)), rng.integers(0, 2, size=(6, 2)).astype(float)
    fwd = net.forward(X)
    assert np.abs(fwd.z[0 if where == "hidden" else 1]).min() > 1e-3  # ELU's f' has a kink at 0: stay clear of it
    report = check_gradients(net, X, Y)
    assert report.max_relative_error < 1e-6, report  # as tests/engine/test_gradients.py


# -- parameters: leaky ReLU's slope, ELU's α ---------------------------------------------------------------------
@pytest.mark.parametrize(("name", "option", "value"), [("leaky_relu", "slope", 0.2), ("elu", "alpha", 0.5)])
def test_an_activation_made_with_another_parameter_uses_it_in_f_and_f_prime(name: str, option: str, value: float):
    act = get_activation(name, {option: value})
    assert act.value(option) == value and act.options == ((option, value),)
    assert get_activation(name).value(option) == {"slope": LEAKY_SLOPE, "alpha": ELU_ALPHA}[option]
    z = np.array([[-2.0, -0.5, 0.0, 1.5]])
    a = act.f(z)
    if name == "leaky_relu":
        np.testing.assert_array_equal(a, [[-0.4, -0.1, 0.0, 1.5]])
        np.testing.assert_array_equal(act.df(z, a), [[0.2, 0.2, 0.2, 1.0]])
    else:
        np.testing.assert_allclose(a, np.where(z > 0, z, value * np.expm1(z)), rtol=1e-15)
        np.testing.assert_allclose(act.df(z, a), np.where(z > 0, 1.0, value * np.exp(z)), rtol=1e-15)
    h = 1e-6
    zs = np.array([[-1.3, -0.2, 0.7]])
    numeric = (act.f(zs + h) - act.f(zs - h)) / (2 * h)
    np.testing.assert_allclose(act.df(zs, act.f(zs)), numeric, rtol=1e-8)


def test_an_activation_refuses_options_it_does_not_take() -> None:
    with pytest.raises(ValueError, match="tanh takes no options"):
        get_activation("tanh", {"slope": 0.1})
    with pytest.raises(ValueError, match="leaky_relu has no option 'alpha'; it takes slope"):
        get_activation("leaky_relu", {"alpha": 0.1})
    for bad in (1e4, float("nan"), True, "0.1"):
        with pytest.raises(ValueError, match="slope must be a number from -1000 to 1000"):
            get_activation("leaky_relu", {"slope": bad})


def test_a_network_keeps_each_layers_options_and_backprop_uses_them() -> None:
    net = Network.build(
        [3, 4, 2], ["leaky_relu", "elu"], "mse", InitSpec(seed=3), activation_options=[{"slope": 0.3}, {"alpha": 2}]
    )
    assert net.activation_options == [{"slope": 0.3}, {"alpha": 2.0}]
    assert Network.build([3, 4, 2], ["leaky_relu", "elu"], "mse").activation_options is None
    X = np.random.default_rng(0).normal(size=(6, 3))
    Y = np.random.default_rng(1).normal(size=(6, 2))
    assert check_gradients(net, X, Y).max_relative_error < 1e-6
    with pytest.raises(ValueError, match=r"activation_options\[1\] \(layer 2\): elu's alpha must be"):
        Network.build([3, 4, 2], ["leaky_relu", "elu"], "mse", activation_options=[None, {"alpha": -1}])
    with pytest.raises(ValueError, match=r"one entry \(or null\) per non-input layer"):
        Network.build([3, 4, 2], ["leaky_relu", "elu"], "mse", activation_options=[None])
