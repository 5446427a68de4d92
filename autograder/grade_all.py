"""Grade a whole class: every ``submitted/<student>/<assignment>/`` of an nbgrader course.

How this relates to ``nbgrader autograde``
------------------------------------------
Each job *is* nbgrader's own autograde of one student
(``NbGraderAPI.autograde(assignment, student, force=True)``) with the course's
``nbgrader_config.py``, run in a fresh Python process of its own, forked by
a job server that has nbgrader and pytest imported already
(:mod:`autograder.grade_all_job`; nbgrader and pytest change process-wide
state, so two gradings never share a process).  Three things differ:

* **a private gradebook per job.**  nbgrader's SQLite gradebook does not
  tolerate concurrent writers, so a job autogrades against a private copy of a
  snapshot of the course gradebook (taken once by the parent, after it has
  created every student), reads the grades, comments and late penalties that
  nbgrader wrote into that copy, and returns them *as data*.  Only the parent
  process writes the course gradebook, serially, with nbgrader's
  :class:`~nbgrader.api.Gradebook` API -- the same fields ``SaveAutoGrades`` and
  ``AssignLatePenalties`` write.  The autograded notebooks land in
  ``autograded/<student>/<assignment>/`` exactly where nbgrader puts them, so
  ``nbgrader generate_feedback`` and ``nbgrader export`` work unchanged.
* **a staged copy of the submission.**  nbgrader reads a private copy of
  ``submitted/<student>/<assignment>/`` (which stays the untouched record of
  what was handed in); a notebook nbgrader cannot read, or one not handed in,
  is the released one there, so the student's ``cs231n/`` code and other
  notebooks are still graded, and that notebook's written answers score 0 with
  the reason as their comment (plain ``nbgrader autograde`` fails the whole
  student on an unreadable notebook instead).
* **the hidden suite decides, notebooks are not re-executed** (the default;
  ``--execute`` keeps nbgrader's notebook execution in the sandboxed kernel).
  The course's autograde pipeline already scores every graded cell from the
  hidden pytest suite (``HiddenSuiteGrades``, right before ``SaveAutoGrades``,
  which discards whatever the notebook's execution printed there), so a job
  only switches nbgrader's ``Execute`` preprocessor off
  (``c.Execute.enabled = False``); sanitizing, restoring graded cells,
  ``SaveAutoGrades`` and late penalties run as configured, and each job gets
  its own sandbox slot (``HiddenSuiteGrades.slot``).  Executing a CS231n
  notebook takes longer than grading it and never changes an autograded score,
  so skipping it is most of the speed-up over plain ``nbgrader autograde``;
  parallel jobs do the rest.  (Manually graded answers are untouched either
  way: nbgrader scores them from the cell's text, not its execution.)

Resume: after the parent has written a student's grades it writes a
done-marker ``.grade-all/<assignment>/<student>.json`` (atomically: temp file +
``os.replace``) holding a hash of the submission's files and a fingerprint of
the course (:func:`course_fingerprint`: hidden suites, reference, source
notebooks, the grading options and the framework's own code).  A re-run skips
a student whose marker matches both and regrades one whose submission changed
-- or everyone, after the instructor fixed a hidden test or the reference.
Failures (a job raised, nbgrader reported an error, a grading process died or
ran out of time) never stop the run; they get no marker and are listed at the
end with their reasons.

Executors: ``local`` (grading processes on this machine, default: one per
core) or ``dask`` (the same job function on an existing Dask distributed
cluster, ``distributed.Client(scheduler)``; each task starts its grading
process on the worker, so workers with several threads are fine; the course
directory must be visible at the same path on every Dask worker, e.g. a shared
file system).  Each job takes its own sandbox slot (worker uid) with a lock
file (:func:`autograder.sandbox.slots.acquire_slot`), so concurrent jobs on
one machine never share a uid whatever runs them.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Iterable

from traitlets import Bool, Enum, Int, List, Unicode
from traitlets.config import Configurable

STATE_DIR = ".grade-all"
IGNORED_NAMES = {"__pycache__", ".ipynb_checkpoints", ".DS_Store"}
# nbgrader_config.py sections whose options change what a job writes into the gradebook
GRADING_SECTIONS = ["Autograde", "Execute", "SandboxedKernelManager", "HiddenSuiteGrades",
                    "RestoreGradedCells", "LateSubmissionPlugin", "AssignLatePenalties",
                    "ClearOutput", "LimitOutput", "IgnorePattern", "OverwriteCells", "SaveAutoGrades"]


class GradeAll(Configurable):
    """``autograder grade-all`` options; set them in ``nbgrader_config.py`` as
    ``c.GradeAll.jobs = 8`` etc. The command line flags override them."""

    jobs = Int(0, help="Parallel grading jobs (worker processes); 0 means one per CPU core.").tag(config=True)
    executor = Enum(["local", "dask"], default_value="local",
                    help="Where jobs run: 'local' worker processes, or 'dask' on an existing "
                         "Dask distributed cluster (see scheduler).").tag(config=True)
    scheduler = Unicode("", help="Address of the Dask scheduler (e.g. tcp://10.0.0.5:8786) for "
                                 "executor='dask'.").tag(config=True)
    resume = Bool(True, help="Skip students whose done-marker matches their submission and the course "
                              "(hidden suites, reference, notebooks, options, grader).").tag(config=True)
    execute_notebooks = Bool(False, help="Also execute the submitted notebooks (nbgrader's Execute "
                                         "preprocessor); scores come from the hidden suites either way."
                             ).tag(config=True)
    parts = List(Unicode(), default_value=None, allow_none=True,
                 help="Grade only these grade_ids (others score 0); None grades all.").tag(config=True)
    slot_base = Int(100, help="First sandbox slot (worker uid offset) grade-all jobs may use.").tag(config=True)
    max_slots = Int(256, help="Number of sandbox slots jobs may take on one machine.").tag(config=True)
    job_timeout = Int(3600, help="Seconds one student's grading may take; then its process is "
                                 "killed and the student is listed as failed. 0 = no limit."
                      ).tag(config=True)


# --------------------------------------------------------------------------- #
# course layout, hashing, markers
# --------------------------------------------------------------------------- #
def find_students(root: Path, assignment: str) -> list[str]:
    """Students with a ``submitted/<student>/<assignment>/`` folder, sorted."""
    submitted = Path(root) / "submitted"
    if not submitted.is_dir():
        return []
    return sorted(p.name for p in submitted.iterdir() if (p / assignment).is_dir())


def submission_dir(root: Path, assignment: str, student: str) -> Path:
    return Path(root) / "submitted" / student / assignment


def submission_hash(path: Path) -> str:
    """sha256 over the relative paths and contents of every file of a submission."""
    h = hashlib.sha256()
    path = Path(path)
    for f in sorted(path.rglob("*")):
        rel = f.relative_to(path)
        if any(part in IGNORED_NAMES for part in rel.parts) or f.suffix in (".pyc", ".pyo"):
            continue
        if f.is_symlink():
            h.update(b"L" + str(rel).encode() + b"\0" + os.readlink(f).encode() + b"\0")
        elif f.is_file():
            h.update(b"F" + str(rel).encode() + b"\0")
            with open(f, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
            h.update(b"\0")
    return h.hexdigest()


def course_fingerprint(root: Path, assignment: str, config, *, parts=None,
                       execute_notebooks: bool = False) -> str:
    """sha256 of everything but the submission that decides a student's grades.

    The hidden suite's fingerprint (``grading_tests/``, ``solutions/``, source
    notebooks, ``parts``, ``Sandbox`` limits, the framework's own code:
    :func:`~autograder.nbgrader_integration.hidden_suite_grades.grading_fingerprint`),
    every file of ``source/<a>/`` (nbgrader copies them into ``autograded/``),
    the released notebooks (they stand in for unreadable ones), whether
    notebooks are executed, and the grading sections of ``config``.
    """
    from autograder.nbgrader_integration.hidden_suite_grades import (config_digest, grading_fingerprint,
                                                                     hash_tree)

    root = Path(root)
    h = hashlib.sha256(grading_fingerprint(root, assignment, parts=parts, config=config).encode())
    hash_tree(h, root / "source" / assignment, "source", skip_suffixes=(".pyc",))
    for nb in sorted((root / "release" / assignment).glob("*.ipynb")):
        h.update(b"release:" + nb.name.encode() + b"\0" + nb.read_bytes())
    h.update(f"execute={bool(execute_notebooks)}\0".encode())
    h.update(config_digest(config, GRADING_SECTIONS).encode())
    return h.hexdigest()


def state_dir(root: Path, assignment: str) -> Path:
    return Path(root) / STATE_DIR / assignment


def marker_path(root: Path, assignment: str, student: str) -> Path:
    return state_dir(root, assignment) / f"{student}.json"


def read_marker(root: Path, assignment: str, student: str) -> dict | None:
    try:
        return json.loads(marker_path(root, assignment, student).read_text())
    except (OSError, ValueError):
        return None


def write_marker(root: Path, assignment: str, student: str, data: dict) -> None:
    """Atomically write the done-marker (temp file in the same folder + os.replace)."""
    path = marker_path(root, assignment, student)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{student}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# --------------------------------------------------------------------------- #
# the job: a fresh grading process, forked by a job server here or on a Dask worker
# --------------------------------------------------------------------------- #
JOB_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "NUMEXPR_NUM_THREADS": "1"}  # N jobs use N cores, not N * cores


class ServerDied(RuntimeError):
    """The job server stopped answering (killed, or it could not start)."""


class JobServer:
    """One ``python -m autograder.grade_all_job --serve`` process (see that module): it has
    nbgrader, nbconvert and pytest imported and forks one fresh process per job.

    Used by one thread at a time.  Its own session, so Ctrl-C reaches only
    grade-all, which kills it; it also ends (killing its job) when this
    process dies, because its stdin then reaches end of file.
    """

    def __init__(self):
        import autograder
        from autograder.grade_all_job import PARENT_ENV

        env = dict(os.environ, **JOB_ENV)
        package_parent = str(Path(autograder.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH")) if p)
        env[PARENT_ENV] = str(os.getpid())
        fd, self.log_path = tempfile.mkstemp(prefix="grade-all-server-", suffix=".log")
        with os.fdopen(fd, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "autograder.grade_all_job", "--serve"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=env,
                start_new_session=True, bufsize=0)
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


_IDLE: list[JobServer] = []
_SERVERS: set[JobServer] = set()
_SERVERS_LOCK = threading.Lock()


def _take_server() -> JobServer:
    with _SERVERS_LOCK:
        while _IDLE:
            server = _IDLE.pop()
            if server.alive():
                return server
            _SERVERS.discard(server)
    server = JobServer()
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


def grade_one(job: dict) -> dict:
    """Grade one student in a fresh process (forked by a :class:`JobServer`); never raises.

    JSON-able in, JSON-able out, safe to call from several threads at once
    (a Dask worker does).  ``job``: see :mod:`autograder.grade_all_job`, plus
    ``timeout`` (seconds, 0 = none).  Returns the job's result with
    ``seconds`` (wall time).
    """
    t0 = time.perf_counter()
    student = job["student"]
    out = {"student": student, "ok": False, "error": ""}
    root = Path(job["course_root"])
    if not root.is_dir():
        import socket

        out["error"] = (f"the course directory {root} is not visible on {socket.gethostname()}; "
                        f"grade-all needs it at the same path on every machine that grades")
        return out
    timeout = job.get("timeout") or None
    try:
        with tempfile.TemporaryDirectory(prefix=f"grade-all-{student}-") as tmp:
            tmp = Path(tmp)
            job_file, result_file, log_file = tmp / "job.json", tmp / "result.json", tmp / "job.log"
            (tmp / "work").mkdir()
            job_file.write_text(json.dumps(dict(job, workdir=str(tmp / "work"))))
            for attempt in (1, 2):  # a server killed under us (not by the job) gets one retry
                server = _take_server()
                try:
                    code = server.run(job_file, result_file, log_file, timeout)
                except TimeoutError:
                    _give_back(server)
                    out["error"] = f"grading took longer than {timeout} s (GradeAll.job_timeout); stopped"
                    return out
                except ServerDied as e:
                    _drop(server)
                    if attempt == 2 or result_file.exists():
                        out["error"] = f"the grading server died: {str(e).splitlines()[-1][:300]}"
                        return out
                    continue
                _give_back(server)
                break
            if result_file.is_file():
                out.update(json.loads(result_file.read_text()))
            else:
                how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
                out["error"] = f"the grading process died ({how})"
                out["log_tail"] = _log_tail(log_file)
                if out["log_tail"]:
                    out["error"] += ": " + out["log_tail"].splitlines()[-1][:300]
    except Exception as e:  # noqa: BLE001 -- a job reports, never raises
        out["error"] = f"{type(e).__name__}: {e}"
    finally:
        out["seconds"] = time.perf_counter() - t0
    return out


# --------------------------------------------------------------------------- #
# the parent: the only writer of the course gradebook
# --------------------------------------------------------------------------- #
def course_db_url(root: Path) -> tuple[str, str]:
    from autograder.config import load_course_config

    c = load_course_config(root)
    db_url = c.CourseDirectory.get("db_url") or f"sqlite:///{Path(root) / 'gradebook.db'}"
    course_id = c.CourseDirectory.get("course_id") or ""
    return db_url, course_id


def _sqlite_path(db_url: str) -> Path:
    if not db_url.startswith("sqlite:///"):
        raise ValueError(f"grade-all needs an SQLite gradebook (got {db_url!r})")
    return Path(db_url[len("sqlite:///"):])


def make_snapshot(db_url: str, dest: Path) -> None:
    """A consistent copy of the course gradebook (sqlite3's online backup)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".tmp")
    src = sqlite3.connect(str(_sqlite_path(db_url)))
    try:
        dst = sqlite3.connect(str(tmp))
        with dst:
            src.backup(dst)
        dst.close()
    finally:
        src.close()
    os.replace(tmp, dest)


def write_grades(gb, assignment: str, student: str, data: dict) -> None:
    """Merge one job's grades into the course gradebook (what SaveAutoGrades and
    AssignLatePenalties write); manual scores a grader entered are kept."""
    from datetime import datetime

    import warnings

    ts = datetime.fromisoformat(data["timestamp"]) if data.get("timestamp") else None
    gb.update_or_create_student(student)
    with warnings.catch_warnings():  # nbgrader's own add_submission trips SQLAlchemy's autoflush warning
        warnings.simplefilter("ignore")
        _write_grades(gb, assignment, student, data, ts)


def _write_grades(gb, assignment, student, data, ts) -> None:
    if ts is not None:
        gb.update_or_create_submission(assignment, student, timestamp=ts)
    else:
        gb.update_or_create_submission(assignment, student)
    for nb in data["notebooks"]:
        snb = gb.find_submission_notebook(nb["name"], assignment, student)
        snb.late_submission_penalty = nb.get("late_submission_penalty")
        for g in nb["grades"]:
            grade = gb.find_grade(g["name"], nb["name"], assignment, student)
            grade.auto_score = g["auto_score"]
            grade.needs_manual_grade = bool(grade.manual_score is not None or grade.auto_score is None
                                            or g.get("needs_manual_grade"))
        for c in nb["comments"]:
            comment = gb.find_comment(c["name"], nb["name"], assignment, student)
            comment.auto_comment = c["auto_comment"]
    gb.db.commit()


@dataclasses.dataclass
class RunSummary:
    assignment: str
    students: list[str]
    graded: list[str] = dataclasses.field(default_factory=list)
    skipped: list[str] = dataclasses.field(default_factory=list)
    failures: dict[str, str] = dataclasses.field(default_factory=dict)
    notes: dict[str, str] = dataclasses.field(default_factory=dict)  # graded, with a remark (unreadable notebook)
    scores: dict[str, float] = dataclasses.field(default_factory=dict)
    job_seconds: dict[str, float] = dataclasses.field(default_factory=dict)  # per graded student
    wall_seconds: float = 0.0
    jobs: int = 1
    executor: str = "local"

    @property
    def per_minute(self) -> float:
        return 60.0 * len(self.graded) / self.wall_seconds if self.wall_seconds > 0 else 0.0

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["per_minute"] = self.per_minute
        return d


# -- executors ---------------------------------------------------------------
def run_local(jobs: list[dict], workers: int, on_result: Callable[[dict], None]) -> None:
    """Run ``grade_one`` over ``jobs``, at most ``workers`` grading processes at a time.

    Threads here only hand jobs to job servers and wait; ``on_result`` runs in
    this (the calling) thread, one result at a time.  On an interruption
    (Ctrl-C) every running grading process is killed.
    """
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    pending = list(jobs)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grade-all")
    in_flight: dict = {}
    try:
        while pending or in_flight:
            while pending and len(in_flight) < workers:
                job = pending.pop(0)
                in_flight[pool.submit(grade_one, job)] = job
            done, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            for fut in done:
                job = in_flight.pop(fut)
                try:
                    res = fut.result()
                except Exception as e:  # noqa: BLE001 -- grade_one never raises; belt and braces
                    res = {"student": job["student"], "ok": False, "error": f"{type(e).__name__}: {e}"}
                on_result(res)
    except BaseException:
        kill_running_jobs()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        close_job_servers()


def run_dask(jobs: list[dict], scheduler: str, on_result: Callable[[dict], None]) -> None:
    """Run ``grade_one`` over ``jobs`` on an existing Dask distributed cluster.

    Each task grades in a fresh process on its worker (a job server per
    worker thread, kept between tasks), so a worker with several threads
    grades several students at once, each in its own process.
    """
    from distributed import Client, as_completed

    with Client(scheduler) as client:
        futures = {client.submit(grade_one, job, key=f"grade-all-{job['student']}-{job['hash'][:12]}",
                                 pure=False, retries=0): job for job in jobs}
        try:
            for fut in as_completed(futures):
                job = futures[fut]
                try:
                    res = fut.result()
                except Exception as e:  # a Dask worker died, the task was lost, ...
                    res = {"student": job["student"], "ok": False,
                           "error": f"dask: {type(e).__name__}: {e}"}
                on_result(res)
        except BaseException:
            client.cancel(list(futures))
            raise


# -- progress ----------------------------------------------------------------
class _Progress:
    def __init__(self, total: int, enabled: bool):
        self.bar = None
        if enabled and total:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="student", desc="grading", dynamic_ncols=True,
                            file=sys.stderr, smoothing=0.1)

    def update(self, student: str, ok: bool) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(f"{'ok' if ok else 'FAILED'} {student}", refresh=False)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def grade_all(
    assignment: str,
    root: Path | None = None,
    *,
    jobs: int | None = None,
    executor: str | None = None,
    scheduler: str | None = None,
    resume: bool | None = None,
    execute_notebooks: bool | None = None,
    parts: Iterable[str] | None = None,
    students: Iterable[str] | None = None,
    job_timeout: int | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> RunSummary:
    """Grade every submission of ``assignment`` in the nbgrader course at ``root``.

    Arguments left as None take their values from ``c.GradeAll.*`` in the
    course's ``nbgrader_config.py``.
    """
    from autograder.config import load_course_config
    from autograder.course import load_assignment
    from autograder.paths import course_root
    from nbgrader.api import Gradebook

    root = Path(root or course_root()).resolve()
    config = load_course_config(root)
    spec = load_assignment(assignment, root)
    package = spec.package
    opts = GradeAll(config=config)
    jobs = jobs if jobs is not None else opts.jobs
    jobs = jobs if jobs and jobs > 0 else (os.cpu_count() or 1)
    executor = executor or opts.executor
    scheduler = scheduler if scheduler is not None else opts.scheduler
    resume = opts.resume if resume is None else resume
    execute_notebooks = opts.execute_notebooks if execute_notebooks is None else execute_notebooks
    parts = sorted(parts) if parts is not None else (sorted(opts.parts) if opts.parts is not None else None)
    job_timeout = opts.job_timeout if job_timeout is None else job_timeout
    say = log or (lambda m: print(m, file=sys.stderr))
    if executor == "dask" and not scheduler:
        raise ValueError("--executor dask needs --scheduler ADDRESS (or c.GradeAll.scheduler)")

    everyone = find_students(root, assignment)
    if students is not None:
        wanted = set(students)
        everyone = [s for s in everyone if s in wanted]
    summary = RunSummary(assignment, everyone, jobs=jobs, executor=executor)
    t0 = time.perf_counter()

    db_url, course_id = course_db_url(root)
    with Gradebook(db_url, course_id) as gb:
        gb.find_assignment(assignment)  # MissingEntry: run generate_assignment first
        for s in everyone:  # students exist before the snapshot: jobs never create rows we merge
            gb.update_or_create_student(s)
        in_gradebook = {sub.student.id for sub in gb.find_assignment(assignment).submissions}

    course_fp = course_fingerprint(root, assignment, config, parts=parts,
                                   execute_notebooks=bool(execute_notebooks))
    todo: list[dict] = []
    snapshot = state_dir(root, assignment) / "gradebook-snapshot.db"
    hashes = {}
    stale_course = 0
    for s in everyone:
        h = submission_hash(submission_dir(root, assignment, s))
        hashes[s] = h
        marker = read_marker(root, assignment, s) if resume else None
        if marker and marker.get("hash") == h and s in in_gradebook:  # a reset gradebook regrades
            if marker.get("course") == course_fp:
                summary.skipped.append(s)
                summary.scores[s] = marker.get("score") or 0.0
                if marker.get("notes"):
                    summary.notes[s] = marker["notes"]
                continue
            stale_course += 1
        todo.append({"course_root": str(root), "assignment": assignment, "student": s, "hash": h,
                     "snapshot": str(snapshot), "execute_notebooks": bool(execute_notebooks),
                     "parts": parts, "resume": bool(resume), "timeout": job_timeout,
                     "slot_base": opts.slot_base, "max_slots": opts.max_slots})
    if summary.skipped:
        say(f"resume: {len(summary.skipped)} student(s) already graded with the same submission "
            f"and course, skipped")
    if stale_course:
        say(f"resume: {stale_course} unchanged submission(s) regraded: the hidden suites, reference, "
            f"notebooks, grading options or grader changed since they were graded")
    if not todo:
        summary.wall_seconds = time.perf_counter() - t0
        return summary

    # the reference's own call times (autograder.calibration), measured once here when this
    # machine has none for this course version, rather than by every job at once
    from autograder.calibration import call_limits
    from autograder.runner import make_sandbox

    call_limits(spec, make_sandbox(config, root, spec.hidden_site_paths), config)
    make_snapshot(db_url, snapshot)
    bar = _Progress(len(todo), progress)
    lock = threading.Lock()

    def on_result(res: dict) -> None:
        s = res["student"]
        with lock:  # the parent alone writes the gradebook, one student at a time
            if res.get("seconds"):
                summary.job_seconds[s] = res["seconds"]
            ok = bool(res.get("ok"))
            if ok:
                try:
                    with Gradebook(db_url, course_id) as gb:
                        write_grades(gb, assignment, s, res)
                    notes = _notes_text(res.get("notes") or {}, package)
                    write_marker(root, assignment, s, {
                        "student": s, "hash": res.get("hash") or hashes[s], "course": course_fp,
                        "score": res.get("score"), "max_score": res.get("max_score"),
                        "graded_at": time.time(), "parts": parts,
                        "execute_notebooks": bool(execute_notebooks), "notes": notes,
                    })
                    summary.graded.append(s)
                    summary.scores[s] = res.get("score") or 0.0
                    if notes:
                        summary.notes[s] = notes
                except Exception as e:  # noqa: BLE001
                    ok = False
                    res["error"] = f"writing the gradebook failed: {type(e).__name__}: {e}"
            if not ok:
                summary.failures[s] = res.get("error") or "unknown error"
            bar.update(s, ok)

    try:
        if executor == "dask":
            run_dask(todo, scheduler, on_result)
        else:
            run_local(todo, min(jobs, len(todo)), on_result)
    finally:
        bar.close()
        with contextlib.suppress(OSError):
            snapshot.unlink()
    summary.wall_seconds = time.perf_counter() - t0
    return summary


def _notes_text(notes: dict[str, str], package: str) -> str:
    """One line for the run's summary: which notebooks could not be read, and why."""
    from autograder.grade_all_job import UNREADABLE_NOTE

    return "; ".join(UNREADABLE_NOTE.format(name=name, reason=reason, package=package)
                     for name, reason in sorted(notes.items()))
