"""``autograder gradescope-bundle <a> [-o autograder.zip]``: a Gradescope autograder zip."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def run(args: argparse.Namespace) -> int:
    from autograder.gradescope_bundle import BundleError, build_bundle
    from autograder.stub import StubError

    try:
        bundle = build_bundle(args.assignment, Path(args.output), args.root)
    except (BundleError, StubError) as e:
        print(f"autograder gradescope-bundle: {e}", file=sys.stderr)
        return 1
    tops = sorted({m.split("/")[0] for m in bundle.members})
    print(f"wrote {bundle.path} ({bundle.size / 2**20:.1f} MB, {len(bundle.members)} files: "
          f"{', '.join(tops)})")
    print("Upload it as the autograder of a Gradescope programming assignment (Ubuntu base image); "
          "setup.sh installs bubblewrap, Python 3.11 and requirements.lock.")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "gradescope-bundle", help="write a Gradescope autograder zip for an assignment",
        description="Write a Gradescope autograder zip: setup.sh (bubblewrap, Python 3.11, the pinned "
                    "requirements.lock), run_autograder (grades /autograder/submission into "
                    "/autograder/results/results.json; paths under $AUTOGRADER_GS_ROOT), the hidden "
                    "suites, the reference package, the source notebooks, the stubbed package "
                    "(for uploads of loose files), nbgrader_config.py and the framework.")
    p.add_argument("assignment", help="assignment name (a folder of grading_tests/ with an assignment.toml)")
    p.add_argument("-o", "--output", default="autograder.zip", help="the zip to write (default: autograder.zip)")
    p.add_argument("--root", type=Path, default=None,
                   help="course root (default: $AUTOGRADER_COURSE_ROOT or this checkout)")
    p.set_defaults(func=run)
