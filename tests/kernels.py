"""Notebook execution for the tests.

Kernels talk over unix sockets (jupyter_client's ``transport="ipc"``), not TCP ports: with
three test processes starting kernels at once, a port one client found free could be taken
by another kernel before its own kernel bound it ("Address already in use", then "Kernel
didn't respond in 60 seconds").  Each kernel's sockets live in a folder of its own, named by
an absolute path: jupyter_client's default (``kernel-ipc-N`` in the working directory) is
relative, so the client and a kernel started in the notebook's folder would look in
different places, and parallel tests would pick the same N.
"""
from __future__ import annotations

import atexit
import shutil
import tempfile

from jupyter_client import KernelManager
from nbclient import NotebookClient


def notebook_client(nb, **kw) -> NotebookClient:
    """An nbclient ``NotebookClient`` for ``nb`` on a fresh ``python3`` kernel over unix sockets;
    ``kw`` as NotebookClient's (timeout, allow_errors, resources ...)."""
    folder = tempfile.mkdtemp(prefix="kernel-")
    atexit.register(shutil.rmtree, folder, True)
    km = KernelManager(kernel_name="python3", transport="ipc", ip=f"{folder}/k")
    return NotebookClient(nb, km=km, kernel_name="python3", **kw)
