"""Benchmark: ``autograder grade-all`` vs plain ``nbgrader autograde`` on one class.

    python benchmarks/bench_grade_all.py [--students 100] [--jobs 0] [--baseline-subset 6]

Builds a scratch course (``bench-results/grade_all-course/``, a copy of this
course), releases assignment2, places N simulated submissions (every kind of
:mod:`autograder.simulated_students`, cycling) in ``submitted/``, then times in
the same run:

* ``autograder grade-all assignment2`` over all N (parallel, default: all cores);
* plain ``nbgrader autograde assignment2 --student S --force``, one student after
  another as an instructor runs it (notebooks executed in the sandboxed kernel,
  hidden suites scoring the graded cells, saved results NOT reused). That is
  slow, so it runs on a subset of ``--baseline-subset`` students that holds every
  kind in the class's proportions and the time for N is extrapolated
  (per-submission mean x N) -- the output says so.

Prints the ratios and writes ``bench-results/grade_all.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

A = "assignment2"


def build_course(course: Path, n: int) -> list[tuple[str, str]]:
    from autograder.course_demo import make_scratch_course
    from autograder.release import release
    from autograder.simulated_students import class_roster, make_student

    if course.exists():
        shutil.rmtree(course)
    make_scratch_course(course, ROOT)
    rel = release(A, course)
    if rel.findings:
        raise SystemExit(f"release leaks: {rel.findings}")
    roster = class_roster(n)
    for sid, kind in roster:
        dest = course / "submitted" / sid / A
        make_student(kind, sid, dest, A, course)
        (dest / "timestamp.txt").write_text("2026-01-01 12:00:00.000000 UTC")
    return roster


def baseline_subset(roster: list[tuple[str, str]], k: int) -> list[tuple[str, str]]:
    """k students whose kinds are spread evenly over the kinds of the class (one student a kind)."""
    if k >= len(roster):
        return list(roster)
    kinds = list(dict.fromkeys(kind for _, kind in roster))
    picked = [kinds[int(i * len(kinds) / k)] for i in range(min(k, len(kinds)))]
    first = {}
    for sid, kind in roster:
        first.setdefault(kind, (sid, kind))
    return [first[kind] for kind in picked]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=100)
    p.add_argument("--jobs", type=int, default=0, help="grade-all jobs (0: all cores)")
    p.add_argument("--baseline-subset", type=int, default=6,
                   help="students graded by plain nbgrader autograde (time extrapolated to all)")
    p.add_argument("--out", type=Path, default=ROOT / "bench-results" / "grade_all.json")
    p.add_argument("--course", type=Path, default=ROOT / "bench-results" / "grade_all-course")
    p.add_argument("--keep", action="store_true", help="keep the scratch course")
    args = p.parse_args(argv)

    bindir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    jobs = args.jobs or os.cpu_count() or 1

    t = time.perf_counter()
    roster = build_course(args.course, args.students)
    setup = time.perf_counter() - t
    print(f"course with {len(roster)} simulated submissions ready in {setup:.0f} s "
          f"({args.course})", flush=True)

    # --- autograder grade-all over everyone
    summary_json = args.course / "grade-all-summary.json"
    t = time.perf_counter()
    r = subprocess.run([str(bindir / "autograder"), "grade-all", A, "--root", str(args.course),
                        "--jobs", str(jobs), "--no-resume", "--summary-json", str(summary_json)],
                       env=env, cwd=args.course)
    ga_wall = time.perf_counter() - t
    if r.returncode != 0:
        print("grade-all failed", file=sys.stderr)
        return 1
    ga = json.loads(summary_json.read_text())
    print(f"grade-all: {len(ga['graded'])} graded, {len(ga['failures'])} failed, "
          f"{ga_wall:.1f} s wall", flush=True)

    # --- plain nbgrader autograde, one student after another, on a subset
    subset = baseline_subset(roster, args.baseline_subset)
    per_student = {}
    t = time.perf_counter()
    for sid, kind in subset:
        t1 = time.perf_counter()
        r = subprocess.run([str(bindir / "nbgrader"), "autograde", A, "--student", sid, "--force",
                            "--HiddenSuiteGrades.reuse_saved_results=False"],
                           env=env, cwd=args.course, capture_output=True, text=True)
        per_student[sid] = {"kind": kind, "seconds": time.perf_counter() - t1, "exit": r.returncode}
        print(f"  nbgrader autograde {sid:<36} {per_student[sid]['seconds']:6.1f} s (exit {r.returncode})",
              flush=True)
    nb_subset_wall = time.perf_counter() - t
    nb_per_sub = nb_subset_wall / len(subset)
    nb_extrapolated = nb_per_sub * len(roster)

    # like with like: the same students' grade-all job times, shared over the parallel jobs
    same = [ga.get("job_seconds", {}).get(sid) for sid, _ in subset]
    ga_same_subset = sum(x for x in same if x) / jobs if all(same) else None
    ga_per_min = 60.0 * len(roster) / ga_wall
    nb_per_min = 60.0 / nb_per_sub
    result = {
        "students": len(roster),
        "cores": os.cpu_count(),
        "jobs": jobs,
        "machine": platform.platform(),
        "load_average_at_end": os.getloadavg(),
        "grade_all": {"wall_seconds": ga_wall, "graded": len(ga["graded"]),
                      "failed": len(ga["failures"]), "failures": ga["failures"],
                      "submissions_per_minute": ga_per_min},
        "nbgrader_autograde": {
            "measured_students": len(subset), "measured_wall_seconds": nb_subset_wall,
            "seconds_per_submission": nb_per_sub,
            "extrapolated_wall_seconds": nb_extrapolated,
            "extrapolated": len(subset) < len(roster),
            "submissions_per_minute": nb_per_min, "per_student": per_student,
        },
        "speedup": nb_extrapolated / ga_wall,
        "same_subset": {"nbgrader_seconds": nb_subset_wall,
                        "grade_all_job_seconds_over_jobs": ga_same_subset,
                        "speedup": (nb_subset_wall / ga_same_subset) if ga_same_subset else None},
        "targets": {"speedup_at_least": 3.0, "wall_seconds_at_most": 600.0},
    }
    result["targets_met"] = {"speedup": result["speedup"] >= 3.0, "under_10_min": ga_wall <= 600.0}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))

    print()
    print(f"{'':<34}{'wall (s)':>10}{'subs/min':>10}")
    print(f"{'autograder grade-all (' + str(jobs) + ' jobs)':<34}{ga_wall:>10.1f}{ga_per_min:>10.1f}")
    label = "nbgrader autograde" + (f" (extrap. from {len(subset)})" if len(subset) < len(roster) else "")
    print(f"{label:<34}{nb_extrapolated:>10.1f}{nb_per_min:>10.1f}")
    if ga_same_subset:
        print(f"same {len(subset)} students: nbgrader {nb_subset_wall:.0f} s vs grade-all "
              f"{ga_same_subset:.0f} s of job time / {jobs} jobs = {nb_subset_wall / ga_same_subset:.1f}x")
    print(f"speed-up: {result['speedup']:.1f}x (target >= 3x); grade-all {len(roster)} submissions in "
          f"{ga_wall / 60:.1f} min (target < 10 min)")
    print(f"wrote {args.out}")
    if not args.keep:
        shutil.rmtree(args.course, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
