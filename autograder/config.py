"""The course configuration: ``nbgrader_config.py`` read with traitlets.

The grader's limits are traitlets traits (``c.Sandbox.memory_limit_mb = 4096``)
set in the same file as every other nbgrader option; CLI flags override them.
Every default lives in its trait (``Sandbox``, ``GradeAll``, ``HiddenSuiteGrades``,
and nbgrader's own ``CourseDirectory``: ``db_url``, ``course_id``,
``release_directory``...): read a value through the configurable
(:func:`course_directory`, ``Sandbox(config=...)``), never with a default of
one's own.
"""
from __future__ import annotations

import copy
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from autograder.paths import course_root


def load_course_config(root: Path | None = None) -> Config:
    """The Config of ``<course root>/nbgrader_config.py`` (empty if there is none)."""
    path = Path(root or course_root()) / "nbgrader_config.py"
    if not path.is_file():
        return Config()
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


def course_config(root: Path | str | None = None, config: Config | None = None) -> Config:
    """A copy of ``config`` (default: the course's ``nbgrader_config.py``) with
    ``CourseDirectory.root`` pinned to the course at ``root``, wherever the process runs."""
    root = Path(root or course_root()).resolve()
    config = copy.deepcopy(config) if config is not None else load_course_config(root)
    config.CourseDirectory.root = str(root)
    return config


def course_directory(root: Path | str | None = None, config: Config | None = None):
    """nbgrader's ``CourseDirectory`` of the course at ``root`` (see :func:`course_config`):
    ``db_url``, ``course_id``, ``release_directory``... as the course sets them, else
    nbgrader's own defaults (``db_url``: ``sqlite:///<root>/gradebook.db``)."""
    from nbgrader.coursedir import CourseDirectory

    return CourseDirectory(config=course_config(root, config))


def with_overrides(config: Config, section: str, **values) -> Config:
    """A copy of ``config`` with ``section.key = value`` for every value that is not None."""
    merged = copy.deepcopy(config)
    for key, value in values.items():
        if value is not None:
            merged[section][key] = value
    return merged
