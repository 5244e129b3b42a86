"""A session's diagnostics on the wire: the engine's measurements, flags, unit views, landscape and evaluation
turned into app/schemas_diagnostics.py's models (the math is engine/diagnostics/'s; this only converts)."""

from __future__ import annotations

import numpy as np

from app import convert, schemas
from app.errors import InvalidInput
from engine.datasets import Dataset
from engine.datasets.base import decode_labels
from engine.diagnostics import evaluation, units
from engine.diagnostics.flags import Flag
from engine.diagnostics.landscape import Landscape
from engine.diagnostics.stats import QUANTITIES
from engine.diagnostics.tracker import DiagnosticsTracker, Snapshot
from engine.network import Network
from engine.training import Trainer

GRID_RESOLUTION = 50  # the decision boundary's (app/sessions/session.py boundary)


def _floats(values: np.ndarray) -> list[float]:
    return values.astype(np.float64, copy=False).tolist()


def layers(snapshot: Snapshot) -> list[schemas.LayerDiagnostics]:
    out = []
    for stats, histograms in zip(snapshot.measurement.layers, snapshot.histograms, strict=True):
        out.append(
            schemas.LayerDiagnostics.model_construct(
                layer=stats.layer,
                units=stats.units,
                activation=stats.activation,
                weight_norm=convert.number(stats.weight_norm),
                grad_norm=convert.number(stats.grad_norm),
                update_ratio=convert.number(stats.update_ratio),
                dead_fraction=stats.dead_fraction,
                saturated_fraction=stats.saturated_fraction,
                histograms={
                    q: schemas.Histogram.model_construct(edges=_floats(h.edges), counts=h.counts.tolist())
                    for q, h in histograms.items()
                },
            )
        )
    return out


def frame(snapshot: Snapshot) -> schemas.FrameDiagnostics:
    """The statistics a `state` event carries."""
    return schemas.FrameDiagnostics(pass_index=snapshot.pass_index, layers=layers(snapshot))


def flags(items: list[Flag]) -> list[schemas.HealthFlag]:
    return [
        schemas.HealthFlag(
            kind=f.kind,
            layer=f.layer,
            message=f.message,
            value=convert.number(f.value),
            threshold=f.threshold,
            lesson=f.lesson,
        )
        for f in items
    ]


def diagnostics(tracker: DiagnosticsTracker, snapshot: Snapshot, with_history: bool) -> schemas.Diagnostics:
    return schemas.Diagnostics(
        pass_index=snapshot.pass_index,
        layers=layers(snapshot),
        probe_size=tracker.probe.size,
        probe_loss=convert.number(snapshot.measurement.probe_loss),
        flags=flags(snapshot.flags),
        history=history(tracker) if with_history else None,
    )


def history(tracker: DiagnosticsTracker) -> schemas.DiagnosticsHistory:
    """Every recorded entry's scalars, and each layer's histograms on their current bins."""
    L = len(tracker.entries[-1].layers) if tracker.entries else 0

    def series(layer: int, name: str) -> list[float | None]:
        return [convert.number(v) for v in tracker.series(layer, name)]

    def optional(layer: int, name: str) -> list[float | None] | None:
        values = tracker.series(layer, name)
        return None if all(v is None for v in values) else [convert.number(v) for v in values]

    layer_series = [
        schemas.LayerHistory(
            layer=layer,
            weight_norm=series(layer, "weight_norm"),
            grad_norm=series(layer, "grad_norm"),
            update_ratio=series(layer, "update_ratio"),
            dead_fraction=optional(layer, "dead_fraction"),
            saturated_fraction=optional(layer, "saturated_fraction"),
        )
        for layer in range(1, L + 1)
    ]
    histograms: dict[str, list[schemas.HistogramHistory]] = {}
    for q in QUANTITIES:
        rows = []
        for layer in range(1, L + 1):
            edges, counts = tracker.histogram_history(layer, q)
            rows.append(
                schemas.HistogramHistory.model_construct(
                    layer=layer, edges=_floats(edges), counts=[c.tolist() for c in counts]
                )
            )
        histograms[q] = rows
    return schemas.DiagnosticsHistory(passes=tracker.passes, layers=layer_series, histograms=histograms)


# -- hidden units ------------------------------------------------------------------------------------------
def check_layer(network: Network, layer: int) -> None:
    if not 1 <= layer <= network.L:
        raise InvalidInput(
            f"layer must be from 1 to {network.L} (1 is the first hidden layer, {network.L} the output); got {layer}",
            field="layer",
        )


def unit_view(
    network: Network, dataset: Dataset, tracker: DiagnosticsTracker, layer: int
) -> schemas.UnitGrid | schemas.UnitProjection:
    """Layer `layer`'s units over the input plane (2 features), else the probe samples in its space."""
    check_layer(network, layer)
    if dataset.n_features == 2:
        norm = dataset.normalization
        grid = units.unit_grid(
            network, layer, dataset.raw_domain, norm.apply if norm is not None else None, GRID_RESOLUTION
        )
        return schemas.UnitGrid.model_construct(
            layer=layer, kind="grid", xs=_floats(grid.xs), ys=_floats(grid.ys), units=convert.array(grid.values)
        )
    probe = tracker.probe
    projection = tracker.projections.get(layer)
    if projection is None and network.sizes[layer] > 2:
        with np.errstate(over="ignore", invalid="ignore"):
            a = network.forward(probe.X).a[layer].astype(np.float64)
        projection = tracker.projections[layer] = units.fit_projection(a)
    scatter = units.unit_scatter(network, layer, probe.X, projection)
    if dataset.task == "classification":
        labels: list[int] | list[float] = decode_labels(probe.Y).tolist()
    else:
        labels = _floats(probe.Y[:, 0])
    return schemas.UnitProjection.model_construct(
        layer=layer,
        kind="projection",
        axes=scatter.axes,
        points=convert.array(scatter.points),
        labels=labels,
        explained=list(scatter.explained) if scatter.explained is not None else None,
    )


# -- landscape ---------------------------------------------------------------------------------------------
def landscape(result: Landscape, request: schemas.LandscapeRequest) -> schemas.Landscape:
    return schemas.Landscape(
        alphas=_floats(result.alphas),
        betas=_floats(result.betas),
        loss=convert.array(result.loss),
        path=result.path.tolist(),
        path_passes=result.path_passes,
        center_loss=convert.number(result.center_loss),
        slice=schemas.LandscapeSlice(steps=_floats(result.slice_steps), loss=convert.array(result.slice_loss)),
        pass_index=result.pass_index,
        resolution=request.resolution,
        span=request.span,
        seed=request.seed,
    )


# -- evaluation --------------------------------------------------------------------------------------------
def evaluate(network: Network, dataset: Dataset, trainer: Trainer) -> schemas.Evaluation:
    """Confusion matrices (classification) or R² and predicted-vs-actual pairs (regression), train and test."""
    X_train, Y_train, X_test, Y_test = trainer.X_train, trainer.Y_train, trainer.X_test, trainer.Y_test
    has_test = X_test.shape[0] > 0
    if dataset.task == "classification":
        k = dataset.n_classes
        return schemas.Evaluation(
            kind="classification",
            confusion=schemas.Confusion(
                train=evaluation.confusion(network, X_train, Y_train, k).tolist(),
                test=evaluation.confusion(network, X_test, Y_test, k).tolist() if has_test else None,
                classes=list(dataset.class_names or ()),
            ),
            pass_index=trainer.pass_index,
        )
    train = evaluation.regression(network, X_train, Y_train)
    test = evaluation.regression(network, X_test, Y_test) if has_test else None
    return schemas.Evaluation(
        kind="regression",
        r2=schemas.RSquared(train=convert.number(train.r2), test=convert.number(test.r2) if test else None),
        pairs=schemas.Pairs(train=convert.array(train.pairs), test=convert.array(test.pairs) if test else None),
        pass_index=trainer.pass_index,
    )
