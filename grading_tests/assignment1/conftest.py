"""Trusted-side fixtures and helpers of assignment 1's hidden suite (the framework gives
``submission``, ``reference``, ``assignment`` and ``student_source``).

The digits and every array derived from them stay in this process; each test decides
what crosses into the worker (training images and labels only, never a held-out label).
"""
import numpy as np
import pytest


@pytest.fixture(scope="session")
def digits(reference):
    """The embedded digits split as ``get_digits_data()`` returns it (trusted side):
    X_* of shape (N, 8, 8, 1), float64 pixel values 0..255, not mean-subtracted."""
    return reference.data_utils.get_digits_data()


@pytest.fixture(scope="session")
def digits_rows(digits):
    """The digits as rows, as the notebooks use them: X_train (N, 64) and the held-out
    images (validation and test together) with their labels, which never enter the worker."""
    def flat(X):
        return X.reshape(X.shape[0], -1)

    return {
        "X_train": flat(digits["X_train"]),
        "y_train": digits["y_train"],
        "X_held_out": np.concatenate([flat(digits["X_val"]), flat(digits["X_test"])]),
        "y_held_out": np.concatenate([digits["y_val"], digits["y_test"]]),
    }
