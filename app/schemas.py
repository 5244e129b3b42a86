"""The message schema: one set of pydantic models for REST bodies, WebSocket events and the tests.

Wire layout of arrays (docs/protocol.md): a vector is a JSON list of numbers; a matrix is a list of rows, in the
seed's orientation — W^l is n_l rows of n_{l−1} numbers, row j holding neuron j's incoming weights. Layer lists
(`weights`, `biases`) are indexed from 0 for layer 1. Numbers are the engine's values at full precision (JSON
floats round-trip float64 exactly); a value that is not finite (a diverged loss) is sent as null.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

from app.schemas_diagnostics import (  # noqa: F401 (re-exported: the one schema holds them)
    Confusion,
    Diagnostics,
    DiagnosticsHistory,
    Evaluation,
    FrameDiagnostics,
    HealthFlag,
    Histogram,
    HistogramHistory,
    Landscape,
    LandscapeRequest,
    LandscapeSlice,
    LayerDiagnostics,
    LayerHistory,
    Pairs,
    RSquared,
    StopReason,
    StopSpec,
    UnitGrid,
    UnitProjection,
    UnitsView,
)
from engine.activations import ACTIVATIONS
from engine.datasets.builtin import BUILTINS
from engine.initializers import SCHEMES
from engine.losses import LOSSES
from engine.optimizers import OPTIMIZERS
from engine.regularization import KINDS

PROTOCOL_VERSION = 1

Vector = list[float]
Matrix = list[list[float]]
# Whole numbers in requests are strict: `true`, `"3"` and `3.0` are refused, not read as 1 and 3.
Seed = Annotated[StrictInt, Field(ge=0, le=2**32 - 1)]
Width = Annotated[StrictInt, Field(ge=1, description="neurons in the layer")]
# Requests and imported documents refuse NaN and ±Infinity wherever a number goes (responses send them as null).
INPUT = ConfigDict(populate_by_name=True, extra="forbid", allow_inf_nan=False)
# An activation's parameters by name, e.g. {"slope": 0.2} (the engine checks the names and ranges).
ActivationOptions = dict[str, float]

# The names the engine's registries hold (engine/catalog.py): adding an entry there adds it here.
ActivationName = Literal[tuple(ACTIVATIONS)]  # type: ignore[valid-type]
LossName = Literal[tuple(LOSSES)]  # type: ignore[valid-type]
BuiltinName = Literal[tuple(BUILTINS)]  # type: ignore[valid-type]
OptimizerName = Literal[tuple(OPTIMIZERS)]  # type: ignore[valid-type]
RegularizationKind = Literal[tuple(KINDS)]  # type: ignore[valid-type]
InitSchemeName = Literal[tuple(SCHEMES)]  # type: ignore[valid-type]
Phase = Literal["forward", "loss", "backward", "update"]
StepUnit = Literal["phase", "pass", "epoch"]
BackUnit = Literal["phase", "pass"]
JobStatus = Literal["running", "done", "failed", "cancelled", "interrupted"]


class Model(BaseModel):
    """Base: fields may be given by name or alias (`pass`), unknown fields are refused with a clear error."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")


# --------------------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------------------
class OptimizerSpec(Model):
    """`sgd` is the seed's W := W − η ∂J/∂W; `momentum` and `adam` use their own parameters too."""

    name: OptimizerName = "sgd"
    learning_rate: float = Field(0.1, gt=0, le=1e6, description="η")
    momentum: float = Field(0.9, ge=0, lt=1, description="μ, for momentum")
    beta1: float = Field(0.9, ge=0, lt=1, description="β₁, for adam")
    beta2: float = Field(0.999, ge=0, lt=1, description="β₂, for adam")
    epsilon: float = Field(1e-8, gt=0, le=1, description="ε, for adam")


class RegularizationSpec(Model):
    """`l2`: J += (λ/2) Σ W²; `l1`: J += λ Σ |W|; biases are not penalized."""

    kind: RegularizationKind = "none"
    rate: float = Field(0.0, ge=0, le=1e3, description="λ")


class InitScheme(Model):
    """Weights drawn by a named scheme from a seed (deterministic)."""

    scheme: InitSchemeName = "xavier"
    seed: Seed = 0
    low: float = Field(-0.5, ge=-1e6, le=1e6, description="lower bound, for uniform")
    high: float = Field(0.5, ge=-1e6, le=1e6, description="upper bound, for uniform")


class ExplicitInit(Model):
    """Weights and biases used exactly as given; weights[l] is the list of rows of W^(l+1) (n_out × n_in)."""

    model_config = INPUT

    weights: list[Matrix]
    biases: list[Vector] | None = None


class BuiltinDataset(Model):
    """A generated data set (TensorFlow Playground's and more), seeded."""

    builtin: BuiltinName
    samples: StrictInt | None = Field(None, ge=4, description="default: the data set's own")
    noise: float | None = Field(None, ge=0, le=1, description="fraction of the pattern's scale")
    test_fraction: float = Field(0.2, ge=0, le=0.9)
    seed: Seed = 0
    classes: StrictInt | None = Field(None, ge=2, le=10, description="for gaussian")


class UploadedDataset(Model):
    """A CSV uploaded with POST /api/datasets, split into train and test here."""

    id: str
    test_fraction: float = Field(0.2, ge=0, le=0.9)
    seed: Seed = 0


class InlineDataset(Model):
    """Tiny data given in the request, used exactly as given (e.g. the seed's single sample)."""

    model_config = INPUT

    inputs: Matrix
    targets: Matrix | Vector
    task: Literal["classification", "regression"] = "regression"
    test_fraction: float = Field(0.0, ge=0, le=0.9)
    seed: Seed = 0


DatasetSpec = BuiltinDataset | UploadedDataset | InlineDataset


class SessionCreate(Model):
    """Everything has a sensible default but `layers`."""

    model_config = ConfigDict(
        populate_by_name=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"layers": [2, 8, 8, 1], "dataset": {"builtin": "circles", "noise": 0.1}},
                {
                    "layers": [2, 2, 1],
                    "activations": ["sigmoid", "sigmoid"],
                    "loss": "half_sse",
                    "optimizer": {"name": "sgd", "learning_rate": 0.5},
                    "batch_size": 1,
                    "init": {"weights": [[[0.15, 0.2], [0.25, 0.3]], [[0.4, 0.45]]], "biases": [[0.35, 0.35], [0.6]]},
                    "dataset": {"inputs": [[0.05, 0.1]], "targets": [[0.01]]},
                },
            ]
        },
    )

    layers: list[Width] = Field(
        ...,
        min_length=2,
        description="sizes including the input and output layers; at most BACKPROP_VIZ_MAX_LAYERS sizes (default "
        "12) of at most BACKPROP_VIZ_MAX_LAYER_WIDTH neurons (default 2048), and at most "
        "BACKPROP_VIZ_MAX_PARAMETERS weights and biases (default 3,000,000)",
    )
    activations: list[ActivationName] | None = Field(
        None, description="one per non-input layer; default tanh hidden and an output suited to the task"
    )
    activation_options: list[ActivationOptions | None] | None = Field(
        None,
        description='one per non-input layer (null: the activation\'s defaults), e.g. [{"slope": 0.2}, null] '
        "for a leaky ReLU with slope 0.2; GET /api/catalog lists each activation's parameters",
    )
    loss: LossName | None = Field(None, description="default: bce, cross_entropy or mse to suit the output")
    optimizer: OptimizerSpec = Field(default_factory=OptimizerSpec)
    batch_size: StrictInt | None = Field(None, ge=1, description="default: min(10, training samples)")
    regularization: RegularizationSpec = Field(default_factory=RegularizationSpec)
    dtype: Literal["float64", "float32"] = "float64"
    init: InitScheme | ExplicitInit = Field(default_factory=InitScheme)
    dataset: DatasetSpec | None = Field(None, description="default: xor with 200 samples")
    seed: Seed = Field(0, description="seeds mini-batch shuffling")
    focus: StrictInt = Field(0, ge=0, description="training sample whose numbers the records show")


class SessionPatch(Model):
    """Hyperparameters that may change between steps; they apply from the next pass."""

    learning_rate: float | None = Field(None, gt=0, le=1e6)
    optimizer: OptimizerSpec | None = None
    batch_size: StrictInt | None = Field(None, ge=1)
    regularization: RegularizationSpec | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> SessionPatch:
        if all(v is None for v in (self.learning_rate, self.optimizer, self.batch_size, self.regularization)):
            raise ValueError("nothing to change: give learning_rate, optimizer, batch_size or regularization")
        return self


class SessionConfig(Model):
    """The configuration a session runs with, defaults filled in."""

    layers: list[Width]
    activations: list[ActivationName]
    activation_options: list[ActivationOptions | None] | None = None
    loss: LossName
    optimizer: OptimizerSpec
    batch_size: StrictInt = Field(..., ge=1)
    regularization: RegularizationSpec
    dtype: Literal["float64", "float32"]
    init: InitScheme | ExplicitInit
    dataset: DatasetSpec
    seed: Seed


# --------------------------------------------------------------------------------------------------------
# State
# --------------------------------------------------------------------------------------------------------
class Counters(Model):
    """Where training stands. `phase` is the next phase to show; `position` its index in `timeline`."""

    pass_index: int = Field(..., alias="pass", description="passes completed")
    epoch: int = Field(..., description="epochs completed")
    phase: Phase
    layer: int | None
    position: int
    label: str = Field(..., description="F1 … FL, J, BL … B1, U")
    timeline: list[str]


class LatestMetrics(Model):
    train_loss: float | None = None
    test_loss: float | None = None
    train_accuracy: float | None = None
    test_accuracy: float | None = None
    batch_loss: float | None = None


class DatasetSummary(Model):
    """What the session trains on."""

    name: str
    task: Literal["classification", "regression"]
    features: list[str]
    targets: list[str]
    classes: list[str] | None
    train_rows: int
    test_rows: int
    domain: list[Vector] = Field(..., description="per feature [min, max] of the raw values")
    image_shape: list[int] | None = Field(None, description="[height, width] when each sample is an image, else null")
    image: ImageFormatOut | None = Field(None, description="images: how they are drawn and a drawing reduced")


class SessionState(Model):
    """A session as GET /api/sessions/{id} answers it."""

    id: str
    config: SessionConfig
    weights: list[Matrix]
    biases: list[Vector]
    counters: Counters
    metrics: LatestMetrics
    dataset: DatasetSummary
    focus: int
    focus_split: Literal["train", "test"] = Field("train", description="the split `focus` is an index of")
    example: FocusSample | None = Field(
        None, description="the example (a drawing) the pass being shown was taught on (POST …/teach), else null"
    )
    playing: bool = False
    speed: float | None = Field(None, description="play speed in passes per second; null = max")
    pending_config: bool = Field(False, description="a hyperparameter change waits for the next pass")
    job: Job | None = None
    lesson: LessonProgress | None = Field(None, description="the lesson the session follows, if any")


class SessionCreated(SessionState):
    pass


class PhaseRecordOut(Model):
    """One phase of a pass. Vectors are the focus sample's own; grad_W/grad_b are the batch means the update
    uses; sample_grad_W/sample_grad_b the focus sample's own δ aᵀ and δ. For `update`, W, b, step_W and
    step_b are lists over layers (index 0 = layer 1); otherwise W and b are the layer's current parameters."""

    phase: Phase
    layer: int | None
    pass_index: int = Field(..., alias="pass", description="the pass this phase belongs to (0-based)")
    epoch: int
    position: int
    label: str
    focus: int
    z: Vector | None = None
    a: Vector | None = None
    a_prev: Vector | None = None
    fprime: Vector | None = Field(None, description="f'(z) of the focus sample")
    delta: Vector | None = None
    grad_W: Matrix | None = None
    grad_b: Vector | None = None
    sample_grad_W: Matrix | None = None
    sample_grad_b: Vector | None = None
    W: Matrix | list[Matrix] | None = None
    b: Vector | list[Vector] | None = None
    step_W: list[Matrix] | None = None
    step_b: list[Vector] | None = None
    loss: float | None = Field(None, description="batch J (with the regularization penalty)")
    penalty: float | None = None
    sample_loss: float | None = Field(None, description="the focus sample's own J")
    grad_a: Vector | None = Field(None, description="loss: the focus sample's ∂J/∂a^L")
    y: Vector | None = None
    batch: list[int] | None = None
    focus_in_batch: bool | None = None
    learning_rate: float | None = None


class DivergedInfo(Model):
    pass_index: int = Field(..., alias="pass", description="the refused pass (0-based)")
    reason: str
    hint: str
    message: str


class StepRequest(Model):
    """A step goes through at most BACKPROP_VIZ_MAX_STEP_PASSES passes (default 10,000; a phase or epoch count is
    measured in the passes it goes through) and answers at most BACKPROP_VIZ_MAX_STEP_RECORDS records (default
    5,000) in at most BACKPROP_VIZ_MAX_STEP_ANSWER_BYTES (default 8 MiB): past those, only the last pass's."""

    unit: StepUnit = "phase"
    count: StrictInt = Field(
        1, ge=1, le=100_000, description="phases, passes or epochs; at most BACKPROP_VIZ_MAX_STEP_PASSES passes"
    )


class BackRequest(Model):
    unit: BackUnit = "phase"
    count: StrictInt = Field(1, ge=1, le=100_000)


class StepResponse(Model):
    """The phase records a step produced (possibly only the last pass's, see `records_omitted`) and the state."""

    records: list[PhaseRecordOut]
    records_omitted: int = Field(0, description="records left out to keep the answer small (epoch steps)")
    passes: int
    diverged: DivergedInfo | None = None
    state: SessionState


class BackResponse(Model):
    moved: int
    visible: list[PhaseRecordOut] = Field(..., description="records of the open pass now shown")
    limit: str | None = Field(None, description="why it stopped early, if it did")
    state: SessionState


class MetricsHistory(Model):
    """Per pass: batch loss J (train_loss of that batch). Per epoch: mean train loss and accuracy over the
    epoch's batches, test loss and accuracy on the whole test set at its end. Long runs are thinned."""

    per_pass: dict[str, list[float | None]] = Field(..., description="'pass' and 'batch_loss'")
    per_epoch: dict[str, list[float | None]] = Field(
        ..., description="'epoch', 'pass', 'train_loss', 'test_loss', 'train_accuracy', 'test_accuracy'"
    )
    train_loss: list[float | None]
    test_loss: list[float | None]
    train_accuracy: list[float | None] | None = None
    test_accuracy: list[float | None] | None = None


class TrainRequest(Model):
    """Exactly one of `epochs` or `passes`, or only `stop` (then at most DEFAULT_STOP_EPOCHS epochs); at most
    BACKPROP_VIZ_MAX_JOB_PASSES passes (default 10,000,000). `stop` ends the job early (StopSpec)."""

    model_config = ConfigDict(
        populate_by_name=True,
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {"required": ["epochs"]},
                {"required": ["passes"]},
                {"required": ["stop"], "not": {"anyOf": [{"required": ["epochs"]}, {"required": ["passes"]}]}},
            ],
            "examples": [{"epochs": 200}, {"passes": 5000}, {"epochs": 500, "stop": {"loss_below": 0.05}}],
        },
    )

    epochs: StrictInt | None = Field(None, ge=1)
    passes: StrictInt | None = Field(None, ge=1)
    stop: StopSpec | None = Field(None, description="stop early: a training loss below a target, or patience")

    @model_validator(mode="after")
    def _one_of(self) -> TrainRequest:
        if self.epochs is not None and self.passes is not None:
            raise ValueError("give exactly one of 'epochs' or 'passes'")
        if self.epochs is None and self.passes is None and self.stop is None:
            raise ValueError("give exactly one of 'epochs' or 'passes' (or only 'stop')")
        return self


DEFAULT_STOP_EPOCHS = 1_000  # a job given only `stop` runs at most this many epochs


class Job(Model):
    id: str
    kind: Literal["training", "landscape"] = Field("training", description="what the job computes")
    status: JobStatus
    done: int = Field(..., description="passes done (a landscape: grid points and slice points computed)")
    total: int = Field(..., description="passes asked for (a landscape: resolution² + resolution)")
    loss: float | None = None
    eta_seconds: float | None = None
    message: str | None = None
    stop_reason: StopReason | None = Field(
        None, description="a finished training job: why it stopped (epochs or passes: it ran what it was asked)"
    )
    best_pass: int | None = Field(None, description="with a patience stop: the pass whose monitored loss was best")
    best_loss: float | None = Field(None, description="with a patience stop: that best loss")
    landscape: Landscape | None = Field(None, description="a finished landscape job, in GET …/jobs/{job_id} only")


class PredictRequest(Model):
    model_config = INPUT

    inputs: Matrix = Field(..., min_length=1, description="raw feature values, one row per sample")


class PredictResponse(Model):
    outputs: list[Vector]
    classes: list[str] | None = None
    predicted: list[str] | None = None
    probabilities: list[Vector] | None = None


class GradcheckLayer(Model):
    layer: int
    max_relative_error_W: float
    max_relative_error_b: float


class GradcheckResponse(Model):
    layers: list[GradcheckLayer]
    max_relative_error: float
    samples: int
    epsilon: float


class FocusSample(Model):
    """The sample the records follow: its raw and network inputs, its target and class. `split` "example" is a
    taught example (a drawing), whose `index` is −1."""

    index: int
    x_raw: Vector
    x: Vector
    y: Vector
    label: str | None = None
    split: Literal["train", "test", "example"] = "train"


class DataPoints(Model):
    """Raw feature values and targets of the train and test sets (2-D data sets, for the data view)."""

    train_x: Matrix
    train_y: list[float]
    test_x: Matrix
    test_y: list[float]


class Boundary(Model):
    """The network's output over a grid of the raw input domain (2 features) or a line (1 feature)."""

    xs: Vector
    ys: Vector | None = None
    values: Matrix | Vector = Field(..., description="values[i][j] is the output at (xs[j], ys[i])")
    kind: Literal["probability", "class", "value"] = Field(
        ..., description="probability of class 1, arg-max class index, or the regression output"
    )


class EditWeight(Model):
    model_config = INPUT

    layer: StrictInt = Field(..., ge=1)
    row: StrictInt = Field(..., ge=0, description="neuron j of the layer")
    column: StrictInt | None = Field(None, ge=0, description="input k; null for the bias b_j")
    value: float


class DatasetInfo(Model):
    id: str
    name: str
    task: Literal["classification", "regression"]
    rows: int
    features: list[str]
    target: str
    classes: list[str] | None
    image_shape: list[int] | None = Field(None, description="[height, width] when uploaded with image_shape")
    summary: dict[str, Any]


class BuiltinInfo(Model):
    name: str
    description: str
    task: Literal["classification", "regression"]
    parameters: dict[str, Any]
    features: list[str] | None = Field(None, description="feature names (the page sizes the input layer by them)")
    targets: list[str] | None = Field(None, description="target column names")
    classes: list[str] | None = Field(None, description="class names at the default class count")
    image_shape: list[int] | None = Field(None, description="[height, width] for a set of images, else null")


class StorageHealth(Model):
    """How the SQLite store is doing (BACKPROP_VIZ_PERSIST); nothing here names a session."""

    enabled: bool
    ok: bool = Field(True, description="the last write succeeded (false: see last_error and the server log)")
    database: str | None = Field(None, description="the database file (only to a request with the access token)")
    restored_sessions: int = Field(0, description="sessions brought back at start-up")
    restored_datasets: int = Field(0, description="uploaded data sets brought back at start-up")
    not_restored: int = Field(0, description="kept rows that did not rebuild (the server log says why)")
    moved_aside: str | None = Field(
        None,
        description="an unusable database file found at start-up was moved aside: where to (only to a request "
        "with the access token), and why in the log",
    )
    problem: str | None = Field(None, description="why that file could not be used")
    last_error: str | None = Field(None, description="the last failed write, if any (the server log has all)")


class WorkerHealth(Model):
    """One worker process of `backprop-viz serve --workers N`, as the router sees it."""

    shard: int = Field(description="its number: every id it makes starts with it ('1.…')")
    up: bool = Field(description="answering; false while it is started again after a failure")
    pid: int | None = None
    restarts: int = Field(0, description="how often it was started again after it ended")
    sessions: int | None = Field(None, description="its live sessions (null while it is down)")


class Health(Model):
    status: Literal["ok"] = "ok"
    version: str
    sessions: int
    jobs: int
    plays: int = Field(0, description="sessions in play mode (at most BACKPROP_VIZ_MAX_CONCURRENT_PLAYS)")
    websocket_clients: int = Field(0, description="open WebSockets (at most BACKPROP_VIZ_MAX_WS_CLIENTS)")
    storage: StorageHealth | None = None
    lessons: LessonsHealth | None = None
    workers: list[WorkerHealth] | None = Field(
        None, description="with BACKPROP_VIZ_WORKERS > 1: each worker process (the counts above are their sums)"
    )


class DatasetList(Model):
    """GET /api/datasets: the built-in generators with their parameters, and the uploaded CSVs."""

    builtin: list[BuiltinInfo]
    uploaded: list[DatasetInfo]


# --------------------------------------------------------------------------------------------------------
# The catalog: the engine's names and formulas (engine/catalog.py), for the page's menus and equations
# --------------------------------------------------------------------------------------------------------
class Formula(Model):
    """A formula in TeX (the seed's notation) and as MathML, which the browser renders natively."""

    tex: str
    mathml: str


class ActivationParameter(Model):
    """A number an activation's formula holds (leaky ReLU's slope, ELU's α): set per layer with a session's
    `activation_options`, e.g. {"slope": 0.2}."""

    name: str = Field(..., description="its key in activation_options")
    symbol: Formula = Field(..., description="how the formulas write it")
    label: str
    default: float
    min: float
    max: float


class CatalogEntry(Model):
    name: str = Field(..., description="the name the API takes")
    label: str = Field(..., description="how menus name it")
    formula: Formula
    short: str | None = Field(None, description="activations: the diagram's layer title")
    derivative: Formula | None = Field(None, description="activations: f'(z); losses: ∂J/∂a_k")
    hidden: bool | None = Field(None, description="activations: may be used in a hidden layer")
    elementwise: bool | None = Field(
        None, description="activations: a_k depends on z_k alone, so δ^L = ∂J/∂a ⊙ f'(z) (false for softmax)"
    )
    seed_rule: bool | None = Field(None, description="optimizers: the step is the seed's −η ∂J/∂W itself")
    outputs: list[str] | None = Field(None, description="losses: the output activations it needs (null: any)")
    hyperparameters: list[str] | None = Field(
        None, description="optimizers: the settings it reads; regularizations: ['rate'] when it takes λ"
    )
    parameters: list[ActivationParameter] | None = Field(
        None, description="activations: the numbers in its formula a session may set per layer"
    )


class ClosedFormDelta(Model):
    activation: str
    loss: str
    formula: Formula


class CatalogDefaults(Model):
    optimizer: str
    initializer: str
    regularization: str
    hidden_activation: str
    output_activation: dict[str, str] = Field(..., description="by task: binary, multiclass, regression")
    loss: dict[str, str] = Field(..., description="by output activation")
    loss_otherwise: str


class Catalog(Model):
    """GET /api/catalog: every activation, loss, optimizer, initializer, regularizer and built-in data set the
    engine offers, with labels and formulas, and the defaults; the page builds its menus from it."""

    activations: list[CatalogEntry]
    losses: list[CatalogEntry]
    optimizers: list[CatalogEntry]
    initializers: list[CatalogEntry]
    regularizations: list[CatalogEntry]
    datasets: list[str]
    closed_form_deltas: list[ClosedFormDelta] = Field(..., description="pairings whose δ^L is a^L − y")
    chain_rule_delta: Formula = Field(..., description="δ^L of every other pairing")
    defaults: CatalogDefaults


class ErrorBody(Model):
    """Every 4xx/5xx answer: what was wrong and what to do, and the request field (or row) it is about."""

    model_config = ConfigDict(
        populate_by_name=True,
        extra="forbid",
        json_schema_extra={"examples": [{"detail": "layers[0]: Input should be greater than 0", "field": "layers[0]"}]},
    )

    detail: str
    field: str | None = None
    errors: list[dict[str, Any]] | None = Field(None, description="pydantic's own errors, for invalid bodies")


# --------------------------------------------------------------------------------------------------------
# Export / import: one document with everything needed to continue a session
# --------------------------------------------------------------------------------------------------------
EXPORT_FORMAT = "backprop-viz-session"
EXPORT_VERSION = 1


class ExportedNormalization(Model):
    model_config = INPUT

    mean: Vector
    std: Vector


class EncodedArray(Model):
    """A large matrix as its bytes (engine/serialization.py `encode_array`): little-endian `dtype` values of
    `shape`, zlib-compressed, in base64 — exact, and far smaller and faster than lists of numbers."""

    encoding: Literal["zlib+base64"]
    dtype: Literal["<f8", "<f4"]
    shape: list[int]
    data: str


class ExportedDataset(Model):
    """The session's data exactly as it trains on it: inputs already standardized with `normalization`. A
    matrix of more than 50,000 numbers is an `EncodedArray`; smaller ones are lists of rows."""

    model_config = INPUT

    name: str
    task: Literal["classification", "regression"]
    X_train: Matrix | EncodedArray
    Y_train: Matrix | EncodedArray
    X_test: Matrix | EncodedArray
    Y_test: Matrix | EncodedArray
    feature_names: list[str]
    target_names: list[str]
    class_names: list[str] | None
    normalization: ExportedNormalization | None
    raw_domain: Matrix
    image: ImageFormatOut | None = None


class PendingConfig(Model):
    """Hyperparameters changed during an open pass; they apply when it ends."""

    optimizer: OptimizerSpec
    batch_size: StrictInt = Field(..., ge=1)
    regularization: RegularizationSpec


class SessionExport(Model):
    """GET /api/sessions/{id}/export answers it; POST /api/sessions/import takes it back and creates a new
    session in exactly the same state (weights, optimizer state, batches, counters, metrics)."""

    format: Literal["backprop-viz-session"] = Field(..., description="always 'backprop-viz-session'")
    version: Literal[1] = Field(..., description="format version of this document")
    config: SessionConfig
    focus: StrictInt = Field(..., ge=0)
    focus_split: Literal["train", "test"] = "train"
    position: StrictInt = Field(..., ge=0, description="phases of the open pass already shown")
    pending_config: PendingConfig | None = None
    trainer: dict[str, Any] = Field(
        ...,
        description="the engine's training state (engine/serialization.py trainer_to_dict): network, current "
        "checkpoint with weights, optimizer state and batch sampler, metrics, initial and previous checkpoints",
    )
    dataset: ExportedDataset
    lesson: LessonProgressDoc | None = Field(None, description="the progress of the lesson the session follows")


# --------------------------------------------------------------------------------------------------------
# Lessons: the catalogue, a session's place in its lesson, answers and checks (app/lessons/, docs/lessons.md)
# --------------------------------------------------------------------------------------------------------
LessonLevel = Literal["intro", "core", "advanced"]
LessonStepKind = Literal["read", "setup", "do", "compute", "goal"]
# open: not done yet · done: read, answered right, or its condition met · revealed: the answer was shown ·
# skipped: the learner went on without doing it
LessonStepStatus = Literal["open", "done", "revealed", "skipped"]


class LessonInfo(Model):
    """A lesson in the catalogue (GET /api/lessons); `steps` is how many it has."""

    id: str = Field(..., description="its file name without .yaml; open it with /?lesson=<id>")
    title: str
    summary: str
    level: LessonLevel
    minutes: int
    steps: int


class LessonAsk(Model):
    """The number a compute step asks for: quantity at layer 1..L, neuron `row` and input `col` from 1."""

    quantity: str = Field(..., description="z, a, J, delta, grad_W, grad_b, W_new or b_new")
    layer: int | None = None
    row: int | None = None
    col: int | None = None
    symbol: str = Field(..., description="the number in the seed's notation, as MathML")
    label: str = Field(..., description="the number in words, e.g. 'z of layer 1, neuron 1'")


class LessonStepInfo(Model):
    """One step as the catalogue shows it: its text rendered (HTML with MathML), never its answer or solution."""

    index: int
    kind: LessonStepKind
    title: str
    html: str = Field(..., description="the step's Markdown and TeX rendered as HTML with MathML")
    ask: LessonAsk | None = Field(None, description="compute steps: the number asked for")
    condition: str | None = Field(None, description="do and goal steps: what the server checks")
    hide: list[str] = Field(..., description="controls hidden while the step is open (the lesson's and its own)")
    lock: list[str] = Field(..., description="controls disabled while the step is open (the lesson's and its own)")


class LessonDetail(Model):
    """GET /api/lessons/{id}: the whole lesson, every step rendered; no expected answers, no solutions."""

    id: str
    title: str
    summary: str
    level: LessonLevel
    minutes: int
    sample: int = Field(..., description="the training sample compute steps ask about (the page's focus)")
    hide: list[str]
    lock: list[str]
    steps: list[LessonStepInfo]


class LessonProgress(Model):
    """Where a session stands in its lesson (`lesson` in the session's state)."""

    id: str
    title: str
    step: int = Field(..., description="the open step, from 0")
    steps: int = Field(..., description="how many steps the lesson has")
    completed: list[int] = Field(..., description="steps done: read, answered right, or their condition met")
    skipped: list[int] = Field(..., description="do, compute and goal steps left without doing them")
    revealed: list[int] = Field(..., description="compute steps whose answer was revealed")
    finished: bool = Field(False, description="the learner went past the last step")


class ConditionComparison(Model):
    """One comparison of a condition with its live value: `quantity` `op` `target`, e.g. test_loss ≤ 0.1."""

    quantity: str
    value: str = Field(..., description="the live value (4 significant digits)")
    op: str = Field(..., description="≤ ≥ < > = ≠")
    target: str
    passed: bool


class LessonCheck(Model):
    """A do or goal step's condition evaluated on the live session (GET …/lesson/check)."""

    passed: bool
    detail: str = Field(..., description="every comparison with its live value and target, ✓ or ✗")
    comparisons: list[ConditionComparison]


class LessonStepView(LessonStepInfo):
    """The open step of a session's lesson (GET /api/sessions/{id}/lesson, the `lesson` event): the step as the
    catalogue shows it, its status, the learner's tries, the hint after two wrong answers, the expected value
    only once answered right or revealed, and for do and goal steps the last check of their condition."""

    status: LessonStepStatus
    tries: int = Field(0, description="compute steps: answers given (wrong ones until it was right)")
    hint: str | None = Field(
        None, description="compute steps, after two wrong answers: the equation with the numbers plugged in, as MathML"
    )
    hint_tex: str | None = Field(None, description="the hint in TeX")
    expected: float | None = Field(
        None, description="compute steps: the engine's value, once answered right or revealed"
    )
    check: LessonCheck | None = Field(None, description="do and goal steps: the condition on the live session")
    lesson: LessonProgress


class LessonStart(Model):
    """POST /api/sessions with only `lesson`: a new session at the lesson's first step, its setup applied."""

    lesson: str = Field(..., description="a lesson id from GET /api/lessons")


class LessonAnswer(Model):
    """POST …/lesson/answer: the number the learner computed."""

    value: float = Field(..., allow_inf_nan=False, description="a finite number")


class LessonAnswerResult(Model):
    """Whether the answer is right; the hint after two wrong answers; the expected value once right or revealed."""

    correct: bool
    tries: int
    status: LessonStepStatus
    hint: str | None = Field(None, description="MathML: the equation with the numbers plugged in but the result")
    hint_tex: str | None = None
    expected: float | None = None


class LessonGoto(Model):
    """POST …/lesson/goto: open step `step` (from 0)."""

    step: int = Field(..., ge=0)


class LessonProgressDoc(Model):
    """A session's lesson progress in its export document (and the store): enough to continue where it was."""

    id: str
    step: int = Field(..., ge=0)
    tries: dict[int, int] = Field(default_factory=dict, description="answers given per compute step")
    expected: dict[int, float] = Field(
        default_factory=dict, description="the engine's value when a compute step was answered right or revealed"
    )
    completed: list[int] = Field(default_factory=list)
    skipped: list[int] = Field(default_factory=list)
    revealed: list[int] = Field(default_factory=list)
    diverged: int = Field(0, ge=0, description="passes refused as diverging since the open step opened")
    finished: bool = False
    setup: int | None = Field(None, ge=0, description="the setup step whose session is in force")


class LessonProblemOut(Model):
    """A lesson file that did not load: its name, the line if known, and what to fix."""

    file: str
    line: int | None
    message: str


class LessonsHealth(Model):
    """How the lessons loaded at start-up (shipped and BACKPROP_VIZ_LESSONS_DIR)."""

    loaded: int
    problems: list[LessonProblemOut]


# --------------------------------------------------------------------------------------------------------
# Images: their format, teaching a drawing, the images of a split with what the network makes of them
# --------------------------------------------------------------------------------------------------------
class ImageFormatOut(Model):
    """How an image data set's features form a picture (engine/datasets/images.py): `shape` [height, width],
    pixels in reading order; `pixel_max` the raw value of a fully inked pixel; `drawing` how the page's pad
    reduces a drawing to a sample — `blocks` (UCI digits: inked pixels counted in `block` × `block` squares
    of a bitmap `block` times the image's size) or `centred` (MNIST: fitted to 20/28 of the image, grey levels,
    centred by its centre of mass)."""

    shape: list[int]
    pixel_max: float
    drawing: Literal["blocks", "centred"]
    block: int


class ExampleRequest(Model):
    """One example given by hand (a drawing): its raw pixels and its class."""

    model_config = ConfigDict(
        populate_by_name=True,
        extra="forbid",
        json_schema_extra={"examples": [{"input": [0.0] * 20 + [16.0] * 4 + [0.0] * 40, "label": "7"}]},
    )

    input: Vector = Field(..., description="the raw pixels, row by row (64 for 8 × 8 digits, 0 … 16)")
    label: str = Field(..., description="the class it is, one of the data set's classes")


class TeachRequest(ExampleRequest):
    """One pass on one example alone, through the stepper."""

    unit: Literal["phase", "pass"] = Field(
        "pass", description="pass: the whole pass at once; phase: its first phase (then step on as usual)"
    )


class ImageSamples(Model):
    """Images of a split with the network's predictions, and the confusion matrix of the whole split."""

    split: Literal["train", "test"]
    image_shape: list[int]
    total: int = Field(..., description="samples in the split")
    matching: int = Field(..., description="samples that match the request (all, or the mistakes)")
    offset: int
    indices: list[int] = Field(..., description="the samples' indices in the split (for the `focus` command)")
    pixels: list[Vector] | None = Field(None, description="each image's raw pixels (left out with pixels=false)")
    labels: list[str] = Field(..., description="the true class of each")
    predicted: list[str] = Field(..., description="the class the network gives each")
    confidence: list[float] = Field(..., description="the network's probability of its predicted class")
    classes: list[str]
    confusion: list[list[int]] = Field(
        ..., description="confusion[i][j]: samples of class i predicted as j, over the whole split"
    )
    accuracy: float | None = Field(None, description="share predicted right over the whole split")
    pass_index: int = Field(..., alias="pass", description="passes completed when these were computed")


# --------------------------------------------------------------------------------------------------------
# WebSocket: client commands
# --------------------------------------------------------------------------------------------------------
class Command(Model):
    request_id: str | StrictInt | None = Field(None, description="echoed in the events this command causes")


class StepCommand(Command, StepRequest):
    type: Literal["step"]


class BackCommand(Command, BackRequest):
    type: Literal["back"]


class PlayCommand(Command):
    type: Literal["play"]
    speed: float | Literal["max"] = Field("max", description="passes per second, or max")


class PauseCommand(Command):
    type: Literal["pause"]


class ResetCommand(Command):
    type: Literal["reset"]


class SetCommand(Command):
    type: Literal["set"]
    learning_rate: float | None = Field(None, gt=0, le=1e6)
    optimizer: OptimizerSpec | None = None
    batch_size: StrictInt | None = Field(None, ge=1)
    regularization: RegularizationSpec | None = None


class FocusCommand(Command):
    type: Literal["focus"]
    index: StrictInt = Field(..., ge=0)
    split: Literal["train", "test"] = Field("train", description="a training sample, or a test sample")


class EditWeightCommand(Command, EditWeight):
    type: Literal["edit_weight"]


class TeachCommand(Command, TeachRequest):
    type: Literal["teach"]


ClientCommand = Annotated[
    StepCommand
    | BackCommand
    | PlayCommand
    | PauseCommand
    | ResetCommand
    | SetCommand
    | FocusCommand
    | EditWeightCommand
    | TeachCommand,
    Field(discriminator="type"),
]


class WatchLink(Model):
    """POST /api/sessions/{id}/watch answers it: a read-only link to the session that does not reveal its id."""

    token: str = Field(..., description="the watch token: GET /api/watch/{token}, WebSocket /ws/watch/{token}")
    url: str = Field(..., description="the page in watch mode, relative to the app's root: /watch/{token}")


# --------------------------------------------------------------------------------------------------------
# WebSocket: server events
# --------------------------------------------------------------------------------------------------------
class Event(Model):
    request_id: str | int | None = None


class SnapshotEvent(Event):
    type: Literal["snapshot"] = "snapshot"
    protocol_version: int = PROTOCOL_VERSION
    state: SessionState
    visible: list[PhaseRecordOut]
    metrics: MetricsHistory
    focus: FocusSample
    data: DataPoints | None
    boundary: Boundary | None
    lesson: LessonStepView | None = Field(None, description="the open step of the session's lesson, if any")
    diagnostics: FrameDiagnostics | None = Field(None, description="the layer statistics now (null: turned off)")
    flags: list[HealthFlag] = Field(default_factory=list, description="the health flags now")


class PhaseEvent(Event):
    type: Literal["phase"] = "phase"
    record: PhaseRecordOut


class MetricsEvent(Event):
    """New loss points since the last metrics event, in order; none is dropped."""

    type: Literal["metrics"] = "metrics"
    per_pass: dict[str, list[float | None]]
    per_epoch: dict[str, list[float | None]]
    replace: bool = Field(False, description="true: these are the whole history (after back or reset)")


class StateEvent(Event):
    type: Literal["state"] = "state"
    state: SessionState
    visible: list[PhaseRecordOut] | None = Field(None, description="records of the open pass, after back/reset")
    focus: FocusSample | None = None
    boundary: Boundary | None = None
    diagnostics: FrameDiagnostics | None = Field(
        None, description="new layer statistics (at most 5 a second while playing); null: keep what you have"
    )


class FlagsEvent(Event):
    """The set of health flags (their kinds and layers) changed; this is the whole new set."""

    type: Literal["flags"] = "flags"
    flags: list[HealthFlag]


class JobEvent(Event):
    type: Literal["job"] = "job"
    job: Job


class DivergedEvent(Event):
    type: Literal["diverged"] = "diverged"
    diverged: DivergedInfo
    state: SessionState


class ErrorEvent(Event):
    type: Literal["error"] = "error"
    message: str
    field: str | None = None


class LessonEvent(Event):
    """The session's lesson moved or its open step changed status (null: the session left its lesson)."""

    type: Literal["lesson"] = "lesson"
    lesson: LessonStepView | None


ServerEvent = Annotated[
    SnapshotEvent
    | PhaseEvent
    | MetricsEvent
    | StateEvent
    | FlagsEvent
    | JobEvent
    | DivergedEvent
    | ErrorEvent
    | LessonEvent,
    Field(discriminator="type"),
]

SessionState.model_rebuild()
SessionCreated.model_rebuild()
DatasetSummary.model_rebuild()
ExportedDataset.model_rebuild()
Health.model_rebuild()
SessionExport.model_rebuild()
