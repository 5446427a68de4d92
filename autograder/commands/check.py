"""``autograder check [PATH]``: a student runs the public checks of their own work.

Same table and exit codes as ``python -m <package>.checks`` in the assignment
folder (both run that folder's ``<package>/check_runner.py``).
"""
from __future__ import annotations

import argparse
import sys


def run(args: argparse.Namespace) -> int:
    from autograder.check import CheckError, run_checks

    forwarded: list[str] = []
    for part in args.part or []:
        forwarded += ["--part", part]
    for notebook in args.notebook or []:
        forwarded += ["--notebook", notebook]
    forwarded += ["--timeout", repr(args.timeout)]
    forwarded += ["--verbose"] if args.verbose else []
    forwarded += ["--strict"] if args.strict else []
    try:
        return run_checks(args.path, forwarded, python=args.python)
    except CheckError as e:
        print(f"autograder check: {e}", file=sys.stderr)
        return 2


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "check",
        help="run the public checks of your assignment folder (students)",
        description="Run the visible checks that ship with the assignment (<package>/checks.py) "
                    "against your own package and print one row a graded part: OK, "
                    "FAILED (with the failing comparison) or not implemented yet. Runs on your "
                    "machine in a separate Python process with PATH as its working directory; "
                    "it never uses the hidden grading tests. The same as `python -m <package>.checks` "
                    "in that folder. Exit code 0 whenever the checks ran (whatever the result; see "
                    "--strict), 2 when they could not run.",
    )
    p.add_argument("path", nargs="?", default=".",
                   help="your assignment folder, holding the notebooks and your package (default: .)")
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
