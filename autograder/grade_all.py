"""Grade a whole class: every ``submitted/<student>/<assignment>/`` of an nbgrader course.

How this relates to ``nbgrader autograde``
------------------------------------------
Each job *is* nbgrader's own autograde of one student
(``NbGraderAPI.autograde(assignment, student, force=True)``), run in a worker
process with the course's ``nbgrader_config.py``. Two things differ:

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
``os.replace``) holding a hash of the submission's files.  A re-run skips a
student whose marker matches the submission on disk and regrades one whose
submission changed.  Failures (a job raised, nbgrader reported an error, a
worker process died) never stop the run; they get no marker and are listed
at the end with their reasons.

Executors: ``local`` (a pool of worker processes on this machine, default
size: all cores) or ``dask`` (the same job function on an existing Dask
distributed cluster, ``distributed.Client(scheduler)``; the course directory
must be visible at the same path on every Dask worker, e.g. a shared file
system).  Each job picks its own sandbox slot (worker uid) with a lock file,
so concurrent jobs on one machine never share a uid whatever runs them.
"""
from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Callable, Iterable

from traitlets import Bool, Enum, Int, List, Unicode
from traitlets.config import Config, Configurable

STATE_DIR = ".grade-all"
SLOT_LOCK_DIR = Path(tempfile.gettempdir()) / "autograder-slots"
IGNORED_NAMES = {"__pycache__", ".ipynb_checkpoints", ".DS_Store"}


class GradeAll(Configurable):
    """``autograder grade-all`` options; set them in ``nbgrader_config.py`` as
    ``c.GradeAll.jobs = 8`` etc. The command line flags override them."""

    jobs = Int(0, help="Parallel grading jobs (worker processes); 0 means one per CPU core.").tag(config=True)
    executor = Enum(["local", "dask"], default_value="local",
                    help="Where jobs run: 'local' worker processes, or 'dask' on an existing "
                         "Dask distributed cluster (see scheduler).").tag(config=True)
    scheduler = Unicode("", help="Address of the Dask scheduler (e.g. tcp://10.0.0.5:8786) for "
                                 "executor='dask'.").tag(config=True)
    resume = Bool(True, help="Skip students whose done-marker matches their submission.").tag(config=True)
    execute_notebooks = Bool(False, help="Also execute the submitted notebooks (nbgrader's Execute "
                                         "preprocessor); scores come from the hidden suites either way."
                             ).tag(config=True)
    parts = List(Unicode(), default_value=None, allow_none=True,
                 help="Grade only these grade_ids (others score 0); None grades all.").tag(config=True)
    slot_base = Int(100, help="First sandbox slot (worker uid offset) grade-all jobs may use.").tag(config=True)
    max_slots = Int(256, help="Number of sandbox slots jobs may take on one machine.").tag(config=True)


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
# the job: runs in a worker process (local pool or a Dask worker)
# --------------------------------------------------------------------------- #
@contextlib.contextmanager
def acquire_slot(base: int, count: int):
    """Hold an exclusive sandbox slot on this machine (a flock'ed lock file) while grading."""
    SLOT_LOCK_DIR.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(SLOT_LOCK_DIR, 0o1777)
    deadline = time.monotonic() + 600
    while True:
        for slot in range(base, base + count):
            fh = open(SLOT_LOCK_DIR / f"slot-{slot}.lock", "a+")
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                fh.close()
                continue
            try:
                yield slot
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
                fh.close()
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"no free sandbox slot in {base}..{base + count - 1}")
        time.sleep(0.2)


def _nbgrader_config(root: Path, db_url: str, job: dict, slot: int) -> Config:
    """The course's nbgrader config for one job: private gradebook, own sandbox slot,
    and (unless ``execute_notebooks``) nbgrader's Execute preprocessor switched off."""
    from autograder.config import load_course_config
    from autograder.nbgrader_integration.hidden_suite_grades import HiddenSuiteGrades

    config = Config(load_course_config(root))
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.db_url = db_url
    config.HiddenSuiteGrades.slot = slot
    config.SandboxedKernelManager.slot = slot
    if job.get("parts") is not None:
        config.HiddenSuiteGrades.parts = list(job["parts"])
    if not job.get("resume", True):  # --no-resume: regrade for real, no saved hidden-suite result
        config.HiddenSuiteGrades.reuse_saved_results = False
    if not job.get("execute_notebooks"):
        config.Execute.enabled = False  # also SandboxedExecute (a subclass): the hidden suite scores
    # the graded cells must be scored by the hidden suite whatever the course file says
    pps = list(config.Autograde.get("autograde_preprocessors", []) or [])
    if not any(isinstance(pp, type) and issubclass(pp, HiddenSuiteGrades) for pp in pps):
        from nbconvert.preprocessors import ClearMetadataPreprocessor
        from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, Execute,
                                            IgnorePattern, LimitOutput, SaveAutoGrades)
        config.Autograde.autograde_preprocessors = [  # nbgrader's defaults + the hidden suite
            Execute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, HiddenSuiteGrades,
            SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
    return config


def _read_back(db_url: str, assignment: str, student: str) -> dict:
    """What nbgrader's autograde wrote for one student, as plain data."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        sub = gb.find_submission(assignment, student)
        notebooks = []
        for nb in sub.notebooks:
            notebooks.append({
                "name": nb.name,
                "late_submission_penalty": nb.late_submission_penalty,
                "grades": [{"name": g.name, "auto_score": g.auto_score, "max_score": g.max_score,
                            "needs_manual_grade": g.needs_manual_grade} for g in nb.grades],
                "comments": [{"name": c.name, "auto_comment": c.auto_comment} for c in nb.comments],
            })
        return {
            "timestamp": sub.timestamp.isoformat() if sub.timestamp else None,
            "notebooks": notebooks,
            "score": sub.score,
            "max_score": sub.max_score,
        }


def grade_one(job: dict) -> dict:
    """Autograde one student; never raises. JSON-able in, JSON-able out (runs anywhere).

    ``job``: course_root, assignment, student, snapshot (a gradebook file),
    execute_notebooks, parts, slot_base, max_slots.
    """
    t0 = time.perf_counter()
    root = Path(job["course_root"])
    assignment, student = job["assignment"], job["student"]
    out = {"student": student, "ok": False, "error": "", "hash": "", "seconds": 0.0}
    try:
        out["hash"] = submission_hash(submission_dir(root, assignment, student))
        with acquire_slot(job.get("slot_base", 100), job.get("max_slots", 256)) as slot, \
                tempfile.TemporaryDirectory(prefix=f"grade-all-{student}-") as tmp:
            tmp = Path(tmp)
            db_path = tmp / "gradebook.db"
            shutil.copyfile(job["snapshot"], db_path)
            db_url = f"sqlite:///{db_path}"
            with _quiet():
                out.update(_run_nbgrader_autograde(root, assignment, student, db_url, job, slot))
            if out.get("nbgrader_ok"):
                out.update(_read_back(db_url, assignment, student))
                out["ok"] = True
    except BaseException as e:  # noqa: BLE001 -- a job reports, never raises
        out["error"] = f"{type(e).__name__}: {e}"
        out["traceback"] = traceback.format_exc(limit=8)
    out["seconds"] = time.perf_counter() - t0
    return out


@contextlib.contextmanager
def _quiet():
    """pytest's progress dots and nbgrader's log stay out of the parent's progress bar."""
    import io

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


def _run_nbgrader_autograde(root, assignment, student, db_url, job, slot) -> dict:
    t0 = time.perf_counter()
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = _nbgrader_config(root, db_url, job, slot)
    old_cwd = os.getcwd()
    os.chdir(root)  # nbgrader resolves relative paths and runs hooks from the course root
    try:
        coursedir = CourseDirectory(config=config)
        api = NbGraderAPI(coursedir=coursedir, config=config)
        res = api.autograde(assignment, student, force=True, create=True)
    finally:
        os.chdir(old_cwd)
    out = {"nbgrader_ok": bool(res.get("success")), "autograde_seconds": time.perf_counter() - t0}
    if not res.get("success"):
        out["error"] = _summarise_nbgrader_error(res)
    return out


def _summarise_nbgrader_error(res: dict) -> str:
    """The most telling line of nbgrader's log: the last exception raised, else the last error."""
    import re

    text = (res.get("error") or "") + "\n" + (res.get("log") or "")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    exc = [ln for ln in lines if re.match(r"^[\w.]*(Error|Exception|Invalid\w*)\b.*:", ln)]
    errs = [ln for ln in lines if "[ERROR]" in ln and "see the" not in ln]
    pick = (exc or errs or lines or ["nbgrader autograde failed"])[-1]
    return "nbgrader autograde failed: " + pick[:300]


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
def _init_local_worker() -> None:
    # a worker grades; keep BLAS single-threaded so N jobs use N cores, not N*N
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def run_local(jobs: list[dict], workers: int, on_result: Callable[[dict], None]) -> None:
    """Run ``grade_one`` over ``jobs`` in a pool of ``workers`` processes.

    At most ``workers`` jobs are in flight, so a crashed worker process
    (BrokenProcessPool) costs only the jobs it was running: they are reported
    as failures and the pool is rebuilt for the rest.
    """
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    ctx = mp.get_context("spawn")
    pending = list(jobs)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_local_worker)
    in_flight: dict = {}
    try:
        while pending or in_flight:
            while pending and len(in_flight) < workers:
                job = pending.pop(0)
                in_flight[pool.submit(grade_one, job)] = job
            done, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            broken = False
            for fut in done:
                job = in_flight.pop(fut)
                try:
                    on_result(fut.result())
                except BrokenProcessPool:
                    broken = True
                    on_result({"student": job["student"], "ok": False,
                               "error": "the grading process died (killed or crashed)"})
            if broken:
                for fut, job in list(in_flight.items()):
                    on_result({"student": job["student"], "ok": False,
                               "error": "the grading process died (killed or crashed)"})
                in_flight.clear()
                pool.shutdown(wait=False, cancel_futures=True)
                pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx,
                                           initializer=_init_local_worker)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def run_dask(jobs: list[dict], scheduler: str, on_result: Callable[[dict], None]) -> None:
    """Run ``grade_one`` over ``jobs`` on an existing Dask distributed cluster."""
    from distributed import Client, as_completed

    with Client(scheduler) as client:
        futures = {client.submit(grade_one, job, key=f"grade-all-{job['student']}-{job['hash'][:12]}",
                                 pure=False, retries=0): job for job in jobs}
        for fut in as_completed(futures):
            job = futures[fut]
            try:
                on_result(fut.result())
            except Exception as e:  # a Dask worker died, the task was lost, ...
                on_result({"student": job["student"], "ok": False,
                           "error": f"dask: {type(e).__name__}: {e}"})


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
    progress: bool = True,
    log: Callable[[str], None] | None = None,
) -> RunSummary:
    """Grade every submission of ``assignment`` in the nbgrader course at ``root``.

    Arguments left as None take their values from ``c.GradeAll.*`` in the
    course's ``nbgrader_config.py``.
    """
    from autograder.config import load_course_config
    from autograder.paths import course_root
    from nbgrader.api import Gradebook

    root = Path(root or course_root()).resolve()
    opts = GradeAll(config=load_course_config(root))
    jobs = jobs if jobs is not None else opts.jobs
    jobs = jobs if jobs and jobs > 0 else (os.cpu_count() or 1)
    executor = executor or opts.executor
    scheduler = scheduler if scheduler is not None else opts.scheduler
    resume = opts.resume if resume is None else resume
    execute_notebooks = opts.execute_notebooks if execute_notebooks is None else execute_notebooks
    parts = list(parts) if parts is not None else opts.parts
    say = log or (lambda m: print(m, file=sys.stderr))

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

    todo: list[dict] = []
    snapshot = state_dir(root, assignment) / "gradebook-snapshot.db"
    hashes = {}
    for s in everyone:
        h = submission_hash(submission_dir(root, assignment, s))
        hashes[s] = h
        marker = read_marker(root, assignment, s) if resume else None
        if (marker and marker.get("hash") == h and s in in_gradebook  # a reset gradebook regrades
                and marker.get("parts") == (sorted(parts) if parts else None)):
            summary.skipped.append(s)
            summary.scores[s] = marker.get("score", 0.0)
            continue
        todo.append({"course_root": str(root), "assignment": assignment, "student": s, "hash": h,
                     "snapshot": str(snapshot), "execute_notebooks": bool(execute_notebooks),
                     "parts": sorted(parts) if parts else None, "resume": bool(resume),
                     "slot_base": opts.slot_base, "max_slots": opts.max_slots})
    if summary.skipped:
        say(f"resume: {len(summary.skipped)} student(s) already graded with the same submission, skipped")
    if not todo:
        summary.wall_seconds = time.perf_counter() - t0
        return summary

    make_snapshot(db_url, snapshot)
    bar = _Progress(len(todo), progress)
    lock = threading.Lock()

    def on_result(res: dict) -> None:
        s = res["student"]
        with lock:
            if res.get("seconds"):
                summary.job_seconds[s] = res["seconds"]  # the parent alone writes the gradebook, one student at a time
            ok = bool(res.get("ok"))
            if ok:
                try:
                    with Gradebook(db_url, course_id) as gb:
                        write_grades(gb, assignment, s, res)
                    write_marker(root, assignment, s, {
                        "student": s, "hash": res.get("hash") or hashes[s], "score": res.get("score"),
                        "max_score": res.get("max_score"), "graded_at": time.time(),
                        "parts": sorted(parts) if parts else None,
                    })
                    summary.graded.append(s)
                    summary.scores[s] = res.get("score") or 0.0
                except Exception as e:  # noqa: BLE001
                    ok = False
                    res["error"] = f"writing the gradebook failed: {type(e).__name__}: {e}"
            if not ok:
                summary.failures[s] = res.get("error") or "unknown error"
            bar.update(s, ok)

    try:
        if executor == "dask":
            if not scheduler:
                raise ValueError("--executor dask needs --scheduler ADDRESS (or c.GradeAll.scheduler)")
            run_dask(todo, scheduler, on_result)
        else:
            run_local(todo, min(jobs, len(todo)), on_result)
    finally:
        bar.close()
        with contextlib.suppress(OSError):
            snapshot.unlink()
    summary.wall_seconds = time.perf_counter() - t0
    return summary
