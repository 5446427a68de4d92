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


def course_script(relpath: str):
    """Import a course script by its path in the repository (``demo/<a>/...``): course code
    lives outside the framework package, so tests load it from its file."""
    import importlib.util

    path = REPO_ROOT / relpath
    name = "course_script_" + path.stem
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module

# Course fixtures hold hidden suites of their own (tests/fixtures/*/grading_tests/): they are
# graded by the framework inside those courses, never collected as the framework's tests.
collect_ignore_glob = ["fixtures/*"]
