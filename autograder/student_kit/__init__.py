"""Files of the framework that ship to students inside the released package.

``check_runner.py`` runs a course's public checks (the package's ``checks.py``)
in a child process and prints one row a graded part; it is standard-library only
and knows no course (its package is the folder it sits in). The stub stage adds
it to every released package that has a ``checks.py`` (:func:`add_student_kit`),
so ``python -m <package>.checks`` works without this framework installed.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

KIT_DIR = Path(__file__).resolve().parent
CHECK_RUNNER = "check_runner.py"
CHECKS = "checks.py"


def add_student_kit(units: list) -> list:
    """``units`` (:class:`autograder.stub.Unit`) with the check runner added to each package
    that has public checks; a package's own ``check_runner.py`` is replaced by the framework's."""
    runner = (KIT_DIR / CHECK_RUNNER).read_bytes()
    out = []
    for unit in units:
        if unit.is_package and CHECKS in unit.files:
            unit = replace(unit, files={**unit.files, CHECK_RUNNER: runner})
        out.append(unit)
    return out
