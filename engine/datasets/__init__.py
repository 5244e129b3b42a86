"""Data sets for the engine: generated builtins, uploaded CSV files and tiny inline examples.

Every source ends in a `Dataset`: train/test inputs and targets ready for the network (standardized with
training statistics where that helps), plus what the page needs to label and plot them. Problems a user
can fix raise `DatasetError` (a ValueError) with a message meant to be shown as it is.
"""

from engine.datasets.base import Dataset, DatasetError, Normalization
from engine.datasets.builtin import BUILTINS, BuiltinSpec, make_builtin
from engine.datasets.csv_loader import CsvLimits, Table, parse_csv, table_to_dataset
from engine.datasets.inline import inline_dataset

__all__ = [
    "BUILTINS",
    "BuiltinSpec",
    "CsvLimits",
    "Dataset",
    "DatasetError",
    "Normalization",
    "Table",
    "inline_dataset",
    "make_builtin",
    "parse_csv",
    "table_to_dataset",
]
