"""A session driven from Python: step, step back, train with a progress bar, predict, read the weights and
metrics, export, get the data, and take the network to PyTorch or NumPy.

Every call is a REST call, so the page showing the same session follows it (its WebSocket hears of every
change), and what is clicked in the page is what `state()`, `weights` and `metrics` read next.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from app import schemas
from backprop_viz.client import BackpropVizError, Client
from backprop_viz.records import PhaseRecord, array

if TYPE_CHECKING:
    from collections import OrderedDict

    import torch

Array = np.ndarray
POLL_SECONDS = 0.1  # how often train() asks for the job's progress


@dataclass(frozen=True)
class Data:
    """A session's data as NumPy arrays, raw values as given (not standardized): X is samples × features; y is
    the class index (classification, names in `classes`), or the target (one column: a vector)."""

    X_train: Array
    y_train: Array
    X_test: Array
    y_test: Array
    features: tuple[str, ...]
    targets: tuple[str, ...]
    classes: tuple[str, ...] | None


class Session:
    """One session on a backprop-viz server. Made by `bv.show(...)`, `client.create(...)`,
    `client.session(id)`, `bv.from_torch(...)` or `Session.import_(doc)`.

    >>> s = bv.show(layers=[2, 2, 1], activations=["sigmoid", "sigmoid"], loss="half_sse",
    ...             init={"weights": [[[0.15, 0.2], [0.25, 0.3]], [[0.4, 0.45]]], "biases": [[0.35, 0.35], [0.6]]},
    ...             dataset={"inputs": [[0.05, 0.1]], "targets": [[0.01]]},
    ...             optimizer={"name": "sgd", "learning_rate": 0.5}, batch_size=1)  # doctest: +SKIP
    >>> s.step()[0].z                       # z^1 of the seed's example          # doctest: +SKIP
    array([0.3775, 0.3925])
    """

    def __init__(self, client: Client, state: schemas.SessionState) -> None:
        self.client = client
        self.id = state.id
        self._last = state

    def __repr__(self) -> str:
        c = self._last.config
        counters = self._last.counters
        return (
            f"<backprop_viz.Session {self.id} layers={c.layers} activations={c.activations} "
            f"pass={counters.pass_index} epoch={counters.epoch}>"
        )

    # -- where it is ------------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The page showing this session (open it in a browser, or `show()` it in a notebook)."""
        return self.client.page(self.id)

    def show(self, height: int | None = None) -> Session:
        """Show the page for this session in the notebook cell (a link outside a notebook)."""
        from backprop_viz.display import display_session

        display_session(self, height=height)
        return self

    def _path(self, tail: str = "") -> str:
        return f"api/sessions/{self.id}{tail}"

    # -- state ------------------------------------------------------------------------------------------------
    def state(self) -> schemas.SessionState:
        """The session now (GET /api/sessions/{id}): config, weights, counters, latest metrics, the focus
        sample, whether it plays, the running job — including what was done in the page."""
        self._last = self.client.state(self.id)
        return self._last

    @property
    def config(self) -> schemas.SessionConfig:
        """The configuration it runs with, defaults filled in."""
        return self.state().config

    @property
    def weights(self) -> list[Array]:
        """W^1 … W^L now, each of the seed's shape (n_l, n_{l−1}): row j holds neuron j's incoming weights."""
        return [array(W) for W in self.state().weights]

    @property
    def biases(self) -> list[Array]:
        """b^1 … b^L now."""
        return [array(b) for b in self.state().biases]

    @property
    def metrics(self) -> dict[str, list[float | None]]:
        """The loss history: per epoch `epoch`, `pass` (passes done at its end), `train_loss`, `test_loss` (and
        `train_accuracy`, `test_accuracy` for classification); per pass `batch_pass` and `batch_loss`. None
        where a value is missing or was not finite."""
        history = schemas.MetricsHistory.model_validate(self.client.json("GET", self._path("/metrics")))
        out: dict[str, list[float | None]] = dict(history.per_epoch)
        out["batch_pass"] = history.per_pass.get("pass", [])
        out["batch_loss"] = history.per_pass.get("batch_loss", [])
        return out

    # -- stepping ---------------------------------------------------------------------------------------------
    def step(self, unit: Literal["phase", "pass", "epoch"] = "phase", count: int = 1) -> list[PhaseRecord]:
        """Go forward `count` phases, passes or epochs and answer the phase records (for long steps only the
        last pass's). The page animates them.

        >>> [r.label for r in s.step("pass")]   # doctest: +SKIP
        ['F1', 'F2', 'J', 'B2', 'B1', 'U']
        """
        answer = schemas.StepResponse.model_validate(
            self.client.json("POST", self._path("/step"), json={"unit": unit, "count": count})
        )
        self._last = answer.state
        if answer.diverged is not None:
            raise BackpropVizError(answer.diverged.message, "learning_rate", None)
        return [PhaseRecord.from_wire(r) for r in answer.records]

    def back(self, unit: Literal["phase", "pass"] = "phase", count: int = 1) -> list[PhaseRecord]:
        """Step back `count` phases or passes (bitwise exact) and answer the records of the open pass now shown."""
        answer = schemas.BackResponse.model_validate(
            self.client.json("POST", self._path("/back"), json={"unit": unit, "count": count})
        )
        self._last = answer.state
        return [PhaseRecord.from_wire(r) for r in answer.visible]

    def reset(self) -> Session:
        """Back to the initial weights, pass 0."""
        self._last = schemas.SessionState.model_validate(self.client.json("POST", self._path("/reset")))
        return self

    def set(self, **changes: Any) -> Session:
        """Change hyperparameters from the next pass: `learning_rate`, `optimizer`, `batch_size`,
        `regularization` (PATCH /api/sessions/{id})."""
        self._last = schemas.SessionState.model_validate(self.client.json("PATCH", self._path(), json=changes))
        return self

    # -- training ---------------------------------------------------------------------------------------------
    def train(self, epochs: int | None = None, passes: int | None = None, *, progress: bool = True) -> schemas.Job:
        """Train `epochs` epochs or `passes` passes on the server's fast path (a background job the page follows),
        with a progress bar (tqdm: a widget in notebooks, text in terminals). Ctrl-C, or the notebook's stop
        button, cancels the job and raises KeyboardInterrupt; a job that diverges raises BackpropVizError.
        Answers the finished job.

        >>> s.train(epochs=100).status          # doctest: +SKIP
        'done'
        """
        body = {"epochs": epochs} if passes is None else {"passes": passes}
        if (epochs is None) == (passes is None):
            raise ValueError("give exactly one of epochs or passes, e.g. train(epochs=100)")
        job = schemas.Job.model_validate(self.client.json("POST", self._path("/train"), json=body))
        bar = _progress_bar(job.total, progress)
        try:
            while True:
                _advance(bar, job)
                if job.status != "running":
                    break
                time.sleep(POLL_SECONDS)
                job = self.job(job.id)
        except KeyboardInterrupt:
            self.cancel(job.id)
            raise
        finally:
            bar.close()
        self.state()
        if job.status == "failed":
            raise BackpropVizError(job.message or "the training job failed", "learning_rate", None)
        return job

    def job(self, job_id: str) -> schemas.Job:
        """A training job's progress (GET …/jobs/{job_id})."""
        return schemas.Job.model_validate(self.client.json("GET", self._path(f"/jobs/{job_id}")))

    def cancel(self, job_id: str | None = None) -> schemas.Job | None:
        """Cancel a training job (the running one by default); answers it, or None if none runs."""
        if job_id is None:
            job = self.state().job
            if job is None or job.status != "running":
                return None
            job_id = job.id
        return schemas.Job.model_validate(self.client.json("DELETE", self._path(f"/jobs/{job_id}")))

    # -- using the network ------------------------------------------------------------------------------------
    def predict(self, X: Any) -> Array:
        """The network's outputs a^L for raw feature rows (samples × features, or one sample), normalized as the
        training data was: samples × outputs."""
        rows = np.asarray(X, dtype=np.float64)
        if rows.ndim == 1:
            rows = rows[None, :]
        answer = self._predict(rows)
        return array(answer.outputs)

    def classify(self, X: Any) -> list[str]:
        """The predicted class name of each row (classification sessions)."""
        rows = np.asarray(X, dtype=np.float64)
        answer = self._predict(rows[None, :] if rows.ndim == 1 else rows)
        if answer.predicted is None:
            raise BackpropVizError("this session does a regression; it predicts values, not classes: use predict")
        return answer.predicted

    def _predict(self, rows: Array) -> schemas.PredictResponse:
        body = {"inputs": rows.tolist()}
        return schemas.PredictResponse.model_validate(self.client.json("POST", self._path("/predict"), json=body))

    def gradcheck(self) -> schemas.GradcheckResponse:
        """Backprop's gradients against central differences: the largest relative error per layer."""
        return schemas.GradcheckResponse.model_validate(self.client.json("GET", self._path("/gradcheck")))

    # -- data out ---------------------------------------------------------------------------------------------
    def dataset_csv(self, split: Literal["train", "test"] | None = None) -> str:
        """The data as CSV text (GET …/dataset.csv): raw feature values, the target, the split."""
        params = {"split": split} if split else None
        return self.client.request("GET", self._path("/dataset.csv"), params=params).text

    def dataset(self) -> Data:
        """The session's data as NumPy arrays, the raw values as given, in the order the session holds them
        (the focus sample i is X_train[i]).

        >>> d = s.dataset(); d.X_train.shape, d.classes       # doctest: +SKIP
        ((160, 2), ('0', '1'))
        """
        summary = self.state().dataset
        rows = list(csv.reader(io.StringIO(self.dataset_csv())))
        n_features, targets = len(summary.features), rows[0][len(summary.features) : -1]
        parts: dict[str, tuple[list[list[float]], list[Any]]] = {"train": ([], []), "test": ([], [])}
        classes = summary.classes
        index = {name: k for k, name in enumerate(classes)} if classes is not None else None
        for row in rows[1:]:
            X, Y = parts[row[-1]]
            X.append([float(v) for v in row[:n_features]])
            cells = row[n_features:-1]
            Y.append(index[cells[0]] if index is not None else [float(v) for v in cells])

        def arrays(split: str) -> tuple[Array, Array]:
            X, Y = parts[split]
            X_array = np.asarray(X, dtype=np.float64).reshape(len(X), n_features)
            if index is not None:
                return X_array, np.asarray(Y, dtype=np.int64)
            Y_array = np.asarray(Y, dtype=np.float64).reshape(len(Y), len(targets))
            return X_array, Y_array[:, 0] if len(targets) == 1 else Y_array

        X_train, y_train = arrays("train")
        X_test, y_test = arrays("test")
        names = tuple(classes) if classes else None
        return Data(X_train, y_train, X_test, y_test, tuple(summary.features), tuple(targets), names)

    # -- export -----------------------------------------------------------------------------------------------
    def export(self) -> dict[str, Any]:
        """Everything needed to continue this session elsewhere (the page's Export file): a JSON-safe dict."""
        return self.client.json("GET", self._path("/export"))

    @classmethod
    def import_(cls, document: Mapping[str, Any], client: Client | None = None) -> Session:
        """A new session continuing an exported one, on `client`'s server (default: `bv.serve()`'s)."""
        if client is None:
            from backprop_viz.server import serve

            client = serve().client
        return client.import_(document)

    def delete(self) -> None:
        """Delete the session on the server (an open page says it is gone)."""
        self.client.request("DELETE", self._path())

    # -- to NumPy and PyTorch ---------------------------------------------------------------------------------
    def save_npz(self, path: str | Path) -> Path:
        """Save the network as a NumPy .npz: W1, b1, …, WL, bL (the seed's shapes), `layers`, `activations`,
        `loss` and `activation_options` (JSON text). `np.load(path)` reads it back."""
        import json

        state = self.state()
        arrays: dict[str, Any] = {}
        for l, (W, b) in enumerate(zip(state.weights, state.biases, strict=True), start=1):  # noqa: E741
            arrays[f"W{l}"], arrays[f"b{l}"] = array(W), array(b)
        config = state.config
        arrays["layers"] = np.asarray(config.layers, dtype=np.int64)
        arrays["activations"] = np.asarray(config.activations)
        arrays["loss"] = np.asarray(config.loss)
        arrays["activation_options"] = np.asarray(json.dumps(config.activation_options))
        path = Path(path)
        np.savez(path, **arrays)
        return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")

    def to_torch(self, *, logits: bool = False, dtype: torch.dtype | None = None) -> torch.nn.Sequential:
        """An equivalent `torch.nn.Sequential` with the current weights: nn.Linear layers, each followed by its
        activation (nn.Identity for a linear hidden layer; nothing after a linear output layer). `logits=True`
        leaves out a final softmax or sigmoid, for nn.CrossEntropyLoss or nn.BCEWithLogitsLoss. The dtype is the
        session's (float64 or float32) unless given. Needs PyTorch (`pip install backprop-viz[torch]`)."""
        from backprop_viz.pytorch import to_torch

        return to_torch(self.state(), logits=logits, dtype=dtype)

    def state_dict(self, *, logits: bool = False) -> OrderedDict[str, torch.Tensor]:
        """The current weights as a PyTorch state dict of `to_torch()`'s model ("0.weight", "0.bias", …)."""
        return self.to_torch(logits=logits).state_dict()


def _progress_bar(total: int, enabled: bool) -> Any:
    """tqdm's bar counting passes: its notebook widget when ipywidgets is there (tqdm.auto picks by where it
    runs), else its text bar (tqdm.auto would warn that the widget is missing, and print the text bar)."""
    try:
        import ipywidgets  # noqa: F401 (tqdm's notebook bar is an ipywidgets widget)
        from tqdm.auto import tqdm
    except ImportError:
        from tqdm import tqdm

    return tqdm(total=total, unit="pass", desc="training", disable=not enabled, dynamic_ncols=True)


def _advance(bar: Any, job: schemas.Job) -> None:
    if job.done > bar.n:
        bar.update(job.done - bar.n)
    if job.loss is not None:
        bar.set_postfix(J=f"{job.loss:.4g}", refresh=False)
