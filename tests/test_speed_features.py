"""What makes a grading quick without making it less fair: light imports, the background
preload of heavy modules (a call that waits for it is not charged), per-test times."""
from __future__ import annotations

import functools
import json
import subprocess
import sys

import pytest
from rich.console import Console

from autograder.reports.console import print_result
from autograder.reports.gradescope import gradescope_dict
from autograder.results import GradingResult, PartResult, TestOutcome
from autograder.sandbox import Sandbox, StudentTimeout, SubmissionProxy
from sandbox_helpers import bwrap_reason, plain_traits

HEAVY = ("torch", "sklearn", "rfc3987_syntax", "lark", "nbgrader", "scipy")


def test_grading_modules_import_nothing_heavy():
    """`autograder grade` starts without torch, scikit-learn, nbgrader or a grammar builder:
    the assignment's `preload` and the tests that need them import them."""
    code = ("import sys, autograder.cli, autograder.runner, autograder.calibration, "
            "autograder.reports.console, autograder.reports.gradescope; "
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_nbformat_builds_no_grammar_at_import():
    """jsonschema 4.23 (the lock's pin) does not pull rfc3987-syntax's lark grammar into every
    notebook read."""
    out = subprocess.run([sys.executable, "-c", "import sys, nbformat; print('rfc3987_syntax' in sys.modules)"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.fixture
def slow_package(tmp_path):
    """A package whose module `slow` takes 3 s to import (as torch takes a few)."""
    pkg = tmp_path / "slowpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "slow.py").write_text("import time\ntime.sleep(3)\n\ndef f(x):\n    return x + 1\n")
    return tmp_path


@pytest.mark.parametrize("mode", ["bwrap", "plain"])
def test_a_call_that_waits_for_the_preload_is_not_charged(slow_package, mode):
    """With a 1 s call limit, the first call of a module the worker is still preloading
    succeeds (it waited on the import, not on student code); without the preload the same
    call times out, so the test can fail."""
    if mode == "bwrap" and bwrap_reason():
        pytest.skip(bwrap_reason())
    traits = {"call_timeout": 1.0, "calibrate": False}
    sb = Sandbox(use_bwrap=(mode == "bwrap"), **(plain_traits(traits) if mode == "plain" else traits))
    start = functools.partial(sb.start, slow_package, slot=14)
    with SubmissionProxy(start, "slowpkg", preload=("slowpkg.slow",)) as p:
        assert p.call("slowpkg.slow.f", 1) == 2
    with SubmissionProxy(start, "slowpkg") as p:
        with pytest.raises(StudentTimeout):
            p.call("slowpkg.slow.f", 1)


def _result() -> GradingResult:
    tests = [TestOutcome("t.py::test_a", "a", "p1", 1.0, "passed", duration=0.25),
             TestOutcome("t.py::test_b", "b", "p1", 1.0, "passed", duration=2.5),
             TestOutcome("t.py::test_c", "c", "p2", 1.0, "failed", "wrong", duration=0.5)]
    return GradingResult("a", "sub", execution_time=3.4,
                         parts=[PartResult("p1", 2.0, tests=tests[:2]), PartResult("p2", 1.0, tests=tests[2:])])


def test_results_json_gives_each_test_its_time():
    data = gradescope_dict(_result())
    assert [t["execution_time"] for t in data["tests"]] == [0.25, 2.5, 0.5]
    json.dumps(data)


def test_verbose_prints_the_slowest_parts():
    console = Console(record=True, width=200)
    print_result(_result(), console, verbose=True)
    text = console.export_text()
    lines = text[text.index("Slowest parts"):].splitlines()
    assert "2.75 s  p1  (slowest test: b, 2.50 s)" in lines[1]
    assert "0.50 s  p2  (slowest test: c, 0.50 s)" in lines[2]
    console = Console(record=True, width=200)
    print_result(_result(), console)
    assert "Slowest parts" not in console.export_text()
