"""nbgrader's ``Execute`` preprocessor on the sandboxed kernel manager.

nbgrader's ``Execute.__init__`` passes ``kernel_manager_class=AsyncKernelManager``
as a keyword argument, which wins over ``c.Execute.kernel_manager_class``; this
subclass makes the sandboxed manager the default instead. Every ``c.Execute.*``
option (timeout, interrupt_on_timeout, ...) still applies.
"""
from __future__ import annotations

from nbgrader.preprocessors import Execute

from .sandboxed_kernel import SandboxedKernelManager


class SandboxedExecute(Execute):
    """Execute the notebook in an ipykernel inside the grading sandbox."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)
