"""Run one job in a fresh grading process: the grade-all side of the job server.

:func:`grade_one` is what the executors run (:mod:`.executors`: a thread of
this process, or a task on a Dask worker): it writes the
:class:`~.records.GradeJob` to a job file, hands it to a job server
(:class:`JobServer`, one ``python -m autograder.grade_all.job_server --serve``
process a concurrent job, kept between jobs; see :mod:`.job_server`), waits
for the grading process it forks (killing it after ``job_timeout``), and reads
the :class:`~.records.JobResult` back from the result file.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from autograder.course import CourseError, load_assignment

from .records import GradeJob, JobResult

JOB_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "NUMEXPR_NUM_THREADS": "1"}  # N jobs use N cores, not N * cores


class ServerDied(RuntimeError):
    """The job server stopped answering (killed, or it could not start)."""


class JobServer:
    """One job server process (:mod:`.job_server`): it has nbgrader, nbconvert and pytest
    imported and forks one fresh process per job.

    Used by one thread at a time.  Its own session, so Ctrl-C reaches only
    grade-all, which kills it; it also ends (killing its job) when this
    process dies, because its stdin then reaches end of file.
    """

    def __init__(self, preload: tuple[str, ...] = ()):
        import autograder

        from .job_server import MODULE, PARENT_ENV

        env = dict(os.environ, **JOB_ENV)
        package_parent = str(Path(autograder.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH")) if p)
        env[PARENT_ENV] = str(os.getpid())
        fd, self.log_path = tempfile.mkstemp(prefix="grade-all-server-", suffix=".log")
        with os.fdopen(fd, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", MODULE, "--serve", *([",".join(preload)] if preload else [])],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=env,
                start_new_session=True, bufsize=0)
        self.preload = preload
        self.job_pid: int | None = None
        self._buf = b""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def run(self, job_file: Path, result_file: Path, log_file: Path, timeout: float | None) -> int:
        """Run one job; its exit code. Raises TimeoutError (the job was killed) or ServerDied."""
        try:
            self.proc.stdin.write((json.dumps([str(job_file), str(result_file), str(log_file)]) + "\n").encode())
            self.proc.stdin.flush()
        except OSError as e:
            raise ServerDied(str(e)) from e
        deadline = time.monotonic() + timeout if timeout else None
        self.job_pid = int(self._answer("pid", None))
        try:
            return int(self._answer("exit", deadline))
        except TimeoutError:
            self.kill_job()
            self._answer("exit", time.monotonic() + 60)
            raise
        finally:
            self.job_pid = None

    def _answer(self, word: str, deadline: float | None) -> str:
        import select

        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([fd], [], [], wait)[0]:
                raise TimeoutError
            chunk = os.read(fd, 4096)
            if not chunk:
                raise ServerDied(self.log_tail() or "the grading server exited")
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        got, _, value = line.decode().partition(" ")
        if got != word:
            raise ServerDied(f"unexpected answer {line!r}")
        return value

    def log_tail(self) -> str:
        return _log_tail(Path(self.log_path))

    def kill_job(self) -> None:
        pid = self.job_pid
        if pid:
            for kill in (os.killpg, os.kill):  # its session; or itself, if it had no time to make one
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    kill(pid, signal.SIGKILL)

    def kill(self) -> None:
        self.kill_job()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        with contextlib.suppress(OSError):
            os.unlink(self.log_path)


# -- the servers of this process: one a concurrent job, idle ones kept for the next job
_IDLE: list[JobServer] = []
_SERVERS: set[JobServer] = set()
_SERVERS_LOCK = threading.Lock()


def _take_server(preload: tuple[str, ...] = ()) -> JobServer:
    """An idle server that imported ``preload`` (the assignment's heavy modules), or a new one."""
    with _SERVERS_LOCK:
        for server in [s for s in _IDLE if s.preload == preload]:
            _IDLE.remove(server)
            if server.alive():
                return server
            _SERVERS.discard(server)
    server = JobServer(preload)
    with _SERVERS_LOCK:
        _SERVERS.add(server)
    return server


def _give_back(server: JobServer) -> None:
    with _SERVERS_LOCK:
        _IDLE.append(server)


def _drop(server: JobServer) -> None:
    with _SERVERS_LOCK:
        _SERVERS.discard(server)
        if server in _IDLE:
            _IDLE.remove(server)
    server.kill()


def close_job_servers() -> None:
    """End every idle job server of this process (they end by themselves when it dies)."""
    with _SERVERS_LOCK:
        servers, _IDLE[:] = list(_IDLE), []
        _SERVERS.difference_update(servers)
    for server in servers:
        server.close()


def kill_running_jobs() -> None:
    """Kill every job server of this process and the job it runs (on an interruption)."""
    with _SERVERS_LOCK:
        servers = list(_SERVERS)
        _SERVERS.clear()
        _IDLE[:] = []
    for server in servers:
        server.kill()


def _log_tail(path: Path, lines: int = 12) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


def grade_one(job: GradeJob) -> JobResult:
    """Grade one student in a fresh process (forked by a :class:`JobServer`); never raises.

    Safe to call from several threads at once (a Dask worker does).  The result's
    ``seconds`` is the job's wall time; ``job.options.job_timeout`` (0 = none) stops it.
    """
    t0 = time.perf_counter()
    out = JobResult(student=job.student)
    root = Path(job.course_root)
    if not root.is_dir():
        import socket

        out.error = (f"the course directory {root} is not visible on {socket.gethostname()}; "
                     f"grade-all needs it at the same path on every machine that grades")
        return out
    timeout = job.options.job_timeout or None
    try:
        preload = load_assignment(job.assignment, root).preload
    except CourseError:
        preload = ()
    try:
        with tempfile.TemporaryDirectory(prefix=f"grade-all-{job.student}-") as tmp:
            tmp = Path(tmp)
            job_file, result_file, log_file = tmp / "job.json", tmp / "result.json", tmp / "job.log"
            (tmp / "work").mkdir()
            job_file.write_text(dataclasses.replace(job, workdir=str(tmp / "work")).to_json())
            for attempt in (1, 2):  # a server killed under us (not by the job) gets one retry
                server = _take_server(preload)
                try:
                    code = server.run(job_file, result_file, log_file, timeout)
                except TimeoutError:
                    _give_back(server)
                    out.error = f"grading took longer than {timeout} s (GradeAll.job_timeout); stopped"
                    return out
                except ServerDied as e:
                    _drop(server)
                    if attempt == 2 or result_file.exists():
                        out.error = f"the grading server died: {str(e).splitlines()[-1][:300]}"
                        return out
                    continue
                _give_back(server)
                break
            if result_file.is_file():
                out = JobResult.from_json(result_file.read_text())
            else:
                how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
                out.error = f"the grading process died ({how})"
                tail = _log_tail(log_file)
                if tail:
                    out.error += ": " + tail.splitlines()[-1][:300]
    except Exception as e:  # noqa: BLE001 -- a job reports, never raises
        out.error = f"{type(e).__name__}: {e}"
    finally:
        out.seconds = time.perf_counter() - t0
    return out
