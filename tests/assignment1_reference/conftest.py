"""Fixtures of the assignment 1 reference tests.

The session has assignment 2's reference on sys.path as the package
``cs231n`` (tests/conftest.py). These tests need assignment 1's package of the
same name, so the ``a1`` fixture swaps it in for one test module at a time and
puts everything back afterwards: assignment 2's tests in the same process
still see their own ``cs231n``. Tests reach the package only through the
fixture (``a1.classifiers.linear_svm.svm_loss_naive``), never by
``import cs231n``.
"""
from __future__ import annotations

import numpy as np
import pytest

from a1ref_helpers import A1_DIR, swapped_cs231n


@pytest.fixture(scope="module")
def a1():
    """The assignment 1 reference package ``cs231n`` (all modules imported)."""
    with swapped_cs231n(A1_DIR) as pkg:
        yield pkg


@pytest.fixture(scope="module")
def digits(a1):
    """get_digits_data() flattened as the notebooks do: a dict with X_train,
    X_val, X_test of shape (N, 64) (pixel values 0..255) and the labels."""
    d = a1.data_utils.get_digits_data()
    out = {}
    for split in ("train", "val", "test"):
        X = d["X_" + split]
        out["X_" + split] = X.reshape(X.shape[0], -1)
        out["y_" + split] = d["y_" + split]
    return out


@pytest.fixture(scope="module")
def digits_centred(digits):
    """The digits as the linear classifiers' notebooks preprocess CIFAR-10:
    mean training image subtracted, then a bias column of ones appended
    (X_*_b), and the centred data without the bias column (X_*)."""
    mean = digits["X_train"].mean(axis=0)
    out = dict(digits)
    for split in ("train", "val", "test"):
        Xc = digits["X_" + split] - mean
        out["X_" + split] = Xc
        out["X_%s_b" % split] = np.hstack([Xc, np.ones((Xc.shape[0], 1))])
    return out
