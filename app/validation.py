"""Problems in what a user sent, as one sentence they can act on and the field it is about.

REST bodies (app/main.py), WebSocket commands (app/api/routes/ws.py) and imported session documents
(app/sessions/export.py) all answer pydantic's errors as `{"detail", "field"}` through `describe_errors`, so a
field is spelled one way everywhere: `optimizer.name`, `layers[1]`. `field_in_message` does the same for the
engine's own refusals (a ValueError's message), which carry no location.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

MAX_PROBLEMS = 5  # named in one sentence; more are marked with " …"
TRANSPORT = frozenset({"body", "query", "path"})  # where FastAPI found the value: not part of the field
# The names pydantic gives the members of a union such as `float | Literal["max"]` ("literal['max']" has a "[").
UNION_MEMBERS = frozenset({"float", "int", "str", "bool", "none"})
# Words of engine messages, and the request field each one is about (the first found wins).
ENGINE_FIELDS = {
    "activation_options": "activation_options",
    "activation": "activations",
    "loss": "loss",
    "weights": "weights",
    "biases": "biases",
    "layers": "layers",
    "learning_rate": "learning_rate",
    "batch_size": "batch_size",
    "focus": "focus",
}


def location(loc: Sequence[int | str], whole: str = "body") -> str:
    """A pydantic error location as the field a user wrote: ('body', 'layers', 0) → 'layers[0]', ('optimizer',
    'name') → 'optimizer.name'. Where FastAPI found the value (body, query, path) is left out, and the location
    stops at a union member's name (('speed', 'float') → 'speed'); `whole` names an empty location."""
    out = ""
    for index, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif index == 0 and part in TRANSPORT:
            continue
        elif part in UNION_MEMBERS or "[" in part:
            break
        else:
            out += f".{part}" if out else part
    return out or whole


def describe_errors(
    errors: Sequence[Mapping[str, Any]], *, whole: str = "body", skip: int = 0
) -> tuple[str, str | None]:
    """pydantic's errors as one sentence ('layers[0]: Input should be greater than 0; loss: …') and the field the
    first one is about. `skip` leaves out leading location parts (a command's type tag); `whole` names the
    location of an error about the whole value."""
    where = [location(tuple(error.get("loc", ()))[skip:], whole) for error in errors]
    problems = [f"{field}: {error.get('msg', 'invalid value')}" for field, error in zip(where, errors, strict=True)]
    more = " …" if len(problems) > MAX_PROBLEMS else ""
    return "; ".join(problems[:MAX_PROBLEMS]) + more, where[0] if where else None


def field_in_message(message: str) -> str | None:
    """Best guess of the request field an engine message is about (the engine's errors name no field)."""
    for word, field in ENGINE_FIELDS.items():
        if word in message:
            return field
    return None
