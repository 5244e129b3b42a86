"""Engine throughput against the shared reference (plain NumPy loop, PyTorch CPU), measured in one run.

Run:  .venv/bin/python bench/engine_bench.py [--seconds S] [--rounds R] [--dtype float32] [--only A_playground,...]
      .venv/bin/python bench/engine_bench.py --only kernels

For each workload of the reference (../shared/bench/reference.py, or BACKPROP_VIZ_BENCH_REF=path/to/dir) it prints
steps/s of the engine's fast path (`Trainer.run_passes` without metrics, and one `begin_pass` + `finish_pass`),
the reference NumPy loop and PyTorch, and the matrix products alone (the ceiling of any NumPy engine); then the
ratios the engine issue targets, each with PASS or MISS. Last comes the stepper's passes/s with full records on
workload A in float64. `--only kernels` times each kernel of engine/kernels.py against the plain NumPy spelling of
its formula, on the layer shapes of the workloads: what each trick there buys.

The implementations are timed in interleaved rounds (each window after a short warm-up of its own), so a burst
of load on a shared machine hits all of them alike; figures are medians over the rounds with [min–max], and a
ratio is the median of the per-round ratios. Compare ratios, not absolute figures.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import kernels  # noqa: E402
from engine.initializers import InitSpec  # noqa: E402
from engine.network import Network  # noqa: E402
from engine.optimizers import OptimizerConfig  # noqa: E402
from engine.stepper import Stepper  # noqa: E402
from engine.training import Trainer, TrainingConfig  # noqa: E402

TORCH_TARGETS = {"A_playground": 2.5, "B_teaching": 5.0, "C_mnist": 1.2, "D_wide": 1.1}  # engine ≥ target × torch
NUMPY_TARGET = 0.95  # engine within 5% of the plain NumPy loop
GEMM_BOUND = ("C_mnist", "D_wide")  # workloads whose step time is mostly matrix products
STEPPER_TARGET = 5000.0  # passes/s with full records, workload A, float64
CHUNK = 32  # passes per run_passes call: one keyframe and one finiteness check, as the app's runs have
OUTPUTS = {
    "sigmoid_bce": ("sigmoid", "bce"),
    "sigmoid_half_sse": ("sigmoid", "half_sse"),
    "softmax_ce": ("softmax", "cross_entropy"),
}

Step = tuple[Callable[[], object], int]  # a callable and the passes one call makes


def load_reference():
    ref_dir = Path(os.environ.get("BACKPROP_VIZ_BENCH_REF", ROOT.parent / "shared" / "bench"))
    spec = importlib.util.spec_from_file_location("reference", ref_dir / "reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def engine_trainer(ref, sizes, act, out, batch, dtype) -> Trainer:
    """The engine on the reference's own data and initial weights (transposed to the seed's orientation)."""
    rng = np.random.default_rng(0)
    X, Y = ref.data(sizes, out, batch, dtype, rng)
    Ws = [(rng.standard_normal((i, o)) / np.sqrt(i)).astype(dtype) for i, o in pairwise(sizes)]
    out_act, loss = OUTPUTS[out]
    net = Network.build(
        sizes,
        [act] * (len(sizes) - 2) + [out_act],
        loss,
        InitSpec(weights=[W.T.tolist() for W in Ws]),
        dtype=np.dtype(dtype).name,
    )
    config = TrainingConfig(OptimizerConfig("sgd", 0.01), batch_size=batch)
    return Trainer(net, X, Y, config=config, seed=0, keyframe_interval=CHUNK)


def matmuls_only(trainer: Trainer) -> Callable[[], None]:
    """The matrix products of one pass, as engine/kernels.py computes them (the same calls on the same layouts:
    Z = A Wᵀ, ∂J/∂W as (Aᵀ Δ)ᵀ, Δ W), and nothing else."""
    net, X = trainer.network, trainer.X_train
    m = X.shape[0]
    A = [X] + [np.ones((m, n), net.dtype) for n in net.sizes[1:]]
    D = [np.ones((m, n), net.dtype) for n in net.sizes]

    def step() -> None:
        for i, W in enumerate(net.W):
            np.dot(A[i], W.T)
        for i in range(net.L - 1, -1, -1):
            np.dot(A[i].T, D[i + 1])  # ∂J/∂W as (Aᵀ Δ)ᵀ: the transpose is a view, no work
            if i:
                np.dot(D[i + 1], net.W[i])

    return step


def pass_products(net: Network, m: int) -> list[tuple[str, tuple[int, int], tuple[int, int]]]:
    """The matrix products of one pass on a batch of m, as (label, left shape, right shape), in pass order."""
    products = []
    for layer, (n_in, n_out) in enumerate(pairwise(net.sizes), start=1):
        products.append((f"Z^{layer} = A^{layer - 1} W^{layer}ᵀ", (m, n_in), (n_in, n_out)))
    for layer in range(net.L, 0, -1):
        n_in, n_out = net.sizes[layer - 1], net.sizes[layer]
        products.append((f"∂J/∂W^{layer} = (A^{layer - 1}ᵀ Δ^{layer})ᵀ", (n_in, m), (m, n_out)))
        if layer > 1:
            products.append((f"Δ^{layer} W^{layer}", (m, n_out), (n_out, n_in)))
    return products


def gemm_comparison(net: Network, m: int, seconds: float, rounds: int) -> list[tuple[str, float, float]]:
    """GFLOP/s of each product of a pass in NumPy's BLAS (`np.dot`, the engine's layouts) and in PyTorch's
    (`torch.mm`, the layouts `nn.Linear` uses), in interleaved windows: where PyTorch's BLAS is faster on every
    product, no NumPy engine reaches PyTorch's step rate, whatever it does around the products."""
    import torch

    torch.set_num_threads(2)  # as the reference's torch step
    rng = np.random.default_rng(0)
    rows = []
    for label, (r, k), (k2, c) in pass_products(net, m):
        left = rng.standard_normal((r, k)).astype(net.dtype)
        right = rng.standard_normal((k2, c)).astype(net.dtype)
        if label.startswith("Z"):  # A Wᵀ with W stored column-major, as engine/kernels.py's layer_weights
            right = np.asfortranarray(right.T).T
        elif label.startswith("∂"):  # Aᵀ Δ: Aᵀ is a view of the row-major batch matrix
            left = np.ascontiguousarray(left.T).T
        t_left, t_right = torch.from_numpy(np.ascontiguousarray(left)), torch.from_numpy(np.ascontiguousarray(right))
        flops = 2 * r * k * c
        rates = measure(
            {
                "numpy": (lambda a=left, b=right: np.dot(a, b), 1),
                "torch": (lambda a=t_left, b=t_right: torch.mm(a, b), 1),
            },
            seconds,
            rounds,
        )
        rows.append(
            (label, statistics.median(rates["numpy"]) * flops / 1e9, statistics.median(rates["torch"]) * flops / 1e9)
        )
    return rows


def window(step: Step, seconds: float) -> float:
    """Passes per second of `step` over at least `seconds`."""
    call, passes = step
    calls, start = 0, time.perf_counter()
    while True:
        call()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return calls * passes / elapsed


def measure(steps: dict[str, Step], seconds: float, rounds: int) -> dict[str, list[float]]:
    """Passes/s of each step in `rounds` interleaved windows; each window follows a warm-up of its own step,
    so caches are warm and the previous implementation's BLAS/OpenMP threads have gone idle."""
    per_window = seconds / rounds
    rates: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            window(step, min(0.2, per_window / 2))
            rates[name].append(window(step, per_window))
    return rates


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):12,.1f}  [{min(values):,.1f}–{max(values):,.1f}]"


def verdict(value: float, target: float) -> str:
    return "PASS" if value >= target else f"MISS by {100 * (1 - value / target):.1f}%"


def compare(rates: dict[str, list[float]], a: str, b: str) -> list[float]:
    return [x / y for x, y in zip(rates[a], rates[b], strict=True)]


# Layer shapes (batch m, inputs, neurons) of the workloads: the teaching 2-2-1 on one sample, the playground's
# 8-unit layers on 500, MNIST's first layer and output layer on 128.
KERNEL_SHAPES = {"2-2-1, m=1": (1, 2, 2), "8 units, m=500": (500, 8, 8), "784→128, m=128": (128, 784, 128)}
OUTPUT_SHAPES = {"1 output, m=1": (1, 1), "10 outputs, m=128": (128, 10), "10 outputs, m=500": (500, 10)}


def best_time(call: Callable[[], object], seconds: float) -> float:
    """The fastest of several timed batches of calls, in seconds per call: the least disturbed by other load."""
    number = 1
    while True:  # calls per batch, so that a batch takes at least 2 ms
        start = time.perf_counter()
        for _ in range(number):
            call()
        if time.perf_counter() - start >= 0.002:
            break
        number *= 2
    best, deadline = float("inf"), time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        for _ in range(number):
            call()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def kernel_pairs(dtype: type) -> list[tuple[str, str, Callable[[], object], Callable[[], object]]]:
    """(shape, formula, engine/kernels.py's call, the plain NumPy spelling) for each trick on each shape."""
    rng = np.random.default_rng(0)
    pairs = []
    for shape, (m, n_in, n_out) in KERNEL_SHAPES.items():
        W_rows = rng.standard_normal((n_out, n_in)).astype(dtype)
        W = kernels.layer_weights(W_rows)
        b = rng.standard_normal(n_out).astype(dtype)
        A = rng.standard_normal((m, n_in)).astype(dtype)
        D = rng.standard_normal((m, n_out)).astype(dtype)
        a = rng.uniform(0.1, 0.9, (m, n_out)).astype(dtype)
        pairs += [
            (
                shape,
                "z = W a + b",
                lambda W=W, A=A, b=b: kernels.weighted_sum(W, A, b),
                lambda W=W_rows, A=A, b=b: A @ W.T + b,
            ),
            (shape, "Wᵀ δ", lambda W=W, D=D: kernels.transpose_times(W, D), lambda W=W_rows, D=D: D @ W),
            (
                shape,
                "∂J/∂W = (1/m) Σ δ aᵀ",
                lambda D=D, A=A: kernels.batch_grad_W(D, A),
                lambda D=D, A=A, m=m: D.T @ A / m,
            ),
            (shape, "∂J/∂b = (1/m) Σ δ", lambda D=D: kernels.batch_grad_b(D), lambda D=D: D.mean(axis=0)),
            (shape, "a (1 − a)", lambda a=a: kernels.times_one_minus(a), lambda a=a: a * (1 - a)),
            (shape, "1 / (1 + e)", lambda a=a: kernels.one_over_one_plus(a.copy()), lambda a=a: 1 / (1 + a.copy())),
        ]
    for shape, (m, k) in OUTPUT_SHAPES.items():
        z = rng.standard_normal((m, k)).astype(dtype)
        pairs += [
            (shape, "max_k z_k per row", lambda z=z: kernels.row_max(z), lambda z=z: z.max(axis=-1, keepdims=True)),
            (shape, "Σ_k z_k per row", lambda z=z: kernels.row_sum(z), lambda z=z: z.sum(axis=-1, keepdims=True)),
        ]
    return pairs


def kernel_report(seconds: float, dtype: type) -> None:
    print(f"\nkernels, {np.dtype(dtype).name}: best time per call of engine/kernels.py and of the plain formula")
    print(f"  {'shape':20s}{'formula':24s}{'kernel µs':>11s}{'plain µs':>11s}  plain / kernel")
    for shape, formula, ours, plain in kernel_pairs(dtype):
        t_ours, t_plain = best_time(ours, seconds), best_time(plain, seconds)
        print(f"  {shape:20s}{formula:24s}{t_ours * 1e6:11.2f}{t_plain * 1e6:11.2f}  {t_plain / t_ours:6.2f}")
    sys.stdout.flush()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="timed seconds per implementation and workload")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved windows per implementation")
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--only", default="", help="comma-separated workloads (and/or 'stepper', 'kernels')")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args()
    dtype = np.float32 if args.dtype == "float32" else np.float64
    try:
        import torch  # noqa: F401

        have_torch = True
    except ImportError:
        have_torch = False
    try:
        from threadpoolctl import threadpool_info

        blas = [(i.get("internal_api"), i.get("architecture"), i.get("num_threads")) for i in threadpool_info()]
        print("thread pools:", blas)
    except ImportError:
        pass
    env = {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS", "OMP_", "MKL_"))}
    print("environment:", env or "no OPENBLAS_*/OMP_*/MKL_* variables")
    print(f"cpus: {os.cpu_count()}, load average before: {os.getloadavg()[0]:.2f} (other work skews every figure)")
    sys.stdout.flush()
    only = set(filter(None, args.only.split(",")))
    if "kernels" in only:
        kernel_report(args.seconds / 10, dtype)
        if only == {"kernels"}:
            return
    ref = load_reference()
    results: dict[str, dict] = {}
    verdicts: list[tuple[str, str, float, float]] = []
    for name, (sizes, act, out, batch) in ref.WORKLOADS.items():
        if only and name not in only:
            continue
        trainer = engine_trainer(ref, sizes, act, out, batch, dtype)
        pass_trainer = engine_trainer(ref, sizes, act, out, batch, dtype)

        def run_chunk(trainer: Trainer = trainer) -> None:
            trainer.run_passes(CHUNK, track_metrics=False)

        def one_pass(trainer: Trainer = pass_trainer) -> None:
            trainer.finish_pass(trainer.begin_pass(track_metrics=False), reuse_grads=True)

        steps: dict[str, Step] = {
            "engine run_passes": (run_chunk, CHUNK),
            "engine begin+finish": (one_pass, 1),
            "numpy loop": (ref.numpy_step_factory(sizes, act, out, batch, dtype), 1),
        }
        if have_torch:
            steps["torch"] = (ref.torch_step_factory(sizes, act, out, batch, dtype), 1)
        steps["matmuls only"] = (matmuls_only(trainer), 1)
        rates = measure(steps, args.seconds, args.rounds)
        print(f"\n{name} {args.dtype}: steps/s, median of {args.rounds} rounds [min–max]")
        for impl, values in rates.items():
            print(f"  {impl:22s}{summary(values)}")
        row = {"rates": rates, "ratios": {}}
        for engine in ("engine run_passes", "engine begin+finish"):
            peers = [("numpy loop", NUMPY_TARGET)] + ([("torch", TORCH_TARGETS[name])] if have_torch else [])
            for peer, target in peers:
                ratios = compare(rates, engine, peer)
                ratio = statistics.median(ratios)
                row["ratios"][f"{engine} / {peer}"] = ratios
                mark = verdict(ratio, target) if engine == "engine run_passes" else "(for information)"
                print(
                    f"  {engine} / {peer}: {ratio:.3f} [{min(ratios):.3f}–{max(ratios):.3f}]  target ≥ {target}  {mark}"
                )
                if engine == "engine run_passes":
                    verdicts.append((name, peer, ratio, target))
        if have_torch:
            ceiling = statistics.median(compare(rates, "matmuls only", "torch"))
            print(f"  matmuls only / torch: {ceiling:.3f} (no NumPy engine can beat torch by more than this)")
            print(f"  numpy loop / torch: {statistics.median(compare(rates, 'numpy loop', 'torch')):.3f}")
            if name in GEMM_BOUND:
                print("  each product of the pass alone, GFLOP/s (NumPy's BLAS vs PyTorch's):")
                for label, ours, theirs in gemm_comparison(trainer.network, batch, args.seconds / 4, args.rounds):
                    print(f"    {label:28s} numpy {ours:7.1f}  torch {theirs:7.1f}  ratio {ours / theirs:.3f}")
        results[name] = row
        sys.stdout.flush()
    if not only or "stepper" in only or "A_playground" in only:
        sizes, act, out, batch = ref.WORKLOADS["A_playground"]
        stepper = Stepper(engine_trainer(ref, sizes, act, out, batch, np.float64))
        # Beside it, in the same rounds, the same pass without records (with the loss and accuracy, as the
        # stepper has them): the target is absolute, and this machine's speed swings, so the ratio shows
        # what the records cost whatever the machine's speed at the time.
        plain = engine_trainer(ref, sizes, act, out, batch, np.float64)

        def plain_pass(trainer: Trainer = plain) -> None:
            trainer.finish_pass(trainer.begin_pass(track_metrics=True), reuse_grads=True)

        both = measure(
            {"stepper": (lambda: stepper.step("pass", 1), 1), "no records": (plain_pass, 1)}, args.seconds, args.rounds
        )
        rates = both["stepper"]
        rate = statistics.median(rates)
        print(f"\nstepper, step('pass', 1) with full records, A_playground float64: passes/s {summary(rates)}")
        print(f"  target ≥ {STEPPER_TARGET:,.0f}  {verdict(rate, STEPPER_TARGET)}")
        share = statistics.median(compare(both, "stepper", "no records"))
        print(f"  the same pass without records: passes/s {summary(both['no records'])}; stepper / that: {share:.3f}")
        results["stepper"] = {"rates": rates, "no_records": both["no records"]}
        verdicts.append(("A_playground float64", "stepper passes/s", rate, STEPPER_TARGET))
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    print("summary:")
    for name, what, value, target in verdicts:
        print(f"  {name:22s} {what:18s} {value:10.3f}  target ≥ {target:<7}  {verdict(value, target)}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
