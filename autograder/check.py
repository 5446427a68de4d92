"""``autograder check``: a student runs the *public* checks of their own work.

The checks and the program that runs them ship with the assignment itself:
``<package>/checks.py`` (the course's public checks, one a graded part) and
``<package>/check_runner.py`` (this framework's :mod:`autograder.student_kit`,
copied in by the release: runs them in a child process and prints one row a
part). A student without this course repository runs ``python -m
<package>.checks`` in their folder; this command runs the very same
``check_runner.py`` of the student's folder, so both print the same table and
exit with the same codes. It imports nothing else from :mod:`autograder` (no
course root, no ``grading_tests/``, no ``solutions/``, no gradebook).

``check_runner.py`` is started as a file with ``python -I``: isolated mode puts
neither the script's folder (the package, whose modules could shadow the
standard library) nor ``PYTHONPATH`` or the user's site-packages on
``sys.path`` of the process that prints the report; the runner starts the
process that imports the student's code itself.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

RUNNER = "check_runner.py"
CHECKS = "checks.py"


class CheckError(Exception):
    """The checks could not start (no assignment folder at PATH, a release without the runner)."""


def _packages_with_checks(folder: Path) -> list[Path]:
    """The packages directly inside ``folder`` that ship public checks (``<pkg>/checks.py``)."""
    if not folder.is_dir():
        return []
    return sorted(d for d in folder.iterdir()
                  if (d / CHECKS).is_file() and (d / "__init__.py").is_file())


def find_student_package(path: str | os.PathLike = ".") -> Path:
    """The student's package (``<folder>/<pkg>/``, holding ``checks.py``) at ``path``.

    Accepts the assignment folder itself (a release folder or the student's copy
    of it), the package folder, or a file inside either (a notebook).
    """
    p = Path(path).expanduser().resolve()
    if p.is_file():
        p = p.parent
    for folder in (p.parent, p) if (p / CHECKS).is_file() else (p,):
        found = _packages_with_checks(folder)
        if len(found) > 1:
            raise CheckError(f"{folder} holds several packages with public checks "
                             f"({', '.join(d.name for d in found)}); pass the package folder as PATH")
        if found:
            if not (found[0] / RUNNER).is_file():
                raise CheckError(f"{found[0]} has {CHECKS} but no {RUNNER}: "
                                 "this release is older than the check runner; get the current one")
            return found[0]
    raise CheckError(
        f"no <package>/{CHECKS} in {p}: run this in your assignment folder "
        f"(the one holding the notebooks and your package), or pass that folder as PATH")


def runner_command(package_dir: Path, args: list[str], python: str | None = None) -> list[str]:
    """The command that runs the public checks of ``package_dir`` (``args``: the runner's options)."""
    return [python or sys.executable, "-I", str(package_dir / RUNNER), *args, str(package_dir.parent)]


def run_checks(path: str | os.PathLike, args: list[str], python: str | None = None) -> int:
    """Run the student's check runner on ``path``; its table goes straight to this stdout.

    Returns the runner's exit code: 0 the checks ran, 1 ``--strict`` and not all
    passed, 2 they could not run.
    """
    package_dir = find_student_package(path)
    try:
        return subprocess.run(runner_command(package_dir, args, python), cwd=package_dir.parent,
                              stdin=subprocess.DEVNULL).returncode
    except KeyboardInterrupt:
        return 130
