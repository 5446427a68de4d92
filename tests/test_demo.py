"""``autograder demo``'s course cycle (:func:`autograder.course_demo.run_demo`) on a
small class: nbgrader's exchange (submit + collect), grade-all, generate_feedback,
export, the gradebook table and plot -- and idempotent when run again.
"""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from autograder.course_demo import run_demo

ROSTER = [("01-reference", "reference"), ("02-untouched", "untouched"),
          ("03-malformed", "malformed"), ("04-missing", "missing")]
PARTS = ["affine_forward", "relu_forward"]


def _csv_rows(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_demo_runs_the_course_cycle_and_is_idempotent(tmp_path):
    course = tmp_path / "demo-course"
    first = run_demo(course, roster=ROSTER, jobs=2, parts=PARTS, say=lambda m: None, progress=False)

    assert sorted(first.submitted) == [sid for sid, _ in ROSTER]  # handed in through the exchange
    assert sorted((course / "submitted").iterdir()) == sorted(course / "submitted" / s for s, _ in ROSTER)
    s = first.summary
    assert sorted(s.graded) == ["01-reference", "02-untouched", "04-missing"]
    assert list(s.failures) == ["03-malformed"]

    rows = {r["student"]: r for r in first.rows}
    assert rows["01-reference"]["score"] == pytest.approx(3.0)  # affine 2 + relu 1
    assert rows["02-untouched"]["score"] == pytest.approx(0.0)
    assert rows["04-missing"]["score"] == pytest.approx(3.0)  # layers.py handed in, optim.py not graded here
    assert rows["03-malformed"]["score"] is None

    # nbgrader's own feedback and export
    for sid in ("01-reference", "02-untouched", "04-missing"):
        assert (course / "feedback" / sid / "assignment2" / "FullyConnectedNets.html").is_file()
    exported = _csv_rows(first.csv_path)
    assert sorted(r["student_id"] for r in exported) == [sid for sid, _ in ROSTER]
    assert float(next(r for r in exported if r["student_id"] == "01-reference")["raw_score"]) == 3.0
    assert first.plot_path.is_file() and first.plot_path.stat().st_size > 5000

    again = run_demo(course, roster=ROSTER, jobs=2, parts=PARTS, say=lambda m: None, progress=False)
    assert again.submitted == []  # unchanged work is not handed in again
    assert sorted(again.summary.skipped) == ["01-reference", "02-untouched", "04-missing"]
    assert again.summary.graded == []
    assert again.rows == first.rows  # same table, no duplicate students
    assert len(_csv_rows(again.csv_path)) == len(ROSTER)
