"""A session as one document and back: `document` holds everything needed to continue, `parts_from_export`
rebuilds exactly that state, and a document that is not an export, or is inconsistent, is refused naming the
part that is wrong (with fields spelled as in every other 422)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from app import schemas
from app.errors import InvalidInput
from app.sessions.export import document, parts_from_export, validated_export


@pytest.fixture
def session(make_session):
    """Adam, mid-pass (three phases shown), with a learning rate waiting for the pass to end."""
    session = make_session(optimizer={"name": "adam", "learning_rate": 0.02}, focus=3)
    session.step("pass", 6)
    session.step("phase", 3)
    session.patch(schemas.SessionPatch(learning_rate=0.005))
    return session


def test_a_document_rebuilds_the_exact_state(session, settings):
    doc = document(session.config, session.dataset, session.stepper)
    assert doc["format"] == schemas.EXPORT_FORMAT and doc["version"] == schemas.EXPORT_VERSION
    assert (doc["position"], doc["focus"]) == (3, 3)
    assert doc["pending_config"]["optimizer"]["learning_rate"] == 0.005
    parts = parts_from_export(doc, settings)
    stepper = parts.stepper
    assert stepper.position == 3 and stepper.focus == 3
    assert stepper.pending_config.optimizer.learning_rate == 0.005
    for W, W_copy in zip(session.network.W, stepper.trainer.network.W, strict=True):
        assert np.array_equal(W, W_copy)
    assert document(parts.config, parts.dataset, stepper) == doc
    # and both go on identically: the open pass with the old rate, the next one with the new
    a, b = session.stepper.step("pass", 2), stepper.step("pass", 2)
    losses_a = [r.loss for r in a.records if r.phase == "loss"]
    assert losses_a and losses_a == [r.loss for r in b.records if r.phase == "loss"]
    for W, W_copy in zip(session.network.W, stepper.trainer.network.W, strict=True):
        assert np.array_equal(W, W_copy)


def test_the_store_keeps_the_data_apart(session):
    whole = document(session.config, session.dataset, session.stepper)
    without = document(session.config, session.dataset, session.stepper, include_dataset=False)
    assert "dataset" not in without
    assert without == {k: v for k, v in whole.items() if k != "dataset"}


@pytest.mark.parametrize(
    ("doc", "field", "words"),
    [
        ([1, 2], "format", "'format' is 'list'"),
        ({"format": "keras"}, "format", "'keras'"),
        ({"format": schemas.EXPORT_FORMAT, "version": 2}, "version", "version 2"),
    ],
)
def test_a_foreign_document_is_refused(doc, field, words):
    with pytest.raises(InvalidInput) as info:
        validated_export(doc)
    assert info.value.field == field and words in info.value.message


def test_a_malformed_document_names_its_fields_as_requests_do(session):
    doc = session.export()
    doc["config"]["layers"][0] = "two"
    doc["focus"] = -1
    with pytest.raises(InvalidInput) as info:
        validated_export(doc)
    assert info.value.field == "config.layers[0]"
    assert info.value.message == (
        "the export document is malformed: config.layers[0]: Input should be a valid integer, unable to parse "
        "string as an integer; focus: Input should be greater than or equal to 0"
    )


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("trainer", "state", "sampler", "cursor"), 10_000, "trainer.state.sampler"),
        (("trainer", "state", "optimizer", "t"), -1, "trainer.state.optimizer"),
        (("config", "layers"), [2, 5, 1], "trainer.network"),
        (("position",), 6, "position"),
        (("focus",), 10_000, "focus"),
    ],
)
def test_an_inconsistent_document_is_refused_naming_the_part(session, settings, path, value, field):
    doc = copy.deepcopy(session.export())
    *parents, last = path
    target = doc
    for key in parents:
        target = target[key]
    target[last] = value
    with pytest.raises(InvalidInput) as info:
        parts_from_export(doc, settings)
    assert info.value.field == field


def test_an_import_is_held_to_this_servers_limits(session, settings):
    doc = session.export()
    with pytest.raises(InvalidInput, match="BACKPROP_VIZ_MAX_LAYER_WIDTH"):
        parts_from_export(doc, settings.model_copy(update={"max_layer_width": 3}))
