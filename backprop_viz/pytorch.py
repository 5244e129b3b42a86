"""PyTorch in and out: `from_torch` opens an `nn.Sequential` of `nn.Linear` layers and supported activations as
a session with exactly its weights; `to_torch` gives an equivalent `nn.Sequential` back.

nn.Linear's weight has shape (out_features, in_features): the seed's W^l (n_l × n_{l−1}) as it is, so weights
cross without a transpose. PyTorch is imported only when these are called (`pip install backprop-viz[torch]`);
it is never needed to run backprop-viz.

  PyTorch module                                 engine activation
  nn.Sigmoid, nn.Tanh, nn.ReLU                    sigmoid, tanh, relu
  nn.LeakyReLU(negative_slope)                    leaky_relu with {"slope": negative_slope}
  nn.ELU(alpha)                                   elu with {"alpha": alpha}
  nn.Softplus(beta=1, threshold ≥ 20)             softplus
  nn.GELU(approximate="none")                     gelu
  nn.Identity, or no module after a Linear        linear
  nn.Softmax(dim=-1 or 1), last only              softmax

  loss                                            engine loss (and output)
  nn.MSELoss()                                    mse
  nn.BCELoss() after nn.Sigmoid, one output       bce
  nn.BCEWithLogitsLoss(), one output              sigmoid output + bce (the model ends in nn.Linear)
  nn.CrossEntropyLoss()                           softmax output + cross_entropy (ends in nn.Linear)
  nn.NLLLoss() after nn.LogSoftmax                refused: use CrossEntropyLoss on the logits
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from app import schemas

if TYPE_CHECKING:
    import torch
    from torch import nn

    from backprop_viz.client import Client
    from backprop_viz.session import Session

SUPPORTED_LAYERS = (
    "nn.Linear (with bias), nn.Sigmoid, nn.Tanh, nn.ReLU, nn.LeakyReLU, nn.ELU, nn.Softplus (beta=1), "
    "nn.GELU (approximate='none'), nn.Identity, and a final nn.Softmax(dim=-1)"
)
SUPPORTED_LOSSES = "nn.MSELoss, nn.BCELoss, nn.BCEWithLogitsLoss, nn.CrossEntropyLoss (reduction='mean')"
DTYPES = {"torch.float64": "float64", "torch.float32": "float32"}
SOFTPLUS_THRESHOLD = 20  # PyTorch's default: above it, log(1 + e^z) − z < 2.1e-9


class UnsupportedModel(ValueError):
    """A model, loss, optimizer or data set that backprop-viz cannot open as it is; the message names the part
    and what is supported."""


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError(
            "PyTorch is not installed: install it with pip install 'backprop-viz[torch]' (or pip install torch)"
        ) from None
    return torch


# -- in ------------------------------------------------------------------------------------------------------------
def activation_of(module: nn.Module, index: int) -> tuple[str, dict[str, float] | None]:
    """The engine's activation (and options) for a PyTorch activation module, or UnsupportedModel naming it."""
    nn = _torch().nn
    where = f"layer {index} ({type(module).__name__})"
    if isinstance(module, nn.Sigmoid):
        return "sigmoid", None
    if isinstance(module, nn.Tanh):
        return "tanh", None
    if isinstance(module, nn.ReLU):
        return "relu", None
    if isinstance(module, nn.LeakyReLU):
        return "leaky_relu", {"slope": float(module.negative_slope)}
    if isinstance(module, nn.ELU):
        return "elu", {"alpha": float(module.alpha)}
    if isinstance(module, nn.Softplus):
        if module.beta != 1:
            raise UnsupportedModel(f"{where}: only nn.Softplus with beta=1 is supported, got beta={module.beta}")
        if module.threshold < SOFTPLUS_THRESHOLD:  # PyTorch returns z itself above it: off by log(1 + e^{−t})
            raise UnsupportedModel(
                f"{where}: nn.Softplus's threshold must be at least {SOFTPLUS_THRESHOLD} (it is {module.threshold}): "
                "backprop-viz computes log(1 + e^z) exactly"
            )
        return "softplus", None
    if isinstance(module, nn.GELU):
        if module.approximate != "none":
            raise UnsupportedModel(
                f"{where}: only nn.GELU(approximate='none') is supported (the exact z Φ(z)), got "
                f"approximate={module.approximate!r}"
            )
        return "gelu", None
    if isinstance(module, nn.Identity):
        return "linear", None
    if isinstance(module, nn.Softmax):
        if module.dim not in (-1, 1):
            raise UnsupportedModel(f"{where}: nn.Softmax must act on the features (dim=-1 or 1), got dim={module.dim}")
        return "softmax", None
    raise UnsupportedModel(
        f"{where} is not supported: backprop-viz opens an nn.Sequential of {SUPPORTED_LAYERS}"
        + (
            "; for nn.LogSoftmax with nn.NLLLoss, drop the LogSoftmax and use nn.CrossEntropyLoss"
            if isinstance(module, nn.LogSoftmax)
            else ""
        )
    )


def layers_of(model: nn.Module) -> dict[str, Any]:
    """The session configuration of a model: `layers`, `activations`, `activation_options`, `dtype` and
    `init` (its exact weights), or UnsupportedModel naming the first layer that does not fit."""
    torch = _torch()
    nn = torch.nn
    if not isinstance(model, nn.Sequential):
        raise UnsupportedModel(
            f"backprop-viz opens an nn.Sequential, got {type(model).__name__}: write the model as "
            f"nn.Sequential(nn.Linear(…), nn.Tanh(), nn.Linear(…), …) of {SUPPORTED_LAYERS}"
        )
    modules = list(model)
    if not modules or not isinstance(modules[0], nn.Linear):
        first = type(modules[0]).__name__ if modules else "nothing"
        raise UnsupportedModel(f"the model must start with an nn.Linear layer, got {first} (layer 0)")
    sizes: list[int] = [modules[0].in_features]
    activations: list[str] = []
    options: list[dict[str, float] | None] = []
    weights: list[list[list[float]]] = []
    biases: list[list[float]] = []
    dtypes: set[str] = set()
    for index, module in enumerate(modules):
        if isinstance(module, nn.Linear):
            if module.bias is None:
                raise UnsupportedModel(f"layer {index} (Linear) has no bias: backprop-viz's layers all have b^l")
            if module.in_features != sizes[-1]:
                raise UnsupportedModel(
                    f"layer {index} (Linear) takes {module.in_features} inputs but the layer before gives {sizes[-1]}"
                )
            if len(activations) < len(weights):  # the Linear before had no activation: linear
                activations.append("linear")
                options.append(None)
            sizes.append(module.out_features)
            dtype = str(module.weight.dtype)
            if dtype not in DTYPES:
                raise UnsupportedModel(
                    f"layer {index} (Linear) is {dtype}; backprop-viz computes in float64 or float32"
                )
            dtypes.add(dtype)
            weights.append(module.weight.detach().cpu().double().tolist())
            biases.append(module.bias.detach().cpu().double().tolist())
            continue
        name, opts = activation_of(module, index)
        if len(activations) == len(weights):
            raise UnsupportedModel(
                f"layer {index} ({type(module).__name__}) follows another activation: each nn.Linear may be "
                "followed by one activation"
            )
        if name == "softmax" and index != len(modules) - 1:
            raise UnsupportedModel(f"layer {index} (Softmax) must be the last layer")
        activations.append(name)
        options.append(opts)
    if len(activations) < len(weights):
        activations.append("linear")
        options.append(None)
    if len(dtypes) > 1:
        raise UnsupportedModel(f"the layers mix dtypes {sorted(dtypes)}; convert the model with .double() or .float()")
    return {
        "layers": sizes,
        "activations": activations,
        "activation_options": options if any(options) else None,
        "dtype": DTYPES[dtypes.pop()],
        "init": {"weights": weights, "biases": biases},
    }


def loss_of(loss: Any, config: dict[str, Any]) -> str:
    """The engine's loss for a PyTorch loss module (or one of the engine's loss names); it may change the
    output activation: a model that ends in nn.Linear trained with nn.CrossEntropyLoss gets a softmax output,
    with nn.BCEWithLogitsLoss a sigmoid one (the same function as PyTorch computes)."""
    if isinstance(loss, str):
        return loss
    nn = _torch().nn
    name = type(loss).__name__
    if getattr(loss, "reduction", "mean") != "mean":
        raise UnsupportedModel(
            f"{name}(reduction={loss.reduction!r}) is not supported: backprop-viz averages over the batch"
        )
    if getattr(loss, "weight", None) is not None or getattr(loss, "pos_weight", None) is not None:
        raise UnsupportedModel(f"{name} with class weights is not supported")
    last = config["activations"][-1]
    outputs = config["layers"][-1]
    if isinstance(loss, nn.MSELoss):
        return "mse"
    if isinstance(loss, nn.BCELoss):
        if last != "sigmoid" or outputs != 1:
            raise UnsupportedModel(
                "nn.BCELoss needs a model that ends in one unit and nn.Sigmoid (for several sigmoid outputs PyTorch "
                "averages over them, backprop-viz sums them)"
            )
        return "bce"
    if isinstance(loss, nn.BCEWithLogitsLoss):
        if last != "linear" or outputs != 1:
            raise UnsupportedModel("nn.BCEWithLogitsLoss needs a model that ends in nn.Linear with one output (logits)")
        config["activations"][-1] = "sigmoid"
        return "bce"
    if isinstance(loss, nn.CrossEntropyLoss):
        if getattr(loss, "label_smoothing", 0.0):
            raise UnsupportedModel("nn.CrossEntropyLoss with label_smoothing is not supported")
        if last == "linear":
            config["activations"][-1] = "softmax"
        elif last != "softmax":
            raise UnsupportedModel(f"nn.CrossEntropyLoss needs a model that ends in nn.Linear (logits), not {last}")
        return "cross_entropy"
    raise UnsupportedModel(f"the loss {name} is not supported; use {SUPPORTED_LOSSES}, or a backprop-viz loss name")


def optimizer_of(optimizer: Any) -> dict[str, Any]:
    """The session's optimizer for a torch.optim optimizer (SGD with or without momentum, Adam), or one of the
    engine's specs as a dict, or its name."""
    if isinstance(optimizer, str):
        return {"name": optimizer}
    if isinstance(optimizer, Mapping):
        return dict(optimizer)
    torch = _torch()
    name = type(optimizer).__name__
    groups = optimizer.param_groups
    if len({(g["lr"], g.get("momentum"), g.get("betas")) for g in groups}) > 1:
        raise UnsupportedModel(f"{name} has parameter groups with different settings; backprop-viz uses one")
    group = groups[0]
    lr = float(group["lr"])
    if group.get("weight_decay", 0):
        raise UnsupportedModel(
            f"{name}(weight_decay=…) decays the biases too; set weight_decay=0 and use the session's "
            "regularization={'kind': 'l2', 'rate': λ} (weights only)"
        )
    if isinstance(optimizer, torch.optim.SGD):
        if group.get("nesterov") or group.get("dampening", 0):
            raise UnsupportedModel("torch.optim.SGD with nesterov or dampening is not supported")
        momentum = float(group.get("momentum", 0.0))
        if momentum:
            return {"name": "momentum", "learning_rate": lr, "momentum": momentum}
        return {"name": "sgd", "learning_rate": lr}
    if isinstance(optimizer, torch.optim.Adam) and not isinstance(optimizer, torch.optim.AdamW):
        if group.get("amsgrad"):
            raise UnsupportedModel("torch.optim.Adam(amsgrad=True) is not supported")
        beta1, beta2 = group["betas"]
        return {"name": "adam", "learning_rate": lr, "beta1": beta1, "beta2": beta2, "epsilon": group["eps"]}
    raise UnsupportedModel(f"the optimizer {name} is not supported; use torch.optim.SGD (momentum or not) or Adam")


def dataset_of(dataset: Any, loss: str, n_outputs: int, test_fraction: float) -> dict[str, Any]:
    """The session's data set: a backprop-viz spec as it is ({"builtin": …}, {"id": …}, {"inputs": …}), or
    (X, y) arrays or tensors, or a TensorDataset of the two, given inline as they are. Class indices (a 1-D
    integer y with cross-entropy) become one-hot rows."""
    if isinstance(dataset, Mapping):
        return dict(dataset)
    tensors = getattr(dataset, "tensors", None)  # torch.utils.data.TensorDataset
    pair = tensors if tensors is not None else dataset
    try:
        X, y = pair
    except (TypeError, ValueError):
        raise UnsupportedModel(
            "dataset must be (X, y) arrays or tensors, a TensorDataset of them, or a backprop-viz data set such "
            "as {'builtin': 'circles'}"
        ) from None
    X_rows = _numpy(X).astype(np.float64)
    Y = _numpy(y)
    if X_rows.ndim != 2:
        raise UnsupportedModel(f"X must be samples × features, got shape {X_rows.shape}")
    classification = loss in ("bce", "cross_entropy")
    if Y.ndim == 1 and loss == "cross_entropy":
        if not np.issubdtype(Y.dtype, np.integer):
            raise UnsupportedModel("with cross-entropy, a 1-D y must hold class indices (integers)")
        Y = np.eye(n_outputs)[Y]
    Y_rows = Y.astype(np.float64).reshape(len(Y), -1)
    spec: dict[str, Any] = {"inputs": X_rows.tolist(), "targets": Y_rows.tolist(), "test_fraction": test_fraction}
    spec["task"] = "classification" if classification else "regression"
    return spec


def _numpy(values: Any) -> np.ndarray:
    detach = getattr(values, "detach", None)
    if detach is not None:
        return detach().cpu().numpy()
    return np.asarray(values)


def from_torch(
    model: nn.Module,
    dataset: Any = None,
    loss: Any = None,
    optimizer: Any = None,
    *,
    test_fraction: float = 0.0,
    client: Client | None = None,
    show: bool = False,
    **config: Any,
) -> Session:
    """Open a PyTorch `nn.Sequential` as a session with exactly its weights (and dtype).

    `dataset`: (X, y) arrays or tensors, a TensorDataset, or a backprop-viz data set such as
    {"builtin": "circles"}; `loss`: a torch loss module (see the module docstring) or an engine loss name;
    `optimizer`: a torch.optim.SGD or Adam instance, or an engine optimizer spec. Other keyword arguments go
    to the session as they are (`batch_size`, `seed`, …). The session lives on `client`'s server (default:
    `bv.serve()`'s); `show=True` also shows its page. Anything that does not fit raises UnsupportedModel
    naming the layer and what is supported.

    >>> model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1), nn.Sigmoid()).double()  # doctest: +SKIP
    >>> s = bv.from_torch(model, dataset=(X, y), loss=nn.BCELoss(),
    ...                   optimizer=torch.optim.SGD(model.parameters(), lr=0.5))               # doctest: +SKIP
    >>> s.step("pass")                                                                      # doctest: +SKIP
    """
    body = layers_of(model)
    if loss is not None:
        body["loss"] = loss_of(loss, body)
    if optimizer is not None:
        body["optimizer"] = optimizer_of(optimizer)
    if dataset is not None:
        body["dataset"] = dataset_of(dataset, body.get("loss", ""), body["layers"][-1], test_fraction)
    body.update(config)
    if client is None:
        from backprop_viz.server import serve

        client = serve().client
    session = client.create(**body)
    if show:
        session.show()
    return session


# -- out -----------------------------------------------------------------------------------------------------------
def module_of(activation: str, options: Mapping[str, float] | None) -> nn.Module:
    """The PyTorch module computing one of the engine's activations (the inverse of `activation_of`)."""
    nn = _torch().nn
    options = options or {}
    if activation == "leaky_relu":
        return nn.LeakyReLU(options.get("slope", 0.01))
    if activation == "elu":
        return nn.ELU(options.get("alpha", 1.0))
    simple = {
        "sigmoid": nn.Sigmoid,
        "tanh": nn.Tanh,
        "relu": nn.ReLU,
        "softplus": nn.Softplus,
        "gelu": nn.GELU,
        "linear": nn.Identity,
    }
    if activation == "softmax":
        return nn.Softmax(dim=-1)
    if activation not in simple:
        raise UnsupportedModel(f"the activation {activation!r} has no PyTorch module here")
    return simple[activation]()


def to_torch(state: schemas.SessionState, *, logits: bool = False, dtype: torch.dtype | None = None) -> nn.Sequential:
    """An nn.Sequential computing the session's network with its current weights (see Session.to_torch)."""
    torch = _torch()
    nn = torch.nn
    config = state.config
    dtype = dtype or (torch.float64 if config.dtype == "float64" else torch.float32)
    options = config.activation_options or [None] * len(config.activations)
    modules: list[nn.Module] = []
    L = len(config.activations)
    for l, (W, b, act, opts) in enumerate(  # noqa: E741 (the seed's name for a layer)
        zip(state.weights, state.biases, config.activations, options, strict=True), start=1
    ):
        linear = nn.Linear(len(W[0]) if W else 0, len(W), dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(_finite(W), dtype=torch.float64))
            linear.bias.copy_(torch.tensor(_finite(b), dtype=torch.float64))
        modules.append(linear)
        # A hidden layer always gets its module (nn.Identity for linear), so the Linear layers keep PyTorch's
        # usual indices 0, 2, 4, …; the output layer's only when it is not linear (or left out for logits).
        output_module = act != "linear" and not (logits and act in ("sigmoid", "softmax"))
        if l < L or output_module:
            modules.append(module_of(act, opts))
    return nn.Sequential(*modules)


def _finite(values: Any) -> Any:
    """The wire's null (a weight that is not finite) as NaN."""
    if isinstance(values, list):
        return [_finite(v) for v in values]
    return math.nan if values is None else values
