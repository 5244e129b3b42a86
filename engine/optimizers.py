"""Optimizers that turn ∂J/∂θ into a step Δθ and apply θ := θ + Δθ, each with its state beside it.

`sgd` is exactly the seed's W := W − η ∂J/∂W (Δθ = −η ∂J/∂θ). Parameters are a flat list
[W^1, b^1, …, W^L, b^L]; each optimizer keeps one state array per parameter where it needs one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

from engine.kernels import scalar

Array = np.ndarray

NAMES = ("sgd", "momentum", "adam")  # the keys of OPTIMIZERS, below


@dataclass(frozen=True)
class OptimizerConfig:
    """The optimizer's name and hyperparameters; fields an optimizer does not use are ignored by it."""

    name: str = "sgd"
    learning_rate: float = 0.1
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8

    def __post_init__(self) -> None:
        if self.name not in NAMES:
            raise ValueError(f"unknown optimizer {self.name!r}; choose one of {', '.join(NAMES)}")
        if not (np.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise ValueError(f"learning_rate must be a finite number > 0, got {self.learning_rate}")
        for field_name in ("momentum", "beta1", "beta2"):
            value = getattr(self, field_name)
            if not 0 <= value < 1:
                raise ValueError(f"{field_name} must be in [0, 1), got {value}")
        if not self.epsilon > 0:
            raise ValueError(f"epsilon must be > 0, got {self.epsilon}")

    def to_dict(self) -> dict:
        return asdict(self)

    def with_changes(self, **changes: float | str) -> OptimizerConfig:
        return replace(self, **changes)


class Optimizer:
    """Base: holds the config, the per-parameter state and the step counter t. `label`, `tex` (its rule in the
    seed's notation) and `hyperparameters` (the OptimizerConfig fields it reads) describe it to the page."""

    label = ""
    tex = ""
    hyperparameters: tuple[str, ...] = ("learning_rate",)
    seed_rule = False  # the step is the seed's Δθ = −η ∂J/∂θ itself

    def __init__(self, config: OptimizerConfig, params: list[Array]) -> None:
        self.config = config
        self.t = 0
        self.state: dict[str, list[Array]] = self._init_state(params)

    def _init_state(self, params: list[Array]) -> dict[str, list[Array]]:
        return {}

    def compute_step(self, index: int, grad: Array, out: Array | None = None) -> Array:
        """Δθ for parameter `index` from its gradient, written into `out` if given (the gradient itself, when the
        caller no longer needs it). Optimizers that keep state per parameter define it; `apply` loops over it."""
        raise NotImplementedError

    def apply(self, params: list[Array], grads: list[Array], reuse_grads: bool = False) -> list[Array]:
        """θ := θ + Δθ for every parameter, in place; returns the steps Δθ.

        With `reuse_grads` the steps are written into the gradient arrays (no allocation: the fast path).
        """
        self.t += 1
        compute_step = self.compute_step
        steps = []
        for index, (param, grad) in enumerate(zip(params, grads, strict=True)):
            step = compute_step(index, grad, grad if reuse_grads else None)
            param += step
            steps.append(step)
        return steps

    def snapshot(self) -> tuple[int, dict[str, list[Array]]]:
        """A copy of the state, for stepping back bitwise."""
        return self.t, {key: [s.copy(order="K") for s in arrays] for key, arrays in self.state.items()}

    def restore(self, snap: tuple[int, dict[str, list[Array]]]) -> None:
        self.t = snap[0]
        for key, arrays in snap[1].items():
            for mine, saved in zip(self.state[key], arrays, strict=True):
                mine[...] = saved

    def state_nbytes(self) -> int:
        return sum(s.nbytes for arrays in self.state.values() for s in arrays)


class SGD(Optimizer):
    label = "SGD"
    seed_rule = True
    tex = r"W := W - \eta \frac{\partial J}{\partial W}"

    def apply(self, params: list[Array], grads: list[Array], reuse_grads: bool = False) -> list[Array]:
        """θ := θ − η ∂J/∂θ for every parameter, as Δθ = −η ∂J/∂θ and θ += Δθ. SGD keeps no state per
        parameter, so it steps them all in this one loop instead of through `compute_step`."""
        self.t += 1
        if not grads:
            return []
        minus_eta = scalar(-self.config.learning_rate, grads[0].dtype)
        steps = []
        for param, grad in zip(params, grads, strict=True):
            step = np.multiply(grad, minus_eta, out=grad if reuse_grads else None)  # Δθ = −η ∂J/∂θ
            param += step  # θ := θ + Δθ
            steps.append(step)
        return steps


class Momentum(Optimizer):
    label = "momentum"
    tex = r"v := \mu v - \eta \frac{\partial J}{\partial W}; \quad W := W + v"
    hyperparameters = ("learning_rate", "momentum")

    def _init_state(self, params: list[Array]) -> dict[str, list[Array]]:
        return {"velocity": [np.zeros_like(p) for p in params]}

    def compute_step(self, index: int, grad: Array, out: Array | None = None) -> Array:
        v = self.state["velocity"][index]
        v *= self.config.momentum
        v -= self.config.learning_rate * grad
        if out is None:
            return v.copy(order="K")  # v has the parameter's (column-major) layout: copy it as it is
        out[...] = v
        return out


class Adam(Optimizer):
    label = "Adam"
    tex = (
        r"m := \beta_1 m + (1 - \beta_1) g; \quad v := \beta_2 v + (1 - \beta_2) g^2; \quad "
        r"W := W - \eta \frac{\hat{m}}{\sqrt{\hat{v}} + \epsilon}"
    )
    hyperparameters = ("learning_rate", "beta1", "beta2", "epsilon")

    def _init_state(self, params: list[Array]) -> dict[str, list[Array]]:
        return {"m": [np.zeros_like(p) for p in params], "v": [np.zeros_like(p) for p in params]}

    def compute_step(self, index: int, grad: Array, out: Array | None = None) -> Array:
        c = self.config
        m = self.state["m"][index]
        v = self.state["v"][index]
        m *= c.beta1
        m += (1 - c.beta1) * grad
        v *= c.beta2
        v += (1 - c.beta2) * (grad * grad)
        m_hat_scale = 1.0 / (1 - c.beta1**self.t)
        v_hat_scale = 1.0 / (1 - c.beta2**self.t)
        denom = np.sqrt(v * v_hat_scale)
        denom += c.epsilon
        return np.divide(m * (-c.learning_rate * m_hat_scale), denom, out=out)


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def make_optimizer(config: OptimizerConfig, params: list[Array]) -> Optimizer:
    """A fresh optimizer (zero state) for these parameters."""
    return OPTIMIZERS[config.name](config, params)
