"""``nbgrader autograde assignment2`` end to end on the real course.

A copy of the course (source/, solutions/, grading_tests/, nbgrader_config.py)
in a temporary directory; the real ``nbgrader generate_assignment`` makes the
release and the gradebook; two students hand in: ``reference`` (the released
notebooks with the reference ``cs231n/``) and ``release`` (the release as is,
every function a stub). The real ``nbgrader autograde`` runs the notebooks in
the sandboxed kernel and scores every autograded cell with the hidden suites:
full marks for the reference, zero for the stubs, in nbgrader's own gradebook.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from autograder.paths import course_root

REPO = course_root()
ASSIGNMENT = "assignment2"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sandbox is Linux-only"),
    pytest.mark.skipif(not list((REPO / "source" / ASSIGNMENT).glob("*.ipynb")),
                       reason="no source notebooks yet"),
]


def nbgrader(course: Path, *args, timeout=900):
    env = dict(os.environ, AUTOGRADER_COURSE_ROOT=str(course),
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-6000:]}")
    return proc


def copy_course(dest: Path) -> Path:
    dest.mkdir(parents=True)
    shutil.copy(REPO / "nbgrader_config.py", dest / "nbgrader_config.py")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    for sub in ("source", "solutions", "grading_tests"):
        shutil.copytree(REPO / sub / ASSIGNMENT, dest / sub / ASSIGNMENT, ignore=ignore)
    return dest


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = copy_course(tmp_path_factory.mktemp("course2") / "course")
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    release = course / "release" / ASSIGNMENT
    assert (release / "cs231n" / "layers.py").is_file()
    for student in ("reference", "release"):
        shutil.copytree(release, course / "submitted" / student / ASSIGNMENT)
    ref_pkg = course / "submitted" / "reference" / ASSIGNMENT / "cs231n"
    shutil.rmtree(ref_pkg)
    shutil.copytree(course / "solutions" / ASSIGNMENT / "cs231n", ref_pkg,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    start = time.perf_counter()
    proc = nbgrader(course, "autograde", ASSIGNMENT, "--force")
    return {"course": course, "log": proc.stderr, "seconds": time.perf_counter() - start}


def autograded_scores(course: Path, student: str) -> tuple[float, float, dict]:
    """(score, max score, {grade_id: score}) of the autograder-test cells in the gradebook."""
    from nbgrader.api import Gradebook

    earned, total, by_id = 0.0, 0.0, {}
    with Gradebook("sqlite:///" + str(course / "gradebook.db"), "cs231n") as gb:
        submission = gb.find_submission(ASSIGNMENT, student)
        for nb in submission.notebooks:
            for grade in nb.grades:
                cell = grade.cell
                if cell.cell_type == "code" and grade.auto_score is not None and not grade.needs_manual_grade:
                    earned += grade.auto_score
                    total += grade.max_score
                    by_id[cell.name] = grade.auto_score
    return earned, total, by_id


def expected_max(course: Path) -> float:
    from autograder.parts import read_parts

    return sum(p.points for p in read_parts(course / "source" / ASSIGNMENT).values())


def test_reference_gets_full_autograded_score(graded):
    course = graded["course"]
    score, total, by_id = autograded_scores(course, "reference")
    assert total == pytest.approx(expected_max(course)) and total > 0
    lost = {k: v for k, v in by_id.items() if v < 1e-9}
    assert score == pytest.approx(total), (lost, graded["log"][-3000:])


def test_release_stubs_get_zero(graded):
    course = graded["course"]
    score, total, _ = autograded_scores(course, "release")
    assert total == pytest.approx(expected_max(course))
    assert score == 0.0


def test_graded_cells_show_feedback_and_float(graded):
    course = graded["course"]
    nb_path = sorted((course / "autograded" / "release" / ASSIGNMENT).glob("*.ipynb"))[0]
    nb = nbformat.read(nb_path, as_version=4)
    graded_cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
                    and not c.metadata["nbgrader"].get("solution")]
    assert graded_cells
    for cell in graded_cells:
        assert [o.output_type for o in cell.outputs] == ["stream", "execute_result"]
        assert "[FAIL]" in cell.outputs[0].text
        assert float(cell.outputs[1].data["text/plain"]) == 0.0
    saved = json.loads((course / ".autograder" / "results" / "reference" / f"{ASSIGNMENT}.json").read_text())
    assert saved["result"]["score"] == pytest.approx(saved["result"]["max_score"])
    print(f"nbgrader autograde of 2 students: {graded['seconds']:.1f} s")
