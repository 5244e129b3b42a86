"""Image data benchmark: the targets of the images issue, measured in one run on this machine.

  1. digits: a 64-32-10 network (ReLU, softmax, Adam) on the built-in digits trained through POST /train on a real
     server — target: ≥ 95 % test accuracy within 30 s;
  2. speed: a 784-128-10 network (ReLU, softmax, cross-entropy, SGD, float32) on 10,000 MNIST-shaped random rows,
     the same batch size for both — the engine's fast path (what POST /train runs, with and without its per-pass
     metrics) against PyTorch CPU drawing shuffled mini-batches from the same 10,000 rows (and the shared
     reference's fixed-batch PyTorch step) in interleaved windows; then a real POST /train job on those rows
     uploaded as a CSV with image_shape 28,28 — target: engine ≥ 1.0 × PyTorch's passes/s;
  3. memory: 60,000 × 785 MNIST-shaped CSV (MNIST's size and sparsity) uploaded to a real server with the
     default settings (persistence on), a 784-128-10 float32 session on it, one epoch of training — the server's
     resident memory (RSS) after each step, and how long each took.

    .venv/bin/pip install -e '.[test,bench]' torch==2.13.0
    BACKPROP_VIZ_BENCH_REF=/work/shared/bench .venv/bin/python bench/images_bench.py [--only digits,speed,memory]

Compare ratios, not absolute figures: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from engine_bench import load_reference, measure, summary, verdict  # noqa: E402
from live_server import real_server  # noqa: E402

from engine.initializers import InitSpec  # noqa: E402
from engine.network import Network  # noqa: E402
from engine.optimizers import OptimizerConfig  # noqa: E402
from engine.training import Trainer, TrainingConfig  # noqa: E402

DIGITS_SESSION = {
    "layers": [64, 32, 10],
    "activations": ["relu", "softmax"],
    "optimizer": {"name": "adam", "learning_rate": 0.01},
    "batch_size": 32,
    "dataset": {"builtin": "digits"},
}
DIGITS_TARGET = (0.95, 30.0)  # test accuracy, seconds
SPEED_SIZES = [784, 128, 10]
SPEED_ROWS = 10_000
CHUNK = 32  # passes per run_passes call, as a job's chunks keep one keyframe each


def wait_job(client: httpx.Client, location: str, timeout: float = 600.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(location).json()
        if job["status"] != "running":
            return job
        if time.monotonic() > deadline:
            raise SystemExit(f"the job did not finish in {timeout} s: {job}")
        time.sleep(0.02)


# -- 1. digits through POST /train ----------------------------------------------------------------------------
def digits(epochs: int) -> bool:
    with real_server(BACKPROP_VIZ_PERSIST="false") as (base, _), httpx.Client(base_url=base, timeout=60) as client:
        created = client.post("/api/sessions", json=DIGITS_SESSION)
        created.raise_for_status()
        sid = created.json()["id"]
        started = time.perf_counter()
        answer = client.post(f"/api/sessions/{sid}/train", json={"epochs": epochs})
        answer.raise_for_status()
        job = wait_job(client, answer.headers["location"])
        seconds = time.perf_counter() - started
        metrics = client.get(f"/api/sessions/{sid}/metrics").json()
    accuracy = metrics["test_accuracy"][-1]
    best = max(a for a in metrics["test_accuracy"] if a is not None)
    ok = accuracy >= DIGITS_TARGET[0] and seconds <= DIGITS_TARGET[1]
    print(f"\n1. digits 64-32-10 (ReLU, softmax, Adam η 0.01, batch 32), {epochs} epochs through POST /train")
    print(f"   job {job['status']}: {job['done']} passes in {seconds:.1f} s (request to job done, real server)")
    print(f"   test accuracy after the last epoch {accuracy:.1%} (best epoch {best:.1%}) on 359 held-out images")
    print(f"   target ≥ {DIGITS_TARGET[0]:.0%} in ≤ {DIGITS_TARGET[1]:.0f} s: {'PASS' if ok else 'MISS'}")
    return ok


# -- 2. 784-128-10 on 10,000 MNIST-shaped rows: engine against PyTorch -------------------------------------------
def mnist_shaped(rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random MNIST-shaped data: 784 pixels of 0 … 255 with MNIST's share of ink (about 19 % non-zero), digits."""
    rng = np.random.default_rng(seed)
    pixels = np.where(rng.random((rows, 784)) < 0.19, rng.integers(1, 256, (rows, 784)), 0)
    return pixels.astype(np.float64), rng.integers(0, 10, rows)


def engine_step(X: np.ndarray, Y: np.ndarray, batch: int, track_metrics: bool) -> tuple[Any, int]:
    net = Network.build(SPEED_SIZES, ["relu", "softmax"], "cross_entropy", InitSpec(seed=0), dtype="float32")
    config = TrainingConfig(OptimizerConfig("sgd", 0.01), batch_size=batch)
    trainer = Trainer(net, X, Y, config=config, seed=0, classification=True, keyframe_interval=CHUNK)
    return (lambda: trainer.run_passes(CHUNK, track_metrics=track_metrics)), CHUNK


def torch_shuffled_step(X: np.ndarray, Y: np.ndarray, batch: int) -> tuple[Any, int]:
    """PyTorch CPU on the same rows: a shuffled order each epoch, one mini-batch gathered per step (as a
    DataLoader without workers), nn.Linear + ReLU, cross-entropy, SGD — `CHUNK` steps per call."""
    import torch

    torch.set_num_threads(2)
    torch.manual_seed(0)
    tX = torch.from_numpy(X.astype(np.float32))
    ty = torch.from_numpy(Y.argmax(axis=1))
    net = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    state = {"order": torch.randperm(len(tX)), "cursor": 0}

    def steps() -> None:
        for _ in range(CHUNK):
            start = state["cursor"]
            index = state["order"][start : start + batch]
            state["cursor"] = start + batch
            if state["cursor"] >= len(tX):
                state["order"], state["cursor"] = torch.randperm(len(tX)), 0
            opt.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(net(tX[index]), ty[index]).backward()
            opt.step()

    return steps, CHUNK


def speed(batch: int, seconds: float, rounds: int) -> bool:
    ref = load_reference()
    pixels, digits_ = mnist_shaped(SPEED_ROWS)
    X = (pixels - pixels.mean(axis=0)) / np.where(pixels.std(axis=0) > 0, pixels.std(axis=0), 1.0)
    Y = np.eye(10)[digits_]
    steps = {
        "engine (POST /train's path)": engine_step(X, Y, batch, True),
        "engine, no metrics": engine_step(X, Y, batch, False),
        "torch, shuffled batches": torch_shuffled_step(X, Y, batch),
        "torch, reference (one batch)": (
            ref.torch_step_factory(SPEED_SIZES, "relu", "softmax_ce", batch, np.float32),
            1,
        ),
    }
    rates = measure(steps, seconds, rounds)
    print(
        f"\n2. 784-128-10 (ReLU, softmax, cross-entropy, SGD, float32) on {SPEED_ROWS:,} MNIST-shaped rows, "
        f"batch {batch}"
    )
    print(f"   passes/s, median [min–max] of {rounds} interleaved windows")
    for name, values in rates.items():
        print(f"   {name:32s}{summary(values)}")
    ratio = statistics.median(
        a / b for a, b in zip(rates["engine (POST /train's path)"], rates["torch, shuffled batches"], strict=True)
    )
    bare = statistics.median(
        a / b for a, b in zip(rates["engine, no metrics"], rates["torch, shuffled batches"], strict=True)
    )
    print(f"   engine / torch (same rows, same batch): {ratio:.2f} with the job's metrics, {bare:.2f} without")
    print(f"   target ≥ 1.0 × torch: {verdict(ratio, 1.0)}")
    app_ratio = speed_through_the_app(pixels, digits_, X, Y, batch, seconds / rounds, rounds)
    return ratio >= 1.0 and app_ratio >= 1.0


def mnist_csv(pixels: np.ndarray, digits_: np.ndarray) -> bytes:
    """The Kaggle layout: label, pixel0 … pixel783, one row per image."""
    header = "label," + ",".join(f"pixel{k}" for k in range(pixels.shape[1]))
    table = np.column_stack([digits_, pixels]).astype(np.int64)
    lines = [header, *(",".join(map(str, row)) for row in table)]
    return ("\n".join(lines) + "\n").encode()


def speed_through_the_app(
    pixels: np.ndarray, digits_: np.ndarray, X: np.ndarray, Y: np.ndarray, batch: int, seconds: float, rounds: int
) -> float:
    """The same rows uploaded as a CSV with image_shape 28,28; a 784-128-10 float32 session trained by jobs, each
    timed between two windows of PyTorch on the same rows (the load of a shared machine changes by the second):
    the median over the rounds of the job's passes/s over the mean of the windows around it."""
    from engine_bench import window

    torch_step = torch_shuffled_step(X, Y, batch)
    data = mnist_csv(pixels, digits_)
    with real_server(BACKPROP_VIZ_PERSIST="false") as (base, _), httpx.Client(base_url=base, timeout=600) as client:
        files = {"file": ("mnist-shaped.csv", data, "text/csv")}
        uploaded = client.post("/api/datasets", files=files, data={"image_shape": "28,28"})
        uploaded.raise_for_status()
        body = {
            "layers": SPEED_SIZES,
            "activations": ["relu", "softmax"],
            "optimizer": {"name": "sgd", "learning_rate": 0.01},
            "batch_size": batch,
            "dtype": "float32",
            "dataset": {"id": uploaded.json()["id"], "test_fraction": 0.0},
        }
        sid = client.post("/api/sessions", json=body).json()["id"]
        window(torch_step, 0.3)
        ratios, rates = [], []
        after = window(torch_step, seconds)
        for _ in range(rounds):
            before = after
            passes = max(200, int(seconds * before))  # about as long as a window
            started = time.perf_counter()
            answer = client.post(f"/api/sessions/{sid}/train", json={"passes": passes})
            job = wait_job(client, answer.headers["location"])
            rate = job["done"] / (time.perf_counter() - started)
            after = window(torch_step, seconds)
            rates.append(rate)
            ratios.append(rate / ((before + after) / 2))
    ratio = statistics.median(ratios)
    print(
        f"   through the app, {rounds} jobs by POST /train (request to job done, with the job's metrics), each "
        f"between two PyTorch windows: {statistics.median(rates):,.0f} passes/s, {ratio:.2f} × torch "
        f"[{min(ratios):.2f}–{max(ratios):.2f}]: {verdict(ratio, 1.0)}"
    )
    return ratio


# -- 3. memory of MNIST's size -----------------------------------------------------------------------------------
def memory(rows: int) -> None:
    import psutil

    pixels, digits_ = mnist_shaped(rows, seed=1)
    data = mnist_csv(pixels, digits_)
    del pixels
    print(
        f"\n3. memory: a {rows:,} × 785 MNIST-shaped CSV ({len(data) / 2**20:,.1f} MiB), "
        "default settings (persistence on)"
    )
    with real_server() as (base, pid), httpx.Client(base_url=base, timeout=900) as client:
        server = psutil.Process(pid)

        def rss() -> str:
            return f"{server.memory_info().rss / 2**20:8,.0f} MiB"

        print(f"   idle server                                 {rss()}")
        started = time.perf_counter()
        uploaded = client.post(
            "/api/datasets", files={"file": ("mnist.csv", data, "text/csv")}, data={"image_shape": "28,28"}
        )
        uploaded.raise_for_status()
        print(f"   after the upload ({time.perf_counter() - started:5.1f} s)                {rss()}")
        body = {
            "layers": SPEED_SIZES,
            "activations": ["relu", "softmax"],
            "optimizer": {"name": "adam", "learning_rate": 0.001},
            "batch_size": 128,
            "dtype": "float32",
            "dataset": {"id": uploaded.json()["id"]},
        }
        started = time.perf_counter()
        created = client.post("/api/sessions", json=body)
        created.raise_for_status()
        sid = created.json()["id"]
        print(f"   after a 784-128-10 float32 session ({time.perf_counter() - started:5.1f} s)  {rss()}")
        started = time.perf_counter()
        answer = client.post(f"/api/sessions/{sid}/train", json={"epochs": 1})
        job = wait_job(client, answer.headers["location"])
        print(f"   after one epoch ({job['done']} passes, {time.perf_counter() - started:5.1f} s)       {rss()}")
        accuracy = client.get(f"/api/sessions/{sid}/metrics").json()["test_accuracy"][-1]
        print(f"   (random pixels: test accuracy {accuracy:.1%} is chance, as it should be)")
        peak = server.memory_info()
        print(f"   health: {client.get('/api/health').json()['storage']}")
        print(f"   resident now {peak.rss / 2**20:,.0f} MiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="digits,speed,memory")
    parser.add_argument("--epochs", type=int, default=20, help="digits: epochs to train")
    parser.add_argument("--batch", type=int, default=128, help="speed: batch size for the engine and PyTorch")
    parser.add_argument("--seconds", type=float, default=6.0, help="speed: timed seconds per implementation")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows", type=int, default=60_000, help="memory: rows of the MNIST-shaped CSV")
    args = parser.parse_args()
    only = set(args.only.split(","))
    print(f"backprop-viz image benchmark · {os.cpu_count()} CPUs · load average {os.getloadavg()[0]:.1f}")
    ok = True
    if "digits" in only:
        ok &= digits(args.epochs)
    if "speed" in only:
        ok &= speed(args.batch, args.seconds, args.rounds)
    if "memory" in only:
        memory(args.rows)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
