"""``autograder grade SUBMISSION``: grade one submission with the hidden suite."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_sandbox_flags(p: argparse.ArgumentParser) -> None:
    """CLI flags that override ``c.Sandbox.*`` from nbgrader_config.py."""
    g = p.add_argument_group("sandbox limits (override c.Sandbox.* in nbgrader_config.py)")
    g.add_argument("--call-timeout", type=float, help="seconds one call into student code may take")
    g.add_argument("--submission-timeout", type=float,
                   help="seconds all calls into student code may take in total for the submission")
    g.add_argument("--test-timeout", type=float, help="seconds the calls of one hidden test may take in total")
    g.add_argument("--memory-mb", type=int, help="address-space limit of a worker, MB")
    g.add_argument("--bwrap", choices=("auto", "on", "off"), default=None,
                   help="bubblewrap namespaces: auto (if they work here), on (required), off (plain "
                        "subprocess; as root still an unprivileged uid)")
    g.add_argument("--require-isolation", action="store_true", default=None,
                   help="fail instead of grading when a sandbox protection is unavailable")


BWRAP_CHOICES = {"auto": "auto", "on": True, "off": False}


def sandbox_config_from_args(args: argparse.Namespace, root: Path | None = None):
    from autograder.config import load_course_config, with_overrides

    bwrap = getattr(args, "bwrap", None)
    return with_overrides(
        load_course_config(root), "Sandbox",
        call_timeout=args.call_timeout, submission_timeout=args.submission_timeout,
        test_timeout=getattr(args, "test_timeout", None),
        memory_limit_mb=args.memory_mb, require_isolation=args.require_isolation,
        use_bwrap=BWRAP_CHOICES[bwrap] if bwrap is not None else None,
    )


def write_reports(result, args) -> None:
    from autograder.reports.csv_report import write_csv
    from autograder.reports.gradescope import write_gradescope
    from autograder.reports.junit import write_junit
    from autograder.reports.markdown import write_markdown

    for path, writer in ((args.output, write_gradescope), (args.junit, write_junit),
                         (args.markdown, write_markdown), (args.csv, write_csv),
                         (args.results, lambda r, p: r.save(p))):
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            writer(result, Path(path))


def add_report_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", metavar="results.json", help="Gradescope results.json")
    p.add_argument("--junit", metavar="junit.xml", help="JUnit XML report")
    p.add_argument("--markdown", metavar="summary.md", help="Markdown summary")
    p.add_argument("--csv", metavar="scores.csv", help="CSV, one row a part")
    p.add_argument("--results", metavar="grading.json", help="the full internal results model (JSON)")


def run(args: argparse.Namespace) -> int:
    from autograder.reports.console import print_result
    from autograder.runner import GradingError, grade_submission

    try:
        result = grade_submission(Path(args.submission), args.assignment,
                                  sandbox_config=sandbox_config_from_args(args),
                                  parts=args.part or None, parallel=not args.serial)
    except GradingError as e:
        print(f"autograder: grading could not run: {e}", file=sys.stderr)
        return 2
    print_result(result, verbose=args.verbose)
    write_reports(result, args)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("grade", help="grade one submission (a folder or a zip)")
    p.add_argument("submission", help="folder holding the student's package (and notebooks), or a zip")
    p.add_argument("--assignment", default=None,
                   help="the assignment (default: the one the path names, or the course's only one)")
    p.add_argument("--part", action="append", metavar="GRADE_ID", help="grade only this part (repeatable)")
    p.add_argument("--serial", action="store_true",
                   help="grade in one process (by default, on two or more cores, the hidden files "
                        "the assignment's preload_for names run in a second grader process)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="also print the five slowest parts, each with its slowest test")
    add_report_flags(p)
    add_sandbox_flags(p)
    p.set_defaults(func=run)
