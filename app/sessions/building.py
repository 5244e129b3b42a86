"""Building a session from a request: fill in the defaults, check the limits, make the engine objects.

Each refusal is an InvalidInput naming the request field that is wrong. `build` answers the parts a session is
made of; `Session.create` gives them an id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app import schemas
from app.config import Settings
from app.errors import InvalidInput
from app.validation import field_in_message
from engine.catalog import default_activations, default_loss
from engine.datasets import Dataset, DatasetError, Table, inline_dataset, make_builtin, table_to_dataset
from engine.initializers import InitSpec
from engine.network import Network, parameter_count
from engine.optimizers import OptimizerConfig
from engine.regularization import Regularization
from engine.stepper import Stepper
from engine.training import Trainer, TrainingConfig

DEFAULT_DATASET = schemas.BuiltinDataset(builtin="xor", samples=200)
DEFAULT_BATCH_SIZE = 10

TableLookup = Callable[[str], Table]  # an uploaded data set's id → its parsed table (SessionRegistry.lookup_table)


@dataclass(frozen=True)
class SessionParts:
    """What a session is made of: its configuration with the defaults filled in, its data, and the stepper
    (which holds the trainer: network, optimizer, batches, history)."""

    config: schemas.SessionConfig
    dataset: Dataset
    stepper: Stepper


def build(body: schemas.SessionCreate, settings: Settings, lookup: TableLookup) -> SessionParts:
    """Fill defaults, check limits, build the engine objects; InvalidInput names the field that is wrong."""
    check_architecture(body.layers, settings)
    spec = body.dataset or DEFAULT_DATASET
    if body.dataset is None and body.layers[0] != 2:
        raise InvalidInput(
            f"layers[0] is {body.layers[0]} but the default data set (xor) has 2 features; "
            "give a 'dataset' or start the layers with 2",
            field="dataset",
        )
    dataset = load_dataset(spec, settings, lookup)
    if dataset.n_features != body.layers[0]:
        raise InvalidInput(
            f"the data set has {dataset.n_features} features but layers[0] is {body.layers[0]}; "
            f"make the input layer {dataset.n_features} wide",
            field="layers",
        )
    try:
        dataset = dataset.with_output_width(body.layers[-1])
    except DatasetError as exc:
        raise InvalidInput(str(exc), field="layers") from None
    n_layers = len(body.layers) - 1
    activations = list(body.activations or default_activations(n_layers, dataset.task, body.layers[-1]))
    loss = body.loss or default_loss(activations[-1])
    batch_size = body.batch_size or min(DEFAULT_BATCH_SIZE, dataset.X_train.shape[0])
    try:
        network = Network.build(
            body.layers, activations, loss, init_spec(body.init), body.dtype, activation_options=body.activation_options
        )
    except ValueError as exc:
        raise InvalidInput(str(exc), field=field_in_message(str(exc))) from None
    if dataset.X_train.shape[0] == 0:
        raise InvalidInput("the data set has no training rows; lower test_fraction", field="dataset")
    if body.focus >= dataset.X_train.shape[0]:
        raise InvalidInput(
            f"focus is {body.focus} but the training set has {dataset.X_train.shape[0]} samples "
            f"(0 to {dataset.X_train.shape[0] - 1})",
            field="focus",
        )
    config = schemas.SessionConfig(
        layers=body.layers,
        activations=activations,
        activation_options=network.activation_options,
        loss=loss,
        optimizer=body.optimizer,
        batch_size=batch_size,
        regularization=body.regularization,
        dtype=body.dtype,
        init=body.init,
        dataset=spec,
        seed=body.seed,
    )
    try:
        trainer = Trainer(
            network,
            dataset.X_train,
            dataset.Y_train,
            X_test=dataset.X_test,
            Y_test=dataset.Y_test,
            config=training_config(body.optimizer, batch_size, body.regularization),
            seed=body.seed,
            classification=dataset.task == "classification",
            history_bytes=settings.history_bytes,
        )
    except ValueError as exc:  # e.g. data beyond float32's range
        raise InvalidInput(str(exc), field="dataset") from None
    return SessionParts(config, dataset, Stepper(trainer, focus=body.focus))


def load_dataset(spec: schemas.DatasetSpec, settings: Settings, lookup: TableLookup) -> Dataset:
    """The engine data set a spec names; DatasetError becomes a 422 naming the dataset field."""
    try:
        if isinstance(spec, schemas.BuiltinDataset):
            if spec.samples is not None and spec.samples > settings.max_builtin_samples:
                raise InvalidInput(
                    f"dataset.samples is {spec.samples}; the limit is {settings.max_builtin_samples} "
                    "(BACKPROP_VIZ_MAX_BUILTIN_SAMPLES)",
                    field="dataset.samples",
                )
            options: dict[str, Any] = {"test_fraction": spec.test_fraction, "seed": spec.seed}
            for name in ("samples", "noise", "classes"):
                if getattr(spec, name) is not None:
                    options[name] = getattr(spec, name)
            return make_builtin(spec.builtin, **options)
        if isinstance(spec, schemas.UploadedDataset):
            return table_to_dataset(lookup(spec.id), test_fraction=spec.test_fraction, seed=spec.seed)
        return inline_dataset(
            spec.inputs, spec.targets, task=spec.task, test_fraction=spec.test_fraction, seed=spec.seed
        )
    except DatasetError as exc:
        raise InvalidInput(str(exc), field="dataset") from None


def check_architecture(layers: list[int], settings: Settings) -> None:
    """Refuse layer sizes over this server's limits (layers, width, weights and biases), before anything is built."""
    if len(layers) > settings.max_layers:
        raise InvalidInput(
            f"layers has {len(layers)} sizes; at most {settings.max_layers} are allowed (BACKPROP_VIZ_MAX_LAYERS)",
            field="layers",
        )
    for index, width in enumerate(layers):
        if width < 1:
            raise InvalidInput(f"layers[{index}] is {width}; every layer needs at least 1 neuron", field="layers")
        if width > settings.max_layer_width:
            raise InvalidInput(
                f"layers[{index}] is {width}; the widest allowed is {settings.max_layer_width} "
                "(BACKPROP_VIZ_MAX_LAYER_WIDTH)",
                field="layers",
            )
    params = parameter_count(layers)
    if params > settings.max_parameters:
        raise InvalidInput(
            f"this network has {params:,} weights and biases; the limit is {settings.max_parameters:,} "
            "(BACKPROP_VIZ_MAX_PARAMETERS): use fewer or narrower layers",
            field="layers",
        )


def init_spec(init: schemas.InitScheme | schemas.ExplicitInit) -> InitSpec:
    """The engine's initialization for a request's: a named scheme, or the weights given."""
    if isinstance(init, schemas.ExplicitInit):
        return InitSpec(weights=init.weights, biases=init.biases)
    return InitSpec(scheme=init.scheme, seed=init.seed, low=init.low, high=init.high)


def training_config(
    optimizer: schemas.OptimizerSpec, batch_size: int, reg: schemas.RegularizationSpec
) -> TrainingConfig:
    """The engine's hyperparameters for a request's (or an export's) optimizer, batch size and regularization."""
    return TrainingConfig(
        OptimizerConfig(**optimizer.model_dump()),
        batch_size,
        Regularization(reg.kind, reg.rate),
    )
