"""Where the course lives on disk.

The course root is the directory holding ``nbgrader_config.py``, ``solutions/``,
``source/``, ``release/`` and ``grading_tests/``. It defaults to the repository
this package was installed from and can be overridden with ``$AUTOGRADER_COURSE_ROOT``.
"""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def course_root() -> Path:
    """The course directory (env ``AUTOGRADER_COURSE_ROOT`` or the repo checkout)."""
    env = os.environ.get("AUTOGRADER_COURSE_ROOT")
    return Path(env).resolve() if env else PACKAGE_DIR.parent


def is_within(path: str | os.PathLike, parent: str | os.PathLike) -> bool:
    """Whether ``path`` is ``parent`` or below it, after resolving symbolic links."""
    path, parent = Path(path).resolve(), Path(parent).resolve()
    return path == parent or parent in path.parents


def solutions_dir(assignment: str, root: Path | None = None) -> Path:
    """``solutions/<assignment>/``: the reference package ``cs231n`` lives inside."""
    return (root or course_root()) / "solutions" / assignment


def source_dir(assignment: str, root: Path | None = None) -> Path:
    return (root or course_root()) / "source" / assignment


def release_dir(assignment: str, root: Path | None = None) -> Path:
    return (root or course_root()) / "release" / assignment


def grading_tests_dir(assignment: str, root: Path | None = None) -> Path:
    return (root or course_root()) / "grading_tests" / assignment
