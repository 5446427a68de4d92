"""``autograder ci CHECKOUT --tests-from COURSE``: grade a student repository in CI."""
from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from autograder.commands.grade import add_sandbox_flags, sandbox_config_from_args


def run(args: argparse.Namespace) -> int:
    from autograder.ci import check_tests_from, grade_checkout, github_annotation, in_github_actions
    from autograder.reports.console import print_result

    step_summary = args.step_summary if args.step_summary is not None else os.environ.get("GITHUB_STEP_SUMMARY")
    github_output = os.environ.get("GITHUB_OUTPUT")
    try:
        # refuse a tests source inside the checkout *before* its nbgrader_config.py is executed
        root = check_tests_from(Path(args.tests_from), Path(args.checkout), args.assignment)
        config = sandbox_config_from_args(args, root)
        run_ = grade_checkout(Path(args.checkout), root, args.assignment,
                              output_dir=Path(args.output_dir), sandbox_config=config,
                              parts=args.part or None, step_summary=step_summary or None,
                              github_output=github_output or None)
    except Exception as e:  # noqa: BLE001 - in CI, every way grading can fail is exit 2 with a summary
        return could_not_grade(args.assignment, e, step_summary)
    result = run_.result
    print_result(result)
    for kind, path in run_.files.items():
        print(f"{kind}: {path}")
    line = f"Score: {result.score:.2f} / {result.max_score:g}"
    print(line)
    if in_github_actions():
        print(github_annotation("notice", f"{result.assignment}: {line}"))
    return 0


def could_not_grade(assignment: str, error: Exception, step_summary: str | None) -> int:
    """Report that grading could not run (stderr, step summary, annotation); the exit code, 2.

    Expected failures (bad paths, a refused tests source, a missing sandbox, an unwritable
    output directory) are one line; anything else also prints its traceback for the instructor.
    """
    from autograder.ci import CIError, append_step_summary, failure_summary, github_annotation, in_github_actions
    from autograder.runner import GradingError
    from autograder.sandbox import SandboxUnavailable, WorkerStartError

    expected = (CIError, GradingError, SandboxUnavailable, WorkerStartError, OSError)
    reason = str(error) if isinstance(error, (CIError, GradingError)) else f"{type(error).__name__}: {error}"
    if not isinstance(error, expected):
        traceback.print_exception(error, file=sys.stderr)
    print(f"autograder ci: grading could not run: {reason}", file=sys.stderr)
    if step_summary:
        try:
            append_step_summary(Path(step_summary), failure_summary(assignment, reason))
        except OSError as e:
            print(f"autograder ci: could not write the step summary {step_summary}: {e}", file=sys.stderr)
    if in_github_actions():
        print(github_annotation("error", f"grading could not run: {reason}"))
    return 2


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "ci", help="grade a student repository checkout in CI with hidden tests from elsewhere",
        description="Grade a student's repository checkout with the hidden suites of a course root "
                    "the instructor provides (--tests-from; refused if it lies inside the checkout). "
                    "Writes results.json (Gradescope), junit.xml, summary.md and grading.json into "
                    "--output-dir, appends the summary to $GITHUB_STEP_SUMMARY when set, prints the "
                    "score. Exit code 0 whenever grading ran (whatever the score), 2 when it could not.")
    p.add_argument("checkout", nargs="?", default=".", help="the student's repository checkout (default: .)")
    p.add_argument("--tests-from", required=True, metavar="COURSE_ROOT",
                   help="course root holding grading_tests/<a>/ and solutions/<a>/ (a checkout of the "
                        "instructor's repository, outside the student checkout)")
    p.add_argument("--assignment", default=None,
                   help="the assignment (default: the one the path names, or the course's only one)")
    p.add_argument("--part", action="append", metavar="GRADE_ID", help="grade only this part (repeatable)")
    p.add_argument("--output-dir", default="autograde-results", metavar="DIR",
                   help="where the reports go (default: ./autograde-results)")
    p.add_argument("--step-summary", default=None, metavar="FILE",
                   help="append the Markdown summary here (default: $GITHUB_STEP_SUMMARY if set)")
    add_sandbox_flags(p)
    p.set_defaults(func=run)
