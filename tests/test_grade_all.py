"""``autograder grade-all``: real nbgrader, a real SQLite gradebook, real grading
processes and a real Dask LocalCluster, on a small class in a scratch course.

Hidden parts are restricted (``parts=``) to keep the suite fast; every other
part scores 0 for everyone.  The tests share one course and run in file order.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from nbgrader.api import Gradebook
from traitlets.config import Config

from autograder.config import load_course_config
from autograder.course_demo import make_scratch_course
from autograder.grade_all import grade_all
from autograder.grade_all.gradebook import course_db_url
from autograder.grade_all.job_server import MODULE as JOB_SERVER_MODULE
from autograder.grade_all.resume import course_fingerprint, marker_path, read_marker
from autograder.release import release
from autograder.course import load_assignment
from autograder.simulated_students import make_student

A = "assignment2"
PARTS = ["affine_forward", "sgd_momentum"]  # 2 + 2 points in FullyConnectedNets
ROSTER = [("alice", "reference"), ("bob", "untouched"), ("carol", "bug-momentum-sign"),
          ("dave", "malformed")]
BROKEN_NB = "BatchNormalization.ipynb"  # the malformed student's unreadable notebook (first by name)

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sandbox is Linux-only")


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


def _hand_in(course: Path, sid: str, kind: str, day: int = 1) -> Path:
    dest = course / "submitted" / sid / A
    make_student(kind, sid, dest, load_assignment(A, course))
    (dest / "timestamp.txt").write_text(f"2026-01-0{day} 12:00:00.000000 UTC")
    return dest


def _cli(course: Path, *args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "autograder.cli", "grade-all", A, "--root", str(course), "--no-progress",
         *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    root = make_scratch_course(tmp_path_factory.mktemp("course") / "course")
    rel = release(A, root)
    assert not rel.findings
    for sid, kind in ROSTER:
        _hand_in(root, sid, kind)
    return root


@pytest.fixture(scope="module")
def first_run(course):
    return grade_all(A, course, jobs=2, parts=PARTS, progress=False, log=lambda m: None)


def test_parallel_run_writes_every_grade(course, first_run):
    s = first_run
    assert sorted(s.graded) == ["alice", "bob", "carol", "dave"], s.failures
    assert s.failures == {}
    scores = _scores(course)
    assert scores["alice"] == pytest.approx(4.0)
    assert scores["bob"] == pytest.approx(0.0)
    assert 2.0 <= scores["carol"] < 4.0  # affine right, momentum wrong
    for sid, _ in ROSTER:
        marker = read_marker(course, A, sid)
        assert marker.hash and marker.course
        assert (course / "autograded" / sid / A / "FullyConnectedNets.ipynb").is_file()
    assert set(s.job_seconds) == {sid for sid, _ in ROSTER}


def test_unreadable_notebook_is_graded_from_the_code_with_a_note(course, first_run):
    """dave's BatchNormalization.ipynb is not JSON: his cs231n/ code still earns its points
    (FullyConnectedNets parts), that notebook's written answers score 0 with the reason."""
    assert _scores(course)["dave"] == pytest.approx(4.0)
    note = first_run.notes["dave"]
    assert note.startswith(f"{BROKEN_NB} could not be read: NotJSONError")
    assert "graded from your cs231n/ code" in note
    assert read_marker(course, A, "dave").notes == note
    # submitted/ is the record of what was handed in: untouched
    assert (course / "submitted" / "dave" / A / BROKEN_NB).read_text().startswith('{"cells": [ this is not')
    db_url, course_id = course_db_url(course)
    with Gradebook(db_url, course_id) as gb:
        nb = gb.find_submission_notebook(BROKEN_NB[:-6], A, "dave")
        answers = [g for g in nb.grades if g.cell.cell_type == "markdown"]
        assert answers and all(g.score == 0.0 and not g.needs_manual_grade for g in answers)
        assert nb.comments and all(c.comment.startswith(f"{BROKEN_NB} could not be read")
                                   for c in nb.comments)
        ok_nb = gb.find_submission_notebook("Dropout", A, "dave")  # his other notebooks as usual
        assert not any("could not be read" in (c.comment or "") for c in ok_nb.comments)
    graded_nb = nbformat.read(course / "autograded" / "dave" / A / BROKEN_NB, as_version=4)
    assert "could not be read" in graded_nb.cells[0].source


def test_rerun_skips_finished_and_regrades_a_changed_submission(course, first_run):
    # unchanged: nothing regraded (the CLI, as an instructor runs it)
    proc = _cli(course, "--jobs", "2", *sum((["--part", p] for p in PARTS), []))
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "graded 0" in out and "skipped (already graded, unchanged) 4" in out, out
    assert "dave: BatchNormalization.ipynb could not be read" in out  # the note is shown again

    # carol fixes her bug: only she is regraded, to full marks
    _hand_in(course, "carol", "reference", day=2)
    s = grade_all(A, course, jobs=2, parts=PARTS, progress=False, log=lambda m: None)
    assert s.graded == ["carol"]
    assert sorted(s.skipped) == ["alice", "bob", "dave"]
    assert _scores(course)["carol"] == pytest.approx(4.0)
    db_url, course_id = course_db_url(course)
    with Gradebook(db_url, course_id) as gb:  # one row a student, however often graded
        assert sorted(st.id for st in gb.students) == ["alice", "bob", "carol", "dave"]
        assert len(gb.find_assignment(A).submissions) == 4


def test_course_fingerprint_covers_what_decides_a_grade(course, tmp_path):
    config = load_course_config(course)
    base = course_fingerprint(course, A, config, parts=PARTS)
    assert course_fingerprint(course, A, config, parts=PARTS) == base  # stable
    assert course_fingerprint(course, A, config, parts=["affine_forward"]) != base
    assert course_fingerprint(course, A, config, parts=PARTS, execute_notebooks=True) != base
    limits = Config(config)
    limits.Sandbox.call_timeout = 7
    assert course_fingerprint(course, A, limits, parts=PARTS) != base
    jobs = Config(config)
    jobs.GradeAll.jobs = 7  # how many at once changes no grade
    assert course_fingerprint(course, A, jobs, parts=PARTS) == base
    for rel in ("solutions/assignment2/cs231n/layers.py", "source/assignment2/Dropout.ipynb"):
        path = course / rel
        text = path.read_bytes()
        try:
            path.write_bytes(text + b"\n")
            assert course_fingerprint(course, A, config, parts=PARTS) != base, rel
        finally:
            path.write_bytes(text)
    assert course_fingerprint(course, A, config, parts=PARTS) == base


def test_fixing_a_hidden_test_regrades_unchanged_submissions(course, first_run):
    """The instructor edits the hidden suite: an unchanged submission is graded again,
    and the hidden-suite result saved for it is not reused."""
    saved = course / ".autograder" / "results" / "alice" / f"{A}.json"
    before = json.loads(saved.read_text())["fingerprint"]
    hidden = course / "grading_tests" / A / "test_optim.py"
    hidden.write_text(hidden.read_text() + "\n# fixed a tolerance\n")
    s = grade_all(A, course, students=["alice"], jobs=1, parts=PARTS, progress=False, log=lambda m: None)
    assert s.graded == ["alice"] and s.skipped == []
    assert json.loads(saved.read_text())["fingerprint"] != before
    assert _scores(course)["alice"] == pytest.approx(4.0)
    again = grade_all(A, course, students=["alice"], jobs=1, parts=PARTS, progress=False,
                      log=lambda m: None)
    assert again.skipped == ["alice"] and again.graded == []


def _grading_processes_of(pid: int) -> list[psutil.Process]:
    out = []
    for p in psutil.process_iter(["cmdline"]):
        try:
            if JOB_SERVER_MODULE in (p.info["cmdline"] or []) and \
                    p.environ().get("AUTOGRADER_GRADE_ALL_PARENT") == str(pid):
                out.append(p)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return out


def test_killed_run_resumes_without_regrading_finished_students(course, first_run):
    """SIGKILL grade-all as soon as the first student's grades are in: its grading processes die
    with it, and the re-run grades only the students it had not finished."""
    students = ["alice", "bob", "carol"]
    parts = ["affine_forward"]  # another course fingerprint: everyone is due again
    started = time.time()
    proc = _cli(course, "--jobs", "1", "--part", parts[0], *sum((["--student", s] for s in students), []))
    finished: list[str] = []
    deadline = time.monotonic() + 300
    while not finished and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        finished = [s for s in students if marker_path(course, A, s).is_file()
                    and marker_path(course, A, s).stat().st_mtime >= started]
    assert finished, "no student finished before the deadline"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    time.sleep(2)
    assert _grading_processes_of(proc.pid) == []  # PR_SET_PDEATHSIG: nothing keeps grading

    s = grade_all(A, course, jobs=2, parts=parts, students=students, progress=False, log=lambda m: None)
    assert sorted(s.skipped) == sorted(finished)
    assert sorted(s.graded) == sorted(set(students) - set(finished))
    assert s.failures == {}
    scores = _scores(course)
    assert scores["alice"] == pytest.approx(2.0) and scores["bob"] == 0.0
    assert scores["carol"] == pytest.approx(2.0)


def test_dask_worker_with_two_threads_grades_each_job_in_its_own_process(course, first_run):
    """A Dask worker runs two tasks at once in threads (``dask worker`` defaults to several):
    every job still gets a process of its own, so the scores are those of the local run."""
    distributed = pytest.importorskip("distributed")
    students = ["alice", "bob", "carol", "dave"]
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                                  dashboard_address=None) as cluster:
        s = grade_all(A, course, executor="dask", scheduler=cluster.scheduler_address,
                      resume=False, parts=PARTS, students=students, progress=False, log=lambda m: None)
    assert s.failures == {}
    assert sorted(s.graded) == students
    scores = _scores(course)  # carol handed in the reference in an earlier test
    assert {sid: scores[sid] for sid in students} == pytest.approx(
        {"alice": 4.0, "bob": 0.0, "carol": 4.0, "dave": 4.0})
    assert s.notes["dave"].startswith(f"{BROKEN_NB} could not be read")


def test_execute_runs_the_notebooks_and_the_hidden_suite_still_scores(course, first_run):
    """``--execute``: nbgrader runs every notebook in the sandboxed kernel, as plain nbgrader
    does; the graded cells are still scored by the hidden suites."""
    _hand_in(course, "erin", "partial")  # optimizers done, layers stubs
    proc = _cli(course, "--execute", "--student", "erin", "--jobs", "1", "--part", "sgd_momentum",
                "--part", "affine_forward")
    out, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err
    assert "graded 1" in out, out
    assert _scores(course)["erin"] == pytest.approx(2.0)  # sgd_momentum 2, affine_forward 0
    assert read_marker(course, A, "erin").execute_notebooks is True
    nb = nbformat.read(course / "autograded" / "erin" / A / "FullyConnectedNets.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"
            and not c.metadata.get("nbgrader", {}).get("grade")]
    assert code and all(c.execution_count for c in code)  # executed, cell by cell
    assert any(c.outputs for c in code)
    # without --execute the same submission is due again (another course fingerprint)
    s = grade_all(A, course, students=["erin"], jobs=1, parts=["sgd_momentum", "affine_forward"],
                  progress=False, log=lambda m: None)
    assert s.graded == ["erin"] and _scores(course)["erin"] == pytest.approx(2.0)
    nb = nbformat.read(course / "autograded" / "erin" / A / "FullyConnectedNets.ipynb", as_version=4)
    assert not any(c.get("execution_count") for c in nb.cells if c.cell_type == "code"
                   and not c.metadata.get("nbgrader", {}).get("grade"))
