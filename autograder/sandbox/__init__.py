"""Run untrusted submission code in an isolated worker process.

* :mod:`.launcher` -- ``Sandbox`` (configurable limits/isolation) starts a ``WorkerProcess`` from a
  ``LaunchPlan`` (``Sandbox.launch_plan``: how a process started now runs here; the notebook
  kernels launch from it too);
* :mod:`.proxy` -- ``SubmissionProxy``/``RemoteRef``: call student code as if it were local;
* :mod:`.protocol` -- the wire format (length-prefixed msgpack, arrays as data, never pickle);
* :mod:`.worker` -- the standalone script that runs inside the sandbox;
* :mod:`.errors` -- ``StudentCodeError`` and its subclasses (text capped on the trusted side);
* :mod:`.slots` -- ``acquire_slot``: one grading at a time per worker uid;
* :mod:`.permissions` -- what the worker uid could read/change on the host (no bwrap);
* :mod:`.seed` -- standalone: fills the sandbox's size-limited submission tmpfs;
* :mod:`.warm` -- ``Zygote``: a sandboxed fork server with the heavy modules imported, which
  forks each worker into a sandbox built fresh for it (grade-all); :mod:`.zygote` -- its
  standalone script.
"""
from .errors import (
    NotImplementedYet,
    OversizeReply,
    ProtocolError,
    SandboxUnavailable,
    StaleReference,
    StudentCodeError,
    StudentTimeout,
    WorkerCrashed,
)
from .launcher import PROTECTIONS, LaunchPlan, Sandbox, WorkerProcess, WorkerStartError
from .proxy import RemotePath, RemoteRef, SubmissionProxy, TimeBudget

__all__ = [
    "PROTECTIONS",
    "LaunchPlan",
    "NotImplementedYet",
    "OversizeReply",
    "ProtocolError",
    "RemotePath",
    "RemoteRef",
    "Sandbox",
    "SandboxUnavailable",
    "StaleReference",
    "StudentCodeError",
    "StudentTimeout",
    "SubmissionProxy",
    "TimeBudget",
    "WorkerCrashed",
    "WorkerProcess",
    "WorkerStartError",
]
