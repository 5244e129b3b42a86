"""Building a session from a request: the defaults come from the engine's catalog and the data, the limits are
checked before anything is built, and every refusal names the field."""

from __future__ import annotations

import pytest

from app import schemas
from app.errors import InvalidInput
from app.sessions.building import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_DATASET,
    build,
    check_architecture,
    init_spec,
    load_dataset,
    training_config,
)
from engine.catalog import default_activations, default_loss
from engine.datasets import parse_csv
from engine.network import Network


def request(**fields) -> schemas.SessionCreate:
    return schemas.SessionCreate(**fields)


def no_uploads(dataset_id: str):
    raise AssertionError(f"no upload expected, asked for {dataset_id}")


@pytest.mark.parametrize(
    ("fields", "activations", "loss"),
    [
        ({"layers": [2, 8, 1]}, ["tanh", "sigmoid"], "bce"),  # the default data set: xor, two classes
        ({"layers": [2, 4, 3], "dataset": {"builtin": "gaussian", "classes": 3}}, ["tanh", "softmax"], "cross_entropy"),
        ({"layers": [1, 6, 6, 1], "dataset": {"builtin": "sine"}}, ["tanh", "tanh", "linear"], "mse"),
        ({"layers": [2, 4, 1], "activations": ["relu", "tanh"]}, ["relu", "tanh"], "mse"),
    ],
    ids=["binary", "multiclass", "regression", "given-activations"],
)
def test_defaults_are_the_catalogs_for_the_data(settings, fields, activations, loss):
    parts = build(request(**fields), settings, no_uploads)
    assert parts.config.activations == activations
    assert parts.config.loss == loss
    n_layers = len(fields["layers"]) - 1
    if "activations" not in fields:
        assert activations == default_activations(n_layers, parts.dataset.task, fields["layers"][-1])
    assert loss == default_loss(activations[-1])


def test_the_default_data_set_and_batch_size(settings):
    parts = build(request(layers=[2, 3, 1]), settings, no_uploads)
    assert parts.config.dataset == DEFAULT_DATASET
    assert parts.dataset.name == "xor" and parts.dataset.n_train + parts.dataset.n_test == 200
    assert parts.config.batch_size == DEFAULT_BATCH_SIZE
    tiny = {"inputs": [[0.0], [1.0], [2.0]], "targets": [0.0, 1.0, 2.0]}
    assert build(request(layers=[1, 1], dataset=tiny), settings, no_uploads).config.batch_size == 3  # all rows


def test_the_parts_are_the_engine_objects_the_request_asks_for(settings):
    body = request(
        layers=[2, 3, 1],
        optimizer={"name": "adam", "learning_rate": 0.01},
        regularization={"kind": "l2", "rate": 0.1},
        batch_size=4,
        focus=5,
        dtype="float32",
    )
    parts = build(body, settings, no_uploads)
    trainer = parts.stepper.trainer
    assert trainer.network.sizes == [2, 3, 1] and trainer.network.dtype_name == "float32"
    assert trainer.config.optimizer.name == "adam" and trainer.config.optimizer.learning_rate == 0.01
    assert (trainer.config.regularization.kind, trainer.config.regularization.rate) == ("l2", 0.1)
    assert trainer.config.batch_size == 4
    assert parts.stepper.focus == 5
    assert trainer.X_train.shape[0] == parts.dataset.n_train


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"layers": [3, 4, 1]}, "dataset", "default data set"),
        ({"layers": [3, 1], "dataset": {"builtin": "xor"}}, "layers", "make the input layer 2 wide"),
        ({"layers": [2, 4, 3]}, "layers", "output layer"),
        ({"layers": [2, 4, 1], "activations": ["tanh"]}, "activations", "one name per non-input layer"),
        ({"layers": [2, 4, 1], "focus": 10_000}, "focus", "training set"),
        (
            {"layers": [1, 1], "dataset": {"inputs": [[0.0], [1.0]], "targets": [0, 1], "test_fraction": 0.9}},
            "dataset",
            "lower test_fraction",
        ),
    ],
)
def test_refusals_name_the_field(settings, fields, field, words):
    with pytest.raises(InvalidInput) as info:
        build(request(**fields), settings, no_uploads)
    assert info.value.field == field
    assert words in info.value.message


@pytest.mark.parametrize("layers", [[2, 1], [2, 8, 1], [5, 7, 3, 2], [784, 64, 10]])
def test_the_parameter_limit_counts_as_the_built_network_does(settings, layers):
    count = Network.build(layers).parameter_count
    check_architecture(layers, settings.model_copy(update={"max_parameters": count}))  # at the limit: fine
    with pytest.raises(InvalidInput) as info:
        check_architecture(layers, settings.model_copy(update={"max_parameters": count - 1}))
    assert f"this network has {count:,} weights and biases" in info.value.message
    assert info.value.field == "layers"


def test_layer_count_and_width_are_checked_first(settings):
    with pytest.raises(InvalidInput, match="BACKPROP_VIZ_MAX_LAYERS"):
        check_architecture([2] * (settings.max_layers + 1), settings)
    with pytest.raises(InvalidInput, match=r"layers\[1\] is 0"):
        check_architecture([2, 0, 1], settings)
    with pytest.raises(InvalidInput, match="BACKPROP_VIZ_MAX_LAYER_WIDTH"):
        check_architecture([2, settings.max_layer_width + 1, 1], settings)


def test_load_dataset_reads_each_kind_of_spec(settings):
    builtin = load_dataset(schemas.BuiltinDataset(builtin="moons", samples=50, seed=3), settings, no_uploads)
    assert builtin.name == "moons" and builtin.n_train + builtin.n_test == 50
    table = parse_csv(b"a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n", name="t.csv")
    uploaded = load_dataset(schemas.UploadedDataset(id="t", test_fraction=0), settings, {"t": table}.__getitem__)
    assert uploaded.name == "t.csv" and uploaded.class_names == ("x", "y") and uploaded.n_train == 4
    inline = load_dataset(schemas.InlineDataset(inputs=[[1.0], [2.0]], targets=[3.0, 4.0]), settings, no_uploads)
    assert inline.task == "regression" and inline.Y_train.tolist() == [[3.0], [4.0]]


def test_load_dataset_refusals_name_the_field(settings):
    over = settings.max_builtin_samples + 1
    with pytest.raises(InvalidInput) as info:
        load_dataset(schemas.BuiltinDataset(builtin="xor", samples=over), settings, no_uploads)
    assert info.value.field == "dataset.samples" and "BACKPROP_VIZ_MAX_BUILTIN_SAMPLES" in info.value.message
    with pytest.raises(InvalidInput) as info:
        load_dataset(schemas.InlineDataset(inputs=[[1.0, 2.0], [3.0]], targets=[1.0, 2.0]), settings, no_uploads)
    assert info.value.field == "dataset"


def test_init_and_training_config_carry_every_value():
    explicit = init_spec(schemas.ExplicitInit(weights=[[[0.5, -0.5]]], biases=[[0.25]]))
    assert explicit.weights == [[[0.5, -0.5]]] and explicit.biases == [[0.25]]
    scheme = init_spec(schemas.InitScheme(scheme="uniform", seed=7, low=-0.1, high=0.2))
    assert (scheme.scheme, scheme.seed, scheme.low, scheme.high) == ("uniform", 7, -0.1, 0.2)
    config = training_config(
        schemas.OptimizerSpec(name="momentum", learning_rate=0.3, momentum=0.8),
        16,
        schemas.RegularizationSpec(kind="l1", rate=0.01),
    )
    assert config.optimizer.to_dict()["momentum"] == 0.8 and config.optimizer.learning_rate == 0.3
    assert config.batch_size == 16
    assert (config.regularization.kind, config.regularization.rate) == ("l1", 0.01)
