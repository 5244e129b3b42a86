"""The numbers a learner computes by hand: one quantity of one sample's pass, its check, and its hint.

A `compute` step asks for one number in the seed's notation, for the lesson's sample at the network's current
weights, as a batch of one (layers 1..L, neurons j and inputs k 1-based as on the page):

  z       z^l_j                                   a       a^l_j  (a^L_j is ŷ_j)
  J       the sample's loss (no penalty)          delta   δ^l_j
  grad_W  ∂J/∂W^l_jk = δ^l_j a^{l−1}_k             grad_b  ∂J/∂b^l_j = δ^l_j
  W_new   W^l_jk − η ∂J/∂W^l_jk                    b_new   b^l_j − η ∂J/∂b^l_j   (the seed's SGD step)

The values are the engine's own (`Network.forward`, `Network.backward`, δ^L from `output_delta`), not a second
derivation. The hint is the equation with the numbers plugged in, all but the result, in TeX.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from engine.losses import CLOSED_FORM_DELTA
from engine.network import BackwardPass, ForwardPass, Network

QUANTITIES = ("z", "a", "J", "delta", "grad_W", "grad_b", "W_new", "b_new")
FORMS = ("chain_rule", "closed_form")
WITH_COLUMN = frozenset({"grad_W", "W_new"})
SIGNIFICANT = 4  # digits an answer must agree to by default, and digits the hint shows
RELATIVE = 5e-4  # agreeing to 4 significant digits: |answer − expected| ≤ 5e-4 · |expected|
AT_ZERO = 5e-8  # … and ≤ 5e-8 when the expected value is 0
MAX_TERMS = 8  # a sum longer than this is shown with its first terms, ⋯ and its last


class AskError(ValueError):
    """An ask that does not fit the network (a lesson-file error, found when the lesson is loaded)."""


@dataclass(frozen=True)
class Ask:
    """Which number: `quantity` at `layer` (1..L), neuron `row` (1-based), input `col` (1-based, for grad_W
    and W_new); `form` picks the hint of δ^L: `closed_form` a^L − y, or `chain_rule` ∂J/∂a^L ⊙ f'(z^L)."""

    quantity: str
    layer: int | None = None
    row: int | None = None
    col: int | None = None
    form: str | None = None


def check_ask(ask: Ask, network: Network) -> None:
    """Raise AskError saying what to fix if the ask names no number of this network."""
    q = ask.quantity
    if q not in QUANTITIES:
        raise AskError(f"quantity '{q}' is not one of {', '.join(QUANTITIES)}")
    if q == "J":
        if ask.col is not None or ask.form is not None:
            raise AskError("J (the sample's loss) takes no col or form")
        return
    L, sizes = network.L, network.sizes
    if ask.layer is None or ask.row is None:
        raise AskError(f"{q} needs a layer (1 to {L}) and a row (the neuron j, from 1)")
    if not 1 <= ask.layer <= L:
        raise AskError(f"layer is {ask.layer}, but this network's layers after the input are 1 to L = {L}")
    if not 1 <= ask.row <= sizes[ask.layer]:
        raise AskError(f"row is {ask.row}, but layer {ask.layer} has neurons 1 to {sizes[ask.layer]}")
    if q in WITH_COLUMN:
        n_in = sizes[ask.layer - 1]
        if ask.col is None:
            raise AskError(f"{q} needs a col: the input k of neuron j, from 1 to {n_in}")
        if not 1 <= ask.col <= n_in:
            raise AskError(f"col is {ask.col}, but layer {ask.layer}'s neurons have inputs 1 to {n_in}")
    elif ask.col is not None:
        raise AskError(f"col is only for grad_W and W_new; remove it from this {q}")
    if ask.form is not None:
        if q != "delta" or ask.layer != L:
            raise AskError(f"form is only for delta at the output layer (layer {L}); remove it")
        if ask.form not in FORMS:
            raise AskError(f"form is '{ask.form}'; use one of {', '.join(FORMS)}")
        if ask.form == "closed_form" and _pairing(network) not in CLOSED_FORM_DELTA:
            pairs = " or ".join(f"{act}+{loss}" for act, loss in sorted(CLOSED_FORM_DELTA))
            raise AskError(
                f"form closed_form (δ^L = a^L − y) holds for {pairs} only, not {'+'.join(_pairing(network))}; "
                "use form chain_rule"
            )


def symbol(ask: Ask) -> str:
    """The asked number in the seed's notation, in TeX (what the answer box is labelled with): z^{1}_{1},
    \\delta^{2}_{1}, \\frac{\\partial J}{\\partial W^{1}_{12}}, and W - η ∂J/∂W for the updated weight."""
    q, layer, j, k = ask.quantity, ask.layer, ask.row, ask.col
    if q == "J":
        return "J"
    sub = f"{{{j}}}"
    if q in ("z", "a"):
        return f"{q}^{{{layer}}}_{sub}"
    if q == "delta":
        return f"\\delta^{{{layer}}}_{sub}"
    if q == "grad_W":
        return f"\\frac{{\\partial J}}{{\\partial W^{{{layer}}}_{{{_ij(j or 1, k or 1)}}}}}"
    if q == "grad_b":
        return f"\\frac{{\\partial J}}{{\\partial b^{{{layer}}}_{sub}}}"
    if q == "W_new":
        w = f"W^{{{layer}}}_{{{_ij(j or 1, k or 1)}}}"
        return f"{w} - \\eta \\frac{{\\partial J}}{{\\partial {w}}}"
    b = f"b^{{{layer}}}_{sub}"
    return f"{b} - \\eta \\frac{{\\partial J}}{{\\partial {b}}}"


def describe(ask: Ask) -> str:
    """The asked number in words, for a screen reader and the catalogue: "z of layer 1, neuron 1"."""
    names = {
        "z": "z",
        "a": "a",
        "delta": "δ",
        "grad_W": "∂J/∂W",
        "grad_b": "∂J/∂b",
        "W_new": "the updated weight W",
        "b_new": "the updated bias b",
    }
    if ask.quantity == "J":
        return "the loss J of the sample"
    where = f"layer {ask.layer}, neuron {ask.row}"
    if ask.col is not None:
        where += f", input {ask.col}"
    return f"{names[ask.quantity]} of {where}"


def is_correct(answer: float, expected: float, tolerance: float | None = None) -> bool:
    """Within `tolerance` if given, else agreeing to 4 significant digits (|Δ| ≤ 5e-4·|expected|, ≤ 5e-8 at 0)."""
    if not (math.isfinite(answer) and math.isfinite(expected)):
        return False
    error = abs(answer - expected)
    if tolerance is not None:
        return error <= tolerance
    return error <= (RELATIVE * abs(expected) if expected != 0 else AT_ZERO)


def _pairing(network: Network) -> tuple[str, str]:
    return network.activations[-1].name, network.loss.name


@dataclass
class SampleNumbers:
    """One sample's forward and backward pass as a batch of one, and the numbers and hints asked of it."""

    network: Network
    x: np.ndarray
    y: np.ndarray
    learning_rate: float
    fwd: ForwardPass
    bwd: BackwardPass

    @classmethod
    def of(cls, network: Network, x: Sequence[float], y: Sequence[float], learning_rate: float) -> SampleNumbers:
        X = np.asarray(x, dtype=network.dtype).reshape(1, -1)
        Y = np.asarray(y, dtype=network.dtype).reshape(1, -1)
        fwd = network.forward(X)
        return cls(network, X[0], Y[0], float(learning_rate), fwd, network.backward(fwd, Y, regularize=False))

    # -- the numbers ------------------------------------------------------------------------------------------
    def z(self, layer: int) -> np.ndarray:
        return self.fwd.z[layer - 1][0]

    def a(self, layer: int) -> np.ndarray:
        """a^l of the sample; a^0 is the input x."""
        return self.fwd.a[layer][0]

    def delta(self, layer: int) -> np.ndarray:
        return self.bwd.delta[layer - 1][0]

    @property
    def J(self) -> float:
        return self.network.data_loss(self.fwd, self.y[None, :])

    def value(self, ask: Ask) -> float:
        """The engine's value of the asked number."""
        check_ask(ask, self.network)
        q, layer = ask.quantity, ask.layer or 0
        j, k = (ask.row or 1) - 1, (ask.col or 1) - 1
        if q == "J":
            return float(self.J)
        if q == "z":
            return float(self.z(layer)[j])
        if q == "a":
            return float(self.a(layer)[j])
        if q == "delta":
            return float(self.delta(layer)[j])
        if q == "grad_b":
            return float(self.bwd.grad_b[layer - 1][j])
        if q == "grad_W":
            return float(self.bwd.grad_W[layer - 1][j, k])
        if q == "W_new":
            return float(self.network.W[layer - 1][j, k]) - self.learning_rate * float(self.bwd.grad_W[layer - 1][j, k])
        return float(self.network.b[layer - 1][j]) - self.learning_rate * float(self.bwd.grad_b[layer - 1][j])

    # -- the hints --------------------------------------------------------------------------------------------
    def hint(self, ask: Ask) -> str:
        """The asked number's equation in TeX, symbols first, then the numbers, ending in `= \\;?`."""
        check_ask(ask, self.network)
        q, layer, j, k = ask.quantity, ask.layer or 0, ask.row or 1, ask.col or 1
        builders: dict[str, Callable[[], tuple[str, str]]] = {
            "z": lambda: self._z_hint(layer, j),
            "a": lambda: self._a_hint(layer, j),
            "J": self._J_hint,
            "delta": lambda: self._delta_hint(layer, j, ask.form),
            "grad_W": lambda: self._grad_W_hint(layer, j, k),
            "grad_b": lambda: self._grad_b_hint(layer, j),
            "W_new": lambda: self._W_new_hint(layer, j, k),
            "b_new": lambda: self._b_new_hint(layer, j),
        }
        symbols, numbers = builders[q]()
        return f"{symbols} = {numbers} = \\;?" if numbers else f"{symbols} = \\;?"

    def _z_hint(self, layer: int, j: int) -> tuple[str, str]:
        W, b = self.network.W[layer - 1], self.network.b[layer - 1]
        prev = self.a(layer - 1)
        n = prev.shape[0]
        symbols = (
            _sum([f"W^{{{layer}}}_{{{_ij(j, k)}}} {_a_symbol(layer - 1, k)}" for k in range(1, n + 1)])
            + f" + b^{{{layer}}}_{{{j}}}"
        )
        numbers = _sum([f"{_factor(W[j - 1, k])}{_factor(prev[k])}" for k in range(n)]) + _signed(b[j - 1])
        return f"z^{{{layer}}}_{{{j}}} = {symbols}", numbers

    def _a_hint(self, layer: int, j: int) -> tuple[str, str]:
        lhs = f"a^{{{layer}}}_{{{j}}}"
        if layer == self.network.L:
            lhs = f"\\hat{{y}}_{{{j}}} = {lhs}"
        name = self.network.activations[layer - 1].name
        z_sym, z = f"z^{{{layer}}}_{{{j}}}", self.z(layer)
        zj = z[j - 1]
        if name == "sigmoid":
            return (
                f"{lhs} = \\sigma({z_sym}) = \\frac{{1}}{{1 + e^{{-{z_sym}}}}}",
                f"\\frac{{1}}{{1 + e^{{-{_factor(zj)}}}}}",
            )
        if name == "tanh":
            return f"{lhs} = \\tanh({z_sym})", f"\\tanh{_factor(zj)}"
        if name == "relu":
            return f"{lhs} = \\max(0, {z_sym})", f"\\max(0, {_num(zj)})"
        if name == "leaky_relu":
            return f"{lhs} = \\max(0.01\\,{z_sym}, {z_sym})", f"\\max(0.01 \\cdot {_factor(zj)}, {_num(zj)})"
        if name == "softmax":
            terms = [f"e^{{{_num(v)}}}" for v in z]
            return (
                f"{lhs} = \\frac{{e^{{{z_sym}}}}}{{\\sum_k e^{{z^{{{layer}}}_{{k}}}}}}",
                f"\\frac{{e^{{{_num(zj)}}}}}{{{_sum(terms)}}}",
            )
        if name == "linear":
            return f"{lhs} = {z_sym}", ""  # the only number to plug in is the result itself
        return f"{lhs} = f({z_sym})", f"f{_factor(zj)}"

    def _J_hint(self) -> tuple[str, str]:
        name = self.network.loss.name
        a, y = self.a(self.network.L), self.y
        n = a.shape[0]
        if name in ("half_sse", "mse"):
            squares = [f"({_num(a[i])} - {_num(y[i])})^2" for i in range(n)]
            body = squares[0] if n == 1 else f"\\left[{_sum(squares)}\\right]"
            scale = "\\tfrac{1}{2}" if name == "half_sse" else f"\\frac{{1}}{{{n}}}"
            return self.network.loss.tex, f"{scale} {body}"
        if name == "bce":
            terms = [
                f"{_factor(y[i])} \\log {_factor(a[i])} + (1 - {_num(y[i])}) \\log(1 - {_num(a[i])})" for i in range(n)
            ]
            return self.network.loss.tex, f"-\\left[{_sum(terms)}\\right]"
        if name == "cross_entropy":
            terms = [f"{_factor(y[i])} \\log {_factor(a[i])}" for i in range(n)]
            return self.network.loss.tex, f"-\\left[{_sum(terms)}\\right]"
        return self.network.loss.tex, ""

    def _delta_hint(self, layer: int, j: int, form: str | None) -> tuple[str, str]:
        lhs = f"\\delta^{{{layer}}}_{{{j}}}"
        net = self.network
        if layer < net.L:
            W_next, delta_next = net.W[layer], self.delta(layer + 1)
            n_next = delta_next.shape[0]
            symbols = _sum(
                [f"W^{{{layer + 1}}}_{{{_ij(m, j)}}} \\delta^{{{layer + 1}}}_{{{m}}}" for m in range(1, n_next + 1)]
            )
            numbers = _sum([f"{_factor(W_next[m, j - 1])}{_factor(delta_next[m])}" for m in range(n_next)])
            fprime_sym, fprime = self._fprime(layer, j)
            return (
                f"{lhs} = \\left({symbols}\\right) {fprime_sym}",
                f"\\left[{numbers}\\right] \\cdot {fprime}",
            )
        a, y = self.a(layer), self.y
        if form is None:
            form = "closed_form" if _pairing(net) in CLOSED_FORM_DELTA else "chain_rule"
        if form == "closed_form":
            return f"{lhs} = a^{{{layer}}}_{{{j}}} - y_{{{j}}}", f"{_num(a[j - 1])} - {_num(y[j - 1])}"
        if net.activations[-1].name == "softmax":
            terms_sym = (
                f"\\sum_k \\frac{{\\partial J}}{{\\partial a^{{{layer}}}_{{k}}}}\\, a^{{{layer}}}_{{k}}"
                f"\\left([k = j] - a^{{{layer}}}_{{{j}}}\\right)"
            )
            terms = [
                f"{self._dJ_da(i)}{_factor(a[i])}({int(i == j - 1)} - {_num(a[j - 1])})" for i in range(a.shape[0])
            ]
            return f"{lhs} = {terms_sym}", _sum(terms)
        fprime_sym, fprime = self._fprime(layer, j)
        return (
            f"{lhs} = \\frac{{\\partial J}}{{\\partial a^{{{layer}}}_{{{j}}}}}\\, {fprime_sym}",
            f"{self._dJ_da(j - 1)} \\cdot {fprime}",
        )

    def _dJ_da(self, i: int) -> str:
        """∂J/∂a^L_i with the numbers plugged in, in parentheses (a factor)."""
        a, y = _num(self.a(self.network.L)[i]), _num(self.y[i])
        name, n = self.network.loss.name, self.y.shape[0]
        if name == "half_sse":
            return f"({a} - {y})"
        if name == "mse":
            return f"\\tfrac{{2}}{{{n}}}({a} - {y})"
        if name == "bce":
            return f"\\left(\\frac{{{a} - {y}}}{{{_factor_text(a)}(1 - {a})}}\\right)"
        if name == "cross_entropy":
            return f"\\left(-\\frac{{{y}}}{{{a}}}\\right)"
        return f"\\frac{{\\partial J}}{{\\partial a_{{{i + 1}}}}}"

    def _fprime(self, layer: int, j: int) -> tuple[str, str]:
        """f'(z^l_j) as a symbol and with its numbers (from a, as the engine's f' does for sigmoid and tanh)."""
        name = self.network.activations[layer - 1].name
        a, z = self.a(layer)[j - 1], self.z(layer)[j - 1]
        a_sym = f"a^{{{layer}}}_{{{j}}}"
        if name == "sigmoid":
            return f"{a_sym}(1 - {a_sym})", f"{_factor(a)}(1 - {_num(a)})"
        if name == "tanh":
            return f"\\left(1 - ({a_sym})^2\\right)", f"\\left(1 - {_factor(a)}^2\\right)"
        if name == "relu":
            return f"[z^{{{layer}}}_{{{j}}} > 0]", f"({1 if z > 0 else 0})"
        if name == "leaky_relu":
            return f"f'(z^{{{layer}}}_{{{j}}})", f"({1 if z > 0 else 0.01})"
        if name == "linear":
            return f"f'(z^{{{layer}}}_{{{j}}})", "(1)"
        return f"f'(z^{{{layer}}}_{{{j}}})", f"f'{_factor(z)}"

    def _grad_W_hint(self, layer: int, j: int, k: int) -> tuple[str, str]:
        w = f"W^{{{layer}}}_{{{_ij(j, k)}}}"
        symbols = f"\\frac{{\\partial J}}{{\\partial {w}}} = \\delta^{{{layer}}}_{{{j}}}\\, {_a_symbol(layer - 1, k)}"
        return symbols, f"{_factor(self.delta(layer)[j - 1])}{_factor(self.a(layer - 1)[k - 1])}"

    def _grad_b_hint(self, layer: int, j: int) -> tuple[str, str]:
        symbols, numbers = self._delta_hint(layer, j, None)
        return f"\\frac{{\\partial J}}{{\\partial b^{{{layer}}}_{{{j}}}}} = {symbols}", numbers

    def _W_new_hint(self, layer: int, j: int, k: int) -> tuple[str, str]:
        w = f"W^{{{layer}}}_{{{_ij(j, k)}}}"
        grad = float(self.bwd.grad_W[layer - 1][j - 1, k - 1])
        W = float(self.network.W[layer - 1][j - 1, k - 1])
        return (
            f"{w} - \\eta \\frac{{\\partial J}}{{\\partial {w}}}",
            f"{_num(W)} - {_factor(self.learning_rate)}{_factor(grad)}",
        )

    def _b_new_hint(self, layer: int, j: int) -> tuple[str, str]:
        b = f"b^{{{layer}}}_{{{j}}}"
        grad = float(self.bwd.grad_b[layer - 1][j - 1])
        return (
            f"{b} - \\eta \\frac{{\\partial J}}{{\\partial {b}}}",
            f"{_num(float(self.network.b[layer - 1][j - 1]))} - {_factor(self.learning_rate)}{_factor(grad)}",
        )


# ----------------------------------------------------------------------------------------------------------
# TeX pieces
# ----------------------------------------------------------------------------------------------------------
def _num(value: float) -> str:
    """A number at 4 significant digits, in TeX (1.5 \\times 10^{-5} rather than 1.5e-05; {-0.5} for −0.5)."""
    value = float(value)
    if value == 0:
        return "0"
    text = f"{abs(value):.{SIGNIFICANT}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa} \\times 10^{{{int(exponent)}}}"
    return f"{{-{text}}}" if value < 0 else text  # braced: a sign, not a subtraction (MathML spaces it so)


def _factor(value: float) -> str:
    """A number as a factor of a product: always in parentheses, as in (0.15)(0.05)."""
    return _factor_text(_num(value))


def _factor_text(text: str) -> str:
    return f"({text})"


def _signed(value: float) -> str:
    """` + b` or ` - |b|`: a number added at the end of a sum."""
    value = float(value)
    return f" - {_num(-value)}" if value < 0 else f" + {_num(value)}"


def _sum(terms: list[str]) -> str:
    if len(terms) > MAX_TERMS:
        terms = [*terms[:3], "\\cdots", terms[-1]]
    return " + ".join(terms)


def _ij(j: int, k: int) -> str:
    """W's double index: jk as the seed writes it, j,k once either has two digits."""
    return f"{j}{k}" if j < 10 and k < 10 else f"{j},{k}"


def _a_symbol(layer: int, k: int) -> str:
    """a^{l}_k, or x_k for the input (the seed's z_1 = W_1 x + b_1)."""
    return f"x_{{{k}}}" if layer == 0 else f"a^{{{layer}}}_{{{k}}}"
