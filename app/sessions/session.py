"""The Session: one network with its data, optimizer, stepper and history, and the commands that change it.

Every public method takes the session's lock (fair and reentrant), so REST calls, WebSocket commands, play mode
and training jobs can share a session from different threads without seeing half-done state. Routes and the job
runner never take it themselves; only the WebSocket hub and play mode hold it around several calls, so that one
frame shows one moment. Numerical work runs in the caller's worker thread. What a session answers is built by
`presenting`; a session is built from a request by `building`, from a document by `export`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import numpy as np

from app import budget, schemas
from app.config import Settings
from app.errors import Conflict, InvalidInput, NotFound
from app.fairlock import FairRLock
from app.ids import new_id
from app.lessons.models import Lesson
from app.lessons.tracker import LessonTracker
from app.sessions import building, diagnosing, export, imaging, presenting
from app.sessions.building import SessionParts, TableLookup
from app.sessions.watching import Update, Watch
from app.validation import field_in_message
from engine.batches import Example
from engine.datasets import Dataset, DatasetError
from engine.diagnostics import landscape as landscapes
from engine.diagnostics.stopping import StopRule, StopWatch
from engine.gradcheck import check_gradients
from engine.network import Network
from engine.optimizers import OptimizerConfig
from engine.regularization import Regularization
from engine.stepper import BackResult, Stepper, StepResult
from engine.training import RunResult, Trainer, TrainingConfig

if TYPE_CHECKING:  # a session holds its jobs' records; app.jobs creates them and runs the jobs on sessions
    from app.jobs import JobInfo

log = logging.getLogger(__name__)

GRADCHECK_MAX_PARAMETERS = 5_000
GRADCHECK_SAMPLES = 8
T = TypeVar("T")


def _no_uploads(dataset_id: str) -> Any:
    raise InvalidInput(f"a lesson cannot use an uploaded data set ({dataset_id!r})", field="dataset")


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
        self.data_revision = 0  # counts changes of the data (an example added): the store writes them again
        self.generation = 0  # how many times the session was rebuilt in place (a new network and data)
        self.lesson: LessonTracker | None = None  # the lesson it follows, if any (app/lessons/tracker.py)
        self.lesson_revision = 0  # moves whenever the lesson moves or its open step's status or check changes
        # Called after every change, in the changing thread with the lock held; must be quick (the WebSocket
        # hub uses it to notice REST calls and jobs).
        self.listeners: list[Callable[[], None]] = []
        # Set by the registry that keeps the session: makes room in the server's memory budget for the session to
        # cost the given bytes (evicting idle others) or raises 429 (app/budget.py).
        self.make_room: Callable[[Session, budget.SessionCost], None] | None = None
        self.watch = Watch(stepper.trainer, settings)  # its diagnostics (app/sessions/watching.py)
        self.unchanging = presenting.Unchanging()  # the state's seldom-changing parts, made once per change

    # -- construction -----------------------------------------------------------------------------------
    @classmethod
    def create(cls, body: schemas.SessionCreate, settings: Settings, lookup: TableLookup) -> Session:
        """Fill defaults, check limits, build the engine objects; InvalidInput names the field that is wrong."""
        return cls._of(new_id(settings.shard), building.build(body, settings, lookup), settings)

    @classmethod
    def for_lesson(cls, lesson: Lesson, settings: Settings) -> Session:
        """A new session at the lesson's first step, built from its first setup."""
        tracker = LessonTracker(lesson)
        session = cls.create(tracker.session_body(lesson.first_setup.session), settings, _no_uploads)
        session._follow(tracker)
        with session.lock:
            tracker.start(session)
        return session

    @classmethod
    def from_export(
        cls,
        doc: dict[str, Any] | schemas.SessionExport,
        settings: Settings,
        session_id: str | None = None,
        lessons: Mapping[str, Lesson] | None = None,
        unknown_lesson: Literal["refuse", "drop"] = "refuse",
    ) -> Session:
        """A session in exactly the exported state (a new id unless given), with its lesson progress if it has
        one (`lessons` are those this server serves). A document that is not an export, or is inconsistent,
        raises InvalidInput (422) naming the part that is wrong; so does progress in a lesson this server does
        not have, unless `unknown_lesson` is "drop" (a restart: the session comes back without it)."""
        session = cls._of(session_id or new_id(settings.shard), export.parts_from_export(doc, settings), settings)
        raw = doc.get("lesson") if isinstance(doc, dict) else doc.lesson
        if raw is not None:
            try:
                progress = schemas.LessonProgressDoc.model_validate(raw)
                lesson = (lessons or {}).get(progress.id)
                if lesson is None:
                    raise InvalidInput(
                        f"the session follows the lesson {progress.id!r}, which this server does not have "
                        "(GET /api/lessons lists those it has); add the lesson file or remove 'lesson'",
                        field="lesson.id",
                    )
                session._follow(LessonTracker.from_doc(lesson, progress))
            except InvalidInput as exc:
                if unknown_lesson == "refuse":
                    raise
                log.error("session %s continues without its lesson: %s", session.id, exc.message)
        try:  # the views every client asks for first must render: catches metrics of the wrong types
            session.state()
            session.metrics_history()
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
            raise InvalidInput(f"trainer.metrics is malformed ({type(exc).__name__}: {exc})", field="trainer") from None
        return session

    @classmethod
    def _of(cls, session_id: str, parts: SessionParts, settings: Settings) -> Session:
        return cls(session_id, parts.config, parts.dataset, parts.stepper, settings)

    # -- what it holds ----------------------------------------------------------------------------------
    @property
    def trainer(self) -> Trainer:
        return self.stepper.trainer

    @property
    def network(self) -> Network:
        return self.stepper.trainer.network

    def touch(self) -> None:
        self.last_used = time.monotonic()

    def cost(self, optimizer: str | None = None) -> budget.SessionCost:
        """What this session costs in memory at its peak (app/budget.py), or would cost with another optimizer;
        reads sizes only, so no lock."""
        return _cost_of(self.config, self.trainer, self.settings, optimizer)

    def _fit_budget(self, config: schemas.SessionConfig, trainer: Trainer, optimizer: str | None = None) -> None:
        """Make room in the server's memory budget before the session grows to `config`/`trainer`'s cost: 429
        naming the setting, and nothing changed, when it cannot (a rebuild, a switch to a costlier optimizer)."""
        if self.make_room is not None:
            self.make_room(self, _cost_of(config, trainer, self.settings, optimizer))

    def busy(self) -> bool:
        """Playing or training in the background (a lesson checks its conditions less often meanwhile)."""
        return self.playing or (self.job is not None and self.job.status == "running")

    # -- views (each one moment: taken under the lock) -------------------------------------------------
    def state(self) -> schemas.SessionState:
        with self.lock:
            return presenting.state(self._state_source())

    def state_json(self) -> str:
        """`state()` as wire JSON, made without the models (presenting.state_json): what every play frame and
        step answer carries."""
        with self.lock:
            return presenting.state_json(self._state_source())

    def _state_source(self) -> presenting.StateSource:
        return presenting.StateSource(
            self.id,
            self.config,
            self.stepper,
            self.dataset,
            playing=self.playing,
            speed=self.speed,
            job=self.job.to_model() if self.job else None,
            lesson=self.lesson.summary() if self.lesson else None,
            unchanging=self.unchanging,
        )

    def visible_records(self) -> list[schemas.PhaseRecordOut]:
        with self.lock:
            return presenting.visible_records(self.stepper)

    def metrics_history(self, limit: int | None = None) -> schemas.MetricsHistory:
        """The loss history; with `limit`, at most that many points per series (what the WebSocket sends)."""
        with self.lock:
            return presenting.metrics_history(self.trainer.metrics, self.dataset, limit)

    def metrics_lengths(self) -> presenting.MetricsCursor:
        """How many per-pass and per-epoch points exist (a cursor for `metrics_since`)."""
        with self.lock:
            return presenting.metrics_cursor(self.trainer.metrics)

    def metrics_since(self, cursor: presenting.MetricsCursor) -> tuple[dict, dict, presenting.MetricsCursor, bool]:
        """Points added since `cursor`; `replace` is True when history was rewritten (back, reset, thinning)."""
        with self.lock:
            return presenting.metrics_since(self.trainer.metrics, cursor)

    def focus_sample(self) -> schemas.FocusSample:
        with self.lock:
            return presenting.focus_sample(self.stepper, self.dataset)

    def data_points(self, limit: int = 2_000) -> schemas.DataPoints | None:
        """Train and test points in raw coordinates, for data sets with 1 or 2 features (they never change)."""
        return presenting.data_points(self.dataset, limit)

    def boundary(self, resolution: int = 50) -> schemas.Boundary | None:
        with self.lock:
            return presenting.boundary(self.network, self.dataset, resolution)

    def snapshot(self) -> schemas.SnapshotEvent:
        with self.lock:
            latest = self.watch.latest() if self.settings.diagnostics else None
            return schemas.SnapshotEvent(
                diagnostics=diagnosing.frame(latest) if latest is not None else None,
                flags=diagnosing.flags(latest.flags) if latest is not None else [],
                state=self.state(),
                visible=self.visible_records(),
                metrics=self.metrics_history(presenting.HISTORY_POINTS_SENT),
                focus=self.focus_sample(),
                data=self.data_points(),
                boundary=self.boundary(),
                lesson=self.lesson_view(),
            )

    # -- refusals ---------------------------------------------------------------------------------------
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
                f"a {self.job.kind} job ({self.job.id}) is running on this session; wait for it or cancel it "
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

    # -- commands ---------------------------------------------------------------------------------------
    def step(self, unit: str, count: int, measure: bool = True) -> StepResult:
        """Step with records; for long steps only the last pass's records are kept (`omitted` counts the rest).
        `measure=False`: the diagnostics are measured when next read (`diagnostics_since`), not now — for a caller
        that answers with the records first and collects the statistics after (the WebSocket `step`)."""
        with self.lock:
            self._check_idle("step")
            self._check_interactive()
            self._check_step_length(unit, count)
            max_records = budget.records_within(
                self.settings.max_step_answer_bytes,
                self.config.layers,
                self.trainer.config.batch_size,
                self.settings.max_step_records,
            )
            result = self.stepper.step(unit, count, max_records=max_records)
            if result.diverged is not None and self.lesson is not None:
                self.lesson.count_diverged()
            self._changed(measure=measure)
            return result

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
                self._fit_budget(self.config, self.trainer, optimizer.name)  # adam keeps 2 arrays per parameter
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

    def set_focus(self, index: int, split: str = "train") -> None:
        with self.lock:
            try:
                self.stepper.set_focus(index, split)
            except ValueError as exc:
                raise InvalidInput(str(exc), field="index") from None
            self._changed()

    def teach(self, request: schemas.TeachRequest) -> StepResult:
        """One pass on a drawing and its label instead of the next batch, through the stepper (so `back` undoes
        it exactly): its first phase or the whole pass. 422 names what the data set expects."""
        with self.lock:
            self._check_idle("teach")
            example = self._example(request)
            self._check_interactive()
            result = self.stepper.teach(example, request.unit, max_records=self.settings.max_step_records)
            self._changed()
            return result

    def add_example(self, request: schemas.ExampleRequest) -> None:
        """Add a drawing and its label to the training set (drawn at the end of this epoch, then with the rest);
        stepping back stops here, as earlier passes were drawn from the smaller set."""
        with self.lock:
            self._check_idle("add an example")
            example = self._example(request)
            limit = self.settings.max_upload_rows
            if self.dataset.n_train + self.dataset.n_test >= limit:
                raise InvalidInput(
                    f"the data set has {limit:,} rows, the most a data set may have (BACKPROP_VIZ_MAX_UPLOAD_ROWS)",
                    field="input",
                )
            self.stepper.add_sample(example)
            self.dataset = self.dataset.with_training_row(request.input, request.label)
            self.data_revision += 1
            self._changed()

    def add_example_answer(self, request: schemas.ExampleRequest) -> schemas.SessionState:
        with self.lock:
            self.add_example(request)
            return self.state()

    def _example(self, request: schemas.ExampleRequest) -> Example:
        dataset = self.dataset
        if dataset.image is None:
            raise InvalidInput(
                f"teach takes a drawing, and this session's data set ({dataset.name!r}) is not one of images: use "
                "digits, or upload a CSV with image_shape",
                field="input",
            )
        try:
            x, y = dataset.encode_example(request.input, request.label)
        except DatasetError as exc:
            raise InvalidInput(exc.message, field=exc.field or "input") from None
        return Example(x, y)

    def image_samples(self, request: imaging.ImagesRequest) -> schemas.ImageSamples:
        """Images of a split with the network's predictions and the split's confusion matrix, now."""
        with self.lock:
            return imaging.image_samples(self.network, self.dataset, self.trainer, request)

    def edit_weight(self, edit: schemas.EditWeight) -> None:
        with self.lock:
            self._check_idle("edit a weight")
            try:
                self.stepper.edit_parameter(edit.layer, edit.row, edit.column, edit.value)
            except ValueError as exc:
                raise InvalidInput(str(exc), field=field_in_message(str(exc))) from None
            self.watch.edits += 1
            self._changed()

    def train_chunk(
        self, passes: int, track_metrics: bool = True, should_stop: Callable[[], bool] | None = None
    ) -> RunResult:
        """Run up to `passes` passes on the fast path (play mode and jobs call this in chunks); `should_stop` is
        asked after every keyframe chunk (a job's stop conditions)."""
        with self.lock:
            started = time.thread_time()
            result = self.stepper.train(passes, track_metrics=track_metrics, should_stop=should_stop)
            self.watch.share.earn(time.thread_time() - started)  # what pays for the next measurement
            if result.diverged is not None and self.lesson is not None:
                self.lesson.count_diverged()
            self._changed()
            return result

    def passes_for_epochs(self, epochs: int) -> int:
        with self.lock:
            return self.stepper.passes_for_epochs(epochs)

    # -- REST answers: a change and the state after it, from one hold of the lock ------------------------
    def step_answer(self, request: schemas.StepRequest) -> schemas.StepResponse:
        with self.lock:
            result = self.step(request.unit, request.count)
            return presenting.step_response(result, self.state())

    def teach_answer(self, request: schemas.TeachRequest) -> schemas.StepResponse:
        with self.lock:
            result = self.teach(request)
            return presenting.step_response(result, self.state())

    def back_answer(self, request: schemas.BackRequest) -> schemas.BackResponse:
        with self.lock:
            result = self.back(request.unit, request.count)
            return presenting.back_response(result, self.state())

    def patch_answer(self, patch: schemas.SessionPatch) -> schemas.SessionState:
        with self.lock:
            self.patch(patch)
            return self.state()

    def reset_answer(self) -> schemas.SessionState:
        with self.lock:
            self.reset()
            return self.state()

    # -- using the network ------------------------------------------------------------------------------
    def predict(self, inputs: list[list[float]]) -> schemas.PredictResponse:
        """The network's outputs for raw feature rows (normalized here as the training data was)."""
        X = _input_rows(inputs, self.dataset)
        norm = self.dataset.normalization
        with self.lock:
            outputs = self.network.predict(norm.apply(X) if norm is not None else X)
        return presenting.prediction(outputs, self.dataset)

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
            return presenting.gradient_check(check, m)

    # -- training jobs (app.jobs runs them; their records live here, changed under the lock) ------------
    def start_job(self, job: JobInfo, keep_finished: int, stop: StopRule | None = None) -> None:
        """Make `job` this session's running job (409 if one runs already or the session plays), keeping
        the last `keep_finished` finished ones for GET .../jobs/{id}; `stop` ends a training job early."""
        with self.lock:
            if self.job is not None and self.job.status == "running":
                raise Conflict(
                    f"{self.job.kind} job {self.job.id} is already running on this session; wait for it or "
                    f"cancel it with DELETE /api/sessions/{self.id}/jobs/{self.job.id}"
                )
            if self.playing:
                raise Conflict(f"the session is playing; pause it before you start a {job.kind} job")
            if stop is not None:
                job.stop = StopWatch(stop, self.trainer.metrics, monitor_test=self.trainer.X_test.shape[0] > 0)
            self.job = job
            self.jobs[job.id] = job
            finished = [j for j in self.jobs.values() if j.status != "running"]
            for old in finished[: max(0, len(finished) - keep_finished)]:
                del self.jobs[old.id]
            self.touch()

    def train_job_chunk(self, job: JobInfo, passes: int) -> float | None:
        """One chunk of `job`, in one hold of the lock, so a checkpoint never sees passes without their count:
        end the job if it is done or cancelled (None), or train up to `passes` passes, count them in the job
        and answer the seconds spent training (this thread's CPU time: what the chunk cost, whatever else the
        machine and the interpreter were busy with meanwhile, so that chunk sizes do not swing with the load)."""
        with self.lock:
            ending = job.ending()
            if ending is not None:
                job.finish(ending)
                self.settle()
                return None
            started = time.thread_time()
            result = self.train_chunk(passes, should_stop=job.stop.check if job.stop is not None else None)
            if job.stop is not None and job.stop.stop_pass is not None and result.diverged is None:
                result.passes -= self._back_to(job.stop.stop_pass)
            elapsed = time.thread_time() - started
            losses = self.trainer.metrics.batch_loss.y
            job.count(result, losses[-1] if losses else None)
            if job.status != "running":
                self.settle()
            return elapsed

    def _back_to(self, pass_index: int) -> int:
        """Return to an earlier pass boundary (a stop condition met within the chunk that went past it); answers
        the passes undone (0 if the history no longer holds it: the run then ends where it is)."""
        overshoot = self.trainer.pass_index - pass_index
        if overshoot <= 0 or not self.trainer.go_to_pass(pass_index):
            return 0
        self._changed()
        return overshoot

    def end_job(self, job: JobInfo, status: str, message: str | None = None) -> None:
        with self.lock:
            job.finish(status)
            job.message = message
            self.settle()

    def running_job(self) -> JobInfo | None:
        with self.lock:
            return self.job if self.job is not None and self.job.status == "running" else None

    def find_job(self, job_id: str) -> JobInfo:
        """The job with that id (404 if this session has none: never started, or long finished)."""
        with self.lock:
            job = self.jobs.get(job_id)
        if job is None:
            raise NotFound(f"no job {job_id!r} on session {self.id}; start one with POST .../train", field="job_id")
        return job

    def job_model(self, job: JobInfo, with_result: bool = False) -> schemas.Job:
        """The job as its resource shows it (its progress fields read together; `with_result`: a finished
        landscape job's landscape too)."""
        with self.lock:
            return job.to_model(with_result)

    # -- diagnostics (app/sessions/watching.py decides when to measure; diagnosing.py converts) ----------------
    def diagnostics(self, with_history: bool = False) -> schemas.Diagnostics:
        """The layer statistics and flags now, and with `with_history` their history."""
        with self.lock:
            latest = self.watch.latest()
            return diagnosing.diagnostics(self.watch.tracker, latest, with_history)

    def diagnostics_since(self, version: int) -> Update | None:
        """The latest statistics if newer than `version` (the hub's frames); measured again first if due."""
        with self.lock:
            self.watch.refresh(self.busy())
            return self.watch.since(version)

    def units(self, layer: int) -> schemas.UnitGrid | schemas.UnitProjection:
        with self.lock:
            return diagnosing.unit_view(self.network, self.dataset, self.watch.tracker, layer)

    def evaluation(self) -> schemas.Evaluation:
        with self.lock:
            return diagnosing.evaluate(self.network, self.dataset, self.trainer)

    def landscape_work(self, request: schemas.LandscapeRequest) -> int:
        """Multiply-adds the landscape would cost (engine/diagnostics/landscape.py's `work`)."""
        with self.lock:
            probe = self.watch.tracker.probe
            return landscapes.work(request.resolution, probe.size, self.network.parameter_count)

    def landscape_inputs(self) -> dict[str, Any]:
        """What a landscape job computes from, copied under the lock (the job then runs without it)."""
        with self.lock:
            probe = self.watch.tracker.probe
            frames = [(frame.pass_index, frame.W) for frame in self.trainer.history]
            return {
                "network": landscapes.clone(self.network),
                "X": probe.X,
                "Y": probe.Y,
                "pass_index": self.trainer.pass_index,
                "history": frames,
                "learning_rate": self.trainer.config.optimizer.learning_rate,
            }

    def landscape_progress(self, job: JobInfo, done: int) -> None:
        with self.lock:
            job.done = done

    def finish_landscape(self, job: JobInfo, result: schemas.Landscape | None) -> None:
        """A landscape job ended: keep its result (None: it was cancelled)."""
        with self.lock:
            if result is not None:
                job.landscape = result
                job.done = job.total
                self.watch.landscape = result
            job.finish(job.ending() or ("done" if result is not None else "cancelled"))
            self.settle()
            self._changed()

    def landscape(self) -> schemas.Landscape:
        """The last landscape computed: 409 while one is being computed, 404 before the first."""
        with self.lock:
            job = self.job
            if job is not None and job.kind == "landscape" and job.status == "running":
                raise Conflict(
                    f"the landscape is being computed (job {job.id}: {job.done:,} of {job.total:,} points); wait "
                    f"for its job events or GET /api/sessions/{self.id}/jobs/{job.id}",
                )
            if self.watch.landscape is None:
                raise NotFound(f"no landscape computed yet: POST /api/sessions/{self.id}/landscape", field="landscape")
            return self.watch.landscape

    # -- export -----------------------------------------------------------------------------------------
    def export(self, include_dataset: bool = True, include_history: bool = True) -> dict[str, Any]:
        """Everything needed to continue this session elsewhere, as a JSON-safe dict (schemas.SessionExport):
        config, weights, optimizer state, batches, counters, metrics, the focus, the open pass and the data
        (left out with `include_dataset=False`: the store keeps it apart, as it never changes; the loss history's
        points with `include_history=False`: the store writes them as they come, app/savedseries.py)."""
        with self.lock:
            doc = export.document(self.config, self.dataset, self.stepper, include_dataset, include_history)
            if self.lesson is not None:
                doc["lesson"] = self.lesson.to_doc().model_dump(mode="json")
            return doc

    # -- rebuilding in place ------------------------------------------------------------------------------
    def rebuild(self, body: schemas.SessionCreate, lookup: TableLookup) -> schemas.SessionState:
        """The same session (id, WebSocket clients, lesson progress) with a new configuration: a new network, its
        data and a fresh history (pass 0). In a lesson the focus is the lesson's sample. 409 while a job runs."""
        with self.lock:
            self._check_idle("rebuild the session")
            if self.lesson is not None:
                body = self.lesson.session_body(body)
            parts = building.build(body, self.settings, lookup)
            self._fit_budget(parts.config, parts.stepper.trainer)
            self._install(parts)
            self._changed()
            return self.state()

    def rebuild_for_lesson(self, body: schemas.SessionCreate) -> None:
        """A lesson's setup step opened (its tracker calls this under the lock): rebuild, telling nobody yet
        (the lesson's change does)."""
        self._check_idle("open a setup step of the lesson")
        parts = building.build(body, self.settings, _no_uploads)
        self._fit_budget(parts.config, parts.stepper.trainer)
        self._install(parts)

    def _install(self, parts: SessionParts) -> None:
        self.config, self.dataset, self.stepper = parts.config, parts.dataset, parts.stepper
        self.watch = Watch(parts.stepper.trainer, self.settings)
        self.generation += 1

    # -- the lesson -----------------------------------------------------------------------------------------
    def _follow(self, tracker: LessonTracker) -> None:
        tracker.on_change = self._lesson_changed
        self.lesson = tracker
        self.lesson_revision += 1

    def _lesson_changed(self) -> None:
        self.lesson_revision += 1

    def _tracker(self) -> LessonTracker:
        if self.lesson is None:
            raise NotFound(
                f'session {self.id} follows no lesson; start one with POST /api/sessions {{"lesson": "<id>"}} '
                "(GET /api/lessons lists them)",
                field="lesson",
            )
        return self.lesson

    def lesson_action(self, action: Callable[[LessonTracker], T]) -> T:
        """Run `action` on the lesson under the lock (404 when the session follows none); a change of the
        lesson is a change of the session (saved, sent to its pages)."""
        with self.lock:
            tracker = self._tracker()
            before = self.lesson_revision
            result = action(tracker)
            if self.lesson_revision != before:
                self._changed()
            return result

    def lesson_view(self) -> schemas.LessonStepView | None:
        """The open step of the lesson as the page shows it (None without a lesson)."""
        with self.lock:
            return self.lesson.view(self) if self.lesson is not None else None

    def leave_lesson(self) -> schemas.SessionState:
        """Stop following the lesson; the session stays as it is."""
        with self.lock:
            self._tracker()
            self.lesson = None
            self.lesson_revision += 1
            self._changed()
            return self.state()

    def settle(self) -> None:
        """Play or a job stopped: a lesson check put off meanwhile happens now (and a measurement)."""
        with self.lock:
            if not self.busy():
                self.watch.refresh(busy=False)
            if self.lesson is not None and self.lesson.pending and not self.busy():
                before = self.lesson_revision
                self.lesson.settle(self)
                if self.lesson_revision != before:
                    self._changed()

    def _changed(self, measure: bool = True) -> None:
        self.revision += 1
        self.touch()
        if measure:
            self.watch.refresh(self.busy())
        if self.lesson is not None:
            try:
                self.lesson.after_change(self)
            except Exception:  # a lesson must never break the change it follows
                log.exception("checking the lesson of session %s failed", self.id)
        for listener in list(self.listeners):
            listener()


def _input_rows(inputs: list[list[float]], dataset: Dataset) -> np.ndarray:
    """Rows of raw feature values as an array, or InvalidInput saying what a row must be."""
    X = np.asarray(inputs, dtype=np.float64) if _rectangular(inputs) else None
    n = dataset.n_features
    if X is None or X.ndim != 2 or X.shape[1] != n:
        raise InvalidInput(
            f"inputs must be rows of {n} numbers (the features: {', '.join(dataset.feature_names)})", field="inputs"
        )
    if not np.isfinite(X).all():
        row = int(np.argwhere(~np.isfinite(X))[0][0])
        raise InvalidInput(f"inputs row {row} has a value that is not a finite number", field="inputs")
    return X


def _rectangular(rows: list[list[float]]) -> bool:
    return bool(rows) and all(isinstance(r, list) and len(r) == len(rows[0]) for r in rows)


def _cost_of(
    config: schemas.SessionConfig, trainer: Trainer, settings: Settings, optimizer: str | None = None
) -> budget.SessionCost:
    """A session's peak memory from its configuration and trainer (app/budget.py), with `optimizer` instead of
    the trainer's own if given."""
    return budget.session_cost(
        config.layers,
        optimizer=optimizer or trainer.config.optimizer.name,
        dtype=config.dtype,
        batch_size=trainer.config.batch_size,
        samples=int(trainer.X_train.shape[0]),
        test_samples=int(trainer.X_test.shape[0]),
        history_bytes=settings.history_bytes,
        metric_points=sum(len(series.x) for series in vars(trainer.metrics).values()),
    )
