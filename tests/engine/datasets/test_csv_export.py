"""A session's data as CSV: raw values as given (from the unstandardized split, or undone standardization
rounded to the column's 15 digits), class names as targets, the split column."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from engine.datasets import inline_dataset, parse_csv, table_to_dataset
from engine.datasets.csv_export import dataset_csv, number, raw_inputs

CSV = b"length,width,kind\n5.1,3.5,a\n4.9,3,a\n7,3.2,b\n6.4,3.25,b\n0.001,2,a\n5.8,2.7,b\n1e-05,1,a\n6,100,b\n"


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_an_uploaded_tables_raw_values_come_back_exactly_as_written() -> None:
    table = parse_csv(CSV, name="t.csv", target="kind")
    dataset = table_to_dataset(table, test_fraction=0.25, seed=4)
    assert dataset.normalization is not None  # the network sees them standardized
    raw = raw_inputs(dataset, table_to_dataset(table, test_fraction=0.25, seed=4, standardize=False))
    assert raw.exact
    out = rows(dataset_csv(dataset, raw))
    assert out[0] == ["length", "width", "kind", "split"]
    written = {tuple(r) for r in rows(CSV.decode())[1:]}
    assert {tuple(r[:3]) for r in out[1:]} == written
    assert [r[3] for r in out[1:]] == ["train"] * 6 + ["test"] * 2
    assert [r[:2] for r in rows(dataset_csv(dataset, raw, "test"))[1:]] == [[number(v) for v in x] for x in raw.test]


def test_without_the_table_standardization_is_undone_and_rounded() -> None:
    dataset = table_to_dataset(parse_csv(CSV, name="t.csv", target="kind"), test_fraction=0.25, seed=4)
    raw = raw_inputs(dataset)
    assert not raw.exact
    values = {v for r in rows(dataset_csv(dataset, raw))[1:] for v in r[:2]}
    assert {"5.1", "3.25", "0.001", "6", "100"} <= values  # 15 digits of each column's largest value


def test_a_table_that_is_not_the_sessions_is_not_trusted() -> None:
    table = parse_csv(CSV, name="t.csv", target="kind")
    dataset = table_to_dataset(table, test_fraction=0.25, seed=4)
    other = table_to_dataset(table, test_fraction=0.25, seed=5, standardize=False)  # another split
    assert not raw_inputs(dataset, other).exact


def test_unstandardized_data_is_written_as_held_with_regression_targets() -> None:
    dataset = inline_dataset([[0.05, 0.1], [1, 2]], [[0.01, 3], [0.5, -1]])
    out = rows(dataset_csv(dataset, raw_inputs(dataset)))
    assert out == [
        ["x1", "x2", "y1", "y2", "split"],
        ["0.05", "0.1", "0.01", "3", "train"],
        ["1", "2", "0.5", "-1", "train"],
    ]


def test_a_feature_named_split_keeps_its_name() -> None:
    table = parse_csv(b"split,x,c\n1,2,a\n2,3,b\n3,1,a\n4,4,b\n", name="s.csv", target="c")
    dataset = table_to_dataset(table, test_fraction=0.0)
    assert rows(dataset_csv(dataset, raw_inputs(dataset)))[0] == ["split", "x", "c", "split_"]
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        dataset_csv(dataset, raw_inputs(dataset), "all")


def test_numbers_are_written_as_people_write_them() -> None:
    assert [number(v) for v in (3.0, -2.0, 0.1, 1e-5, 1e20, np.float64(2.5))] == [
        "3",
        "-2",
        "0.1",
        "1e-05",
        "1e+20",
        "2.5",
    ]
