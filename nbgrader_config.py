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
