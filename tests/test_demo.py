"""``autograder demo``'s course cycle (:func:`autograder.course_demo.run_demo`) with one
simulated student of every kind: nbgrader's exchange (submit + collect), grade-all,
generate_feedback, export, the gradebook table and plot -- and idempotent when run again.

Parts are restricted to the five parts the planted bugs break (the others score 0
for everyone) to keep it fast.
"""
from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest

from dataclasses import replace

from autograder.course import load_assignment
from autograder.course_demo import run_demo
from autograder.paths import solutions_dir
from autograder.simulated_students import (BugNotPlanted, bug_parts, class_roster, kinds, make_student,
                                           meets_expectation, pwned_mark)

A = "assignment2"
SPEC = load_assignment(A)
ROSTER = class_roster(SPEC)  # one student of every kind
BUG_PARTS = bug_parts(SPEC)
PARTS = sorted(BUG_PARTS.values())  # affine_forward, relu_backward, dropout_forward, sgd_momentum, adam
KIND = {sid: kind for sid, kind in ROSTER}
SID = {kind: sid for sid, kind in ROSTER}


def _csv_rows(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    course = tmp_path_factory.mktemp("demo") / "demo-course"
    pwned = Path("/tmp/pwned-by-student")
    before = pwned.read_bytes() if pwned.is_file() else None
    first = run_demo(course, A, roster=ROSTER, jobs=2, parts=PARTS, say=lambda m: None, progress=False)
    after = pwned.read_bytes() if pwned.is_file() else None
    return {"course": course, "first": first, "rows": {r["student"]: r for r in first.rows},
            "pwned_before": before, "pwned_after": after}


def _grades(row: dict) -> dict[str, tuple[float, float]]:
    return {k: v for k, v in row["autograded"].items() if k in PARTS}


def test_every_kind_is_handed_in_and_graded(demo):
    first, course = demo["first"], demo["course"]
    assert set(KIND.values()) == set(kinds(SPEC))
    assert sorted(first.submitted) == sorted(KIND)  # through nbgrader's exchange
    assert sorted(p.name for p in (course / "submitted").iterdir()) == sorted(KIND)
    assert first.summary.failures == {}
    assert sorted(first.summary.graded) == sorted(KIND)
    for sid, row in demo["rows"].items():
        assert meets_expectation(KIND[sid], _grades(row), SPEC), (sid, _grades(row))


def test_reference_full_untouched_zero_partial_between(demo):
    rows = demo["rows"]
    full = sum(m for _, m in _grades(rows[SID["reference"]]).values())
    assert full == pytest.approx(2 + 1 + 2 + 2 + 3)  # the five parts' points
    assert rows[SID["reference"]]["score"] == pytest.approx(full)
    assert rows[SID["untouched"]]["score"] == 0.0
    assert 0.0 < rows[SID["partial"]]["score"] < full


def test_each_bug_is_planted_and_loses_points_on_its_own_part(demo):
    course, rows = demo["course"], demo["rows"]
    reference = solutions_dir(A, course) / "cs231n"
    for bug in SPEC.demo.bugs:
        kind, fname, old, new = bug.name, bug.file, bug.old, bug.new
        sid = SID[kind]
        text = (reference / fname).read_text()
        head, _, tail = text.rpartition(old)
        assert (course / "submitted" / sid / A / "cs231n" / fname).read_text() == head + new + tail, kind
        grades = _grades(rows[sid])
        part = BUG_PARTS[kind]
        assert grades[part][0] < grades[part][1], (kind, grades)
        others = {g: v for g, v in grades.items() if g != part}
        assert all(s == pytest.approx(m) for s, m in others.values()), (kind, others)


def test_a_bug_that_cannot_be_planted_is_an_error(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    for d in ("release", "solutions"):
        (course / d / A / "cs231n").mkdir(parents=True)
    (course / "solutions" / A / "cs231n" / "optim.py").write_text("def sgd_momentum(): pass\n")
    (course / "release" / A / "cs231n" / "optim.py").write_text("def sgd_momentum(): pass\n")
    spec = replace(SPEC, root=course)
    with pytest.raises(BugNotPlanted, match="bug-momentum-sign"):
        make_student("bug-momentum-sign", "x", tmp_path / "x" / A, spec)


def test_malicious_student_scores_zero_and_reaches_nothing(demo):
    course, rows = demo["course"], demo["rows"]
    sid = SID["malicious"]
    assert rows[sid]["score"] == 0.0
    mark = pwned_mark(sid, course)
    assert mark.encode() not in (demo["pwned_after"] or b"")  # the host's /tmp
    assert demo["pwned_after"] == demo["pwned_before"]
    for path in course.rglob("*"):  # nothing it wrote reached the course: gradebook, markers, results
        if path.is_file() and not path.is_symlink() and path.stat().st_size < 50_000_000:
            assert mark.encode() not in path.read_bytes(), path
    db = sqlite3.connect(course / "gradebook.db")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()


def test_malformed_student_graded_from_code_and_told_why(demo):
    first, rows = demo["first"], demo["rows"]
    sid = SID["malformed"]
    assert first.summary.notes[sid].startswith("BatchNormalization.ipynb could not be read")
    assert rows[sid]["score"] == pytest.approx(rows[SID["reference"]]["score"])
    html = (demo["course"] / "feedback" / sid / A / "BatchNormalization.html").read_text()
    assert "could not be read" in html


def test_missing_files_lose_their_parts(demo):
    sid = SID["missing"]
    grades = _grades(demo["rows"][sid])
    assert grades["sgd_momentum"][0] == 0.0 and grades["adam"][0] == 0.0  # optim.py left out
    assert grades["affine_forward"][0] == pytest.approx(2.0)  # layers.py handed in
    # Dropout.ipynb was left out: its autograded part is scored from the code, with a note
    assert grades["dropout_forward"][0] == pytest.approx(grades["dropout_forward"][1])
    assert "Dropout.ipynb could not be read: it was not handed in" in demo["first"].summary.notes[sid]
    html = (demo["course"] / "feedback" / sid / A / "Dropout.html").read_text()
    assert "not handed in" in html


def test_feedback_export_plot(demo):
    first, course = demo["first"], demo["course"]
    for sid in KIND:
        assert (course / "feedback" / sid / A / "FullyConnectedNets.html").is_file()
    exported = _csv_rows(first.csv_path)
    assert sorted(r["student_id"] for r in exported) == sorted(KIND)
    ref = next(r for r in exported if r["student_id"] == SID["reference"])
    assert float(ref["raw_score"]) == pytest.approx(10.0)
    assert first.plot_path.is_file() and first.plot_path.stat().st_size > 5000


def test_demo_is_idempotent(demo):
    first, course = demo["first"], demo["course"]
    again = run_demo(course, A, roster=ROSTER, jobs=2, parts=PARTS, say=lambda m: None, progress=False)
    assert again.submitted == []  # unchanged work is not handed in again
    assert sorted(again.summary.skipped) == sorted(KIND)
    assert again.summary.graded == []
    assert again.rows == first.rows  # same table, no duplicate students
    assert len(_csv_rows(again.csv_path)) == len(ROSTER)
