"""Fairness and hang figures of the grader (issue 13), on assignment 2.

    python benchmarks/bench_fairness.py [--bugs-only | --hangs-only]

1. Time to grade (``autograder grade``, a fresh process each, sandbox on): the
   reference; an endless loop in ``affine_forward``; a loop that swallows
   signals; a memory bomb (everything else the reference). For each: the wall
   time, the score, and the points lost outside the bug's own parts
   (``affine_forward`` and ``affine_backward``, whose test needs the forward).
2. The project's planted bugs (tests/mutants.py, 57 of them): the points each
   loses outside the parts of the function that has it (the part that grades the
   function, and the backward part whose test runs its forward), summed.
   Target: 0.

Writes bench-results/fairness.json. Calibration (the reference's own call
times, autograder.calibration) is measured first if this machine has none.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
AUTOGRADER = [sys.executable, "-m", "autograder.cli"]

AFFINE = "    out = x.reshape(x.shape[0], -1).dot(w) + b\n"
HANGS = {
    "endless loop": "    while True:\n        pass\n",
    "signal-swallowing loop": ("    import signal\n"
                               "    for _s in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM, signal.SIGXCPU):\n"
                               "        signal.signal(_s, signal.SIG_IGN)\n"
                               "    while True:\n        try:\n            pass\n        except BaseException:\n"
                               "            pass\n"),
    "memory bomb": "    hog = []\n    while True:\n        hog.append(bytearray(1 << 26))\n",
}
OWN = {"affine_forward", "affine_backward"}


def grade(submission: Path) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "grading.json"
        t0 = time.perf_counter()
        subprocess.run(AUTOGRADER + ["grade", str(submission), "--assignment", "assignment2",
                                     "--results", str(out)], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - t0, json.loads(out.read_text())


def lost_by_part(data: dict) -> dict[str, float]:
    return {p["grade_id"]: round(p["max_points"] - sum(
        t["weight"] for t in p["tests"] if t["status"] == "passed") / max(1e-12, sum(
            t["weight"] for t in p["tests"])) * p["max_points"], 6)
        for p in data["parts"] if p["tests"]}


def bench_hangs() -> dict:
    figures = {}
    work = Path(tempfile.mkdtemp(prefix="bench-fair-"))
    try:
        grade(ROOT / "solutions" / "assignment2")  # calibrate (once per course version) outside the timings
        cases = {"reference": None, **HANGS}
        for name, body in cases.items():
            sub = work / name.replace(" ", "-")
            shutil.copytree(ROOT / "solutions" / "assignment2", sub)
            if body is not None:
                layers = sub / "cs231n" / "layers.py"
                text = layers.read_text()
                assert AFFINE in text
                layers.write_text(text.replace(AFFINE, body, 1))
            wall, data = grade(sub)
            lost = lost_by_part(data)
            outside = sum(v for k, v in lost.items() if k not in OWN)
            figures[name] = {"wall_s": round(wall, 1), "score": round(data["score"], 2),
                             "lost_outside_own_parts": round(outside, 2)}
            print(f"{name:<24} {wall:6.1f} s  score {data['score']:6.2f}  "
                  f"points lost outside affine_forward/affine_backward: {outside:.2f}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return figures


def bench_bugs() -> dict:
    import mutants as catalogue

    reference = ROOT / "solutions" / "assignment2" / "cs231n"
    work = Path(tempfile.mkdtemp(prefix="bench-mutants-"))
    t0 = time.perf_counter()
    try:
        results = catalogue.grade_mutants(reference, catalogue.MUTANTS, jobs=2, workdir=work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    total, per = 0.0, {}
    for m in catalogue.MUTANTS:
        parts = results[m.name]["parts"]
        # the function's own parts: those of the tests that name the bug, and the backward part
        # whose tests run the mutated forward (its listed dependents)
        named = m.fails | m.dependents
        own = {gid for gid, part in parts.items()
               if any(name in named for name, _ in part["failed"])}
        lost = sum(part["max"] - part["score"] for gid, part in parts.items() if gid not in own)
        per[m.name] = round(lost, 3)
        total += lost
    print(f"{len(catalogue.MUTANTS)} planted bugs graded in {time.perf_counter() - t0:.0f} s: "
          f"points lost outside their own parts, summed: {total:.2f} (target 0)")
    return {"mutants": len(per), "lost_outside_own_parts": round(total, 3), "per_mutant": per}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bugs-only", action="store_true")
    parser.add_argument("--hangs-only", action="store_true")
    args, _ = parser.parse_known_args(argv)
    figures = {}
    if not args.bugs_only:
        figures["hangs"] = bench_hangs()
    if not args.hangs_only:
        figures["planted_bugs"] = bench_bugs()
    out = ROOT / "bench-results" / "fairness.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
