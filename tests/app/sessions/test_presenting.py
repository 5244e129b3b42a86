"""A session on the wire: the state, counters, records and metrics as the schema's models, and the data, focus
sample, boundary and predictions in raw coordinates and class names (standardization undone, labels decoded)."""

from __future__ import annotations

import numpy as np
import pytest

from app import schemas
from app.config import Settings
from app.jobs import JobInfo
from app.lessons.loader import load_lessons
from app.outbox import dump
from app.sessions import Session, presenting
from engine.datasets import parse_csv

LESSONS = load_lessons(settings=Settings(persist=False)).lessons
ROWS = [(1.0, 10.0, "cat"), (2.0, 30.0, "dog"), (4.0, 20.0, "cat"), (8.0, 50.0, "bird"), (5.0, 60.0, "dog")]
ANIMALS = "size,weight,kind\n" + "".join(f"{a},{b},{c}\n" for a, b, c in ROWS)


@pytest.fixture
def animals(make_session):
    """A session on a three-class CSV: its features are standardized, its targets one-hot."""
    table = parse_csv(ANIMALS, target="kind", name="animals.csv")
    body = {"layers": [2, 3, 3], "dataset": {"id": "animals", "test_fraction": 0.4, "seed": 1}, "batch_size": 2}
    return make_session(body, tables={"animals": table})


def test_data_points_are_the_raw_rows_and_class_indices(animals):
    dataset = animals.dataset
    assert dataset.normalization is not None  # the network sees standardized inputs …
    points = presenting.data_points(dataset)
    xs, ys = points.train_x + points.test_x, points.train_y + points.test_y
    shown = list(zip(map(tuple, xs), ys, strict=True))
    classes = list(dataset.class_names)
    expected = sorted(((a, b), float(classes.index(c))) for a, b, c in ROWS)
    assert len(points.train_x) == 3 and len(points.test_x) == 2
    for (x, y), (x_expected, y_expected) in zip(sorted(shown), expected, strict=True):
        assert x == pytest.approx(x_expected, rel=1e-12)  # … and the page the raw values
        assert y == y_expected


def test_the_focus_sample_has_raw_and_network_inputs_and_its_class_name(animals):
    animals.set_focus(2)
    sample = presenting.focus_sample(animals.stepper, animals.dataset)
    x = animals.trainer.X_train[2]
    norm = animals.dataset.normalization
    assert sample.index == 2 and sample.x == x.tolist()
    np.testing.assert_allclose(sample.x_raw, x * norm.std + norm.mean, rtol=1e-12)
    row = next(r for r in ROWS if r[:2] == pytest.approx(tuple(sample.x_raw), rel=1e-12))
    assert sample.label == row[2]
    assert sample.y == [1.0 if c == row[2] else 0.0 for c in animals.dataset.class_names]  # one-hot


def test_binary_targets_are_class_indices_and_regression_targets_values(make_session):
    binary = make_session(
        dataset={"inputs": [[0.0], [1.0], [2.0]], "targets": [1, 0, 1], "task": "classification"}, layers=[1, 2, 1]
    )
    assert presenting.data_points(binary.dataset).train_y == [1.0, 0.0, 1.0]
    assert presenting.focus_sample(binary.stepper, binary.dataset).label == "1"
    regression = make_session(dataset={"inputs": [[0.0], [1.0]], "targets": [0.25, -3.5]}, layers=[1, 1])
    points = presenting.data_points(regression.dataset)
    assert points.train_x == [[0.0], [1.0]] and points.train_y == [0.25, -3.5]  # inline data is kept as given
    assert presenting.focus_sample(regression.stepper, regression.dataset).label is None


def test_more_than_two_features_have_no_plane_to_draw(make_session):
    session = make_session(layers=[3, 1], dataset={"inputs": [[0, 1, 2], [3, 4, 5]], "targets": [0, 1]})
    assert presenting.data_points(session.dataset) is None
    assert presenting.boundary(session.network, session.dataset) is None


def test_the_boundary_covers_the_raw_domain(animals):
    boundary = presenting.boundary(animals.network, animals.dataset, resolution=7)
    assert boundary.kind == "class"  # three classes: the arg-max class index
    assert len(boundary.xs) == len(boundary.ys) == 7 and np.shape(boundary.values) == (7, 7)
    assert boundary.xs[0] < 1.0 and boundary.xs[-1] > 8.0  # the raw sizes 1 … 8, with a margin
    assert boundary.ys[0] < 10.0 and boundary.ys[-1] > 60.0


def test_counters_follow_the_phase_cursor(make_session):
    session = make_session()  # 2-4-1, 32 training rows, batch 8
    start = presenting.counters(session.stepper)
    assert start.timeline == ["F1", "F2", "J", "B2", "B1", "U"]
    assert (start.pass_index, start.epoch, start.position, start.label) == (0, 0, 0, "F1")
    session.step("pass", 4)
    session.step("phase", 3)
    now = presenting.counters(session.stepper)
    assert (now.pass_index, now.epoch, now.position, now.label, now.phase, now.layer) == (4, 1, 3, "B2", "backward", 2)


def test_the_state_shows_the_configuration_in_force_and_a_pending_change(make_session):
    session = make_session()
    session.step("phase", 2)
    session.patch(schemas.SessionPatch(learning_rate=0.01, batch_size=4))
    state = session.state()
    assert state.pending_config is True
    assert state.config.optimizer.learning_rate == 0.01 and state.config.batch_size == 4
    assert session.config.optimizer.learning_rate == 0.5  # the configuration it was created with stays
    assert state.weights == [W.tolist() for W in session.network.W]
    assert state.metrics == schemas.LatestMetrics()  # no pass has ended yet
    session.step("phase", 4)
    assert session.state().pending_config is False
    assert session.state().metrics.batch_loss == session.trainer.metrics.batch_loss.y[-1]


def test_the_states_unchanging_parts_are_made_again_only_when_they_change(make_session):
    """The configuration in force, the data set's summary and the timeline are kept between states (each play
    frame and step answer makes one) and made again as soon as what they show changes."""
    session = make_session()
    first = session.state()
    session.step("phase", 3)
    second = session.state()
    assert second.config is first.config and second.dataset is first.dataset
    assert second.counters.timeline == first.counters.timeline and second.counters.label == "B2"

    session.patch(schemas.SessionPatch(learning_rate=0.01))  # pending until the pass ends
    pending = session.state()
    assert pending.config is not first.config and pending.config.optimizer.learning_rate == 0.01
    session.step("phase", 3)  # the pass ends: the change is in force
    assert session.state().config.optimizer.learning_rate == 0.01

    session.rebuild(schemas.SessionCreate(**{**make_session.xor, "layers": [2, 3, 3, 1]}), {}.__getitem__)
    rebuilt = session.state()
    assert rebuilt.counters.timeline == ["F1", "F2", "F3", "J", "B3", "B2", "B1", "U"]
    assert rebuilt.config.layers == [2, 3, 3, 1] and rebuilt.config is not pending.config
    assert rebuilt.dataset is not first.dataset  # a rebuild brings new data (an added example is
    # tests/app/api/routes/test_images.py::test_an_example_added_to_the_training_data_is_trained_on_…)


def _same_json(session) -> None:
    source = session._state_source()  # one moment (a job's elapsed time moves)
    fast = presenting.state_json(source)
    assert fast == dump(presenting.state(source))  # byte for byte, not only the same values
    assert schemas.SessionState.model_validate_json(fast) == session.state().model_copy(update={"job": source.job})


def test_the_state_json_is_the_models_json_in_every_kind_of_state(make_session, settings):
    session = make_session()
    _same_json(session)  # fresh: no metrics yet
    session.step("phase", 3)
    _same_json(session)  # mid-pass
    session.patch(schemas.SessionPatch(learning_rate=0.01, batch_size=4))
    _same_json(session)  # a change pending
    session.step("pass", 9)
    _same_json(session)  # metrics of passes and epochs, the change in force
    session.set_focus(2, "test")
    session.playing, session.speed = True, 12.5
    _same_json(session)  # playing at a speed, a test sample in focus
    session.speed = 10  # an integer speed is the model's float all the same
    _same_json(session)
    session.playing, session.speed = False, None
    session.start_job(JobInfo(id="j1", total=100, done=40, loss=0.25), keep_finished=2)
    _same_json(session)  # a job running
    session.end_job(session.job, "done")
    _same_json(session)  # the job done
    digits = make_session(
        {"layers": [64, 8, 10], "activations": ["relu", "softmax"], "dataset": {"builtin": "digits", "samples": 60}}
    )
    digits.teach(schemas.TeachRequest(input=[8.0] * 64, label="7", unit="phase"))
    _same_json(digits)  # an example (a drawing) being taught, ten classes
    lesson = Session.for_lesson(LESSONS["02-xor-hidden-layer"], settings)
    _same_json(lesson)  # following a lesson
    lesson.step("pass", 2)
    _same_json(lesson)


def test_metrics_since_sends_new_points_and_replaces_a_rewritten_history(make_session):
    session = make_session()
    log = session.trainer.metrics
    session.step("pass", 3)
    cursor = presenting.metrics_cursor(log)
    assert cursor == (3, 0)
    session.step("pass", 2)  # 5 passes: the first epoch (4 passes) has ended
    per_pass, per_epoch, cursor, replace = presenting.metrics_since(log, cursor)
    assert per_pass["pass"] == [4, 5] and per_epoch["epoch"] == [1] and not replace
    session.back("pass", 3)
    per_pass, per_epoch, cursor, replace = presenting.metrics_since(log, cursor)
    assert replace and per_pass["pass"] == [1, 2] and per_epoch["epoch"] == []
    assert cursor == (2, 0)


def test_a_prediction_names_classes_with_their_probabilities(animals, make_session):
    outputs = np.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3]])
    response = presenting.prediction(outputs, animals.dataset)
    classes = list(animals.dataset.class_names)
    assert response.classes == classes and response.probabilities == outputs.tolist()
    assert response.predicted == [classes[1], classes[0]]
    binary = make_session()
    response = presenting.prediction(np.array([[0.25], [0.75]]), binary.dataset)
    assert response.probabilities == [[0.75, 0.25], [0.25, 0.75]]  # one sigmoid output is P(class 1)
    assert response.predicted == ["0", "1"]
    regression = make_session(dataset={"inputs": [[0.0], [1.0]], "targets": [0.0, 1.0]}, layers=[1, 1])
    response = presenting.prediction(np.array([[3.5]]), regression.dataset)
    assert response.outputs == [[3.5]] and response.classes is None and response.predicted is None
