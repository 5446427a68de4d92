"""Shared helpers for the sandbox tests (real worker processes, real bwrap)."""
from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

from autograder.sandbox import Sandbox, SubmissionProxy
from autograder.sandbox.permissions import may

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "sandbox" / "basic"
IS_ROOT = os.geteuid() == 0
WORKER_UID = 61000


def _runnable_by_worker(python: str) -> bool:
    exe = os.path.realpath(python)
    return may(Path(exe), WORKER_UID, WORKER_UID, "rx") and may(Path(sys.base_prefix), WORKER_UID, WORKER_UID, "rx")


@functools.lru_cache(maxsize=1)
def worker_python() -> str | None:
    """A Python 3.11 with this venv's packages that an unprivileged worker uid can run.

    Without bubblewrap a root grader runs student code as uid 61000+ on the host's
    files, so the interpreter must be readable by everyone.  This venv's base Python
    may live where only root can go (e.g. ``/root/.pyenv``): then a venv is made from
    the system's own python3.11 in a world-readable temporary folder, seeing this
    venv's site-packages through a ``.pth`` line.  None when there is no such Python.
    """
    if _runnable_by_worker(sys.executable):
        return sys.executable
    ver = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for base in (f"/usr/bin/{ver}", f"/usr/local/bin/{ver}"):
        if not os.path.isfile(base) or not may(Path(base), WORKER_UID, WORKER_UID, "rx"):
            continue
        home = Path(tempfile.mkdtemp(prefix="autograder-test-python-"))
        os.chmod(home, 0o755)
        atexit.register(shutil.rmtree, home, True)
        venv = home / "venv"
        r = subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], capture_output=True, timeout=120)
        if r.returncode != 0:
            continue
        site = venv / "lib" / ver / "site-packages"
        (site / "this-project.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        py = str(venv / "bin" / "python")
        ok = subprocess.run([py, "-I", "-c", "import numpy, msgpack"], capture_output=True, timeout=120)
        if ok.returncode == 0:
            return py
    return None


def plain_traits(traits: dict) -> dict:
    """Traits for a worker without bubblewrap: as root, an interpreter the worker uid can run."""
    traits = dict(traits)
    if IS_ROOT and "python" not in traits:
        py = worker_python()
        if py is None:
            pytest.skip("no Python the unprivileged worker uid can run (needed without bubblewrap as root)")
        traits["python"] = py
    return traits


def bwrap_reason() -> str | None:
    plan = Sandbox().launch_plan()
    if not plan.uses_bwrap:
        return "bubblewrap namespaces unavailable here: " + "; ".join(plan.notes)
    return None


def warm_sandbox(**traits) -> Sandbox:
    """A bubblewrap Sandbox whose workers are forked from a warm fork server of its own
    (autograder.sandbox.warm), stopped when the test process ends; skips where there is none."""
    from autograder.sandbox.warm import Zygote

    reason = bwrap_reason()
    if reason:
        pytest.skip(reason)
    sb = Sandbox(use_bwrap=True, **traits)
    sb.zygote = Zygote.start(sb, ("fractions",))
    if sb.zygote is None:
        pytest.skip("no warm workers here (they need bubblewrap and a root grader)")
    atexit.register(sb.zygote.close)
    return sb


def make_proxy(mode: str, slot: int = 0, **traits) -> SubmissionProxy:
    """A proxy on the fixture package, its workers started ``mode``: "bwrap" (cold, in
    bubblewrap), "plain" (cold, a plain subprocess) or "warm" (forked from a warm fork server)."""
    if mode == "bwrap":
        reason = bwrap_reason()
        if reason:
            pytest.skip(reason)
    traits.setdefault("call_timeout", 20.0)
    if mode == "warm":
        sb = warm_sandbox(**traits)
    else:
        if mode != "bwrap":
            traits = plain_traits(traits)
        sb = Sandbox(use_bwrap=(mode == "bwrap"), **traits)
    return SubmissionProxy(functools.partial(sb.start, FIXTURE, slot=slot), "cs231n")


def processes_of_uid(uid: int) -> list[int]:
    out = []
    for e in os.scandir("/proc"):
        if e.name.isdigit():
            try:
                if e.stat().st_uid == uid:
                    out.append(int(e.name))
            except OSError:
                pass
    return out


async def run_in_kernel(config, cwd: Path, code: str, slot: int | None, *, warm: bool | None = None) -> str:
    """What ``code`` printed (and the names of errors it raised) in a ``SandboxedKernelManager``
    kernel of ``slot`` started with ``config`` in ``cwd``; ``warm``: whether it must have been
    forked warm (None: either)."""
    from autograder.nbgrader_integration.sandboxed_kernel import SandboxedKernelManager

    km = SandboxedKernelManager(slot=slot, config=config)
    await km.start_kernel(cwd=str(cwd))
    kc = km.client()
    kc.start_channels()
    try:
        assert warm is None or km.warm is warm
        await kc.wait_for_ready(timeout=120)
        msg_id = kc.execute(code)
        out = []
        while True:
            msg = await kc.get_iopub_msg(timeout=120)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                out.append("ERROR " + msg["content"]["ename"])
            elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
        return "".join(out)
    finally:
        kc.stop_channels()
        await km.shutdown_kernel(now=True)


def first_grade_all_job(tmp_path: Path, execute_notebooks: bool):
    """A grade-all job of this course's assignment 2 (a student who handed nothing in) and its
    job file: what a job server reads at its first job to start its fork servers."""
    from autograder.grade_all.records import GradeJob, JobOptions
    from autograder.paths import course_root

    job = GradeJob(course_root=str(course_root()), assignment="assignment2", student="s1", submission_hash="x",
                   snapshot=str(tmp_path / "gradebook.db"),
                   options=JobOptions(execute_notebooks=execute_notebooks, parts=None, resume=False,
                                      job_timeout=0, slot_base=100, max_slots=2))
    job_file = tmp_path / "job.json"
    job_file.write_text(job.to_json())
    return job, job_file
