"""Uploaded CSV files: parsed into a raw Table with precise, fixable errors, then split and standardized.

Format: UTF-8 (a BOM is fine), a header row naming the columns, then one row per sample. The delimiter is
a comma, a semicolon or a tab, whichever the header line has most of (outside quotes); with semicolons a
decimal comma ("1,5") also reads as a number. CRLF/CR/LF line ends, double-quoted fields, spaces around
values and empty lines (or rows of nothing but delimiters) are fine.

Target: the last column unless `target` names one — a str is a column name (exact match, else ignoring
case), an int a 0-based column index (negative counts from the end: -1 is the last). Every other column is
a feature and must hold finite numbers, with no value missing.

Task "auto": classification if the target holds any value that is not a number, or if all its values are
whole numbers with at most AUTO_MAX_CLASSES (10) different values; regression otherwise.

Classification labels may be any text or numbers; class names are sorted naturally (numbers numerically,
"class 2" before "class 10"), and a class's index is its position in that order. Numeric labels that are
equal as numbers are one class ("1" and "1.0"), named in their shortest form ("1").

Images: `image_shape` (h, w) says each row is an h × w image whose pixels are the feature columns in reading
order; there must be exactly h·w of them. Without a `target`, the target of an image file is the column named
label, class, target, digit or y (case ignored) if there is one, else the first column (MNIST's CSV layout:
the digit, then 784 pixels).

Errors are DatasetErrors whose `row` is the line number as an editor shows it (the header is row 1).

A file of nothing but plain numbers after its header (MNIST's 60,000 rows of 785, say) is read by NumPy in one
call (`_numeric_body`); anything else, or any doubt, goes through the careful reader that names the row and
column of a problem.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from engine.datasets.base import (
    Dataset,
    DatasetError,
    Task,
    build_dataset,
    check_test_fraction,
    column_statistics,
    encode_labels,
    plural,
    readonly_array,
)
from engine.datasets.images import ImageFormat, check_pixel_count

Array = np.ndarray

AUTO_MAX_CLASSES = 10
DELIMITERS = (",", ";", "\t")
IMAGE_TARGET_NAMES = ("label", "class", "target", "digit", "y")  # an image file's target, case ignored

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_COMMA_NUMBER = re.compile(r"[+-]?(?:\d+,\d*|,\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_NONFINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.ASCII | re.IGNORECASE)
_MISSING_MARKERS = frozenset({"na", "n/a", "#n/a", "null", "none", "missing", "?", "-", "--"})

# What is wrong with a cell that is not a finite number.
_EMPTY, _MARKER, _NONFINITE_VALUE, _TEXT = "empty", "marker", "nonfinite", "text"


@dataclass(frozen=True)
class CsvLimits:
    """Limits on a file's size in rows, columns and classes. A DatasetError for a limit names its field here in
    `limit`, so whoever set the limit (the server, from its settings) can say how to raise it."""

    max_rows: int = 100_000
    max_columns: int = 1_000
    max_classes: int = 100


@dataclass(frozen=True, eq=False)
class Table:
    """A parsed CSV: raw feature values and the target, not yet split or standardized.

    Regression: `targets` is (m, 1) float64 and `labels`/`class_names` are None. Classification: `labels`
    is (m,) class indices into `class_names` and `targets` is None.
    """

    name: str
    task: Task
    X_raw: Array
    targets: Array | None
    labels: Array | None
    feature_names: tuple[str, ...]
    target_name: str
    class_names: tuple[str, ...] | None
    image_shape: tuple[int, int] | None = None  # each row an image of this (height, width), pixels in reading order

    def __post_init__(self) -> None:
        if self.image_shape is not None:
            check_pixel_count(self.image_shape, len(self.feature_names))
        object.__setattr__(self, "X_raw", readonly_array(self.X_raw, 2))
        if self.targets is not None:
            object.__setattr__(self, "targets", readonly_array(self.targets, 2))
        if self.labels is not None:
            labels = np.array(self.labels, dtype=np.int64)
            labels.flags.writeable = False
            object.__setattr__(self, "labels", labels)
        regression = self.task == "regression" and self.targets is not None and self.labels is None
        classification = (
            self.task == "classification"
            and self.labels is not None
            and self.class_names is not None
            and self.targets is None
        )
        if not (regression or classification):
            raise DatasetError("a regression Table has targets only; a classification Table labels and classes")
        if (self.targets if regression else self.labels).shape[0] != self.X_raw.shape[0]:
            raise DatasetError(f"the Table has {self.X_raw.shape[0]} rows of features but not as many targets")

    @property
    def rows(self) -> int:
        return int(self.X_raw.shape[0])

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    @property
    def n_classes(self) -> int:
        return len(self.class_names) if self.class_names is not None else 0

    def summary(self) -> dict[str, Any]:
        """JSON-safe overview: rows, task, target, classes with counts, statistics of each feature."""
        classes = None
        if self.labels is not None and self.class_names is not None:
            counts = np.bincount(self.labels, minlength=self.n_classes)
            classes = [{"name": n, "count": int(c)} for n, c in zip(self.class_names, counts, strict=True)]
        target_stats = None
        if self.targets is not None:
            target_stats = column_statistics(self.targets, (self.target_name,))[0]
        return {
            "name": self.name,
            "task": self.task,
            "rows": self.rows,
            "features": self.n_features,
            "feature_names": list(self.feature_names),
            "target": self.target_name,
            "classes": classes,
            "columns": column_statistics(self.X_raw, self.feature_names),
            "target_statistics": target_stats,
            "image_shape": list(self.image_shape) if self.image_shape is not None else None,
        }


# ----------------------------------------------------------------------------------------------------------
# Public entry points
# ----------------------------------------------------------------------------------------------------------
def parse_csv(
    data: bytes | str,
    *,
    target: str | int | None = None,
    task: Literal["classification", "regression", "auto"] = "auto",
    name: str = "upload.csv",
    limits: CsvLimits = CsvLimits(),
    image_shape: tuple[int, int] | None = None,
) -> Table:
    """Parse a CSV upload into a Table, or raise a DatasetError that says where the problem is and what
    to do about it. `image_shape` (height, width) declares the rows to be images (a DatasetError with
    `field="image_shape"` when the pixel columns do not make that shape)."""
    if task not in ("classification", "regression", "auto"):
        raise DatasetError(f"task must be 'classification', 'regression' or 'auto', got {task!r}")
    text = _decode(data)
    delimiter = _delimiter(text)
    decimal_comma = delimiter == ";"
    numeric = _numeric_body(text, delimiter, limits)
    if numeric is not None:
        names, matrix = numeric
        lines: list[int] = []  # no problem to point at: every cell is a number
    else:
        names, rows, lines = _read(text, delimiter, limits)
    choose_image_target = image_shape is not None and target is None
    t = _image_target(names) if choose_image_target else _target_index(target, names)
    feature_idx = [j for j in range(len(names)) if j != t]
    if image_shape is not None:
        _check_image_shape(image_shape, len(feature_idx), names[t])
    if numeric is not None:
        X = np.ascontiguousarray(matrix[:, feature_idx])
        cells: Sequence[str] = ()  # the values say it all
        values: Array | None = np.ascontiguousarray(matrix[:, t])
        del matrix
    else:
        columns = list(zip(*rows, strict=True))
        X = _features(columns, feature_idx, names, lines, decimal_comma)
        cells = columns[t]
        values = _target_values(cells, decimal_comma, names[t], lines)
    resolved = _resolve_task(task, values)
    targets = labels = class_names = None
    if resolved == "regression":
        targets = _regression_target(values, cells, names[t], lines, decimal_comma)
    else:
        labels, class_names = _class_labels(values, cells, names[t], limits)
    return Table(
        name=str(name).strip() or "upload.csv",
        task=resolved,
        X_raw=X,
        targets=targets,
        labels=labels,
        feature_names=tuple(names[j] for j in feature_idx),
        target_name=names[t],
        class_names=class_names,
        image_shape=image_shape,
    )


def table_to_dataset(table: Table, *, test_fraction: float = 0.2, seed: int = 0, standardize: bool = True) -> Dataset:
    """Shuffle and split a Table (stratified by class for classification) and standardize the features
    with the training split's mean and std only, applied to both splits (`standardize=False`: the same split
    with the raw values)."""
    test_fraction = check_test_fraction(test_fraction)
    Y = table.targets if table.labels is None else encode_labels(table.labels, table.n_classes)
    return build_dataset(
        name=table.name,
        task=table.task,
        X_raw=table.X_raw,
        Y=Y,
        feature_names=table.feature_names,
        target_names=(table.target_name,),
        class_names=table.class_names,
        test_fraction=test_fraction,
        seed=seed,
        standardize=standardize,
        labels=table.labels,
        what=f"the file '{table.name}'",
        image=ImageFormat.for_data(table.image_shape, table.X_raw) if table.image_shape is not None else None,
    )


# ----------------------------------------------------------------------------------------------------------
# Images
# ----------------------------------------------------------------------------------------------------------
def _image_target(names: list[str]) -> int:
    """An image file's target when none is named: a column called label, class, target, digit or y, else the
    first column (MNIST's layout)."""
    for wanted in IMAGE_TARGET_NAMES:
        for j, name in enumerate(names):
            if name.casefold() == wanted:
                return j
    return 0


def _check_image_shape(shape: tuple[int, int], n_features: int, target_name: str) -> None:
    try:
        check_pixel_count(shape, n_features)
    except DatasetError as exc:
        raise DatasetError(f"{exc.message} (the target is '{_show(target_name)}')", field="image_shape") from None


# ----------------------------------------------------------------------------------------------------------
# A body of plain numbers, read at once
# ----------------------------------------------------------------------------------------------------------
_NOT_PLAIN = {",": re.compile(r"[^0-9eE.+\-,\n]"), "\t": re.compile(r"[^0-9eE.+\-\t\n]")}


def _numeric_body(text: str, delimiter: str, limits: CsvLimits) -> tuple[list[str], Array] | None:
    """The column names and an (m, n) float64 matrix of the rows, when the header is one line and every row
    after it holds nothing but plain numbers (ASCII digits, signs, points and exponents) between the
    delimiters, one row per line — read by NumPy in one call. None when anything else is there (text, quotes,
    spaces, blank lines, empty or non-finite values, ragged rows, a decimal comma): the careful reader then
    reads the file and names the row and column of whatever is wrong."""
    pattern = _NOT_PLAIN.get(delimiter)
    end = text.find("\n")
    if pattern is None or end < 0:
        return None
    header_line = text[:end].removesuffix("\r")
    if not header_line.strip() or "\r" in header_line or header_line.count('"') % 2:
        return None
    try:
        header = next(csv.reader([header_line], delimiter=delimiter, skipinitialspace=True))
    except csv.Error:
        return None
    body = text[end + 1 :].replace("\r\n", "\n").rstrip("\n")
    if not body or "\r" in body or "\n\n" in body or pattern.search(body):
        return None
    rows = body.count("\n") + 1
    if len(header) > limits.max_columns or rows > limits.max_rows:
        return None  # the careful reader says which limit, and how to raise it
    try:
        values = np.fromstring(body.replace("\n", delimiter), dtype=np.float64, sep=delimiter)
    except (ValueError, DeprecationWarning):
        return None
    if values.size != rows * len(header) or not np.isfinite(values).all():
        return None
    names = _check_header(header, 1)
    return names, values.reshape(rows, len(header))


# ----------------------------------------------------------------------------------------------------------
# Text: decoding, delimiter, records
# ----------------------------------------------------------------------------------------------------------
def _decode(data: bytes | bytearray | memoryview | str) -> str:
    """UTF-8 text without a BOM; invalid UTF-8 or NUL characters are refused with the row they are on."""
    if isinstance(data, str):
        text = data.removeprefix("\ufeff")
    elif isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            row = _line_of(raw[: exc.start].decode("utf-8", "replace"))
            raise DatasetError(
                f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} on row {row} cannot be read): "
                "save it as 'CSV UTF-8' and upload it again (a spreadsheet such as .xlsx must be exported "
                "as CSV first)",
                row=row,
            ) from None
    else:
        raise DatasetError(f"expected the file's bytes or text, got {type(data).__name__}")
    if "\x00" in text:
        row = _line_of(text[: text.index("\x00")])
        raise DatasetError(
            f"the file contains a NUL character on row {row}, so it is not a CSV text file: "
            "save it as 'CSV UTF-8' and upload it again",
            row=row,
        )
    if not text.strip():
        raise DatasetError(
            "the file is empty: upload a CSV file with a header row naming the columns, then one row per sample"
        )
    return text


def _line_of(before: str) -> int:
    """The editor line a position is on, given the text before it (LF, CRLF and CR all end a line)."""
    return before.count("\n") + before.count("\r") - before.count("\r\n") + 1


def _delimiter(text: str) -> str:
    """The delimiter the first non-blank line (the header) has most of, outside double quotes."""
    header = next((line for line in io.StringIO(text, newline="") if line.strip()), "")
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties go to the earlier one: comma
    return best if counts[best] else ","


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(row, fields) for every non-blank record; `row` is the editor line the record starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
    last = 0
    try:
        for fields in reader:
            start, last = last + 1, reader.line_num
            if any(field.strip() for field in fields):
                yield start, fields
    except csv.Error as exc:
        raise DatasetError(
            f"row {last + 1} cannot be read as CSV ({exc}): check its double quotes", row=last + 1
        ) from None


def _read(text: str, delimiter: str, limits: CsvLimits) -> tuple[list[str], list[list[str]], list[int]]:
    """The column names, the data rows (stripped, each as wide as the header) and their editor rows."""
    records = _records(text, delimiter)
    first = next(records, None)
    if first is None:
        raise DatasetError(
            "the file holds no values: upload a CSV file with a header row naming the columns, then one row per sample"
        )
    header_row, header = first
    if len(header) > limits.max_columns:
        raise DatasetError(
            f"the file has {len(header):,} columns; the limit is {limits.max_columns:,}: remove columns, "
            "or raise the limit",
            row=header_row,
            limit="max_columns",
        )
    names = _check_header(header, header_row)
    rows: list[list[str]] = []
    lines: list[int] = []
    for row, fields in records:
        if len(fields) != len(header):
            raise DatasetError(_ragged_message(row, fields, len(header), delimiter), row=row)
        if len(rows) == limits.max_rows:
            raise DatasetError(
                f"the file has more than {limits.max_rows:,} data rows; the limit is {limits.max_rows:,}: "
                "remove rows, or raise the limit",
                limit="max_rows",
            )
        rows.append([field.strip() for field in fields])
        lines.append(row)
    if not rows:
        raise DatasetError(
            "the file has a header row but no data rows: add one row of values per sample under the header"
        )
    return names, rows, lines


def _ragged_message(row: int, fields: list[str], n: int, delimiter: str) -> str:
    if any("\n" in f or "\r" in f for f in fields):
        return (
            f"row {row} has a double quote that is never closed, so the rows after it were read as one "
            "value: close the quote or remove it"
        )
    sign = {",": "comma", ";": "semicolon", "\t": "tab"}[delimiter]
    return (
        f"row {row} has {plural(len(fields), 'value')} but the header has {plural(n, 'column')}: every row "
        f"needs one value per column (look for a missing or extra {sign}, or a value containing a {sign} "
        "that is not in double quotes)"
    )


def _check_header(header: list[str], row: int) -> list[str]:
    """Column names: at least two, each named, no name twice, and not a row of numbers (a missing header)."""
    names = [field.strip() for field in header]
    if len(names) < 2:
        raise DatasetError(
            f"the header has only one column ('{_show(names[0])}'): a data set needs at least one feature "
            "column and a target column, separated by commas or semicolons",
            row=row,
        )
    if all(_NUMBER.fullmatch(n) or _COMMA_NUMBER.fullmatch(n) for n in names):
        preview = ", ".join(names[:3])
        raise DatasetError(
            f"the first row holds only numbers ({preview}{', …' if len(names) > 3 else ''}), so it looks "
            "like data, not a header: add a first row naming the columns, e.g. x1,x2,label",
            row=row,
        )
    seen: dict[str, int] = {}
    for j, name in enumerate(names, start=1):
        if not name:
            raise DatasetError(
                f"column {j} has no name in the header: give every column a name (an unnamed first column "
                "is often a saved row index; delete that column)",
                row=row,
                column=j,
            )
        if name in seen:
            raise DatasetError(
                f"the header names two columns '{_show(name)}' (columns {seen[name]} and {j}): give every "
                "column a different name",
                row=row,
                column=name,
            )
        seen[name] = j
    return names


def _target_index(target: str | int | None, names: list[str]) -> int:
    """The target column: the last by default, else by name (exact, then ignoring case) or 0-based index."""
    n = len(names)
    if target is None:
        return n - 1
    if isinstance(target, bool) or not isinstance(target, str | int | np.integer):
        raise DatasetError(f"target must be a column name or a 0-based column index, got {target!r}")
    if not isinstance(target, str):
        if not -n <= target < n:
            raise DatasetError(
                f"target column index {target} is out of range: the file has {n} columns, so use 0 to "
                f"{n - 1} (or -1 for the last)"
            )
        return int(target) % n
    wanted = target.strip()
    if wanted in names:
        return names.index(wanted)
    folded = [j for j, name in enumerate(names) if name.casefold() == wanted.casefold()]
    if len(folded) == 1:
        return folded[0]
    if folded:
        both = " and ".join(f"'{_show(names[j])}'" for j in folded)
        raise DatasetError(
            f"target '{_show(wanted)}' matches {both} when case is ignored: give the name exactly as the "
            "header writes it",
            column=wanted,
        )
    raise DatasetError(
        f"there is no column named '{_show(wanted)}'; the columns are {_name_list(names)}: choose the target "
        "among them",
        column=wanted,
    )


def _name_list(names: list[str], limit: int = 20) -> str:
    shown = ", ".join(f"'{_show(n)}'" for n in names[:limit])
    return shown + (f" and {len(names) - limit:,} more" if len(names) > limit else "")


def _show(cell: str, limit: int = 40) -> str:
    """A cell as a message quotes it: control characters escaped, long values cut."""
    text = cell.encode("unicode_escape").decode("ascii") if not cell.isprintable() else cell
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ----------------------------------------------------------------------------------------------------------
# Cells to numbers
# ----------------------------------------------------------------------------------------------------------
def _parse_cell(cell: str, decimal_comma: bool) -> float | str:
    """A stripped cell as a finite float, or what is wrong with it (_EMPTY, _MARKER, _NONFINITE_VALUE or
    _TEXT)."""
    if _NUMBER.fullmatch(cell):
        value = float(cell)
    elif decimal_comma and _COMMA_NUMBER.fullmatch(cell):
        value = float(cell.replace(",", "."))
    elif not cell:
        return _EMPTY
    elif cell.casefold() in _MISSING_MARKERS:
        return _MARKER
    elif _NONFINITE.fullmatch(cell):
        return _NONFINITE_VALUE
    else:
        return _TEXT
    return value if np.isfinite(value) else _NONFINITE_VALUE  # e.g. 1e999 overflows to inf


def _fast_floats(cells: Sequence[str], decimal_comma: bool) -> Array | None:
    """The cells as floats if every one is a plain finite number (the common case, fast), else None."""
    try:
        if decimal_comma:  # "1,5" -> "1.5"; anything with a second separator then fails float()
            values = np.array([float(c.replace(",", ".", 1)) for c in cells], dtype=np.float64)
        else:
            values = np.array([float(c) for c in cells], dtype=np.float64)
    except ValueError:
        return None
    joined = "".join(cells)
    # float() also takes "1_000", non-ASCII digits, "nan" and "inf": leave those to the careful path.
    if not np.isfinite(values).all() or "_" in joined or not joined.isascii():
        return None
    return values


def _cell_error(problem: str, cell: str, row: int, column: str, hint: str) -> DatasetError:
    where = f"row {row}, column '{_show(column)}'"
    if problem == _EMPTY:
        message = f"{where} is empty: missing values are not supported; fill it in or delete the row"
    elif problem == _MARKER:
        message = (
            f"{where}: '{_show(cell)}' marks a missing value, and missing values are not supported; "
            "fill it in or delete the row"
        )
    elif problem == _NONFINITE_VALUE:
        message = (
            f"{where}: '{_show(cell)}' is not a finite number; NaN and infinite values are not supported, "
            "so replace it with a real value or delete the row"
        )
    else:
        message = f"{where}: '{_show(cell)}' is not a number; {hint}"
    return DatasetError(message, row=row, column=column)


def _first_problem(cells: Sequence[str], decimal_comma: bool) -> tuple[int, str] | None:
    """(index, problem) of the first cell that is not a finite number, or None."""
    for i, cell in enumerate(cells):
        parsed = _parse_cell(cell, decimal_comma)
        if isinstance(parsed, str):
            return i, parsed
    return None


def _careful_floats(cells: Sequence[str], decimal_comma: bool) -> Array:
    """Cells already known to be finite numbers, parsed by the same rules as the checks."""
    return np.array([_parse_cell(c, decimal_comma) for c in cells], dtype=np.float64)


_FEATURE_HINT = (
    "feature columns must be numeric (if this column holds class labels, make it the target; otherwise "
    "delete the column)"
)


def _features(
    columns: list[tuple[str, ...]], feature_idx: list[int], names: list[str], lines: list[int], comma: bool
) -> Array:
    """The feature columns as an (m, n) float64 matrix; an error names the first bad cell in reading order."""
    X = np.empty((len(lines), len(feature_idx)))
    problems: list[tuple[int, int, str]] = []  # (row index, column position, problem)
    for k, j in enumerate(feature_idx):
        values = _fast_floats(columns[j], comma)
        if values is None:
            found = _first_problem(columns[j], comma)
            if found is not None:
                problems.append((found[0], j, found[1]))
                continue
            values = _careful_floats(columns[j], comma)
        X[:, k] = values
    if problems:
        i, j, problem = min(problems)
        raise _cell_error(problem, columns[j][i], lines[i], names[j], _FEATURE_HINT)
    return X


# ----------------------------------------------------------------------------------------------------------
# The target
# ----------------------------------------------------------------------------------------------------------
def _target_values(cells: Sequence[str], comma: bool, name: str, lines: list[int]) -> Array | None:
    """The target as floats if every value is a number; None if some value is text (a class label).
    Empty, missing-marker and NaN/inf values are errors whatever the task."""
    values = _fast_floats(cells, comma)
    if values is not None:
        return values
    parsed = [_parse_cell(c, comma) for c in cells]
    for i, p in enumerate(parsed):
        if isinstance(p, str) and p != _TEXT:
            raise _cell_error(p, cells[i], lines[i], name, "")
    if any(isinstance(p, str) for p in parsed):
        return None
    return np.array(parsed, dtype=np.float64)


def _resolve_task(task: str, values: Array | None) -> Task:
    """The task to use; "auto" applies the rule in the module docstring."""
    if task != "auto":
        return task  # type: ignore[return-value]
    if values is None:
        return "classification"
    whole = bool(np.all(values == np.round(values)))
    return "classification" if whole and np.unique(values).size <= AUTO_MAX_CLASSES else "regression"


_REGRESSION_HINT = (
    "a regression target must be numeric (choose task 'classification' to use its values as class labels, "
    "or choose another target column)"
)


def _regression_target(values: Array | None, cells: Sequence[str], name: str, lines: list[int], comma: bool) -> Array:
    """The (m, 1) regression target, or an error at its first value that is not a number."""
    if values is None:
        i = next(i for i, c in enumerate(cells) if _parse_cell(c, comma) == _TEXT)
        raise _cell_error(_TEXT, cells[i], lines[i], name, _REGRESSION_HINT)
    return values.reshape(-1, 1)


def _number_name(value: float) -> str:
    """A numeric label's class name: '3' for 3.0, '0.5' for 0.5."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _natural_key(text: str) -> tuple[list[Any], str]:
    """Sort key putting 'class 2' before 'class 10' (digit runs compare as numbers); case and accents are
    ignored first ('été' before 'hiver'), then break ties."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    parts = re.split(r"(\d+)", plain, flags=re.ASCII)
    return [int(p) if i % 2 else p.casefold() for i, p in enumerate(parts)], text


def _class_labels(
    values: Array | None, cells: Sequence[str], name: str, limits: CsvLimits
) -> tuple[Array, tuple[str, ...]]:
    """Class indices and class names (sorted naturally) of a classification target; `values` are its
    numbers if every label is one."""
    if values is not None:
        unique = np.unique(values)
        class_names = [_number_name(float(v)) for v in unique]
        labels = np.searchsorted(unique, values)
    else:
        class_names = sorted(set(cells), key=_natural_key)
        index = {c: i for i, c in enumerate(class_names)}
        labels = np.array([index[c] for c in cells], dtype=np.int64)
    _check_class_count(class_names, name, values is not None, limits)
    return labels.astype(np.int64), tuple(class_names)


def _check_class_count(class_names: list[str], name: str, numeric: bool, limits: CsvLimits) -> None:
    k = len(class_names)
    if k < 2:
        raise DatasetError(
            f"the target column '{_show(name)}' has only one class ('{_show(class_names[0])}'): "
            "classification needs at least 2 different labels; choose another target column, or check that "
            "the file has rows of every class",
            column=name,
        )
    if k > limits.max_classes:
        extra = ", or choose task 'regression' for this numeric target" if numeric else ""
        raise DatasetError(
            f"the target column '{_show(name)}' has {k:,} different values, more than the limit of "
            f"{limits.max_classes:,} classes: choose another target column{extra}",
            column=name,
        )
