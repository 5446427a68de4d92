"""``autograder check``: a student runs the *public* checks of their own work.

The checks and the program that runs them ship with the assignment itself:
``cs231n/checks.py`` (one public check a graded part) and
``cs231n/check_runner.py`` (runs them in a child process and prints one row a
part). A student without this course repository runs ``python -m
cs231n.checks`` in their folder; this command runs the very same
``check_runner.py`` of the student's folder, so both print the same table and
exit with the same codes. It imports nothing else from :mod:`autograder` (no
course root, no ``grading_tests/``, no ``solutions/``, no gradebook).

``check_runner.py`` is started as a file with ``python -I``: isolated mode puts
neither the script's folder (``cs231n/``, whose modules could shadow the
standard library) nor ``PYTHONPATH`` or the user's site-packages on
``sys.path`` of the process that prints the report; the runner starts the
process that imports the student's code itself.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PACKAGE = "cs231n"
RUNNER = "check_runner.py"


class CheckError(Exception):
    """The checks could not start (no assignment folder at PATH, a release without the runner)."""


def find_student_folder(path: str | os.PathLike = ".") -> Path:
    """The folder holding the student's ``cs231n/checks.py``.

    Accepts the release folder itself (``release/assignment2`` or the student's
    copy of it), the ``cs231n/`` folder, or a file inside either (a notebook).
    """
    p = Path(path).expanduser().resolve()
    if p.is_file():
        p = p.parent
    candidates = [p.parent, p] if p.name == PACKAGE else [p]
    for folder in candidates:
        if (folder / PACKAGE / "checks.py").is_file():
            if not (folder / PACKAGE / RUNNER).is_file():
                raise CheckError(f"{folder / PACKAGE} has checks.py but no {RUNNER}: "
                                 "this release is older than the check runner; get the current one")
            return folder
    raise CheckError(
        f"no {PACKAGE}/checks.py in {p}: run this in your assignment folder "
        f"(the one holding the notebooks and {PACKAGE}/), or pass that folder as PATH")


def runner_command(folder: Path, args: list[str], python: str | None = None) -> list[str]:
    """The command that runs the public checks of ``folder`` (``args``: the runner's options)."""
    return [python or sys.executable, "-I", str(folder / PACKAGE / RUNNER), *args, str(folder)]


def run_checks(path: str | os.PathLike, args: list[str], python: str | None = None) -> int:
    """Run the student's check runner on ``path``; its table goes straight to this stdout.

    Returns the runner's exit code: 0 the checks ran, 1 ``--strict`` and not all
    passed, 2 they could not run.
    """
    folder = find_student_folder(path)
    try:
        return subprocess.run(runner_command(folder, args, python), cwd=folder,
                              stdin=subprocess.DEVNULL).returncode
    except KeyboardInterrupt:
        return 130
