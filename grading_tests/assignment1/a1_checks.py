"""Helpers shared by assignment 1's hidden modules (each loads this file by its path: the
hidden suites are imported in importlib mode, without this folder on sys.path).

Everything here runs on the trusted side. The judgements word their failures for a
student: the function, the input case, what was expected (shape, error against a
tolerance, a time) -- never reference code.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from autograder.judge import as_array, assert_true
from autograder.source_checks import SourceError, loops_in


def rng(seed):
    return np.random.default_rng(seed)


def shp(shape) -> str:
    shape = tuple(int(s) for s in shape)
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def seed_worker(submission, seed=0):
    """Seed numpy's global generator in the worker (the notebooks' np.random.seed)."""
    submission.call("numpy.random.seed", seed)


# ---------------------------------------------------------------------------
# source: loops
# ---------------------------------------------------------------------------

def assert_no_loops(student_source, relpath: str, qualname: str, rule: str) -> None:
    """``qualname`` in the student's ``relpath`` has no for/while loop and no comprehension.

    ``rule`` quotes the docstring or TODO that asks for it.
    """
    shown = f"cs231n/{relpath}"
    try:
        loops = loops_in(Path(student_source) / relpath, qualname)
    except SourceError as e:
        raise AssertionError(f"{qualname} could not be checked for loops: {e}.") from None
    if loops:
        found = ", ".join(f"a {lp.kind} at line {lp.line}" for lp in loops)
        raise AssertionError(f"{qualname} in {shown} has {found}; {rule}.")


def assert_loop_count(student_source, relpath: str, qualname: str, allowed: int, rule: str) -> None:
    """``qualname`` has no more loops than the ``allowed`` ones its given code holds."""
    shown = f"cs231n/{relpath}"
    try:
        loops = loops_in(Path(student_source) / relpath, qualname)
    except SourceError as e:
        raise AssertionError(f"{qualname} could not be checked for loops: {e}.") from None
    if len(loops) > allowed:
        found = ", ".join(f"a {lp.kind} at line {lp.line}" for lp in loops[allowed:])
        raise AssertionError(f"{qualname} in {shown} has {len(loops)} loops ({found} besides the "
                             f"given one{'s' if allowed > 1 else ''}); {rule}.")


# ---------------------------------------------------------------------------
# time
# ---------------------------------------------------------------------------

def best_time(call, repeats=3):
    """The shortest wall-clock time of ``repeats`` runs of ``call()`` and its last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - start)
    return best, result


def assert_faster(student_seconds, reference_seconds, factor, what, case, slow_name, rule):
    limit = reference_seconds / factor
    assert_true(student_seconds <= limit,
                f"{what} took {student_seconds * 1e3:.0f} ms for {case}, while {slow_name} takes "
                f"{reference_seconds * 1e3:.0f} ms there; expected at least {factor}x faster "
                f"(at most {limit * 1e3:.0f} ms): {rule}.")


# ---------------------------------------------------------------------------
# labels
# ---------------------------------------------------------------------------

def as_labels(value, *, what, case, n):
    """The student's predicted labels as an int array of shape (n,) (floats holding whole
    numbers are accepted)."""
    arr = as_array(value, what=what, case=case, shape=(n,))
    if arr.dtype.kind == "f":
        assert_true(np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)),
                    f"{what} returned labels that are not whole numbers for {case}.")
    return arr.astype(np.int64)


def accuracy_message(case, acc, threshold):
    return (f"{case} reached {acc:.1%} accuracy on the held-out digits; expected at least "
            f"{threshold:.0%}.")
