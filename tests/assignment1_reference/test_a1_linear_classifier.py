"""The reference LinearClassifier, LinearSVM and Softmax
(cs231n/classifiers/linear_classifier.py): SGD on minibatches, prediction,
and accuracy on the digits."""
from __future__ import annotations

import time

import numpy as np
import pytest


def _recording_classifier(a1, grad_value=None):
    """A LinearClassifier whose loss records the minibatches it is given and
    returns a fixed gradient (or the SVM's)."""

    class Recorder(a1.classifiers.LinearClassifier):
        def __init__(self):
            super().__init__()
            self.batches = []
            self.W_seen = []

        def loss(self, X_batch, y_batch, reg):
            self.batches.append((X_batch.copy(), y_batch.copy()))
            self.W_seen.append(self.W.copy())
            grad = np.full(self.W.shape, grad_value) if grad_value is not None else np.zeros(self.W.shape)
            return float(len(self.batches)), grad

    return Recorder()


def test_abstract_loss_is_not_implemented(a1):
    clf = a1.classifiers.LinearClassifier()
    with pytest.raises(NotImplementedError):
        clf.loss(np.zeros((2, 3)), np.zeros(2, dtype=int), 0.0)


def test_lazy_initialisation_of_W(a1):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 20))
    y = rng.integers(0, 7, size=300)
    y[0] = 6
    clf = _recording_classifier(a1)
    np.random.seed(3)
    clf.train(X, y, num_iters=0)
    # num_classes = max(y) + 1, W = 0.001 * randn(dim, num_classes)
    np.random.seed(3)
    np.testing.assert_array_equal(clf.W, 0.001 * np.random.randn(20, 7))
    # a second call keeps the W it has
    W = clf.W.copy()
    clf.train(X, y, num_iters=0)
    np.testing.assert_array_equal(clf.W, W)


def test_minibatches_are_rows_of_the_data_with_their_labels(a1):
    rng = np.random.default_rng(1)
    N = 50
    X = np.arange(N, dtype=np.float64)[:, None] * np.ones((1, 4))   # row i is all i
    y = np.arange(N) % 5
    clf = _recording_classifier(a1)
    history = clf.train(X, y, num_iters=30, batch_size=40)
    assert len(history) == 30
    assert history == [float(i + 1) for i in range(30)]       # the loss of every iteration
    seen = set()
    for X_batch, y_batch in clf.batches:
        assert X_batch.shape == (40, 4) and y_batch.shape == (40,)
        idx = X_batch[:, 0].astype(int)
        np.testing.assert_array_equal(X_batch, X[idx])
        np.testing.assert_array_equal(y_batch, y[idx])
        seen.update(idx.tolist())
    assert len(seen) > 45        # random batches cover the data


def test_minibatches_are_drawn_with_replacement(a1):
    """batch_size larger than N is allowed: sampling with replacement."""
    X = np.arange(5, dtype=np.float64)[:, None]
    y = np.arange(5) % 2
    clf = _recording_classifier(a1)
    clf.train(X, y, num_iters=2, batch_size=200)
    assert clf.batches[0][0].shape == (200, 1)


def test_update_is_a_plain_sgd_step(a1):
    X = np.random.default_rng(2).normal(size=(30, 6))
    y = np.arange(30) % 3
    clf = _recording_classifier(a1, grad_value=2.0)
    clf.train(X, y, learning_rate=0.25, num_iters=4, batch_size=10)
    for before, after in zip(clf.W_seen, clf.W_seen[1:] + [clf.W]):
        np.testing.assert_allclose(after, before - 0.25 * 2.0, rtol=0, atol=1e-15)


def test_predict_is_the_argmax_of_the_scores(a1):
    rng = np.random.default_rng(3)
    clf = a1.classifiers.LinearSVM()
    clf.W = rng.normal(size=(8, 4))
    X = rng.normal(size=(25, 8))
    pred = clf.predict(X)
    assert pred.shape == (25,)
    np.testing.assert_array_equal(pred, np.argmax(X @ clf.W, axis=1))


@pytest.mark.parametrize("cls,module,fn", [("LinearSVM", "linear_svm", "svm_loss_vectorized"),
                                          ("Softmax", "softmax", "softmax_loss_vectorized")])
def test_subclass_losses(a1, cls, module, fn):
    rng = np.random.default_rng(4)
    clf = getattr(a1.classifiers, cls)()
    clf.W = rng.normal(size=(8, 4))
    X = rng.normal(size=(25, 8))
    y = rng.integers(0, 4, size=25)
    loss, grad = clf.loss(X, y, 0.1)
    e_loss, e_grad = getattr(getattr(a1.classifiers, module), fn)(clf.W, X, y, 0.1)
    assert loss == e_loss
    np.testing.assert_array_equal(grad, e_grad)


# Measured on the seed-0 digits split (1197 training images, centred, bias
# column; 1500 iterations of batch 200, np.random.seed(0)):
#   LinearSVM lr 1e-5 reg 10: val 0.973 (train 0.996), ~0.2 s
#   Softmax   lr 1e-5 reg 10: val 0.967 (train 0.982), ~0.2 s
#   the course's CIFAR-10 values (lr 1e-7, reg 2.5e4) are too strongly
#   regularised for 65 features: LinearSVM 0.927, Softmax 0.873.
@pytest.mark.parametrize("cls,threshold", [("LinearSVM", 0.95), ("Softmax", 0.94)])
def test_digits_validation_accuracy(a1, digits_centred, cls, threshold):
    d = digits_centred
    np.random.seed(0)
    clf = getattr(a1.classifiers, cls)()
    start = time.perf_counter()
    history = clf.train(d["X_train_b"], d["y_train"], learning_rate=1e-5, reg=10.0,
                        num_iters=1500, batch_size=200)
    elapsed = time.perf_counter() - start
    assert len(history) == 1500 and history[-1] < history[0]
    val_acc = np.mean(clf.predict(d["X_val_b"]) == d["y_val"])
    assert val_acc >= threshold, val_acc
    assert elapsed < 10
