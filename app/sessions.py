"""A session: one network with its data, optimizer, stepper and history, and its answers in the wire schema.

The session translates between the schema and the engine; it does no math of its own. Every public method
takes the session's lock, so REST calls, WebSocket commands, play mode and training jobs can share a session
from different threads without seeing half-done state. Numerical work runs in the caller's worker thread.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np
from pydantic import ValidationError

from app import convert, schemas
from app.config import Settings
from app.errors import Conflict, InvalidInput
from app.fairlock import FairRLock
from engine import serialization
from engine.catalog import default_activations, default_loss
from engine.datasets import Dataset, DatasetError, Table, inline_dataset, make_builtin, table_to_dataset
from engine.gradcheck import check_gradients
from engine.initializers import InitSpec
from engine.network import Network
from engine.optimizers import OptimizerConfig
from engine.probe import output_grid
from engine.regularization import Regularization
from engine.stepper import BackResult, Stepper, StepResult, phase_label
from engine.training import RunResult, Trainer, TrainingConfig

DEFAULT_DATASET = schemas.BuiltinDataset(builtin="xor", samples=200)
DEFAULT_BATCH_SIZE = 10
GRADCHECK_MAX_PARAMETERS = 5_000
GRADCHECK_SAMPLES = 8

TableLookup = Callable[[str], Table]


def new_id() -> str:
    """An unguessable id: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


# ---------------------------------------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------------------------------------
def load_dataset(spec: schemas.DatasetSpec, settings: Settings, lookup: TableLookup) -> Dataset:
    """The engine data set a spec names; DatasetError becomes a 422 naming the dataset field."""
    try:
        if isinstance(spec, schemas.BuiltinDataset):
            if spec.samples is not None and spec.samples > settings.max_builtin_samples:
                raise InvalidInput(
                    f"dataset.samples is {spec.samples}; the limit is {settings.max_builtin_samples} "
                    "(BACKPROP_VIZ_MAX_BUILTIN_SAMPLES)",
                    field="dataset.samples",
                )
            options: dict[str, Any] = {"test_fraction": spec.test_fraction, "seed": spec.seed}
            for name in ("samples", "noise", "classes"):
                if getattr(spec, name) is not None:
                    options[name] = getattr(spec, name)
            return make_builtin(spec.builtin, **options)
        if isinstance(spec, schemas.UploadedDataset):
            return table_to_dataset(lookup(spec.id), test_fraction=spec.test_fraction, seed=spec.seed)
        return inline_dataset(
            spec.inputs, spec.targets, task=spec.task, test_fraction=spec.test_fraction, seed=spec.seed
        )
    except DatasetError as exc:
        raise InvalidInput(str(exc), field="dataset") from None


def check_architecture(layers: list[int], settings: Settings) -> None:
    if len(layers) > settings.max_layers:
        raise InvalidInput(
            f"layers has {len(layers)} sizes; at most {settings.max_layers} are allowed (BACKPROP_VIZ_MAX_LAYERS)",
            field="layers",
        )
    for index, width in enumerate(layers):
        if width < 1:
            raise InvalidInput(f"layers[{index}] is {width}; every layer needs at least 1 neuron", field="layers")
        if width > settings.max_layer_width:
            raise InvalidInput(
                f"layers[{index}] is {width}; the widest allowed is {settings.max_layer_width} "
                "(BACKPROP_VIZ_MAX_LAYER_WIDTH)",
                field="layers",
            )
    params = sum((n_in + 1) * n_out for n_in, n_out in pairwise(layers))
    if params > settings.max_parameters:
        raise InvalidInput(
            f"this network has {params:,} weights and biases; the limit is {settings.max_parameters:,} "
            "(BACKPROP_VIZ_MAX_PARAMETERS): use fewer or narrower layers",
            field="layers",
        )


def _init_spec(init: schemas.InitScheme | schemas.ExplicitInit) -> InitSpec:
    if isinstance(init, schemas.ExplicitInit):
        return InitSpec(weights=init.weights, biases=init.biases)
    return InitSpec(scheme=init.scheme, seed=init.seed, low=init.low, high=init.high)


def training_config(optimizer: schemas.OptimizerSpec, batch_size: int, reg: schemas.RegularizationSpec):
    return TrainingConfig(
        OptimizerConfig(**optimizer.model_dump()),
        batch_size,
        Regularization(reg.kind, reg.rate),
    )


@dataclass
class JobInfo:
    """A background training job's progress, as the job resource shows it."""

    id: str
    total: int
    status: str = "running"
    done: int = 0
    loss: float | None = None
    started: float = field(default_factory=time.monotonic)
    message: str | None = None
    cancel: threading.Event = field(default_factory=threading.Event)

    def to_model(self) -> schemas.Job:
        eta = None
        if self.status == "running" and self.done > 0:
            elapsed = time.monotonic() - self.started
            eta = elapsed / self.done * (self.total - self.done)
        return schemas.Job(
            id=self.id,
            status=self.status,
            done=self.done,
            total=self.total,
            loss=convert.number(self.loss),
            eta_seconds=eta,
            message=self.message,
        )


class Session:
    """One network being trained; see the module docstring for the locking rule."""

    def __init__(
        self,
        session_id: str,
        config: schemas.SessionConfig,
        dataset: Dataset,
        stepper: Stepper,
        settings: Settings,
    ) -> None:
        self.id = session_id
        self.config = config
        self.dataset = dataset
        self.stepper = stepper
        self.settings = settings
        self.lock = FairRLock()  # fair: play and jobs retake it at once, commands must still get in
        self.created = time.time()
        self.last_used = time.monotonic()
        self.playing = False
        self.speed: float | None = None
        self.job: JobInfo | None = None
        self.jobs: dict[str, JobInfo] = {}
        self.revision = 0
        # Called after every change, in the changing thread with the lock held; must be quick (the WebSocket
        # hub uses it to notice REST calls and jobs).
        self.listeners: list[Callable[[], None]] = []

    # -- construction -----------------------------------------------------------------------------------
    @classmethod
    def create(cls, body: schemas.SessionCreate, settings: Settings, lookup: TableLookup) -> Session:
        """Fill defaults, check limits, build the engine objects; InvalidInput names the field that is wrong."""
        check_architecture(body.layers, settings)
        spec = body.dataset or DEFAULT_DATASET
        if body.dataset is None and body.layers[0] != 2:
            raise InvalidInput(
                f"layers[0] is {body.layers[0]} but the default data set (xor) has 2 features; "
                "give a 'dataset' or start the layers with 2",
                field="dataset",
            )
        dataset = load_dataset(spec, settings, lookup)
        if dataset.n_features != body.layers[0]:
            raise InvalidInput(
                f"the data set has {dataset.n_features} features but layers[0] is {body.layers[0]}; "
                f"make the input layer {dataset.n_features} wide",
                field="layers",
            )
        try:
            dataset = dataset.with_output_width(body.layers[-1])
        except DatasetError as exc:
            raise InvalidInput(str(exc), field="layers") from None
        n_layers = len(body.layers) - 1
        activations = list(body.activations or default_activations(n_layers, dataset.task, body.layers[-1]))
        loss = body.loss or default_loss(activations[-1])
        batch_size = body.batch_size or min(DEFAULT_BATCH_SIZE, dataset.X_train.shape[0])
        try:
            network = Network.build(body.layers, activations, loss, _init_spec(body.init), body.dtype)
        except ValueError as exc:
            raise InvalidInput(str(exc), field=_field_of(str(exc))) from None
        if dataset.X_train.shape[0] == 0:
            raise InvalidInput("the data set has no training rows; lower test_fraction", field="dataset")
        if body.focus >= dataset.X_train.shape[0]:
            raise InvalidInput(
                f"focus is {body.focus} but the training set has {dataset.X_train.shape[0]} samples "
                f"(0 to {dataset.X_train.shape[0] - 1})",
                field="focus",
            )
        config = schemas.SessionConfig(
            layers=body.layers,
            activations=activations,
            loss=loss,
            optimizer=body.optimizer,
            batch_size=batch_size,
            regularization=body.regularization,
            dtype=body.dtype,
            init=body.init,
            dataset=spec,
            seed=body.seed,
        )
        try:
            trainer = Trainer(
                network,
                dataset.X_train,
                dataset.Y_train,
                X_test=dataset.X_test,
                Y_test=dataset.Y_test,
                config=training_config(body.optimizer, batch_size, body.regularization),
                seed=body.seed,
                classification=dataset.task == "classification",
                history_bytes=settings.history_bytes,
            )
        except ValueError as exc:  # e.g. data beyond float32's range
            raise InvalidInput(str(exc), field="dataset") from None
        return cls(new_id(), config, dataset, Stepper(trainer, focus=body.focus), settings)

    # -- views ------------------------------------------------------------------------------------------
    @property
    def trainer(self) -> Trainer:
        return self.stepper.trainer

    @property
    def network(self) -> Network:
        return self.stepper.trainer.network

    @property
    def classification(self) -> bool:
        return self.dataset.task == "classification"

    def touch(self) -> None:
        self.last_used = time.monotonic()

    def counters(self) -> schemas.Counters:
        phase, layer = self.stepper.next_phase
        timeline = [phase_label(p, lay) for p, lay in self.stepper.phases]
        return schemas.Counters(
            pass_index=self.trainer.pass_index,
            epoch=self.trainer.epoch,
            phase=phase,
            layer=layer,
            position=self.stepper.position,
            label=timeline[self.stepper.position],
            timeline=timeline,
        )

    def latest_metrics(self) -> schemas.LatestMetrics:
        log = self.trainer.metrics

        def last(series: Any) -> float | None:
            return convert.number(series.y[-1]) if series.y else None

        return schemas.LatestMetrics(
            train_loss=last(log.train_loss),
            test_loss=last(log.test_loss),
            train_accuracy=last(log.train_accuracy),
            test_accuracy=last(log.test_accuracy),
            batch_loss=last(log.batch_loss),
        )

    def dataset_summary(self) -> schemas.DatasetSummary:
        ds = self.dataset
        return schemas.DatasetSummary(
            name=ds.name,
            task=ds.task,
            features=list(ds.feature_names),
            targets=list(ds.target_names),
            classes=list(ds.class_names) if ds.class_names else None,
            train_rows=int(ds.X_train.shape[0]),
            test_rows=int(ds.X_test.shape[0]),
            domain=ds.raw_domain.tolist(),
        )

    def current_config(self) -> schemas.SessionConfig:
        """The configuration in force, including hyperparameters changed since creation."""
        tc = self.stepper.pending_config or self.trainer.config
        opt = tc.optimizer
        return self.config.model_copy(
            update={
                "optimizer": schemas.OptimizerSpec(**opt.to_dict()),
                "batch_size": tc.batch_size,
                "regularization": schemas.RegularizationSpec(kind=tc.regularization.kind, rate=tc.regularization.rate),
            }
        )

    def state(self) -> schemas.SessionState:
        with self.lock:
            net = self.network
            return schemas.SessionState(
                id=self.id,
                config=self.current_config(),
                weights=[W.tolist() for W in net.W],
                biases=[b.tolist() for b in net.b],
                counters=self.counters(),
                metrics=self.latest_metrics(),
                dataset=self.dataset_summary(),
                focus=self.stepper.focus,
                playing=self.playing,
                speed=self.speed,
                pending_config=self.stepper.pending_config is not None,
                job=self.job.to_model() if self.job else None,
            )

    def visible_records(self) -> list[schemas.PhaseRecordOut]:
        with self.lock:
            return [convert.record(r) for r in self.stepper.visible_records]

    def metrics_history(self) -> schemas.MetricsHistory:
        with self.lock:
            return convert.metrics_history(self.trainer.metrics, self.classification)

    def metrics_lengths(self) -> tuple[int, int]:
        """How many per-pass and per-epoch points exist (a cursor for `metrics_since`)."""
        log = self.trainer.metrics
        return len(log.batch_loss), len(log.epoch_index)

    def metrics_since(self, cursor: tuple[int, int]) -> tuple[dict, dict, tuple[int, int], bool]:
        """Points added since `cursor`; `replace` is True when history was rewritten (back, reset, thinning)."""
        with self.lock:
            log = self.trainer.metrics
            now = self.metrics_lengths()
            if now[0] < cursor[0] or now[1] < cursor[1]:
                return convert.per_pass(log), convert.per_epoch(log), now, True
            return convert.per_pass(log, cursor[0]), convert.per_epoch(log, cursor[1]), now, False

    def focus_sample(self) -> schemas.FocusSample:
        with self.lock:
            index = self.stepper.focus
            x = self.trainer.X_train[index]
            raw = self._raw_inputs(x[None, :])[0]
            y = self.trainer.Y_train[index]
            label = None
            if self.classification and self.dataset.class_names:
                label = self.dataset.class_names[_class_of(y)]
            return schemas.FocusSample(index=index, x_raw=raw.tolist(), x=x.tolist(), y=y.tolist(), label=label)

    def _raw_inputs(self, X: np.ndarray) -> np.ndarray:
        norm = self.dataset.normalization
        return X * norm.std + norm.mean if norm is not None else np.asarray(X, dtype=np.float64)

    def data_points(self, limit: int = 2_000) -> schemas.DataPoints | None:
        """Train and test points in raw coordinates, for data sets with 1 or 2 features."""
        if self.dataset.n_features > 2:
            return None

        def target(Y: np.ndarray) -> list[float]:
            if self.classification:
                return [float(_class_of(row)) for row in Y]
            return Y[:, 0].tolist()

        ds = self.dataset
        return schemas.DataPoints(
            train_x=self._raw_inputs(ds.X_train[:limit]).tolist(),
            train_y=target(ds.Y_train[:limit]),
            test_x=self._raw_inputs(ds.X_test[:limit]).tolist(),
            test_y=target(ds.Y_test[:limit]),
        )

    def boundary(self, resolution: int = 50) -> schemas.Boundary | None:
        with self.lock:
            norm = self.dataset.normalization
            grid = output_grid(
                self.network,
                self.dataset.raw_domain,
                normalize=norm.apply if norm is not None else None,
                classification=self.classification,
                resolution=resolution,
            )
            if grid is None:
                return None
            return schemas.Boundary(
                xs=grid.xs.tolist(),
                ys=None if grid.ys is None else grid.ys.tolist(),
                values=convert.array(grid.values),
                kind=grid.kind,
            )

    def snapshot(self) -> schemas.SnapshotEvent:
        with self.lock:
            return schemas.SnapshotEvent(
                state=self.state(),
                visible=self.visible_records(),
                metrics=self.metrics_history(),
                focus=self.focus_sample(),
                data=self.data_points(),
                boundary=self.boundary(),
            )

    # -- commands ---------------------------------------------------------------------------------------
    def refusal(self, action: str, *, records: bool = False) -> None:
        """Raise the error `action` would meet now, changing nothing: a running job, or (`records`) a network
        too big to step with records. Lets a caller refuse before it stops play mode."""
        with self.lock:
            self._check_idle(action)
            if records:
                self._check_interactive()

    def _check_idle(self, action: str) -> None:
        if self.job is not None and self.job.status == "running":
            raise Conflict(
                f"a training job ({self.job.id}) is running on this session; wait for it or cancel it "
                f"before you {action}",
            )

    def _check_interactive(self) -> None:
        params = self.network.parameter_count
        if params > self.settings.max_interactive_parameters:
            raise InvalidInput(
                f"this network has {params:,} weights and biases; stepping with records is limited to "
                f"{self.settings.max_interactive_parameters:,} (BACKPROP_VIZ_MAX_INTERACTIVE_PARAMETERS). "
                "Train it with POST /api/sessions/{id}/train instead",
                field="unit",
            )

    def step(self, unit: str, count: int) -> StepResult:
        """Step with records; for long steps only the last pass's records are kept (`omitted` counts the rest)."""
        with self.lock:
            self._check_idle("step")
            self._check_interactive()
            self._check_step_length(unit, count)
            result = self.stepper.step(unit, count, max_records=self.settings.max_step_records)
            self._changed()
            return result

    def _check_step_length(self, unit: str, count: int) -> None:
        """Stepping computes every record, and the session is locked meanwhile: a step may advance at most
        `max_step_passes` passes (a phase count is measured in passes too), so it answers within seconds."""
        limit = self.settings.max_step_passes
        if unit == "phase":
            passes = -(-(self.stepper.position + count) // self.stepper.phases_per_pass)
        elif unit == "pass":
            passes = count
        else:
            passes = self.stepper.passes_for_epochs(count)
        if passes > limit:
            raise InvalidInput(
                f"that step would go through {passes:,} passes with records; one step may go through at most "
                f"{limit:,} (BACKPROP_VIZ_MAX_STEP_PASSES). Step fewer, or train many passes without records "
                "with POST /api/sessions/{id}/train",
                field="count",
            )

    def back(self, unit: str, count: int) -> BackResult:
        with self.lock:
            self._check_idle("step back")
            self._check_interactive()
            result = self.stepper.back(unit, count)
            self._changed()
            return result

    def patch(self, patch: schemas.SessionPatch | schemas.SetCommand) -> bool:
        """Change hyperparameters from the next pass; True if already in force."""
        with self.lock:
            current = self.stepper.pending_config or self.trainer.config
            optimizer = current.optimizer
            if patch.optimizer is not None:
                optimizer = OptimizerConfig(**patch.optimizer.model_dump())
            if patch.learning_rate is not None:
                optimizer = optimizer.with_changes(learning_rate=patch.learning_rate)
            reg = current.regularization
            if patch.regularization is not None:
                reg = Regularization(patch.regularization.kind, patch.regularization.rate)
            batch_size = patch.batch_size if patch.batch_size is not None else current.batch_size
            applied = self.stepper.apply_config(TrainingConfig(optimizer, batch_size, reg))
            self._changed()
            return applied

    def reset(self) -> None:
        with self.lock:
            self._check_idle("reset")
            self.stepper.reset()
            self._changed()

    def set_focus(self, index: int) -> None:
        with self.lock:
            try:
                self.stepper.set_focus(index)
            except ValueError as exc:
                raise InvalidInput(str(exc), field="index") from None
            self._changed()

    def edit_weight(self, edit: schemas.EditWeight) -> None:
        with self.lock:
            self._check_idle("edit a weight")
            try:
                self.stepper.edit_parameter(edit.layer, edit.row, edit.column, edit.value)
            except ValueError as exc:
                raise InvalidInput(str(exc), field=_field_of(str(exc))) from None
            self._changed()

    def train_chunk(self, passes: int, track_metrics: bool = True) -> RunResult:
        """Run up to `passes` passes on the fast path (play mode and jobs call this in chunks)."""
        with self.lock:
            result = self.stepper.train(passes, track_metrics=track_metrics)
            self._changed()
            return result

    def passes_for_epochs(self, epochs: int) -> int:
        with self.lock:
            return self.stepper.passes_for_epochs(epochs)

    def predict(self, inputs: list[list[float]]) -> schemas.PredictResponse:
        with self.lock:
            X = np.asarray(inputs, dtype=np.float64) if _rectangular(inputs) else None
            n = self.dataset.n_features
            if X is None or X.ndim != 2 or X.shape[1] != n:
                raise InvalidInput(f"inputs must be rows of {n} numbers (the features: "
                                   f"{', '.join(self.dataset.feature_names)})", field="inputs")
            if not np.isfinite(X).all():
                row = int(np.argwhere(~np.isfinite(X))[0][0])
                raise InvalidInput(f"inputs row {row} has a value that is not a finite number", field="inputs")
            norm = self.dataset.normalization
            out = self.network.predict(norm.apply(X) if norm is not None else X)
            response = schemas.PredictResponse(outputs=out.tolist())
            if self.classification and self.dataset.class_names:
                classes = list(self.dataset.class_names)
                probs = np.column_stack([1 - out[:, 0], out[:, 0]]) if out.shape[1] == 1 else out
                response.classes = classes
                response.probabilities = probs.tolist()
                response.predicted = [classes[int(k)] for k in probs.argmax(axis=1)]
            return response

    def gradcheck(self) -> schemas.GradcheckResponse:
        with self.lock:
            if self.network.parameter_count > GRADCHECK_MAX_PARAMETERS:
                raise InvalidInput(
                    f"the gradient check perturbs every parameter one by one; it is limited to networks with "
                    f"{GRADCHECK_MAX_PARAMETERS:,} weights and biases (this one has "
                    f"{self.network.parameter_count:,})",
                )
            m = min(GRADCHECK_SAMPLES, self.trainer.X_train.shape[0])
            check = check_gradients(self.network, self.trainer.X_train[:m], self.trainer.Y_train[:m])
            return schemas.GradcheckResponse(
                layers=[
                    schemas.GradcheckLayer(
                        layer=c.layer,
                        max_relative_error_W=c.max_relative_error_W,
                        max_relative_error_b=c.max_relative_error_b,
                    )
                    for c in check.layers
                ],
                max_relative_error=check.max_relative_error,
                samples=m,
                epsilon=check.epsilon,
            )

    # -- export / import --------------------------------------------------------------------------------
    def export(self, include_dataset: bool = True) -> dict[str, Any]:
        """Everything needed to continue this session elsewhere, as a JSON-safe dict (schemas.SessionExport):
        config, weights, optimizer state, batches, counters, metrics, the focus, the open pass and the data
        (left out with `include_dataset=False`: the store keeps it apart, as it never changes)."""
        with self.lock:
            stepper, trainer = self.stepper, self.trainer
            trainer_doc = serialization.trainer_to_dict(trainer, initial=stepper.initial)
            if stepper.position > 0:
                # An open pass has drawn its batch already: save the keyframe at its start and replay the
                # shown phases on import instead.
                frame = trainer.history.latest_at_or_before(trainer.pass_index)
                assert frame is not None and frame.pass_index == trainer.pass_index, "open pass without keyframe"
                trainer_doc["state"] = serialization.checkpoint_to_dict(frame)
            pending = stepper.pending_config
            return {
                "format": schemas.EXPORT_FORMAT,
                "version": schemas.EXPORT_VERSION,
                "config": self.config.model_dump(mode="json", by_alias=True),
                "focus": stepper.focus,
                "position": stepper.position,
                "pending_config": None if pending is None else _pending_to_dict(pending),
                "trainer": trainer_doc,
                **({"dataset": serialization.dataset_to_dict(self.dataset)} if include_dataset else {}),
            }

    @classmethod
    def from_export(
        cls, doc: dict[str, Any] | schemas.SessionExport, settings: Settings, session_id: str | None = None
    ) -> Session:
        """A session in exactly the exported state (a new id unless given). A document that is not an export,
        or is inconsistent, raises InvalidInput (422) naming the part that is wrong."""
        if not isinstance(doc, schemas.SessionExport):
            doc = _validated_export(doc)
        config = doc.config
        check_architecture(config.layers, settings)
        try:
            dataset = serialization.dataset_from_dict(doc.dataset.model_dump())
        except DatasetError as exc:
            raise InvalidInput(f"dataset: {exc}", field="dataset") from None
        trainer = _trainer_from_export(doc.trainer, dataset, settings)
        network = trainer.network
        built = (network.sizes, [a.name for a in network.activations], network.loss.name, network.dtype_name)
        expected = (config.layers, list(config.activations), config.loss, config.dtype)
        if tuple(built) != expected:
            raise InvalidInput(
                f"trainer.network (layers {built[0]}, activations {built[1]}, loss {built[2]}, dtype {built[3]}) "
                f"does not match config (layers {expected[0]}, activations {expected[1]}, loss {expected[2]}, "
                f"dtype {expected[3]}); export the session again",
                field="trainer.network",
            )
        try:
            initial = serialization.initial_from_dict(doc.trainer, trainer)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as exc:
            raise InvalidInput(f"trainer.initial is malformed ({type(exc).__name__}: {exc})", field="trainer") from None
        if doc.focus >= dataset.n_train:
            raise InvalidInput(
                f"focus is {doc.focus} but the training set has {dataset.n_train} samples", field="focus"
            )
        stepper = Stepper(trainer, focus=doc.focus, initial=initial)
        if doc.position >= stepper.phases_per_pass:
            raise InvalidInput(
                f"position is {doc.position}; a pass of this network has phases 0 to {stepper.phases_per_pass - 1}",
                field="position",
            )
        if doc.position > 0:
            replay = stepper.step("phase", doc.position)
            if replay.diverged is not None or len(replay.records) != doc.position:
                raise InvalidInput("the open pass cannot be replayed: its loss is not finite", field="position")
        if doc.pending_config is not None:
            pending = doc.pending_config
            stepper.apply_config(training_config(pending.optimizer, pending.batch_size, pending.regularization))
        session = cls(session_id or new_id(), config, dataset, stepper, settings)
        try:  # the views every client asks for first must render: catches metrics of the wrong types
            session.state()
            session.metrics_history()
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
            raise InvalidInput(f"trainer.metrics is malformed ({type(exc).__name__}: {exc})", field="trainer") from None
        return session

    def _changed(self) -> None:
        self.revision += 1
        self.touch()
        for listener in list(self.listeners):
            listener()


def _pending_to_dict(config: TrainingConfig) -> dict[str, Any]:
    return {
        "optimizer": config.optimizer.to_dict(),
        "batch_size": config.batch_size,
        "regularization": {"kind": config.regularization.kind, "rate": config.regularization.rate},
    }


def _validated_export(doc: Any) -> schemas.SessionExport:
    """The document as a SessionExport, or InvalidInput saying what is wrong with it (first few problems)."""
    if not isinstance(doc, dict) or doc.get("format") != schemas.EXPORT_FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
        raise InvalidInput(
            f"this is not a backprop-viz session export (its 'format' is {found!r}, expected "
            f"{schemas.EXPORT_FORMAT!r}); import a document saved from GET /api/sessions/{{id}}/export",
            field="format",
        )
    if doc.get("version") != schemas.EXPORT_VERSION:
        raise InvalidInput(
            f"this export has version {doc.get('version')!r}; this server reads version {schemas.EXPORT_VERSION}",
            field="version",
        )
    try:
        return schemas.SessionExport.model_validate(doc)
    except ValidationError as exc:
        problems = []
        for error in exc.errors()[:3]:
            where = ".".join(str(p) for p in error.get("loc", ()))
            problems.append(f"{where}: {error.get('msg', 'invalid')}")
        first = ".".join(str(p) for p in exc.errors()[0].get("loc", ())) if exc.errors() else None
        raise InvalidInput("the export document is malformed: " + "; ".join(problems), field=first) from None


def _trainer_from_export(doc: dict[str, Any], dataset: Dataset, settings: Settings) -> Trainer:
    """The engine trainer of an export, with the checks the engine leaves to its callers (batch positions)."""
    try:
        trainer = serialization.trainer_from_dict(
            doc,
            dataset.X_train,
            dataset.Y_train,
            dataset.X_test,
            dataset.Y_test,
            history_bytes=settings.history_bytes,
        )
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as exc:
        raise InvalidInput(f"trainer is malformed ({type(exc).__name__}: {exc})", field="trainer") from None
    check_architecture(trainer.network.sizes, settings)
    sampler = trainer.sampler
    order = sampler.order
    counters = (sampler.cursor, sampler.epoch, trainer.pass_index, trainer.optimizer.t)
    if not all(isinstance(c, int) and not isinstance(c, bool) for c in counters):
        raise InvalidInput(
            "trainer.state: pass_index, optimizer.t, sampler.cursor and sampler.epoch must be whole numbers",
            field="trainer.state",
        )
    valid_order = order is None or (
        order.shape == (sampler.n,) and np.array_equal(np.sort(order), np.arange(sampler.n))
    )
    if not (0 <= sampler.cursor < sampler.n and sampler.epoch >= 0 and trainer.pass_index >= 0 and valid_order):
        raise InvalidInput(
            "trainer.state.sampler does not fit the data set (cursor, epoch or order out of range)",
            field="trainer.state.sampler",
        )
    if order is None and sampler.cursor > 0 and not sampler.full_batch:
        raise InvalidInput("trainer.state.sampler has a cursor but no order", field="trainer.state.sampler")
    if trainer.optimizer.t < 0:
        raise InvalidInput("trainer.state.optimizer.t must be ≥ 0", field="trainer.state.optimizer")
    return trainer


def _class_of(y: np.ndarray) -> int:
    return int(y[0] > 0.5) if y.shape[0] == 1 else int(np.argmax(y))


def _rectangular(rows: list[list[float]]) -> bool:
    return bool(rows) and all(isinstance(r, list) and len(r) == len(rows[0]) for r in rows)


def _field_of(message: str) -> str | None:
    """Best guess of the request field an engine message is about (for the error's `field`)."""
    for name in ("activation", "loss", "weights", "biases", "layers", "learning_rate", "batch_size", "focus"):
        if name in message:
            return {"activation": "activations"}.get(name, name)
    return None
