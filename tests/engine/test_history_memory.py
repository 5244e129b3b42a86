"""The step-back history's cap is real memory: a full history holds about BACKPROP_VIZ_HISTORY_BYTES, measured
with tracemalloc, not a fraction of the array bytes (the headers, the sampler's order and the RNG state count)."""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest

from engine.datasets import make_builtin
from engine.network import Network
from engine.optimizers import OptimizerConfig
from engine.training import Trainer, TrainingConfig

CAP = 2 * 1024 * 1024


@pytest.mark.parametrize(("hidden", "samples"), [(8, 500), (64, 2000)])
def test_a_full_history_holds_what_its_cap_says(hidden, samples):
    data = make_builtin("circles", samples=samples, seed=0)
    network = Network.build([2, hidden, hidden, 1], ["tanh", "tanh", "sigmoid"], "bce")
    config = TrainingConfig(OptimizerConfig(name="adam", learning_rate=0.01), batch_size=10)
    trainer = Trainer(network, data.X_train, data.Y_train, config=config, history_bytes=CAP)
    trainer.run_passes(200)  # the first keyframes before measuring, so the measure is of frames only
    gc.collect()
    tracemalloc.start()
    try:
        while trainer.history.nbytes < 0.9 * CAP:  # until full
            trainer.run_passes(500, track_metrics=False)
        frames = list(trainer.history._frames)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0]
        trainer.history.clear()
        del frames
        gc.collect()
        real = held - tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert real <= 1.1 * CAP, f"a history capped at {CAP:,} bytes holds {real:,}"
    assert real >= 0.7 * CAP  # and the cap is not wildly pessimistic either
    assert np.isfinite(trainer.network.W[0]).all()
