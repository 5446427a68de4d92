"""``autograder grade-all ASSIGNMENT``: grade every submission of the nbgrader course.

See :mod:`autograder.grade_all` for how this relates to ``nbgrader autograde``
(each job is nbgrader's own autograde of one student on a private gradebook
copy; only this process writes the course gradebook).  The flags override the
``c.GradeAll.*`` traits of the same names (:mod:`autograder.grade_all.options`).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def run(args: argparse.Namespace) -> int:
    from nbgrader.api import MissingEntry

    from autograder.grade_all import grade_all

    try:
        summary = grade_all(
            args.assignment, args.root, jobs=args.jobs, executor=args.executor,
            scheduler=args.scheduler, resume=args.resume, execute_notebooks=args.execute,
            parts=args.part, students=args.student, job_timeout=args.timeout,
            progress=not args.no_progress,
        )
    except KeyboardInterrupt:
        print("\nautograder: interrupted; every grading process was stopped. Students graded so far "
              "keep their grades: run the same command again to grade the rest.", file=sys.stderr)
        return 130
    except MissingEntry:
        print(f"autograder: {args.assignment} is not in the gradebook; run "
              f"'autograder release {args.assignment}' (nbgrader generate_assignment) first",
              file=sys.stderr)
        return 2
    except ValueError as e:
        print(f"autograder: {e}", file=sys.stderr)
        return 2
    s = summary
    print(f"{s.assignment}: {len(s.students)} submissions, graded {len(s.graded)}, "
          f"skipped (already graded, unchanged) {len(s.skipped)}, failed {len(s.failures)}; "
          f"{s.wall_seconds:.1f} s with {s.jobs} {s.executor} job(s)"
          + (f", {s.per_minute:.1f} submissions/min" if s.graded else ""))
    if s.notes:
        print("\nGraded, with a note (also in the student's feedback):")
        for student, note in sorted(s.notes.items()):
            print(f"  {student}: {note}")
    if s.failures:
        print("\nNot graded (no grades written; re-run grade-all after fixing):")
        for student, reason in sorted(s.failures.items()):
            print(f"  {student}: {reason.splitlines()[0] if reason else 'unknown error'}")
    if args.summary_json:
        import json

        Path(args.summary_json).write_text(json.dumps(s.to_dict(), indent=1))
    return 1 if s.failures and args.strict else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "grade-all", help="grade every submitted/<student>/<assignment>/ in parallel into the gradebook",
        description="Autograde every submission of an nbgrader course in parallel worker processes "
                    "(or on a Dask cluster), writing nbgrader's gradebook from this process only. "
                    "Resumable: students whose submission and course (hidden suites, reference, notebooks, "
                    "options) are unchanged since they were graded are skipped. "
                    "Defaults come from c.GradeAll.* in nbgrader_config.py.")
    p.add_argument("assignment", help="assignment name (a folder of grading_tests/ with an assignment.toml)")
    p.add_argument("--root", type=Path, default=None, help="course directory (default: this course)")
    p.add_argument("--jobs", "-j", type=int, default=None, help="parallel jobs (default: all cores)")
    p.add_argument("--executor", choices=["local", "dask"], default=None,
                   help="local worker processes (default) or an existing Dask cluster")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (with --executor dask)")
    p.add_argument("--resume", action=argparse.BooleanOptionalAction, default=None,
                   help="skip students already graded with the same submission (default: on)")
    p.add_argument("--execute", action=argparse.BooleanOptionalAction, default=None,
                   help="also execute the notebooks in the sandboxed kernel, as plain nbgrader "
                        "autograde does (default: off; the hidden suites score either way)")
    p.add_argument("--timeout", type=int, default=None, metavar="SECONDS",
                   help="stop one student's grading after this long and list it as failed "
                        "(default: c.GradeAll.job_timeout, 3600; 0 = no limit)")
    p.add_argument("--part", action="append", metavar="GRADE_ID", default=None,
                   help="grade only this part (repeatable; other parts score 0)")
    p.add_argument("--student", action="append", metavar="ID", default=None,
                   help="grade only this student (repeatable)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--summary-json", metavar="PATH", help="write the run's summary as JSON")
    p.add_argument("--strict", action="store_true", help="exit 1 when any submission failed")
    p.set_defaults(func=run)
