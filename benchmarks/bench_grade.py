"""Median wall time of ``autograder grade`` on the reference submission.

    python benchmarks/bench_grade.py [--repeat 5]

Runs the real command (a fresh process each time, as an instructor or CI would,
sandbox on, accuracy training included) on ``solutions/assignment2`` and on the
untouched release, prints the medians, and writes bench-results/grade.json.
Target (issue 4): under 20 s for the whole assignment on 2 cores.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AUTOGRADER = [sys.executable, "-m", "autograder.cli"]


def time_grade(submission: Path) -> tuple[float, float]:
    """(wall seconds, score) of one ``autograder grade`` run."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results.json"
        t0 = time.perf_counter()
        subprocess.run(AUTOGRADER + ["grade", str(submission), "--assignment", "assignment2",
                                     "-o", str(out)], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        return wall, json.loads(out.read_text())["score"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args, _ = parser.parse_known_args(argv)
    figures = {}
    for name, submission in (("reference", ROOT / "solutions" / "assignment2"),
                             ("release", ROOT / "release" / "assignment2")):
        runs = [time_grade(submission) for _ in range(args.repeat)]
        walls = [w for w, _ in runs]
        figures[name] = {"median_s": statistics.median(walls), "min_s": min(walls),
                         "max_s": max(walls), "runs": len(walls), "score": runs[0][1]}
        print(f"autograder grade {name:<9}: median {statistics.median(walls):6.1f} s "
              f"(min {min(walls):.1f}, max {max(walls):.1f}, n={len(walls)}), score {runs[0][1]:.2f}")
    ok = figures["reference"]["median_s"] < 20
    print(f"target: reference under 20 s on 2 cores -> {'met' if ok else 'NOT met'}")
    out = ROOT / "bench-results" / "grade.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
