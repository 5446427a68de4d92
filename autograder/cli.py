"""The ``autograder`` console script.

Each subcommand lives in its own module and registers itself here through a
``register(subparsers)`` function, so this file stays a table of contents.
"""
from __future__ import annotations

import argparse
import importlib
import sys

# module name -> the subcommands it registers (imported lazily so that a
# missing optional dependency of one command never breaks the others).
COMMAND_MODULES = [
    "autograder.commands.demo",
    "autograder.commands.ci",
    "autograder.commands.check",
    "autograder.commands.grade",
    "autograder.commands.grade_all",
    "autograder.commands.gradescope",
    "autograder.commands.release",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autograder",
        description="Auto-graded course assignments: release, grade, report.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
