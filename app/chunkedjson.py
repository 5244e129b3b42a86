"""JSON read and written in small pieces, so that a large document never holds the interpreter lock for long.

A worker thread keeps a large parse off the event loop only between C calls: `json.loads` of a 30 MB session
document is one call that holds the GIL for a second or more, and the event loop (health checks, WebSockets,
every other request) waits all that while. Here the document's containers are walked in Python and each row of
a matrix, each flat vector, each scalar is one C call (`JSONDecoder.raw_decode`, `JSONEncoder.encode`), so the
loop gets the GIL back every few milliseconds (the interpreter's switch interval); a part of at most SMALL values is
written in one call, which is brief and several times cheaper than the walk. The text and the objects are
exactly those of `json.loads` / `json.dumps(separators=(",", ":"), allow_nan=False)`; NaN and Infinity, which
JSON does not have, are refused.
"""

from __future__ import annotations

import json
from typing import Any

import pydantic_core

MAX_DEPTH = 64  # no document of ours nests deeper than about 6
CHUNK = 4096  # elements of a flat list written per call
ROWS = 256  # rows of a matrix written per call

_WHITESPACE = " \t\n\r"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number; send finite numbers only")


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)
_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def loads(data: str | bytes) -> Any:
    """The document `json.loads` would give (ValueError, with the position, if it is not valid JSON)."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    text = text.removeprefix("\ufeff")
    value, end = _value(text, _skip(text, 0), 0)
    end = _skip(text, end)
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return value


def _skip(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in _WHITESPACE:
        i += 1
    return i


def _value(text: str, i: int, depth: int) -> tuple[Any, int]:
    if depth > MAX_DEPTH:
        raise ValueError("the JSON nests arrays or objects too deeply")
    c = text[i : i + 1]
    if c == "{":
        return _object(text, i, depth)
    if c == "[":
        first = _skip(text, i + 1)
        if text[first : first + 1] in ("[", "{"):  # containers inside: one at a time
            return _array(text, i, depth)
    return _DECODER.raw_decode(text, i)  # a scalar, or a flat array (a row, a vector): one call


def _object(text: str, i: int, depth: int) -> tuple[dict[str, Any], int]:
    out: dict[str, Any] = {}
    i = _skip(text, i + 1)
    if text[i : i + 1] == "}":
        return out, i + 1
    while True:
        if text[i : i + 1] != '"':
            raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, i)
        key, i = _DECODER.raw_decode(text, i)
        i = _skip(text, i)
        if text[i : i + 1] != ":":
            raise json.JSONDecodeError("Expecting ':' delimiter", text, i)
        out[key], i = _value(text, _skip(text, i + 1), depth + 1)
        i = _skip(text, i)
        c = text[i : i + 1]
        if c == "}":
            return out, i + 1
        if c != ",":
            raise json.JSONDecodeError("Expecting ',' delimiter", text, i)
        i = _skip(text, i + 1)


def _array(text: str, i: int, depth: int) -> tuple[list[Any], int]:
    out: list[Any] = []
    i = _skip(text, i + 1)
    while True:
        value, i = _value(text, i, depth + 1)
        out.append(value)
        i = _skip(text, i)
        c = text[i : i + 1]
        if c == "]":
            return out, i + 1
        if c != ",":
            raise json.JSONDecodeError("Expecting ',' delimiter", text, i)
        i = _skip(text, i + 1)


SMALL = 4_096  # a part of about this many values or fewer is written in one call (~0.1 ms)
FAST = 65_536  # `encode` writes a document of at most this many values in one call of pydantic-core's (~3 ms)


def dumps(obj: Any) -> str:
    """`json.dumps(obj, separators=(",", ":"), allow_nan=False)`, written piece by piece."""
    parts: list[str] = []
    _write(obj, parts)
    return "".join(parts)


def encode(obj: Any) -> str:
    """The document as JSON text, as cheaply as can be: one of at most FAST values in one call of pydantic-core's
    serializer (7x faster than `json.dumps`, so no longer a hold of the GIL than one of `dumps`'s pieces; the same
    values, some numbers written otherwise, e.g. 1e-8 for 1e-08, and text as UTF-8 rather than escaped), a larger
    one piece by piece (`dumps`). NaN and Infinity are refused either way. For what is only stored and read back
    (the checkpoints)."""
    if isinstance(obj, dict | list | tuple) and _size(obj, FAST) <= FAST:
        raw = pydantic_core.to_json(obj, inf_nan_mode="constants")
        if b"NaN" not in raw and b"Infinity" not in raw:
            return raw.decode("utf-8")
    return dumps(obj)  # raises for a NaN or an infinity (a string that only says so is written as it is)


def _size(obj: Any, limit: int) -> int:
    """About how many values `obj` holds (a matrix counted by its first row), counted until past `limit`."""
    if isinstance(obj, dict):
        total = len(obj)
        for value in obj.values():
            if total > limit:
                break
            total += _size(value, limit - total)
        return total
    if isinstance(obj, list | tuple) and obj:
        first = obj[0]
        if isinstance(first, list | tuple) and not _nested(first):
            return len(obj) * max(1, len(first))  # a matrix
        if isinstance(first, dict | list | tuple):
            total = len(obj)
            for value in obj:
                if total > limit:
                    break
                total += _size(value, limit - total)
            return total
        return len(obj)
    return 1


def _write(obj: Any, out: list[str]) -> None:
    if isinstance(obj, dict | list | tuple) and _size(obj, SMALL) <= SMALL:
        out.append(_ENCODER.encode(obj))  # a small part (a small network's checkpoint): one call is brief
        return
    if isinstance(obj, dict) and all(isinstance(k, str) for k in obj):
        out.append("{")
        for n, (key, value) in enumerate(obj.items()):
            out.append(("," if n else "") + _ENCODER.encode(key) + ":")
            _write(value, out)
        out.append("}")
    elif isinstance(obj, list) and obj and isinstance(obj[0], list) and not _nested(obj[0]):
        out.append("[")  # a matrix: rows in batches
        for start in range(0, len(obj), ROWS):
            piece = _ENCODER.encode(obj[start : start + ROWS])
            out.append(("," if start else "") + piece[1:-1])
        out.append("]")
    elif isinstance(obj, list | tuple) and any(isinstance(v, dict | list | tuple) for v in obj[:1]):
        out.append("[")
        for n, value in enumerate(obj):
            if n:
                out.append(",")
            _write(value, out)
        out.append("]")
    elif isinstance(obj, list | tuple) and len(obj) > CHUNK:
        out.append("[")
        for start in range(0, len(obj), CHUNK):
            piece = _ENCODER.encode(list(obj[start : start + CHUNK]))
            out.append(("," if start else "") + piece[1:-1])
        out.append("]")
    else:
        out.append(_ENCODER.encode(obj))


def _nested(row: list[Any]) -> bool:
    return bool(row) and isinstance(row[0], dict | list | tuple)
