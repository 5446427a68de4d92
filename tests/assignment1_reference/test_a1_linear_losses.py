"""The reference SVM and softmax losses (cs231n/classifiers/linear_svm.py,
softmax.py) against PyTorch autograd (float64), centred numeric gradients,
each other (naive vs vectorized) and the values the course publishes."""
from __future__ import annotations

import ast
import inspect
import textwrap

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from a1ref_helpers import numeric_gradient, rel_error

LOSSES = {
    "svm": ("linear_svm", "svm_loss_naive", "svm_loss_vectorized"),
    "softmax": ("softmax", "softmax_loss_naive", "softmax_loss_vectorized"),
}


def _fns(a1, kind):
    module, naive, vectorized = LOSSES[kind]
    mod = getattr(a1.classifiers, module)
    return getattr(mod, naive), getattr(mod, vectorized)


def _problem(seed, N=12, D=7, C=5, scale=1.0):
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(D, C)) * 0.5
    X = rng.normal(size=(N, D)) * scale
    y = rng.integers(0, C, size=N)
    y[:C] = np.arange(C)          # every class appears
    return W, X, y


def torch_svm(W, X, y, reg):
    """Multiclass hinge loss (delta 1) averaged over N, plus reg * sum(W^2),
    written directly in torch; returns (loss, dW)."""
    Wt = torch.tensor(W, dtype=torch.float64, requires_grad=True)
    s = torch.tensor(X, dtype=torch.float64) @ Wt
    yt = torch.tensor(y, dtype=torch.int64)
    N = s.shape[0]
    correct = s[torch.arange(N), yt].unsqueeze(1)
    margins = torch.clamp(s - correct + 1.0, min=0.0)
    margins = margins.masked_fill(F.one_hot(yt, s.shape[1]).bool(), 0.0)
    loss = margins.sum() / N + reg * (Wt * Wt).sum()
    loss.backward()
    return loss.item(), Wt.grad.numpy()


def torch_softmax(W, X, y, reg):
    Wt = torch.tensor(W, dtype=torch.float64, requires_grad=True)
    s = torch.tensor(X, dtype=torch.float64) @ Wt
    loss = F.cross_entropy(s, torch.tensor(y, dtype=torch.int64)) + reg * (Wt * Wt).sum()
    loss.backward()
    return loss.item(), Wt.grad.numpy()


ORACLES = {"svm": torch_svm, "softmax": torch_softmax}


def test_torch_multi_margin_loss_is_the_svm_loss_divided_by_C():
    """torch.nn.functional.multi_margin_loss(margin=1) averages the hinge
    terms over the C classes as well as over N: the course's loss (summed
    over the classes, averaged over N) is C times it."""
    W, X, y = _problem(0)
    s = torch.tensor(X @ W)
    C = W.shape[1]
    mm = F.multi_margin_loss(s, torch.tensor(y), p=1, margin=1.0).item()
    direct, _ = torch_svm(W, X, y, 0.0)
    assert abs(C * mm - direct) < 1e-12


@pytest.mark.parametrize("kind", ["svm", "softmax"])
@pytest.mark.parametrize("version", [0, 1], ids=["naive", "vectorized"])
@pytest.mark.parametrize("seed,reg", [(0, 0.0), (1, 0.1), (2, 5.0)])
def test_loss_and_gradient_against_torch(a1, kind, version, seed, reg):
    fn = _fns(a1, kind)[version]
    W, X, y = _problem(seed)
    loss, dW = fn(W, X, y, reg)
    t_loss, t_dW = ORACLES[kind](W, X, y, reg)
    assert np.isscalar(loss) or np.ndim(loss) == 0
    assert dW.shape == W.shape
    assert rel_error(loss, t_loss) < 1e-12
    assert rel_error(dW, t_dW) < 1e-10


@pytest.mark.parametrize("kind", ["svm", "softmax"])
@pytest.mark.parametrize("version", [0, 1], ids=["naive", "vectorized"])
def test_gradient_against_centred_differences(a1, kind, version):
    fn = _fns(a1, kind)[version]
    W, X, y = _problem(3)
    reg = 0.3
    _, dW = fn(W, X, y, reg)
    num = numeric_gradient(lambda w: fn(w, X, y, reg)[0], W, h=1e-5)
    # the course calls a relative error below 1e-7 correct; the hinge's kinks
    # and cancellation on small entries leave a little more here
    assert rel_error(dW, num) < 1e-6


@pytest.mark.parametrize("kind", ["svm", "softmax"])
def test_naive_equals_vectorized(a1, kind):
    naive, vectorized = _fns(a1, kind)
    rng = np.random.default_rng(4)
    W = 0.0001 * rng.normal(size=(65, 10))
    X = rng.uniform(-128, 128, size=(200, 65))
    y = rng.integers(0, 10, size=200)
    for reg in (0.0, 5e-6, 2.5e4):
        l0, g0 = naive(W, X, y, reg)
        l1, g1 = vectorized(W, X, y, reg)
        assert abs(l0 - l1) < 1e-10 * max(1.0, abs(l0))
        assert np.linalg.norm(g0 - g1, ord="fro") < 1e-10 * max(1.0, np.linalg.norm(g0))


@pytest.mark.parametrize("kind", ["svm", "softmax"])
def test_inputs_are_not_modified(a1, kind):
    W, X, y = _problem(5)
    copies = (W.copy(), X.copy(), y.copy())
    for fn in _fns(a1, kind):
        fn(W, X, y, 0.1)
        for before, after in zip(copies, (W, X, y)):
            np.testing.assert_array_equal(before, after)


def test_softmax_is_stable_for_large_scores(a1):
    W, X, y = _problem(6, scale=1e4)           # scores of order 1e4: exp overflows
    t_loss, t_dW = torch_softmax(W, X, y, 0.1)
    for fn in _fns(a1, "softmax"):
        with np.errstate(over="raise", invalid="raise"):
            loss, dW = fn(W, X, y, 0.1)
        assert np.isfinite(loss) and np.all(np.isfinite(dW))
        assert rel_error(loss, t_loss) < 1e-10
        assert rel_error(dW, t_dW) < 1e-8


def test_vectorized_versions_have_no_python_loop(a1):
    kinds = (ast.For, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
    for kind in LOSSES:
        fn = _fns(a1, kind)[1]
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
        assert not [n for n in ast.walk(tree) if isinstance(n, kinds)], fn.__name__
        assert "no python loop" in fn.__doc__.lower()


def _dev_set(digits, n=500):
    """The notebooks' dev set: mean-subtracted rows with a bias column."""
    X = digits["X_train"][:n] - digits["X_train"].mean(axis=0)
    return np.hstack([X, np.ones((X.shape[0], 1))]), digits["y_train"][:n]


def test_published_sanity_svm_loss_is_about_C_minus_1(a1, digits):
    """Course: with W = 0.0001 * randn every score is about 0, so every margin
    is about 1 and the loss is close to C - 1 = 9."""
    X, y = _dev_set(digits)
    np.random.seed(0)
    W = np.random.randn(X.shape[1], 10) * 0.0001
    for fn in _fns(a1, "svm"):
        loss, _ = fn(W, X, y, 0.0)
        assert abs(loss - 9.0) < 0.2, loss


def test_published_sanity_softmax_loss_is_about_log_10(a1, digits):
    """Course: with W = 0.0001 * randn every class has probability about 0.1,
    so the loss is close to -log(0.1)."""
    X, y = _dev_set(digits)
    np.random.seed(0)
    W = np.random.randn(X.shape[1], 10) * 0.0001
    for fn in _fns(a1, "softmax"):
        loss, _ = fn(W, X, y, 0.0)
        assert abs(loss - (-np.log(0.1))) < 0.05, loss
