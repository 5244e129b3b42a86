"""Properties over random architectures: shapes follow the layer sizes, and one pass forward then one pass
back returns the whole training state bitwise."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.initializers import InitSpec
from engine.network import Network
from engine.regularization import Regularization
from engine.stepper import Stepper

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "linear"]
OUTPUT_LOSS = [
    ("sigmoid", "bce"),
    ("softmax", "cross_entropy"),
    ("tanh", "half_sse"),
    ("linear", "mse"),
    ("relu", "half_sse"),
    ("softmax", "bce"),
]
# The fixtures used here are stateless factories, so sharing them across generated examples is safe.
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def architectures(draw: st.DrawFn) -> dict:
    sizes = draw(st.lists(st.integers(1, 6), min_size=2, max_size=6))  # 1–5 layers after the input
    hidden = draw(st.lists(st.sampled_from(HIDDEN), min_size=len(sizes) - 2, max_size=len(sizes) - 2))
    output, loss = draw(st.sampled_from(OUTPUT_LOSS))
    samples = draw(st.integers(1, 9))
    return {
        "sizes": sizes,
        "activations": [*hidden, output],
        "loss": loss,
        "samples": samples,
        "batch_size": draw(st.integers(1, samples + 2)),
        "optimizer": draw(st.sampled_from(["sgd", "momentum", "adam"])),
        "dtype": draw(st.sampled_from(["float32", "float64"])),
        "seed": draw(st.integers(0, 2**16)),
    }


@SETTINGS
@given(arch=architectures())
def test_forward_and_gradient_shapes_follow_the_layer_sizes(arch: dict, make_targets) -> None:
    sizes = arch["sizes"]
    net = Network.build(sizes, arch["activations"], arch["loss"], InitSpec(seed=arch["seed"]), dtype=arch["dtype"])
    rng = np.random.default_rng(arch["seed"])
    m = arch["samples"]
    X = rng.normal(size=(m, sizes[0])).astype(arch["dtype"])
    Y = make_targets(arch["loss"], rng, m, sizes[-1]).astype(arch["dtype"])
    fwd = net.forward(X)
    bwd = net.backward(fwd, Y)
    assert [z.shape for z in fwd.z] == [(m, n) for n in sizes[1:]]
    assert [a.shape for a in fwd.a] == [(m, n) for n in sizes]
    assert [d.shape for d in bwd.delta] == [(m, n) for n in sizes[1:]]
    assert [g.shape for g in bwd.grad_W] == [W.shape for W in net.W] == list(zip(sizes[1:], sizes[:-1], strict=True))
    assert [g.shape for g in bwd.grad_b] == [b.shape for b in net.b] == [(n,) for n in sizes[1:]]
    assert all(g.dtype == np.dtype(arch["dtype"]) for g in bwd.grad_W + bwd.grad_b)
    assert net.predict(X).shape == (m, sizes[-1])


@SETTINGS
@given(arch=architectures(), passes_before=st.integers(0, 3))
def test_one_pass_forward_then_one_back_restores_the_state_bitwise(
    arch: dict, passes_before: int, make_trainer, state_of, same_state
) -> None:
    trainer = make_trainer(
        sizes=arch["sizes"],
        activations=arch["activations"],
        loss=arch["loss"],
        optimizer=arch["optimizer"],
        learning_rate=0.01,
        batch_size=arch["batch_size"],
        samples=arch["samples"],
        dtype=arch["dtype"],
        regularization=Regularization("l2", 1e-3),
        init=InitSpec(seed=arch["seed"]),
        data_seed=arch["seed"],
    )
    stepper = Stepper(trainer)
    if passes_before:
        stepper.step("pass", passes_before)
    before = state_of(trainer)
    result = stepper.step("pass", 1)
    assert result.passes == 1 and len(result.records) == 2 * len(arch["sizes"])
    assert stepper.back("pass", 1).moved == 1
    same_state(state_of(trainer), before)
