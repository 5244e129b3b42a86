"""PyTorch in and out: from_torch opens an nn.Sequential with exactly its weights, one pass's gradients equal
autograd's (float64, ≤ 1e-9 relative) for every supported activation × loss, the optimizers' steps equal
torch.optim's, to_torch/state_dict give the model back, and anything else is refused naming the layer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import backprop_viz as bv
from backprop_viz.pytorch import UnsupportedModel, layers_of

torch = pytest.importorskip(
    "torch",
    reason="PyTorch is not installed: `pip install torch==2.13.0` (make test installs it) for the from_torch / "
    "to_torch tests and the autograd parity",
)
nn = torch.nn

RTOL = 1e-9
M = 12  # samples, one batch

# Every activation from_torch opens, as a hidden layer (a fresh module per model).
HIDDEN: dict[str, Callable[[], Any]] = {
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu(0.2)": lambda: nn.LeakyReLU(0.2),
    "leaky_relu(default)": nn.LeakyReLU,
    "elu": nn.ELU,
    "elu(0.5)": lambda: nn.ELU(0.5),
    "softplus": nn.Softplus,
    "gelu": nn.GELU,
    "identity": nn.Identity,
}


def _data(outputs: int, kind: str, seed: int = 0) -> tuple[Any, Any]:
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(M, 3, generator=g, dtype=torch.float64)
    if kind == "regression":
        return X, torch.randn(M, outputs, generator=g, dtype=torch.float64)
    if kind == "binary":
        return X, (torch.rand(M, 1, generator=g) > 0.5).double()
    return X, torch.randint(0, outputs, (M,), generator=g)


# The losses: (PyTorch loss, output module or None, outputs, data kind).
LOSSES: dict[str, tuple[Callable[[], Any], Callable[[], Any] | None, int, str]] = {
    "mse/linear": (nn.MSELoss, None, 2, "regression"),
    "mse/tanh": (nn.MSELoss, nn.Tanh, 2, "regression"),
    "mse/leaky": (nn.MSELoss, lambda: nn.LeakyReLU(0.3), 2, "regression"),
    "bce/sigmoid": (nn.BCELoss, nn.Sigmoid, 1, "binary"),
    "bce_with_logits": (nn.BCEWithLogitsLoss, None, 1, "binary"),
    "cross_entropy/logits": (nn.CrossEntropyLoss, None, 3, "classes"),
}


def _model(hidden: Callable[[], Any], out: Callable[[], Any] | None, outputs: int, seed: int = 1) -> Any:
    torch.manual_seed(seed)
    layers = [nn.Linear(3, 4), hidden(), nn.Linear(4, 5), hidden(), nn.Linear(5, outputs)]
    if out is not None:
        layers.append(out())
    return nn.Sequential(*layers).double()


def _autograd(model: Any, loss: Any, X: Any, y: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    model.zero_grad()
    loss(model(X), y).backward()
    return [(m.weight.grad.numpy().copy(), m.bias.grad.numpy().copy()) for m in model if isinstance(m, nn.Linear)]


def _ours(session: bv.Session) -> list[tuple[np.ndarray, np.ndarray]]:
    backward = sorted((r for r in session.step("pass") if r.phase == "backward"), key=lambda r: r.layer)
    return [(r.grad_W, r.grad_b) for r in backward]


def _close(ours: np.ndarray, theirs: np.ndarray) -> None:
    scale = max(float(np.abs(theirs).max()), 1e-300)
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=RTOL * scale)


@pytest.mark.parametrize("loss_name", list(LOSSES))
@pytest.mark.parametrize("activation", list(HIDDEN))
def test_one_pass_gradients_equal_autograd(client: bv.Client, activation: str, loss_name: str) -> None:
    make_loss, out, outputs, kind = LOSSES[loss_name]
    model = _model(HIDDEN[activation], out, outputs)
    X, y = _data(outputs, kind)
    loss = make_loss()
    session = bv.from_torch(model, dataset=(X, y), loss=loss, optimizer={"name": "sgd"}, batch_size=M, client=client)
    for (W, b), (gW, gb) in zip(_ours(session), _autograd(model, loss, X, y), strict=True):
        _close(W, gW)
        _close(b, gb)


def test_a_final_softmax_with_cross_entropy_is_the_logits_models_gradient(client: bv.Client) -> None:
    logits = _model(nn.Tanh, None, 3)
    with_softmax = nn.Sequential(*logits, nn.Softmax(dim=-1))
    X, y = _data(3, "classes")
    session = bv.from_torch(with_softmax, dataset=(X, y), loss=nn.CrossEntropyLoss(), batch_size=M, client=client)
    assert session.config.activations == ["tanh", "tanh", "softmax"]
    for (W, b), (gW, gb) in zip(_ours(session), _autograd(logits, nn.CrossEntropyLoss(), X, y), strict=True):
        _close(W, gW)
        _close(b, gb)


@pytest.mark.parametrize(
    ("make_optimizer", "spec"),
    [
        (lambda p: torch.optim.SGD(p, lr=0.3), {"name": "sgd", "learning_rate": 0.3}),
        (lambda p: torch.optim.SGD(p, lr=0.2, momentum=0.8), {"name": "momentum", "learning_rate": 0.2}),
        (lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-7), {"name": "adam", "beta1": 0.8}),
    ],
)
def test_three_passes_update_the_weights_as_torch_optim_does(
    client: bv.Client, make_optimizer: Callable[[Any], Any], spec: dict[str, Any]
) -> None:
    model = _model(nn.Tanh, nn.Sigmoid, 1)
    X, y = _data(1, "binary")
    optimizer = make_optimizer(model.parameters())
    session = bv.from_torch(model, dataset=(X, y), loss=nn.BCELoss(), optimizer=optimizer, batch_size=M, client=client)
    assert spec.items() <= session.config.optimizer.model_dump().items()
    session.step("pass", 3)
    for _ in range(3):
        optimizer.zero_grad()
        nn.BCELoss()(model(X), y).backward()
        optimizer.step()
    theirs = [m for m in model if isinstance(m, nn.Linear)]
    for W, b, m in zip(session.weights, session.biases, theirs, strict=True):
        _close(W, m.weight.detach().numpy())
        _close(b, m.bias.detach().numpy())


def test_from_torch_keeps_the_exact_weights_and_to_torch_gives_them_back(client: bv.Client) -> None:
    model = nn.Sequential(nn.Linear(3, 4), nn.LeakyReLU(0.25), nn.Linear(4, 2), nn.ELU(0.7)).double()
    X, y = _data(2, "regression")
    session = bv.from_torch(model, dataset=(X, y), loss=nn.MSELoss(), client=client)
    config = session.config
    assert config.layers == [3, 4, 2] and config.activations == ["leaky_relu", "elu"]
    assert config.activation_options == [{"slope": 0.25}, {"alpha": 0.7}]
    assert config.dtype == "float64" and config.loss == "mse"
    np.testing.assert_array_equal(session.weights[0], model[0].weight.detach().numpy())  # no transpose: W^l is
    np.testing.assert_array_equal(session.biases[1], model[2].bias.detach().numpy())  # (n_l, n_{l−1}) in both
    back = session.to_torch()
    assert [type(m) for m in back] == [type(m) for m in model]
    assert back[1].negative_slope == 0.25 and back[3].alpha == 0.7
    for key, value in model.state_dict().items():
        assert torch.equal(back.state_dict()[key], value), key
    assert torch.equal(back(X), model(X))  # the same function, bit for bit
    np.testing.assert_allclose(session.predict(X.numpy()), model(X).detach().numpy(), rtol=1e-13, atol=1e-15)


def test_to_torch_follows_training_and_the_state_dict_loads_into_the_original(client: bv.Client) -> None:
    model = _model(nn.ReLU, nn.Sigmoid, 1)
    X, y = _data(1, "binary")
    session = bv.from_torch(model, dataset=(X, y), loss=nn.BCELoss(), client=client)
    session.train(passes=50, progress=False)
    state = session.state_dict()
    assert list(state) == list(model.state_dict())
    model.load_state_dict(state)
    np.testing.assert_array_equal(model[4].weight.detach().numpy(), session.weights[2])
    logits = session.to_torch(logits=True)
    assert not isinstance(logits[-1], nn.Sigmoid)
    np.testing.assert_allclose(torch.sigmoid(logits(X)).detach().numpy(), session.predict(X.numpy()), rtol=1e-12)


def test_float32_models_stay_float32(client: bv.Client) -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    session = bv.from_torch(model, dataset={"builtin": "xor"}, loss="mse", client=client)
    assert session.config.dtype == "float32"
    assert session.to_torch()[0].weight.dtype == torch.float32
    np.testing.assert_array_equal(session.weights[0], model[0].weight.detach().double().numpy())


def test_class_indices_become_one_hot_and_a_tensor_dataset_is_read(client: bv.Client) -> None:
    model = _model(nn.Tanh, None, 3)
    X, y = _data(3, "classes")
    session = bv.from_torch(
        model, dataset=torch.utils.data.TensorDataset(X, y), loss=nn.CrossEntropyLoss(), client=client
    )
    data = session.dataset()
    assert data.classes == ("0", "1", "2")
    np.testing.assert_array_equal(data.y_train, y.numpy())
    np.testing.assert_array_equal(data.X_train, X.numpy())


REFUSED: list[tuple[Any, str]] = [
    (nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.1), nn.Linear(3, 1)), "layer 1 (Dropout) is not supported"),
    (nn.Sequential(nn.Conv1d(1, 1, 3)), "start with an nn.Linear"),
    (nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Linear(3, 1)), "layer 1 (BatchNorm1d) is not supported"),
    (nn.Linear(2, 1), "opens an nn.Sequential, got Linear"),
    (nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.ReLU(), nn.Linear(3, 1)), "follows another activation"),
    (nn.Sequential(nn.Linear(2, 3, bias=False)), "has no bias"),
    (nn.Sequential(nn.Linear(2, 3), nn.Softplus(beta=2)), "beta=1"),
    (nn.Sequential(nn.Linear(2, 3), nn.Softplus(threshold=5)), "threshold must be at least 20"),
    (nn.Sequential(nn.Linear(2, 3), nn.GELU(approximate="tanh")), "approximate='none'"),
    (nn.Sequential(nn.Linear(2, 3), nn.Softmax(dim=0)), "dim=-1"),
    (nn.Sequential(nn.Linear(2, 3), nn.Softmax(dim=-1), nn.Linear(3, 1)), "must be the last"),
    (nn.Sequential(nn.Linear(2, 3), nn.LogSoftmax(dim=-1)), "use nn.CrossEntropyLoss"),
    (nn.Sequential(nn.Linear(2, 3), nn.Linear(4, 1)), "takes 4 inputs"),
    (nn.Sequential(nn.Linear(2, 3).half()), "float16"),
]


@pytest.mark.parametrize(("model", "words"), REFUSED, ids=[w for _, w in REFUSED])
def test_unsupported_models_are_refused_naming_the_layer(model: Any, words: str) -> None:
    with pytest.raises(UnsupportedModel, match=words.replace("(", r"\(").replace(")", r"\)")) as refused:
        layers_of(model)
    if "not supported" in words:
        assert "nn.Linear" in str(refused.value) and "nn.LeakyReLU" in str(refused.value)  # what is supported


@pytest.mark.parametrize(
    ("loss", "optimizer", "words"),
    [
        (nn.L1Loss(), None, "L1Loss is not supported"),
        (nn.MSELoss(reduction="sum"), None, "reduction='sum'"),
        (nn.BCELoss(), None, "one unit and nn.Sigmoid"),
        (nn.CrossEntropyLoss(label_smoothing=0.1), None, "label_smoothing"),
        ("mse", "weight_decay", "weight_decay"),
        ("mse", "rmsprop", "RMSprop is not supported"),
        ("mse", "nesterov", "nesterov"),
    ],
)
def test_unsupported_losses_and_optimizers_are_refused(
    client: bv.Client, loss: Any, optimizer: Any, words: str
) -> None:
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 2)).double()
    made = {
        None: None,
        "weight_decay": lambda: torch.optim.SGD(model.parameters(), lr=0.1, weight_decay=0.01),
        "rmsprop": lambda: torch.optim.RMSprop(model.parameters()),
        "nesterov": lambda: torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True),
    }[optimizer]
    with pytest.raises(UnsupportedModel, match=words):
        bv.from_torch(model, dataset={"builtin": "xor"}, loss=loss, optimizer=made() if made else None, client=client)
