"""Grade a whole class: every ``submitted/<student>/<assignment>/`` of an nbgrader course.

How this relates to ``nbgrader autograde``
------------------------------------------
Each job *is* nbgrader's own autograde of one student
(``NbGraderAPI.autograde(assignment, student, force=True)``) with the course's
``nbgrader_config.py``, run in a fresh Python process of its own, forked by
a job server that has nbgrader and pytest imported already (nbgrader and
pytest change process-wide state, so two gradings never share a process).
Three things differ:

* **a private gradebook per job.**  nbgrader's SQLite gradebook does not
  tolerate concurrent writers, so a job autogrades against a private copy of a
  snapshot of the course gradebook (taken once by the parent, after it has
  created every student), reads the grades, comments and late penalties that
  nbgrader wrote into that copy, and returns them *as data*.  Only the parent
  process writes the course gradebook, serially, with nbgrader's
  :class:`~nbgrader.api.Gradebook` API -- the same fields ``SaveAutoGrades`` and
  ``AssignLatePenalties`` write.  The autograded notebooks land in
  ``autograded/<student>/<assignment>/`` exactly where nbgrader puts them, so
  ``nbgrader generate_feedback`` and ``nbgrader export`` work unchanged.
* **a staged copy of the submission.**  nbgrader reads a private copy of
  ``submitted/<student>/<assignment>/`` (which stays the untouched record of
  what was handed in); a notebook nbgrader cannot read, or one not handed in,
  is the released one there, so the student's package code and other
  notebooks are still graded, and that notebook's written answers score 0 with
  the reason as their comment.
* **the hidden suite decides, notebooks are not re-executed** (the default;
  ``--execute`` keeps nbgrader's notebook execution in the sandboxed kernel).
  The course's autograde pipeline already scores every graded cell from the
  hidden pytest suite (``HiddenSuiteGrades``, right before ``SaveAutoGrades``),
  so a job only switches nbgrader's ``Execute`` preprocessor off; sanitizing,
  restoring graded cells, ``SaveAutoGrades`` and late penalties run as
  configured, and each job gets its own sandbox slot.  Executing a notebook
  takes longer than grading it and never changes an autograded score, so
  skipping it is most of the speed-up over plain ``nbgrader autograde``;
  parallel jobs do the rest.  (Manually graded answers are untouched either
  way: nbgrader scores them from the cell's text, not its execution.)

The modules, one job each
-------------------------
* :mod:`.options` -- ``GradeAll``: the ``c.GradeAll.*`` traits (and their defaults);
* :mod:`.records` -- the typed records passed between the stages: ``GradeJob``
  (with its ``JobOptions``), ``JobResult``, ``StudentGrades``, ``DoneMarker``,
  ``RunSummary``; JSON only at process boundaries;
* :mod:`.run` -- :func:`grade_all`, the parent: the only writer of the gradebook;
* :mod:`.resume` -- submission hashes, the course fingerprint, done-markers;
* :mod:`.gradebook` -- where the gradebook is, its snapshot, reading a job's
  grades out of its private copy and merging them into the course's;
* :mod:`.executors` -- ``local`` (grading processes on this machine) or ``dask``;
* :mod:`.dispatch` -- one job to a job server, its result back (``grade_one``);
* :mod:`.job_server` -- the server process that forks a fresh process a job;
* :mod:`.job` -- in that process: nbgrader's autograde of one student;
* :mod:`.staging` -- the private copy of a submission nbgrader reads.
"""
from __future__ import annotations

from .options import GradeAll
from .records import RunSummary
from .run import grade_all

__all__ = ["GradeAll", "RunSummary", "grade_all"]
