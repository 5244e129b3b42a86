"""Image data sets: the image format, CSV uploads declaring an image shape, the reduction of a drawing, and a
hand-given example encoded like a training row."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.datasets import DatasetError, make_builtin, parse_csv, table_to_dataset
from engine.datasets.csv_loader import CsvLimits, _numeric_body
from engine.datasets.images import ImageFormat, blocks_from_bitmap, parse_image_shape


def _image_csv(rows: int, shape: tuple[int, int], seed: int = 0, label_first: bool = True) -> tuple[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (rows, shape[0] * shape[1]))
    labels = np.arange(rows) % 10
    names = [f"pixel{k}" for k in range(pixels.shape[1])]
    header = ["label", *names] if label_first else [*names, "label"]
    lines = [",".join(header)]
    for y, row in zip(labels, pixels, strict=True):
        cells = [str(y), *map(str, row)] if label_first else [*map(str, row), str(y)]
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n", pixels


@pytest.mark.parametrize(("text", "shape"), [("28,28", (28, 28)), (" 8 x 8 ", (8, 8)), ("16×12", (16, 12))])
def test_image_shape_reads_height_and_width(text: str, shape: tuple[int, int]) -> None:
    assert parse_image_shape(text) == shape


@pytest.mark.parametrize("text", ["28", "28,28,1", "a,b", "", "0,5", "300,300"])
def test_a_bad_image_shape_says_how_to_write_one(text: str) -> None:
    with pytest.raises(DatasetError, match="image_shape must be"):
        parse_image_shape(text)


def test_an_mnist_layout_csv_with_image_shape_is_an_image_set_with_the_label_first() -> None:
    text, pixels = _image_csv(30, (28, 28))
    table = parse_csv(text.encode(), image_shape=(28, 28))
    assert table.target_name == "label" and table.n_features == 784 and table.image_shape == (28, 28)
    np.testing.assert_array_equal(table.X_raw, pixels)
    assert table.class_names == tuple("0123456789") and table.summary()["image_shape"] == [28, 28]
    ds = table_to_dataset(table, test_fraction=0.2)
    assert ds.image == ImageFormat((28, 28), float(pixels.max()), "centred")
    assert ds.summary()["image_shape"] == [28, 28]


def test_an_image_csv_with_the_label_last_finds_it_by_name() -> None:
    text, pixels = _image_csv(12, (4, 4), label_first=False)
    table = parse_csv(text, image_shape=(4, 4))
    assert table.target_name == "label"
    np.testing.assert_array_equal(table.X_raw, pixels)


def test_a_mismatched_image_shape_is_refused_naming_the_field_and_the_counts() -> None:
    text, _ = _image_csv(5, (28, 28))
    with pytest.raises(DatasetError) as info:
        parse_csv(text, image_shape=(28, 27))
    assert info.value.field == "image_shape"
    assert "image_shape 28,27 means 756 pixel columns" in str(info.value) and "784 feature columns" in str(info.value)


def test_without_image_shape_the_target_is_still_the_last_column() -> None:
    text, _ = _image_csv(5, (2, 2))
    table = parse_csv(text, task="regression")
    assert table.target_name == "pixel3" and table.image_shape is None


def test_8_by_8_images_of_0_to_16_are_taken_as_the_uci_recipe() -> None:
    assert ImageFormat.for_data((8, 8), np.array([[0.0, 16.0]])) == ImageFormat((8, 8), 16.0, "blocks", 4)
    assert ImageFormat.for_data((8, 8), np.array([[0.0, 255.0]])).drawing == "centred"
    assert ImageFormat.for_data((2, 2), np.zeros((1, 4))).pixel_max == 1.0


def test_blocks_from_bitmap_counts_inked_pixels_per_block() -> None:
    bitmap = np.zeros((32, 32))
    bitmap[:4, :4] = 1  # a whole block
    bitmap[4, 4:8] = 1  # one row of the next block down-right
    bitmap[31, 31] = 1
    image = blocks_from_bitmap(bitmap, 4)
    assert image.shape == (8, 8) and image[0, 0] == 16 and image[1, 1] == 4 and image[7, 7] == 1
    assert image.sum() == 21
    assert blocks_from_bitmap(np.ones((32, 32)), 4).tolist() == [[16.0] * 8] * 8


# -- the one-call reader agrees with the careful one --------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 6),
    st.integers(2, 5),
    st.lists(st.sampled_from(["0", "7", "-3", "2.5", "1e3", "-.25", "+4", "10."]), min_size=1, max_size=30),
)
def test_the_numeric_fast_path_reads_what_the_careful_reader_reads(rows: int, cols: int, cells: list[str]) -> None:
    values = [[cells[(i * cols + j) % len(cells)] for j in range(cols)] for i in range(rows)]
    header = ",".join(f"c{j}" for j in range(cols))
    text = header + "\n" + "\n".join(",".join(r) for r in values) + "\n"
    fast = _numeric_body(text, ",", CsvLimits())
    assert fast is not None
    careful = parse_csv(text.replace("\n", " \n"), task="regression")  # a space: the careful reader reads it
    table = parse_csv(text, task="regression")
    np.testing.assert_array_equal(table.X_raw, careful.X_raw)
    np.testing.assert_array_equal(table.targets, careful.targets)


@pytest.mark.parametrize("body", ["1,2\n\n3,4", "1,x\n3,4", "1,2\n3", "1,,\n3,4", "1,nan\n3,4", "1,2\r3,4", '"1",2'])
def test_the_numeric_fast_path_leaves_anything_else_to_the_careful_reader(body: str) -> None:
    assert _numeric_body("a,b\n" + body + "\n", ",", CsvLimits()) is None


# -- an example given by hand ---------------------------------------------------------------------------------
def test_an_example_is_encoded_as_a_training_row_would_be() -> None:
    ds = make_builtin("digits")
    raw = ds.normalization.invert(ds.X_train[:1])[0]
    label = ds.class_names[int(ds.labels_train[0])]
    x, y = ds.encode_example(raw.tolist(), label)
    np.testing.assert_allclose(x, ds.X_train[0], atol=1e-12)
    np.testing.assert_array_equal(y, ds.Y_train[0])


def test_a_two_class_example_gets_the_output_width_of_the_network() -> None:
    ds = make_builtin("circles", samples=20)
    assert ds.encode_example([0.1, 0.2], "outer")[1].tolist() == [1.0]
    assert ds.with_output_width(2).encode_example([0.1, 0.2], "outer")[1].tolist() == [0.0, 1.0]


@pytest.mark.parametrize(
    ("x", "label", "fragment"),
    [
        ([0.0] * 63, "7", "the input must be 64 numbers (8 × 8 pixels, row by row); got 63"),
        ([[0.0] * 64], "7", "got something else"),
        ([0.0] * 63 + [float("nan")], "7", "input[63] is not a finite number"),
        ([0.0] * 64, "seven", "label 'seven' is not a class of 'digits'; its classes are '0', '1'"),
    ],
)
def test_a_bad_example_says_what_the_data_set_expects(x: list, label: str, fragment: str) -> None:
    with pytest.raises(DatasetError) as info:
        make_builtin("digits").encode_example(x, label)
    assert fragment in str(info.value)


def test_a_regression_set_takes_no_example() -> None:
    with pytest.raises(DatasetError, match="regression data set"):
        make_builtin("sine").encode_example([0.1], "1")
