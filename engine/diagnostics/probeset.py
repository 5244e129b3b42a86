"""The probe batch the diagnostics measure on: a fixed set of training samples, the same at every pass, so that
statistics of different passes compare the network and not the batches it happened to draw.

The probe is the whole training set up to PROBE_MAX_SAMPLES rows, fewer for a large network so that one
measurement (a forward and a backward pass over the probe) stays near PROBE_MAX_WORK multiply-adds; never fewer
than PROBE_MIN_SAMPLES (or the training set, if smaller). Rows are taken evenly spaced over the training set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Array = np.ndarray

PROBE_MAX_SAMPLES = 256  # a histogram of 256 samples' a^l is already a smooth picture of the layer
PROBE_MIN_SAMPLES = 16
PROBE_MAX_WORK = 20_000_000  # samples × parameters: about 1–5 ms of NumPy per measurement on a 2-core machine


@dataclass(frozen=True)
class ProbeSet:
    """The probe's rows of the training set (`indices`), their network inputs X and targets Y."""

    indices: Array
    X: Array
    Y: Array

    @property
    def size(self) -> int:
        return int(self.indices.size)


def probe_size(n_train: int, parameter_count: int) -> int:
    """How many training rows the probe holds for this network (see the module docstring)."""
    by_work = PROBE_MAX_WORK // max(1, parameter_count)
    return int(min(n_train, max(PROBE_MIN_SAMPLES, min(PROBE_MAX_SAMPLES, by_work))))


def probe_set(X_train: Array, Y_train: Array, parameter_count: int) -> ProbeSet:
    """The probe of a training set: `probe_size` rows, evenly spaced (the first and the last included)."""
    n = int(X_train.shape[0])
    size = probe_size(n, parameter_count)
    indices = np.unique(np.linspace(0, n - 1, size).round().astype(np.int64)) if size else np.zeros(0, np.int64)
    return ProbeSet(indices, np.ascontiguousarray(X_train[indices]), np.ascontiguousarray(Y_train[indices]))
