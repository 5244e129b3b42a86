"""The diagnostics' wire models (issue 12): layer statistics, histograms, health flags, hidden-unit views, the loss
landscape, evaluation, training stop conditions. `app/schemas.py` imports and re-exports them, so they are part of
the one message schema (REST, WebSocket, tests). docs/protocol.md and the README describe them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

Quantity = Literal["W", "a", "delta", "grad_W"]
FlagKind = Literal[
    "vanishing", "exploding", "dead_units", "saturated", "update_too_large", "update_too_small", "diverging"
]
StopReason = Literal["epochs", "passes", "loss_below", "patience", "cancelled", "diverged"]


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


_INPUT = ConfigDict(populate_by_name=True, extra="forbid", allow_inf_nan=False)


# ---------------------------------------------------------------------------------------------------------
# Layer statistics and flags
# ---------------------------------------------------------------------------------------------------------
class Histogram(_Model):
    edges: list[float] = Field(..., description="n + 1 bin edges, fixed per layer and quantity (widened when needed)")
    counts: list[int] = Field(..., description="n counts")


class LayerDiagnostics(_Model):
    """One layer's statistics on the probe batch (engine/diagnostics/stats.py has the exact rules)."""

    layer: int = Field(..., description="l = 1..L (1: the first hidden layer, L: the output)")
    units: int
    activation: str
    weight_norm: float | None = Field(..., description="‖W^l‖ (Frobenius)")
    grad_norm: float | None = Field(..., description="‖∂J/∂W^l‖ of the data loss on the probe")
    update_ratio: float | None = Field(..., description="‖ΔW^l‖ / ‖W^l‖ of the last update; null before any")
    dead_fraction: float | None = Field(..., description="share of dead units; null unless relu or leaky_relu")
    saturated_fraction: float | None = Field(..., description="share of saturated units; null unless sigmoid or tanh")
    histograms: dict[Quantity, Histogram] = Field(..., description="W, a, delta, grad_W")


class HealthFlag(_Model):
    kind: FlagKind
    layer: int | None = Field(..., description="the layer it is about; null for the whole network")
    message: str = Field(..., description="a plain-language sentence with the numbers")
    value: float | None = Field(..., description="the measured number")
    threshold: float = Field(..., description="the threshold it crossed")
    lesson: str | None = Field(None, description="the lesson that teaches it (GET /api/lessons), if any")


class LayerHistory(_Model):
    layer: int
    weight_norm: list[float | None]
    grad_norm: list[float | None]
    update_ratio: list[float | None]
    dead_fraction: list[float | None] | None = Field(..., description="null when the activation cannot die")
    saturated_fraction: list[float | None] | None = Field(..., description="null when it cannot saturate")


class HistogramHistory(_Model):
    layer: int
    edges: list[float]
    counts: list[list[int]] = Field(..., description="one row of counts per entry of `passes`, all on `edges`")


class DiagnosticsHistory(_Model):
    passes: list[int] = Field(..., description="the passes measured (bounded: thinned past 256 entries)")
    layers: list[LayerHistory]
    histograms: dict[Quantity, list[HistogramHistory]]


class FrameDiagnostics(_Model):
    """The layer statistics a play frame or a command's `state` event carries."""

    pass_index: int = Field(..., alias="pass", description="passes completed when measured")
    layers: list[LayerDiagnostics]


class Diagnostics(FrameDiagnostics):
    probe_size: int = Field(..., description="training samples in the probe batch")
    probe_loss: float | None = Field(None, description="J (with the penalty) on the probe batch")
    flags: list[HealthFlag]
    history: DiagnosticsHistory | None = Field(None, description="with ?history=true: the statistics over time")


# ---------------------------------------------------------------------------------------------------------
# Hidden units
# ---------------------------------------------------------------------------------------------------------
class UnitGrid(_Model):
    layer: int
    kind: Literal["grid"] = "grid"
    xs: list[float]
    ys: list[float]
    units: list[list[list[float | None]]] = Field(..., description="per unit, a^l_j at (xs[k], ys[i]) as [i][k]")


class UnitProjection(_Model):
    layer: int
    kind: Literal["projection"] = "projection"
    axes: Literal["units", "pca"] = Field(..., description="the layer's units themselves, or 2 principal axes")
    points: list[list[float | None]] = Field(..., description="each probe sample's [x, y] in the layer's space")
    labels: list[int] | list[float] = Field(..., description="class index (classification) or target value")
    explained: list[float] | None = Field(..., description="pca: share of the variance along each axis now")


UnitsView = Annotated[UnitGrid | UnitProjection, Field(discriminator="kind")]


# ---------------------------------------------------------------------------------------------------------
# Loss landscape
# ---------------------------------------------------------------------------------------------------------
class LandscapeRequest(_Model):
    model_config = _INPUT

    resolution: StrictInt = Field(21, ge=3, le=101, description="grid points along each direction")
    span: float = Field(1.0, gt=0, le=100, description="α and β run from −span to span")
    seed: Annotated[StrictInt, Field(ge=0, le=2**32 - 1)] = Field(0, description="seeds the two directions")


class LandscapeSlice(_Model):
    steps: list[float] = Field(..., description="step sizes s from 0 to 4η")
    loss: list[float | None] = Field(..., description="J(θ − s ∇J)")


class Landscape(_Model):
    alphas: list[float]
    betas: list[float]
    loss: list[list[float | None]] = Field(..., description="loss[i][j] = J(θ + alphas[j] d₁ + betas[i] d₂)")
    path: list[list[float]] = Field(..., description="[α, β] of the weights the history kept, oldest first, now last")
    path_passes: list[int] = Field(..., description="the pass of each point of `path`")
    center_loss: float | None = Field(..., description="J at the current weights on the probe batch")
    slice: LandscapeSlice
    pass_index: int = Field(..., alias="pass", description="passes completed when it was computed")
    resolution: int
    span: float
    seed: int


# ---------------------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------------------
class Confusion(_Model):
    train: list[list[int]]
    test: list[list[int]] | None
    classes: list[str]


class RSquared(_Model):
    train: float | None
    test: float | None


class Pairs(_Model):
    train: list[list[float | None]]
    test: list[list[float | None]] | None


class Evaluation(_Model):
    kind: Literal["classification", "regression"]
    confusion: Confusion | None = Field(None, description="classification: rows true class, columns predicted")
    r2: RSquared | None = Field(None, description="regression")
    pairs: Pairs | None = Field(None, description="regression: [actual, predicted], at most 2,000 per split")
    pass_index: int = Field(..., alias="pass")


# ---------------------------------------------------------------------------------------------------------
# Stop conditions for training jobs
# ---------------------------------------------------------------------------------------------------------
class StopSpec(_Model):
    """Stop a training job early: at a training loss below `loss_below` (checked at epoch ends), or when the test
    loss (the training loss without a test split) has not improved for `patience` epochs. Either or both."""

    model_config = _INPUT

    loss_below: float | None = Field(None, gt=0, description="stop at the first epoch whose training loss is below")
    patience: StrictInt | None = Field(None, ge=1, description="epochs without improvement before stopping")

    @model_validator(mode="after")
    def _some(self) -> StopSpec:
        if self.loss_below is None and self.patience is None:
            raise ValueError("give 'loss_below', 'patience' or both")
        return self
