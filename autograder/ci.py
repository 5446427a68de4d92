"""Grading a student's repository checkout in CI (e.g. GitHub Actions).

The hidden suites and the reference package come from a course root the
instructor provides (``--tests-from``: a checkout of the instructor's
repository holding ``grading_tests/<a>/`` and ``solutions/<a>/``), never from
the student's repository: a course root, hidden-test folder, reference folder,
notebook folder or ``nbgrader_config.py`` that resolves (symbolic links
followed) into the student checkout is refused, since a student could
otherwise ship tests that always pass or configuration that runs in the
trusted process.

The checkout is graded from a clean copy: no ``.git``/``.github``, no caches,
no symbolic link that points outside the checkout.

Reports go to one output directory (Gradescope ``results.json``, JUnit XML,
a Markdown summary, the internal results model); the Markdown summary is
also appended to ``$GITHUB_STEP_SUMMARY`` when that is set, and the score to
``$GITHUB_OUTPUT`` (``score``, ``max_score``) for later workflow steps.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from autograder.paths import grading_tests_dir, is_within, solutions_dir, source_dir
from autograder.results import GradingResult

REPORT_FILES = {
    "gradescope": "results.json",
    "junit": "junit.xml",
    "markdown": "summary.md",
    "internal": "grading.json",
}
# Never copied from the student's checkout into the graded copy.
IGNORED_NAMES = frozenset({".git", ".github", "__pycache__", ".ipynb_checkpoints", ".pytest_cache",
                           ".venv", "venv", ".mypy_cache", "node_modules"})
IGNORED_SUFFIXES = (".pyc", ".pyo")


class CIError(Exception):
    """CI grading could not run (bad paths, refused tests source): exit code non-zero."""


@dataclass
class CIRun:
    result: GradingResult
    files: dict[str, Path] = field(default_factory=dict)


def check_tests_from(tests_from: Path, checkout: Path, assignment: str | None) -> Path:
    """The resolved course root to take hidden tests from; :class:`CIError` if it is unusable.

    Refused when the root itself, or any file of it the grader trusts, lies in
    the student's checkout.
    """
    if not checkout.is_dir():
        raise CIError(f"the student checkout {checkout} is not a directory")
    if not tests_from.is_dir():
        raise CIError(f"--tests-from {tests_from} is not a directory (a checkout of the course "
                      "repository holding grading_tests/ and solutions/)")
    root = tests_from.resolve()
    from autograder.course import CourseError, resolve_assignment

    try:  # reads folder names only: nothing of the course runs before the checks below
        assignment = resolve_assignment(assignment, root)
    except CourseError as e:
        raise CIError(str(e)) from None
    trusted = {
        "--tests-from": root,
        "grading_tests": grading_tests_dir(assignment, root),
        "solutions": solutions_dir(assignment, root),
        "source": source_dir(assignment, root),
        "nbgrader_config.py": root / "nbgrader_config.py",
    }
    for label, path in trusted.items():
        if path.exists() and is_within(path, checkout):
            raise CIError(
                f"refusing to grade with hidden tests from the student's repository: {label} "
                f"({path.resolve()}) is inside the student checkout {checkout.resolve()}. Check the "
                "instructor's repository out into a separate path and pass that to --tests-from.")
    if not trusted["grading_tests"].is_dir():
        raise CIError(f"no hidden tests at {trusted['grading_tests']} (is --tests-from the course root?)")
    if not trusted["solutions"].is_dir():
        raise CIError(f"no reference package at {trusted['solutions']} (is --tests-from the course root?)")
    return root


def clean_copy(checkout: Path, dest: Path) -> Path:
    """Copy the student's checkout into ``dest`` without VCS data, caches and escaping links."""
    checkout = checkout.resolve()

    def ignore(directory: str, names: list[str]) -> set[str]:
        skipped = set()
        for name in names:
            full = Path(directory) / name
            if name in IGNORED_NAMES or name.endswith(IGNORED_SUFFIXES):
                skipped.add(name)
            elif full.is_symlink() and not is_within(full, checkout):
                skipped.add(name)  # a link out of the repository (e.g. to the hidden tests)
        return skipped

    shutil.copytree(checkout, dest, symlinks=True, ignore=ignore)
    return dest


def keep_checkout_off_sys_path(checkout: Path) -> None:
    """Make sure nothing of the student's checkout can be imported in this (trusted) process."""
    cwd_inside = is_within(Path.cwd(), checkout)
    sys.path[:] = [p for p in sys.path
                   if not ((p in ("", ".") and cwd_inside) or (p and is_within(Path(p), checkout)))]


def append_step_summary(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(text if text.endswith("\n") else text + "\n")


def write_github_output(path: Path, result: GradingResult) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"score={result.score:.2f}\nmax_score={result.max_score:g}\n")


def prepare_output_dir(output_dir: Path) -> Path:
    """Create the reports' folder before grading, so a bad ``--output-dir`` fails in a second,
    not after the whole suite (:class:`OSError` when it cannot be created or written)."""
    output_dir = output_dir.resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    if not os.access(output_dir, os.W_OK | os.X_OK):
        raise PermissionError(f"cannot write into the output directory {output_dir}")
    return output_dir


def write_ci_reports(result: GradingResult, output_dir: Path) -> dict[str, Path]:
    from autograder.reports.gradescope import write_gradescope
    from autograder.reports.junit import write_junit
    from autograder.reports.markdown import write_markdown

    output_dir.mkdir(parents=True, exist_ok=True)
    writers = {"gradescope": write_gradescope, "junit": write_junit,
               "markdown": write_markdown, "internal": lambda r, p: r.save(p)}
    files = {}
    for kind, writer in writers.items():
        files[kind] = output_dir / REPORT_FILES[kind]
        writer(result, files[kind])
    return files


def grade_checkout(checkout: Path, tests_from: Path, assignment: str | None = None, *,
                   output_dir: Path, sandbox_config=None, parts=None,
                   step_summary: Path | None = None, github_output: Path | None = None) -> CIRun:
    """Grade the student's ``checkout`` with the hidden suites of the course root ``tests_from``.

    Raises :class:`CIError`, :class:`autograder.runner.GradingError`, :class:`OSError` (the output
    directory) or :class:`autograder.sandbox.SandboxUnavailable` when grading cannot run.
    """
    from autograder.reports.markdown import markdown_summary
    from autograder.runner import grade_submission, make_sandbox

    from autograder.course import CourseError, resolve_assignment

    checkout = Path(checkout)
    try:
        assignment = resolve_assignment(assignment, Path(tests_from))
    except CourseError as e:
        raise CIError(str(e)) from None
    root = check_tests_from(Path(tests_from), checkout, assignment)
    output_dir = prepare_output_dir(Path(output_dir))
    # A sandbox the course asks for but this machine lacks (--bwrap on without bubblewrap,
    # require_isolation without a protection) is a grading failure, found before grading:
    # inside the suite it would only show up as the student's failed tests.
    make_sandbox(sandbox_config, root).check_requirements()
    keep_checkout_off_sys_path(checkout)
    with tempfile.TemporaryDirectory(prefix="autograder-ci-") as tmp:
        copy = clean_copy(checkout, Path(tmp) / "submission")
        result = grade_submission(copy, assignment, sandbox_config=sandbox_config, parts=parts, root=root)
    result.submission = str(checkout)
    files = write_ci_reports(result, output_dir)
    if step_summary:
        append_step_summary(Path(step_summary), markdown_summary(result))
    if github_output:
        write_github_output(Path(github_output), result)
    return CIRun(result=result, files=files)


def failure_summary(assignment: str, reason: str) -> str:
    """The Markdown a student sees in the step summary when grading could not run."""
    return (f"## {assignment}: not graded\n\nThe autograder could not run (a problem of the grading "
            f"set-up, not a score): {reason}\n")


def github_annotation(kind: str, message: str) -> str:
    """A GitHub Actions workflow command (``::notice::``/``::error::``), one line."""
    msg = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return f"::{kind} title=autograder::{msg}"


def in_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"
