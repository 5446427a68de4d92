"""The visible checks of assignment 1: one public check per graded part.

Every graded cell of the notebooks runs ``check_part("<part>")``. The check
calls *your* code in ``cs231n/`` on small fixed inputs and compares the result
with published CS231n values, with values computed by the course staff, or
with numeric gradients, and prints one line per comparison::

    svm_loss_naive loss: OK (relative error 1.3e-16, should be < 1e-07)
    svm_loss_naive dW: FAILED (relative error 0.5, should be < 1e-07)

It returns True when every comparison passed. The graded cells call
``check_part("<part>", strict=True)``, which returns None when every comparison
passed and raises ``PublicCheckFailed`` otherwise, so that a failing check is
an error of the cell (nbgrader's Validate lists it; the notebook shows it as
one line). A function that is still a stub raises ``NotImplementedError``,
which the notebook shows as one line naming the function and its file.

These checks are cheap and visible; the hidden tests that grade a submission
are stronger (more inputs and shapes, edge cases, accuracy on held-out
labels). Passing a public check is a good sign, not a guarantee.

``PARTS`` maps each graded part to ``(notebook, points)``; ``run_all_checks()``
runs every check and returns ``{part: passed}``.

From a terminal in your assignment folder, ``python -m cs231n.checks`` runs
every check in a separate process and prints one row a graded part (see
``cs231n/check_runner.py``; ``-h`` lists the options).
"""
from __future__ import annotations

import time

import numpy as np

# --------------------------------------------------------------------------
# The graded parts: {part: (notebook, points)}, in the order of the notebooks.
# --------------------------------------------------------------------------

PARTS = {
    # knn.ipynb (18 points)
    "knn_two_loops": ("knn", 3),
    "knn_predict_labels": ("knn", 4),
    "knn_one_loop": ("knn", 3),
    "knn_no_loops": ("knn", 5),
    "knn_accuracy": ("knn", 3),
    # svm.ipynb (26 points)
    "svm_loss_naive": ("svm", 8),
    "svm_loss_vectorized": ("svm", 8),
    "linear_classifier_train": ("svm", 6),
    "svm_accuracy": ("svm", 4),
    # softmax.ipynb (20 points)
    "softmax_loss_naive": ("softmax", 8),
    "softmax_loss_vectorized": ("softmax", 8),
    "softmax_accuracy": ("softmax", 4),
    # two_layer_net.ipynb (28 points)
    "two_layer_net_scores": ("two_layer_net", 5),
    "two_layer_net_loss": ("two_layer_net", 5),
    "two_layer_net_backward": ("two_layer_net", 8),
    "two_layer_net_train": ("two_layer_net", 5),
    "two_layer_net_accuracy": ("two_layer_net", 5),
    # features.ipynb (6 points)
    "features_accuracy": ("features", 8),
}

NOTEBOOKS = (
    "knn",
    "svm",
    "softmax",
    "two_layer_net",
    "features",
)

# The autograded points of the assignment (the sum of PARTS' points; the
# inline questions are graded by hand, outside this total).
TOTAL_POINTS = 100

# Tolerances of the public checks (relative error as CS231n defines it).
VALUE_TOL = 1e-7  # against values given to 12 significant digits
PUBLISHED_TOL = 1e-6  # against published CS231n values (printed to 8 decimals)
GRAD_TOL = 1e-6  # loss gradients against numeric gradients (float64; the numeric
#                  gradient of a loss near 10 is good to ~1e-10, its smallest entries ~1e-3)
NET_GRAD_TOL = 1e-7  # the two-layer net's gradients (float64, toy model)

# Accuracy thresholds of the short trainings on the digits validation set.
KNN_MIN_VAL_ACC = 0.95
SVM_MIN_VAL_ACC = 0.90
SOFTMAX_MIN_VAL_ACC = 0.90
TWO_LAYER_NET_MIN_VAL_ACC = 0.90
FEATURES_MIN_VAL_ACC = 0.90
# The two-layer net trained on the toy data (the notebook's "less than 0.02").
TOY_TRAINING_MAX_LOSS = 0.05


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def rel_error(x, y):
    """Relative error as CS231n defines it: max |x - y| / max(1e-8, |x| + |y|)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def _fmt(value):
    return "%.2g" % value if value != 0 else "0"


def _line(name, ok, detail):
    print("%s: %s (%s)" % (name, "OK" if ok else "FAILED", detail))
    return bool(ok)


def _describe(value):
    if value is None:
        return "None (the result is never assigned?)"
    if isinstance(value, np.ndarray):
        return "an array of shape %s" % (value.shape,)
    return "a %s" % type(value).__name__


def _compare(name, got, expected, tol):
    """One line: shape first, then the relative error against ``tol``."""
    expected = np.asarray(expected)
    if isinstance(got, (float, int, np.number)):
        got = np.asarray(got)
    if not isinstance(got, np.ndarray):
        return _line(name, False, "got %s, should be an array of shape %s"
                     % (_describe(got), expected.shape))
    if got.shape != expected.shape:
        return _line(name, False, "got shape %s, should be %s" % (got.shape, expected.shape))
    if not np.all(np.isfinite(got)):
        return _line(name, False, "the result holds nan or inf")
    err = rel_error(got, expected)
    return _line(name, err < tol, "relative error %s, should be < %s" % (_fmt(err), _fmt(tol)))


def _scalar(name, got, expected, tol):
    try:
        got = float(got)
    except (TypeError, ValueError):
        return _line(name, False, "got %s, should be a number" % _describe(got))
    return _compare(name, np.asarray(got), np.asarray(expected, dtype=np.float64), tol)


def _labels(name, got, expected):
    """Predicted labels: the shape, then how many differ."""
    expected = np.asarray(expected)
    if not isinstance(got, np.ndarray):
        return _line(name, False, "got %s, should be an array of shape %s"
                     % (_describe(got), expected.shape))
    if got.shape != expected.shape:
        return _line(name, False, "got shape %s, should be %s" % (got.shape, expected.shape))
    wrong = int(np.sum(got != expected))
    if wrong:
        first = int(np.flatnonzero(got != expected)[0])
        return _line(name, False, "%d of %d labels differ; the first at index %d: got %s, "
                     "should be %s" % (wrong, expected.size, first, got[first], expected[first]))
    return _line(name, True, "all %d labels as expected" % expected.size)


def _num_grad(f, x, h=1e-5):
    from .gradient_check import eval_numerical_gradient

    return eval_numerical_gradient(f, x, verbose=False, h=h)


def _loss_and_grad(name, result, shape):
    """Unpack ``(loss, grad)``; a line and None when the function returned something else."""
    if not (isinstance(result, tuple) and len(result) == 2):
        _line(name, False, "returned %s, should return a tuple (loss, dW)" % _describe(result))
        return None
    loss, grad = result
    if not isinstance(grad, np.ndarray) or grad.shape != shape:
        _line(name + " dW", False, "got %s, should be an array of shape %s"
              % (_describe(grad), shape))
        return None
    return loss, grad


def _all_pass(results):
    return all(results)


# --------------------------------------------------------------------------
# Expected values.
# PUBLISHED: the values printed in the CS231n 2018-2020 notebooks.
# COMPUTED: computed by the course staff for the fixed inputs built below.
# --------------------------------------------------------------------------

PUBLISHED = {
    # two_layer_net.ipynb: the toy model's scores and its loss with reg=0.05
    "toy_scores": np.array([
        [-0.81233741, -1.27654624, -0.70335995],
        [-0.17129677, -1.18803311, -0.47310444],
        [-0.51590475, -1.01354314, -0.8504215],
        [-0.15419291, -0.48629638, -0.52901952],
        [-0.00618733, -0.12435261, -0.15226949]]),
    "toy_loss": 1.30378789133,
}

COMPUTED = {
    # the inputs of _knn_inputs()
    "knn_dists": np.array([
        [1.64649438955, 3.37971891161, 1.99817694431, 2.30761400656, 1.32732225654, 1.44180908891],
        [3.92762714933, 2.1658652256, 3.86507738243, 2.7104760827, 2.85655366806, 2.92224584087],
        [3.13036483578, 3.07380691642, 2.09582220874, 2.74797616729, 1.79327092031, 1.06098743224],
        [3.76466436724, 2.84451929598, 4.11283996784, 2.56888982433, 3.4868710015, 3.88210973743],
    ]),
    # _predict_labels_inputs(): no ties
    "knn_labels_k1": np.array([2, 2, 2, 0, 2]),
    "knn_labels_k3": np.array([2, 0, 1, 0, 2]),
    # _linear_loss_inputs(); "large": _large_score_inputs() of them, reg 0
    "svm_loss_reg0": 9.32072248331,
    "svm_loss_reg0.1": 9.38754964521,
    "softmax_loss_reg0": 2.36366415953,
    "softmax_loss_reg0.1": 2.43049132143,
    "softmax_loss_large": 2.93097286,
    # the predict inputs of _check_linear_classifier_train()
    "linear_predict": np.array([1, 0, 1, 1, 0, 2, 2]),
    # the toy model without regularization
    "toy_loss_reg0": 1.26585705212,
}


# --------------------------------------------------------------------------
# Fixed inputs (seeded with numpy's legacy RandomState, stable across versions)
# --------------------------------------------------------------------------


def _rng(seed=231):
    return np.random.RandomState(seed)


def _knn_inputs():
    """6 training points and 4 test points of dimension 5, their labels."""
    rs = _rng(231)
    X_train = rs.randn(6, 5)
    X_test = rs.randn(4, 5)
    y_train = np.array([0, 1, 2, 1, 0, 2])
    return X_train, y_train, X_test


def _predict_labels_inputs():
    """Distances of 5 test points to 8 training points, and their labels."""
    rs = _rng(231)
    dists = rs.rand(5, 8)
    y_train = np.array([0, 1, 0, 2, 3, 1, 2, 0])
    return dists, y_train


def _tie_inputs():
    """Ties, which go to the smaller label: row 0 with k = 2 (nearest labels
    3 and 1), row 1 with k = 4 (two votes each for labels 2 and 1)."""
    dists = np.array([[0.1, 0.2, 5.0, 6.0, 7.0, 8.0],
                      [9.0, 1.0, 2.0, 3.0, 4.0, 0.5]])
    y_train = np.array([3, 1, 1, 2, 0, 2])
    return dists, y_train


def _linear_loss_inputs():
    """W (D, C), X (N, D), y (N,) for the loss functions: C = 10 classes."""
    rs = _rng(231)
    N, D, C = 20, 8, 10
    W = 0.1 * rs.randn(D, C)
    X = rs.randn(N, D)
    y = rs.randint(C, size=N)
    return W, X, y


def _large_score_inputs(W, X):
    """(W', X'): X with a column of ones, W with a bias row near 1000, so every score is
    near 1000 while the scores of one example stay a few units apart."""
    bias = 1000.0 + _rng(232).randn(1, W.shape[1])
    return np.vstack([W, bias]), np.hstack([X, np.ones((X.shape[0], 1))])


def _toy_model():
    """The two-layer net of the notebook: TwoLayerNet(4, 10, 3, std=1e-1)
    after np.random.seed(0), and its 5 inputs after np.random.seed(1)."""
    from .classifiers.neural_net import TwoLayerNet

    np.random.seed(0)
    net = TwoLayerNet(4, 10, 3, std=1e-1)
    np.random.seed(1)
    X = 10 * np.random.randn(5, 4)
    y = np.array([0, 1, 2, 2, 1])
    return net, X, y


def _digits(centre=True, bias=False):
    """The digits as the notebooks preprocess them: rows of 64 pixel values,
    the mean training image subtracted (centre), a column of ones appended
    (bias)."""
    from .data_utils import get_digits_data

    data = get_digits_data()
    out = {}
    mean = data["X_train"].reshape(data["X_train"].shape[0], -1).mean(axis=0)
    for split in ("train", "val"):
        X = data["X_" + split].reshape(data["X_" + split].shape[0], -1)
        if centre:
            X = X - mean
        if bias:
            X = np.hstack([X, np.ones((X.shape[0], 1))])
        out["X_" + split] = X
        out["y_" + split] = data["y_" + split]
    return out


def _accuracy_line(name, acc, threshold, seconds):
    return _line(name, acc >= threshold,
                 "validation accuracy %.3f after %.1f s, should be >= %.2f"
                 % (acc, seconds, threshold))


# --------------------------------------------------------------------------
# knn
# --------------------------------------------------------------------------


def _knn_distances(name, method):
    from .classifiers.k_nearest_neighbor import KNearestNeighbor

    X_train, y_train, X_test = _knn_inputs()
    X_train_before, X_test_before = X_train.copy(), X_test.copy()
    knn = KNearestNeighbor()
    knn.train(X_train, y_train)
    dists = getattr(knn, method)(X_test)
    results = [_compare(name + " dists", dists, COMPUTED["knn_dists"], VALUE_TOL)]
    if not (np.array_equal(X_train, X_train_before) and np.array_equal(X_test, X_test_before)):
        results.append(_line(name + " inputs", False,
                             "X or self.X_train was modified in place; leave them unchanged"))
    return _all_pass(results)


def _check_knn_two_loops():
    return _knn_distances("knn_two_loops", "compute_distances_two_loops")


def _check_knn_one_loop():
    return _knn_distances("knn_one_loop", "compute_distances_one_loop")


def _check_knn_no_loops():
    return _knn_distances("knn_no_loops", "compute_distances_no_loops")


def _check_knn_predict_labels():
    from .classifiers.k_nearest_neighbor import KNearestNeighbor

    results = []
    dists, y_train = _predict_labels_inputs()
    knn = KNearestNeighbor()
    knn.train(np.zeros((dists.shape[1], 1)), y_train)  # predict_labels uses only y_train
    for k in (1, 3):
        got = knn.predict_labels(dists, k=k)
        results.append(_labels("knn_predict_labels k=%d" % k, got,
                               COMPUTED["knn_labels_k%d" % k]))
    dists, y_train = _tie_inputs()
    knn.train(np.zeros((dists.shape[1], 1)), y_train)
    got = np.array([knn.predict_labels(dists[:1], k=2)[0], knn.predict_labels(dists[1:], k=4)[0]])
    results.append(_labels("knn_predict_labels ties (the smaller label wins)", got, [1, 1]))
    return _all_pass(results)


def _check_knn_accuracy():
    from .classifiers.k_nearest_neighbor import KNearestNeighbor

    data = _digits(centre=False)
    start = time.time()
    knn = KNearestNeighbor()
    knn.train(data["X_train"], data["y_train"])
    y_pred = knn.predict(data["X_val"], k=1)
    seconds = time.time() - start
    if not (isinstance(y_pred, np.ndarray) and y_pred.shape == data["y_val"].shape):
        return _line("knn_accuracy", False, "predict returned %s, should be an array of shape %s"
                     % (_describe(y_pred), data["y_val"].shape))
    acc = float(np.mean(y_pred == data["y_val"]))
    return _accuracy_line("knn_accuracy (KNearestNeighbor, k=1, no-loop distances)", acc,
                          KNN_MIN_VAL_ACC, seconds)


# --------------------------------------------------------------------------
# svm and softmax losses
# --------------------------------------------------------------------------


def _check_linear_loss(name, fn, key, large_scores=False):
    """Loss value against the staff value, gradient against numeric gradients,
    inputs unchanged; optionally the loss of very large scores."""
    W, X, y = _linear_loss_inputs()
    results = []
    for reg in (0.0, 0.1):
        W_before, X_before = W.copy(), X.copy()
        out = _loss_and_grad("%s (reg=%g)" % (name, reg), fn(W, X, y, reg), W.shape)
        if out is None:
            return False
        loss, dW = out
        results.append(_scalar("%s loss (reg=%g)" % (name, reg), loss,
                               COMPUTED["%s_loss_reg%g" % (key, reg)], VALUE_TOL))
        if not (np.array_equal(W, W_before) and np.array_equal(X, X_before)):
            results.append(_line(name + " inputs", False,
                                 "W or X was modified in place; leave them unchanged"))
            W, X = W_before, X_before
        dW_num = _num_grad(lambda w: fn(w, X, y, reg)[0], W.copy())
        results.append(_compare("%s dW (reg=%g)" % (name, reg), dW, dW_num, GRAD_TOL))
    if large_scores:
        # scores near 1000 (a bias column of X, a bias row of W near 1000): exp() of them
        # overflows unless the scores are shifted; they differ by a few units within an example
        loss, _ = fn(*_large_score_inputs(W, X), y, 0.0)
        results.append(_scalar(name + " loss of large scores (numerically stable?)", loss,
                               COMPUTED["%s_loss_large" % key], VALUE_TOL))
    return _all_pass(results)


def _check_svm_loss_naive():
    from .classifiers.linear_svm import svm_loss_naive

    return _check_linear_loss("svm_loss_naive", svm_loss_naive, "svm")


def _check_svm_loss_vectorized():
    from .classifiers.linear_svm import svm_loss_vectorized

    return _check_linear_loss("svm_loss_vectorized", svm_loss_vectorized, "svm")


def _check_softmax_loss_naive():
    from .classifiers.softmax import softmax_loss_naive

    return _check_linear_loss("softmax_loss_naive", softmax_loss_naive, "softmax",
                              large_scores=True)


def _check_softmax_loss_vectorized():
    from .classifiers.softmax import softmax_loss_vectorized

    return _check_linear_loss("softmax_loss_vectorized", softmax_loss_vectorized, "softmax",
                              large_scores=True)


# --------------------------------------------------------------------------
# LinearClassifier.train / predict, LinearSVM and Softmax on the digits
# --------------------------------------------------------------------------


def _check_linear_classifier_train():
    from .classifiers.linear_classifier import LinearClassifier

    # A classifier whose loss records the minibatches it sees and always
    # returns the same gradient G: after num_iters steps of SGD from W0,
    # W must be W0 - learning_rate * num_iters * G. Its loss is not the SVM's
    # nor the softmax's, so this checks train() alone.
    rs = _rng(231)
    N, D, C = 50, 4, 3
    X = rs.randn(N, D)
    X[:, 0] = np.arange(N)  # the first column names the row
    y = rs.randint(C, size=N)
    G = rs.randn(D, C)
    W0 = rs.randn(D, C)
    batches = []

    class _Recorder(LinearClassifier):
        def loss(self, X_batch, y_batch, reg):
            batches.append((np.array(X_batch, copy=True), np.array(y_batch, copy=True), reg))
            return float(len(batches)), G.copy()

    clf = _Recorder()
    clf.W = W0.copy()
    num_iters, batch_size, lr = 10, 20, 0.05
    np.random.seed(0)
    history = clf.train(X, y, learning_rate=lr, reg=0.25, num_iters=num_iters,
                        batch_size=batch_size)
    results = []
    history_ok = isinstance(history, list) and history == [float(i) for i in
                                                            range(1, num_iters + 1)]
    results.append(_line("linear_classifier_train loss history", history_ok,
                         "the list of the %d losses self.loss returned, in order" % num_iters
                         if history_ok else "train returned %s, should return the list of the %d "
                         "losses self.loss returned, in order" % (_describe(history), num_iters)))
    shapes_ok = bool(batches) and all(
        np.shape(xb) == (batch_size, D) and np.shape(yb) == (batch_size,) for xb, yb, _ in batches)
    results.append(_line("linear_classifier_train minibatch shapes", shapes_ok,
                         "X_batch (%d, %d) and y_batch (%d,) every iteration"
                         % (batch_size, D, batch_size) if shapes_ok else
                         "got %s, should be X_batch (%d, %d) and y_batch (%d,)"
                         % ([(np.shape(xb), np.shape(yb)) for xb, yb, _ in batches[:1]],
                            batch_size, D, batch_size)))
    if shapes_ok:
        rows_ok = True
        seen = set()
        for xb, yb, _ in batches:
            idx = np.rint(xb[:, 0]).astype(int)
            if np.any(idx < 0) or np.any(idx >= N) or not (
                    np.array_equal(xb, X[idx]) and np.array_equal(yb, y[idx])):
                rows_ok = False
                break
            seen.update(idx.tolist())
        results.append(_line("linear_classifier_train minibatch rows", rows_ok,
                             "rows of X with their labels y" if rows_ok else
                             "X_batch must hold rows of X and y_batch their labels"))
        random_ok = len(seen) > batch_size
        results.append(_line("linear_classifier_train random minibatches", random_ok,
                             "%d different rows over %d iterations" % (len(seen), num_iters)
                             if random_ok else "the same %d rows every iteration; sample them "
                             "at random (np.random.choice)" % len(seen)))
    results.append(_compare("linear_classifier_train W after %d SGD steps" % num_iters, clf.W,
                            W0 - lr * num_iters * G, VALUE_TOL))

    # predict: the class of the largest score X.dot(W)
    X_pred = rs.randn(7, D)
    clf.W = rs.randn(D, C)
    results.append(_labels("linear_classifier_train predict", clf.predict(X_pred),
                           COMPUTED["linear_predict"]))
    return _all_pass(results)


def _check_linear_accuracy(name, cls, threshold):
    data = _digits(centre=True, bias=True)
    np.random.seed(0)
    clf = cls()
    start = time.time()
    clf.train(data["X_train"], data["y_train"], learning_rate=1e-5, reg=10.0, num_iters=300,
              batch_size=200)
    seconds = time.time() - start
    y_pred = clf.predict(data["X_val"])
    if not (isinstance(y_pred, np.ndarray) and y_pred.shape == data["y_val"].shape):
        return _line(name, False, "predict returned %s, should be an array of shape %s"
                     % (_describe(y_pred), data["y_val"].shape))
    acc = float(np.mean(y_pred == data["y_val"]))
    return _accuracy_line("%s (%s, learning rate 1e-5, reg 10, 300 iterations)"
                          % (name, cls.__name__), acc, threshold, seconds)


def _check_svm_accuracy():
    from .classifiers.linear_classifier import LinearSVM

    return _check_linear_accuracy("svm_accuracy", LinearSVM, SVM_MIN_VAL_ACC)


def _check_softmax_accuracy():
    from .classifiers.linear_classifier import Softmax

    return _check_linear_accuracy("softmax_accuracy", Softmax, SOFTMAX_MIN_VAL_ACC)


# --------------------------------------------------------------------------
# two_layer_net
# --------------------------------------------------------------------------


def _check_two_layer_net_scores():
    net, X, _ = _toy_model()
    scores = net.loss(X)
    return _compare("two_layer_net_scores (toy model)", scores, PUBLISHED["toy_scores"],
                    PUBLISHED_TOL)


def _check_two_layer_net_loss():
    net, X, y = _toy_model()
    results = []
    for reg in (0.05, 0.0):
        out = net.loss(X, y, reg=reg)
        if not (isinstance(out, tuple) and len(out) == 2):
            return _line("two_layer_net_loss", False, "loss(X, y) returned %s, should return "
                         "a tuple (loss, grads)" % _describe(out))
        expected = PUBLISHED["toy_loss"] if reg else COMPUTED["toy_loss_reg0"]
        results.append(_scalar("two_layer_net_loss (toy model, reg=%g)" % reg, out[0], expected,
                               VALUE_TOL))
    return _all_pass(results)


def _check_two_layer_net_backward():
    net, X, y = _toy_model()
    results = []
    for reg in (0.05, 0.0):
        _, grads = net.loss(X, y, reg=reg)
        missing = sorted(set(net.params) - set(grads or {}))
        if missing:
            return _line("two_layer_net_backward", False, "no gradient for %s"
                         % ", ".join(missing))
        for name in sorted(net.params):
            grad_num = _num_grad(lambda _: net.loss(X, y, reg=reg)[0], net.params[name])
            results.append(_compare("two_layer_net_backward %s (reg=%g)" % (name, reg),
                                    grads[name], grad_num, NET_GRAD_TOL))
    return _all_pass(results)


def _check_two_layer_net_train():
    net, X, y = _toy_model()
    stats = net.train(X, y, X, y, learning_rate=1e-1, reg=5e-6, num_iters=100, verbose=False)
    keys = ("loss_history", "train_acc_history", "val_acc_history")
    if not (isinstance(stats, dict) and all(k in stats for k in keys)):
        return _line("two_layer_net_train", False, "train returned %s, should return a dict "
                     "with %s" % (_describe(stats), ", ".join(keys)))
    history = stats["loss_history"]
    results = [_line("two_layer_net_train loss history", len(history) == 100,
                     "%d losses for 100 iterations" % len(history))]
    final = float(history[-1]) if len(history) else float("nan")
    results.append(_line("two_layer_net_train toy training loss", final < TOY_TRAINING_MAX_LOSS,
                         "final loss %.4f after 100 iterations, should be < %g"
                         % (final, TOY_TRAINING_MAX_LOSS)))
    results.append(_labels("two_layer_net_train predict (trained toy model)", net.predict(X), y))
    return _all_pass(results)


def _train_two_layer_net(X_train, y_train, X_val, y_val, hidden, learning_rate, reg, decay,
                         num_iters):
    from .classifiers.neural_net import TwoLayerNet

    np.random.seed(0)
    net = TwoLayerNet(X_train.shape[1], hidden, 10)
    start = time.time()
    net.train(X_train, y_train, X_val, y_val, learning_rate=learning_rate,
              learning_rate_decay=decay, reg=reg, num_iters=num_iters, batch_size=200)
    seconds = time.time() - start
    acc = float(np.mean(net.predict(X_val) == y_val))
    return acc, seconds


def _check_two_layer_net_accuracy():
    data = _digits(centre=True)
    acc, seconds = _train_two_layer_net(data["X_train"], data["y_train"], data["X_val"],
                                        data["y_val"], hidden=50, learning_rate=1e-2, reg=0.05,
                                        decay=0.95, num_iters=200)
    return _accuracy_line("two_layer_net_accuracy (TwoLayerNet(64, 50, 10), 200 iterations)",
                          acc, TWO_LAYER_NET_MIN_VAL_ACC, seconds)


def _check_features_accuracy():
    from .data_utils import get_digits_data
    from .features import color_histogram_hsv, extract_features, hog_feature

    data = get_digits_data()
    feature_fns = [lambda img: hog_feature(img, pixels_per_cell=2),
                   lambda img: color_histogram_hsv(img, nbin=10)]
    F_train = extract_features(data["X_train"], feature_fns)
    F_val = extract_features(data["X_val"], feature_fns)
    mean = F_train.mean(axis=0, keepdims=True)
    std = F_train.std(axis=0, keepdims=True) + 1e-8
    F_train, F_val = (F_train - mean) / std, (F_val - mean) / std
    acc, seconds = _train_two_layer_net(F_train, data["y_train"], F_val, data["y_val"],
                                        hidden=100, learning_rate=1.0, reg=1e-3, decay=0.95,
                                        num_iters=300)
    return _accuracy_line("features_accuracy (TwoLayerNet(%d, 100, 10) on HOG + histogram "
                          "features, 300 iterations)" % F_train.shape[1], acc,
                          FEATURES_MIN_VAL_ACC, seconds)


_CHECKS = {
    "knn_two_loops": _check_knn_two_loops,
    "knn_predict_labels": _check_knn_predict_labels,
    "knn_one_loop": _check_knn_one_loop,
    "knn_no_loops": _check_knn_no_loops,
    "knn_accuracy": _check_knn_accuracy,
    "svm_loss_naive": _check_svm_loss_naive,
    "svm_loss_vectorized": _check_svm_loss_vectorized,
    "linear_classifier_train": _check_linear_classifier_train,
    "svm_accuracy": _check_svm_accuracy,
    "softmax_loss_naive": _check_softmax_loss_naive,
    "softmax_loss_vectorized": _check_softmax_loss_vectorized,
    "softmax_accuracy": _check_softmax_accuracy,
    "two_layer_net_scores": _check_two_layer_net_scores,
    "two_layer_net_loss": _check_two_layer_net_loss,
    "two_layer_net_backward": _check_two_layer_net_backward,
    "two_layer_net_train": _check_two_layer_net_train,
    "two_layer_net_accuracy": _check_two_layer_net_accuracy,
    "features_accuracy": _check_features_accuracy,
}


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


class PublicCheckFailed(AssertionError):
    """Raised by ``check_part(part, strict=True)`` when a comparison FAILED.

    The notebooks (``setup_notebook()``) show it as one line, without a
    traceback; the FAILED line(s) printed just above say what is wrong.
    """


def check_part(part, strict=False):
    """Run the public check of one graded part and print one line per comparison.

    Inputs:
    - part: The grade id of the part, e.g. "svm_loss_naive" (see PARTS).
    - strict: If False (default), return True if every comparison passed and
      False otherwise. If True (the notebooks' graded cells), return None when
      every comparison passed and raise PublicCheckFailed otherwise, so that
      the cell shows an error and nbgrader's Validate reports it.

    A stub that is not implemented yet raises NotImplementedError (shown as
    one line in the notebooks).
    """
    if part not in _CHECKS:
        raise KeyError("unknown part %r; the parts are: %s" % (part, ", ".join(PARTS)))
    # The checks seed numpy; leave the notebook's generator as it was.
    state = np.random.get_state()
    try:
        passed = bool(_CHECKS[part]())
    finally:
        np.random.set_state(state)
    if not strict:
        return passed
    if not passed:
        raise PublicCheckFailed(
            "%s: the public check failed (see the FAILED line above). Fix your code "
            "and re-run this cell." % part
        )
    return None


def run_all_checks(parts=None):
    """Run the public checks of several parts (default: all of them, in order).

    A part whose function raises (for instance NotImplementedError because it
    is still a stub) counts as failed; its error is printed as one line and
    the remaining parts still run.

    Returns a dict {part: passed}.
    """
    results = {}
    for part in parts or PARTS:
        try:
            results[part] = check_part(part)
        except NotImplementedError as exc:
            from .notebook import not_implemented_message

            print("%s: FAILED (%s)" % (part, not_implemented_message(exc)))
            results[part] = False
        except Exception as exc:  # a bug in the student's code: report it and go on
            print("%s: FAILED (raised %s: %s)" % (part, type(exc).__name__, exc))
            results[part] = False
    return results


assert set(_CHECKS) == set(PARTS)
assert tuple(dict.fromkeys(nb for nb, _ in PARTS.values())) == NOTEBOOKS
assert sum(points for _, points in PARTS.values()) == TOTAL_POINTS


if __name__ == "__main__":  # python -m cs231n.checks: every check, your code in a child process
    from .check_runner import main

    raise SystemExit(main())
