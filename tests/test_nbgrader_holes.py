"""The holes plain nbgrader leaves open, closed by autograder.nbgrader_integration.

A tiny synthetic course (one notebook, one autograded part scored by a
two-test hidden suite, one manually graded inline question) goes through the
real ``nbgrader generate_assignment`` / ``autograde`` / ``generate_feedback`` /
``export`` commands with the course's real ``nbgrader_config.py`` and a real
SQLite gradebook. One ``nbgrader autograde`` run grades a class of students,
each of whom tries one trick; each test checks one of them.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from autograder.paths import course_root

REPO = course_root()
ASSIGNMENT = "toy"
NOTEBOOK = "Toy"
SECRET = "SECRET_HIDDEN_CHECK_7f3a"  # appears only in the hidden test's source

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="sandbox is Linux-only")]

REFERENCE_LAYERS = '''\
import numpy as np


def double(x):
    """Return twice ``x``."""
    # TODO: return 2 * x
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION
'''

HIDDEN_TESTS = f'''\
import pytest


@pytest.mark.grade("double", points=1)
def test_double_positive(submission):
    {SECRET} = 21
    got = submission.layers.double({SECRET})
    assert got == 42, f"double(21) returned {{got!r}}; expected 42 (twice the input)"


@pytest.mark.grade("double", points=1)
def test_double_negative(submission):
    got = submission.layers.double(-3)
    assert got == -6, f"double(-3) returned {{got!r}}; expected -6 (twice the input)"
'''


def _cell(kind, source, **nbgrader):
    cell = nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source)
    if nbgrader:
        meta = {"grade": False, "solution": False, "locked": False, "schema_version": 3, "task": False}
        meta.update(nbgrader)
        cell.metadata["nbgrader"] = meta
    return cell


def source_notebook():
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        _cell("markdown", "# Toy\nImplement `double` in `cs231n/layers.py`.", grade_id="intro", locked=True),
        _cell("code", "from cs231n.layers import double"),
        # the graded cell's last value is whatever the student's double returns
        _cell("code", "from cs231n.layers import double\ndouble(-1)", grade=True, grade_id="double",
              points=2, locked=True),
        _cell("markdown", "**Inline question:** why twice?", grade_id="q1_prompt", locked=True),
        _cell("markdown", "### BEGIN SOLUTION\nBecause.\n### END SOLUTION", grade=True, solution=True,
              grade_id="q1", points=1),
    ]
    return nb


def nbgrader(course: Path, *args, check=True, timeout=600):
    env = dict(os.environ, AUTOGRADER_COURSE_ROOT=str(course),
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"nbgrader {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return proc


def make_toy_course(course: Path) -> None:
    course.mkdir(parents=True)
    shutil.copy(REPO / "nbgrader_config.py", course / "nbgrader_config.py")
    pkg = course / "solutions" / ASSIGNMENT / "cs231n"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "layers.py").write_text(REFERENCE_LAYERS)
    tests = course / "grading_tests" / ASSIGNMENT
    tests.mkdir(parents=True)
    (tests / "test_layers.py").write_text(HIDDEN_TESTS)
    src = course / "source" / ASSIGNMENT
    src.mkdir(parents=True)
    nbformat.write(source_notebook(), src / f"{NOTEBOOK}.ipynb")


def student_code(body: str) -> str:
    return "import numpy as np\nimport sys\nimport warnings\n\n\ndef double(x):\n" + textwrap.indent(
        textwrap.dedent(body).strip() + "\n", "    ")


def graded_index(nb, grade_id="double"):
    for i, cell in enumerate(nb.cells):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return i
    raise KeyError(grade_id)


def submit(course: Path, student: str, layers: str | None, edit_nb=None) -> Path:
    """submitted/<student>/toy/: the released notebook (edited) and cs231n/ (layers.py or none)."""
    dest = course / "submitted" / student / ASSIGNMENT
    shutil.copytree(course / "release" / ASSIGNMENT, dest)
    if layers is None:
        (dest / "cs231n" / "layers.py").unlink()
    else:
        (dest / "cs231n" / "layers.py").write_text(layers)
    nb_path = dest / f"{NOTEBOOK}.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    answer = nb.cells[graded_index(nb, "q1")]
    answer.source = "Because doubling doubles."
    if edit_nb:
        edit_nb(nb)
    nbformat.write(nb, nb_path)
    return dest


CORRECT = student_code("return 2 * x")


def _skip_tag(nb):
    nb.cells[graded_index(nb)].metadata["tags"] = ["skip-execution"]


def _edit_graded(nb):
    cell = nb.cells[graded_index(nb)]
    cell.source = "2.0"
    cell.metadata["nbgrader"]["solution"] = True  # make it look like an editable answer
    cell.metadata["nbgrader"]["locked"] = False


def _delete_graded(nb):
    del nb.cells[graded_index(nb)]


def _kill_kernel(nb):
    """A cell before the graded one that ends the kernel's own process."""
    nb.cells.insert(2, nbformat.v4.new_code_cell("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"))


def _snoop(course: Path, port: int):
    def edit(nb):
        code = f'''
import os, socket
root = {str(course)!r}
print("uid", os.getuid())
for rel in ["gradebook.db", "source", "grading_tests", "solutions", "submitted/ref", "autograded/ref"]:
    print("visible", rel, os.path.exists(os.path.join(root, rel)))
try:
    open(os.path.join(root, "gradebook.db"), "rb").read(1)
    print("READ gradebook.db")
except OSError as exc:
    print("no gradebook:", type(exc).__name__)
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2)
    print("NETWORK reached the grader")
except OSError as exc:
    print("no network:", type(exc).__name__)
open("written_by_notebook.txt", "w").write("x")
'''
        nb.cells.insert(2, nbformat.v4.new_code_cell(code))
    return edit


STUDENTS = {
    # name: (layers.py, notebook edit, expected points for "double")
    "ref": (CORRECT, None, 2.0),
    "stub": ("RELEASE", None, 0.0),
    "falsy": (student_code("return False"), None, 0.0),
    "negscalar": (student_code("return np.float64(-abs(2 * x))"), None, 1.0),
    "warns": (student_code('warnings.warn("double is deprecated")\nprint("oops", file=sys.stderr)\n'
                           "return 2 * x"), None, 2.0),
    "skiptag": ("RELEASE", _skip_tag, 0.0),
    "edited": ("RELEASE", _edit_graded, 0.0),
    "edited_ok": (CORRECT, _edit_graded, 2.0),  # a correct student who also edited the graded cell
    "deleted": (CORRECT, _delete_graded, 2.0),
    "killer": (CORRECT, _kill_kernel, 2.0),  # its notebook kills the kernel: still graded, from code
    "missing": (None, None, 0.0),
    "snoop": (CORRECT, "SNOOP", 2.0),
}


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    course = tmp_path_factory.mktemp("toycourse") / "course"
    make_toy_course(course)
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    assert (course / "release" / ASSIGNMENT / "cs231n" / "layers.py").is_file()
    # An instructor copy of a student file in source/: plain nbgrader would copy it over
    # (or into) every submission. exclude_overwriting must keep the student's own.
    (course / "source" / ASSIGNMENT / "cs231n").mkdir()
    shutil.copy(course / "solutions" / ASSIGNMENT / "cs231n" / "layers.py",
                course / "source" / ASSIGNMENT / "cs231n" / "layers.py")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    port = listener.getsockname()[1]
    release_layers = (course / "release" / ASSIGNMENT / "cs231n" / "layers.py").read_text()
    for name, (layers, edit, _) in STUDENTS.items():
        if layers == "RELEASE":
            layers = release_layers
        submit(course, name, layers, _snoop(course, port) if edit == "SNOOP" else edit)
    proc = nbgrader(course, "autograde", ASSIGNMENT, "--force")
    listener.close()
    yield {"course": course, "log": proc.stderr}


def gradebook_grade(course: Path, student: str, grade_id: str):
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///" + str(course / "gradebook.db"), "cs231n") as gb:
        g = gb.find_grade(grade_id, NOTEBOOK, ASSIGNMENT, student)
        return {"auto_score": g.auto_score, "score": g.score, "needs_manual_grade": g.needs_manual_grade}


def autograded_nb(course: Path, student: str):
    return nbformat.read(course / "autograded" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)


@pytest.mark.parametrize("student", list(STUDENTS))
def test_only_the_hidden_suite_scores_the_graded_cell(toy, student):
    expected = STUDENTS[student][2]
    grade = gradebook_grade(toy["course"], student, "double")
    assert grade["auto_score"] == pytest.approx(expected), (student, grade, toy["log"][-3000:])
    assert grade["needs_manual_grade"] is False
    cell = autograded_nb(toy["course"], student).cells[graded_index(autograded_nb(toy["course"], student))]
    assert [o.output_type for o in cell.outputs] == ["stream", "execute_result"]
    assert cell.outputs[0].name == "stdout"
    assert cell.outputs[0].text.startswith(f"double: {expected:.2f} / 2 points")
    assert float(cell.outputs[1].data["text/plain"]) == pytest.approx(expected)


def test_a_notebook_that_kills_its_kernel_is_still_graded(toy):
    nb = autograded_nb(toy["course"], "killer")
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.output_type == "error"]
    assert [e.ename for e in errors] == ["KernelDied"], errors
    assert "the cells after it were not run" in errors[0].evalue


def test_deleted_graded_cell_is_restored(toy):
    nb = autograded_nb(toy["course"], "deleted")
    cell = nb.cells[graded_index(nb)]
    assert "double(-1)" in cell.source and cell.metadata.nbgrader["grade"] is True
    assert graded_index(nb) == 2  # back where the source has it (after the import cell)


@pytest.mark.parametrize("student", ["edited", "edited_ok"])
def test_edited_graded_cell_is_restored(toy, student):
    nb = autograded_nb(toy["course"], student)
    cell = nb.cells[graded_index(nb)]
    assert cell.source == "from cs231n.layers import double\ndouble(-1)"
    assert cell.metadata.nbgrader["solution"] is False and cell.metadata.nbgrader["locked"] is True
    assert cell.metadata.nbgrader["points"] == 2


def test_edited_graded_cell_of_correct_code_gets_full_points(toy):
    """Editing the graded cell neither earns nor costs anything: the restored cell is graded
    from the student's code (here correct: full points, a graded not a manual grade)."""
    grade = gradebook_grade(toy["course"], "edited_ok", "double")
    assert grade["auto_score"] == pytest.approx(2.0) and grade["needs_manual_grade"] is False
    nb = autograded_nb(toy["course"], "edited_ok")
    assert nb.cells[graded_index(nb)].outputs[0].text.startswith("double: 2.00 / 2 points")


def test_skip_execution_tag_is_dropped(toy):
    nb = autograded_nb(toy["course"], "skiptag")
    assert "skip-execution" not in nb.cells[graded_index(nb)].metadata.get("tags", [])


def test_feedback_says_what_failed_without_hidden_code(toy):
    course = toy["course"]
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    html = (course / "feedback" / "negscalar" / ASSIGNMENT / f"{NOTEBOOK}.html").read_text()
    assert "double(21) returned" in html and "expected 42" in html
    assert "[ok  ] double_negative" in html
    for student in STUDENTS:
        text = json.dumps(autograded_nb(course, student))
        assert SECRET not in text and "submission.layers" not in text
        fb = (course / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK}.html").read_text()
        assert SECRET not in fb and "submission.layers" not in fb


def test_missing_student_file_fails_not_filled_in(toy):
    course = toy["course"]
    assert not (course / "autograded" / "missing" / ASSIGNMENT / "cs231n" / "layers.py").exists()
    # the submitted layers.py is graded as handed in, not replaced by source/'s copy
    stub = (course / "autograded" / "stub" / ASSIGNMENT / "cs231n" / "layers.py").read_text()
    assert "NotImplementedError" in stub
    nb = autograded_nb(course, "missing")
    feedback = nb.cells[graded_index(nb)].outputs[0].text
    assert "[FAIL]" in feedback and "layers" in feedback


def test_exclude_overwriting_comes_from_solution_markers(toy):
    from autograder.nbgrader_integration import exclude_overwriting

    assert exclude_overwriting(toy["course"]) == {ASSIGNMENT: ["cs231n/layers.py"]}


def test_inline_question_stays_manual(toy):
    grade = gradebook_grade(toy["course"], "ref", "q1")
    assert grade["auto_score"] is None and grade["needs_manual_grade"] is True


def test_notebook_runs_in_sandboxed_kernel(toy):
    course = toy["course"]
    nb = autograded_nb(course, "snoop")
    out = "".join(o.get("text", "") for o in nb.cells[2].outputs)
    assert "uid 6100" in out, out
    assert "visible" in out and "True" not in out, out
    assert "no gradebook" in out and "READ gradebook" not in out, out
    assert "no network" in out and "NETWORK reached" not in out, out
    # the kernel worked on a private copy: nothing it wrote reaches the student's folders
    assert not list(course.rglob("written_by_notebook.txt"))


def test_results_saved_outside_student_folders_and_reused(toy):
    course = toy["course"]
    saved = course / ".autograder" / "results" / "ref" / f"{ASSIGNMENT}.json"
    data = json.loads(saved.read_text())
    assert data["result"]["score"] == pytest.approx(2.0)
    assert not list((course / "autograded").rglob("*.json"))
    proc = nbgrader(course, "autograde", ASSIGNMENT, "--force", "--student", "ref")
    assert "Reusing the hidden-suite result" in proc.stderr
    assert gradebook_grade(course, "ref", "double")["auto_score"] == pytest.approx(2.0)


def test_saved_result_not_reused_after_the_course_changes(toy):
    """A fixed hidden test or other sandbox limits make the saved result stale: graded again."""
    course = toy["course"]
    saved = course / ".autograder" / "results" / "ref" / f"{ASSIGNMENT}.json"
    hidden = course / "grading_tests" / ASSIGNMENT / "test_layers.py"
    original = hidden.read_text()
    try:
        hidden.write_text(original + "\n# the instructor fixed a test\n")
        before = json.loads(saved.read_text())["fingerprint"]
        proc = nbgrader(course, "autograde", ASSIGNMENT, "--force", "--student", "ref")
        assert "Reusing the hidden-suite result" not in proc.stderr
        assert "Running the hidden suite" in proc.stderr
        assert json.loads(saved.read_text())["fingerprint"] != before
        proc = nbgrader(course, "autograde", ASSIGNMENT, "--force", "--student", "ref",
                        "--Sandbox.call_timeout=59")
        assert "Running the hidden suite" in proc.stderr and "Reusing" not in proc.stderr
    finally:
        hidden.write_text(original)
    assert gradebook_grade(course, "ref", "double")["auto_score"] == pytest.approx(2.0)


def test_export_csv(toy):
    course = toy["course"]
    nbgrader(course, "export", "--to", str(course / "grades.csv"))
    rows = {r["student_id"]: r for r in csv.DictReader(open(course / "grades.csv"))}
    assert float(rows["ref"]["raw_score"]) == pytest.approx(2.0)
    assert float(rows["negscalar"]["raw_score"]) == pytest.approx(1.0)
    assert float(rows["stub"]["raw_score"]) == pytest.approx(0.0)
