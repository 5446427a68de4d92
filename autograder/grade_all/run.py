"""The parent of a grade-all run: the only writer of the course gradebook.

:func:`grade_all` lists the students, creates them in the gradebook, skips
those whose done-marker matches (:mod:`.resume`), snapshots the gradebook,
hands one :class:`~.records.GradeJob` a student to an executor
(:mod:`.executors`), and for each :class:`~.records.JobResult` merges the
grades into the course gradebook (:func:`~.gradebook.write_grades`) and
writes the student's done-marker.  Failures (a job raised, nbgrader reported
an error, a grading process died or ran out of time) never stop the run; they
get no marker and are listed in the :class:`~.records.RunSummary` with their
reasons.
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable

from .options import GradeAll
from .records import DoneMarker, GradeJob, JobOptions, JobResult, RunSummary


class _Progress:
    def __init__(self, total: int, enabled: bool):
        self.bar = None
        if enabled and total:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="student", desc="grading", dynamic_ncols=True,
                            file=sys.stderr, smoothing=0.1)

    def update(self, student: str, ok: bool) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(f"{'ok' if ok else 'FAILED'} {student}", refresh=False)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def resolve_options(config, options: dict[str, Any]) -> GradeAll:
    """``GradeAll`` from the course's ``c.GradeAll.*`` with ``options`` (trait names; None
    keeps the course's value) on top."""
    from autograder.config import with_overrides

    unknown = sorted(set(options) - set(GradeAll.option_names()))
    if unknown:
        raise TypeError(f"grade_all() got unknown options {unknown}; known: {GradeAll.option_names()}")
    if options.get("parts") is not None:
        options = dict(options, parts=sorted(options["parts"]))
    opts = GradeAll(config=with_overrides(config, "GradeAll", **options))
    if opts.parts is not None:
        opts.parts = sorted(opts.parts)
    if opts.jobs <= 0:
        opts.jobs = os.cpu_count() or 1
    if opts.executor == "dask" and not opts.scheduler:
        raise ValueError("--executor dask needs --scheduler ADDRESS (or c.GradeAll.scheduler)")
    return opts


def grade_all(
    assignment: str,
    root: Path | None = None,
    *,
    students: Iterable[str] | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    **options: Any,
) -> RunSummary:
    """Grade every submission of ``assignment`` in the nbgrader course at ``root``.

    ``options`` are ``GradeAll`` traits (``jobs``, ``executor``, ``scheduler``,
    ``resume``, ``execute_notebooks``, ``parts``, ``job_timeout``, ``slot_base``,
    ``max_slots``); one left out or None takes its value from ``c.GradeAll.*`` in
    the course's ``nbgrader_config.py``, else the trait's default.  ``students``:
    only these (default: every ``submitted/<student>/<assignment>/``).
    """
    from nbgrader.api import Gradebook

    from autograder.config import load_course_config
    from autograder.course import load_assignment
    from autograder.paths import course_root

    from .gradebook import course_db_url, make_snapshot, write_grades
    from .resume import (course_fingerprint, find_students, read_marker, state_dir, submission_dir,
                         submission_hash, write_marker)
    from .staging import notes_text

    root = Path(root or course_root()).resolve()
    config = load_course_config(root)
    spec = load_assignment(assignment, root)
    opts = resolve_options(config, options)
    job_options = JobOptions.from_options(opts)
    say = log or (lambda m: print(m, file=sys.stderr))

    everyone = find_students(root, assignment)
    if students is not None:
        wanted = set(students)
        everyone = [s for s in everyone if s in wanted]
    summary = RunSummary(assignment, everyone, jobs=opts.jobs, executor=opts.executor)
    t0 = time.perf_counter()

    db_url, course_id = course_db_url(root)
    with Gradebook(db_url, course_id) as gb:
        gb.find_assignment(assignment)  # MissingEntry: run generate_assignment first
        for s in everyone:  # students exist before the snapshot: jobs never create rows we merge
            gb.update_or_create_student(s)
        in_gradebook = {sub.student.id for sub in gb.find_assignment(assignment).submissions}

    course_fp = course_fingerprint(root, assignment, config, parts=opts.parts,
                                   execute_notebooks=opts.execute_notebooks)
    todo: list[GradeJob] = []
    snapshot = state_dir(root, assignment) / "gradebook-snapshot.db"
    hashes = {}
    stale_course = 0
    for s in everyone:
        h = submission_hash(submission_dir(root, assignment, s))
        hashes[s] = h
        marker = read_marker(root, assignment, s) if opts.resume else None
        if marker and marker.hash == h and s in in_gradebook:  # a reset gradebook regrades
            if marker.course == course_fp:
                summary.skipped.append(s)
                summary.scores[s] = marker.score or 0.0
                if marker.notes:
                    summary.notes[s] = marker.notes
                continue
            stale_course += 1
        todo.append(GradeJob(course_root=str(root), assignment=assignment, student=s, submission_hash=h,
                             snapshot=str(snapshot), options=job_options))
    if summary.skipped:
        say(f"resume: {len(summary.skipped)} student(s) already graded with the same submission "
            f"and course, skipped")
    if stale_course:
        say(f"resume: {stale_course} unchanged submission(s) regraded: the hidden suites, reference, "
            f"notebooks, grading options or grader changed since they were graded")
    if not todo:
        summary.wall_seconds = time.perf_counter() - t0
        return summary

    # the reference's own call times (autograder.calibration), measured once here when this
    # machine has none for this course version, rather than by every job at once
    from autograder.calibration import call_limits
    from autograder.runner import make_sandbox

    call_limits(spec, make_sandbox(config, root, spec.hidden_site_paths), config)
    make_snapshot(db_url, snapshot)
    bar = _Progress(len(todo), progress)
    lock = threading.Lock()

    def on_result(res: JobResult) -> None:
        s = res.student
        with lock:  # the parent alone writes the gradebook, one student at a time
            if res.seconds:
                summary.job_seconds[s] = res.seconds
            ok, error = res.ok, res.error
            if ok:
                try:
                    with Gradebook(db_url, course_id) as gb:
                        write_grades(gb, assignment, s, res.grades)
                    notes = notes_text(res.notes, spec.package)
                    write_marker(root, assignment, DoneMarker(
                        student=s, hash=hashes[s], course=course_fp, score=res.grades.score,
                        max_score=res.grades.max_score, graded_at=time.time(), parts=opts.parts,
                        execute_notebooks=opts.execute_notebooks, notes=notes))
                    summary.graded.append(s)
                    summary.scores[s] = res.grades.score or 0.0
                    if notes:
                        summary.notes[s] = notes
                except Exception as e:  # noqa: BLE001
                    ok = False
                    error = f"writing the gradebook failed: {type(e).__name__}: {e}"
            if not ok:
                summary.failures[s] = error or "unknown error"
            bar.update(s, ok)

    from .executors import run_dask, run_local

    try:
        if opts.executor == "dask":
            run_dask(todo, opts.scheduler, on_result)
        else:
            run_local(todo, min(opts.jobs, len(todo)), on_result)
    finally:
        bar.close()
        with contextlib.suppress(OSError):
            snapshot.unlink()
    summary.wall_seconds = time.perf_counter() - t0
    return summary
