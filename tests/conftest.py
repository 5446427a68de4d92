"""Shared fixtures for the framework's own tests.

The reference package is importable as ``cs231n`` (solutions/assignment2 on
sys.path): these tests check the instructor's code, never a student's.
"""
from __future__ import annotations

import sys

from autograder.paths import course_root, solutions_dir

REPO_ROOT = course_root()
ASSIGNMENT = "assignment2"
REFERENCE_DIR = solutions_dir(ASSIGNMENT)

if str(REFERENCE_DIR) not in sys.path:
    sys.path.insert(0, str(REFERENCE_DIR))
