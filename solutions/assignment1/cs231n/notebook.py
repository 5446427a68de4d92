"""Notebook set-up for the assignment notebooks.

Every notebook of the assignment starts with::

    from cs231n.notebook import setup_notebook
    setup_notebook()

which

* makes a ``NotImplementedError`` print one clear line instead of a long
  traceback. A function you have not written yet raises
  ``NotImplementedError("svm_loss_naive is not implemented yet (cs231n/classifiers/linear_svm.py)")``,
  and the cell shows::

      NotImplementedError: svm_loss_naive is not implemented yet (cs231n/classifiers/linear_svm.py). Fill in the TODO in that file, then re-run this cell.

* makes a failed public check of a graded cell (``check_part(part,
  strict=True)`` raises ``cs231n.checks.PublicCheckFailed``) print one line
  under the check's FAILED line(s), instead of a traceback::

      PublicCheckFailed: svm_loss_naive: the public check failed (see the FAILED line above). Fix your code and re-run this cell.

* shows matplotlib plots inline, with sensible default sizes;
* sets numpy's print options so arrays stay readable;
* limits numpy's BLAS to one thread. The arrays of this assignment are
  small: one thread is faster than several threads that wait for each other,
  and much faster on a shared machine. Pass ``threads=None`` to keep the
  libraries' defaults (for instance for long CIFAR-10 runs on a machine of
  your own).

Outside IPython/Jupyter (a plain ``python`` process) it does nothing.
"""
from __future__ import annotations

import re

import numpy as np

# "<function> is not implemented yet (cs231n/<file>.py)", as raised by the stubs.
_STUB_MESSAGE = re.compile(r"is not implemented yet \((?P<file>[^)]*\.py)\)")


def not_implemented_message(exc: BaseException) -> str:
    """The one line shown for a ``NotImplementedError``.

    A stub of ``cs231n/**/*.py`` names its function and file; the student is told
    to fill in that file. An empty ``NotImplementedError()`` comes from a
    notebook cell with a ``YOUR CODE HERE`` stub.
    """
    message = str(exc).strip().rstrip(".")
    if _STUB_MESSAGE.search(message):
        return (
            "NotImplementedError: %s. Fill in the TODO in that file, then re-run "
            "this cell." % message
        )
    if message:
        return "NotImplementedError: %s." % message
    return (
        "NotImplementedError: this cell is not filled in yet. Replace the "
        "'raise NotImplementedError()' under 'YOUR CODE HERE' with your code, "
        "then re-run this cell."
    )


def one_line_message(exc: BaseException) -> str:
    """The one line shown for a ``NotImplementedError`` or a ``PublicCheckFailed``."""
    if isinstance(exc, NotImplementedError):
        return not_implemented_message(exc)
    return "%s: %s" % (type(exc).__name__, str(exc).strip())


def _not_implemented_handler(shell, etype, value, tb, tb_offset=None):
    # IPython ignores what a custom handler returns when the error happens
    # while the cell runs, so show the one line ourselves as the cell's error
    # "traceback" (in Jupyter, ipykernel sends it as the cell's error output;
    # in a terminal IPython prints it).
    stb = [one_line_message(value)]
    try:
        shell._showtraceback(etype, value, stb)
    except Exception:  # an IPython without _showtraceback: print the line instead
        print(stb[0])
    return stb


def limit_threads(threads=1):
    """Limit numpy's BLAS and (if already imported) PyTorch to ``threads`` threads.

    Returns True if the BLAS limit could be set (threadpoolctl is installed).
    """
    import sys

    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return False
    global _THREAD_LIMIT
    _THREAD_LIMIT = threadpool_limits(limits=threads, user_api="blas")
    return True


_THREAD_LIMIT = None  # keeps the threadpoolctl limit object alive


def setup_notebook(figsize=(10.0, 8.0), threads=1):
    """Configure the running IPython kernel for the assignment notebooks.

    Inputs:
    - figsize: Default matplotlib figure size in inches, (width, height).
    - threads: Number of BLAS / PyTorch threads (None: leave the defaults).
      Import torch before calling this to limit PyTorch too.

    Outside IPython (no running shell) it does nothing. Returns None, so a
    notebook cell ending with this call shows no output.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python without IPython installed
        return None
    shell = get_ipython()
    if shell is None:
        return None

    from .checks import PublicCheckFailed

    shell.set_custom_exc((NotImplementedError, PublicCheckFailed), _not_implemented_handler)

    try:
        shell.run_line_magic("matplotlib", "inline")
    except Exception:  # no inline backend (e.g. a terminal IPython): keep the default
        pass
    import matplotlib.pyplot as plt

    plt.rcParams["figure.figsize"] = figsize
    plt.rcParams["image.interpolation"] = "nearest"
    plt.rcParams["image.cmap"] = "gray"
    plt.rcParams["axes.grid"] = False

    np.set_printoptions(precision=5, linewidth=100)
    if threads is not None:
        limit_threads(threads)
    return None
