"""nbgrader's ``Execute`` preprocessor on the sandboxed kernel manager.

nbgrader's ``Execute.__init__`` passes ``kernel_manager_class=AsyncKernelManager``
as a keyword argument, which wins over ``c.Execute.kernel_manager_class``; this
subclass makes the sandboxed manager the default instead. Every ``c.Execute.*``
option (timeout, interrupt_on_timeout, ...) still applies.

A student's notebook may end its own kernel (``os._exit``, a signal, running
out of memory). Plain nbgrader then fails the whole student ("Kernel died"),
so a submission could dodge its grade. Here the cell that killed the kernel
gets an error output saying so, the cells after it are left unexecuted, and
autograding goes on: every graded cell is scored by the hidden suites
(``HiddenSuiteGrades``) from the student's code anyway.
"""
from __future__ import annotations

from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import default

from .sandboxed_kernel import SandboxedKernelManager

KERNEL_DIED = ("The kernel died while running this cell (the code ended its own process, or ran "
               "out of memory); the cells after it were not run. Autograded parts are scored from "
               "your package's code by the hidden tests either way.")


class SandboxedExecute(Execute):
    """Execute the notebook in an ipykernel inside the grading sandbox."""

    @default("shutdown_kernel")
    def _default_shutdown_kernel(self) -> str:
        # Once the last cell has run, the kernel is killed rather than asked to stop: a graceful
        # stop runs the kernel's exit (history, atexit hooks, the interpreter's teardown), which
        # grades nothing and took 0.5 s a notebook (1.3 s with torch), five a student.
        # c.Execute.shutdown_kernel = "graceful" restores nbclient's default.
        return "immediate"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)
        self._kernel_died_at: int | None = None

    def preprocess(self, nb, resources=None, km=None):
        self._kernel_died_at = None
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if self._kernel_died_at is not None:
            self._check_assign_resources(resources)
            return cell, self.resources  # nothing left to run it in
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._kernel_died_at = index
            error = NotebookNode(output_type="error", ename="KernelDied", evalue=KERNEL_DIED,
                                 traceback=[f"KernelDied: {KERNEL_DIED}"])
            cell.setdefault("outputs", []).append(error)
            self.log.warning("the kernel died in cell %d; the rest of the notebook is not run", index)
            return cell, self.resources
