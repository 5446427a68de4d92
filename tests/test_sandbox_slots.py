"""Sandbox slots: two gradings at once never share a worker uid (and so never one
RLIMIT_NPROC budget: a fork bomb in one cannot fail the other)."""
from __future__ import annotations

import os
import stat
import threading
import time

import pytest

from autograder.sandbox.slots import GRADE_SLOT_BASE, NoFreeSlot, acquire_slot, slot_lock_dir

PROBE_TEST = '''
import os
import pytest


@pytest.mark.grade("probe", points=1)
def test_worker_uid(submission):
    with open(os.environ["AUTOGRADER_PROBE_OUT"], "w") as fh:
        fh.write(str(submission.ping()["uid"]))
'''


def test_slots_are_exclusive_and_released(tmp_path):
    with acquire_slot(500, 2, lock_dir=tmp_path) as a:
        with acquire_slot(500, 2, lock_dir=tmp_path) as b:
            assert {a, b} == {500, 501}
            t0 = time.monotonic()
            with pytest.raises(NoFreeSlot):
                with acquire_slot(500, 2, wait=0.5, lock_dir=tmp_path):
                    pass
            assert time.monotonic() - t0 < 5
    with acquire_slot(500, 2, lock_dir=tmp_path) as c:
        assert c == 500


def test_a_waiting_grading_gets_the_slot_when_it_is_freed(tmp_path):
    got = []
    with acquire_slot(600, 1, lock_dir=tmp_path):
        t = threading.Thread(target=lambda: got.append(acquire_slot(600, 1, lock_dir=tmp_path).__enter__()))
        t.start()
        time.sleep(0.5)
        assert got == []
    t.join(10)
    assert got == [600]


def test_lock_dir_is_private():
    d = slot_lock_dir()
    st = os.lstat(d)
    assert stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077


@pytest.mark.skipif(os.geteuid() != 0, reason="worker uids are per slot only when grading as root")
def test_runner_takes_a_free_slot(tmp_path, monkeypatch):
    """``grade_submission`` without a slot takes one nobody holds (it used to be always slot 0)."""
    from autograder.runner import grade_submission

    course = tmp_path / "course"
    (course / "grading_tests" / "toy").mkdir(parents=True)
    (course / "grading_tests" / "toy" / "test_probe.py").write_text(PROBE_TEST)
    for top in ("solutions", "release"):
        (course / top / "toy" / "cs231n").mkdir(parents=True)
        (course / top / "toy" / "cs231n" / "__init__.py").write_text("")
    sub = tmp_path / "sub" / "cs231n"
    sub.mkdir(parents=True)
    (sub / "__init__.py").write_text("")
    out = tmp_path / "uid.txt"
    monkeypatch.setenv("AUTOGRADER_PROBE_OUT", str(out))
    with acquire_slot(GRADE_SLOT_BASE, 1, wait=120) as held:  # another grading holds the first slot
        res = grade_submission(tmp_path / "sub", "toy", root=course)
        assert res.score == res.max_score == 1.0, [t.message for p in res.parts for t in p.tests]
        uid = int(out.read_text())
        # not the held slot, and not slot 0 (uid 61000), which every grading used to share
        assert uid != 61000 + held and 61000 + GRADE_SLOT_BASE < uid < 61000 + GRADE_SLOT_BASE + 99
