"""CSV uploads: the formats accepted, target and task choice, and one precise error per kind of bad file."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.datasets import CsvLimits, DatasetError, Table, parse_csv, table_to_dataset


def _error(data: bytes | str, **kwargs) -> DatasetError:
    with pytest.raises(DatasetError) as info:
        parse_csv(data, **kwargs)
    return info.value


# ----------------------------------------------------------------------------------------------------------
# Formats
# ----------------------------------------------------------------------------------------------------------
def test_plain_comma_file_with_text_labels() -> None:
    table = parse_csv(b"age,height,species\n1,2.5,cat\n3,4e-1,dog\n-5,.5,cat\n", name="pets.csv")
    assert isinstance(table, Table)
    assert table.name == "pets.csv" and table.task == "classification"
    assert table.feature_names == ("age", "height") and table.target_name == "species"
    np.testing.assert_array_equal(table.X_raw, [[1, 2.5], [3, 0.4], [-5, 0.5]])
    assert table.X_raw.dtype == np.float64
    assert table.class_names == ("cat", "dog")
    np.testing.assert_array_equal(table.labels, [0, 1, 0])
    assert table.targets is None


def test_semicolon_delimiter_with_decimal_commas() -> None:
    table = parse_csv("a;b;y\n1,5;2;0,25\n3;-4,0;1e3\n-,5;6;7\n", task="regression")
    np.testing.assert_array_equal(table.X_raw, [[1.5, 2.0], [3.0, -4.0], [-0.5, 6.0]])
    np.testing.assert_array_equal(table.targets, [[0.25], [1000.0], [7.0]])


@pytest.mark.parametrize("value", ["1.000,5", "1,000.5", "1,2,3"])
def test_semicolon_file_refuses_thousands_separators(value: str) -> None:
    error = _error(f"a;b;y\n1;2;3\n{value};2;3\n")
    assert f"row 3, column 'a': '{value}' is not a number" in str(error)


def test_decimal_comma_only_with_semicolons() -> None:
    error = _error(b'a,b,y\n1,"1,5",3\n2,3,4\n')
    assert "row 2, column 'b': '1,5' is not a number" in str(error)


def test_semicolon_chosen_when_header_has_more_semicolons_than_commas() -> None:
    table = parse_csv('"a,1";b;y\n1;2;x\n3;4;z\n')
    assert table.feature_names == ("a,1", "b")


def test_tab_delimited() -> None:
    table = parse_csv("a\tb\ty\n1\t2\t3.5\n4\t5\t6.25\n", task="regression")
    np.testing.assert_array_equal(table.X_raw, [[1, 2], [4, 5]])


def test_utf8_bom_crlf_and_trailing_empty_lines() -> None:
    data = "\ufeffx,y,label\r\n1,2,a\r\n3,4,b\r\n\r\n\r\n".encode()
    table = parse_csv(data)
    assert table.feature_names == ("x", "y")  # no BOM glued to the first name
    np.testing.assert_array_equal(table.X_raw, [[1, 2], [3, 4]])
    assert table.class_names == ("a", "b")


def test_bom_in_a_str_is_dropped_too() -> None:
    assert parse_csv("\ufeffx,label\n1,a\n2,b\n").feature_names == ("x",)


def test_quoted_fields_spaces_and_blank_lines_in_between() -> None:
    data = b'"first, name",  "b" ,label\n" 1 ", 2 ,"red, dark"\n\n  3,4 , blue \n,,\n'
    table = parse_csv(data)
    assert table.feature_names == ("first, name", "b")
    np.testing.assert_array_equal(table.X_raw, [[1, 2], [3, 4]])
    assert table.class_names == ("blue", "red, dark")


def test_quoted_newline_inside_a_label_keeps_editor_row_numbers() -> None:
    data = b'x,label\n1,"two\nlines"\n2,b\nabc,c\n'
    error = _error(data)
    assert error.row == 5 and error.column == "x"


def test_non_ascii_names_and_labels() -> None:
    table = parse_csv("größe,état\n1,été\n2,hiver\n".encode())
    assert table.feature_names == ("größe",) and table.class_names == ("été", "hiver")


# ----------------------------------------------------------------------------------------------------------
# Target and task
# ----------------------------------------------------------------------------------------------------------
CSV3 = b"a,b,c\n1,10,0.5\n2,20,1.5\n3,30,2.25\n4,40,3.5\n5,50,4.75\n6,60,5.5\n7,70,6.25\n8,80,7.5\n9,90,8.5\n" + (
    b"10,100,9.5\n11,110,10.5\n12,120,11.5\n"
)


def test_default_target_is_the_last_column() -> None:
    table = parse_csv(CSV3)
    assert table.target_name == "c" and table.feature_names == ("a", "b") and table.task == "regression"


@pytest.mark.parametrize(("target", "name"), [("a", "a"), ("B", "b"), (" b ", "b"), (0, "a"), (1, "b"), (-1, "c")])
def test_target_by_name_or_index(target: str | int, name: str) -> None:
    table = parse_csv(CSV3, target=target)
    assert table.target_name == name
    assert table.feature_names == tuple(n for n in ("a", "b", "c") if n != name)


def test_exact_name_wins_over_case_insensitive_match() -> None:
    table = parse_csv(b"Y,y,x\n1,2,3\n4,5,6\n", target="y", task="regression")
    assert table.target_name == "y"


def test_ambiguous_case_insensitive_target() -> None:
    error = _error(b"Yes,YES,x\n1,2,3\n", target="yes")
    assert "'Yes' and 'YES'" in str(error) and "exactly" in str(error)


def test_target_index_out_of_range() -> None:
    error = _error(CSV3, target=3)
    assert "index 3 is out of range" in str(error) and "0 to 2" in str(error)
    assert "out of range" in str(_error(CSV3, target=-4))


def test_unknown_target_lists_the_columns() -> None:
    error = _error(CSV3, target="price")
    assert str(error) == (
        "there is no column named 'price'; the columns are 'a', 'b', 'c': choose the target among them"
    )
    assert error.column == "price" and error.row is None


def test_text_labels_sorted_naturally() -> None:
    rows = "".join(f"{i},{label}\n" for i, label in enumerate(["class 10", "class 2", "Class 1", "class 2"]))
    table = parse_csv("x,label\n" + rows)
    assert table.class_names == ("Class 1", "class 2", "class 10")
    np.testing.assert_array_equal(table.labels, [2, 1, 0, 1])


def test_numeric_labels_sorted_numerically_and_merged_by_value() -> None:
    table = parse_csv(b"x,y\n1,10\n2,9\n3,-1\n4,10.0\n5,2\n")
    assert table.task == "classification"
    assert table.class_names == ("-1", "2", "9", "10")
    np.testing.assert_array_equal(table.labels, [3, 2, 0, 3, 1])


def test_auto_task_rule() -> None:
    eleven = "".join(f"{i},{i}\n" for i in range(11))
    ten = "".join(f"{i},{i % 10}\n" for i in range(11))
    assert parse_csv("x,y\n" + eleven).task == "regression"  # 11 distinct whole numbers
    assert parse_csv("x,y\n" + ten).task == "classification"  # 10 distinct whole numbers
    assert parse_csv(b"x,y\n1,0.5\n2,1\n").task == "regression"  # not whole
    assert parse_csv(b"x,y\n1,1e300\n2,1\n").task == "classification"  # whole (if large)
    assert parse_csv(b"x,y\n1,a\n2,1\n").task == "classification"  # any text


def test_explicit_task_overrides_the_rule() -> None:
    regression = parse_csv(b"x,y\n1,0\n2,1\n3,1\n", task="regression")
    assert regression.task == "regression" and regression.labels is None
    np.testing.assert_array_equal(regression.targets, [[0], [1], [1]])
    rows = "".join(f"{i},{i * 0.5}\n" for i in range(12))
    classification = parse_csv("x,y\n" + rows, task="classification")
    assert classification.n_classes == 12 and classification.class_names[:3] == ("0", "0.5", "1")


def test_bad_task_name() -> None:
    assert "task must be" in str(_error(CSV3, task="clustering"))


def test_summary_is_json_safe() -> None:
    summary = json.loads(json.dumps(parse_csv(b"a,b,label\n1,2,x\n3,4,y\n5,6,x\n").summary()))
    assert summary["rows"] == 3 and summary["features"] == 2 and summary["target"] == "label"
    assert summary["classes"] == [{"name": "x", "count": 2}, {"name": "y", "count": 1}]
    assert summary["columns"][0] == {
        "name": "a",
        "min": 1.0,
        "max": 5.0,
        "mean": 3.0,
        "std": 1.632993161855452,
        "missing": 0,
    }
    regression = parse_csv(b"a,y\n1,2.5\n2,3.5\n", task="regression").summary()
    assert regression["classes"] is None and regression["target_statistics"]["mean"] == 3.0


# ----------------------------------------------------------------------------------------------------------
# One test per kind of bad file: message, row (editor line, header = 1) and column
# ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("data", [b"", "", b"\n\n   \r\n", b"\xef\xbb\xbf"])
def test_empty_file(data: bytes | str) -> None:
    error = _error(data)
    assert str(error).startswith("the file is empty: upload a CSV file with a header row")
    assert error.row is None and error.column is None


def test_only_delimiters() -> None:
    assert "the file holds no values" in str(_error(b",,\n , \n"))


def test_header_is_checked_before_the_rows() -> None:
    assert "the header has only one column (';;')" in str(_error(b",,\n;;\n"))


def test_header_but_no_data_rows() -> None:
    error = _error(b"a,b,label\r\n\r\n")
    assert str(error) == (
        "the file has a header row but no data rows: add one row of values per sample under the header"
    )


def test_ragged_row() -> None:
    error = _error(b"a,b,c\n1,2,3\n\n4,5\n6,7,8\n")
    assert str(error) == (
        "row 4 has 2 values but the header has 3 columns: every row needs one value per column (look for a "
        "missing or extra comma, or a value containing a comma that is not in double quotes)"
    )
    assert error.row == 4 and error.column is None


def test_ragged_semicolon_row_names_the_semicolon() -> None:
    assert "missing or extra semicolon" in str(_error(b"a;b;c\n1;2\n"))


def test_row_with_an_extra_value() -> None:
    error = _error(b"a,b,c\n1,2,3\n4,5,6,7\n")
    assert "row 3 has 4 values but the header has 3 columns" in str(error) and error.row == 3


def test_unclosed_quote() -> None:
    error = _error(b'a,b,c\n1,2,3\n4,"5,6\n7,8,9\n')
    assert "row 3 has a double quote that is never closed" in str(error) and error.row == 3


def test_non_numeric_feature_value() -> None:
    data = b"age,height,label\n" + b"1,2,x\n" * 5 + b"abc,2,y\n"
    error = _error(data)
    assert str(error).startswith("row 7, column 'age': 'abc' is not a number; feature columns must be numeric")
    assert error.row == 7 and error.column == "age"


def test_first_bad_cell_in_reading_order_is_reported() -> None:
    error = _error(b"a,b,label\n1,2,x\n3,oops,y\nbad,4,x\n")
    assert (error.row, error.column) == (3, "b")


@pytest.mark.parametrize("value", ["1_000", "١٢", "0x10", "1.2.3", "12abc", "$5"])
def test_things_python_or_people_read_as_numbers_are_not(value: str) -> None:
    error = _error(f"a,b,label\n1,2,x\n3,{value},y\n")
    assert f"row 3, column 'b': '{value}' is not a number" in str(error)


def test_empty_value() -> None:
    error = _error(b"a,b,label\n1,2,x\n3,,y\n")
    assert str(error) == ("row 3, column 'b' is empty: missing values are not supported; fill it in or delete the row")
    assert error.row == 3 and error.column == "b"


@pytest.mark.parametrize("marker", ["NA", "n/a", "null", "?", "None"])
def test_missing_value_markers(marker: str) -> None:
    error = _error(f"a,b,label\n1,{marker},x\n3,4,y\n")
    assert f"row 2, column 'b': '{marker}' marks a missing value" in str(error)
    assert error.row == 2 and error.column == "b"


def test_empty_target_value() -> None:
    error = _error(b"a,label\n1,x\n2, \n3,y\n")
    assert "row 3, column 'label' is empty" in str(error) and (error.row, error.column) == (3, "label")


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "Infinity", "1e999"])
def test_nan_and_infinite_values(value: str) -> None:
    error = _error(f"a,b,label\n1,2,x\n3,{value},y\n")
    assert f"row 3, column 'b': '{value}' is not a finite number; NaN and infinite values are not supported" in str(
        error
    )
    assert error.row == 3 and error.column == "b"


def test_nan_in_the_target_is_refused_too() -> None:
    error = _error(b"a,y\n1,0.5\n2,nan\n", task="regression")
    assert "'nan' is not a finite number" in str(error) and (error.row, error.column) == (3, "y")


def test_single_class() -> None:
    error = _error(b"a,b,label\n1,2,yes\n3,4,yes\n")
    assert str(error).startswith(
        "the target column 'label' has only one class ('yes'): classification needs at least 2 different labels"
    )
    assert error.column == "label"


def test_duplicate_column_names() -> None:
    error = _error(b"a,b, a \n1,2,3\n")
    assert str(error) == "the header names two columns 'a' (columns 1 and 3): give every column a different name"
    assert error.row == 1 and error.column == "a"


def test_unnamed_column() -> None:
    error = _error(b",x,label\n0,1,a\n1,2,b\n")
    assert "column 1 has no name in the header" in str(error) and "row index" in str(error)
    assert error.row == 1 and error.column == 1


def test_fewer_than_two_columns() -> None:
    error = _error(b"only\n1\n2\n")
    assert str(error).startswith("the header has only one column ('only'): a data set needs at least one feature")
    assert error.row == 1


def test_header_row_missing() -> None:
    error = _error(b"1,2,3\n4,5,6\n")
    assert "looks like data, not a header" in str(error) and error.row == 1


def test_header_row_number_after_leading_blank_lines() -> None:
    assert _error(b"\n\nonly\n1\n").row == 3


def test_too_many_columns() -> None:
    error = _error(b"a,b,c,d\n1,2,3,4\n", limits=CsvLimits(max_columns=3))
    assert str(error) == "the file has 4 columns; the limit is 3: remove columns, or raise the limit"
    assert (error.row, error.limit) == (1, "max_columns")


def test_too_many_rows() -> None:
    error = _error(b"a,b\n1,2\n3,4\n5,6\n", limits=CsvLimits(max_rows=2))
    assert str(error) == "the file has more than 2 data rows; the limit is 2: remove rows, or raise the limit"
    assert error.limit == "max_rows"
    assert parse_csv(b"a,b\n1,2\n3,4\n\n", limits=CsvLimits(max_rows=2)).rows == 2


def test_regression_target_not_numeric() -> None:
    error = _error(b"a,price\n1,2\n2,cheap\n", task="regression")
    assert str(error).startswith("row 3, column 'price': 'cheap' is not a number; a regression target must be numeric")
    assert "task 'classification'" in str(error) and (error.row, error.column) == (3, "price")


def test_more_classes_than_the_limit() -> None:
    rows = "".join(f"{i},c{i}\n" for i in range(5))
    error = _error("a,b\n" + rows, limits=CsvLimits(max_classes=4))
    assert str(error) == (
        "the target column 'b' has 5 different values, more than the limit of 4 classes: choose another target column"
    )
    assert error.column == "b"
    numeric = _error(
        "a,b\n" + "".join(f"{i},{i}\n" for i in range(5)),
        task="classification",
        limits=CsvLimits(max_classes=4),
    )
    assert "or choose task 'regression'" in str(numeric)


def test_invalid_utf8() -> None:
    error = _error(b"a,b\n1,x\n2,\xff\xfe\n")
    assert str(error).startswith("the file is not UTF-8 text (byte 0xff on row 3 cannot be read)")
    assert "CSV UTF-8" in str(error) and error.row == 3


def test_utf16_file_is_refused_as_not_utf8() -> None:
    assert "not UTF-8" in str(_error("a,b\n1,2\n".encode("utf-16")))


def test_error_rows_count_cr_only_line_ends() -> None:
    assert _error(b"a,b\r1,x\r2,\xff\r").row == 3
    assert _error("a,b\r\n1,x\r\n2,\x00\r\n").row == 3


def test_nul_character() -> None:
    error = _error(b"a,b\n1,x\n2,\x00\n")
    assert "NUL character on row 3" in str(error) and error.row == 3


def test_field_larger_than_the_csv_module_allows() -> None:
    error = _error(b'a,b\n1,"' + b"x" * 200_000 + b'"\n')
    assert "row 2 cannot be read as CSV" in str(error) and error.row == 2


def test_too_few_rows_to_split() -> None:
    table = parse_csv(b"a,b\n1,2\n3,4\n5,6\n", task="regression", name="tiny.csv")
    with pytest.raises(DatasetError) as info:
        table_to_dataset(table, test_fraction=0.5)
    assert str(info.value) == (
        "the file 'tiny.csv' has 3 rows; with test_fraction 0.5, 1 would be left for training but training "
        "needs at least 2: add rows or lower test_fraction"
    )
    assert table_to_dataset(table, test_fraction=0.0).n_train == 3


def test_bad_target_type() -> None:
    assert "target must be a column name or a 0-based column index" in str(_error(CSV3, target=1.5))
    assert "target must be" in str(_error(CSV3, target=True))
