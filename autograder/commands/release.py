"""``autograder release <a>`` and ``autograder leak-check release/<a>``."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "release",
        help="generate release/<a>/: nbgrader notebooks + the stubbed package, then leak-check it",
        description="Run nbgrader generate_assignment (--force, creating the assignment in the "
                    "gradebook), make sure the stubbed package is in release/<a>/ (writing it if "
                    "the post_convert_hook did not), then run the leak check. Exit code 1 on any "
                    "stub error, nbgrader failure or leak.",
    )
    p.add_argument("assignment", help="assignment name (a folder of grading_tests/ with an assignment.toml)")
    p.add_argument("--root", type=Path, default=None,
                   help="course root (default: $AUTOGRADER_COURSE_ROOT or this checkout)")
    p.add_argument("--skip-nbgrader", action="store_true",
                   help="only stub the package into release/<a>/ and leak-check")
    p.set_defaults(func=run_release)

    q = subparsers.add_parser(
        "leak-check",
        help="fail if solution code, hidden tests, outputs or compiled files reached a release, "
             "or its stubbed package is missing or stale",
        description="Check a generated release directory. Prints 'path:line: kind: message' "
                    "for every finding and exits 1, or one OK line and exits 0. Besides leaks "
                    "(solution lines, hidden tests, compiled files, checkpoints, gradebooks and "
                    "their journals, archives, unknown binaries, notebook outputs) it requires the "
                    "stubbed package of solutions/<a>/ in the release, byte for byte, and an id "
                    "on every source notebook cell. Reference, hidden tests and source default to "
                    "<root>/{solutions,grading_tests,source}/<a> for a release at <root>/release/<a>.",
    )
    q.add_argument("release_dir", type=Path, help="a release folder, release/<assignment>")
    q.add_argument("--solutions", type=Path, default=None, help="reference directory solutions/<a>")
    q.add_argument("--grading-tests", type=Path, default=None, help="hidden tests grading_tests/<a>")
    q.add_argument("--source", type=Path, default=None, help="source notebooks source/<a>")
    q.set_defaults(func=run_leak_check)


def _print_findings(findings, release_dir) -> int:
    from autograder.leakcheck import summary

    for finding in findings:
        print(finding)
    print(summary(findings, release_dir), file=sys.stderr if findings else sys.stdout)
    return 1 if findings else 0


def run_leak_check(args: argparse.Namespace) -> int:
    from autograder.leakcheck import leak_check

    try:
        findings = leak_check(args.release_dir, solutions=args.solutions,
                              grading_tests=args.grading_tests, source=args.source)
    except FileNotFoundError as exc:
        print(f"autograder leak-check: {exc}", file=sys.stderr)
        return 1
    return _print_findings(findings, args.release_dir)


def run_release(args: argparse.Namespace) -> int:
    from autograder.release import ReleaseError, release
    from autograder.stub import StubError

    try:
        result = release(args.assignment, args.root, run_nbgrader=not args.skip_nbgrader,
                         echo=lambda msg: print(msg, flush=True))
    except StubError as exc:
        print(f"{exc}", file=sys.stderr)
        print(f"autograder release: stub stage failed; release/{args.assignment}/ not updated",
              file=sys.stderr)
        return 1
    except ReleaseError as exc:
        print(f"autograder release: {exc}", file=sys.stderr)
        return 1
    shown = os.path.relpath(result.release_dir)
    return _print_findings(result.findings, shown if not shown.startswith("..") else result.release_dir)
