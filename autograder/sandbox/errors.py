"""Exceptions raised on the trusted side when student code misbehaves.

Every failure caused by a submission is a :class:`StudentCodeError`, so a
hidden test can treat them uniformly ("the student's code failed") while the
message says what happened in words a student can act on.
"""
from __future__ import annotations

from autograder.student_text import TRUNCATED, clip  # noqa: F401  (re-exported)

# Caps on the student-controlled text a failure carries, applied on the trusted
# side: the worker's own caps are in the student's process and can be changed
# there (``__main__.MAX_MESSAGE = 10**9``), so they are only a courtesy.
MAX_MESSAGE_CHARS = 2048
MAX_TRACEBACK_CHARS = 4096
MAX_STDOUT_CHARS = 4096
MAX_NAME_CHARS = 200


class StudentCodeError(Exception):
    """Student code raised, hung, crashed the worker or sent malformed data.

    Attributes: ``exc_type`` (student-side exception type name), ``message``,
    ``student_traceback`` (frames in the submission's files only), ``function``
    (the dotted name that was called), ``stdout`` (tail of what it printed).
    """

    def __init__(self, message: str, *, exc_type: str = "", function: str = "",
                 student_traceback: str = "", stdout: str = ""):
        self.exc_type = clip(exc_type, MAX_NAME_CHARS)
        self.message = clip(message, MAX_MESSAGE_CHARS)
        self.function = clip(function, MAX_NAME_CHARS)
        self.student_traceback = clip(student_traceback, MAX_TRACEBACK_CHARS, keep="tail")
        self.stdout = clip(stdout, MAX_STDOUT_CHARS, keep="tail")
        super().__init__(self._render())

    def _render(self) -> str:
        head = f"{self.function}: " if self.function else ""
        kind = f"{self.exc_type}: " if self.exc_type else ""
        text = f"{head}{kind}{self.message}"
        if self.student_traceback:
            text += "\nTraceback (your code):\n" + self.student_traceback.rstrip()
        return text


class NotImplementedYet(StudentCodeError):
    """The student's function still raises ``NotImplementedError``."""


class StudentTimeout(StudentCodeError):
    """A call exceeded its wall-clock limit (the worker was killed)."""


class WorkerCrashed(StudentCodeError):
    """The worker process died during a call; ``returncode``/``signal`` say how."""

    def __init__(self, message: str, *, returncode: int | None = None, signal: int | None = None, **kw):
        self.returncode = returncode
        self.signal = signal
        super().__init__(message, **kw)


class ProtocolError(StudentCodeError):
    """The worker sent malformed or disallowed data (counted as the student's failure)."""


class OversizeReply(ProtocolError):
    """The worker sent one reply larger than ``Sandbox.max_frame_mb`` (the worker was stopped)."""


class StaleReference(StudentCodeError):
    """A RemoteRef from a worker that has since been restarted (after a timeout or crash)."""


class SandboxUnavailable(RuntimeError):
    """A protection the course requires (``Sandbox.require_isolation``) is not available here."""


__all__ = [
    "MAX_MESSAGE_CHARS",
    "MAX_STDOUT_CHARS",
    "MAX_TRACEBACK_CHARS",
    "NotImplementedYet",
    "OversizeReply",
    "ProtocolError",
    "SandboxUnavailable",
    "StaleReference",
    "StudentCodeError",
    "StudentTimeout",
    "WorkerCrashed",
    "clip",
]
