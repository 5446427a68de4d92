"""Hostile submissions: every attack fails cleanly and the next call still works."""
from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from autograder.paths import course_root
from autograder.sandbox import ProtocolError, StudentCodeError, StudentTimeout, WorkerCrashed
from sandbox_helpers import make_proxy, processes_of_uid

ROOT = course_root()


@pytest.fixture(scope="module", params=["bwrap", "plain", "warm"])
def sub(request):
    p = make_proxy(request.param, slot=3, call_timeout=3.0)
    p.mode = request.param
    yield p
    p.close()


@pytest.fixture(scope="module", params=["bwrap", "warm"])
def boxed(request):
    p = make_proxy(request.param, slot=4, call_timeout=3.0)
    yield p
    p.close()


def still_works(p):
    assert p.layers.echo(1) == ((1,), {})


# ---------------------------------------------------------------- both modes
def test_monkeypatching_numpy_stays_in_the_worker(sub):
    assert sub.attacks.monkeypatch_numpy() is True
    assert not np.allclose(1, 2) and np.linalg.norm(np.ones(4)) == 2.0
    still_works(sub)


def test_sys_exit_is_reported_and_worker_survives(sub):
    pid = sub.ping()["pid"]
    with pytest.raises(StudentCodeError) as ei:
        sub.attacks.exit0()
    assert ei.value.exc_type == "SystemExit" and "sys.exit" in ei.value.message
    assert sub.ping()["pid"] == pid


def test_os_exit_is_a_crash_then_restart(sub):
    with pytest.raises(WorkerCrashed) as ei:
        sub.attacks.os_exit0()
    assert "exited the worker process" in str(ei.value) and ei.value.returncode == 0
    still_works(sub)


def test_atexit_hooks_never_run(sub, tmp_path):
    target = tmp_path / "atexit-results.json"
    assert sub.attacks.atexit_write(str(target)) == "registered"
    sub.restart()  # the worker ends (killed / os._exit): no atexit hooks
    time.sleep(0.1)
    assert not target.exists()
    still_works(sub)


def test_infinite_loop_is_killed(sub):
    t0 = time.monotonic()
    with pytest.raises(StudentTimeout) as ei:
        sub.attacks.spin()
    assert time.monotonic() - t0 < 8 and "did not finish within 3 s" in str(ei.value)
    still_works(sub)


def test_signal_swallowing_loop_is_killed(sub):
    old = sub.worker.proc
    with pytest.raises(StudentTimeout):
        sub.attacks.spin_stubborn()
    assert old.poll() is not None
    still_works(sub)


def test_huge_allocation_fails_cleanly(sub):
    with pytest.raises((StudentCodeError, WorkerCrashed)) as ei:
        sub.attacks.allocate(20)
    assert ei.value.exc_type in ("MemoryError", "WorkerCrashed")
    still_works(sub)


def test_print_flood_is_bounded(sub):
    t0 = time.monotonic()
    assert sub.attacks.print_flood(1024) == "done"  # 1 GiB through print()
    assert len(sub.last_stdout) <= 4096 and sub.last_stdout_bytes >= 1024 * (1 << 20)
    res = sub.attacks.flood_fd1(1024)  # 1 GiB straight to fd 1: capped by the file size limit
    assert res.get("error") == "OSError" or res["written"] <= 64 * (1 << 20)
    assert res["written"] <= 64 * (1 << 20)
    assert time.monotonic() - t0 < 20
    still_works(sub)


def test_segfault_is_a_crash(sub):
    with pytest.raises(WorkerCrashed) as ei:
        sub.attacks.segfault()
    assert "segmentation fault" in str(ei.value)
    still_works(sub)


@pytest.mark.parametrize("attack", ["protocol_garbage", "protocol_huge_frame", "protocol_forged_object_array"])
def test_protocol_tampering_is_a_protocol_error(sub, attack):
    with pytest.raises(ProtocolError):
        sub.call(f"cs231n.attacks.{attack}")
    still_works(sub)


def test_objects_claiming_to_be_data(sub):
    try:
        res = sub.attacks.claims_to_be_data()
    except StudentCodeError:
        pass  # refused: fine
    else:
        for item in res:
            assert not isinstance(item, np.ndarray) or item.dtype.kind in "biufc"
    still_works(sub)


def test_closing_the_protocol_channel(sub):
    with pytest.raises(WorkerCrashed, match="communication channel"):
        sub.attacks.close_protocol()
    still_works(sub)


# ---------------------------------------------------------------- isolation (bwrap only)
def test_runs_as_dedicated_uid_with_minimal_view(boxed):
    who = boxed.attacks.whoami()
    if os.geteuid() == 0:
        assert who["uid"] == 61004 and who["gid"] == 61004 and who["groups"] == []
    assert who["cwd"] == "/submission"
    assert "work" not in who["root"] or boxed.attacks.list_dir("/work") == [ROOT.name]
    assert boxed.attacks.list_dir(str(ROOT)) in ([], [".venv"])  # only the venv, if it lives in the repo


@pytest.mark.parametrize("rel", ["grading_tests", "solutions/assignment2/cs231n/layers.py",
                                 "solutions/assignment2/cs231n/__init__.py", "nbgrader_config.py",
                                 "gradebook.db", "autograder/sandbox/launcher.py"])
def test_course_files_are_not_readable(boxed, rel):
    path = ROOT / rel
    with pytest.raises(StudentCodeError) as ei:
        if path.is_dir():
            boxed.attacks.list_dir(str(path))
        else:
            boxed.attacks.read_file(str(path))
    assert ei.value.exc_type in ("FileNotFoundError", "PermissionError", "NotADirectoryError")


def test_writes_outside_the_copy_do_not_reach_the_host(boxed, tmp_path):
    targets = [ROOT / "results.json", tmp_path / "results.json", Path("/tmp/autograder-fake-results.json")]
    for t in targets:
        try:
            boxed.attacks.write_file(str(t))
        except StudentCodeError:
            pass
        assert not t.exists(), t
    # writing inside its own copy is fine and stays private
    assert boxed.attacks.write_file("/submission/notes.txt") == "/submission/notes.txt"
    assert not (Path(__file__).parent / "fixtures/sandbox/basic/notes.txt").exists()


def test_deleting_host_files_fails(boxed, tmp_path):
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    for path in (victim, ROOT / "pyproject.toml", Path("/usr/bin/env")):
        with pytest.raises(StudentCodeError):
            boxed.attacks.delete(str(path))
    assert victim.read_text() == "keep me" and (ROOT / "pyproject.toml").exists()


def test_no_network(boxed):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(0.1)
    port = srv.getsockname()[1]
    got = []

    def accept():
        try:
            conn, _ = srv.accept()
            got.append(conn.recv(100))
        except OSError:
            pass

    t = threading.Thread(target=accept)
    t.start()
    with pytest.raises(StudentCodeError) as ei:
        boxed.attacks.connect(port)
    t.join()
    srv.close()
    assert got == [] and ei.value.exc_type in ("ConnectionRefusedError", "OSError", "TimeoutError")


@pytest.mark.parametrize("mode", ["bwrap", "warm"])
def test_fork_bomb_is_bounded_and_cleaned_up(mode):
    p = make_proxy(mode, slot=7, call_timeout=15.0, max_processes=32)
    uid = 61007
    with p:
        try:
            res = p.attacks.fork_bomb(1.5)
        except StudentCodeError as exc:  # a timeout or crash is an acceptable outcome too
            res = {"failures": 1, "children": 0, "error": str(exc)}
        assert res["failures"] > 0  # hit the process limit
        assert res["children"] <= 40
        if os.geteuid() == 0:
            assert 0 < len(processes_of_uid(uid)) <= 40
        still_works(p)
    time.sleep(0.2)
    if os.geteuid() == 0:
        assert processes_of_uid(uid) == []
