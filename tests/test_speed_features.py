"""What makes a grading quick without making it less fair: light imports, heavy modules
imported once by grade-all's job servers, per-test times."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path
import sys

import pytest
from rich.console import Console

from autograder.reports.console import print_result
from autograder.reports.gradescope import gradescope_dict
from autograder.results import GradingResult, PartResult, TestOutcome

HEAVY = ("torch", "sklearn", "rfc3987_syntax", "lark", "nbgrader", "scipy")


def test_grading_modules_import_nothing_heavy():
    """`autograder grade` starts without torch, scikit-learn, nbgrader or a grammar builder:
    the tests that need them import them (grade-all's job servers import the assignment's
    `preload` once)."""
    code = ("import sys, autograder.cli, autograder.runner, autograder.calibration, "
            "autograder.reports.console, autograder.reports.gradescope; "
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_reading_the_course_config_imports_no_nbgrader():
    """`autograder grade` reads nbgrader_config.py for its sandbox settings: the preprocessors
    are named as strings there (nbconvert imports them when nbgrader registers them)."""
    code = ("import sys; from autograder.config import load_course_config; c = load_course_config(); "
            "print([m for m in ('nbgrader', 'nbconvert') if m in sys.modules], "
            "c.Autograde.autograde_preprocessors[0])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[0] == "[]", out.stdout
    assert out.stdout.split()[1] == "autograder.nbgrader_integration.sandboxed_execute.SandboxedExecute"


def test_nbformat_builds_no_grammar_at_import():
    """jsonschema 4.23 (the lock's pin) does not pull rfc3987-syntax's lark grammar into every
    notebook read."""
    out = subprocess.run([sys.executable, "-c", "import sys, nbformat; print('rfc3987_syntax' in sys.modules)"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_job_servers_import_the_assignments_preload_before_forking(tmp_path):
    """grade-all's job servers import the assignment's `preload` (torch for assignment 2) once,
    so no student's grading imports it again on the trusted side."""
    from autograder.course import load_assignment
    from autograder.grade_all.job_server import serve

    assert "torch" in load_assignment("assignment2").preload
    code = ("import sys; from autograder.grade_all import job_server as s; "
            "s.PRELOAD = (); sys.stdin.close(); s.serve(('colorsys', 'no_such_module_xyz')); "
            "print('colorsys' in sys.modules, file=sys.stderr)")  # serve() points stdout at stderr
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         stdin=subprocess.DEVNULL)
    assert out.stderr.strip().endswith("True"), out.stdout + out.stderr
    assert serve.__doc__ and "preload" in serve.__doc__


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


CONSOLE = ("import atexit, sys; from autograder.cli import console; "
           "atexit.register(lambda: print('exit handler ran', flush=True)); "
           "print('buffered line'); sys.argv = ['autograder'] + sys.argv[1:]; console()")


@pytest.mark.parametrize("args, code, says", [
    (["--help"], 0, "Auto-graded course assignments"),
    (["grade"], 2, "the following arguments are required: submission"),   # argparse's usage error
    (["grade", "release/assignment2", "--assignment", "no-such-assignment"], 2, "grading could not run"),
])
def test_the_command_exits_fast_with_its_code_output_and_exit_handlers(args, code, says):
    """The ``autograder`` command skips the interpreter's finalization (torch's teardown), but
    not its exit code, its buffered output or the exit handlers."""
    out = subprocess.run([sys.executable, "-c", CONSOLE, *args], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.returncode == code, out.stderr[-2000:]
    assert says in out.stdout + out.stderr
    assert "buffered line" in out.stdout and out.stdout.rstrip().endswith("exit handler ran")
