"""nbgrader configuration of the course (read by every ``nbgrader`` command run
from this directory, and by ``autograder``).

Layout: ``source/<a>/`` holds only the instructor notebooks (and small data or
images); the student package ``cs231n/`` is written into ``release/<a>/`` by the
stub stage from ``solutions/<a>/cs231n/`` (the post-convert hook below), so a
plain ``nbgrader generate_assignment assignment2`` makes the whole release.
nbgrader only logs a failing hook: ``autograder release assignment2`` runs the
same generation and then always the leak check.
"""
import importlib.util
import os
import sys

c = get_config()  # noqa: F821  (provided by traitlets when this file is loaded)

COURSE_ROOT = os.path.dirname(os.path.abspath(__file__))

# The hook lives in the ``autograder`` package of this checkout; make it
# importable even when nbgrader runs from an environment without it installed.
if importlib.util.find_spec("autograder") is None:
    sys.path.insert(0, COURSE_ROOT)

# --- the course -------------------------------------------------------------
c.CourseDirectory.course_id = "cs231n"
c.CourseDirectory.root = COURSE_ROOT
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(COURSE_ROOT, "gradebook.db")

# Never copied from source/ into release/ (nor from a submission into autograded/).
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints",
    "__pycache__",
    "*.pyc",
    "*.pyo",
    "feedback",
    "*.db",
    "*.sqlite",
    "*.sqlite3",
]

# --- release: nbgrader generate_assignment -------------------------------------
# Stub stage: write release/<a>/cs231n/ from solutions/<a>/cs231n/, every
# solution region replaced by raise NotImplementedError("<function> ...").
# Called as hook(assignment=..., student=..., notebooks=...) with the working
# directory set to CourseDirectory.root.
c.GenerateAssignment.post_convert_hook = "autograder.release.post_convert_hook"

# Stubs for solution cells/regions of the notebooks (nbgrader's ClearSolutions).
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\nraise NotImplementedError()",
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# Released notebooks carry no outputs or execution counts (nbgrader's ClearOutput,
# part of GenerateAssignment's preprocessors); the leak check verifies it.
c.ClearOutput.remove_metadata_fields = {"collapsed", "scrolled", "execution"}

# --- autograder: autograde integration ---------------------------------------
# `nbgrader autograde` grades with the hidden suites (grading_tests/<a>/), runs
# notebooks in a sandboxed kernel, and closes the holes plain nbgrader leaves
# open. See autograder/nbgrader_integration/.
from autograder.nbgrader_integration import exclude_overwriting as _student_files  # noqa: E402

# Preprocessors by dotted name (nbconvert imports each when it registers it): reading this file
# then costs no nbgrader import, and `autograder grade` reads it for its sandbox settings.
_NB = "nbgrader.preprocessors."
_AG = "autograder.nbgrader_integration."

# Files students edit (every solutions/<a>/ .py with a solution region) are
# graded as submitted: never replaced by, nor filled in from, the instructor's copy.
c.Autograde.exclude_overwriting = _student_files(COURSE_ROOT)

# Sanitize: nbgrader's defaults, with deleted/edited graded cells put back first
# (OverwriteCells aborts the whole submission on a graded cell whose flags were changed).
c.Autograde.sanitize_preprocessors = [
    _NB + "ClearOutput", _NB + "DeduplicateIds", _NB + "OverwriteKernelspec",
    _AG + "restore_graded_cells.RestoreGradedCells", _NB + "OverwriteCells", _NB + "CheckCellMetadata",
]
# Autograde: notebooks run in the sandboxed kernel (ipykernel inside bubblewrap,
# unix sockets); the hidden suites score the graded cells right before SaveAutoGrades.
c.Autograde.autograde_preprocessors = [
    _AG + "sandboxed_execute.SandboxedExecute", _NB + "IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor", _NB + "LimitOutput",
    _AG + "hidden_suite_grades.HiddenSuiteGrades", _NB + "SaveAutoGrades", _NB + "AssignLatePenalties",
    _NB + "CheckCellMetadata",
]
c.Execute.timeout = 300           # seconds per notebook cell (training cells)
# Sandbox slots (worker uid = Sandbox.worker_uid_base + slot): unset, the kernel and the
# hidden-suite workers each take a free one, so concurrent nbgrader runs never share a uid
# (grade-all gives each job's kernel and workers the slot that job holds).
# c.SandboxedKernelManager.slot = 0
# c.HiddenSuiteGrades.slot = 0
c.HiddenSuiteGrades.results_directory = ".autograder/results"

# `autograder grade-all assignment2` (many students in parallel, resumable): its
# defaults, overridden by the command's flags. Changing these regrades nobody.
c.GradeAll.jobs = 0                 # parallel gradings; 0 = one per CPU core
c.GradeAll.executor = "local"       # or "dask", with c.GradeAll.scheduler = "tcp://host:8786"
c.GradeAll.execute_notebooks = False  # True: also run the notebooks (like plain nbgrader autograde)
c.GradeAll.job_timeout = 3600       # seconds one student's grading may take
# --- end autograder: autograde integration -----------------------------------
