"""Run a function in a forked copy of this (trusted) process and take its result back.

``autograder grade`` runs the hidden test files that need the assignment's ``preload``
(torch) in a second grader process beside the other files (:func:`autograder.runner.
grade_submission`). A fork shares what the grader has imported and its prepared copy of
the submission; the child opens its own pytest session, slot and sandboxed worker.
multiprocessing's fork context does the fork, the pipe and the pickling of the result;
this module adds what it does not: the child's printed output kept aside (pytest's
progress would interleave with the parent's) and a deadline on the wait.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import sys
import tempfile
import threading
import traceback
from typing import Callable


def can_fork(preload: tuple[str, ...] | list[str] = ()) -> bool:
    """Whether this process may fork a grader safely: it runs one thread (a lock another thread
    holds at the fork stays held in the child forever) and has not imported any of ``preload``
    (a fork of a process whose torch already ran OpenMP threads hangs in its first parallel
    region: libgomp's pool does not survive a fork)."""
    if threading.active_count() != 1:
        return False
    return not any(name.partition(".")[0] in sys.modules for name in preload)


class ForkedRunError(RuntimeError):
    """The forked run failed, died or overran its deadline (a grader problem, not a score)."""


def _child(fn: Callable[[], object], conn, out_fd: int) -> None:
    sys.stdout.flush()
    os.dup2(out_fd, 1)  # C-level writes, and a new sys.stdout on fd 1 (pytest prints through it)
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
    try:
        reply = ("ok", fn())
    except BaseException as e:  # noqa: BLE001 - reported to the parent, which raises it
        try:
            exc = pickle.dumps(e)
        except Exception:  # noqa: BLE001 - not picklable: the parent raises ForkedRunError
            exc = None
        reply = ("error", (exc, traceback.format_exc()))
    finally:
        sys.stdout.flush()
    conn.send(reply)
    conn.close()


def _child_error(pickled: bytes | None, tb: str) -> BaseException:
    """The child's own exception (so callers catch what an in-process run raises), its
    traceback added as a note; a :class:`ForkedRunError` when it does not unpickle."""
    try:
        error = pickle.loads(pickled) if pickled is not None else None
    except Exception:  # noqa: BLE001
        error = None
    if not isinstance(error, BaseException):
        return ForkedRunError(f"the forked grader process failed:\n{tb}")
    error.add_note(f"(raised in the forked grader process)\n{tb}")
    return error


class ForkedRun:
    """``fn()`` running in a forked child from construction on; :meth:`result` waits for it.

    ``fn`` returns something picklable; :attr:`output` is what the child printed.
    """

    def __init__(self, fn: Callable[[], object]):
        ctx = multiprocessing.get_context("fork")
        self._conn, send = ctx.Pipe(duplex=False)
        self._out = tempfile.TemporaryFile()
        self.output = ""
        sys.stdout.flush()
        sys.stderr.flush()
        self._proc = ctx.Process(target=_child, args=(fn, send, self._out.fileno()),
                                 name="autograder-forked-run")
        self._proc.start()
        send.close()

    def result(self, timeout: float):
        """``fn``'s value. Raises what ``fn`` raised (with the child's traceback as a note;
        :class:`ForkedRunError` if that does not pickle), and :class:`ForkedRunError` if the
        child died without a value or took more than ``timeout`` seconds (then it is killed)."""
        try:
            if not self._conn.poll(timeout):
                self._proc.kill()
                raise ForkedRunError(f"the forked grader process gave no result in {timeout:.0f} s")
            status, value = self._conn.recv()
        except (EOFError, OSError):
            self._proc.join(5)
            raise ForkedRunError(f"the forked grader process ended (exit code {self._proc.exitcode}) "
                                 "without a result") from None
        finally:
            self._finish()
        if status != "ok":
            raise _child_error(*value)
        return value

    def cancel(self) -> None:
        """Stop the run (its caller failed and will not wait for it)."""
        if self._proc.is_alive():
            self._proc.kill()
        self._finish()

    def _finish(self) -> None:
        self._proc.join(5)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join()
        self._conn.close()
        with contextlib.suppress(OSError):
            self._out.seek(0)
            self.output = self._out.read().decode("utf-8", "replace")
        self._out.close()
