"""Run untrusted submission code in an isolated worker process.

* :mod:`.launcher` -- ``Sandbox`` (configurable limits/isolation) starts a ``WorkerProcess``;
* :mod:`.proxy` -- ``SubmissionProxy``/``RemoteRef``: call student code as if it were local;
* :mod:`.protocol` -- the wire format (length-prefixed msgpack, arrays as data, never pickle);
* :mod:`.worker` -- the standalone script that runs inside the sandbox;
* :mod:`.errors` -- ``StudentCodeError`` and its subclasses.
"""
from .errors import (
    NotImplementedYet,
    ProtocolError,
    SandboxUnavailable,
    StaleReference,
    StudentCodeError,
    StudentTimeout,
    WorkerCrashed,
)
from .launcher import PROTECTIONS, Sandbox, WorkerProcess, WorkerStartError
from .proxy import RemotePath, RemoteRef, SubmissionProxy

__all__ = [
    "PROTECTIONS",
    "NotImplementedYet",
    "ProtocolError",
    "RemotePath",
    "RemoteRef",
    "Sandbox",
    "SandboxUnavailable",
    "StaleReference",
    "StudentCodeError",
    "StudentTimeout",
    "SubmissionProxy",
    "WorkerCrashed",
    "WorkerProcess",
    "WorkerStartError",
]
