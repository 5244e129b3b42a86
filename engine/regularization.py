"""Weight penalties added to J, each with its gradient beside it (biases are never penalized)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Array = np.ndarray

NO_PENALTY = "none"  # the one kind without a rate λ
# Each kind's menu label and the penalty it adds to J, in TeX.
KINDS: dict[str, tuple[str, str]] = {
    "none": ("none", "0"),
    "l1": ("L1", r"\lambda \sum |W|"),
    "l2": ("L2", r"\tfrac{\lambda}{2} \sum W^2"),
}


@dataclass(frozen=True)
class Regularization:
    """`l2`: J += (λ/2) Σ W², ∂/∂W = λ W.  `l1`: J += λ Σ |W|, ∂/∂W = λ sign(W).  `none`: nothing."""

    kind: str = NO_PENALTY
    rate: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown regularization {self.kind!r}; choose one of {', '.join(KINDS)}")
        if not (np.isfinite(self.rate) and self.rate >= 0):
            raise ValueError(f"regularization rate must be a finite number ≥ 0, got {self.rate}")

    @property
    def active(self) -> bool:
        return self.kind != NO_PENALTY and self.rate > 0

    def penalty(self, Ws: list[Array]) -> float:
        """The term added to the data loss J."""
        if not self.active:
            return 0.0
        if self.kind == "l2":
            return 0.5 * self.rate * float(sum(np.sum(W * W) for W in Ws))
        return self.rate * float(sum(np.sum(np.abs(W)) for W in Ws))

    def add_gradient(self, W: Array, grad_W: Array) -> None:
        """grad_W += ∂penalty/∂W, in place."""
        if not self.active:
            return
        if self.kind == "l2":
            grad_W += self.rate * W
        else:
            grad_W += self.rate * np.sign(W)
