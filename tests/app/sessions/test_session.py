"""The Session itself: every view and command takes its lock (callers never need to), a REST answer shows the
state its change left, refusals change nothing, and a training job's record changes only under the lock."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from app import schemas
from app.errors import Conflict, InvalidInput, NotFound
from app.jobs import JobInfo
from app.sessions import Session

CALLS: dict[str, Callable[[Session], Any]] = {
    "state": lambda s: s.state(),
    "snapshot": lambda s: s.snapshot(),
    "visible_records": lambda s: s.visible_records(),
    "metrics_history": lambda s: s.metrics_history(),
    "metrics_lengths": lambda s: s.metrics_lengths(),
    "metrics_since": lambda s: s.metrics_since((0, 0)),
    "focus_sample": lambda s: s.focus_sample(),
    "boundary": lambda s: s.boundary(),
    "step": lambda s: s.step("phase", 1),
    "back": lambda s: s.back("phase", 1),
    "patch": lambda s: s.patch(schemas.SessionPatch(learning_rate=0.1)),
    "reset": lambda s: s.reset(),
    "set_focus": lambda s: s.set_focus(1),
    "edit_weight": lambda s: s.edit_weight(schemas.EditWeight(layer=1, row=0, column=0, value=0.5)),
    "train_chunk": lambda s: s.train_chunk(1),
    "passes_for_epochs": lambda s: s.passes_for_epochs(1),
    "refusal": lambda s: s.refusal("step", records=True),
    "step_answer": lambda s: s.step_answer(schemas.StepRequest()),
    "back_answer": lambda s: s.back_answer(schemas.BackRequest()),
    "patch_answer": lambda s: s.patch_answer(schemas.SessionPatch(batch_size=4)),
    "reset_answer": lambda s: s.reset_answer(),
    "predict": lambda s: s.predict([[0.5, 0.5]]),
    "gradcheck": lambda s: s.gradcheck(),
    "start_job": lambda s: s.start_job(JobInfo("j", total=1), keep_finished=1),
    "train_job_chunk": lambda s: s.train_job_chunk(JobInfo("j", total=1), 1),
    "end_job": lambda s: s.end_job(JobInfo("j", total=1), "cancelled"),
    "running_job": lambda s: s.running_job(),
    "job_model": lambda s: s.job_model(JobInfo("j", total=1)),
    "export": lambda s: s.export(),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_every_view_and_command_waits_for_the_lock(make_session, name):
    session = make_session()
    done = threading.Event()
    failure: list[BaseException] = []

    def call() -> None:
        try:
            CALLS[name](session)
        except BaseException as exc:
            failure.append(exc)
        finally:
            done.set()

    with session.lock:  # as play mode or a job chunk holds it
        worker = threading.Thread(target=call)
        worker.start()
        assert not done.wait(0.05), f"{name} ran while another thread held the session's lock"
    assert done.wait(10), f"{name} never finished"
    worker.join()
    assert not failure, failure


def test_a_rest_answer_shows_the_state_its_change_left(make_session):
    session = make_session()
    step = session.step_answer(schemas.StepRequest(unit="phase", count=4))
    assert [r.label for r in step.records] == ["F1", "F2", "J", "B2"]
    assert step.state == session.state() and step.state.counters.label == "B1"
    back = session.back_answer(schemas.BackRequest(unit="phase", count=1))
    assert back.moved == 1 and [r.label for r in back.visible] == ["F1", "F2", "J"]
    assert back.state == session.state()
    patched = session.patch_answer(schemas.SessionPatch(learning_rate=0.25))
    assert patched.pending_config and patched.config.optimizer.learning_rate == 0.25
    reset = session.reset_answer()
    assert reset.counters.position == 0 and reset == session.state()


def test_every_change_counts_a_revision_and_tells_the_listeners(make_session):
    session = make_session()
    heard: list[int] = []
    session.listeners.append(lambda: heard.append(session.revision))
    session.step("phase", 2)
    session.patch(schemas.SessionPatch(learning_rate=0.1))
    session.set_focus(3)
    session.train_chunk(2)
    session.reset()
    assert heard == [1, 2, 3, 4, 5]
    session.state()
    session.export()
    assert session.revision == 5  # reading changes nothing


def test_steps_are_limited_in_passes_whatever_their_unit(make_session, settings):
    session = make_session()  # 6 phases per pass, 4 passes per epoch
    session.settings = settings.model_copy(update={"max_step_passes": 4})
    for unit, count in (("phase", 4 * 6 + 1), ("pass", 5), ("epoch", 2)):
        with pytest.raises(InvalidInput, match="BACKPROP_VIZ_MAX_STEP_PASSES") as info:
            session.step(unit, count)
        assert info.value.field == "count"
    assert session.revision == 0
    assert session.step("epoch", 1).passes == 4
    session.step("phase", 2)
    with pytest.raises(InvalidInput):
        session.step("phase", 4 * 6 - 1)  # from position 2: into a fifth pass
    assert session.step("phase", 4 * 6 - 2).passes == 4


def test_a_running_job_refuses_the_commands_that_change_weights(make_session):
    session = make_session()
    job = JobInfo("j1", total=10)
    session.start_job(job, keep_finished=5)
    assert session.running_job() is job and session.find_job("j1") is job
    for command in (
        lambda: session.step("phase", 1),
        lambda: session.back("phase", 1),
        lambda: session.reset(),
        lambda: session.edit_weight(schemas.EditWeight(layer=1, row=0, column=0, value=1.0)),
        lambda: session.refusal("play"),
        lambda: session.start_job(JobInfo("j2", total=1), keep_finished=5),
    ):
        with pytest.raises(Conflict, match="j1"):
            command()
    assert session.revision == 0
    session.set_focus(2)  # what leaves the weights alone goes on
    session.end_job(job, "cancelled")
    assert session.running_job() is None
    session.step("phase", 1)


def test_a_playing_session_takes_no_job_and_finished_jobs_are_pruned(make_session):
    session = make_session()
    session.playing = True
    with pytest.raises(Conflict, match="playing"):
        session.start_job(JobInfo("j", total=1), keep_finished=2)
    session.playing = False
    for index in range(4):
        job = JobInfo(f"j{index}", total=1)
        session.start_job(job, keep_finished=2)
        session.end_job(job, "done")
    session.start_job(JobInfo("j4", total=1), keep_finished=2)
    assert list(session.jobs) == ["j2", "j3", "j4"]  # the last two finished ones and the running one
    with pytest.raises(NotFound, match="no job 'j0'"):
        session.find_job("j0")


def test_a_job_chunk_trains_and_counts_its_passes_together(make_session):
    session = make_session()
    job = JobInfo("j", total=5)
    session.start_job(job, keep_finished=1)
    assert session.train_job_chunk(job, 3) >= 0
    assert job.done == session.trainer.pass_index == 3
    assert job.loss == session.trainer.metrics.batch_loss.y[-1]
    session.train_job_chunk(job, 2)
    assert job.done == 5 and job.status == "running"
    assert session.train_job_chunk(job, 1) is None  # all done: the job ends without training
    assert job.status == "done" and session.trainer.pass_index == 5
    cancelled = JobInfo("k", total=5)
    session.start_job(cancelled, keep_finished=1)
    cancelled.cancel.set()
    assert session.train_job_chunk(cancelled, 1) is None
    assert cancelled.status == "cancelled" and cancelled.done == 0


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the engine's overflow, which is the point
def test_a_diverging_chunk_fails_its_job_at_the_pass_before(make_session):
    session = make_session(make_session.diverging)
    job = JobInfo("j", total=1000)
    session.start_job(job, keep_finished=1)
    session.train_job_chunk(job, 1000)
    assert job.status == "failed" and f"pass {job.done + 1} diverged" in job.message
    assert session.trainer.pass_index == job.done


def test_predict_refuses_rows_that_are_not_the_features(make_session):
    session = make_session()
    for inputs in ([[1.0, 2.0, 3.0]], [[1.0, 2.0], [1.0]], [], [[float("nan"), 0.0]]):
        with pytest.raises(InvalidInput) as info:
            session.predict(inputs)
        assert info.value.field == "inputs"
    assert session.predict([[0.5, -0.5]]).predicted in (["0"], ["1"])
