"""The hidden suites (grading_tests/assignment2) graded end to end with the real
runner, real sandbox and real pytest:

* the reference package as a submission scores full marks on every part;
* the untouched release (the stub stage's output) scores 0 without crashing,
  every message saying which function is not implemented yet;
* the release with only affine_forward filled in scores exactly that part;

plus unit tests of the trusted-side judgements in ``autograder.judge``.
"""
from __future__ import annotations

import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from autograder import judge  # noqa: E402
from autograder.paths import release_dir, solutions_dir  # noqa: E402
from autograder.stub import stub_package  # noqa: E402
from mutants import grade_in_subprocess  # noqa: E402
from test_mutants import ALL_PARTS  # noqa: E402

REFERENCE_ROOT = solutions_dir("assignment2")
AFFINE_STUB = 'raise NotImplementedError("affine_forward is not implemented yet (cs231n/layers.py)")'
AFFINE_BODY = "out = x.reshape(x.shape[0], -1).dot(w) + b"


def release_copy(dest: Path) -> Path:
    """The student release of cs231n: release/assignment2/cs231n if it is there, else stubbed now."""
    released = release_dir("assignment2") / "cs231n"
    if (released / "__init__.py").is_file():
        import shutil

        shutil.copytree(released, dest / "cs231n",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    else:
        stub_package(REFERENCE_ROOT / "cs231n", dest / "cs231n")
    return dest


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    release = release_copy(tmp_path_factory.mktemp("release"))
    one = release_copy(tmp_path_factory.mktemp("one_function"))
    layers = one / "cs231n" / "layers.py"
    text = layers.read_text()
    assert text.count(AFFINE_STUB) == 1
    layers.write_text(text.replace(AFFINE_STUB, AFFINE_BODY))
    jobs = {"reference": (REFERENCE_ROOT, 20), "release": (release, 21), "one": (one, 22)}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {k: pool.submit(grade_in_subprocess, root, None, slot)
                   for k, (root, slot) in jobs.items()}
        return {k: f.result() for k, f in futures.items()}


@pytest.mark.slow
def test_reference_scores_full_marks(graded):
    r = graded["reference"]
    assert r["errors"] == []
    assert set(r["parts"]) == ALL_PARTS, "every part of the assignment has hidden tests"
    lost = {g: p["failed"] for g, p in r["parts"].items() if p["score"] != p["max"]}
    assert not lost
    assert sum(p["score"] for p in r["parts"].values()) == 100
    assert set(r["tests"].values()) == {"passed"}
    assert r["time"] < 60, f"the hidden suite took {r['time']:.0f} s on the reference"


@pytest.mark.slow
def test_release_scores_zero(graded):
    r = graded["release"]
    assert r["errors"] == []
    assert set(r["parts"]) == ALL_PARTS
    assert sum(p["score"] for p in r["parts"].values()) == 0
    for gid, p in r["parts"].items():
        assert p["score"] == 0, gid
        for name, message in p["failed"]:
            assert re.search(r"\w+ is not implemented yet", message), (gid, name, message)


@pytest.mark.slow
def test_one_function_scores_its_part(graded):
    r = graded["one"]
    assert r["errors"] == []
    parts = r["parts"]
    assert parts["affine_forward"]["score"] == parts["affine_forward"]["max"] > 0
    others = {g: p["score"] for g, p in parts.items() if g != "affine_forward" and p["score"]}
    assert others == {}
    total = sum(p["score"] for p in parts.values())
    assert total == pytest.approx(parts["affine_forward"]["max"])


# ---------------------------------------------------------------------------
# autograder.judge
# ---------------------------------------------------------------------------

def test_rel_error_is_cs231n_definition():
    x = np.array([1.0, 2.0, 0.0])
    y = np.array([1.0, 2.2, 0.0])
    assert judge.rel_error(x, y) == pytest.approx(0.2 / 4.2)
    assert judge.rel_error(x, x) == 0.0
    assert judge.rel_error(1e-12, 0.0) == pytest.approx(1e-12 / 1e-8)


def test_numeric_gradient_matches_analytic():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    w = rng.standard_normal((4, 2))
    dout = rng.standard_normal((3, 2))
    x0 = x.copy()
    num = judge.numeric_gradient(lambda v: v @ w, x, dout)
    assert judge.rel_error(num, dout @ w.T) < 1e-8
    assert np.array_equal(x, x0), "x is restored"


def _message(fn, *a, **kw):
    with pytest.raises(AssertionError) as exc:
        fn(*a, **kw)
    return str(exc.value)


def test_assert_close_messages_name_function_case_and_error():
    msg = _message(judge.assert_close, np.ones(3) * 1.1, np.ones(3), what="affine_forward's out",
                   case="x of shape (3,)", tol=1e-7)
    assert "affine_forward's out" in msg and "x of shape (3,)" in msg
    assert "4.76e-02" in msg and "1e-07" in msg
    assert msg.count(".") <= 4 and "\n" not in msg  # one sentence, no values dumped
    msg = _message(judge.assert_close, np.ones((2, 3)), np.ones((3, 2)), what="dx", case="c",
                   tol=1e-7)
    assert "shape (2, 3)" in msg and "expected shape (3, 2)" in msg
    msg = _message(judge.assert_close, None, np.ones(2), what="dx", case="c", tol=1e-7)
    assert "returned None" in msg
    msg = _message(judge.assert_close, np.array([np.nan, 1.0]), np.ones(2), what="dx", case="c",
                   tol=1e-7)
    assert "NaN" in msg
    msg = _message(judge.assert_close, float("inf"), 1.0, what="loss", case="c", tol=1e-7)
    assert "non-finite" in msg
    assert judge.assert_close(np.ones(2), np.ones(2), what="x", case="c", tol=0) == 0.0


def test_other_judgements():
    assert judge.unpack((1, 2), 2, what="f", case="c") == (1, 2)
    assert "expected a tuple of 2 (out, cache)" in _message(
        judge.unpack, np.ones(2), 2, what="f", case="c", names="out, cache")
    msg = _message(judge.assert_inputs_kept, frozenset({0}), "affine_forward", ("x", "w", "b"),
                   "x of shape (2, 3)")
    assert msg == ("affine_forward modified its input x in place for x of shape (2, 3); "
                   "compute new arrays instead (the release asks that inputs are not changed in place).")
    assert "input dw" in _message(judge.assert_inputs_kept, frozenset({"dw"}), "adam",
                                  {0: "w", 1: "dw"})
    judge.assert_inputs_kept(frozenset(), "affine_forward", ("x", "w", "b"))
    judge.assert_inputs_kept(frozenset({3}), "batchnorm_forward", ("x", "gamma", "beta"))
    cache = (np.ones(3), {"mode": "train", "eps": 1e-5}, [np.zeros((2, 2))])
    before = judge.data_leaves(cache)
    judge.assert_cache_kept(before, judge.data_leaves(cache), "batchnorm_backward")
    cache[2][0][0, 0] = 1.0
    assert "modified the arrays of its cache in place" in _message(
        judge.assert_cache_kept, before, judge.data_leaves(cache), "batchnorm_backward", "c")
    assert "cache" in _message(judge.assert_cache_kept, before,
                               judge.data_leaves((np.ones(3), {"mode": "train", "eps": 1.0},
                                                  [np.zeros((2, 2))])), "f")
    assert "expected float32" in _message(judge.assert_dtype_float, np.ones(2), what="out",
                                          case="c", dtype=np.float32)
    assert "floating-point" in _message(judge.assert_dtype_float, np.ones(2, dtype=int),
                                        what="out", case="c")
    assert "expected shape (3,)" in _message(judge.assert_shape, np.ones(2), (3,), what="db",
                                             case="c")
    assert judge.as_scalar(np.float64(2.5), what="loss", case="c") == 2.5
    assert "single number" in _message(judge.as_scalar, np.ones(2), what="loss", case="c")
    assert "relative to the largest entry" in _message(
        judge.assert_close_scaled, np.array([1.0, 0.0]), np.array([1.0, 0.5]), what="g",
        case="c", tol=1e-3)


def test_a_module_named_like_a_hidden_one_does_not_replace_it(monkeypatch):
    """Grading inside a process that imported another module of a hidden module's name (the
    framework's own tests/test_torch_models.py) still runs the hidden suite, and leaves that
    module where it was."""
    import sys
    import types

    from autograder.paths import solutions_dir
    from autograder.runner import grade_submission

    other = types.ModuleType("test_torch_models")
    monkeypatch.setitem(sys.modules, "test_torch_models", other)
    res = grade_submission(solutions_dir("assignment2"), "assignment2", modules=["test_torch_models.py"],
                           parts=["torch_flatten"])
    part = res.part("torch_flatten")
    assert part.tests and part.score == part.max_points, [t.message for t in part.tests]
    assert sys.modules["test_torch_models"] is other
