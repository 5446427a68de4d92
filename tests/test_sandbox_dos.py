"""Denial of service against the grader: huge messages, huge replies, a full disk,
and a submission that hangs every call.  Each costs the student the test at hand,
never the grader's memory, disk or hours."""
from __future__ import annotations

import errno
import os
import shutil
import time
from pathlib import Path

import pytest

from autograder.paths import solutions_dir
from autograder.sandbox import OversizeReply, StudentCodeError, StudentTimeout, TimeBudget
from autograder.sandbox.errors import MAX_MESSAGE_CHARS, MAX_STDOUT_CHARS, MAX_TRACEBACK_CHARS, TRUNCATED
from sandbox_helpers import make_proxy

ASSIGNMENT = "assignment2"


@pytest.fixture(scope="module", params=["bwrap", "plain", "warm"])
def sub(request):
    p = make_proxy(request.param, slot=11, call_timeout=20.0)
    yield p
    p.close()


def still_works(p):
    assert p.layers.echo(1) == ((1,), {})


# ---------------------------------------------------------------- text caps (trusted side)
def test_huge_exception_message_is_capped_on_the_trusted_side(sub):
    """Student code lifts the worker's own caps (``__main__.MAX_MESSAGE``): the grader still keeps 2 KB."""
    t0 = time.monotonic()
    with pytest.raises(StudentCodeError) as ei:
        sub.attacks.huge_error(8)  # an 8 MB message, under the reply limit
    e = ei.value
    assert e.exc_type == "ValueError"
    assert len(e.message) <= MAX_MESSAGE_CHARS + len(TRUNCATED) and e.message.endswith(TRUNCATED)
    assert len(str(e)) < MAX_MESSAGE_CHARS + MAX_TRACEBACK_CHARS + 500
    assert time.monotonic() - t0 < 15
    still_works(sub)


def test_huge_traceback_and_stdout_are_capped(sub):
    with pytest.raises(StudentCodeError) as ei:
        sub.attacks.deep_error(400)
    tb = ei.value.student_traceback
    assert tb.startswith(TRUNCATED) and len(tb) <= MAX_TRACEBACK_CHARS + len(TRUNCATED) + 1
    assert "bottom" in ei.value.message and "attacks.py" in tb  # the last frames are the ones kept
    assert sub.attacks.loud(6) == "done"  # 6 MB printed after lifting the worker's tail limit
    assert len(sub.last_stdout) <= MAX_STDOUT_CHARS and sub.last_stdout_bytes >= 6 << 20


# ---------------------------------------------------------------- reply size
def test_oversize_reply_is_a_clear_failure_of_that_call(sub):
    assert sub.attacks.big_reply(4).shape == (4 << 17,)  # 4 MB: fine (the suites move under 2 MB)
    t0 = time.monotonic()
    with pytest.raises(OversizeReply) as ei:
        sub.attacks.big_reply(40)
    assert "more than the limit of 16 MB" in str(ei.value) and "40.0 MB" in str(ei.value)
    assert time.monotonic() - t0 < 15
    still_works(sub)  # a fresh worker takes over


# ---------------------------------------------------------------- disk
@pytest.mark.parametrize("mode", ["bwrap", "warm"])
def test_writes_past_the_tmpfs_fail_and_never_reach_the_host_disk(mode):
    p = make_proxy(mode, slot=12, submission_tmpfs_mb=24, tmp_tmpfs_mb=16)
    with p:
        p.ping()
        host_copy = p.worker.private
        for folder, size in (("/submission", 24), ("/tmp", 16)):
            res = p.attacks.fill(folder, 4, 64)  # up to 256 MB, each file under RLIMIT_FSIZE
            assert res["errno"] == errno.ENOSPC, res
            assert res["written"] <= size << 20
        # nothing of it landed in the grader's private copy on the host
        on_host = sum(f.stat().st_size for f in host_copy.rglob("*") if f.is_file())
        assert on_host < 1 << 20, on_host
        assert p.protections()["disk_limit"] is True
        still_works(p)


# ---------------------------------------------------------------- time
def test_test_deadline_stops_a_test_that_hangs_every_call():
    budget = TimeBudget(total=0, test_timeout=2.5)
    with make_proxy("plain", slot=13, call_timeout=1.5) as p:
        p._budget = budget  # what the runner does: one budget for every proxy of a grading
        budget.start_test()
        t0 = time.monotonic()
        with pytest.raises(StudentTimeout, match="did not finish within 1.5 s"):
            p.attacks.spin()
        t1 = time.monotonic()
        with pytest.raises(StudentTimeout, match="it timed out in an earlier test, so it is not run again"):
            p.attacks.spin()  # hung once: fails at once afterwards
        assert time.monotonic() - t1 < 0.5
        with pytest.raises(StudentTimeout, match="this test used up its time limit of 2.5 s"):
            p.attacks.spin_stubborn()  # only ~1 s of the test's time was left
        with pytest.raises(StudentTimeout, match="this test used up its time limit"):
            p.layers.echo(1)  # the deadline has passed: not even started
        assert time.monotonic() - t0 < 6
        budget.end_test()
        budget.start_test()  # the next test has its own deadline
        still_works(p)


def test_a_call_that_ran_out_of_memory_fails_at_once_afterwards():
    """A memory bomb takes seconds of zeroed pages at every call (2.3 s a call at the 4 GB
    limit): like a hang, it runs once and later calls of the same function fail at once."""
    budget = TimeBudget(total=0)
    with make_proxy("plain", slot=13) as p:
        p._budget = budget
        with pytest.raises(StudentCodeError) as ei:
            p.attacks.allocate(20)
        assert ei.value.exc_type == "MemoryError", ei.value
        t0 = time.monotonic()
        with pytest.raises(StudentCodeError, match="it ran out of memory in an earlier test, so it is not run again"):
            p.attacks.allocate(20)
        assert time.monotonic() - t0 < 0.5
        still_works(p)  # other functions run as before


def _hanging_submission(dest: Path) -> Path:
    """The reference package with every student module spinning at import: every call hangs."""
    pkg = dest / "cs231n"
    shutil.copytree(solutions_dir(ASSIGNMENT) / "cs231n", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    for rel in ("layers.py", "optim.py", "layer_utils.py", "classifiers/fc_net.py", "classifiers/cnn.py",
                "torch_models.py"):
        f = pkg / rel
        f.write_text("while True:\n    pass\n" + f.read_text())
    return dest


SLOW = """

import functools as _functools
import time as _time


def _slowly(_fn):
    @_functools.wraps(_fn)
    def wrapper(*args, **kwargs):
        _time.sleep(0.4)
        return _fn(*args, **kwargs)
    return wrapper


for _name, _fn in list(globals().items()):
    if callable(_fn) and getattr(_fn, "__module__", None) == __name__ and not _name.startswith("_"):
        globals()[_name] = _slowly(_fn)
"""


def _slow_submission(dest: Path) -> Path:
    """The reference package whose optimizers each take 0.4 s: no single call is too slow."""
    pkg = dest / "cs231n"
    shutil.copytree(solutions_dir(ASSIGNMENT) / "cs231n", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    with open(pkg / "optim.py", "a") as f:
        f.write(SLOW)
    return dest


MODULES = ["test_optim.py", "test_layer_utils.py", "test_fc_net.py", "test_cnn.py", "test_accuracy.py"]


def test_one_time_budget_for_the_whole_submission(tmp_path):
    """One budget for every hidden module's worker, and a deadline per test."""
    from traitlets.config import Config

    from autograder.runner import grade_submission

    cfg = Config()
    cfg.Sandbox.call_timeout = 1.5
    cfg.Sandbox.test_timeout = 2.0
    cfg.Sandbox.submission_timeout = 6.0
    t0 = time.monotonic()
    res = grade_submission(_hanging_submission(tmp_path / "sub"), ASSIGNMENT, sandbox_config=cfg,
                           modules=MODULES)
    elapsed = time.monotonic() - t0
    tests = [t for p in res.parts for t in p.tests]
    assert len({t.nodeid.split("::")[0] for t in tests}) == len(MODULES) and not any(t.passed for t in tests)
    # one budget a module (the old way) would hang 5 x 6 s plus restarts
    assert elapsed < 6 + 16, elapsed
    messages = [t.message for t in tests]
    assert sum("total time budget of 6 s" in m for m in messages) > len(messages) / 2
    assert res.score == 0


def test_test_deadline_in_a_grading(tmp_path):
    from traitlets.config import Config

    from autograder.runner import grade_submission

    cfg = Config()
    cfg.Sandbox.call_timeout = 1.0
    cfg.Sandbox.test_timeout = 1.6
    cfg.Sandbox.submission_timeout = 0  # unlimited: only the per-test deadline stops the calls
    res = grade_submission(_slow_submission(tmp_path / "sub"), ASSIGNMENT, sandbox_config=cfg,
                           modules=["test_optim.py"], parts=["adam", "rmsprop"])
    tests = [t for p in res.parts for t in p.tests]
    late = [t for t in tests if "this test used up its time limit of 1.6 s" in t.message]
    assert late, [t.message for t in tests]
    assert all(t.duration < 6 for t in tests)
    assert not any("did not finish within" in t.message for t in tests)  # no call was too slow by itself


# ---------------------------------------------------------------- through the runner and reports
HUGE = '''

def affine_forward(x, w, b):
    import __main__
    __main__.MAX_MESSAGE = 10**12
    raise ValueError("y" * ({mb} << 20))
'''


@pytest.mark.parametrize("mb", [6, 20])
def test_huge_messages_stay_small_in_results(tmp_path, mb):
    from rich.console import Console

    from autograder.reports.console import print_result
    from autograder.reports.gradescope import gradescope_dict
    from autograder.runner import grade_submission

    pkg = tmp_path / "sub" / "cs231n"
    shutil.copytree(solutions_dir(ASSIGNMENT) / "cs231n", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    with open(pkg / "layers.py", "a") as f:
        f.write(HUGE.format(mb=mb))
    t0 = time.monotonic()
    res = grade_submission(tmp_path / "sub", ASSIGNMENT, modules=["test_layers.py"], parts=["affine_forward"])
    failed = [t for t in res.part("affine_forward").tests if not t.passed]
    assert failed
    for t in failed:
        assert len(t.message) < 8300
        if mb > 16:
            assert "more than the limit of 16 MB" in t.message
        else:
            assert "ValueError" in t.message and TRUNCATED in t.message
    console = Console(width=200, record=True, file=open(os.devnull, "w"))
    print_result(res, console)
    assert len(console.export_text()) < 100_000
    assert len(str(gradescope_dict(res))) < 200_000
    assert time.monotonic() - t0 < 120
