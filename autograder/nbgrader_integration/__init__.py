"""nbgrader integration: ``nbgrader autograde`` grades with the hidden suites.

One preprocessor a file, like nbgrader itself:

* :mod:`.sandboxed_kernel` -- ``SandboxedKernelManager``: notebook code runs in
  an ipykernel inside the project's bubblewrap sandbox (unix-socket transport);
* :mod:`.sandboxed_execute` -- ``SandboxedExecute``: nbgrader's ``Execute`` on
  that kernel manager;
* :mod:`.restore_graded_cells` -- ``RestoreGradedCells``: deleted or tampered
  autograder-test cells are put back from the source notebook;
* :mod:`.hidden_suite_grades` -- ``HiddenSuiteGrades``: the graded cells'
  outputs become the hidden suite's feedback text plus a plain float score;
* :mod:`.student_files` -- the files a student edits (``exclude_overwriting``).
"""
from .student_files import exclude_overwriting, student_edited_files

__all__ = ["exclude_overwriting", "student_edited_files"]
