"""Stage 2 of the pipeline: generate ``release/<a>/`` and prove it clean.

* nbgrader's ``GenerateAssignment`` makes the student notebooks from
  ``source/<a>/`` (clears solutions and outputs, locks cells, records the
  assignment in the gradebook).
* :func:`post_convert_hook`, wired in ``nbgrader_config.py`` as
  ``c.GenerateAssignment.post_convert_hook``, then writes the student version
  of ``solutions/<a>/`` (every package, ``cs231n/``, and every top-level
  module, stubbed) into ``release/<a>/``, so a plain ``nbgrader
  generate_assignment <a>`` produces the whole release.
* nbgrader only logs a failing hook (at INFO level, exit code 0), so
  :func:`release` (``autograder release <a>``) checks the package is there and
  byte-identical to the stub stage's output, writes it itself when it is not,
  and always ends with the leak check, which also finds a missing or stale
  package after a plain ``nbgrader generate_assignment``.

The package never comes from ``source/<a>/``: whatever nbgrader copied under
that name is replaced by the stub stage's output.
"""
from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import paths, stub
from .leakcheck import Finding, leak_check
from .stub import StubError, Unit, unit_differences, write_units


class ReleaseError(Exception):
    """The release could not be generated (the message says why)."""


def reference_packages(assignment: str, root: Path | None = None) -> list[Path]:
    """The packages of ``solutions/<a>/`` (directories holding ``__init__.py``)."""
    base = paths.solutions_dir(assignment, root)
    if not base.is_dir():
        raise ReleaseError(f"no reference solutions: {base} does not exist")
    found = sorted(p for p in base.iterdir() if p.is_dir() and (p / "__init__.py").is_file())
    if not found:
        raise ReleaseError(f"no package (a directory with __init__.py) in {base}")
    return found


def student_units(assignment: str, root: Path | None = None) -> list[Unit]:
    """The stub stage's output for ``solutions/<a>/``, in memory: every package
    and every top-level module (see :func:`autograder.stub.student_units`).

    Raises :class:`autograder.stub.StubError` (``path:line: message``) and
    :class:`ReleaseError` when ``solutions/<a>/`` has no package.
    """
    reference_packages(assignment, root)  # ReleaseError without a package
    return stub.student_units(paths.solutions_dir(assignment, root))


def student_packages(assignment: str, root: Path | None = None) -> dict[str, dict[str, bytes]]:
    """``{package name: {relpath: bytes}}``: the stubbed packages only (top-level
    modules are in :func:`student_units`)."""
    return {u.name: u.files for u in student_units(assignment, root) if u.is_package}


def write_student_packages(assignment: str, root: Path | None = None) -> list[Path]:
    """Stub every package and top-level module of ``solutions/<a>/`` into
    ``release/<a>/`` (replacing each package directory).

    Everything is stubbed before anything is written: an error leaves the
    release untouched.
    """
    return write_units(student_units(assignment, root), paths.release_dir(assignment, root))


def post_convert_hook(assignment: str, student: str | None = None, notebooks=None, **_kw) -> None:
    """nbgrader ``GenerateAssignment.post_convert_hook``: write the stubbed package.

    nbgrader calls it as ``hook(assignment=..., student=..., notebooks=...)``
    after converting the notebooks, with the working directory set to
    ``CourseDirectory.root``. nbgrader logs an exception raised here only at
    INFO level and still exits 0, so problems are also printed to stderr; the
    leak check (``autograder leak-check release/<a>``) is what fails.
    """
    root = Path.cwd()
    try:
        check_cell_ids(source_notebooks(assignment, root))
    except ReleaseError as exc:
        print(f"autograder: warning: {exc}", file=sys.stderr, flush=True)
    try:
        written = write_student_packages(assignment, root)
    except (StubError, ReleaseError) as exc:
        print(f"autograder: stub stage FAILED, release/{assignment}/ has no up-to-date package: "
              f"{exc}", file=sys.stderr, flush=True)
        raise
    logging.getLogger(__name__).info("stub stage wrote %d files into %s", len(written),
                                     paths.release_dir(assignment, root))


# --------------------------------------------------------------------------- nbgrader


def source_notebooks(assignment: str, root: Path | None = None) -> list[Path]:
    return sorted(paths.source_dir(assignment, root).glob("*.ipynb"))


def check_cell_ids(notebooks: list[Path]) -> None:
    """Raise :class:`ReleaseError` naming the first cell without an id (see
    :func:`autograder.leakcheck.cell_id_problems`, which the leak check runs too)."""
    from .leakcheck import cell_id_problems

    for nb_path in notebooks:
        problems = cell_id_problems(nb_path)
        if problems:
            raise ReleaseError(f"{nb_path}: {problems[0][1]}")


def _ensure_env_bin_on_path() -> None:
    """nbgrader's Gradebook runs the ``alembic`` executable via ``PATH``; when
    Python is started as ``.venv/bin/python`` without activating the venv,
    that directory is not on ``PATH``. Put the interpreter's own bin first."""
    bindir = os.path.dirname(sys.executable)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if bindir not in parts:
        os.environ["PATH"] = os.pathsep.join([bindir, *filter(None, parts)])


def run_generate_assignment(assignment: str, root: Path) -> dict:
    """``nbgrader generate_assignment <a> --force`` in-process.

    Returns nbgrader's result dict (``success``, ``log``, ``error``) plus
    ``seconds``. Uses the converter directly (what ``NbGraderAPI.generate_assignment``
    does) so no exchange directory is touched.
    """
    from nbgrader.converters import GenerateAssignment
    from nbgrader.utils import capture_log

    from .config import course_directory

    _ensure_env_bin_on_path()
    coursedir = course_directory(root)  # the course's nbgrader_config.py, root pinned
    coursedir.assignment_id = assignment
    app = GenerateAssignment(coursedir=coursedir, config=coursedir.config)
    app.force = True
    app.create_assignment = True
    old_level = app.log.level
    app.log.setLevel(logging.INFO)
    start = time.perf_counter()
    try:
        result = capture_log(app)
    finally:
        app.log.setLevel(old_level)
    result["seconds"] = time.perf_counter() - start
    return result


# --------------------------------------------------------------------------- release


@dataclass
class ReleaseResult:
    assignment: str
    release_dir: Path
    notebooks: int = 0
    nbgrader_seconds: float | None = None
    hook_wrote_packages: bool = False
    package_files: int = 0
    findings: list[Finding] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def release(assignment: str, root: Path | None = None, *, run_nbgrader: bool = True,
            echo=None) -> ReleaseResult:
    """Generate ``release/<a>/`` and leak-check it (see the module doc).

    Raises :class:`ReleaseError` when nbgrader fails and
    :class:`autograder.stub.StubError` when a reference module cannot be stubbed;
    leaks are returned as ``result.findings``.
    """
    root = Path(root or paths.course_root()).resolve()
    say = echo or (lambda msg: None)
    out = ReleaseResult(assignment, paths.release_dir(assignment, root))

    def note(msg: str) -> None:
        out.messages.append(msg)
        say(msg)

    units = student_units(assignment, root)  # StubError before nbgrader runs
    out.package_files = sum(len(u.files) for u in units)
    shown_units = ", ".join(u.name + ("/" if u.is_package else "") for u in units)
    src = paths.source_dir(assignment, root)
    for unit in units:
        if (src / unit.name).exists():
            note(f"warning: {src / unit.name} exists; nbgrader copies it, the stub stage replaces it "
                 f"(the package must only come from solutions/{assignment}/)")

    notebooks = source_notebooks(assignment, root)
    out.notebooks = len(notebooks)
    if run_nbgrader:
        check_cell_ids(notebooks)
    if run_nbgrader and notebooks:
        result = run_generate_assignment(assignment, root)
        out.nbgrader_seconds = result["seconds"]
        if not result.get("success"):
            raise ReleaseError("nbgrader generate_assignment failed:\n"
                               + (result.get("log") or "") + (result.get("error") or ""))
        note(f"nbgrader generate_assignment {assignment}: {len(notebooks)} notebook(s) "
             f"in {out.nbgrader_seconds:.1f} s")
    elif run_nbgrader:
        note(f"warning: no notebooks in {src}; nbgrader skipped, only the package is released")

    dest = out.release_dir
    if not unit_differences(units, dest):
        out.hook_wrote_packages = True
        note(f"post_convert_hook wrote {shown_units} ({out.package_files} files)")
    else:
        write_units(units, dest)
        why = "nbgrader skipped" if not (run_nbgrader and notebooks) else \
            "the post_convert_hook did not write it (not configured in nbgrader_config.py, or it failed)"
        note(f"stub stage wrote {shown_units} ({out.package_files} files): {why}")

    shown = Path(os.path.relpath(dest)) if not os.path.relpath(dest).startswith("..") else dest
    out.findings = leak_check(shown, solutions=paths.solutions_dir(assignment, root),
                              grading_tests=paths.grading_tests_dir(assignment, root),
                              source=paths.source_dir(assignment, root))
    return out
