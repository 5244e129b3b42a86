"""Property-based CSV tests: valid numeric tables survive a round trip through CSV text, and no input at all
makes the parser raise anything but DatasetError."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.datasets import CsvLimits, DatasetError, Table, parse_csv, table_to_dataset

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
name_part = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_ABCXYZ", min_size=1, max_size=8)


@st.composite
def numeric_tables(draw: st.DrawFn) -> tuple[list[str], np.ndarray]:
    """Unique, non-numeric column names and a finite float matrix of 1–25 rows and 2–6 columns."""
    n = draw(st.integers(2, 6))
    m = draw(st.integers(1, 25))
    names = [f"{draw(name_part)}{j}" for j in range(n)]  # the index suffix keeps them unique
    values = np.array(draw(st.lists(st.lists(finite, min_size=n, max_size=n), min_size=m, max_size=m)))
    return names, values


@st.composite
def csv_styles(draw: st.DrawFn) -> dict[str, object]:
    return {
        "delimiter": draw(st.sampled_from([",", ";", "\t"])),
        "newline": draw(st.sampled_from(["\n", "\r\n", "\r"])),
        "bom": draw(st.booleans()),
        "pad": draw(st.sampled_from(["", " ", "  "])),
        "quote": draw(st.booleans()),
        "trailing_blank_lines": draw(st.integers(0, 2)),
    }


def _write(names: list[str], values: np.ndarray, style: dict) -> bytes:
    pad, quote = style["pad"], '"' if style["quote"] else ""

    def cell(text: str) -> str:
        return f"{pad}{quote}{text}{quote}{pad}"

    lines = [style["delimiter"].join(cell(n) for n in names)]
    lines += [style["delimiter"].join(cell(repr(float(v))) for v in row) for row in values]
    text = style["newline"].join(lines) + style["newline"] * (1 + style["trailing_blank_lines"])
    return ("\ufeff" if style["bom"] else "").encode() + text.encode()


@FAST
@given(numeric_tables(), csv_styles(), st.data())
def test_numeric_tables_round_trip_exactly(table: tuple[list[str], np.ndarray], style: dict, data) -> None:
    names, values = table
    target = data.draw(st.integers(0, len(names) - 1))
    by_name = data.draw(st.booleans())
    parsed = parse_csv(_write(names, values, style), target=names[target] if by_name else target, task="regression")
    features = [j for j in range(len(names)) if j != target]
    assert parsed.task == "regression"
    assert parsed.feature_names == tuple(names[j] for j in features) and parsed.target_name == names[target]
    assert parsed.X_raw.shape == (values.shape[0], len(names) - 1)
    np.testing.assert_array_equal(parsed.X_raw, values[:, features])
    np.testing.assert_array_equal(parsed.targets[:, 0], values[:, target])
    # bit for bit, signed zeros included
    assert parsed.X_raw.tobytes() == np.ascontiguousarray(values[:, features]).tobytes()


@FAST
@given(numeric_tables(), st.data())
def test_auto_task_is_classification_exactly_for_few_whole_values(table, data) -> None:
    names, values = table
    labels = data.draw(st.lists(st.integers(-3, 20), min_size=len(values), max_size=len(values)))
    values = values.copy()
    values[:, -1] = labels
    whole_and_few = len(set(labels)) <= 10
    try:
        parsed = parse_csv(
            _write(
                names,
                values,
                {
                    "delimiter": ",",
                    "newline": "\n",
                    "bom": False,
                    "pad": "",
                    "quote": False,
                    "trailing_blank_lines": 0,
                },
            )
        )
    except DatasetError as error:
        assert "only one class" in str(error) and len(set(labels)) == 1
        return
    assert parsed.task == ("classification" if whole_and_few else "regression")
    if parsed.task == "classification":
        assert parsed.class_names == tuple(str(v) for v in sorted(set(labels)))
        np.testing.assert_array_equal(np.array(parsed.class_names, dtype=int)[parsed.labels], labels)


def _parse_anything(data: bytes | str, **kwargs) -> None:
    """Parse and, if that worked, split: only DatasetError may come out."""
    try:
        table = parse_csv(data, **kwargs)
    except DatasetError as error:
        assert str(error) and error.message == str(error)
        assert error.row is None or error.row >= 1
        return
    assert isinstance(table, Table) and np.isfinite(table.X_raw).all()
    try:
        ds = table_to_dataset(table, test_fraction=0.2)
    except DatasetError:
        return
    assert np.isfinite(ds.X_train).all() and ds.n_train >= 2


@FAST
@given(st.binary(max_size=400))
def test_garbage_bytes_raise_only_dataset_error(data: bytes) -> None:
    _parse_anything(data)


csv_ish = st.text(alphabet=st.sampled_from(list('0123456789,;\t"\n\r .-+eEnaifNAxy?_\ufeff\x00é')), max_size=200)


@FAST
@given(
    csv_ish,
    st.one_of(st.none(), st.integers(-4, 4), st.sampled_from(["x", "a", "", "X"])),
    st.sampled_from(["auto", "classification", "regression"]),
)
def test_csv_like_garbage_raises_only_dataset_error(text: str, target, task: str) -> None:
    limits = CsvLimits(max_rows=20, max_columns=8, max_classes=5)
    _parse_anything(text, target=target, task=task, limits=limits)
    _parse_anything(text.encode("utf-8", "surrogatepass"), target=target, task=task, limits=limits)


@FAST
@given(
    st.lists(
        st.lists(st.sampled_from(["1", "2.5", "-3", "x", "", "nan", '"4,5"', "a b"]), min_size=1, max_size=5),
        min_size=1,
        max_size=8,
    )
)
def test_grids_of_cells_raise_only_dataset_error(grid: list[list[str]]) -> None:
    text = "a,b,c\n" + "\n".join(",".join(row) for row in grid)
    for task in ("auto", "classification", "regression"):
        _parse_anything(text, task=task)
