"""One student's grading for ``autograder grade-all``, in a Python process of its own.

    python -m autograder.grade_all_job --serve          # a job server (what grade-all starts)
    python -m autograder.grade_all_job JOB.json RESULT.json   # one job (debugging)

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
and then forks (``os.fork()``) one fresh child per job (it is single-threaded and
never grades itself, so every child starts from the same clean state).  The
server reads one request a line on stdin, ``["JOB.json", "RESULT.json",
"LOG"]``, and answers ``pid <child pid>`` and then ``exit <exit code>`` on
stdout.  :func:`autograder.grade_all.grade_one` keeps one server per
concurrent job (on this machine or on a Dask worker) and reads ``RESULT.json``
back.

What the job does (:func:`grade_here`): nbgrader's own autograde of one
student (``NbGraderAPI.autograde``) with the course's ``nbgrader_config.py``,
against a private copy of the course gradebook, on a private *staged* copy of
the submission (:func:`stage_submission`: ``submitted/`` is the record of what
was handed in and is never touched; a notebook that cannot be read is replaced
there by the released one, so the student's ``cs231n/`` code and the other
notebooks are still graded).  It returns the grades and comments nbgrader
wrote, as JSON data; the parent alone writes the course gradebook.

``JOB.json`` (shape): ``{"course_root", "assignment", "student", "snapshot"
(a gradebook file), "workdir" (a private folder), "execute_notebooks",
"parts" (list or null), "resume", "slot_base", "max_slots"}``.
``RESULT.json``: ``{"student", "ok", "error", "notes": {notebook: reason},
"timestamp", "notebooks": [{"name", "late_submission_penalty", "grades":
[...], "comments": [...]}], "score", "max_score", "autograde_seconds"}``.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
import traceback
import uuid
from pathlib import Path

UNREADABLE_NOTE = ("{name} could not be read: {reason}; its autograded parts were graded from your "
                   "{package}/ code, and its written answers score 0.")


# --------------------------------------------------------------------------- #
# staging: a private copy of the submission nbgrader can read
# --------------------------------------------------------------------------- #
def notebook_problem(path: Path) -> str | None:
    """Why nbgrader could not read the notebook at ``path`` (one line), or None if it can."""
    import nbformat

    try:
        nbformat.read(str(path), as_version=4)  # what nbconvert's exporter does in autograde
    except Exception as e:  # noqa: BLE001 -- any failure to read is the student's notebook's fault
        first = (str(e).strip().splitlines() or [""])[0]
        return f"{type(e).__name__}: {first}"[:200]
    return None


def stage_submission(submitted: Path, staged: Path, released: Path, package: str) -> dict[str, str]:
    """Copy ``submitted`` (one student's assignment folder) to ``staged`` for grading.

    Symbolic links are not copied (a link could point at the grader's files).
    Each top-level notebook nbgrader cannot read, and each released notebook
    that was not handed in, is replaced by the released notebook of the same
    name (from ``released``), with a note cell on top: its autograded parts are
    scored from the student's ``<package>/`` code like everyone's, its written
    answers score 0. Returns ``{notebook file name: reason}`` for them.
    """
    import nbformat

    submitted, staged = Path(submitted), Path(staged)
    for dirpath, dirnames, filenames in os.walk(submitted):
        here = Path(dirpath)
        rel = here.relative_to(submitted)
        (staged / rel).mkdir(parents=True, exist_ok=True)
        dirnames[:] = [d for d in dirnames if not (here / d).is_symlink()]
        for name in filenames:
            src = here / name
            if src.is_symlink() or not src.is_file():
                continue
            shutil.copy2(src, staged / rel / name)

    replaced: dict[str, str] = {}
    problems = {p.name: notebook_problem(p) for p in sorted(staged.glob("*.ipynb"))}
    for release_nb in sorted(Path(released).glob("*.ipynb")):
        if release_nb.name not in problems:  # a notebook the student did not hand in
            problems[release_nb.name] = "it was not handed in"
    for name, reason in sorted(problems.items()):
        if reason is None:
            continue
        nb_path = staged / name
        release_nb = Path(released) / name
        if not release_nb.is_file():
            continue  # not a notebook of the assignment: nbgrader skips it anyway
        nb = nbformat.read(str(release_nb), as_version=4)
        note = nbformat.v4.new_markdown_cell(
            f"**{nb_path.name} could not be read** ({reason}). It was graded as the released "
            f"notebook: its autograded parts were graded from your `{package}/` code, and its written "
            f"answers score 0.")
        note["id"] = "unreadable-" + uuid.uuid4().hex[:8]
        nb.cells.insert(0, note)
        nbformat.write(nb, str(nb_path))
        replaced[nb_path.name] = reason
    return replaced


# --------------------------------------------------------------------------- #
# nbgrader autograde of one student on a private gradebook
# --------------------------------------------------------------------------- #
def nbgrader_config(root: Path, db_url: str, job: dict, slot: int, staged_submitted: Path):
    """The course's nbgrader config for one job: private gradebook, staged submission,
    own sandbox slot, and (unless ``execute_notebooks``) nbgrader's Execute switched off."""
    from traitlets.config import Config

    from autograder.config import load_course_config
    from autograder.nbgrader_integration.hidden_suite_grades import HiddenSuiteGrades

    config = Config(load_course_config(root))
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.db_url = db_url
    # nbgrader joins it onto the root; an absolute folder replaces ``submitted/``
    config.CourseDirectory.submitted_directory = str(staged_submitted)
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


def read_back(db_url: str, assignment: str, student: str, notes: dict[str, str], package: str) -> dict:
    """What nbgrader's autograde wrote for one student, as plain data; the written
    answers of a replaced (unreadable) notebook carry the reason as their comment."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        sub = gb.find_submission(assignment, student)
        notebooks = []
        for nb in sub.notebooks:
            note = notes.get(f"{nb.name}.ipynb")
            comment = (UNREADABLE_NOTE.format(name=f"{nb.name}.ipynb", reason=note, package=package)
                       if note else None)
            notebooks.append({
                "name": nb.name,
                "late_submission_penalty": nb.late_submission_penalty,
                "grades": [{"name": g.name, "auto_score": g.auto_score, "max_score": g.max_score,
                            "needs_manual_grade": g.needs_manual_grade} for g in nb.grades],
                "comments": [{"name": c.name, "auto_comment": comment or c.auto_comment}
                             for c in nb.comments],
            })
        return {
            "timestamp": sub.timestamp.isoformat() if sub.timestamp else None,
            "notebooks": notebooks,
            "score": sub.score,
            "max_score": sub.max_score,
        }


def summarise_nbgrader_error(res: dict) -> str:
    """The most telling line of nbgrader's log: the last exception raised, else the last error."""
    import re

    text = (res.get("error") or "") + "\n" + (res.get("log") or "")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    exc = [ln for ln in lines if re.match(r"^[\w.]*(Error|Exception|Invalid\w*)\b.*:", ln)]
    errs = [ln for ln in lines if "[ERROR]" in ln and "see the" not in ln]
    pick = (exc or errs or lines or ["nbgrader autograde failed"])[-1]
    return "nbgrader autograde failed: " + pick[:300]


def grade_here(job: dict) -> dict:
    """Autograde one student in this process; never raises. See the module doc for shapes."""
    from autograder.course import load_assignment
    from autograder.sandbox.slots import acquire_slot

    t0 = time.perf_counter()
    root = Path(job["course_root"])
    assignment, student = job["assignment"], job["student"]
    work = Path(job["workdir"])
    out = {"student": student, "ok": False, "error": "", "notes": {}}
    try:
        submitted = root / "submitted" / student / assignment
        if not submitted.is_dir():
            raise FileNotFoundError(f"no submission at {submitted}")
        staged_root = work / "submitted"
        db_path = work / "gradebook.db"
        shutil.copyfile(job["snapshot"], db_path)
        db_url = f"sqlite:///{db_path}"
        with acquire_slot(job.get("slot_base", 100), job.get("max_slots", 256)) as slot:
            from nbgrader.apps import NbGraderAPI
            from nbgrader.coursedir import CourseDirectory

            config = nbgrader_config(root, db_url, job, slot, staged_root)
            released = root / config.CourseDirectory.get("release_directory", "release") / assignment
            package = load_assignment(assignment, root).package
            out["notes"] = stage_submission(submitted, staged_root / student / assignment, released, package)
            os.chdir(root)  # nbgrader resolves relative paths and runs hooks from the course root
            api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
            res = api.autograde(assignment, student, force=True, create=True)
        if res.get("success"):
            out.update(read_back(db_url, assignment, student, out["notes"], package))
            out["ok"] = True
        else:
            out["error"] = summarise_nbgrader_error(res)
    except BaseException as e:  # noqa: BLE001 -- a job reports, never raises
        out["error"] = f"{type(e).__name__}: {e}"
        out["traceback"] = traceback.format_exc(limit=8)
    out["autograde_seconds"] = time.perf_counter() - t0
    return out


# --------------------------------------------------------------------------- #
# the processes
# --------------------------------------------------------------------------- #
PARENT_ENV = "AUTOGRADER_GRADE_ALL_PARENT"
# imported once by the server, before it forks the jobs (none of them starts a thread)
PRELOAD = ("nbformat", "nbconvert.preprocessors", "nbgrader.apps", "nbgrader.api", "nbgrader.coursedir",
           "nbgrader.preprocessors", "pytest", "autograder.config", "autograder.runner",
           "autograder.sandbox.slots", "autograder.nbgrader_integration.hidden_suite_grades",
           "autograder.nbgrader_integration.restore_graded_cells",
           "autograder.nbgrader_integration.sandboxed_execute")


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
    job = json.loads(Path(job_file).read_text())
    result = grade_here(job)
    tmp = Path(result_file + ".tmp")
    tmp.write_text(json.dumps(result))
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

    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        ready, _, _ = select.select([requests], [], [], 0.25)
        if ready and not os.read(requests, 1 << 16):  # EOF: nobody is waiting for this job
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None


def serve() -> int:
    """The job server: preload, then fork one child per request line (see the module doc).

    It ends when its stdin reaches end of file -- also while a job runs, which
    it then kills: the process that started it has died or given up.
    """
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything else printed here must not reach the answers
    requests = 0
    me = os.getpid()
    pending = b""
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
    if argv == ["--serve"]:
        return serve()
    if len(argv) != 2:
        print("usage: python -m autograder.grade_all_job --serve | JOB.json RESULT.json", file=sys.stderr)
        return 2
    die_with_parent(int(os.environ.get(PARENT_ENV, "0") or 0))
    return run_job(argv[0], argv[1])


if __name__ == "__main__":
    sys.exit(main())
