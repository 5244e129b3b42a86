"""A session as one JSON document (schemas.SessionExport) and back, for export/import and for the store.

`document` writes everything needed to continue elsewhere; `parts_from_export` checks a document as an import
must be checked and rebuilds the parts of a session from it. A document that is not an export, or is
inconsistent, is an InvalidInput (422) naming the part that is wrong.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import ConfigDict, TypeAdapter, ValidationError

from app import schemas
from app.config import Settings
from app.errors import InvalidInput
from app.sessions.building import SessionParts, check_architecture, check_budget, training_config
from app.validation import describe_errors
from engine import serialization
from engine.datasets import Dataset, DatasetError
from engine.stepper import Stepper
from engine.training import Trainer, TrainingConfig

# What a malformed part of a document makes the engine's readers raise.
MALFORMED = (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError)


def document(
    config: schemas.SessionConfig,
    dataset: Dataset,
    stepper: Stepper,
    include_dataset: bool = True,
    include_history: bool = True,
) -> dict[str, Any]:
    """Config, weights, optimizer state, batches, counters, metrics, the focus, the open pass and the data
    (left out with `include_dataset=False`: the store keeps it apart, as it never changes; and the loss history's
    points with `include_history=False`: the store writes them as they come), JSON-safe."""
    trainer = stepper.trainer
    trainer_doc = serialization.trainer_to_dict(trainer, initial=stepper.initial, metrics_points=include_history)
    if stepper.position > 0:
        # An open pass has drawn its batch already: save the keyframe at its start and replay the
        # shown phases on import instead.
        frame = trainer.history.latest_at_or_before(trainer.pass_index)
        assert frame is not None and frame.pass_index == trainer.pass_index, "open pass without keyframe"
        trainer_doc["state"] = serialization.checkpoint_to_dict(frame)
    pending = stepper.pending_config
    return {
        "format": schemas.EXPORT_FORMAT,
        "version": schemas.EXPORT_VERSION,
        "config": config.model_dump(mode="json", by_alias=True),
        "focus": stepper.focus,
        "focus_split": stepper.focus_split,
        "position": stepper.position,
        "pending_config": None if pending is None else pending_to_dict(pending),
        "trainer": trainer_doc,
        **({"dataset": serialization.dataset_to_dict(dataset)} if include_dataset else {}),
    }


def pending_to_dict(config: TrainingConfig) -> dict[str, Any]:
    """Hyperparameters waiting for the open pass to end, as the export's `pending_config`."""
    return {
        "optimizer": config.optimizer.to_dict(),
        "batch_size": config.batch_size,
        "regularization": {"kind": config.regularization.kind, "rate": config.regularization.rate},
    }


def parts_from_export(doc: dict[str, Any] | schemas.SessionExport, settings: Settings) -> SessionParts:
    """The parts of a session in exactly the exported state, after every check an import gets."""
    if not isinstance(doc, schemas.SessionExport):
        doc = validated_export(doc)
    config = doc.config
    check_architecture(config.layers, settings)
    check_budget(config.layers, config.optimizer.name, config.dtype, settings)
    try:
        dataset = serialization.dataset_from_dict(doc.dataset.model_dump())
    except DatasetError as exc:
        raise InvalidInput(f"dataset: {exc}", field="dataset") from None
    trainer = trainer_from_export(doc.trainer, dataset, settings)
    network = trainer.network
    built = (network.sizes, [a.name for a in network.activations], network.loss.name, network.dtype_name)
    expected = (config.layers, list(config.activations), config.loss, config.dtype)
    if tuple(built) != expected or network.activation_options != config.activation_options:
        raise InvalidInput(
            f"trainer.network (layers {built[0]}, activations {built[1]}, loss {built[2]}, dtype {built[3]}) "
            f"does not match config (layers {expected[0]}, activations {expected[1]}, loss {expected[2]}, "
            f"dtype {expected[3]}) or its activation options ({network.activation_options} against "
            f"{config.activation_options}); export the session again",
            field="trainer.network",
        )
    try:
        initial = serialization.initial_from_dict(doc.trainer, trainer)
    except MALFORMED as exc:
        raise InvalidInput(f"trainer.initial is malformed ({type(exc).__name__}: {exc})", field="trainer") from None
    size = dataset.n_test if doc.focus_split == "test" else dataset.n_train
    if doc.focus >= size:
        split = "test" if doc.focus_split == "test" else "training"
        raise InvalidInput(f"focus is {doc.focus} but the {split} set has {size} samples", field="focus")
    stepper = Stepper(trainer, focus=doc.focus, initial=initial, focus_split=doc.focus_split)
    if doc.position >= stepper.phases_per_pass:
        raise InvalidInput(
            f"position is {doc.position}; a pass of this network has phases 0 to {stepper.phases_per_pass - 1}",
            field="position",
        )
    if doc.position > 0:
        replay = stepper.step("phase", doc.position)
        if replay.diverged is not None or len(replay.records) != doc.position:
            raise InvalidInput("the open pass cannot be replayed: its loss is not finite", field="position")
    if doc.pending_config is not None:
        pending = doc.pending_config
        stepper.apply_config(training_config(pending.optimizer, pending.batch_size, pending.regularization))
    return SessionParts(config, dataset, stepper)


def validated_export(doc: Any) -> schemas.SessionExport:
    """The document as a SessionExport, or InvalidInput saying what is wrong with it (the first few problems)."""
    if not isinstance(doc, dict) or doc.get("format") != schemas.EXPORT_FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
        raise InvalidInput(
            f"this is not a backprop-viz session export (its 'format' is {found!r}, expected "
            f"{schemas.EXPORT_FORMAT!r}); import a document saved from GET /api/sessions/{{id}}/export",
            field="format",
        )
    if doc.get("version") != schemas.EXPORT_VERSION:
        raise InvalidInput(
            f"this export has version {doc.get('version')!r}; this server reads version {schemas.EXPORT_VERSION}",
            field="version",
        )
    dataset = doc.get("dataset")
    big = {}
    if isinstance(dataset, dict):  # the data's matrices are validated apart, in slices (below)
        big = {k: dataset[k] for k in _MATRICES if isinstance(dataset.get(k), list) and len(dataset[k]) > _ROWS}
        doc = {**doc, "dataset": {**dataset, **{name: [] for name in big}}}
    try:
        export = schemas.SessionExport.model_validate(doc)
        if not big:
            return export
        rows = {name: _validated_rows(name, matrix) for name, matrix in big.items()}
    except ValidationError as exc:
        detail, field = describe_errors(exc.errors(), whole="document")
        raise InvalidInput(f"the export document is malformed: {detail}", field=field) from None
    return export.model_copy(update={"dataset": export.dataset.model_copy(update=rows)})


# A large data set's matrices are validated a slice of rows at a time, so that no single validation call holds
# the interpreter lock for long (a worker thread then lets the event loop in between): the same checks and errors.
_MATRICES = ("X_train", "Y_train", "X_test", "Y_test")
_ROWS = 2048
_MATRIX: TypeAdapter[list[list[float]]] = TypeAdapter(list[list[float]], config=ConfigDict(allow_inf_nan=False))


def _validated_rows(name: str, matrix: list[Any]) -> list[list[float]]:
    out: list[list[float]] = []
    for start in range(0, len(matrix), _ROWS):
        try:
            out += _MATRIX.validate_python(matrix[start : start + _ROWS])
        except ValidationError as exc:
            errors = [{**e, "loc": ("dataset", name, start + e["loc"][0], *e["loc"][1:])} for e in exc.errors()]
            raise ValidationError.from_exception_data("SessionExport", errors) from None  # type: ignore[arg-type]
    return out


def trainer_from_export(doc: dict[str, Any], dataset: Dataset, settings: Settings) -> Trainer:
    """The engine trainer of an export, with the checks the engine leaves to its callers (batch positions)."""
    try:
        trainer = serialization.trainer_from_dict(
            doc,
            dataset.X_train,
            dataset.Y_train,
            dataset.X_test,
            dataset.Y_test,
            history_bytes=settings.history_bytes,
        )
    except MALFORMED as exc:
        raise InvalidInput(f"trainer is malformed ({type(exc).__name__}: {exc})", field="trainer") from None
    check_architecture(trainer.network.sizes, settings)
    sampler = trainer.sampler
    order = sampler.order
    counters = (sampler.cursor, sampler.epoch, trainer.pass_index, trainer.optimizer.t)
    if not all(isinstance(c, int) and not isinstance(c, bool) for c in counters):
        raise InvalidInput(
            "trainer.state: pass_index, optimizer.t, sampler.cursor and sampler.epoch must be whole numbers",
            field="trainer.state",
        )
    valid_order = order is None or (
        order.shape == (sampler.n,) and np.array_equal(np.sort(order), np.arange(sampler.n))
    )
    if not (0 <= sampler.cursor < sampler.n and sampler.epoch >= 0 and trainer.pass_index >= 0 and valid_order):
        raise InvalidInput(
            "trainer.state.sampler does not fit the data set (cursor, epoch or order out of range)",
            field="trainer.state.sampler",
        )
    if order is None and sampler.cursor > 0 and not sampler.full_batch:
        raise InvalidInput("trainer.state.sampler has a cursor but no order", field="trainer.state.sampler")
    if trainer.optimizer.t < 0:
        raise InvalidInput("trainer.state.optimizer.t must be ≥ 0", field="trainer.state.optimizer")
    return trainer
