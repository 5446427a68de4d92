"""``autograder grade-all``: real nbgrader, a real SQLite gradebook, real worker
processes and a real Dask LocalCluster, on a small class in a scratch course.

Hidden parts are restricted (``parts=``) to keep the suite fast; every other
part scores 0 for everyone.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder.course_demo import make_scratch_course
from autograder.grade_all import course_db_url, grade_all, marker_path, read_marker
from autograder.release import release
from autograder.simulated_students import make_student

A = "assignment2"
PARTS = ["affine_forward", "sgd_momentum"]  # 2 + 2 points in FullyConnectedNets
ROSTER = [("alice", "reference"), ("bob", "untouched"), ("carol", "bug-momentum-sign"),
          ("dave", "malformed")]


def _scores(course: Path) -> dict[str, float]:
    db_url, course_id = course_db_url(course)
    with Gradebook(db_url, course_id) as gb:
        out = {}
        for st in gb.students:
            try:
                out[st.id] = gb.find_submission(A, st.id).score
            except Exception:
                pass
        return out


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    root = make_scratch_course(tmp_path_factory.mktemp("course") / "course")
    rel = release(A, root)
    assert not rel.findings
    for sid, kind in ROSTER:
        dest = root / "submitted" / sid / A
        make_student(kind, sid, dest, A, root)
        (dest / "timestamp.txt").write_text("2026-01-01 12:00:00.000000 UTC")
    return root


@pytest.fixture(scope="module")
def first_run(course):
    return grade_all(A, course, jobs=2, parts=PARTS, progress=False, log=lambda m: None)


def test_parallel_run_writes_every_grade_and_lists_the_broken_one(course, first_run):
    s = first_run
    assert sorted(s.graded) == ["alice", "bob", "carol"]
    assert list(s.failures) == ["dave"]
    assert "NotJSONError" in s.failures["dave"] or "JSON" in s.failures["dave"]
    scores = _scores(course)
    assert scores["alice"] == pytest.approx(4.0)
    assert scores["bob"] == pytest.approx(0.0)
    assert 2.0 <= scores["carol"] < 4.0  # affine right, momentum wrong
    assert "dave" not in scores  # no submission row for a failed grading
    for sid in ("alice", "bob", "carol"):
        assert read_marker(course, A, sid)["hash"]
        assert (course / "autograded" / sid / A / "FullyConnectedNets.ipynb").is_file()
    assert not marker_path(course, A, "dave").exists()


def test_rerun_skips_finished_and_regrades_a_changed_submission(course, first_run):
    # unchanged: nothing regraded (the CLI, as an instructor runs it)
    out = subprocess.run(
        [sys.executable, "-m", "autograder.cli", "grade-all", A, "--root", str(course),
         "--jobs", "2", "--no-progress", *sum((["--part", p] for p in PARTS), [])],
        capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "graded 0" in out.stdout and "skipped (already graded, unchanged) 3" in out.stdout
    assert "dave" in out.stdout  # the broken one is retried and listed again

    # carol fixes her bug: only she is regraded, to full marks
    make_student("reference", "carol", course / "submitted" / "carol" / A, A, course)
    (course / "submitted" / "carol" / A / "timestamp.txt").write_text("2026-01-02 12:00:00.000000 UTC")
    s = grade_all(A, course, jobs=2, parts=PARTS, progress=False, log=lambda m: None)
    assert s.graded == ["carol"]
    assert sorted(s.skipped) == ["alice", "bob"]
    scores = _scores(course)
    assert scores["carol"] == pytest.approx(4.0)
    db_url, course_id = course_db_url(course)
    with Gradebook(db_url, course_id) as gb:  # one row a student, however often graded
        assert sorted(st.id for st in gb.students) == ["alice", "bob", "carol", "dave"]
        assert len(gb.find_assignment(A).submissions) == 3


def test_dask_local_cluster_gives_the_same_scores(course, first_run):
    distributed = pytest.importorskip("distributed")
    before = _scores(course)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        s = grade_all(A, course, executor="dask", scheduler=cluster.scheduler_address,
                      resume=False, parts=PARTS, progress=False, log=lambda m: None)
    assert sorted(s.graded) == ["alice", "bob", "carol"]
    assert list(s.failures) == ["dave"]
    assert _scores(course) == before
