"""Hidden tests for cs231n/classifiers/linear_classifier.py (LinearClassifier.train and
LinearClassifier.predict).

train is graded apart from the student's losses: it runs on a subclass whose loss
is the grader's own (a least-squares loss, no part of the assignment), defined in
the worker. That loss records, at every call, the minibatch it is given, the weights
it sees and the gradient it returns, so the judgements hold whatever minibatches a
correct implementation draws: each minibatch has batch_size rows of the training
data with their labels, each step is W - learning_rate * grad, the returned history
holds the losses of the steps in order, and the loss goes down.
predict is compared with argmax of X.dot(W) for weights set by the grader.
"""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from autograder.judge import as_array, as_scalar, assert_close, assert_true

_spec = importlib.util.spec_from_file_location("_hidden_a1_checks_lc", Path(__file__).with_name("a1_checks.py"))
a1 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(a1)

TOL_STEP = 1e-8      # an SGD step against W - learning_rate * grad (relative error)

# The grader's loss: 0.5 * mean ||X W - onehot(y)||^2 + reg * ||W||^2, recorded call by call.
PROBE = '''
import numpy as np
from cs231n.classifiers.linear_classifier import LinearClassifier


class GraderLeastSquares(LinearClassifier):
    def loss(self, X_batch, y_batch, reg):
        X_batch = np.asarray(X_batch, dtype=np.float64)
        y_batch = np.asarray(y_batch)
        W = np.array(self.W, dtype=np.float64, copy=True)
        T = np.zeros((X_batch.shape[0], W.shape[1]))
        T[np.arange(X_batch.shape[0]), y_batch] = 1.0
        diff = X_batch.dot(W) - T
        loss = 0.5 * np.sum(diff * diff) / X_batch.shape[0] + reg * np.sum(W * W)
        grad = X_batch.T.dot(diff) / X_batch.shape[0] + 2 * reg * W
        grader_calls.append({"W": W, "X": X_batch.copy(), "y": y_batch.copy(),
                             "loss": float(loss), "grad": grad.copy()})
        return float(loss), grad


grader_calls = []
'''


def probe(submission):
    """A fresh instance of the grader's subclass in the worker, and its namespace."""
    ns = submission.exec(PROBE, filename="<grader's least-squares classifier>")
    return ns["GraderLeastSquares"](), ns


def training_data(seed, N=60, D=5, C=3):
    """Rows that are all different (so each minibatch row names its training row)."""
    r = a1.rng(seed)
    centres = 3.0 * r.standard_normal((C, D - 1))
    y = np.arange(N) % C
    X = np.hstack([centres[y] + r.standard_normal((N, D - 1)), np.ones((N, 1))])
    return X, y


def run_train(submission, seed, *, lr=0.05, reg=1e-3, num_iters=12, batch_size=16, N=60, D=5, C=3):
    X, y = training_data(seed, N, D, C)
    W0 = 0.01 * a1.rng(seed + 1).standard_normal((D, C))
    clf, ns = probe(submission)
    clf.W = W0
    a1.seed_worker(submission, seed)
    with submission.timeout(10):
        history = clf.train(X, y, learning_rate=lr, reg=reg, num_iters=num_iters,
                            batch_size=batch_size)
    calls = ns["grader_calls"]
    case = (f"LinearClassifier.train(X of shape ({N}, {D}), learning_rate={lr:g}, reg={reg:g}, "
            f"num_iters={num_iters}, batch_size={batch_size}) with a loss of the grader's")
    assert_true(isinstance(calls, list), f"the grader's loss could not be read back after {case}.")
    assert_true(len(calls) == num_iters,
                f"{case} called self.loss {len(calls)} times; expected once per iteration "
                f"({num_iters} times).")
    return X, y, W0, history, calls, clf, case


@pytest.mark.grade("linear_classifier_train", points=1)
def test_linear_classifier_train_history(submission):
    X, y, W0, history, calls, clf, case = run_train(submission, 1)
    assert_true(isinstance(history, (list, tuple)) or (isinstance(history, np.ndarray)
                                                       and history.ndim == 1),
                f"{case} returned {type(history).__name__}; expected a list of the losses.")
    assert_true(len(history) == len(calls),
                f"{case} returned {len(history)} losses; expected one per iteration "
                f"({len(calls)}).")
    got = np.array([as_scalar(h, what="an entry of the loss history", case=case) for h in history])
    expected = np.array([c["loss"] for c in calls])
    assert_close(got, expected, what="LinearClassifier.train's loss history", case=case, tol=1e-10,
                 against="the losses self.loss returned, in order")


@pytest.mark.grade("linear_classifier_train", points=1)
def test_linear_classifier_train_minibatches(submission):
    X, y, W0, history, calls, clf, case = run_train(submission, 2)
    batch_size, D = 16, X.shape[1]
    used = set()
    for t, c in enumerate(calls):
        Xb = as_array(c["X"], what="X_batch", case=f"{case}, iteration {t}", shape=(batch_size, D))
        yb = as_array(c["y"], what="y_batch", case=f"{case}, iteration {t}", shape=(batch_size,))
        d = np.sqrt(((Xb[:, None, :] - X[None, :, :]) ** 2).sum(axis=2))
        rows = d.argmin(axis=1)
        assert_true(np.all(d[np.arange(batch_size), rows] < 1e-9),
                    f"X_batch at iteration {t} of {case} holds rows that are not rows of X.")
        assert_true(np.array_equal(yb.astype(np.int64), y[rows]),
                    f"y_batch at iteration {t} of {case} does not hold the labels of the rows "
                    f"of X_batch.")
        used.update(rows.tolist())
    assert_true(len(used) > batch_size,
                f"{case} used only {len(used)} different training rows in {len(calls)} "
                f"minibatches; expected minibatches sampled from all {X.shape[0]} rows.")


@pytest.mark.grade("linear_classifier_train", points=2)
def test_linear_classifier_train_sgd_steps(submission):
    lr = 0.05
    X, y, W0, history, calls, clf, case = run_train(submission, 3, lr=lr)
    Ws = [np.asarray(c["W"], dtype=np.float64) for c in calls] + [clf.W]
    assert_close(Ws[0], W0, what="self.W at the first iteration", case=case, tol=TOL_STEP,
                 against="the W set before training (train must not replace a W it is given)")
    for t, c in enumerate(calls):
        expected = Ws[t] - lr * np.asarray(c["grad"], dtype=np.float64)
        what = "self.W after training" if t == len(calls) - 1 else f"self.W after iteration {t}"
        assert_close(Ws[t + 1], expected, what=what, case=case, tol=TOL_STEP,
                     against="W - learning_rate * grad (one step of vanilla SGD)")


@pytest.mark.grade("linear_classifier_train", points=1)
def test_linear_classifier_train_loss_decreases(submission):
    X, y, W0, history, calls, clf, case = run_train(submission, 4, lr=0.05, num_iters=60,
                                                     batch_size=20)
    losses = np.array([c["loss"] for c in calls])
    first, last = losses[:5].mean(), losses[-5:].mean()
    assert_true(last < 0.5 * first,
                f"the loss went from {first:.3g} (first 5 iterations) to {last:.3g} (last 5) "
                f"in {case}; expected it to fall to less than half.")


PREDICT_CASES = {"10_classes": (50, 20, 10, 5), "3_classes": (51, 7, 3, 4)}


@pytest.mark.grade("linear_classifier_train", points=1)
@pytest.mark.parametrize("name", list(PREDICT_CASES))
def test_linear_classifier_predict(submission, name):
    seed, N, C, D = PREDICT_CASES[name]
    r = a1.rng(seed)
    W, X = r.standard_normal((D, C)), r.standard_normal((N, D))
    expected = np.argmax(X.dot(W), axis=1)
    case = f"W of shape ({D}, {C}) and X of shape ({N}, {D})"
    clf = submission.classifiers.linear_classifier.LinearClassifier()
    clf.W = W
    got = a1.as_labels(clf.predict(X), what="LinearClassifier.predict", case=case, n=N)
    wrong = int(np.sum(got != expected))
    assert_true(wrong == 0, f"LinearClassifier.predict predicted {wrong} of {N} labels wrongly "
                            f"for {case}; expected the class with the highest score X.dot(W).")
