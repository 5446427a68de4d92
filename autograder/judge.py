"""Trusted-side judgements for the hidden suites.

Every helper here compares something a student's code produced (already
copied out of the sandbox as plain data) with what was expected and, when it
is wrong, raises :class:`AssertionError` with ONE sentence a student can act
on: which function, which input case, what was expected (a shape, a dtype, a
relative error against its tolerance). Messages never contain reference code
or reference values in bulk.

* ``rel_error(x, y)``: relative error as the CS231n notebooks define it,
  ``max(|x - y| / max(1e-8, |x| + |y|))``.
* ``numeric_gradient(f, x, dout, h=1e-5)``: centred finite differences of
  ``sum(f(x) * dout)`` (CS231n's ``eval_numerical_gradient_array``).
* ``as_array``, ``unpack``, ``as_scalar``: turn a student's return value into
  the expected kind of thing, or fail saying what came back instead.
* ``assert_shape``, ``assert_dtype_float``, ``assert_close``,
  ``assert_finite``: the judgements themselves.
* ``assert_inputs_kept`` (from the proxy's ``last_modified`` after a call) and
  ``data_leaves`` + ``assert_cache_kept`` (a cache fetched before and after a
  backward pass): student code must not change its inputs in place. The
  grader's own arrays never change (the proxy does not write arrays back), so
  these judgements look at what the WORKER saw, never at the trusted arrays.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

__all__ = [
    "rel_error",
    "numeric_gradient",
    "as_array",
    "as_scalar",
    "unpack",
    "assert_shape",
    "assert_dtype_float",
    "assert_finite",
    "assert_close",
    "assert_close_scaled",
    "assert_inputs_kept",
    "assert_cache_kept",
    "data_leaves",
    "assert_true",
]


def rel_error(x, y) -> float:
    """Relative error as CS231n defines it: ``max(|x-y| / max(1e-8, |x|+|y|))``."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.size == 0 and y.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def numeric_gradient(f: Callable[[np.ndarray], object], x: np.ndarray, dout=1.0,
                     h: float = 1e-5) -> np.ndarray:
    """Centred numeric gradient of ``sum(f(x) * dout)`` with respect to ``x``.

    ``x`` (a float64 array) is perturbed in place one element at a time and
    always restored, so ``f`` may read it from a closure. ``f`` must be a
    trusted function (the reference forward pass): it is called twice per
    element of ``x``.
    """
    x = np.asarray(x)
    grad = np.zeros(x.shape, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old = x[ix].copy()
        x[ix] = old + h
        pos = np.array(f(x), dtype=np.float64, copy=True)
        x[ix] = old - h
        neg = np.array(f(x), dtype=np.float64, copy=True)
        x[ix] = old
        grad[ix] = np.sum((pos - neg) * dout) / (2 * h)
        it.iternext()
    return grad


# ---------------------------------------------------------------------------
# Turning a student's return value into what was expected
# ---------------------------------------------------------------------------


def _kind(value) -> str:
    """A short description of what came back, for messages."""
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of length {len(value)}"
    return f"a {type(value).__name__}"


def _shape_text(shape) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def as_array(value, *, what: str, case: str, shape: Sequence[int] | None = None) -> np.ndarray:
    """The student's value as a float64-comparable numeric numpy array.

    Fails if it is None, not numeric, or (when ``shape`` is given) of another shape.
    """
    if value is None:
        exp = f"an array of shape {_shape_text(shape)}" if shape is not None else "an array"
        raise AssertionError(f"{what} returned None for {case}; expected {exp}.")
    if isinstance(value, (bool, int, float, np.number, np.bool_)) or isinstance(value, (list, tuple)):
        arr = None
        try:
            arr = np.asarray(value)
        except Exception:  # ragged lists and the like
            pass
        if arr is None or arr.dtype == object:
            raise AssertionError(f"{what} returned {_kind(value)} for {case}; expected a numeric array.")
        value = arr
    if not isinstance(value, np.ndarray):
        raise AssertionError(f"{what} returned {_kind(value)} for {case}; expected a numpy array.")
    if value.dtype.kind not in "biuf":
        raise AssertionError(
            f"{what} returned an array of dtype {value.dtype} for {case}; expected a numeric array.")
    if shape is not None:
        assert_shape(value, shape, what=what, case=case)
    return value


def as_scalar(value, *, what: str, case: str) -> float:
    """The student's value as a Python float (a 0-d or size-1 array is accepted)."""
    if value is None:
        raise AssertionError(f"{what} returned None for {case}; expected a scalar.")
    try:
        arr = np.asarray(value)
    except Exception:
        arr = None
    if arr is None or arr.dtype.kind not in "biuf" or arr.size != 1:
        raise AssertionError(f"{what} returned {_kind(value)} for {case}; expected a single number.")
    out = float(arr.reshape(()))
    if not np.isfinite(out):
        raise AssertionError(f"{what} returned the non-finite number {out} for {case}.")
    return out


def unpack(value, n: int, *, what: str, case: str, names: str | None = None) -> tuple:
    """Check that the student returned a tuple (or list) of ``n`` items and return it."""
    expect = f"a tuple of {n} ({names})" if names else f"a tuple of {n} values"
    if not isinstance(value, (tuple, list)):
        raise AssertionError(f"{what} returned {_kind(value)} for {case}; expected {expect}.")
    if len(value) != n:
        raise AssertionError(
            f"{what} returned {len(value)} values for {case}; expected {expect}.")
    return tuple(value)


# ---------------------------------------------------------------------------
# Judgements
# ---------------------------------------------------------------------------


def assert_true(condition, message: str) -> None:
    """Fail with ``message`` (one sentence) unless ``condition`` holds."""
    if not condition:
        raise AssertionError(message)


def assert_shape(actual, expected_shape, *, what: str, case: str) -> None:
    """The array has exactly ``expected_shape``."""
    expected_shape = tuple(int(s) for s in expected_shape)
    shape = tuple(np.shape(actual))
    if shape != expected_shape:
        raise AssertionError(
            f"{what} has shape {_shape_text(shape)} for {case}; expected shape "
            f"{_shape_text(expected_shape)}.")


def assert_dtype_float(actual, *, what: str, case: str, dtype=None) -> None:
    """The array holds floating-point numbers (of exactly ``dtype`` if given)."""
    arr = np.asarray(actual)
    if dtype is not None:
        dtype = np.dtype(dtype)
        if arr.dtype != dtype:
            raise AssertionError(
                f"{what} has dtype {arr.dtype} for {case}; expected {dtype} "
                f"(keep the dtype of the input).")
    elif arr.dtype.kind != "f":
        raise AssertionError(
            f"{what} has dtype {arr.dtype} for {case}; expected a floating-point array.")


def assert_finite(actual, *, what: str, case: str) -> None:
    arr = np.asarray(actual)
    if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise AssertionError(
            f"{what} contains {bad} NaN or infinite value(s) for {case}; expected finite numbers.")


def assert_close(actual, expected, *, what: str, case: str, tol: float,
                 against: str = "the expected values") -> float:
    """``rel_error(actual, expected) <= tol``, after checking type, shape and finiteness.

    ``against`` names what the values were compared with (e.g. "a numeric
    gradient") for the message. Returns the relative error.
    """
    expected = np.asarray(expected)
    if np.ndim(expected) == 0:
        got = as_scalar(actual, what=what, case=case)
    else:
        got = as_array(actual, what=what, case=case, shape=expected.shape)
        assert_finite(got, what=what, case=case)
    err = rel_error(got, expected)
    if not err <= tol:
        raise AssertionError(
            f"{what} is wrong for {case}: relative error {err:.2e} against {against} "
            f"exceeds the tolerance {tol:.0e}.")
    return err


def assert_inputs_kept(modified, function: str, arguments, case: str | None = None) -> None:
    """A sandboxed call must not have changed any of the named array arguments in place.

    ``modified`` is the proxy's ``last_modified`` read right after the call
    (int positions and str keyword names of the array arguments the worker saw
    change). ``arguments`` names the arguments to check: a sequence of names
    by position (``("x", "w", "b")``) or a mapping ``{position or keyword: name}``.
    """
    if not isinstance(arguments, dict):
        arguments = dict(enumerate(arguments))
    where = f" for {case}" if case else ""
    for key, name in arguments.items():
        if key in modified or name in modified:
            raise AssertionError(
                f"{function} modified its input {name} in place{where}; compute new arrays "
                f"instead (the release asks that inputs are not changed in place).")


def data_leaves(obj, path: str = "", _depth: int = 0) -> dict:
    """The arrays and numbers inside a nested tuple/list/dict (e.g. a fetched cache), by path.

    Anything that is not data (a worker object such as a RemoteRef) is left out.
    """
    out: dict = {}
    if _depth > 32:
        return out
    if isinstance(obj, np.ndarray):
        out[path] = obj.copy()
    elif isinstance(obj, (bool, int, float, np.generic)):
        out[path] = obj
    elif isinstance(obj, (tuple, list)):
        for i, v in enumerate(obj):
            out.update(data_leaves(v, f"{path}[{i}]", _depth + 1))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            out.update(data_leaves(v, f"{path}[{k!r}]", _depth + 1))
    return out


def assert_cache_kept(before: dict, after: dict, function: str, case: str | None = None) -> None:
    """The arrays of a cache (``data_leaves`` of it before and after a backward pass) are unchanged.

    A backward pass that writes into its cache changes arrays its forward pass
    shares with the caller (inputs, a network's parameters) and gives another
    answer when it runs twice.
    """
    where = f" for {case}" if case else ""
    for path, old in before.items():
        new = after.get(path)
        if isinstance(old, np.ndarray):
            same = (isinstance(new, np.ndarray) and new.shape == old.shape
                    and np.array_equal(new, old, equal_nan=True))
        else:
            same = (new is not None and not isinstance(new, np.ndarray)
                    and bool(new == old or (new != new and old != old)))
        if not same:
            raise AssertionError(
                f"{function} modified the arrays of its cache in place{where} (the cache the "
                f"forward pass returned); compute new arrays instead.")


def assert_close_scaled(actual, expected, *, what: str, case: str, tol: float,
                        against: str = "the expected values") -> float:
    """Like :func:`assert_close`, but the error is relative to the largest expected entry:
    ``max|actual - expected| / max(max|expected|, 1e-12)``.

    For numeric gradients computed through the student's own (sandboxed) code,
    where entries near zero carry finite-difference noise that the elementwise
    CS231n relative error would blow up.
    """
    expected = np.asarray(expected, dtype=np.float64)
    got = as_array(actual, what=what, case=case, shape=expected.shape)
    assert_finite(got, what=what, case=case)
    scale = max(float(np.max(np.abs(expected))) if expected.size else 0.0, 1e-12)
    err = float(np.max(np.abs(got - expected))) / scale if expected.size else 0.0
    if not err <= tol:
        raise AssertionError(
            f"{what} is wrong for {case}: error {err:.2e} (relative to the largest entry) against "
            f"{against} exceeds the tolerance {tol:.0e}.")
    return err
