"""By-hand numbers: every quantity of the seed's 2-2-1 example against an independent hand computation, the
4-significant-digit check, the hints (numbers plugged in, never the result) and the asks a network refuses."""

from __future__ import annotations

import re

import numpy as np
import pytest

from engine.initializers import InitSpec
from engine.lessons.by_hand import Ask, AskError, SampleNumbers, check_ask, is_correct
from engine.network import Network

# The seed's 2-2-1 sigmoid example with the classic numbers of its worked form (as tests/engine/test_stepper.py).
W1 = np.array([[0.15, 0.2], [0.25, 0.3]])
B1 = np.array([0.35, 0.35])
W2 = np.array([[0.4, 0.45]])
B2 = np.array([0.6])
X = np.array([0.05, 0.1])
Y = np.array([0.01])
ETA = 0.5


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


# The seed's equations, by hand, for the one sample.
Z1 = W1 @ X + B1
A1 = _sigmoid(Z1)
Z2 = W2 @ A1 + B2
YHAT = _sigmoid(Z2)
J = 0.5 * np.sum((YHAT - Y) ** 2)
DELTA2 = (YHAT - Y) * YHAT * (1 - YHAT)
DELTA1 = (W2.T @ DELTA2) * A1 * (1 - A1)
DW2, DW1 = np.outer(DELTA2, A1), np.outer(DELTA1, X)


def _hand_value(ask: Ask) -> float:
    j, k = (ask.row or 1) - 1, (ask.col or 1) - 1
    table = {
        "z": {1: Z1, 2: Z2},
        "a": {1: A1, 2: YHAT},
        "delta": {1: DELTA1, 2: DELTA2},
        "grad_b": {1: DELTA1, 2: DELTA2},
    }
    if ask.quantity == "J":
        return float(J)
    if ask.quantity in table:
        return float(table[ask.quantity][ask.layer][j])  # type: ignore[index]
    grad = {1: DW1, 2: DW2}[ask.layer][j, k]  # type: ignore[index]
    if ask.quantity == "grad_W":
        return float(grad)
    if ask.quantity == "W_new":
        return float({1: W1, 2: W2}[ask.layer][j, k] - ETA * grad)  # type: ignore[index]
    assert ask.quantity == "b_new"
    return float({1: B1, 2: B2}[ask.layer][j] - ETA * {1: DELTA1, 2: DELTA2}[ask.layer][j])  # type: ignore[index]


def _network(sizes=(2, 2, 1), activations=("sigmoid", "sigmoid"), loss="half_sse", weights=None, biases=None):
    weights = weights if weights is not None else [W1.tolist(), W2.tolist()]
    biases = biases if biases is not None else [B1.tolist(), B2.tolist()]
    return Network.build(list(sizes), list(activations), loss, InitSpec(weights=weights, biases=biases))


@pytest.fixture
def seed() -> SampleNumbers:
    return SampleNumbers.of(_network(), X, Y, ETA)


def _every_ask() -> list[Ask]:
    asks = [Ask("J")]
    for layer, (n_out, n_in) in ((1, (2, 2)), (2, (1, 2))):
        for j in range(1, n_out + 1):
            asks += [Ask(q, layer, j) for q in ("z", "a", "delta", "grad_b", "b_new")]
            asks += [Ask(q, layer, j, k) for q in ("grad_W", "W_new") for k in range(1, n_in + 1)]
    return asks


EVERY_ASK = _every_ask()


@pytest.mark.parametrize("ask", EVERY_ASK, ids=lambda a: f"{a.quantity}-{a.layer}-{a.row}-{a.col}")
def test_every_quantity_equals_the_hand_computation(seed: SampleNumbers, ask: Ask) -> None:
    assert seed.value(ask) == pytest.approx(_hand_value(ask), rel=1e-14, abs=1e-17)


def test_the_seed_example_gives_its_published_prediction(seed: SampleNumbers) -> None:
    assert seed.value(Ask("a", 2, 1)) == pytest.approx(0.75136507, abs=1e-8)
    assert seed.value(Ask("J")) == pytest.approx(0.274811083, abs=1e-9)


# -- checking ------------------------------------------------------------------------------------------------------
def test_an_answer_is_right_when_it_agrees_to_four_significant_digits() -> None:
    expected = 0.593269992
    assert is_correct(0.5933, expected)
    assert is_correct(0.59327, expected)
    assert not is_correct(0.5927, expected)  # off by 1e-3 relative
    assert is_correct(-0.0144, -0.014398217)
    assert not is_correct(-0.01439, -0.014398217)  # |Δ| = 8.2e-6 > 5e-4 · 0.0144: a digit rounded too early
    assert not is_correct(0.0144, -0.014398217)  # the wrong sign


def test_zero_is_checked_absolutely_and_a_tolerance_replaces_the_digits() -> None:
    assert is_correct(3e-8, 0.0) and not is_correct(1e-7, 0.0)
    assert is_correct(0.0435, 0.04343667, tolerance=1e-4)
    assert not is_correct(0.0435, 0.04343667)
    assert not is_correct(0.0436, 0.04343667, tolerance=1e-4)


def test_an_answer_that_is_not_a_finite_number_is_wrong() -> None:
    assert not is_correct(float("nan"), 0.5)
    assert not is_correct(float("inf"), 0.5)


# -- hints ---------------------------------------------------------------------------------------------------------
NUMBER = re.compile(r"(?<![\w^_{])-?\d+(?:\.\d+)?(?: \\times 10\^\{-?\d+\})?")


def _numbers(tex: str) -> set[str]:
    """The decimal numbers written in a hint, leaving out the indices and exponents of symbols (W^{1}_{12})."""
    return {n.lstrip("-") for n in NUMBER.findall(re.sub(r"[\^_]\{\d+\}", "", tex))}


def test_the_z_hint_is_the_design_example(seed: SampleNumbers) -> None:
    assert seed.hint(Ask("z", 1, 1)) == (
        r"z^{1}_{1} = W^{1}_{11} x_{1} + W^{1}_{12} x_{2} + b^{1}_{1} = (0.15)(0.05) + (0.2)(0.1) + 0.35 = \;?"
    )


@pytest.mark.parametrize(
    ("ask", "plugged"),
    [
        (Ask("a", 1, 1), r"\frac{1}{1 + e^{-(0.3775)}}"),
        (Ask("z", 2, 1), "(0.4)(0.5933) + (0.45)(0.5969) + 0.6"),
        (Ask("a", 2, 1), r"\frac{1}{1 + e^{-(1.106)}}"),
        (Ask("J"), r"\tfrac{1}{2} (0.7514 - 0.01)^2"),
        (Ask("delta", 2, 1), r"(0.7514 - 0.01) \cdot (0.7514)(1 - 0.7514)"),
        (Ask("delta", 1, 1), r"\left[(0.4)(0.1385)\right] \cdot (0.5933)(1 - 0.5933)"),
        (Ask("delta", 1, 2), r"\left[(0.45)(0.1385)\right] \cdot (0.5969)(1 - 0.5969)"),
        (Ask("grad_W", 2, 1, 2), "(0.1385)(0.5969)"),
        (Ask("grad_W", 1, 2, 1), "(0.015)(0.05)"),
        (Ask("grad_b", 2, 1), r"(0.7514 - 0.01) \cdot (0.7514)(1 - 0.7514)"),
        (Ask("W_new", 2, 1, 1), "0.4 - (0.5)(0.08217)"),
        (Ask("b_new", 1, 2), "0.35 - (0.5)(0.015)"),
    ],
)
def test_a_hint_plugs_the_numbers_into_the_seed_equation(seed: SampleNumbers, ask: Ask, plugged: str) -> None:
    assert seed.hint(ask).endswith(f" = {plugged} = \\;?")


@pytest.mark.parametrize("ask", EVERY_ASK, ids=lambda a: f"{a.quantity}-{a.layer}-{a.row}-{a.col}")
def test_a_hint_never_shows_the_result(seed: SampleNumbers, ask: Ask) -> None:
    hint = seed.hint(ask)
    result = f"{abs(seed.value(ask)):.4g}"
    assert hint.endswith(r"= \;?")
    assert result not in _numbers(hint), hint
    assert _numbers(hint), "the hint plugs numbers in"


def test_a_hint_writes_small_numbers_as_powers_of_ten_and_signs_in_braces() -> None:
    tiny = SampleNumbers.of(_network(weights=[[[1e-6, -0.5], [0, 0]], [[1, 1]]], biases=[[-0.25, 0], [0]]), X, Y, ETA)
    assert tiny.hint(Ask("z", 1, 1)).endswith(r"= (1 \times 10^{-6})(0.05) + ({-0.5})(0.1) - 0.25 = \;?")


HINT_CASES = [
    ("tanh", "mse", Ask("a", 1, 1), r"\tanh(0.3775)"),
    ("relu", "mse", Ask("a", 1, 1), r"\max(0, 0.3775)"),
    ("leaky_relu", "mse", Ask("a", 1, 1), r"\max(0.01 \cdot (0.3775), 0.3775)"),
    ("tanh", "mse", Ask("J"), r"\frac{1}{1} (0.7222 - 0.01)^2"),
    ("tanh", "mse", Ask("delta", 2, 1), r"\tfrac{2}{1}(0.7222 - 0.01) \cdot \left(1 - (0.7222)^2\right)"),
    ("relu", "mse", Ask("delta", 1, 1), r"\left[(0.4)(0.6732)\right] \cdot (1)"),
]


@pytest.mark.parametrize(("hidden", "loss", "ask", "plugged"), HINT_CASES)
def test_hints_follow_the_activation_and_the_loss(hidden: str, loss: str, ask: Ask, plugged: str) -> None:
    numbers = SampleNumbers.of(_network(activations=(hidden, "tanh"), loss=loss), X, Y, ETA)
    assert plugged in numbers.hint(ask)


def test_a_linear_neuron_hint_gives_no_number_as_its_only_number_is_the_result() -> None:
    numbers = SampleNumbers.of(_network(activations=("linear", "sigmoid")), X, Y, ETA)
    assert numbers.hint(Ask("a", 1, 1)) == r"a^{1}_{1} = z^{1}_{1} = \;?"


def test_sigmoid_with_bce_has_both_forms_of_the_output_error() -> None:
    numbers = SampleNumbers.of(_network(loss="bce"), X, np.array([1.0]), ETA)
    assert numbers.hint(Ask("delta", 2, 1)).endswith(r"= 0.7514 - 1 = \;?")  # default: the closed form
    assert numbers.hint(Ask("delta", 2, 1, form="closed_form")).endswith(r"= 0.7514 - 1 = \;?")
    chain = numbers.hint(Ask("delta", 2, 1, form="chain_rule"))
    assert chain.endswith(r"\left(\frac{0.7514 - 1}{(0.7514)(1 - 0.7514)}\right) \cdot (0.7514)(1 - 0.7514) = \;?")
    assert numbers.value(Ask("delta", 2, 1)) == pytest.approx(YHAT[0] - 1.0, rel=1e-14)


def test_softmax_with_cross_entropy_sums_the_jacobian_in_the_chain_rule_form() -> None:
    net = Network.build(
        [2, 3], ["softmax"], "cross_entropy", InitSpec(weights=[[[0.5, 1], [0, 0], [-0.5, -1]]], biases=[[0, 0, 0]])
    )
    numbers = SampleNumbers.of(net, [1, 0.5], [0, 1, 0], 0.5)
    a = np.exp([1, 0, -1]) / np.exp([1, 0, -1]).sum()
    assert numbers.value(Ask("a", 1, 2)) == pytest.approx(a[1], rel=1e-14)
    assert numbers.value(Ask("J")) == pytest.approx(-np.log(a[1]), rel=1e-14)
    assert numbers.value(Ask("delta", 1, 2, form="chain_rule")) == pytest.approx(a[1] - 1, rel=1e-14)
    assert numbers.hint(Ask("a", 1, 2)).endswith(r"\frac{e^{0}}{e^{1} + e^{0} + e^{{-1}}} = \;?")
    assert numbers.hint(Ask("J")).endswith(
        r"-\left[(0) \log (0.6652) + (1) \log (0.2447) + (0) \log (0.09003)\right] = \;?"
    )
    chain = numbers.hint(Ask("delta", 1, 2, form="chain_rule"))
    assert chain.endswith(
        r"\left(-\frac{0}{0.6652}\right)(0.6652)(0 - 0.2447)"
        r" + \left(-\frac{1}{0.2447}\right)(0.2447)(1 - 0.2447)"
        r" + \left(-\frac{0}{0.09003}\right)(0.09003)(0 - 0.2447) = \;?"
    )
    assert numbers.hint(Ask("delta", 1, 2, form="closed_form")).endswith(r"= 0.2447 - 1 = \;?")


def test_a_long_sum_is_shortened_in_the_hint() -> None:
    net = Network.build([12, 1], ["sigmoid"], "half_sse", InitSpec(weights=[[[0.5] * 12]], biases=[[0.25]]))
    hint = SampleNumbers.of(net, [1.0] * 12, [1.0], 0.5).hint(Ask("z", 1, 1))
    assert r"(0.5)(1) + (0.5)(1) + (0.5)(1) + \cdots + (0.5)(1) + 0.25 = \;?" in hint


# -- asks that do not fit ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("ask", "message"),
    [
        (Ask("y", 1, 1), "quantity 'y' is not one of z, a, J"),
        (Ask("z", 3, 1), "layer is 3, but this network's layers after the input are 1 to L = 2"),
        (Ask("z", 0, 1), "layer is 0"),
        (Ask("a", 2, 2), "row is 2, but layer 2 has neurons 1 to 1"),
        (Ask("grad_W", 1, 1), "grad_W needs a col: the input k of neuron j, from 1 to 2"),
        (Ask("W_new", 2, 1, 3), "col is 3, but layer 2's neurons have inputs 1 to 2"),
        (Ask("z", 1, 1, 1), "col is only for grad_W and W_new"),
        (Ask("delta", 1, 1, form="chain_rule"), "form is only for delta at the output layer (layer 2)"),
        (Ask("delta", 2, 1, form="closed_form"), "holds for sigmoid+bce or softmax+cross_entropy only"),
        (Ask("delta", 2, 1, form="short"), "form is 'short'; use one of chain_rule, closed_form"),
        (Ask("z"), "z needs a layer (1 to 2) and a row"),
        (Ask("J", col=1), "J (the sample's loss) takes no col or form"),
    ],
)
def test_an_ask_the_network_cannot_answer_is_refused_with_what_to_fix(ask: Ask, message: str) -> None:
    with pytest.raises(AskError, match=re.escape(message)):
        check_ask(ask, _network())


def test_j_ignores_layer_and_row() -> None:
    check_ask(Ask("J", 5, 7), _network())
