"""Helpers shared by assignment 2's hidden modules: one test a case, edge cases.

Each hidden module loads this file by its path, under a name of its own
(``_hidden_a2_cases_<module>``, which nothing else uses), as assignment 1's modules load
``a1_checks.py``: the hidden suites are imported in importlib mode, without this folder
on sys.path. Everything here runs on the trusted side.
"""
import contextlib

import pytest

from autograder.sandbox.proxy import StudentCodeError


# ---------------------------------------------------------------------------
# one test a case
# ---------------------------------------------------------------------------

def _case_test(check, index, args):
    def test(submission, reference):
        check(submission, reference, index, *args)
    return test


def per_case(grade_id, points, name, cases, check):
    """One test ``test_<name>_<case id>`` for each case of ``cases`` ({case id: arguments}),
    each worth ``points`` in part ``grade_id``: a failing case costs only its own share.
    ``check(submission, reference, index, *arguments)`` runs one case (``index``, the case's
    position in ``cases``, seeds it). Assign the tests to module-level names equal to their
    names (``check_names`` verifies it), so pytest collects each once, under its name."""
    tests = []
    for index, (cid, args) in enumerate(cases.items()):
        test = _case_test(check, index, args)
        test.__name__ = test.__qualname__ = f"test_{name}_{cid}"
        test.__doc__ = check.__doc__
        tests.append(pytest.mark.grade(grade_id, points=points)(test))
    return tuple(tests)


def check_names(namespace):
    """Every test of a hidden module (its ``globals()``) is collected under the name it was
    made with (per_case's names match the module-level names they are assigned to)."""
    for name, test in list(namespace.items()):
        if name.startswith("test_") and getattr(test, "__name__", name) != name:
            raise RuntimeError(f"{name} holds the test {test.__name__}")


# ---------------------------------------------------------------------------
# edge cases
# ---------------------------------------------------------------------------

@contextlib.contextmanager
def edge_case(function, name, quote):
    """Run an edge-case test: a failure says which edge case it is and quotes the docstring
    sentence that asks for it (after the judgement's own sentence, so that stays first)."""
    note = f"(Edge case: {name}. The docstring of {function} says: \"{' '.join(quote.split())}\")"
    try:
        yield
    except StudentCodeError as e:
        if type(e) is not StudentCodeError:  # not implemented, timeouts, crashes: as they are
            raise
        raise StudentCodeError(f"{e.message} {note}", exc_type=e.exc_type, function=e.function,
                               student_traceback=e.student_traceback, stdout=e.stdout) from None
    except AssertionError as e:
        raise AssertionError(f"{str(e).strip()} {note}") from None
