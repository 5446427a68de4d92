"""The checks of the linear classifiers' losses (SVM and softmax, naive and vectorized),
shared by test_linear_svm.py and test_softmax.py.

Every expected value comes from the REFERENCE's function of the same name, computed here
on the test's own arrays before the student's call; numeric gradients are centred
differences of the reference's loss. A vectorized loss is compared with the reference,
never with the student's naive loss, so a bug costs only the part of the function that
has it.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from autograder.judge import (
    as_scalar,
    assert_close,
    assert_close_scaled,
    assert_inputs_kept,
    numeric_gradient,
    unpack,
)

_spec = importlib.util.spec_from_file_location("_hidden_a1_checks_l", Path(__file__).with_name("a1_checks.py"))
a1 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(a1)

TOL_LOSS = 1e-7       # relative error of the loss (the reference's versions agree to ~1e-15)
TOL_GRAD = 1e-6       # relative error of dW against the reference's dW
TOL_NUMERIC = 1e-6    # dW against a numeric gradient, relative to its largest entry
SPEEDUP = 10          # a vectorized loss vs the reference's naive one, on the same inputs


def _centred_pixels(r, n, d):
    """Rows like the notebooks' preprocessed images: pixel values minus a mean, a bias column."""
    X = r.integers(0, 256, size=(n, d - 1)).astype(np.float64)
    return np.hstack([X - X.mean(axis=0), np.ones((n, 1))])


def case_small(seed=1):
    r = a1.rng(seed)
    N, D, C = 12, 8, 4
    return 0.1 * r.standard_normal((D, C)), r.standard_normal((N, D)), r.integers(0, C, N), 0.0


def case_notebook(seed=2):
    """The notebooks' check: W of 1e-4 * randn(3073, 10), a minibatch of centred images."""
    r = a1.rng(seed)
    N, D, C = 300, 3073, 10
    return 1e-4 * r.standard_normal((D, C)), _centred_pixels(r, N, D), r.integers(0, C, N), 5e-6


def case_digits(seed=3):
    """Digits-sized rows (64 pixels and a bias) with the strong regularization of the
    accuracy runs."""
    r = a1.rng(seed)
    N, D, C = 100, 65, 10
    return 1e-3 * r.standard_normal((D, C)), _centred_pixels(r, N, D), r.integers(0, C, N), 10.0


CASES = {"small": case_small, "notebook_sized": case_notebook, "digits_sized": case_digits}


def case_text(name, W, X, reg):
    return (f"the {name.replace('_', ' ')} case: W of shape {a1.shp(W.shape)}, X of shape "
            f"{a1.shp(X.shape)}, reg={reg:g}")


def _call(submission, module, fn, W, X, y, reg, case):
    result = getattr(getattr(submission.classifiers, module), fn)(W, X, y, reg)
    return unpack(result, 2, what=fn, case=case, names="loss, dW")


def check_loss(submission, reference, module, fn, W, X, y, reg, case):
    e_loss, _ = getattr(getattr(reference.classifiers, module), fn)(W, X, y, reg)
    loss, _ = _call(submission, module, fn, W, X, y, reg, case)
    assert_close(as_scalar(loss, what=f"{fn}'s loss", case=case), e_loss,
                 what=f"{fn}'s loss", case=case, tol=TOL_LOSS)


def check_grad(submission, reference, module, fn, W, X, y, reg, case):
    _, e_dW = getattr(getattr(reference.classifiers, module), fn)(W, X, y, reg)
    _, dW = _call(submission, module, fn, W, X, y, reg, case)
    assert_close(dW, e_dW, what=f"{fn}'s dW", case=case, tol=TOL_GRAD)


def check_case(submission, reference, module, fn, name, what):
    W, X, y, reg = CASES[name]()
    case = case_text(name, W, X, reg)
    (check_loss if what == "loss" else check_grad)(submission, reference, module, fn, W, X, y, reg,
                                                   case)


def check_numeric(submission, reference, module, fn, reference_loss, seed=11):
    """dW against centred differences of the reference's loss (no margin near a kink)."""
    r = a1.rng(seed)
    N, D, C, reg = 9, 6, 5, 0.3
    W, X, y = 0.2 * r.standard_normal((D, C)), r.standard_normal((N, D)), r.integers(0, C, N)
    case = f"W of shape ({D}, {C}), X of shape ({N}, {D}), reg={reg:g}"
    f = getattr(getattr(reference.classifiers, module), reference_loss)
    num = numeric_gradient(lambda w: f(w, X, y, reg)[0], W.copy())
    _, dW = _call(submission, module, fn, W, X, y, reg, case)
    assert_close_scaled(dW, num, what=f"{fn}'s dW", case=case, tol=TOL_NUMERIC,
                        against="a numeric gradient of the loss")


def check_keeps_inputs(submission, reference, module, fn):
    W, X, y, reg = case_small(21)
    case = case_text("small", W, X, reg)
    e_loss, e_dW = getattr(getattr(reference.classifiers, module), fn)(W, X, y, reg)
    result = getattr(getattr(submission.classifiers, module), fn)(W, X, y, reg)
    assert_inputs_kept(submission.last_modified, fn, ("W", "X", "y"), case)
    loss, dW = unpack(result, 2, what=fn, case=case, names="loss, dW")
    assert_close(loss, e_loss, what=f"{fn}'s loss", case=case, tol=TOL_LOSS)
    assert_close(dW, e_dW, what=f"{fn}'s dW", case=case, tol=TOL_GRAD)


def check_no_loops(submission, reference, student_source, relpath, module, fn, rule):
    # judged on an implementation that computes the loss (the release's stub has no loop either)
    check_case(submission, reference, module, fn, "small", "loss")
    a1.assert_no_loops(student_source, relpath, fn, rule)


def check_speed(submission, reference, module, fn, naive, rule, seed=31):
    """The student's vectorized loss against the reference's naive loss on the same inputs:
    many short rows (N=20000, D=11), where the naive loop costs ~0.5 s and a vectorized loss
    a few ms. The arrays are stored in the worker first; what the sandbox adds to a call
    (it compares the arguments before and after, to see in-place changes) grows with the
    size of X, so X is kept small (1.8 MB)."""
    r = a1.rng(seed)
    N, D, C, reg = 20000, 11, 10, 1e-2
    W, X, y = 1e-3 * r.standard_normal((D, C)), _centred_pixels(r, N, D), r.integers(0, C, N)
    case = f"W of shape ({D}, {C}), X of shape ({N}, {D}) in float64"
    ref_naive = getattr(getattr(reference.classifiers, module), naive)
    ref_seconds, _ = a1.best_time(lambda: ref_naive(W, X, y, reg), repeats=1)
    e_loss, _ = getattr(getattr(reference.classifiers, module), fn)(W, X, y, reg)
    student = getattr(getattr(submission.classifiers, module), fn)
    seconds = float("inf")
    with submission.timeout(max(10.0, 5 * ref_seconds)):
        for _ in range(3):   # the best of 3 calls, each on fresh copies stored in the worker
            refs = [submission.put(a) for a in (W, X, y)]
            took, result = a1.best_time(lambda: student(*refs, reg), repeats=1)
            seconds = min(seconds, took)
            loss, _ = unpack(result, 2, what=fn, case=case, names="loss, dW")
            assert_close(loss, e_loss, what=f"{fn}'s loss", case=case, tol=TOL_LOSS)
    a1.assert_faster(seconds, ref_seconds, SPEEDUP, fn, case, f"the naive {naive}", rule)


def check_large_scores(submission, reference, module, fn, seed=41):
    """Scores near 1000 (a large bias weight): exp() of them overflows unless the scores are
    shifted first. The scores of one example differ by a few units only, so every
    probability stays far from 0 once they are shifted."""
    r = a1.rng(seed)
    N, D, C, reg = 10, 6, 5, 0.0
    W = np.vstack([0.5 * r.standard_normal((D - 1, C)), 1000.0 + r.standard_normal((1, C))])
    X = np.hstack([r.standard_normal((N, D - 1)), np.ones((N, 1))])
    y = r.integers(0, C, N)
    scores = X.dot(W)
    case = (f"scores between {scores.min():.0f} and {scores.max():.0f} (W of shape ({D}, {C}) "
            f"whose bias row is near 1000, X of shape ({N}, {D}))")
    e_loss, e_dW = getattr(getattr(reference.classifiers, module), fn)(W, X, y, reg)
    loss, dW = _call(submission, module, fn, W, X, y, reg, case)
    assert_close(loss, e_loss, what=f"{fn}'s loss", case=case, tol=TOL_LOSS)
    assert_close(dW, e_dW, what=f"{fn}'s dW", case=case, tol=TOL_GRAD)
