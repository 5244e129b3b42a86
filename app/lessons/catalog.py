"""The app's lessons: loaded at start-up (shipped and BACKPROP_VIZ_LESSONS_DIR), looked up by id, and the
problems of the files that did not load (logged, and listed by GET /api/health).

Loading checks every setup by building it, which takes a tenth of a second; a process that builds many apps
(the tests) loads the same files under the same limits once (`load` caches by the files' names, sizes and
modification times and the limits a setup is checked against).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from app import schemas
from app.config import Settings
from app.errors import NotFound
from app.lessons.loader import EXTENSIONS, SHIPPED_DIR, LessonCatalog, load_lessons
from app.lessons.models import Lesson
from app.lessons.views import info

log = logging.getLogger(__name__)

# The settings a setup is checked against when a lesson loads (the other settings do not change what loads).
CHECKED_LIMITS = ("max_layers", "max_layer_width", "max_parameters", "max_builtin_samples")

_cache: dict[tuple, LessonCatalog] = {}
_cache_lock = threading.Lock()


@dataclass
class Lessons:
    """The lessons one app serves (`app.state.lessons`), in catalogue order, and the files that did not load."""

    catalog: LessonCatalog

    @property
    def by_id(self) -> dict[str, Lesson]:
        return self.catalog.lessons

    def get(self, lesson_id: str, field: str = "lesson_id") -> Lesson:
        """The lesson with that id, or 404 naming the catalogue."""
        lesson = self.catalog.lessons.get(lesson_id)
        if lesson is None:
            known = ", ".join(self.catalog.lessons) or "none"
            raise NotFound(
                f"there is no lesson {lesson_id!r}; the catalogue (GET /api/lessons) has: {known}", field=field
            )
        return lesson

    def infos(self) -> list[schemas.LessonInfo]:
        return [info(lesson) for lesson in self.catalog.lessons.values()]

    def health(self) -> schemas.LessonsHealth:
        """How many loaded, and each problem with the file's name (not its path: health needs no token)."""
        return schemas.LessonsHealth(
            loaded=len(self.catalog.lessons),
            problems=[
                schemas.LessonProblemOut(file=Path(p.file).name, line=p.line, message=p.message)
                for p in self.catalog.problems
            ],
        )


def load(settings: Settings) -> Lessons:
    """The shipped lessons and the teacher's (settings.lessons_dir); every problem is logged with its file, line
    and what to fix. A broken file is left out; the app starts whatever the files hold."""
    key = _key(settings)
    with _cache_lock:
        catalog = _cache.get(key)
    if catalog is None:
        try:
            catalog = load_lessons(settings.lessons_dir, settings)
        except Exception:  # never keep the app from starting: report, and serve no lessons
            log.exception("loading the lessons failed")
            catalog = LessonCatalog()
        with _cache_lock:
            _cache[key] = catalog
    for problem in catalog.problems:
        log.error("lesson not loaded: %s", problem)
    if settings.lessons_dir is not None:
        log.info("lessons: %d loaded (shipped and %s)", len(catalog.lessons), settings.lessons_dir)
    return Lessons(catalog)


def _key(settings: Settings) -> tuple:
    files = []
    for directory in (SHIPPED_DIR, settings.lessons_dir):
        if directory is None:
            continue
        try:
            entries = sorted(p for p in Path(directory).iterdir() if p.suffix in EXTENSIONS)
            files.append(tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in entries))
        except OSError:
            files.append((str(directory), None))
    limits = tuple(getattr(settings, name) for name in CHECKED_LIMITS)
    return (str(settings.lessons_dir), tuple(files), limits)
