"""Warm notebook kernels (``grade-all --execute``): each kernel is forked from a fork server
that imported ipykernel and the course's ``notebook_preload``, into a sandbox built for it
alone, and is otherwise the kernel a cold start gives -- same environment, import path,
flags, folder, plotting backend and uid; nothing of one notebook's kernel reaches the next,
and nothing of the fork server (its inbox, the other kernels' sockets) reaches a kernel."""
from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import signal
import time
from pathlib import Path

import psutil
import pytest
from traitlets.config import Config

from autograder.paths import course_root
from autograder.sandbox import Sandbox, warm
from sandbox_helpers import bwrap_reason, first_grade_all_job, processes_of_uid, run_in_kernel
from trace_probes import LEAVE_TRACES, LOOK_AT_THE_FORK_SERVER, LOOK_FOR_TRACES

SLOT = 22
UID = 61000 + SLOT

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="warm kernels need a root grader")

# What a kernel is, as a notebook sees it (and what it sees of the host).
DESCRIBE = r'''
import json, os, sys, matplotlib
print(json.dumps({"env": dict(os.environ), "path": sys.path, "flags": str(sys.flags), "cwd": os.getcwd(),
                  "files": sorted(os.listdir(".")), "backend": matplotlib.get_backend(), "uid": os.getuid(),
                  "argv0": sys.argv[0], "executable": sys.executable, "preloaded": "mailbox" in sys.modules,
                  "digits": os.path.exists(%(digits)r), "hidden_tests": os.path.exists(%(hidden)r)}))
''' % {"digits": str(Path(importlib.util.find_spec("sklearn").origin).parent / "datasets/data/digits.csv.gz"),
       "hidden": str(course_root() / "grading_tests")}


def config() -> Config:
    cfg = Config()
    cfg.Sandbox.use_bwrap = True
    cfg.Sandbox.course_root = str(course_root())
    return cfg


@pytest.fixture(scope="module")
def kernels():
    """A kernels' fork server (importing ``mailbox`` besides ipykernel), installed in this
    process for the tests of this file."""
    reason = bwrap_reason()
    if reason:
        pytest.skip(reason)
    zygote = warm.Zygote.start_kernels(Sandbox(config=config()), ("mailbox",))
    if zygote is None:
        pytest.skip("no warm kernels here (they need bubblewrap and a root grader)")
    warm.install_kernels(zygote)
    try:
        yield zygote
    finally:
        warm.install_kernels(None)
        zygote.close()


def kernel_json(folder, code: str, *, warm_start: bool) -> dict:
    """The JSON line ``code`` printed last in a kernel (forked warm or started cold)."""
    out = asyncio.run(run_in_kernel(config(), folder, code, SLOT, warm=warm_start))
    return json.loads(out.strip().splitlines()[-1])


def notebook_folder(base):
    folder = base / "nb"
    folder.mkdir()
    (folder / "Notebook.ipynb").write_text("{}")
    (folder / "helper.py").write_text("ANSWER = 42\n")
    return folder


def test_a_warm_kernel_is_the_cold_kernel_minus_the_imports(kernels, world_dir):
    folder = notebook_folder(world_dir)
    warm_one = kernel_json(folder, DESCRIBE, warm_start=True)
    warm.install_kernels(None)
    try:
        cold_one = kernel_json(folder, DESCRIBE, warm_start=False)
    finally:
        warm.install_kernels(kernels)
    assert warm_one.pop("preloaded") and not cold_one.pop("preloaded")
    assert warm_one == cold_one
    assert warm_one["cwd"] == "/submission" and warm_one["files"] == ["Notebook.ipynb", "helper.py"]
    assert warm_one["backend"] == "module://matplotlib_inline.backend_inline" and warm_one["uid"] == UID
    assert warm_one["digits"] and not warm_one["hidden_tests"]  # the notebooks' data; no hidden suite
    assert "" in warm_one["path"]  # the notebook's folder is importable, as in a cold kernel
    assert kernel_json(folder, "import json, helper\nprint(json.dumps(helper.ANSWER))", warm_start=True) == 42


def test_nothing_of_one_notebook_reaches_the_next(kernels, world_dir):
    folder = notebook_folder(world_dir)
    left = kernel_json(folder, LEAVE_TRACES, warm_start=True)
    # the test can fail: A did write where a notebook may write, and had processes running
    assert {"/submission", "/tmp", "/dev/shm"} <= set(left["written"]), left["written"]
    assert all(w in ("/submission", "/dev/shm") or w.startswith("/tmp") for w in left["written"]), left["written"]
    assert left["shm"] >= 0 and len(left["pids"]) >= 4
    deadline = time.monotonic() + 10
    while processes_of_uid(UID) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_of_uid(UID) == []  # A's sleepers and daemon died with its namespace
    seen = kernel_json(folder, LOOK_FOR_TRACES, warm_start=True)
    assert seen["found"] == []
    assert not any("sleep" in c for c in seen["cmdlines"]), seen["cmdlines"]
    assert seen["socket"] is False and seen["shm"] == -1 and seen["env"] is None
    assert seen["modules"] == [False, False, False]
    assert not [p for p in folder.rglob("*") if "amark" in p.name]  # it worked on a copy


def test_the_fork_server_and_other_kernels_are_out_of_a_notebooks_reach(kernels, world_dir):
    folder = notebook_folder(world_dir)
    other = kernels.new_sockets("someone-elses")  # another kernel's socket folder, with a file
    (other / "kernel.json").write_text("{}")
    look = LOOK_AT_THE_FORK_SERVER.replace(
        '"hostname": os.uname().nodename,',
        f'"hostname": os.uname().nodename, "sockets": os.listdir({str(kernels.sockets)!r}),')
    got = kernel_json(folder, look, warm_start=True)
    assert got["pids"][:2] == [1, 2]  # its own namespace: the init, the kernel (and its children)
    assert got["uid"] == UID and got["cap_eff"] == "0000000000000000" and got["cap_bnd"] == "0000000000000000"
    assert got["no_new_privs"] == "1"
    assert got["inbox"] == []  # the fork server's inbox is covered
    assert len(got["sockets"]) == 1 and "someone-elses" not in got["sockets"]  # only its own folder


def test_a_failed_warm_start_means_a_cold_kernel(world_dir):
    """A fork server that never answers (stopped) costs ``Sandbox.startup_timeout``, then the
    kernel starts cold; one that is gone is not asked at all."""
    reason = bwrap_reason()
    if reason:
        pytest.skip(reason)
    folder = notebook_folder(world_dir)
    cfg = config()
    cfg.Sandbox.startup_timeout = 3.0
    zygote = warm.Zygote.start_kernels(Sandbox(config=cfg), ())
    if zygote is None:
        pytest.skip("no warm kernels here")
    assert zygote.wait_ready(60)
    warm.install_kernels(zygote)
    # bwrap, its init and the fork server (a session of its own inside the sandbox)
    server = [psutil.Process(zygote.proc.pid), *psutil.Process(zygote.proc.pid).children(recursive=True)]
    assert len(server) >= 2
    try:
        for proc in server:
            proc.send_signal(signal.SIGSTOP)
        try:
            out = asyncio.run(run_in_kernel(cfg, folder, "print(6 * 7)", SLOT, warm=False))
            assert out.strip() == "42"
        finally:
            for proc in server:
                proc.send_signal(signal.SIGCONT)
        zygote.close()  # gone: cold at once
        out = asyncio.run(run_in_kernel(cfg, folder, "print(6 * 7)", SLOT, warm=False))
        assert out.strip() == "42"
    finally:
        warm.install_kernels(None)
        zygote.close()


@pytest.mark.parametrize("execute", [True, False])
def test_a_job_server_starts_the_kernels_fork_server_its_jobs_use(tmp_path, execute):
    """grade-all: a job server whose jobs execute the notebooks starts a kernels' fork server
    that serves exactly the kernels nbgrader's Execute starts in those jobs; one whose jobs do
    not, none."""
    from autograder.grade_all import job_server
    from autograder.grade_all.job import job_config
    from autograder.nbgrader_integration.sandboxed_kernel import SandboxedKernelManager

    if bwrap_reason():
        pytest.skip(bwrap_reason())
    job, job_file = first_grade_all_job(tmp_path, execute)
    job_server.start_warm_workers(str(job_file))
    try:
        zygote = warm.installed_kernels()
        assert (zygote is not None) is execute
        if execute:
            km = SandboxedKernelManager(config=job_config(job, "sqlite://", SLOT, tmp_path))
            assert km._warm_zygote() is zygote
            assert zygote.wait_ready(120)
    finally:
        job_server.stop_warm_workers()
    assert warm.installed_kernels() is None and warm.installed() is None
