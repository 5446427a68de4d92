"""The course configuration: ``nbgrader_config.py`` read with traitlets.

The grader's limits are traitlets traits (``c.Sandbox.memory_limit_mb = 4096``)
set in the same file as every other nbgrader option; CLI flags override them.
"""
from __future__ import annotations

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


def with_overrides(config: Config, section: str, **values) -> Config:
    """A copy of ``config`` with ``section.key = value`` for every value that is not None."""
    merged = Config(config)
    for key, value in values.items():
        if value is not None:
            merged[section][key] = value
    return merged
