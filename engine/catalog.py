"""What the engine offers, in one place: its activations, losses, optimizers, initializers, regularizers and
built-in data sets with their labels and formulas, the δ^L pairings in closed form, and the defaults.

The server serves this as it is (`GET /api/catalog`) and derives its schema's names from it; the page builds
its menus, short names and formula text from it. So adding an activation is adding one entry to
`engine/activations.py`'s registry — nothing here or in the other layers names them one by one.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.activations import ACTIVATIONS, Parameter
from engine.datasets.builtin import BUILTINS
from engine.initializers import SCHEMES, InitSpec
from engine.losses import CHAIN_RULE_DELTA_TEX, CLOSED_FORM_DELTA, CLOSED_FORM_DELTA_TEX, LOSSES
from engine.optimizers import OPTIMIZERS, OptimizerConfig
from engine.regularization import KINDS, NO_PENALTY, Regularization

DEFAULT_HIDDEN_ACTIVATION = "tanh"
# The output layer a task calls for: probabilities of two classes from one sigmoid unit, of more from softmax.
DEFAULT_OUTPUT_ACTIVATION = {"binary": "sigmoid", "multiclass": "softmax", "regression": "linear"}
# The loss that goes with an output activation: the pairings whose δ^L is a^L − y; mse for the rest.
DEFAULT_LOSS = {"sigmoid": "bce", "softmax": "cross_entropy"}
DEFAULT_LOSS_OTHERWISE = "mse"
# The rest of a set-up's defaults are the engine's own dataclass defaults.
DEFAULT_OPTIMIZER = OptimizerConfig().name
DEFAULT_INITIALIZER = InitSpec().scheme
DEFAULT_REGULARIZATION = Regularization().kind


def default_output_activation(task: str, n_outputs: int) -> str:
    """sigmoid for one output of a classifier, softmax for several, linear for regression."""
    if task == "classification":
        return DEFAULT_OUTPUT_ACTIVATION["binary" if n_outputs == 1 else "multiclass"]
    return DEFAULT_OUTPUT_ACTIVATION["regression"]


def default_activations(n_layers: int, task: str, n_outputs: int) -> list[str]:
    """The default hidden activation in every hidden layer and the task's output activation."""
    return [DEFAULT_HIDDEN_ACTIVATION] * (n_layers - 1) + [default_output_activation(task, n_outputs)]


def default_loss(output_activation: str) -> str:
    return DEFAULT_LOSS.get(output_activation, DEFAULT_LOSS_OTHERWISE)


@dataclass(frozen=True)
class Entry:
    """One named choice: its menu label, a short form, its formula in TeX, and what else the page needs."""

    name: str
    label: str
    tex: str
    short: str = ""
    derivative_tex: str = ""
    hidden: bool | None = None  # activations: may be used in a hidden layer
    elementwise: bool | None = None  # activations: a_k depends on z_k alone, so δ = ∂J/∂a ⊙ f'(z)
    seed_rule: bool | None = None  # optimizers: the step is the seed's Δθ = −η ∂J/∂θ
    outputs: tuple[str, ...] | None = None  # output activations a loss needs (None: any)
    hyperparameters: tuple[str, ...] = ()  # the settings it reads (optimizers; regularizations: rate)
    parameters: tuple[Parameter, ...] = ()  # activations: the numbers its formula holds (leaky ReLU's slope)


@dataclass(frozen=True)
class Pairing:
    activation: str
    loss: str
    tex: str


@dataclass(frozen=True)
class Catalog:
    activations: tuple[Entry, ...]
    losses: tuple[Entry, ...]
    optimizers: tuple[Entry, ...]
    initializers: tuple[Entry, ...]
    regularizations: tuple[Entry, ...]
    datasets: tuple[str, ...]
    closed_form_deltas: tuple[Pairing, ...]
    chain_rule_delta_tex: str
    default_hidden_activation: str
    default_output_activation: dict[str, str]
    default_loss: dict[str, str]
    default_loss_otherwise: str
    default_optimizer: str
    default_initializer: str
    default_regularization: str


def catalog() -> Catalog:
    """The engine's registries as one description (built from them, so it never disagrees with them)."""
    return Catalog(
        activations=tuple(
            Entry(
                a.name,
                a.label,
                a.f_tex,
                short=a.short,
                derivative_tex=a.df_tex,
                hidden=not a.output_only,
                elementwise=a.elementwise,
                parameters=a.parameters,
            )
            for a in ACTIVATIONS.values()
        ),
        losses=tuple(
            Entry(
                loss.name,
                loss.label,
                loss.tex,
                derivative_tex=loss.grad_tex,
                outputs=None if loss.allowed_outputs is None else tuple(sorted(loss.allowed_outputs)),
            )
            for loss in LOSSES.values()
        ),
        optimizers=tuple(
            Entry(name, cls.label, cls.tex, hyperparameters=cls.hyperparameters, seed_rule=cls.seed_rule)
            for name, cls in OPTIMIZERS.items()
        ),
        initializers=tuple(Entry(name, label, tex) for name, (label, tex) in SCHEMES.items()),
        regularizations=tuple(
            Entry(name, label, tex, hyperparameters=() if name == NO_PENALTY else ("rate",))
            for name, (label, tex) in KINDS.items()
        ),
        datasets=tuple(BUILTINS),
        closed_form_deltas=tuple(Pairing(act, loss, CLOSED_FORM_DELTA_TEX) for act, loss in sorted(CLOSED_FORM_DELTA)),
        chain_rule_delta_tex=CHAIN_RULE_DELTA_TEX,
        default_hidden_activation=DEFAULT_HIDDEN_ACTIVATION,
        default_output_activation=dict(DEFAULT_OUTPUT_ACTIVATION),
        default_loss=dict(DEFAULT_LOSS),
        default_loss_otherwise=DEFAULT_LOSS_OTHERWISE,
        default_optimizer=DEFAULT_OPTIMIZER,
        default_initializer=DEFAULT_INITIALIZER,
        default_regularization=DEFAULT_REGULARIZATION,
    )
