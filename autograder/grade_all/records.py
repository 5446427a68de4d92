"""The records grade-all passes between its stages.

The parent makes a :class:`GradeJob` a student; a job process grades it and
returns a :class:`JobResult` holding the :class:`StudentGrades` nbgrader wrote;
the parent merges those into the course gradebook, writes a :class:`DoneMarker`
and adds the student to the run's :class:`RunSummary`.  The records cross a
process boundary as JSON only (``to_json`` / ``from_json``: the job file and the
result file of :mod:`.dispatch` and :mod:`.job_server`, the marker file of
:mod:`.resume`); everywhere else they are these typed objects.

A job-side option is a trait of :class:`~autograder.grade_all.options.GradeAll`
and a field of the same name in :class:`JobOptions` (copied by name); the
code that uses it reads ``job.options.<name>``.
"""
from __future__ import annotations

import dataclasses
import json
from typing import Any


def _load(cls, data: dict[str, Any]):
    """``cls(**data)`` with only the fields ``cls`` has (a record written by another version)."""
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


@dataclasses.dataclass(frozen=True)
class JobOptions:
    """The grade-all options one job needs, resolved by the parent (``GradeAll`` traits of the
    same names: the course's ``c.GradeAll.*``, overridden by the command's flags)."""

    execute_notebooks: bool  # also run nbgrader's Execute preprocessor (the sandboxed kernel)
    parts: list[str] | None  # grade only these grade_ids (sorted); None: all
    resume: bool  # False: regrade for real, never reuse a saved hidden-suite result
    job_timeout: int  # seconds the job may take before its process is killed; 0: no limit
    slot_base: int  # first sandbox slot the job may take
    max_slots: int  # number of sandbox slots on this machine

    @classmethod
    def from_options(cls, options) -> JobOptions:
        """The fields' values from a ``GradeAll`` (or any object with these attributes)."""
        return cls(**{f.name: getattr(options, f.name) for f in dataclasses.fields(cls)})


@dataclasses.dataclass(frozen=True)
class GradeJob:
    """One student's grading, as the parent hands it to a job process."""

    course_root: str  # the course folder (the same path on every machine that grades)
    assignment: str
    student: str
    submission_hash: str  # resume.submission_hash of submitted/<student>/<assignment>/
    snapshot: str  # the gradebook snapshot the job copies into its private gradebook
    options: JobOptions
    workdir: str = ""  # the job process's private folder, set by dispatch.grade_one

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> GradeJob:
        data = json.loads(text)
        data["options"] = _load(JobOptions, data["options"])
        return _load(cls, data)


@dataclasses.dataclass(frozen=True)
class GradeEntry:
    """One graded cell's grade as nbgrader's autograde wrote it."""

    name: str  # the cell's grade_id
    auto_score: float | None
    max_score: float
    needs_manual_grade: bool


@dataclasses.dataclass(frozen=True)
class CommentEntry:
    """One cell's automatic comment (the reason of an unreadable notebook, or nbgrader's)."""

    name: str
    auto_comment: str | None


@dataclasses.dataclass(frozen=True)
class NotebookGrades:
    """What autograde wrote for one notebook of a submission."""

    name: str  # without .ipynb, as nbgrader names notebooks
    late_submission_penalty: float | None
    grades: list[GradeEntry]
    comments: list[CommentEntry]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NotebookGrades:
        return cls(name=data["name"], late_submission_penalty=data.get("late_submission_penalty"),
                   grades=[_load(GradeEntry, g) for g in data.get("grades", [])],
                   comments=[_load(CommentEntry, c) for c in data.get("comments", [])])


@dataclasses.dataclass(frozen=True)
class StudentGrades:
    """Everything nbgrader's autograde wrote for one student's submission: what the parent
    merges into the course gradebook (the fields ``SaveAutoGrades`` and
    ``AssignLatePenalties`` write)."""

    timestamp: str | None  # the submission's timestamp, ISO 8601
    notebooks: list[NotebookGrades]
    score: float
    max_score: float

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StudentGrades:
        return cls(timestamp=data.get("timestamp"),
                   notebooks=[NotebookGrades.from_dict(nb) for nb in data.get("notebooks", [])],
                   score=data["score"], max_score=data["max_score"])


@dataclasses.dataclass
class JobResult:
    """What one job reports back: the grades, or why there are none.  A job never raises;
    a failure is ``error`` (one line for the run's summary)."""

    student: str
    grades: StudentGrades | None = None  # None: the student was not graded
    error: str = ""
    notes: dict[str, str] = dataclasses.field(default_factory=dict)  # notebook file -> why it was replaced
    traceback: str = ""  # of the exception that failed the job, for debugging
    autograde_seconds: float = 0.0  # nbgrader's autograde, in the job process
    seconds: float | None = None  # the whole job, as the parent's dispatcher saw it

    @property
    def ok(self) -> bool:
        return self.grades is not None and not self.error

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> JobResult:
        data = json.loads(text)
        if data.get("grades") is not None:
            data["grades"] = StudentGrades.from_dict(data["grades"])
        return _load(cls, data)


@dataclasses.dataclass(frozen=True)
class DoneMarker:
    """``.grade-all/<assignment>/<student>.json``: this student's grades are in the gradebook,
    for this submission (``hash``) and this course (``course``: resume.course_fingerprint)."""

    student: str
    hash: str
    course: str
    score: float | None
    max_score: float | None
    graded_at: float  # time.time()
    parts: list[str] | None
    execute_notebooks: bool
    notes: str  # the run summary's note (unreadable notebooks), "" if none

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> DoneMarker:
        return _load(cls, json.loads(text))


@dataclasses.dataclass
class RunSummary:
    """What one ``grade-all`` run did (``--summary-json`` writes :meth:`to_dict`)."""

    assignment: str
    students: list[str]
    graded: list[str] = dataclasses.field(default_factory=list)
    skipped: list[str] = dataclasses.field(default_factory=list)
    failures: dict[str, str] = dataclasses.field(default_factory=dict)
    notes: dict[str, str] = dataclasses.field(default_factory=dict)  # graded, with a remark (unreadable notebook)
    scores: dict[str, float] = dataclasses.field(default_factory=dict)
    job_seconds: dict[str, float] = dataclasses.field(default_factory=dict)  # per graded student
    wall_seconds: float = 0.0
    jobs: int = 1
    executor: str = "local"

    @property
    def per_minute(self) -> float:
        return 60.0 * len(self.graded) / self.wall_seconds if self.wall_seconds > 0 else 0.0

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["per_minute"] = self.per_minute
        return d
