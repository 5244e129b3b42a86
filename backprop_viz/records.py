"""Phase records as NumPy arrays, named as in the seed: `rec.z`, `rec.a`, `rec.delta`, `rec.grad_W`, ….

One pass is F1 … FL (forward: z^l = W^l a^{l−1} + b^l, a^l = f(z^l)), J (the loss and δ^L), BL … B1 (backward:
δ^l = (W^{l+1})ᵀ δ^{l+1} ⊙ f'(z^l), ∂J/∂W^l = δ^l (a^{l−1})ᵀ) and U (W := W − η ∂J/∂W). W^l has the seed's
shape (n_l, n_{l−1}). Vectors are the focus sample's own; `grad_W` and `grad_b` are the batch means the update
uses; `sample_grad_W` and `sample_grad_b` the focus sample's own δ aᵀ and δ.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app import schemas

Array = np.ndarray

# Fields that hold one array per layer in an update record (index 0 is layer 1).
_PER_LAYER = ("W", "b", "step_W", "step_b")
_SCALARS = ("loss", "penalty", "sample_loss", "learning_rate", "focus_in_batch")


@dataclass(frozen=True)
class PhaseRecord:
    """What one phase showed. Arrays are None where the phase has no such quantity (a forward record has no
    δ); an update record's `W`, `b`, `step_W` and `step_b` are lists over the layers.

    >>> rec = session.step()[0]            # doctest: +SKIP
    >>> rec.label, rec.z, rec.a            # doctest: +SKIP
    ('F1', array([0.3775, 0.3925]), array([0.5933, 0.5969]))
    """

    phase: str
    layer: int | None
    label: str
    pass_index: int
    epoch: int
    position: int
    focus: int
    z: Array | None = None
    a: Array | None = None
    a_prev: Array | None = None
    fprime: Array | None = None
    delta: Array | None = None
    grad_W: Array | None = None
    grad_b: Array | None = None
    sample_grad_W: Array | None = None
    sample_grad_b: Array | None = None
    W: Array | list[Array] | None = None
    b: Array | list[Array] | None = None
    step_W: list[Array] | None = None
    step_b: list[Array] | None = None
    y: Array | None = None
    batch: Array | None = None
    loss: float | None = None
    penalty: float | None = None
    sample_loss: float | None = None
    focus_in_batch: bool | None = None
    learning_rate: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # fields a newer server sends that this one does not name

    @classmethod
    def from_wire(cls, record: schemas.PhaseRecordOut | dict[str, Any]) -> PhaseRecord:
        """A record from the REST answer's JSON (or its schema model), lists turned into arrays."""
        if isinstance(record, dict):
            record = schemas.PhaseRecordOut.model_validate(record)
        data = record.model_dump()
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        fields: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for name, value in data.items():
            target = fields if name in known else extra
            target[name] = _converted(name, value, record.phase)
        return cls(**fields, extra=extra)

    def __getattr__(self, name: str) -> Any:
        """Fields this client does not name (added by a newer server) are reached by name too."""
        extra = self.__dict__.get("extra", {})
        if name in extra:
            return extra[name]
        raise AttributeError(f"{type(self).__name__} has no field {name!r}")


def _converted(name: str, value: Any, phase: str) -> Any:
    if value is None or name in _SCALARS or not isinstance(value, list):
        return value
    if name == "batch":
        return np.asarray(value, dtype=np.int64)
    if phase == "update" and name in _PER_LAYER:
        return [array(v) for v in value]
    return array(value)


def array(value: list[Any]) -> Array:
    """A float64 array from a wire vector or matrix; the wire's null (a value that was not finite) is NaN."""
    try:
        return np.asarray(value, dtype=np.float64)
    except TypeError:  # a null somewhere
        raw = np.asarray(value, dtype=object)
        return np.where(raw == None, np.nan, raw).astype(np.float64)  # noqa: E711 (elementwise comparison)
