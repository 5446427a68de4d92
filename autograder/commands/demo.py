"""``autograder demo``: the main job on the embedded defaults.

Trains the reference FullyConnectedNet and ThreeLayerConvNet on the digits
data that scikit-learn ships and prints their accuracies. Later stages of the
course cycle (release, grading, gradebook) are added here as they land.
"""
from __future__ import annotations

import argparse


def run(args: argparse.Namespace) -> int:
    from autograder.reference_training import train_reference_models

    results = train_reference_models(verbose=not args.quiet)
    print("\nReference models on the digits data (scikit-learn, 8x8 images):")
    print(f"{'model':<22}{'val acc':>9}{'test acc':>10}{'seconds':>9}")
    for name, r in results.items():
        print(f"{name:<22}{r['val_acc']:>9.3f}{r['test_acc']:>10.3f}{r['seconds']:>9.1f}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("demo", help="run the main job on the embedded defaults")
    p.add_argument("--quiet", action="store_true", help="only print the final table")
    p.set_defaults(func=run)
