"""Notebook execution for the tests.

Kernels talk over unix sockets (jupyter_client's ``transport="ipc"``, one socket file per
channel next to the kernel's connection file), not TCP ports: with three test processes
starting kernels at once, a port one client found free could be taken by another kernel
before its own kernel bound it ("Address already in use", then "Kernel didn't respond").
"""
from __future__ import annotations

from jupyter_client import KernelManager
from nbclient import NotebookClient


def notebook_client(nb, **kw) -> NotebookClient:
    """An nbclient ``NotebookClient`` for ``nb`` on a fresh ``python3`` kernel over unix sockets;
    ``kw`` as NotebookClient's (timeout, allow_errors, resources ...)."""
    return NotebookClient(nb, km=KernelManager(kernel_name="python3", transport="ipc"),
                          kernel_name="python3", **kw)
