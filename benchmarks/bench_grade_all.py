"""Benchmark: ``autograder grade-all`` vs plain ``nbgrader autograde`` on one class.

    python benchmarks/bench_grade_all.py [--students 100] [--jobs 0] [--subset 11]

Builds a scratch course (``bench-results/grade_all-course/``, a copy of this
course), releases assignment2 and places N simulated submissions (every kind of
:mod:`autograder.simulated_students`, cycling) in ``submitted/``.  Then, in the
same run:

1. **no notebook execution** -- ``autograder grade-all assignment2`` (its
   default: the hidden suites score every graded cell, notebooks are not run)
   over all N submissions: wall time and submissions per minute.
2. **executes notebooks** -- the like-for-like comparison, on a *subset* course
   (``--subset`` students, default one of every kind; ``--subset 0`` = all N)
   holding the same submissions:

   * ``autograder grade-all assignment2 --execute`` (notebooks executed in the
     sandboxed kernel, as plain nbgrader does), parallel;
   * plain ``nbgrader autograde assignment2``: ONE command over the whole
     subset, as an instructor runs it (one process, students one after
     another, notebooks executed, hidden suites scoring the graded cells).

   When the subset is smaller than N, the time for N is the measured time per
   student x N, and the output labels it "extrapolated".

Every run regrades for real: ``--no-resume`` for grade-all and
``--HiddenSuiteGrades.reuse_saved_results=False`` for nbgrader, so no saved
hidden-suite result is reused.  Prints a table (rows "no notebook execution" /
"executes notebooks") with the ratios and writes ``bench-results/grade_all.json``.
Targets (issue 14, 2 idle cores): grade-all of 100 submissions without notebook
execution in under 3 minutes, and with notebook execution at least 3x faster than
plain nbgrader on the same students.
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


def build_course(course: Path, roster: list[tuple[str, str]]) -> None:
    """A scratch copy of this course, released, with ``roster``'s submissions handed in."""
    from autograder.course_demo import make_scratch_course
    from autograder.release import release
    from autograder.course import load_assignment
    from autograder.simulated_students import make_student

    if course.exists():
        shutil.rmtree(course)
    make_scratch_course(course, ROOT)
    rel = release(A, course, echo=lambda m: None)
    if getattr(rel, "findings", None):
        raise SystemExit(f"release leaks: {rel.findings}")
    for sid, kind in roster:
        dest = course / "submitted" / sid / A
        make_student(kind, sid, dest, load_assignment(A, course))
        (dest / "timestamp.txt").write_text("2026-01-01 12:00:00.000000 UTC")


def subset_of(roster: list[tuple[str, str]], k: int) -> list[tuple[str, str]]:
    """``k`` students holding every kind of the class (one of each first, then in roster order)."""
    if k <= 0 or k >= len(roster):
        return list(roster)
    firsts: dict[str, tuple[str, str]] = {}
    for sid, kind in roster:
        firsts.setdefault(kind, (sid, kind))
    if k < len(firsts):
        raise SystemExit(f"--subset {k} cannot hold all {len(firsts)} kinds of the class")
    picked = list(firsts.values())
    picked += [x for x in roster if x not in picked][: k - len(picked)]
    return sorted(picked)


def grade_all_cli(bindir: Path, course: Path, jobs: int, env: dict, *extra: str) -> dict:
    summary_json = course / f"grade-all-summary{'-'.join(extra)}.json"
    t = time.perf_counter()
    r = subprocess.run([str(bindir / "autograder"), "grade-all", A, "--root", str(course), "--jobs",
                        str(jobs), "--no-resume", "--summary-json", str(summary_json), *extra],
                       env=env, cwd=course)
    wall = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(f"grade-all {' '.join(extra)} failed (exit {r.returncode})")
    summary = json.loads(summary_json.read_text())
    return {"wall_seconds": wall, "graded": len(summary["graded"]), "failed": len(summary["failures"]),
            "failures": summary["failures"], "job_seconds": summary["job_seconds"]}


def nbgrader_autograde(bindir: Path, course: Path, env: dict) -> dict:
    """Plain ``nbgrader autograde assignment2`` over every submission of ``course``: one command."""
    from nbgrader.api import Gradebook

    t = time.perf_counter()
    r = subprocess.run([str(bindir / "nbgrader"), "autograde", A, "--force",
                        "--HiddenSuiteGrades.reuse_saved_results=False"],
                       env=env, cwd=course, capture_output=True, text=True)
    wall = time.perf_counter() - t
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        graded = sorted(s.student.id for s in gb.find_assignment(A).submissions)
    return {"wall_seconds": wall, "exit": r.returncode, "graded": len(graded),
            "log_tail": r.stderr[-2000:] if r.returncode else ""}


def main(argv=None) -> int:
    from autograder.course import load_assignment
    from autograder.simulated_students import class_roster

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=100)
    p.add_argument("--jobs", type=int, default=0, help="grade-all jobs (0: all cores)")
    p.add_argument("--subset", type=int, default=None,
                   help="students of the notebook-executing runs (default: one of every kind; 0: all)")
    p.add_argument("--out", type=Path, default=ROOT / "bench-results" / "grade_all.json")
    p.add_argument("--course", type=Path, default=ROOT / "bench-results" / "grade_all-course")
    p.add_argument("--keep", action="store_true", help="keep the scratch courses")
    args = p.parse_args(argv)

    bindir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    jobs = args.jobs or os.cpu_count() or 1
    roster = class_roster(load_assignment(A), args.students)
    n_kinds = len({k for _, k in roster})
    subset = subset_of(roster, n_kinds if args.subset is None else args.subset)
    n, k = len(roster), len(subset)
    full_course, sub_course = args.course, args.course.with_name(args.course.name + "-subset")

    t = time.perf_counter()
    build_course(full_course, roster)
    build_course(sub_course, subset)
    print(f"courses ready in {time.perf_counter() - t:.0f} s: {n} submissions in {full_course}, "
          f"{k} ({', '.join(sorted({kd for _, kd in subset}))}) in {sub_course}", flush=True)

    print(f"\n[1/3] autograder grade-all, {n} submissions, no notebook execution", flush=True)
    ga = grade_all_cli(bindir, full_course, jobs, env)
    print(f"[2/3] autograder grade-all --execute, {k} submissions", flush=True)
    gx = grade_all_cli(bindir, sub_course, jobs, env, "--execute")
    print(f"[3/3] nbgrader autograde {A} (one command), {k} submissions", flush=True)
    nb = nbgrader_autograde(bindir, sub_course, env)
    if nb["exit"] != 0:
        print(f"nbgrader autograde exited {nb['exit']} (a student it could not grade, e.g. the "
              f"unreadable notebook); its time still counts:\n{nb['log_tail'][-600:]}", flush=True)

    extrapolated = k < n
    nb_per = nb["wall_seconds"] / k
    gx_per = gx["wall_seconds"] / k
    nb_for_n = nb_per * n
    gx_for_n = gx_per * n
    per_min = lambda wall, count: 60.0 * count / wall if wall > 0 else 0.0  # noqa: E731
    result = {
        "students": n, "subset_students": k, "subset": [sid for sid, _ in subset],
        "subset_extrapolated_to_all": extrapolated,
        "cores": os.cpu_count(), "jobs": jobs, "machine": platform.platform(),
        "load_average_at_end": os.getloadavg(),
        "no_notebook_execution": {
            "grade_all": dict(ga, students=n, seconds_per_submission=ga["wall_seconds"] / n,
                              submissions_per_minute=per_min(ga["wall_seconds"], n)),
        },
        "executes_notebooks": {
            "grade_all_execute": dict(gx, students=k, seconds_per_submission=gx_per,
                                      submissions_per_minute=per_min(gx["wall_seconds"], k),
                                      seconds_for_all=gx_for_n, seconds_for_all_extrapolated=extrapolated),
            "nbgrader_autograde": dict(nb, students=k, seconds_per_submission=nb_per,
                                       submissions_per_minute=per_min(nb["wall_seconds"], k),
                                       seconds_for_all=nb_for_n, seconds_for_all_extrapolated=extrapolated),
        },
        "ratios": {
            "nbgrader_over_grade_all": nb_for_n / ga["wall_seconds"],
            "nbgrader_over_grade_all_execute": nb["wall_seconds"] / gx["wall_seconds"],
        },
        "targets": {"execute_speedup_at_least": 3.0, "wall_seconds_at_most": 180.0},
    }
    result["targets_met"] = {
        "execute_speedup": result["ratios"]["nbgrader_over_grade_all_execute"] >= 3.0,
        "under_3_min": ga["wall_seconds"] <= 180.0}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))

    ex = " (extrapolated)" if extrapolated else ""
    row = "  {:<44}{:>9}{:>11}{:>11}{:>10}   {:<26}"
    print()
    print(row.format("", "students", "wall (s)", "s/student", "subs/min", f"for {n} (s)"))
    print("no notebook execution")
    print(row.format(f"autograder grade-all ({jobs} jobs)", n, f"{ga['wall_seconds']:.1f}",
                     f"{ga['wall_seconds'] / n:.2f}", f"{per_min(ga['wall_seconds'], n):.1f}",
                     f"{ga['wall_seconds']:.1f}"))
    print("executes notebooks")
    print(row.format(f"autograder grade-all --execute ({jobs} jobs)", k, f"{gx['wall_seconds']:.1f}",
                     f"{gx_per:.2f}", f"{per_min(gx['wall_seconds'], k):.1f}", f"{gx_for_n:.1f}{ex}"))
    print(row.format(f"nbgrader autograde {A} (1 command)", k, f"{nb['wall_seconds']:.1f}",
                     f"{nb_per:.2f}", f"{per_min(nb['wall_seconds'], k):.1f}", f"{nb_for_n:.1f}{ex}"))
    print("ratios")
    print(f"  plain nbgrader (for {n}{ex}) / grade-all (no execution, {n}): "
          f"{result['ratios']['nbgrader_over_grade_all']:.1f}x")
    print(f"  plain nbgrader / grade-all --execute (same {k} students): "
          f"{result['ratios']['nbgrader_over_grade_all_execute']:.1f}x (target >= 3x)")
    print(f"  grade-all: {n} submissions in {ga['wall_seconds'] / 60:.1f} min (target < 3 min); "
          f"failed: {ga['failed']} (no execution), {gx['failed']} (--execute)")
    print(f"wrote {args.out}")
    if not args.keep:
        shutil.rmtree(full_course, ignore_errors=True)
        shutil.rmtree(sub_course, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
