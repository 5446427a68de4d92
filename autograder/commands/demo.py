"""``autograder demo``: the main job on the embedded defaults.

For every assignment of the course (or the ``--assignment`` ones):

1. runs the course's sanity script, when the assignment names one
   (``[demo] sanity_script`` in ``grading_tests/<a>/assignment.toml``: e.g.
   the reference models trained on the embedded data, with their accuracies);
2. runs the whole course cycle in a scratch course directory (``demo-course/``):
   release, a class of simulated students handed in through nbgrader's
   exchange, ``autograder grade-all``, ``nbgrader generate_feedback`` and
   ``nbgrader export``, the gradebook table and a grade-distribution plot
   (:mod:`autograder.course_demo`). Re-running it is idempotent.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path


def run(args: argparse.Namespace) -> int:
    from autograder.course import list_assignments, load_assignment
    from autograder.course_demo import run_demo
    from autograder.paths import course_root

    t0 = time.perf_counter()
    root = course_root()
    assignments = args.assignment or list_assignments(root)
    if not assignments:
        print(f"autograder demo: no assignment in {root} (no grading_tests/<a>/assignment.toml)", file=sys.stderr)
        return 2
    timings: list[str] = []
    for assignment in assignments:
        spec = load_assignment(assignment, root)
        print(f"\n=== {assignment}: {spec.title}")
        script = spec.demo.sanity_script
        if script and not args.skip_training:
            t = time.perf_counter()
            cmd = [sys.executable, str(root / script)] + (["--quiet"] if args.quiet else [])
            if subprocess.run(cmd, cwd=root, stdin=subprocess.DEVNULL).returncode != 0:
                print(f"autograder demo: {script} failed", file=sys.stderr)
                return 1
            timings.append(f"{assignment} sanity {time.perf_counter() - t:.0f} s")
        res = run_demo(Path(args.course_dir), assignment, jobs=args.jobs,
                       say=(lambda m: None) if args.quiet else print, progress=not args.quiet)
        timings += [f"{assignment} {k} {v:.0f} s" for k, v in res.timings.items()]
    print(f"\ndemo finished in {time.perf_counter() - t0:.0f} s ({', '.join(timings)})")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("demo", help="run the main job on the embedded defaults")
    p.add_argument("--quiet", action="store_true", help="only print the final tables")
    p.add_argument("--course-dir", default="demo-course",
                   help="scratch course directory (created; kept between runs) [demo-course]")
    p.add_argument("--assignment", action="append", default=None,
                   help="demo only this assignment (repeatable; default: every assignment of the course)")
    p.add_argument("--jobs", "-j", type=int, default=None, help="parallel grading jobs (default: all cores)")
    p.add_argument("--skip-training", action="store_true",
                   help="skip the assignments' sanity scripts (the reference-model training printout)")
    p.set_defaults(func=run)
