"""The catalog is built from the engine's registries, so it names exactly what the engine accepts."""

from __future__ import annotations

import pytest

from engine.activations import ACTIVATIONS
from engine.catalog import catalog, default_activations, default_loss, default_output_activation
from engine.losses import CLOSED_FORM_DELTA, LOSSES, check_pairing
from engine.network import Network
from engine.optimizers import OPTIMIZERS


def test_catalog_lists_every_registered_activation_loss_and_optimizer() -> None:
    cat = catalog()
    assert [e.name for e in cat.activations] == list(ACTIVATIONS)
    assert [e.name for e in cat.losses] == list(LOSSES)
    assert [e.name for e in cat.optimizers] == list(OPTIMIZERS)


def test_every_activation_has_a_label_a_short_name_and_both_formulas() -> None:
    for entry in catalog().activations:
        assert entry.label and entry.short and entry.tex and entry.derivative_tex, entry.name


def test_softmax_is_offered_for_the_output_layer_only() -> None:
    hidden = {e.name: e.hidden for e in catalog().activations}
    assert hidden["softmax"] is False
    assert hidden["sigmoid"] is True


def test_closed_form_pairings_are_the_losses_own() -> None:
    pairs = {(p.activation, p.loss) for p in catalog().closed_form_deltas}
    assert pairs == set(CLOSED_FORM_DELTA) == {("sigmoid", "bce"), ("softmax", "cross_entropy")}


@pytest.mark.parametrize(
    ("task", "n_outputs", "expected"),
    [("classification", 1, "sigmoid"), ("classification", 3, "softmax"), ("regression", 1, "linear")],
)
def test_default_output_activation_suits_the_task(task: str, n_outputs: int, expected: str) -> None:
    assert default_output_activation(task, n_outputs) == expected
    assert default_activations(3, task, n_outputs) == ["tanh", "tanh", expected]


def test_every_default_pairing_is_one_the_engine_builds() -> None:
    for act in ("sigmoid", "softmax", "linear", "tanh"):
        loss = default_loss(act)
        check_pairing(ACTIVATIONS[act], LOSSES[loss])  # raises if the engine would refuse it
        Network.build([2, 3], [act], loss=loss)
    assert default_loss("sigmoid") == "bce"
    assert default_loss("linear") == "mse"


def test_the_catalog_says_what_the_page_would_otherwise_infer_from_names() -> None:
    cat = catalog()
    activations = {e.name: e for e in cat.activations}
    assert activations["softmax"].elementwise is False and activations["sigmoid"].elementwise is True
    assert {e.name: e.seed_rule for e in cat.optimizers} == {"sgd": True, "momentum": False, "adam": False}
    assert {e.name: e.hyperparameters for e in cat.regularizations} == {"none": (), "l1": ("rate",), "l2": ("rate",)}
    assert all(e.derivative_tex.startswith(r"\frac{\partial J}{\partial a_k}") for e in cat.losses)
    assert (cat.default_optimizer, cat.default_initializer, cat.default_regularization) == ("sgd", "xavier", "none")
