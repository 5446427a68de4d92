"""A second, tiny course (``tests/fixtures/tiny_course``: package ``mathkit``, assignment
``hw1``, one notebook, two parts) goes through the whole pipeline with no change to
``autograder/``: release (nbgrader + stubs + leak check), ``autograder grade`` of the
reference (full marks) and of the release (zero), ``nbgrader autograde`` into its own
gradebook, and ``autograder ci``. It is the README's "Adding an assignment" recipe followed.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.course import load_assignment, resolve_assignment

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "tiny_course"
BIN = Path(sys.executable).parent

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sandbox is Linux-only")]


def run(cmd: list[str], course: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, AUTOGRADER_COURSE_ROOT=str(course),
               PATH=str(BIN) + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run(cmd, cwd=course, env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    dest = tmp_path_factory.mktemp("tiny") / "course"
    shutil.copytree(FIXTURE, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    run([str(BIN / "autograder"), "release", "hw1"], dest)
    return dest


def grade(course: Path, submission: Path, out: Path) -> dict:
    run([str(BIN / "autograder"), "grade", str(submission), "-o", str(out)], course)
    return json.loads(out.read_text())


def test_the_course_describes_itself():
    spec = load_assignment("hw1", FIXTURE)
    assert spec.package == "mathkit"
    assert [p.grade_id for p in spec.parts] == ["scale", "row_norms"]
    assert resolve_assignment(None, FIXTURE) == "hw1"  # the course's only assignment


def test_release_is_stubbed_and_clean(course):
    ops = (course / "release" / "hw1" / "mathkit" / "ops.py").read_text()
    assert 'raise NotImplementedError("scale is not implemented yet (mathkit/ops.py)")' in ops
    assert "np.sqrt" not in ops  # the solution stayed behind
    assert (course / "release" / "hw1" / "Ops.ipynb").is_file()
    run([str(BIN / "autograder"), "leak-check", "release/hw1"], course)


def test_reference_full_marks_release_zero(course, tmp_path):
    ref = tmp_path / "ref"
    shutil.copytree(course / "solutions" / "hw1", ref)
    got = grade(course, ref, tmp_path / "ref.json")
    assert got["score"] == pytest.approx(5.0) and got["max_score"] == pytest.approx(5.0), got
    got = grade(course, course / "release" / "hw1", tmp_path / "release.json")
    assert got["score"] == 0.0 and got["max_score"] == pytest.approx(5.0), got


def test_nbgrader_autograde_fills_the_courses_gradebook(course):
    from nbgrader.api import Gradebook

    student = course / "submitted" / "ann" / "hw1"
    shutil.copytree(course / "release" / "hw1", student)
    shutil.rmtree(student / "mathkit")
    shutil.copytree(course / "solutions" / "hw1" / "mathkit", student / "mathkit")
    ops = student / "mathkit" / "ops.py"  # ann gets row_norms wrong
    ops.write_text(ops.read_text().replace("axis=1))", "axis=0))"))
    run([sys.executable, "-m", "nbgrader", "autograde", "hw1", "--force"], course)
    with Gradebook("sqlite:///" + str(course / "gradebook.db"), "tinycourse") as gb:
        sub = gb.find_submission("hw1", "ann")
        scores = {g.name: g.score for nb in sub.notebooks for g in nb.grades if g.cell.cell_type == "code"}
    assert scores == {"scale": pytest.approx(2.0), "row_norms": 0.0}


def test_ci_grades_a_student_checkout(course, tmp_path):
    checkout = tmp_path / "student"
    shutil.copytree(course / "release" / "hw1", checkout)
    shutil.copyfile(course / "solutions" / "hw1" / "mathkit" / "ops.py", checkout / "mathkit" / "ops.py")
    out = tmp_path / "results"
    run([str(BIN / "autograder"), "ci", str(checkout), "--tests-from", str(course), "--output-dir", str(out)],
        tmp_path)
    results = json.loads((out / "results.json").read_text())
    assert results["score"] == pytest.approx(5.0), results
