"""The job server: a process that forks one fresh grading process a job.

    python -m autograder.grade_all.job_server --serve [torch,...]   # what grade-all starts
    python -m autograder.grade_all.job_server JOB.json RESULT.json  # one job, here (debugging)

Why a fresh process for every grading: nbgrader's autograde changes
process-wide state (the working directory, ``os.environ['NBGRADER_EXECUTION']``,
logging handlers), and ``pytest.main`` (the hidden suite) is not re-entrant,
so two gradings must never share a process -- yet a Dask worker runs several
tasks at once in threads.  A process of its own also frees whatever a grading
leaked, can be killed as a whole (its own session) on a timeout, and dies
with whoever started it (``PR_SET_PDEATHSIG``), so an interrupted
``grade-all`` leaves no grading running behind it.

Starting Python and importing nbgrader, nbconvert and pytest takes about two
seconds, as long as a fifth of a grading; so :func:`serve` imports them once
(and pays nbgrader's other per-student fixed costs: :mod:`.nbgrader_costs`)
and then forks (``os.fork()``) one fresh child per job (it is single-threaded and
never grades itself, so every child starts from the same clean state).
At its first job it also starts the course's warm fork server
(:func:`start_warm_workers`, :mod:`autograder.sandbox.warm`): the jobs' sandboxed
workers are forked from it with torch imported, each into a sandbox of its own;
and, when the jobs execute the notebooks, a second one for their kernels, with
ipykernel and the assignment's ``notebook_preload`` imported.

Protocol: the server reads one request a line on stdin, ``["JOB.json",
"RESULT.json", "LOG"]``, and answers ``pid <child pid>`` and then ``exit <exit
code>`` on stdout.  ``JOB.json`` is a :class:`~.records.GradeJob`,
``RESULT.json`` the child's :class:`~.records.JobResult` (both ``to_json``),
written whole or not at all.  The other end is :class:`.dispatch.JobServer`.
"""
from __future__ import annotations

import contextlib
import json
import os
import sys
import traceback
from pathlib import Path

MODULE = "autograder.grade_all.job_server"  # what grade-all runs with python -m
PARENT_ENV = "AUTOGRADER_GRADE_ALL_PARENT"
# imported once by the server, before it forks the jobs (none of them starts a thread)
PRELOAD = ("nbformat", "nbconvert.preprocessors", "nbgrader.apps", "nbgrader.api", "nbgrader.converters",
           "nbgrader.coursedir", "nbgrader.preprocessors", "pytest", "autograder.config", "autograder.runner",
           "autograder.sandbox.slots", "autograder.nbgrader_integration.hidden_suite_grades",
           "autograder.nbgrader_integration.restore_graded_cells",
           "autograder.nbgrader_integration.sandboxed_execute", "autograder.grade_all.job",
           "autograder.grade_all.gradebook", "autograder.grade_all.staging")


def die_with_parent(parent: int) -> None:
    """Be killed when process ``parent`` (ours) dies (Linux ``PR_SET_PDEATHSIG``).

    Written with ctypes: no library in the lock file wraps ``prctl``.  If the
    parent already died before the ``prctl`` call, exit at once.
    """
    if not parent or not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    PR_SET_PDEATHSIG = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:
        os._exit(3)


def run_job(job_file: str, result_file: str) -> int:
    """Grade the job of ``job_file`` and write ``result_file`` whole (temp file + rename)."""
    from .job import grade_here
    from .records import GradeJob

    result = grade_here(GradeJob.from_json(Path(job_file).read_text()))
    tmp = Path(result_file + ".tmp")
    tmp.write_text(result.to_json())
    os.replace(tmp, result_file)  # the parent sees a whole result or none
    return 0


def _child(job_file: str, result_file: str, log_file: str, server: int) -> None:
    """In the forked child: own session, dies with the server, output to the log; never returns."""
    code = 1
    try:
        os.setsid()
        die_with_parent(server)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        log = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        code = run_job(job_file, result_file)
    except BaseException:  # noqa: BLE001 -- report in the log, exit non-zero
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _wait_or_orphaned(pid: int, requests: int) -> int | None:
    """Wait for child ``pid``; kill it (and return None) if ``requests`` (our stdin) reaches
    end of file first, i.e. the process that started this server is gone."""
    import select
    import signal

    # a pidfd becomes readable when the child exits, so the next job is asked for at once;
    # without one (kernels before 5.3) the exit is looked for four times a second
    try:
        exited = os.pidfd_open(pid)
    except (AttributeError, OSError):
        exited = None
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            ready, _, _ = select.select([requests] + ([exited] if exited is not None else []), [], [],
                                        None if exited is not None else 0.25)
            if requests in ready and not os.read(requests, 1 << 16):  # EOF: nobody waits for this job
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return None
    finally:
        if exited is not None:
            os.close(exited)


def start_warm_workers(job_file: str) -> None:
    """Start this server's warm fork server (:mod:`autograder.sandbox.warm`) for the course and
    assignment of its first job, importing the assignment's ``preload``; every job forked
    from here then forks its workers from it; and, if the job executes the notebooks, the
    fork server of their kernels.  Where warm workers cannot be had, or it fails, the workers
    (kernels) start cold (as ``autograder grade``'s do)."""
    try:
        from autograder.config import course_config
        from autograder.runner import start_warm_kernels
        from autograder.runner import start_warm_workers as start

        from .records import GradeJob

        job = GradeJob.from_json(Path(job_file).read_text())
        config = course_config(job.course_root)
        start(job.assignment, Path(job.course_root), config)
        if job.options.execute_notebooks:
            start_warm_kernels(job.assignment, Path(job.course_root), config)
    except Exception:  # noqa: BLE001 -- cold workers still grade; say why in the server's log
        traceback.print_exc()


def stop_warm_workers() -> None:
    """Stop this server's warm fork servers, if it has any."""
    from autograder.sandbox import warm

    if warm.installed() is not None:
        warm.installed().close()
        warm.install(None)
    if warm.installed_kernels() is not None:
        warm.installed_kernels().close()
        warm.install_kernels(None)


def serve(preload: tuple[str, ...] = ()) -> int:
    """The job server: preload (``PRELOAD`` and the assignment's ``preload``, torch say), then
    fork one child per request line (see the module doc).

    It ends when its stdin reaches end of file -- also while a job runs, which
    it then kills: the process that started it has died or given up.
    """
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    from autograder.runner import import_preload  # one of PRELOAD

    from .nbgrader_costs import prepare

    prepare()  # nbgrader's per-student fixed costs, paid here once
    import_preload(preload)  # the course's, then everything imported so far frozen
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything else printed here must not reach the answers
    try:
        return _serve_jobs(answers)
    finally:
        stop_warm_workers()


def _serve_jobs(answers) -> int:
    requests = 0
    me = os.getpid()
    pending = b""
    first = True
    while True:
        while b"\n" not in pending:
            chunk = os.read(requests, 1 << 16)
            if not chunk:
                return 0
            pending += chunk
        line, _, pending = pending.partition(b"\n")
        if not line.strip():
            continue
        job_file, result_file, log_file = json.loads(line)
        if first:
            start_warm_workers(job_file)
            first = False
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            answers.close()
            _child(job_file, result_file, log_file, me)
        answers.write(f"pid {pid}\n")
        code = _wait_or_orphaned(pid, requests)
        if code is None:
            return 0
        answers.write(f"exit {code}\n")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve"] and len(argv) <= 2:
        # killed with grade-all even while the preload (torch: seconds) keeps it from reading
        # the end of its stdin; a server whose starting thread ended is replaced (dispatch)
        die_with_parent(int(os.environ.get(PARENT_ENV, "0") or 0))
        return serve(tuple(m for m in (argv[1] if len(argv) == 2 else "").split(",") if m))
    if len(argv) != 2:
        print(f"usage: python -m {MODULE} --serve | JOB.json RESULT.json", file=sys.stderr)
        return 2
    die_with_parent(int(os.environ.get(PARENT_ENV, "0") or 0))
    return run_job(argv[0], argv[1])


if __name__ == "__main__":
    sys.exit(main())
