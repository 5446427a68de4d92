"""Given code comes from the course, not the student (like nbgrader's overwrite step):
the graded copy gets the released ``solver.py``, ``gradient_check.py``, ``__init__.py``
... whatever the student handed in; student files are graded as handed in."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from autograder.paths import release_dir, solutions_dir
from autograder.submission import PreparedSubmission, SubmissionError, course_given_files

ASSIGNMENT = "assignment2"
REF = solutions_dir(ASSIGNMENT) / "cs231n"
REL = release_dir(ASSIGNMENT) / "cs231n"

HOSTILE_SOLVER = '''
class Solver:
    """A student's Solver that never trains (the audit fitted weights by least squares instead)."""

    def __init__(self, model, data, **kwargs):
        self.model = model

    def train(self):
        raise RuntimeError("the student's own Solver ran")
'''


def submission_from_reference(dest: Path) -> Path:
    shutil.copytree(REF, dest / "cs231n", ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def test_given_and_student_files_are_told_apart_by_the_markers():
    given = course_given_files(ASSIGNMENT, None, "cs231n")
    for name in ("solver.py", "gradient_check.py", "data_utils.py", "fast_layers.py", "im2col.py",
                 "__init__.py", "classifiers/__init__.py"):
        assert name in given and given[name] == REL / name, name
    for student in ("layers.py", "optim.py", "layer_utils.py", "classifiers/fc_net.py",
                    "classifiers/cnn.py", "torch_models.py"):
        assert student not in given


def test_overlay_replaces_given_files_keeps_student_files(tmp_path):
    sub = submission_from_reference(tmp_path / "sub")
    pkg = sub / "cs231n"
    (pkg / "solver.py").write_text(HOSTILE_SOLVER)
    (pkg / "gradient_check.py").unlink()                     # a given file deleted: it comes back
    (pkg / "solver").mkdir()                                 # a package that would shadow solver.py
    (pkg / "solver" / "__init__.py").write_text(HOSTILE_SOLVER)
    (pkg / "im2col.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\x7fELF")  # an extension shadowing im2col
    (pkg / "layer_utils.py").unlink()                        # a student file missing: stays missing
    (pkg / "layers.py").write_text((pkg / "layers.py").read_text() + "\n# edited by the student\n")
    (pkg / "helpers.py").write_text("X = 1\n")               # the student's own extra module
    (pkg / "leak.py").symlink_to(REF / "layer_utils.py")     # a link to the reference is never followed
    with PreparedSubmission(sub, "cs231n", given=course_given_files(ASSIGNMENT, None, "cs231n")) as prepared:
        got = prepared / "cs231n"
        assert sorted(p.name for p in prepared.iterdir()) == ["cs231n"]
        assert (got / "solver.py").read_bytes() == (REL / "solver.py").read_bytes()
        assert (got / "gradient_check.py").read_bytes() == (REL / "gradient_check.py").read_bytes()
        assert not (got / "solver").exists() and not list(got.glob("im2col.*.so"))
        assert not (got / "layer_utils.py").exists() and not (got / "leak.py").exists()
        assert (got / "layers.py").read_text().endswith("# edited by the student\n")
        assert (got / "helpers.py").read_text() == "X = 1\n"
    assert not prepared.exists()  # the private copy is removed afterwards
    assert (pkg / "solver.py").read_text() == HOSTILE_SOLVER  # the submission itself is untouched


def test_package_that_is_a_link_is_refused(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "cs231n").symlink_to(REF)
    with pytest.raises(SubmissionError, match="symbolic link|outside"):
        with PreparedSubmission(sub, "cs231n", given=course_given_files(ASSIGNMENT, None, "cs231n")):
            pass


def test_oversized_package_is_refused(tmp_path):
    sub = submission_from_reference(tmp_path / "sub")
    (sub / "cs231n" / "weights.bin").write_bytes(b"\0" * (3 << 20))
    with pytest.raises(SubmissionError, match="more than 2 MB"):
        with PreparedSubmission(sub, "cs231n", max_bytes=2 << 20):
            pass
    (sub / "cs231n" / "weights.bin").unlink()
    many = sub / "cs231n" / "many"
    many.mkdir()
    for i in range(2000):
        (many / f"f{i}.txt").write_text("")
    with pytest.raises(SubmissionError, match="more than 2000 files"):
        with PreparedSubmission(sub, "cs231n"):
            pass


def test_a_students_solver_never_runs_in_grading(tmp_path):
    from autograder.runner import grade_submission

    sub = submission_from_reference(tmp_path / "sub")
    (sub / "cs231n" / "solver.py").write_text(HOSTILE_SOLVER)
    res = grade_submission(sub, ASSIGNMENT, modules=["test_accuracy.py"], parts=["fc_net_accuracy"])
    tests = res.part("fc_net_accuracy").tests
    assert tests and all(t.passed for t in tests), [t.message for t in tests]
    assert not any("own Solver ran" in t.message for p in res.parts for t in p.tests)


def test_a_missing_student_file_fails_its_tests(tmp_path):
    from autograder.runner import grade_submission

    sub = submission_from_reference(tmp_path / "sub")
    (sub / "cs231n" / "layer_utils.py").unlink()
    res = grade_submission(sub, ASSIGNMENT, modules=["test_layer_utils.py"])
    tests = [t for p in res.parts for t in p.tests]
    assert tests and not any(t.passed for t in tests)
    assert any("layer_utils" in t.message for t in tests), [t.message for t in tests][:3]
