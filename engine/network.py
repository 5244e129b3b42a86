"""A dense multilayer perceptron whose forward and backward passes are the seed's equations, once each.

Orientation follows the seed: W^l has shape (n_l, n_{l−1}), row j holds neuron j's incoming weights, and
for one sample z^l = W^l a^{l−1} + b^l. A batch stacks samples as rows (m × n), so every per-sample vector
below is one row of its batch matrix. The products and averages behind each line are `engine/kernels.py`'s.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from engine.activations import Activation, get_activation
from engine.initializers import InitSpec, init_params
from engine.kernels import (
    CONCATENATED_CHECK_MAX,
    all_finite,
    batch_grad_b,
    batch_grad_W,
    layer_weights,
    transpose_times,
    weighted_sum,
)
from engine.losses import Loss, batch_mean, check_pairing, get_loss, output_delta
from engine.regularization import Regularization

Array = np.ndarray

DTYPES = {"float64": np.float64, "float32": np.float32}


@dataclass
class ForwardPass:
    """z^l and a^l for l = 1..L of a batch; `a[0]` is the input a^0 = x."""

    z: list[Array]
    a: list[Array]


@dataclass
class BackwardPass:
    """δ^l per sample and the batch gradients ∂J/∂W^l = (1/m) Σ_i δ_i a_iᵀ, ∂J/∂b^l = (1/m) Σ_i δ_i."""

    delta: list[Array]
    grad_W: list[Array]
    grad_b: list[Array]

    @property
    def grads(self) -> list[Array]:
        """[∂J/∂W^1, ∂J/∂b^1, …, ∂J/∂W^L, ∂J/∂b^L]: the optimizer's order of the parameters."""
        grads: list[Array] = [None] * (2 * len(self.grad_W))  # type: ignore[list-item]
        grads[0::2] = self.grad_W
        grads[1::2] = self.grad_b
        return grads


@dataclass
class Network:
    """Layer sizes (input included), one activation per non-input layer, a loss, and the parameters."""

    sizes: list[int]
    activations: list[Activation]
    loss: Loss
    W: list[Array]
    b: list[Array]
    dtype: type = np.float64
    regularization: Regularization = field(default_factory=Regularization)

    def __post_init__(self) -> None:
        self.W = [layer_weights(W) for W in self.W]
        self._check_as_one_vector = self.parameter_count <= CONCATENATED_CHECK_MAX  # sizes never change

    @classmethod
    def build(
        cls,
        sizes: Sequence[int],
        activations: Sequence[str] | str | None = None,
        loss: str = "half_sse",
        init: InitSpec | None = None,
        dtype: str = "float64",
        regularization: Regularization | None = None,
        activation_options: Sequence[Mapping[str, float] | None] | None = None,
    ) -> Network:
        """Check a configuration and build the network, raising ValueError with a fixable message if wrong.
        `activation_options` gives each layer's activation parameters (e.g. {"slope": 0.2}; None: defaults)."""
        sizes = [int(n) for n in sizes]
        if len(sizes) < 2:
            raise ValueError("layers needs at least 2 sizes: the input and the output layer, e.g. [2, 2, 1]")
        if any(n < 1 for n in sizes):
            raise ValueError(f"every layer needs at least one neuron, got {sizes}")
        if dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
        n_layers = len(sizes) - 1
        if activations is None:
            activations = ["sigmoid"] * n_layers
        elif isinstance(activations, str):
            activations = [activations] * n_layers
        if len(activations) != n_layers:
            raise ValueError(f"activations needs one name per non-input layer ({n_layers}), got {len(activations)}")
        options = list(activation_options) if activation_options is not None else [None] * n_layers
        if len(options) != n_layers:
            raise ValueError(
                f"activation_options needs one entry (or null) per non-input layer ({n_layers}), got {len(options)}"
            )
        acts = [get_activation(name) for name in activations]
        for layer, opts in enumerate(options, start=1):
            if opts:
                try:
                    acts[layer - 1] = acts[layer - 1].with_options(opts)
                except ValueError as exc:
                    raise ValueError(f"activation_options[{layer - 1}] (layer {layer}): {exc}") from None
        for layer, act in enumerate(acts[:-1], start=1):
            if act.output_only:
                raise ValueError(f"{act.name} is for the output layer only, but layer {layer} uses it")
        loss_fn = get_loss(loss)
        check_pairing(acts[-1], loss_fn)
        Ws, bs = init_params(sizes, init or InitSpec(), DTYPES[dtype])
        return cls(sizes, acts, loss_fn, Ws, bs, DTYPES[dtype], regularization or Regularization())

    @property
    def L(self) -> int:
        """Number of layers after the input (the seed's L)."""
        return len(self.W)

    @property
    def activation_options(self) -> list[dict[str, float] | None] | None:
        """Each layer's activation parameters as given (None for a layer at the defaults); None if no layer has
        any (the form a configuration and an export write)."""
        options = [dict(act.options) or None for act in self.activations]
        return options if any(options) else None

    @property
    def dtype_name(self) -> str:
        return np.dtype(self.dtype).name

    @property
    def parameter_count(self) -> int:
        return sum(W.size + b.size for W, b in zip(self.W, self.b, strict=True))

    def forward(self, X: Array) -> ForwardPass:
        """z^l = W^l a^{l−1} + b^l and a^l = f(z^l), for l = 1..L from a^0 = x."""
        zs: list[Array] = []
        a = X
        acts = [a]
        for W, b, act in zip(self.W, self.b, self.activations, strict=True):
            z = weighted_sum(W, a, b)  # z^l = W^l a^{l−1} + b^l
            a = act.f(z)  # a^l = f(z^l)
            zs.append(z)
            acts.append(a)
        return ForwardPass(zs, acts)

    def predict(self, X: Array) -> Array:
        """a^L for a batch of (already normalized) inputs."""
        return self.forward(np.asarray(X, dtype=self.dtype)).a[-1]

    def sample_losses(self, fwd: ForwardPass, Y: Array) -> Array:
        """J_i of every sample of the batch (their mean is `data_loss`)."""
        return self.loss.per_sample(fwd.a[-1], Y, fwd.z[-1], self.activations[-1])

    def data_loss(self, fwd: ForwardPass, Y: Array) -> float:
        """J of the seed, averaged over the batch, without the regularization penalty."""
        return self.loss.value(fwd.a[-1], Y, fwd.z[-1], self.activations[-1])

    def total_loss(self, fwd: ForwardPass, Y: Array, sample_losses: Array | None = None) -> float:
        """J plus the regularization penalty: the quantity the gradients descend. `sample_losses`, the J_i of
        `sample_losses(fwd, Y)` if the caller has them already, are not computed again."""
        J_i = self.sample_losses(fwd, Y) if sample_losses is None else sample_losses
        return batch_mean(J_i) + self.regularization.penalty(self.W)

    def backward(self, fwd: ForwardPass, Y: Array, regularize: bool = True) -> BackwardPass:
        """δ^l, ∂J/∂W^l and ∂J/∂b^l for l = L..1: δ per sample, the gradients averaged over the batch.

        `regularize=False` leaves out the penalty's gradient (one sample's own data gradient, for display).
        """
        L = self.L
        # Indexed as in the seed: W[l] is W^l, z[l] is z^l, f[l] is layer l's activation, a[l] is a^l (a[0] = x).
        W, z, f, a = [None, *self.W], [None, *fwd.z], [None, *self.activations], fwd.a
        penalty = self.regularization if regularize and self.regularization.active else None
        # The results in the order of self.W: layer l at index l − 1.
        deltas: list[Array] = [None] * L  # type: ignore[list-item]
        grads_W: list[Array] = [None] * L  # type: ignore[list-item]
        grads_b: list[Array] = [None] * L  # type: ignore[list-item]
        delta = output_delta(f[L], self.loss, z[L], a[L], Y)  # δ^L
        for l in range(L, 0, -1):  # noqa: E741 (the seed's name for a layer)
            if l < L:
                g = transpose_times(W[l + 1], delta)  # ∂J/∂a^l = (W^{l+1})ᵀ δ^{l+1}
                delta = f[l].backward(z[l], a[l], g, overwrite_g=True)  # δ^l = g ⊙ f'(z^l)
            grad_W = batch_grad_W(delta, a[l - 1])  # ∂J/∂W^l = δ^l (a^{l−1})ᵀ
            grad_b = batch_grad_b(delta)  # ∂J/∂b^l = δ^l
            if penalty is not None:
                penalty.add_gradient(W[l], grad_W)  # ∂J/∂W^l += ∂penalty/∂W^l
            deltas[l - 1], grads_W[l - 1], grads_b[l - 1] = delta, grad_W, grad_b
        return BackwardPass(deltas, grads_W, grads_b)

    def copy_params(self) -> tuple[list[Array], list[Array]]:
        return [W.copy(order="K") for W in self.W], [b.copy() for b in self.b]

    def set_params(self, Ws: Sequence[Array], bs: Sequence[Array]) -> None:
        """Overwrite the parameters in place (arrays keep their identity, so views stay valid)."""
        for W, b, W_new, b_new in zip(self.W, self.b, Ws, bs, strict=True):
            W[...] = W_new
            b[...] = b_new

    def params_finite(self) -> bool:
        """Whether every weight and bias is finite (the stepper checks after every update)."""
        return all_finite((*self.W, *self.b), self._check_as_one_vector)


def parameter_count(sizes: Sequence[int]) -> int:
    """Weights and biases of a network with these layer sizes, known before it is built (the app checks its
    limits first); equals `Network.parameter_count` of the built network."""
    n = [int(size) for size in sizes]  # Python ints: exact however large, and no array for a handful of numbers
    return sum(n_l * (n_prev + 1) for n_prev, n_l in itertools.pairwise(n))  # W^l: n_l × n_{l−1}, b^l: n_l
