"""Small numeric helpers shared by the framework's tests.

* ``rel_error(x, y)``: relative error as the CS231n notebooks define it,
  ``max |x - y| / max(1e-8, |x| + |y|)`` (elementwise quotient, then the max).
* ``numeric_gradient(f, x, df=1.0, h=1e-5)``: the centred finite-difference
  gradient of ``sum(f(x) * df)`` with respect to the array ``x``
  (CS231n's ``eval_numerical_gradient_array``; with a scalar ``f`` and the
  default ``df`` it is the plain numerical gradient of a loss).

Use float64 inputs: with ``h=1e-5`` the centred difference is accurate to
about 1e-10 relative, far below the 1e-7 tolerances the tests use.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["rel_error", "numeric_gradient"]


def rel_error(x, y) -> float:
    """Relative error between two arrays (or scalars), as CS231n defines it.

    Returns ``max(|x - y| / max(1e-8, |x| + |y|))`` over all elements.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def numeric_gradient(
    f: Callable[[np.ndarray], object], x: np.ndarray, df=1.0, h: float = 1e-5
) -> np.ndarray:
    """Centred numeric gradient of ``sum(f(x) * df)`` with respect to ``x``.

    Inputs:
    - f: function of one argument returning an array (or a scalar). It is
      called with ``x`` itself; ``x`` is perturbed in place, one element at a
      time, and always restored, so ``f`` may also read ``x`` from a closure.
    - x: the float array to differentiate with respect to, of any shape.
    - df: upstream derivative, shaped like ``f(x)`` (default 1.0, i.e. the
      gradient of a scalar ``f``).
    - h: step of the centred difference ``(f(x+h) - f(x-h)) / 2h``.

    Returns:
    - grad: array shaped like ``x``.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        pos = np.array(f(x), dtype=np.float64, copy=True)
        x[ix] = old - h
        neg = np.array(f(x), dtype=np.float64, copy=True)
        x[ix] = old
        grad[ix] = np.sum((pos - neg) * df) / (2 * h)
        it.iternext()
    return grad
