"""One student's grading, in the job process: nbgrader's own autograde.

:func:`grade_here` runs ``NbGraderAPI.autograde(assignment, student)`` with the
course's ``nbgrader_config.py`` (:func:`job_config`), against a private copy of
the course gradebook snapshot, on a private *staged* copy of the submission
(:func:`~.staging.stage_submission`), in a sandbox slot of its own.  It returns
a :class:`~.records.JobResult` holding the grades and comments nbgrader wrote,
as data (:func:`~.gradebook.read_grades`); the parent alone writes the course
gradebook.  It runs in a fresh process forked by a job server
(:mod:`.job_server`), because nbgrader's autograde changes process-wide state
and ``pytest.main`` is not re-entrant.

Unless ``execute_notebooks``, nbgrader's ``Execute`` preprocessor is switched
off: the course's autograde pipeline scores every graded cell from the hidden
pytest suite (``HiddenSuiteGrades``, right before ``SaveAutoGrades``), so
executing the notebooks would never change an autograded score.
"""
from __future__ import annotations

import os
import shutil
import time
import traceback
from pathlib import Path

from .records import GradeJob, JobResult


def autograde_preprocessors_with_hidden_suite() -> list[type]:
    """nbgrader's own default autograde preprocessors (the ``Autograde`` trait's default),
    with ``HiddenSuiteGrades`` right before ``SaveAutoGrades``."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import SaveAutoGrades

    from autograder.nbgrader_integration.hidden_suite_grades import HiddenSuiteGrades

    preprocessors = list(Autograde.class_traits()["autograde_preprocessors"].default())
    preprocessors.insert(preprocessors.index(SaveAutoGrades), HiddenSuiteGrades)
    return preprocessors


def job_config(job: GradeJob, db_url: str, slot: int, staged_submitted: Path):
    """The course's nbgrader config for one job: private gradebook, staged submission,
    own sandbox slot, and (unless ``execute_notebooks``) nbgrader's Execute switched off."""
    from traitlets.utils.importstring import import_item

    from autograder.config import course_config
    from autograder.nbgrader_integration.hidden_suite_grades import HiddenSuiteGrades

    config = course_config(job.course_root)
    config.CourseDirectory.db_url = db_url
    # nbgrader joins it onto the root; an absolute folder replaces ``submitted/``
    config.CourseDirectory.submitted_directory = str(staged_submitted)
    config.HiddenSuiteGrades.slot = slot
    config.SandboxedKernelManager.slot = slot
    if job.options.parts is not None:
        config.HiddenSuiteGrades.parts = list(job.options.parts)
    if not job.options.resume:  # --no-resume: regrade for real, no saved hidden-suite result
        config.HiddenSuiteGrades.reuse_saved_results = False
    if not job.options.execute_notebooks:
        config.Execute.enabled = False  # also SandboxedExecute (a subclass): the hidden suite scores
    # the graded cells must be scored by the hidden suite whatever the course file says
    pps = [import_item(pp) if isinstance(pp, str) else pp  # a course may name them as strings
           for pp in config.Autograde.get("autograde_preprocessors", []) or []]
    if not any(isinstance(pp, type) and issubclass(pp, HiddenSuiteGrades) for pp in pps):
        config.Autograde.autograde_preprocessors = autograde_preprocessors_with_hidden_suite()
    return config


def summarise_nbgrader_error(res: dict) -> str:
    """The most telling line of nbgrader's log: the last exception raised, else the last error."""
    import re

    text = (res.get("error") or "") + "\n" + (res.get("log") or "")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    exc = [ln for ln in lines if re.match(r"^[\w.]*(Error|Exception|Invalid\w*)\b.*:", ln)]
    errs = [ln for ln in lines if "[ERROR]" in ln and "see the" not in ln]
    pick = (exc or errs or lines or ["nbgrader autograde failed"])[-1]
    return "nbgrader autograde failed: " + pick[:300]


def grade_here(job: GradeJob) -> JobResult:
    """Autograde one student in this process; never raises."""
    from autograder.course import load_assignment
    from autograder.sandbox.slots import acquire_slot

    from .gradebook import read_grades
    from .staging import stage_submission, unreadable_comments

    t0 = time.perf_counter()
    root = Path(job.course_root)
    assignment, student = job.assignment, job.student
    work = Path(job.workdir)
    out = JobResult(student=student)
    try:
        submitted = root / "submitted" / student / assignment
        if not submitted.is_dir():
            raise FileNotFoundError(f"no submission at {submitted}")
        staged_root = work / "submitted"
        db_path = work / "gradebook.db"
        shutil.copyfile(job.snapshot, db_path)
        db_url = f"sqlite:///{db_path}"
        with acquire_slot(job.options.slot_base, job.options.max_slots) as slot:
            from nbgrader.apps import NbGraderAPI
            from nbgrader.coursedir import CourseDirectory

            config = job_config(job, db_url, slot, staged_root)
            coursedir = CourseDirectory(config=config)
            released = Path(coursedir.root) / coursedir.release_directory / assignment
            package = load_assignment(assignment, root).package
            out.notes = stage_submission(submitted, staged_root / student / assignment, released, package)
            os.chdir(root)  # nbgrader resolves relative paths and runs hooks from the course root
            api = NbGraderAPI(coursedir=coursedir, config=config)
            res = api.autograde(assignment, student, force=True, create=True)
        if res.get("success"):
            out.grades = read_grades(db_url, assignment, student, unreadable_comments(out.notes, package))
        else:
            out.error = summarise_nbgrader_error(res)
    except BaseException as e:  # noqa: BLE001 -- a job reports, never raises
        out.error = f"{type(e).__name__}: {e}"
        out.traceback = traceback.format_exc(limit=8)
    out.autograde_seconds = time.perf_counter() - t0
    return out
