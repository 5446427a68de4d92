"""Root never runs student code: without bubblewrap the worker is still the slot's
unprivileged uid, and ``protections`` says from the files' permission bits whether
that uid could read the hidden files or change the grader's.  Also: the hidden-suite
worker cannot see scikit-learn's bundled digits."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from autograder.course import load_assignment
from autograder.paths import course_root
from autograder.sandbox import Sandbox, SandboxUnavailable, StudentCodeError, SubmissionProxy
from sandbox_helpers import FIXTURE, IS_ROOT, bwrap_reason, make_proxy, plain_traits

root_only = pytest.mark.skipif(not IS_ROOT, reason="the uid drop is for graders running as root")
SLOT = 15
UID = 61000 + SLOT


def fake_course(base: Path) -> Path:
    root = base / "course"
    for rel in ("grading_tests/a/test_x.py", "solutions/a/cs231n/layers.py", "source/a/N.ipynb"):
        f = root / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("secret\n")
    (root / "gradebook.db").write_text("grades")
    for d in [root, *root.rglob("*")]:
        os.chmod(d, 0o755 if d.is_dir() else 0o644)
    return root


@root_only
def test_without_bwrap_root_runs_the_worker_unprivileged(world_dir):
    course = fake_course(world_dir)
    victim = world_dir / "grader-owned.txt"
    victim.write_text("keep")
    os.chmod(victim, 0o644)
    p = make_proxy("plain", slot=SLOT, course_root=str(course))
    with p:
        who = p.attacks.whoami()
        assert who["uid"] == UID and who["gid"] == UID and who["groups"] == []
        st = p.attacks.status()
        assert st["Uid"] == [str(UID)] * 4 and st["Gid"] == [str(UID)] * 4
        assert set(st["CapEff"] + st["CapPrm"] + st["CapInh"] + st["CapAmb"]) == {"0000000000000000"}
        assert st["NoNewPrivs"] == ["1"]
        with pytest.raises(StudentCodeError) as ei:
            p.attacks.write_file(str(victim))
        assert ei.value.exc_type == "PermissionError" and victim.read_text() == "keep"
        with pytest.raises(StudentCodeError):
            p.attacks.write_file(str(course / "grading_tests" / "a" / "test_x.py"))
        prot = p.protections()
        assert prot["unprivileged_uid"] and not prot["filesystem_isolated"]
        # the fake course is world-readable: the grader says the hidden files are exposed
        assert prot["hidden_files_unreadable"] is False
        assert p.attacks.read_file(str(course / "grading_tests" / "a" / "test_x.py")) == "secret\n"
        assert prot["grader_files_readonly"] is True  # nothing there is writable by the worker uid


@root_only
def test_protections_follow_the_permission_bits(world_dir):
    course = fake_course(world_dir)
    sb = Sandbox(**plain_traits({"use_bwrap": False, "course_root": str(course)}))
    prot = sb.protections()
    assert prot["hidden_files_unreadable"] is False and prot["grader_files_readonly"] is True
    for name in ("grading_tests", "solutions", "source", "gradebook.db"):
        os.chmod(course / name, 0o700 if (course / name).is_dir() else 0o600)
    sb = Sandbox(**plain_traits({"use_bwrap": False, "course_root": str(course)}))
    assert sb.protections()["hidden_files_unreadable"] is True
    os.chmod(course / "gradebook.db", 0o602)  # a careless chmod: the worker could rewrite the grades
    sb = Sandbox(**plain_traits({"use_bwrap": False, "course_root": str(course)}))
    prot = sb.protections()
    assert prot["grader_files_readonly"] is False and prot["hidden_files_unreadable"] is True
    # and with the locked-down course the worker really cannot read the hidden tests
    os.chmod(course / "gradebook.db", 0o600)
    with SubmissionProxy.for_directory(FIXTURE, "cs231n", sandbox=sb, slot=SLOT) as p:
        with pytest.raises(StudentCodeError) as ei:
            p.attacks.read_file(str(course / "grading_tests" / "a" / "test_x.py"))
        assert ei.value.exc_type == "PermissionError"


@root_only
def test_root_without_setpriv_refuses_to_start():
    sb = Sandbox(use_bwrap=False, setpriv_path="/nonexistent/setpriv")
    assert sb.protections()["unprivileged_uid"] is False
    with pytest.raises(SandboxUnavailable, match="setpriv"):
        sb.start(FIXTURE, slot=SLOT)
    with pytest.raises(SandboxUnavailable, match="setpriv"):  # 'auto' does not fall back to root either
        Sandbox(setpriv_path="/nonexistent/setpriv").start(FIXTURE, slot=SLOT)


@root_only
def test_interpreter_the_worker_uid_cannot_run_is_a_clear_error(world_dir):
    hidden = world_dir / "private-python"
    hidden.mkdir(mode=0o700)
    os.chmod(hidden, 0o700)
    fake = hidden / "python3"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    from autograder.sandbox import WorkerStartError

    with pytest.raises(WorkerStartError, match=f"uid {UID} cannot run"):
        Sandbox(use_bwrap=False, python=str(fake)).start(FIXTURE, slot=SLOT)


@root_only
def test_daemons_of_the_worker_uid_are_ended_without_cgroups():
    from sandbox_helpers import processes_of_uid

    p = make_proxy("plain", slot=SLOT, use_cgroups=False)
    with p:
        p.exec("import subprocess, sys\n"
               "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'], start_new_session=True)\n")
        assert len(processes_of_uid(UID)) >= 2
    assert processes_of_uid(UID) == []


# ---------------------------------------------------------------- bundled datasets
def _digits_file() -> str:
    import importlib.util

    spec = importlib.util.find_spec("sklearn")
    return str(Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz")


def test_hidden_suite_worker_cannot_read_the_bundled_digits():
    reason = bwrap_reason()
    if reason:
        pytest.skip(reason)
    digits = _digits_file()
    assert os.path.isfile(digits)
    # what assignment 2's description (grading_tests/assignment2/assignment.toml) asks to hide
    hidden = list(load_assignment("assignment2").hidden_site_paths)
    assert hidden == ["sklearn/datasets/data"]
    with make_proxy("bwrap", slot=SLOT, hidden_site_paths=hidden) as p:
        assert p.attacks.exists(digits) is False
        with pytest.raises(StudentCodeError) as ei:
            p.attacks.read_file(digits)
        assert ei.value.exc_type == "FileNotFoundError"
        with pytest.raises(StudentCodeError):
            p.call("sklearn.datasets.load_digits")
        assert p.protections()["datasets_hidden"] is True
        assert p.attacks.exists(str(Path(digits).parent.parent / "_base.py"))  # the rest of sklearn is there
    if os.geteuid() == 0:  # a warm worker's sandbox hides them too
        with make_proxy("warm", slot=SLOT, hidden_site_paths=hidden) as p:
            assert p.attacks.exists(digits) is False and p.worker.warm
            assert p.protections()["datasets_hidden"] is True
    with make_proxy("bwrap", slot=SLOT, hidden_site_paths=hidden, hide_datasets=False) as p:
        assert p.attacks.exists(digits) is True
        assert p.protections()["datasets_hidden"] is False


def test_protections_name_every_guard():
    reason = bwrap_reason()
    if reason:
        pytest.skip(reason)
    prot = Sandbox(course_root=str(course_root())).protections()
    for name in ("hidden_files_unreadable", "grader_files_readonly", "datasets_hidden", "disk_limit"):
        assert prot[name] is True, name
    assert "datasets_hidden" not in Sandbox().protections("notebook")


@pytest.mark.parametrize("mode", ["bwrap", "warm"])
def test_a_grader_python_under_tmp_stays_visible_in_bwrap(tmp_path, mode):
    """A CI checkout may put the grader's virtualenv under /tmp; the sandbox's own /tmp
    tmpfs must not hide it (bwrap mounts in order: the tmpfs goes first; a warm worker's
    fresh /tmp binds it again), including modules first imported after the worker started."""
    import subprocess
    import sys
    import sysconfig

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   capture_output=True, timeout=120)
    ver = f"python{sys.version_info.major}.{sys.version_info.minor}"
    (venv / "lib" / ver / "site-packages" / "this-project.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n")
    (venv / "lib" / ver / "site-packages" / "under_tmp_probe.py").write_text("VALUE = 42\n")
    assert str(venv).startswith("/tmp/")
    p = make_proxy(mode, slot=SLOT, python=str(venv / "bin" / "python"),
                   extra_readonly_paths=[str(venv)])
    with p:
        assert p.ping()["python"].startswith(f"{sys.version_info.major}.{sys.version_info.minor}")
        assert p.worker.warm == (mode == "warm")
        assert p.get("under_tmp_probe.VALUE") == 42
