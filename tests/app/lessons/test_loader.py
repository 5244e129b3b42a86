"""Loading lessons: the shipped ones and a teacher's directory; a broken file is reported with its file, line and
what to fix, and the other lessons still load."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import Settings
from app.lessons.loader import SHIPPED_DIR, LessonProblem, load_lesson_file, load_lessons, main
from app.lessons.models import ComputeStep, SetupStep

SETTINGS = Settings(persist=False)

GOOD = """\
title: A good lesson
summary: It loads.
level: core
minutes: 3
steps:
  - kind: setup
    title: The set-up
    text: A 2-2-1 network on xor.
    session: {layers: [2, 2, 1], dataset: {builtin: xor, samples: 20}}
  - kind: goal
    title: Learn
    text: Train.
    condition: train_accuracy >= 0.9
    solution: [{train: {passes: 100}}]
"""


def _only(problems: list[LessonProblem]) -> LessonProblem:
    assert len(problems) == 1, problems
    return problems[0]


def test_the_shipped_lessons_load_in_file_name_order() -> None:
    catalog = load_lessons(settings=SETTINGS)
    assert catalog.problems == []
    assert list(catalog.lessons) == sorted(path.stem for path in SHIPPED_DIR.glob("*.yaml"))
    assert next(iter(catalog.lessons)) == "01-seed-by-hand"


def test_a_teachers_lessons_are_added_after_the_shipped_ones(write_lesson) -> None:
    path = write_lesson("my-lesson.yaml", GOOD)
    catalog = load_lessons(path.parent, SETTINGS)
    assert catalog.problems == []
    assert list(catalog.lessons)[-1] == "my-lesson"
    assert catalog.lessons["my-lesson"].title == "A good lesson"


def test_the_docs_example_loads(docs_example: str, write_lesson) -> None:
    lesson, problems = load_lesson_file(write_lesson("one-neuron.yaml", docs_example), SETTINGS)
    assert problems == []
    assert lesson is not None and lesson.id == "one-neuron"
    assert [step.kind for step in lesson.steps] == ["read", "setup", "compute", "compute", "do", "goal"]


def test_a_broken_file_is_reported_and_the_others_still_load(write_lesson) -> None:
    write_lesson("a-good.yaml", GOOD)
    broken = write_lesson(
        "b-broken.yaml",
        GOOD.replace("condition: train_accuracy >= 0.9", "condition: train_acuracy >= 0.9"),
    )
    catalog = load_lessons(broken.parent, SETTINGS)
    assert "a-good" in catalog.lessons and "b-broken" not in catalog.lessons
    assert "01-seed-by-hand" in catalog.lessons
    problem = _only(catalog.problems)
    assert problem.file == str(broken)
    assert problem.line == 13
    assert problem.message.startswith(
        "steps[1].condition: in 'train_acuracy >= 0.9' at column 1: unknown quantity 'train_acuracy'; "
        "the known ones are L, activation,"
    )
    assert str(problem).startswith(f"{broken}:13: steps[1].condition: ")


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("level: core", "level: expert", 3, "level: Input should be 'intro', 'core' or 'advanced'"),
        ("minutes: 3", "minutes: 3\ncolour: red", 5, "colour: this field is not known here; remove it or correct"),
        ("  - kind: goal", "  - kind: gaol", 10, "steps[1]: Input tag 'gaol' found using 'kind' does not match"),
        ("    title: Learn\n", "", 10, "steps[1].title: add this field (it is required)"),
        ("{train: {passes: 100}}", "{trian: {passes: 100}}", 14, "steps[1].solution[0]: an action is a mapping"),
        ("{train: {passes: 100}}", "{train: {passes: 0}}", 14, "steps[1].solution[0].train.passes: Input should be"),
        (
            "layers: [2, 2, 1], ",
            "layers: [2, 0, 1], ",
            9,
            "steps[0].session.layers[1]: Input should be greater than or equal to 1",
        ),
        (
            "layers: [2, 2, 1], ",
            "layers: [3, 2, 1], ",
            9,
            "steps[0].session.layers: the engine refuses this session: the data set has 2 features but layers[0] is 3",
        ),
        (
            "session: {",
            "session: {activations: [softmax, sigmoid], ",
            9,
            "steps[0].session: the engine refuses this session: softmax is for the output layer only",
        ),
        (
            "{builtin: xor, samples: 20}",
            "{id: an-upload}",
            9,
            "steps[0].session.dataset: the engine refuses this session: a lesson cannot use an uploaded data set",
        ),
        ("title: A good lesson", "title: A good lesson\nid: other", 2, "remove 'id': a lesson's id is its file name"),
        ("summary: It loads.", "summary: It loads.\ntitle: Twice", 3, "the key 'title' appears twice"),
        ("  - kind: setup", "  - kind: read", 1, "the lesson: steps[1] is a goal step, but no setup step"),
    ],
)
def test_a_broken_field_is_reported_with_its_line_and_what_to_fix(
    write_lesson, old: str, new: str, line: int, message: str
) -> None:
    assert old in GOOD
    text = GOOD.replace(old, new)
    if old == "  - kind: setup":  # a read step has no session
        text = text.replace("    session: {layers: [2, 2, 1], dataset: {builtin: xor, samples: 20}}\n", "")
    lesson, problems = load_lesson_file(write_lesson("lesson.yaml", text), SETTINGS)
    assert lesson is None
    problem = problems[0]
    assert problem.message.startswith(message), problem.message
    assert problem.line == line, problem


def test_bad_yaml_is_reported_at_its_line(write_lesson) -> None:
    lesson, problems = load_lesson_file(
        write_lesson("lesson.yaml", GOOD.replace("    text: Train.", "   text: Train.")), SETTINGS
    )
    problem = _only(problems)
    assert lesson is None
    assert problem.line == 12
    assert problem.message.startswith("this is not valid YAML (")
    assert "check the indentation" in problem.message


def test_a_file_that_is_not_a_mapping_is_reported(write_lesson) -> None:
    assert _only(load_lesson_file(write_lesson("lesson.yaml", "- just\n- a list\n"), SETTINGS)[1]).message.startswith(
        "a lesson file is a YAML mapping"
    )


def test_a_file_name_that_cannot_be_an_id_is_reported(write_lesson) -> None:
    problem = _only(load_lesson_file(write_lesson("my lesson.yaml", GOOD), SETTINGS)[1])
    assert problem.message == "the file name 'my lesson' cannot be a lesson id: use letters, digits, - _ and ."


def test_an_ask_that_does_not_fit_the_network_in_force_is_reported(write_lesson) -> None:
    text = GOOD.replace(
        "  - kind: goal",
        "  - kind: compute\n    title: A weight\n    text: Compute it.\n"
        "    ask: {quantity: grad_W, layer: 2, row: 1, col: 3}\n  - kind: goal",
    )
    problem = _only(load_lesson_file(write_lesson("lesson.yaml", text), SETTINGS)[1])
    assert problem.line == 13
    assert problem.message == (
        "steps[1].ask: col is 3, but layer 2's neurons have inputs 1 to 2 (the network in force here has layers "
        "[2, 2, 1])"
    )


def test_a_configure_action_sets_the_network_later_asks_are_checked_against(write_lesson) -> None:
    configure = "[{configure: {layers: [2, 3, 1], dataset: {builtin: xor, samples: 20}}}]"
    text = GOOD.replace("[{train: {passes: 100}}]", configure) + (
        "  - kind: compute\n    title: A neuron\n    text: Compute it.\n    ask: {quantity: z, layer: 1, row: 3}\n"
    )
    lesson, problems = load_lesson_file(write_lesson("lesson.yaml", text), SETTINGS)
    assert problems == [] and lesson is not None
    assert isinstance(lesson.steps[-1], ComputeStep)


def test_the_sample_must_exist_in_every_setup(write_lesson) -> None:
    problem = _only(load_lesson_file(write_lesson("lesson.yaml", "sample: 20\n" + GOOD), SETTINGS)[1])
    assert problem.line == 1
    assert problem.message == (
        "sample: is 20, but the session of steps[0].session has 16 training sample(s), numbered 0 to 15; "
        "pick one of them"
    )


def test_a_lesson_may_not_take_a_shipped_lessons_id(write_lesson) -> None:
    path = write_lesson("01-seed-by-hand.yaml", GOOD)
    catalog = load_lessons(path.parent, SETTINGS)
    assert catalog.lessons["01-seed-by-hand"].title == "The seed's example by hand"
    assert (
        _only(catalog.problems).message == "a lesson with the id '01-seed-by-hand' is already loaded; rename this file"
    )


def test_a_missing_directory_is_reported(tmp_path: Path) -> None:
    catalog = load_lessons(tmp_path / "nowhere", SETTINGS)
    assert "01-seed-by-hand" in catalog.lessons
    assert _only(catalog.problems).message == "this lessons directory does not exist or is not a directory"


def test_a_file_loads_with_its_setup_as_a_session_create(write_lesson) -> None:
    lesson, _ = load_lesson_file(write_lesson("lesson.yaml", GOOD), SETTINGS)
    assert lesson is not None
    setup = lesson.first_setup
    assert isinstance(setup, SetupStep) and setup.session.layers == [2, 2, 1]


def test_the_command_line_check_lists_lessons_and_problems(write_lesson, capsys) -> None:
    path = write_lesson("broken.yaml", GOOD.replace("level: core", "level: expert"))
    assert main([str(path.parent)]) == 1
    out = capsys.readouterr().out
    assert "ok  01-seed-by-hand: The seed's example by hand" in out
    assert f"!!  {path}:3: level: Input should be" in out
    assert main([]) == 0
