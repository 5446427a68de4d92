"""``autograder check [PATH]``: a student runs the public checks of their own work."""
from __future__ import annotations

import argparse
import sys


def run(args: argparse.Namespace) -> int:
    from autograder.check import CheckError, TablePrinter, run_checks

    printer = TablePrinter(verbose=args.verbose)
    try:
        report = run_checks(args.path, parts=args.part or None, notebooks=args.notebook or None,
                            part_timeout=args.timeout, python=args.python,
                            on_start=printer.start, on_result=printer.result)
    except CheckError as e:
        print(f"autograder check: {e}", file=sys.stderr)
        return 2
    printer.summary(report)
    if args.strict and any(not p.passed for p in report.parts):
        return 1
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "check",
        help="run the public checks of your assignment folder (students)",
        description="Run the visible checks that ship with the assignment (cs231n/checks.py) "
                    "against your own cs231n/ package and print one row a graded part: OK, "
                    "FAILED (with the failing comparison) or not implemented yet. Runs on your "
                    "machine in a separate Python process with PATH as its working directory; "
                    "it never uses the hidden grading tests. Exit code 0 whenever the checks ran "
                    "(whatever the result; see --strict), 2 when they could not run.",
    )
    p.add_argument("path", nargs="?", default=".",
                   help="your assignment folder, holding the notebooks and cs231n/ (default: .)")
    p.add_argument("-p", "--part", action="append", metavar="PART",
                   help="check only this part, e.g. affine_forward (repeatable)")
    p.add_argument("-n", "--notebook", action="append", metavar="NOTEBOOK",
                   help="check only the parts of this notebook, e.g. FullyConnectedNets (repeatable)")
    p.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS",
                   help="stop a part that runs longer than this (default: 300; 0: no limit)")
    p.add_argument("--python", default=None, metavar="PYTHON",
                   help="interpreter to run your code with (default: the one running autograder)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="print every line each check printed, also for parts that pass")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 unless every checked part passes (for your own CI)")
    p.set_defaults(func=run)
