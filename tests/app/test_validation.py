"""Problems in what a user sent as one sentence and a field, spelled the same for REST bodies, WebSocket commands
and imported documents."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from app import schemas
from app.validation import MAX_PROBLEMS, describe_errors, field_in_message, location


def errors_of(model, value) -> list:
    with pytest.raises(ValidationError) as info:
        TypeAdapter(model).validate_python(value)
    return info.value.errors()


@pytest.mark.parametrize(
    ("loc", "field"),
    [
        (("body", "layers", 0), "layers[0]"),
        (("query", "token"), "token"),
        (("optimizer", "name"), "optimizer.name"),
        (("init", "weights", 0, 1, 2), "init.weights[0][1][2]"),
        (("speed", "float"), "speed"),
        (("speed", "literal['max']"), "speed"),
        (("config", "layers", 0), "config.layers[0]"),
        ((), "body"),
        (("body",), "body"),
    ],
)
def test_a_location_is_the_field_as_the_user_wrote_it(loc, field):
    assert location(loc) == field


def test_an_empty_location_is_named_for_the_whole_value():
    assert location((), whole="command") == "command"


def test_a_request_body_becomes_one_sentence_naming_the_first_field():
    errors = errors_of(schemas.SessionCreate, {"layers": [2, "x", 1], "batch_size": 0})
    detail, field = describe_errors(errors)
    assert detail == (
        "layers[1]: Input should be a valid integer; batch_size: Input should be greater than or equal to 1"
    )
    assert field == "layers[1]"


def test_a_command_is_described_without_its_type_tag_and_union_member_names():
    errors = errors_of(schemas.ClientCommand, {"type": "play", "speed": "fast"})
    assert errors[0]["loc"][0] == "play"
    detail, field = describe_errors(errors, whole="command", skip=1)
    assert field == "speed"
    assert (
        detail
        == "speed: Input should be a valid number, unable to parse string as a number; speed: Input should be 'max'"
    )


def test_past_the_limit_problems_are_marked_not_listed():
    errors = [{"loc": ("body", f"f{i}"), "msg": "bad"} for i in range(MAX_PROBLEMS + 2)]
    detail, field = describe_errors(errors)
    assert detail == "; ".join(f"f{i}: bad" for i in range(MAX_PROBLEMS)) + " …"
    assert field == "f0"
    assert describe_errors([]) == ("", None)


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ("unknown activation 'selu'", "activations"),
        ("weights of layer 1 have shape 1 × 2, expected 2 × 2", "weights"),
        ("learning_rate must be positive", "learning_rate"),
        ("something else entirely", None),
    ],
)
def test_an_engine_message_is_pinned_to_the_field_it_names(message, field):
    assert field_in_message(message) == field
