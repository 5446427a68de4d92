"""grade-all and nbgrader's gradebook: where it is, a snapshot for the jobs, and the two
directions between a gradebook and :class:`~.records.StudentGrades`.

nbgrader's SQLite gradebook does not tolerate concurrent writers, so each job
autogrades against a private copy of a snapshot (:func:`make_snapshot`, taken
once by the parent), and :func:`read_grades` turns what nbgrader wrote there
into data; only the parent writes the course gradebook (:func:`write_grades`),
one student at a time, with nbgrader's :class:`~nbgrader.api.Gradebook` API.
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from .records import CommentEntry, GradeEntry, NotebookGrades, StudentGrades


def course_db_url(root: Path) -> tuple[str, str]:
    """(``CourseDirectory.db_url``, ``CourseDirectory.course_id``) of the course at ``root``:
    as ``nbgrader_config.py`` sets them, else nbgrader's defaults."""
    from autograder.config import course_directory

    coursedir = course_directory(root)
    return coursedir.db_url, coursedir.course_id


def _sqlite_path(db_url: str) -> Path:
    if not db_url.startswith("sqlite:///"):
        raise ValueError(f"grade-all needs an SQLite gradebook (got {db_url!r})")
    return Path(db_url[len("sqlite:///"):])


def make_snapshot(db_url: str, dest: Path) -> None:
    """A consistent copy of the course gradebook (sqlite3's online backup)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".tmp")
    src = sqlite3.connect(str(_sqlite_path(db_url)))
    try:
        dst = sqlite3.connect(str(tmp))
        with dst:
            src.backup(dst)
        dst.close()
    finally:
        src.close()
    os.replace(tmp, dest)


def read_grades(db_url: str, assignment: str, student: str,
                comments: dict[str, str] | None = None) -> StudentGrades:
    """What nbgrader's autograde wrote for one student into the gradebook at ``db_url``.
    ``comments``: notebook file name -> the comment every cell of it gets instead of
    nbgrader's (the reason a notebook was replaced)."""
    from nbgrader.api import Gradebook

    comments = comments or {}
    with Gradebook(db_url) as gb:
        sub = gb.find_submission(assignment, student)
        notebooks = []
        for nb in sub.notebooks:
            comment = comments.get(f"{nb.name}.ipynb")
            notebooks.append(NotebookGrades(
                name=nb.name,
                late_submission_penalty=nb.late_submission_penalty,
                grades=[GradeEntry(name=g.name, auto_score=g.auto_score, max_score=g.max_score,
                                   needs_manual_grade=g.needs_manual_grade) for g in nb.grades],
                comments=[CommentEntry(name=c.name, auto_comment=comment or c.auto_comment)
                          for c in nb.comments],
            ))
        return StudentGrades(timestamp=sub.timestamp.isoformat() if sub.timestamp else None,
                             notebooks=notebooks, score=sub.score, max_score=sub.max_score)


def write_grades(gb, assignment: str, student: str, grades: StudentGrades) -> None:
    """Merge one job's grades into the course gradebook ``gb`` (what SaveAutoGrades and
    AssignLatePenalties write); manual scores a grader entered are kept."""
    import warnings
    from datetime import datetime

    ts = datetime.fromisoformat(grades.timestamp) if grades.timestamp else None
    gb.update_or_create_student(student)
    with warnings.catch_warnings():  # nbgrader's own add_submission trips SQLAlchemy's autoflush warning
        warnings.simplefilter("ignore")
        _write_grades(gb, assignment, student, grades, ts)


def _write_grades(gb, assignment: str, student: str, grades: StudentGrades, ts) -> None:
    if ts is not None:
        gb.update_or_create_submission(assignment, student, timestamp=ts)
    else:
        gb.update_or_create_submission(assignment, student)
    for nb in grades.notebooks:
        snb = gb.find_submission_notebook(nb.name, assignment, student)
        snb.late_submission_penalty = nb.late_submission_penalty
        for g in nb.grades:
            grade = gb.find_grade(g.name, nb.name, assignment, student)
            grade.auto_score = g.auto_score
            grade.needs_manual_grade = bool(grade.manual_score is not None or grade.auto_score is None
                                            or g.needs_manual_grade)
        for c in nb.comments:
            comment = gb.find_comment(c.name, nb.name, assignment, student)
            comment.auto_comment = c.auto_comment
    gb.db.commit()
