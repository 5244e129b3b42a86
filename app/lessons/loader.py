"""Load the lessons: every lessons/*.yaml shipped with the app, then a teacher's directory, each checked as far
as it can be without a learner — the YAML, the fields, every condition, every setup and `configure` built as a
session, every compute step's ask against the network in force at that step. A broken file becomes a
LessonProblem (file, line, what to fix) and is left out; the other lessons still load.

Lines come from PyYAML's marks: a pydantic error's location is followed through the composed YAML nodes to the
node it is about.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from app.config import Settings
from app.errors import AppError, InvalidInput
from app.lessons.models import (
    ACTIONS,
    LESSON_ID_PATTERN,
    STEP_KINDS,
    ComputeStep,
    ConfigureAction,
    DoStep,
    GoalStep,
    Lesson,
    SetupStep,
)
from app.schemas import SessionCreate
from app.sessions import Session
from engine.datasets import Table
from engine.lessons.by_hand import Ask, AskError, check_ask
from engine.lessons.conditions import ConditionError, Parsed, parse
from engine.lessons.quantities import VOCABULARY

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_DIR = ROOT / "lessons"  # shipped in the package beside static/ and templates/ (pyproject's package-data)
EXTENSIONS = (".yaml", ".yml")
MAX_FILE_BYTES = 1_000_000
MAX_PROBLEMS_PER_FILE = 5
ID_PATTERN = re.compile(LESSON_ID_PATTERN)


@dataclass(frozen=True)
class LessonProblem:
    """Why a lesson file was left out: the file, the 1-based line when known, and what to fix."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}{f':{self.line}' if self.line else ''}: {self.message}"


@dataclass
class LessonCatalog:
    """The lessons that loaded, in catalogue order (shipped by file name, then the teacher's), and the problems."""

    lessons: dict[str, Lesson] = field(default_factory=dict)
    problems: list[LessonProblem] = field(default_factory=list)


def parse_condition(text: str) -> Parsed:
    """A condition checked against the session vocabulary (ConditionError says where and what is wrong)."""
    return parse(text, VOCABULARY)


def load_lessons(
    extra_dir: Path | None = None, settings: Settings | None = None, shipped_dir: Path = SHIPPED_DIR
) -> LessonCatalog:
    """Every lesson of `shipped_dir` and of `extra_dir` (BACKPROP_VIZ_LESSONS_DIR); a teacher's lesson may not
    take the id of one already loaded."""
    settings = settings or Settings()
    catalog = LessonCatalog()
    for directory in (shipped_dir, extra_dir):
        if directory is None:
            continue
        if not directory.is_dir():
            catalog.problems.append(
                LessonProblem(str(directory), None, "this lessons directory does not exist or is not a directory")
            )
            continue
        for path in _lesson_files(directory):
            lesson, problems = load_lesson_file(path, settings)
            if lesson is not None and lesson.id in catalog.lessons:
                problems = [
                    LessonProblem(
                        str(path), None, f"a lesson with the id '{lesson.id}' is already loaded; rename this file"
                    )
                ]
            catalog.problems.extend(problems)
            if lesson is not None and not problems:
                catalog.lessons[lesson.id] = lesson
    return catalog


def _lesson_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix in EXTENSIONS and p.is_file())


def load_lesson_file(path: Path, settings: Settings | None = None) -> tuple[Lesson | None, list[LessonProblem]]:
    """One lesson file, validated and checked; (None, problems) when it is broken."""
    settings = settings or Settings()
    name = str(path)

    def problem(line: int | None, message: str) -> tuple[None, list[LessonProblem]]:
        return None, [LessonProblem(name, line, message)]

    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return problem(None, f"the file is larger than {MAX_FILE_BYTES:,} bytes; a lesson is text, keep it short")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return problem(None, f"cannot read the file ({exc}); save it as UTF-8 text")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        document = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(part for part in (exc.context, exc.problem) if part)
        return problem(
            mark.line + 1 if mark else None,
            f"this is not valid YAML ({what}); check the indentation and quote text that holds ': ' or '#'",
        )
    except yaml.YAMLError as exc:
        return problem(None, f"this is not valid YAML ({exc})")
    if not isinstance(document, dict) or root is None:
        return problem(1, "a lesson file is a YAML mapping: title, summary, level, minutes and steps")
    duplicate = _first_duplicate_key(root)
    if duplicate is not None:
        key, line = duplicate
        return problem(line, f"the key '{key}' appears twice in the same mapping; keep one")
    if not ID_PATTERN.fullmatch(path.stem):
        return problem(None, f"the file name '{path.stem}' cannot be a lesson id: use letters, digits, - _ and .")
    if "id" in document:
        return problem(
            _line(root, ("id",)), f"remove 'id': a lesson's id is its file name ('{path.stem}' for this file)"
        )
    try:
        lesson = Lesson.model_validate({**document, "id": path.stem})
    except ValidationError as exc:
        return None, _validation_problems(name, root, exc)
    problems = _check(lesson, root, name, settings)
    return (None, problems) if problems else (lesson, [])


# --------------------------------------------------------------------------------------------------------
# Checks beyond the fields: conditions, setups, asks
# --------------------------------------------------------------------------------------------------------
def _no_uploads(dataset_id: str) -> Table:
    raise InvalidInput(
        f"a lesson cannot use an uploaded data set ({dataset_id!r}): uploads belong to one server; use a builtin "
        "data set or give the data inline (dataset: {inputs: [...], targets: [...]})",
        field="dataset",
    )


def _check(lesson: Lesson, root: yaml.Node, name: str, settings: Settings) -> list[LessonProblem]:
    """Every condition parses, every setup and configure builds, every ask fits the network in force (the last
    setup, or the last configure of an earlier step's solution, as the scripted solutions play the lesson)."""
    problems: list[LessonProblem] = []
    session: Session | None = None

    def add(loc: Sequence[str | int], message: str) -> None:
        problems.append(LessonProblem(name, _line(root, loc), f"{_path(loc)}: {message}"))

    def build(config: SessionCreate, loc: tuple[str | int, ...]) -> Session | None:
        try:
            built = Session.create(config, settings, _no_uploads)
        except AppError as exc:
            field_loc = tuple(exc.field.split(".")) if exc.field else ()
            add((*loc, *field_loc), f"the engine refuses this session: {exc.message}")
            return None
        n_train = built.trainer.X_train.shape[0]
        if lesson.sample >= n_train:
            add(
                ("sample",),
                f"is {lesson.sample}, but the session of {_path(loc)} has {n_train} training sample(s), "
                f"numbered 0 to {n_train - 1}; pick one of them",
            )
        return built

    for index, step in enumerate(lesson.steps):
        here: tuple[str | int, ...] = ("steps", index)
        if isinstance(step, SetupStep):
            session = build(step.session, (*here, "session"))
        elif isinstance(step, ComputeStep):
            if session is not None:
                ask = Ask(step.ask.quantity, step.ask.layer, step.ask.row, step.ask.col, step.ask.form)
                try:
                    check_ask(ask, session.network)
                except AskError as exc:
                    add((*here, "ask"), f"{exc} (the network in force here has layers {session.network.sizes})")
        elif isinstance(step, DoStep | GoalStep):
            try:
                parse_condition(step.condition)
            except ConditionError as exc:
                add((*here, "condition"), str(exc))
            for number, action in enumerate(step.solution):
                if isinstance(action, ConfigureAction):
                    session = build(action.configure, (*here, "solution", number, "configure"))
        if len(problems) >= MAX_PROBLEMS_PER_FILE:
            break
    return problems


# --------------------------------------------------------------------------------------------------------
# Pydantic errors → lines and messages
# --------------------------------------------------------------------------------------------------------
_FIXES = {
    "missing": "add this field (it is required)",
    "extra_forbidden": "this field is not known here; remove it or correct its spelling",
}


def _validation_problems(name: str, root: yaml.Node, exc: ValidationError) -> list[LessonProblem]:
    """One problem per place, at most MAX_PROBLEMS_PER_FILE. A union (init, dataset) reports each member's error
    at the same place; the one that is not "unknown field" is the member the author meant."""
    chosen: dict[tuple[str | int, ...], dict] = {}
    for error in exc.errors(include_url=False):
        loc = _yaml_loc(root, error["loc"])
        if loc not in chosen or chosen[loc]["type"] == "extra_forbidden":
            chosen[loc] = error
    problems = []
    for loc, error in list(chosen.items())[:MAX_PROBLEMS_PER_FILE]:
        message = _FIXES.get(error["type"]) or str(error["msg"]).removeprefix("Value error, ")
        problems.append(LessonProblem(name, _line(root, loc), f"{_path(loc) or 'the lesson'}: {message}"))
    return sorted(problems, key=lambda problem: problem.line or 0)


def _yaml_loc(root: yaml.Node, loc: Iterable[str | int]) -> tuple[str | int, ...]:
    """A pydantic location with its union tags left out (the step kind, the action, a model's class name): the
    keys and indexes that exist in the YAML, then the missing key if the error is about one."""
    items = list(loc)
    node: yaml.Node | None = root
    path: list[str | int] = []
    for i, item in enumerate(items):
        child = _child(node, item) if node is not None else None
        if child is not None:
            path.append(item)
            node = child
            continue
        if node is None:
            path.append(item)
            continue
        later = items[i + 1 :]
        if any(_child(node, other) is not None for other in later) or _is_tag(item):
            continue  # a union tag: the next items go on from the same node
        path.append(item)
        node = None
    return tuple(path)


def _is_tag(item: str | int) -> bool:
    if not isinstance(item, str):
        return False
    return item in STEP_KINDS or item in ACTIONS or item[:1].isupper() or "[" in item or item in ("int", "float")


def _child(node: yaml.Node, item: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(item):
                return value
    elif isinstance(node, yaml.SequenceNode) and isinstance(item, int) and 0 <= item < len(node.value):
        return node.value[item]
    return None


def _line(root: yaml.Node, loc: Sequence[str | int]) -> int:
    """The 1-based line of the deepest node of `loc` that the YAML has."""
    node = root
    for item in loc:
        child = _child(node, item)
        if child is None:
            break
        node = child
    return node.start_mark.line + 1


def _path(loc: Sequence[str | int]) -> str:
    """steps[3].ask.layer"""
    text = ""
    for item in loc:
        text += f"[{item}]" if isinstance(item, int) else (f".{item}" if text else str(item))
    return text


def _first_duplicate_key(node: yaml.Node) -> tuple[str, int] | None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    return key.value, key.start_mark.line + 1
                seen.add(key.value)
            found = _first_duplicate_key(value)
            if found is not None:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found = _first_duplicate_key(item)
            if found is not None:
                return found
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m app.lessons.loader [DIR]`: check the shipped lessons and a directory of one's own; the exit
    status is 1 when a file has a problem."""
    args = list(sys.argv[1:] if argv is None else argv)
    catalog = load_lessons(Path(args[0]) if args else None)
    for lesson_id, lesson in catalog.lessons.items():
        print(f"ok  {lesson_id}: {lesson.title} ({len(lesson.steps)} steps)")
    for problem in catalog.problems:
        print(f"!!  {problem}")
    return 1 if catalog.problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
