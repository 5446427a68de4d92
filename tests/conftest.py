"""Shared fixtures for the framework's own tests.

The reference package is importable as ``cs231n`` (solutions/assignment2 on
sys.path): these tests check the instructor's code, never a student's.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from autograder.paths import course_root, solutions_dir

REPO_ROOT = course_root()
ASSIGNMENT = "assignment2"
REFERENCE_DIR = solutions_dir(ASSIGNMENT)

if str(REFERENCE_DIR) not in sys.path:
    sys.path.insert(0, str(REFERENCE_DIR))


@pytest.fixture
def world_dir():
    """A folder every uid can enter, for tests where the sandbox's unprivileged worker uid
    must reach files (pytest's tmp_path is root-only, which would hide everything)."""
    d = Path(tempfile.mkdtemp(prefix="autograder-world-test-"))
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module", autouse=True)
def _own_reference_package():
    """Put back, after each test file, the ``cs231n`` this process had and its ``sys.path``.

    Grading in-process imports the graded course's reference (``pytest_plugin.import_reference``
    replaces ``sys.modules["cs231n"]``, e.g. with a scratch course's copy); a later file sharing
    the xdist worker must still see the repository's own reference.
    """
    saved = {n: m for n, m in sys.modules.items() if n == "cs231n" or n.startswith("cs231n.")}
    path = list(sys.path)
    yield
    for n in [n for n in sys.modules if n == "cs231n" or n.startswith("cs231n.")]:
        del sys.modules[n]
    sys.modules.update(saved)
    sys.path[:] = path


# Course fixtures hold hidden suites of their own (tests/fixtures/*/grading_tests/): they are
# graded by the framework inside those courses, never collected as the framework's tests.
collect_ignore_glob = ["fixtures/*"]


# The longest test files run first, so that with pytest-xdist (`make test`: a file per worker
# at a time) no worker is left with one of them at the end while the others idle.
SLOW_FIRST = ("test_mutants.py", "test_nbgrader_autograde.py", "test_mutants_assignment1.py",
              "test_demo.py", "test_grade_all.py", "test_nonroot.py", "test_ci.py",
              "test_source_notebooks.py", "test_release.py", "test_parallel_grading.py",
              "test_nbgrader_holes.py", "test_source_notebooks_assignment1.py",
              "test_gradescope_bundle.py", "test_jupyterlab_browser.py", "test_hidden_suites.py")


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(SLOW_FIRST)))  # stable: order kept within
