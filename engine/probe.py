"""The network's output over its input domain: the heatmap behind the decision boundary (2 features) or
the fitted curve (1 feature)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.network import Network

Array = np.ndarray


@dataclass(frozen=True)
class OutputGrid:
    """`values[i][j]` is the output at (xs[j], ys[i]); for one feature, `ys` is None and values a vector.

    `kind`: "probability" (of class 1), "class" (arg-max index, several classes) or "value" (regression).
    """

    xs: Array
    ys: Array | None
    values: Array
    kind: str


def output_grid(
    network: Network,
    domain: Array,
    *,
    normalize: callable | None = None,
    classification: bool = False,
    resolution: int = 50,
    margin: float = 0.1,
) -> OutputGrid | None:
    """Evaluate the network on a grid over the raw domain (per feature [min, max], widened by `margin`).

    None when the data has more than two features (no plane to draw).
    """
    n_features = domain.shape[0]
    if n_features not in (1, 2):
        return None
    axes = []
    for low, high in domain:
        pad = (high - low) * margin or 1.0
        axes.append(np.linspace(low - pad, high + pad, resolution if n_features == 2 else 4 * resolution))
    if n_features == 1:
        raw = axes[0][:, None]
    else:
        gx, gy = np.meshgrid(axes[0], axes[1])
        raw = np.column_stack([gx.ravel(), gy.ravel()])
    X = normalize(raw) if normalize is not None else raw
    out = network.predict(X)
    if classification and out.shape[1] > 1:
        values, kind = out.argmax(axis=1).astype(np.float64), "class"
    else:
        values, kind = out[:, 0].astype(np.float64), "probability" if classification else "value"
    if n_features == 2:
        return OutputGrid(axes[0], axes[1], values.reshape(resolution, resolution), kind)
    return OutputGrid(axes[0], None, values, kind)
