"""The job runner's parts on their own: chunk sizing, a job's record (when it ends, what a chunk adds, how the
resource shows it), and shutdown marking the jobs it stops as interrupted. (Jobs over REST:
api/routes/test_sessions_training.py.)"""

from __future__ import annotations

import time

import pytest

from app.jobs import JobInfo, JobRunner, next_chunk
from engine.training import Diverged, RunResult


def test_chunks_aim_at_fifty_milliseconds_and_grow_gently():
    assert next_chunk(100, 0.1) == 50  # too slow: halve
    assert next_chunk(10, 0.001) == 40  # far too fast: at most 4× at a time
    assert next_chunk(1, 0.0) == 4
    assert next_chunk(1, 10.0) == 1  # never below one pass


def test_a_job_ends_done_before_cancelled_and_interrupted_only_at_shutdown():
    job = JobInfo("j", total=3)
    assert job.ending() is None
    job.cancel.set()
    assert job.ending() == "cancelled"
    job.closing.set()
    assert job.ending() == "interrupted"
    job.done = 3
    assert job.ending() == "done"  # all passes done: cancelling late changes nothing


def test_a_chunk_adds_its_passes_and_loss_and_a_diverged_pass_fails_the_job():
    job = JobInfo("j", total=100)
    job.count(RunResult(passes=7), 0.25)
    job.count(RunResult(passes=0), None)  # no pass ran: the last loss stays
    assert (job.done, job.loss, job.status) == (7, 0.25, "running")
    job.count(RunResult(passes=2, diverged=Diverged(pass_index=9, reason="the loss is inf")), 0.5)
    assert (job.done, job.loss, job.status) == (9, 0.5, "failed")
    assert job.message is not None and job.message.startswith("pass 10 diverged (the loss is inf)")


def test_the_job_resource_shows_progress_and_an_eta_only_while_running():
    job = JobInfo("j", total=10, started=time.monotonic() - 2.0)
    assert job.to_model().eta_seconds is None  # nothing done yet: no rate to extrapolate
    job.done, job.loss = 4, float("nan")
    model = job.to_model()
    assert model.eta_seconds == pytest.approx(3.0, rel=0.05)  # 2 s for 4 passes: 3 s for the other 6
    assert (model.done, model.total, model.status, model.loss) == (4, 10, "running", None)  # NaN is sent as null
    job.status = "cancelled"
    assert job.to_model().eta_seconds is None


def test_shutdown_stops_every_job_as_interrupted(settings, make_session):
    runner = JobRunner(settings)
    session = make_session()
    job = runner.start(session, 10_000_000)
    deadline = time.monotonic() + 10
    while job.done == 0:
        assert time.monotonic() < deadline, "the job never ran a chunk"
        time.sleep(0.002)
    runner.shutdown()
    assert job.status == "interrupted" and 0 < job.done < job.total
    assert runner.running == 0
    assert session.running_job() is None
    assert session.trainer.pass_index == job.done
