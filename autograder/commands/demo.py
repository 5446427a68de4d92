"""``autograder demo``: the main job on the embedded defaults.

1. trains the reference FullyConnectedNet and ThreeLayerConvNet on the digits
   data that scikit-learn ships and prints their accuracies;
2. runs the whole course cycle in a scratch course directory (``demo-course/``):
   release, a class of simulated students handed in through nbgrader's
   exchange, ``autograder grade-all``, ``nbgrader generate_feedback`` and
   ``nbgrader export``, the gradebook table and a grade-distribution plot
   (:mod:`autograder.course_demo`). Re-running it is idempotent.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path


def run(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    if not args.skip_training:
        from autograder.reference_training import train_reference_models

        results = train_reference_models(verbose=not args.quiet)
        print("\nReference models on the digits data (scikit-learn, 8x8 images):")
        print(f"{'model':<22}{'val acc':>9}{'test acc':>10}{'seconds':>9}")
        for name, r in results.items():
            print(f"{name:<22}{r['val_acc']:>9.3f}{r['test_acc']:>10.3f}{r['seconds']:>9.1f}")
        print()

    from autograder.course_demo import run_demo

    res = run_demo(Path(args.course_dir), args.assignment, jobs=args.jobs,
                   say=(lambda m: None) if args.quiet else print, progress=not args.quiet)
    timings = ", ".join(f"{k} {v:.0f} s" for k, v in res.timings.items())
    print(f"\ndemo finished in {time.perf_counter() - t0:.0f} s ({timings})")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("demo", help="run the main job on the embedded defaults")
    p.add_argument("--quiet", action="store_true", help="only print the final table")
    p.add_argument("--course-dir", default="demo-course",
                   help="scratch course directory (created; kept between runs) [demo-course]")
    p.add_argument("--assignment", default="assignment2")
    p.add_argument("--jobs", "-j", type=int, default=None, help="parallel grading jobs (default: all cores)")
    p.add_argument("--skip-training", action="store_true", help="skip the reference-model training printout")
    p.set_defaults(func=run)
