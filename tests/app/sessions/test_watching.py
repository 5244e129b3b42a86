"""When a session's statistics are measured again: at every change while idle; while busy at most
BACKPROP_VIZ_DIAGNOSTICS_RATE times a second *and* only once the session has trained TRAINING_PER_MEASUREMENT times
as long as the last measurement took (deterministic: the cost is set, no timing)."""

from __future__ import annotations

from app.sessions.watching import TRAINING_PER_MEASUREMENT


def test_while_busy_a_measurement_waits_until_the_session_has_trained_for_it(make_session, settings):
    settings.diagnostics_rate = 60.0
    session = make_session()
    watch = session.watch
    watch._at = -float("inf")  # the rate allows one now: only the training budget can hold it back
    watch.share.spent(0.01)  # the last measurement took 10 ms
    version = watch.version
    session.stepper.train(1)  # the pass moves on
    watch.share.earn(TRAINING_PER_MEASUREMENT * 0.01 / 2)
    watch.refresh(busy=True)
    assert watch.version == version  # half the training it needs: not yet
    watch.share.earn(TRAINING_PER_MEASUREMENT * 0.01 / 2)
    watch.refresh(busy=True)
    assert watch.version > version  # paid for: measured, and the count starts again
    assert watch.share.trained == 0.0 and watch.share.cost > 0.0


def test_idle_changes_are_measured_at_once_whatever_the_budget(make_session):
    session = make_session()
    watch = session.watch
    watch.share.spent(10.0)  # a budget that would take 200 s of training
    version = watch.version
    session.stepper.train(1)
    watch.refresh(busy=False)
    assert watch.version > version


def test_a_step_that_answers_first_is_measured_when_the_statistics_are_next_read(make_session):
    session = make_session()
    version = session.watch.version
    session.step("pass", 1, measure=False)  # the WebSocket step: its records go out before anything is measured
    assert session.watch.version == version
    update = session.diagnostics_since(version)  # the hub's collect, right after the answer
    assert update is not None and update.version > version
    session.step("pass", 1)  # everyone else: measured with the change, as before
    assert session.watch.version > update.version


def test_the_wire_form_is_made_once_per_measurement_and_counts_as_its_cost(make_session):
    session = make_session()
    watch = session.watch
    watch.share.spent(0.0)  # as if measuring took no time: what follows is the conversion's
    update = watch.since(0)
    assert update is not None and update.version == watch.version
    assert watch.share.cost > 0.0  # converting it for the wire is part of what a measurement costs
    cost = watch.share.cost
    assert watch.since(0) is update and watch.share.cost == cost  # asked again: the same one, not made again
    session.stepper.train(1)
    watch.measure()
    assert watch.since(update.version).version == watch.version != update.version
