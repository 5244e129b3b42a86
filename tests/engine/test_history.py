"""History: keyframes bounded by memory, the newest always kept, stepping back limited with a helpful message,
and the default cap holding at least 1000 passes of a TF-Playground-size network."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from engine.history import DEFAULT_HISTORY_BYTES, History
from engine.stepper import Stepper


def test_nbytes_counts_parameters_optimizer_state_and_overhead(make_trainer) -> None:
    trainer = make_trainer(optimizer="adam")  # 2-4-3-1: 12+4 + 12+3 + 3+1 = 35 parameters
    frame = trainer.checkpoint()
    assert frame.nbytes >= 3 * 35 * 8  # W and b, adam's m and v
    history = History()
    history.push(frame)
    history.push(replace(frame, pass_index=1))
    assert history.nbytes == 2 * frame.nbytes and len(history) == 2


def test_push_drops_the_oldest_keyframes_beyond_the_cap(make_trainer) -> None:
    trainer = make_trainer()
    size = trainer.checkpoint().nbytes
    history = History(max_bytes=int(3.5 * size))
    for _ in range(10):
        history.push(trainer.checkpoint())
        trainer.run_passes(1, track_metrics=False)
        assert history.nbytes <= history.max_bytes
    assert len(history) == 3 and history.oldest_pass == 7
    assert history.latest_at_or_before(6) is None
    assert history.latest_at_or_before(8).pass_index == 8
    assert history.latest_at_or_before(100).pass_index == 9


def test_the_newest_keyframe_is_kept_even_above_the_cap(make_trainer) -> None:
    trainer = make_trainer()
    history = History(max_bytes=10)
    history.push(trainer.checkpoint())
    assert len(history) == 1 and history.nbytes > history.max_bytes
    trainer.run_passes(1)
    history.push(trainer.checkpoint())
    assert len(history) == 1 and history.oldest_pass == 1


def test_pushing_an_earlier_pass_forgets_the_undone_future(make_trainer) -> None:
    trainer = make_trainer()
    history = History()
    frames = []
    for _ in range(5):
        frames.append(trainer.checkpoint())
        history.push(frames[-1])
        trainer.run_passes(1, track_metrics=False)
    history.push(frames[2])
    assert len(history) == 3
    assert history.latest_at_or_before(4).pass_index == 2
    assert history.nbytes == held(frames[:3])
    history.truncate_after(0)
    assert len(history) == 1 and history.nbytes == frames[0].nbytes
    history.clear()
    assert len(history) == 0 and history.nbytes == 0 and history.oldest_pass is None


def test_a_small_cap_limits_stepping_back_with_a_helpful_message(make_trainer, state_of, same_state) -> None:
    probe = make_trainer(optimizer="adam")
    cap = int(5.5 * probe.checkpoint().nbytes)
    stepper = Stepper(make_trainer(optimizer="adam", history_bytes=cap))
    states = {}
    for _ in range(30):
        states[stepper.pass_index] = state_of(stepper.trainer)
        stepper.step("pass", 1)
        assert stepper.trainer.history.nbytes <= cap
    history = stepper.trainer.history
    assert len(history) == 5 and history.oldest_pass == 25  # a keyframe per stepped pass, the last 5 kept
    result = stepper.back("pass", 30)
    assert result.moved == 5 and stepper.pass_index == 25
    assert result.limit_reached == (
        "the history no longer holds pass 25 (the oldest kept is pass 26); raise the history memory limit to keep more"
    )
    same_state(state_of(stepper.trainer), states[25])
    assert stepper.back("phase").limit_reached.startswith("the history no longer holds pass 25")
    assert stepper.pass_index == 25 and stepper.position == 0


def test_the_default_cap_is_64_mebibytes() -> None:
    assert History().max_bytes == DEFAULT_HISTORY_BYTES == 64 * 1024 * 1024


def _playground_trainer(make_trainer):
    """TF Playground's default: 2 inputs, hidden layers of 8 and 8, one output; adam, mini-batches of 10."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-6, 6, size=(200, 2))
    Y = (np.hypot(X[:, 0], X[:, 1]) < 3).astype(np.float64)[:, None]
    return make_trainer(
        sizes=(2, 8, 8, 1),
        activations=("tanh", "tanh", "sigmoid"),
        loss="bce",
        optimizer="adam",
        learning_rate=0.03,
        batch_size=10,
        X=X,
        Y=Y,
    )


@pytest.mark.parametrize("one_call", [False, True], ids=["one-at-a-time", "one-call"])
def test_the_default_cap_keeps_1000_passes_of_a_playground_network(
    one_call: bool, make_trainer, state_of, same_state
) -> None:
    trainer = _playground_trainer(make_trainer)
    stepper = Stepper(trainer)
    initial = state_of(trainer)
    for _ in range(1000):
        assert stepper.step("pass", 1).passes == 1
    assert trainer.pass_index == 1000 and trainer.history.oldest_pass == 0
    assert trainer.history.nbytes <= DEFAULT_HISTORY_BYTES
    if one_call:
        result = stepper.back("pass", 1000)
        assert result.moved == 1000 and result.limit_reached is None
    else:
        for _ in range(1000):
            assert stepper.back("pass").moved == 1
    assert stepper.pass_index == 0
    same_state(state_of(trainer), initial)
    assert stepper.back("pass").limit_reached.startswith("already at the start")


def test_the_byte_count_follows_pushes_truncations_evictions_and_clear(make_trainer) -> None:
    trainer = make_trainer()
    trainer.run_passes(1)  # into the first epoch: its frames carry the epoch's order
    frame = trainer.checkpoint()
    history = History(max_bytes=3 * frame.nbytes)
    for _ in range(8):
        history.push(trainer.checkpoint())
        trainer.run_passes(1)
        assert history.nbytes == held(list(history._frames)) <= history.max_bytes
    assert 3 <= len(history) < 8  # frames that share an order fit a little better; the oldest were dropped
    history.truncate_after(history.oldest_pass)
    assert len(history) == 1 and history.nbytes == history._frames[0].nbytes
    history.clear()
    assert len(history) == 0 and history.nbytes == 0


def held(frames: list) -> int:
    """What consecutive frames hold: each its own bytes, an epoch's order shared by neighbours counted once."""
    shared = sum(
        b.order_bytes
        for a, b in itertools.pairwise(frames)
        if a.sampler.order is not None and a.sampler.order is b.sampler.order
    )
    return sum(f.nbytes for f in frames) - shared
