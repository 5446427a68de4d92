"""Warm workers (autograder.sandbox.warm): forked from one fork server, yet nothing of one
student reaches the next, and nothing of the fork server reaches a student.

The attack, denial-of-service and privilege suites run against warm workers too
(the "warm" mode of tests/sandbox_helpers.make_proxy); this file covers what
only a reused fork server could get wrong.
"""
from __future__ import annotations

import json
import os
import signal
import time

import psutil
import pytest

from autograder.paths import course_root
from autograder.sandbox import WorkerStartError
from sandbox_helpers import FIXTURE, first_grade_all_job, processes_of_uid, warm_sandbox
from trace_probes import LEAVE_TRACES, LOOK_AT_THE_FORK_SERVER, LOOK_FOR_TRACES

SLOT = 21
UID = 61000 + SLOT

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="warm workers need a root grader")


def run(worker, code: str, timeout: float = 60.0) -> dict:
    resp = worker.request({"op": "exec", "code": code, "filename": "student.py"}, timeout=timeout)
    assert resp["ok"], resp.get("error")
    return json.loads(resp["stdout"].strip().splitlines()[-1])


def run_warm(sandbox, *codes: str) -> list[dict]:
    """Start a worker (it must be warm), run each of ``codes`` in it in turn, close it; what
    each printed (JSON, its last line)."""
    w = sandbox.start(FIXTURE, slot=SLOT)
    try:
        assert w.warm
        return [run(w, code) for code in codes]
    finally:
        w.close()


@pytest.fixture(scope="module")
def sandbox():
    return warm_sandbox(course_root=str(course_root()))


def test_nothing_of_one_student_reaches_the_next(sandbox):
    a = sandbox.start(FIXTURE, slot=SLOT)
    try:
        assert a.warm
        left = run(a, LEAVE_TRACES)
        # the test can fail: A did write where a student may write, and had processes running
        assert {"/submission", "/tmp", "/dev/shm"} <= set(left["written"]), left["written"]
        assert set(left["written"]) <= {"/submission", "/submission/cs231n", "/submission/cs231n/classifiers",
                                         "/tmp", "/dev/shm"}, left["written"]
        assert left["shm"] >= 0 and len(left["pids"]) >= 4
        assert len(processes_of_uid(UID)) >= 4
    finally:
        a.close()
    time.sleep(0.2)
    assert processes_of_uid(UID) == []  # A's sleepers and daemon died with its namespace
    [seen] = run_warm(sandbox, LOOK_FOR_TRACES)
    assert seen["found"] == []
    assert not any("sleep" in c for c in seen["cmdlines"]), seen["cmdlines"]
    assert seen["socket"] is False and seen["shm"] == -1 and seen["env"] is None
    assert seen["modules"] == [False, False, False]


def test_the_fork_server_is_out_of_a_students_reach(sandbox):
    got, again = run_warm(sandbox, LOOK_AT_THE_FORK_SERVER,
                          "import os, json\nprint(json.dumps({'pid': os.getpid()}))\n")
    assert got["pids"] == [1, 2]  # its own namespace: the init and the worker, nothing of the server
    assert got["uid"] == UID and got["cap_eff"] == "0000000000000000" and got["cap_bnd"] == "0000000000000000"
    assert got["no_new_privs"] == "1"
    assert not [t for t in got["fds"].values() if t.startswith("socket:")], got["fds"]  # no control socket
    assert got["inbox"] == []  # the server's inbox is covered
    assert again == {"pid": 2}  # the init ignored the kill; the worker still runs


def test_a_warm_worker_has_the_preload_and_a_fresh_random_state(sandbox):
    code = ("import sys, json, random, numpy\n"
            "print(json.dumps({'pre': 'fractions' in sys.modules, 'r': random.random(), "
            "'n': float(numpy.random.rand())}))\n")
    draws = run_warm(sandbox, code) + run_warm(sandbox, code)  # two workers, one draw each
    assert draws[0]["pre"] and draws[1]["pre"]  # imported by the server, before the fork
    assert draws[0]["r"] != draws[1]["r"] and draws[0]["n"] != draws[1]["n"]  # reseeded, as a new process


def test_a_warm_worker_has_loopback_only_like_a_cold_one(sandbox):
    code = ("import json, socket, subprocess\n"
            "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n"
            "socket.create_connection(s.getsockname(), timeout=2).close()\n"
            "try:\n"
            "    socket.create_connection(('1.1.1.1', 53), timeout=2); out = 'reached'\n"
            "except OSError as exc:\n"
            "    out = type(exc).__name__\n"
            "links = [line.split(':')[0].strip() for line in open('/proc/net/dev').read().splitlines()[2:]]\n"
            "print(json.dumps({'outside': out, 'links': links}))\n")
    [got] = run_warm(sandbox, code)
    assert got["outside"] != "reached" and got["links"] == ["lo"]  # 127.0.0.1 works (above), nothing else


def test_a_stuck_fork_server_means_a_cold_worker():
    sb = warm_sandbox(course_root=str(course_root()), startup_timeout=3.0)
    assert sb.zygote.wait_ready(60)
    # bwrap, its init and the fork server (a session of its own inside the sandbox)
    server = [psutil.Process(sb.zygote.proc.pid), *psutil.Process(sb.zygote.proc.pid).children(recursive=True)]
    assert len(server) >= 2
    for proc in server:
        proc.send_signal(signal.SIGSTOP)
    try:
        w = sb.start(FIXTURE, slot=SLOT)  # the warm start times out; a cold one takes over
        try:
            assert not w.warm and w.request({"op": "ping"}, timeout=10)["ok"]
        finally:
            w.close()
    finally:
        for proc in server:
            proc.send_signal(signal.SIGCONT)
    sb.zygote.close()
    w = sb.start(FIXTURE, slot=SLOT)  # a fork server that is gone: cold at once
    try:
        assert not w.warm and w.request({"op": "ping"}, timeout=10)["ok"]
    finally:
        w.close()


def test_a_submission_too_large_for_the_tmpfs_fails_to_start(tmp_path):
    import shutil

    big = tmp_path / "big"
    shutil.copytree(FIXTURE, big)
    (big / "cs231n" / "blob.bin").write_bytes(os.urandom(3 << 20))
    sb = warm_sandbox(course_root=str(course_root()), submission_tmpfs_mb=2)
    with pytest.raises(WorkerStartError, match="does not fit"):
        sb.start(big, slot=SLOT)
    sb.zygote.close()


def test_each_job_server_forks_the_jobs_workers_from_its_fork_server(tmp_path):
    """grade-all: the fork server a job server starts from its first job serves exactly the
    sandbox that job's grading makes (same course settings, same hidden datasets)."""
    from autograder.config import course_config
    from autograder.course import load_assignment
    from autograder.grade_all import job_server
    from autograder.grade_all.job import job_config
    from autograder.runner import make_sandbox
    from autograder.sandbox import warm

    root = course_root()
    job, job_file = first_grade_all_job(tmp_path, execute_notebooks=False)
    job_server.start_warm_workers(str(job_file))
    try:
        zygote = warm.installed()
        assert zygote is not None
        spec = load_assignment("assignment2", root)
        graders = make_sandbox(job_config(job, "sqlite://", SLOT, tmp_path), root, spec.hidden_site_paths)
        assert zygote.serves(graders, graders.launch_plan("hidden_suite", SLOT))
        plain = make_sandbox(course_config(root), root, ())  # without the hidden datasets: another view
        assert not zygote.serves(plain, plain.launch_plan("hidden_suite", SLOT))
    finally:
        job_server.stop_warm_workers()
    assert warm.installed() is None
