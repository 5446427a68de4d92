"""Grade one submission: run the hidden suite in this (trusted) process with pytest,
student code in sandboxed workers, and build the :class:`GradingResult`.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Iterable

import pytest

from autograder.parts import assignment_parts
from autograder.paths import course_root, grading_tests_dir, solutions_dir
from autograder import pytest_plugin
from autograder.pytest_plugin import GradingPlugin
from autograder.results import GradingResult, PartResult
from autograder.submission import PreparedSubmission, SubmissionError


class GradingError(Exception):
    """Grading itself could not run (not the student's fault): exit code non-zero."""


def _proxy_factory(package_root: Path, sandbox_config, slot: int):
    """A function that opens a fresh sandboxed proxy on the submission (one per hidden module)."""
    from autograder.sandbox import Sandbox, SubmissionProxy

    sandbox = Sandbox(config=sandbox_config) if sandbox_config is not None else Sandbox()
    return lambda: SubmissionProxy.for_directory(package_root, sandbox=sandbox, slot=slot)


def build_parts(assignment: str, root: Path, outcomes) -> list[PartResult]:
    """Group outcomes by grade_id into the notebook's parts (notebook order first)."""
    known = assignment_parts(assignment, root)
    parts: dict[str, PartResult] = {
        gid: PartResult(grade_id=gid, max_points=p.points, notebook=p.notebook)
        for gid, p in known.items()
    }
    for o in outcomes:
        if o.grade_id not in parts:  # a test for a part no notebook declares: weight = points
            parts[o.grade_id] = PartResult(grade_id=o.grade_id, max_points=0.0)
        parts[o.grade_id].tests.append(o)
    for p in parts.values():
        if p.grade_id not in known:
            p.max_points = p.total_weight
    return list(parts.values())


def grade_submission(
    submission: Path,
    assignment: str = "assignment2",
    *,
    sandbox_config=None,
    parts: Iterable[str] | None = None,
    modules: Iterable[str] | None = None,
    root: Path | None = None,
    slot: int = 0,
    quiet: bool = True,
) -> GradingResult:
    """Grade ``submission`` (a folder holding ``cs231n/`` or a zip of one).

    ``parts`` restricts grading to some grade_ids (other parts are reported
    with no tests and score 0); ``modules`` to some hidden test files
    (e.g. ``["test_optim.py"]``). ``slot`` picks the worker's unprivileged uid
    (61000 + slot), so parallel gradings never share one. Raises :class:`GradingError` only when grading
    itself cannot run; everything the student did wrong is a score.
    """
    root = Path(root) if root else course_root()
    tests_dir = grading_tests_dir(assignment, root)
    if not tests_dir.is_dir():
        raise GradingError(f"no hidden tests at {tests_dir}")
    start = time.perf_counter()
    result = GradingResult(assignment=assignment, submission=str(submission))
    selected = set(parts) if parts is not None else None
    try:
        with PreparedSubmission(Path(submission)) as package_root:
            plugin = GradingPlugin(_proxy_factory(package_root, sandbox_config, slot),
                                   solutions_dir(assignment, root), selected)
            targets = [str(tests_dir / m) for m in modules] if modules else [str(tests_dir)]
            args = targets + [
                "-p", "no:cacheprovider",  # never write .pytest_cache into grading_tests/
                "-p", "no:randomly",
                "-p", "no:warnings",       # students see our messages, not pytest's warning summary
                "--assert=plain",          # failure text is our message, not introspected source
                "--import-mode=importlib",
                "--rootdir", str(tests_dir),
                "-c", str(tests_dir / "pytest.ini") if (tests_dir / "pytest.ini").exists() else "/dev/null",
                "-q" if quiet else "-v",
                "--no-header", "-rN", "--tb=no",
            ]
            if quiet:
                args.append("-qq")
            code = pytest.main(args, plugins=[plugin, pytest_plugin])
            if code in (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR):
                raise GradingError(f"pytest could not run the hidden suite (exit {int(code)})")
            if code == pytest.ExitCode.NO_TESTS_COLLECTED and not plugin.collection_errors:
                raise GradingError("the hidden suite collected no tests")
            if plugin.collection_errors:
                raise GradingError("; ".join(plugin.collection_errors))
            result.protections = plugin.protections
            result.parts = build_parts(assignment, root, plugin.outcomes)
    except SubmissionError as e:
        # the student's fault: every part scores zero, with the reason
        result.errors.append(f"submission could not be graded: {e}")
        result.parts = build_parts(assignment, root, [])
    result.execution_time = time.perf_counter() - start
    return result
