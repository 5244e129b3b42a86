"""Engine throughput against the shared reference (plain NumPy loop, PyTorch CPU), measured in one run.

Run:  .venv/bin/python bench/engine_bench.py [--seconds S] [--dtype float32] [--only A_playground,...]
Prints steps/s for the engine's fast path, the reference NumPy loop and PyTorch (if installed), the ratios
the engine issue targets, and the stepper's passes/s with full records on workload A.
The reference lives in ../shared/bench/reference.py (override with BACKPROP_VIZ_BENCH_REF=path/to/dir).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.initializers import InitSpec  # noqa: E402
from engine.network import Network  # noqa: E402
from engine.optimizers import OptimizerConfig  # noqa: E402
from engine.stepper import Stepper  # noqa: E402
from engine.training import Trainer, TrainingConfig  # noqa: E402

TARGETS = {"A_playground": 2.5, "B_teaching": 5.0, "C_mnist": 1.2, "D_wide": 1.1}
OUTPUTS = {"sigmoid_bce": ("sigmoid", "bce"), "sigmoid_half_sse": ("sigmoid", "half_sse"),
           "softmax_ce": ("softmax", "cross_entropy")}


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
    Ws = [(rng.standard_normal((i, o)) / np.sqrt(i)).astype(dtype) for i, o in zip(sizes, sizes[1:])]
    out_act, loss = OUTPUTS[out]
    net = Network.build(
        sizes, [act] * (len(sizes) - 2) + [out_act], loss,
        InitSpec(weights=[W.T.tolist() for W in Ws]), dtype=np.dtype(dtype).name,
    )
    config = TrainingConfig(OptimizerConfig("sgd", 0.01), batch_size=batch)
    return Trainer(net, X, Y, config=config, seed=0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    ref = load_reference()
    dtype = np.float32 if args.dtype == "float32" else np.float64
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
    try:
        from threadpoolctl import threadpool_info
        print("blas", [(i.get("internal_api"), i.get("architecture"), i.get("num_threads"))
                       for i in threadpool_info()])
    except ImportError:
        pass
    only = set(filter(None, args.only.split(",")))
    for name, (sizes, act, out, batch) in ref.WORKLOADS.items():
        if only and name not in only:
            continue
        trainer = engine_trainer(ref, sizes, act, out, batch, dtype)

        def engine_step(trainer=trainer):
            trainer.finish_pass(trainer.begin_pass(track_metrics=False), reuse_grads=True)

        def engine_run(trainer=trainer):
            trainer.run_passes(32, track_metrics=False)

        row = {
            "engine": ref.rate(engine_step, args.seconds),
            "engine_run32": 32 * ref.rate(engine_run, args.seconds),
            "numpy": ref.rate(ref.numpy_step_factory(sizes, act, out, batch, dtype), args.seconds),
        }
        if have_torch:
            row["torch"] = ref.rate(ref.torch_step_factory(sizes, act, out, batch, dtype), args.seconds)
        best = max(row["engine"], row["engine_run32"])
        line = {k: round(v, 1) for k, v in row.items()}
        line["engine/numpy"] = round(best / row["numpy"], 3)
        if have_torch:
            line["engine/torch"] = round(best / row["torch"], 3)
            line["target_vs_torch"] = TARGETS[name]
        print(name, args.dtype, line, flush=True)
    if not only or "A_playground" in only:
        sizes, act, out, batch = ref.WORKLOADS["A_playground"]
        trainer = engine_trainer(ref, sizes, act, out, batch, np.float64)
        stepper = Stepper(trainer)
        print("stepper with full records, A float64, passes/s:",
              round(ref.rate(lambda: stepper.step("pass", 1), args.seconds), 1), "(target ≥ 5000)")


if __name__ == "__main__":
    main()
