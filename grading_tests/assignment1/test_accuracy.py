"""Hidden accuracy tests: the student's classifiers, trained in the sandbox on the
digits' TRAINING images and labels with hyperparameters the grader fixes, scored
here on the held-out validation and test images, whose labels never enter the
worker.

kNN predicts in the worker (its prediction is the part being graded); the labels
come back and are judged here. The linear classifiers and the two-layer networks
come back as their weights (data), checked for shape, and are scored with the
trusted side's own argmax of the scores (the reference forward pass for the
networks). The features part computes HOG and grey-level histogram features here
with the reference's given features.py, as the features notebook does, and trains
the student's TwoLayerNet on them. Thresholds leave a wide margin below what the
reference reaches with the same settings (kNN 99%, SVM 96%, softmax 96%,
two-layer net 97%, net on features 95-96% on these 600 held-out digits).
"""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from autograder.judge import as_array, assert_finite, assert_true

_spec = importlib.util.spec_from_file_location("_hidden_a1_checks_acc", Path(__file__).with_name("a1_checks.py"))
a1 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(a1)

TRAIN_TIMEOUT = 20     # seconds for one training run or prediction (the reference: 0.1-0.4 s)
N_VAL = 100            # train()'s validation set: the first training images (their labels)


def centred(rows):
    """The notebooks' preprocessing: subtract the mean training image."""
    mean = rows["X_train"].mean(axis=0)
    return rows["X_train"] - mean, rows["X_held_out"] - mean


def with_bias(X):
    return np.hstack([X, np.ones((X.shape[0], 1))])


def score_weights(W, X, y):
    return float(np.mean(np.argmax(X.dot(W), axis=1) == y))


def trained_params(net, shapes, case):
    params = net.params
    assert_true(isinstance(params, dict), f"the network's params after {case} are not a dict.")
    out = {}
    for k, s in shapes.items():
        assert_true(k in params, f"the network has no params['{k}'] after {case}.")
        p = as_array(params[k], what=f"params['{k}'] after training", case=case, shape=s)
        assert_finite(p, what=f"params['{k}'] after training", case=case)
        out[k] = np.asarray(p, dtype=np.float64)
    return out


def net_accuracy(reference, params, X, y):
    D, H = params["W1"].shape
    net = reference.classifiers.neural_net.TwoLayerNet(D, H, params["W2"].shape[1])
    net.params = params
    return float(np.mean(net.predict(X) == y))


@pytest.mark.grade("knn_accuracy", points=1)
def test_knn_accuracy(submission, digits_rows):
    threshold = 0.95
    case = ("KNearestNeighbor trained on the 1197 training digits (64 pixel values a row), "
            "predict(X, k=1) on 600 held-out digits")
    knn = submission.classifiers.k_nearest_neighbor.KNearestNeighbor()
    knn.train(digits_rows["X_train"], digits_rows["y_train"])
    X, y = digits_rows["X_held_out"], digits_rows["y_held_out"]
    with submission.timeout(TRAIN_TIMEOUT):
        pred = knn.predict(X, k=1)
    pred = a1.as_labels(pred, what="KNearestNeighbor.predict", case=case, n=X.shape[0])
    acc = float(np.mean(pred == y))
    assert_true(acc >= threshold, a1.accuracy_message(case, acc, threshold))


def linear_accuracy(submission, digits_rows, cls, threshold):
    Xtr, Xho = centred(digits_rows)
    Xtr, Xho = with_bias(Xtr), with_bias(Xho)
    case = (f"{cls} trained with train(learning_rate=1e-5, reg=10, num_iters=1500, "
            f"batch_size=200) on the 1197 training digits (centred pixels and a bias column), "
            f"np.random.seed(0)")
    a1.seed_worker(submission, 0)
    clf = getattr(submission.classifiers.linear_classifier, cls)()
    with submission.timeout(TRAIN_TIMEOUT):
        clf.train(Xtr, digits_rows["y_train"], learning_rate=1e-5, reg=10.0, num_iters=1500,
                  batch_size=200)
    W = as_array(clf.W, what=f"{cls}'s W after training", case=case, shape=(65, 10))
    assert_finite(W, what=f"{cls}'s W after training", case=case)
    acc = score_weights(np.asarray(W, dtype=np.float64), Xho, digits_rows["y_held_out"])
    assert_true(acc >= threshold, a1.accuracy_message(case, acc, threshold))


@pytest.mark.grade("svm_accuracy", points=1)
def test_svm_accuracy(submission, digits_rows):
    linear_accuracy(submission, digits_rows, "LinearSVM", 0.90)


@pytest.mark.grade("softmax_accuracy", points=1)
def test_softmax_accuracy(submission, digits_rows):
    linear_accuracy(submission, digits_rows, "Softmax", 0.90)


def train_net(submission, X, y, hidden, case, **kw):
    """The student's TwoLayerNet (its own initialisation, np.random.seed(0)) trained in the
    worker; train()'s validation set is the first N_VAL training images."""
    D = X.shape[1]
    a1.seed_worker(submission, 0)
    net = submission.classifiers.neural_net.TwoLayerNet(D, hidden, 10)
    with submission.timeout(TRAIN_TIMEOUT):
        net.train(X, y, X[:N_VAL], y[:N_VAL], batch_size=200, **kw)
    return trained_params(net, {"W1": (D, hidden), "b1": (hidden,), "W2": (hidden, 10),
                                "b2": (10,)}, case)


@pytest.mark.grade("two_layer_net_accuracy", points=1)
def test_two_layer_net_accuracy(submission, reference, digits_rows):
    threshold = 0.92
    Xtr, Xho = centred(digits_rows)
    case = ("TwoLayerNet(64, 50, 10) trained with train(learning_rate=1e-2, "
            "learning_rate_decay=0.98, reg=0.05, num_iters=300, batch_size=200) on the 1197 "
            "training digits (centred pixels), np.random.seed(0)")
    params = train_net(submission, Xtr, digits_rows["y_train"], 50, case, learning_rate=1e-2,
                       learning_rate_decay=0.98, reg=0.05, num_iters=300)
    acc = net_accuracy(reference, params, Xho, digits_rows["y_held_out"])
    assert_true(acc >= threshold, a1.accuracy_message(case, acc, threshold))


@pytest.fixture(scope="module")
def digit_features(reference, digits):
    """HOG (2x2-pixel cells, 9 orientations: 144 values) and the grey-level histogram
    (10 bins) of every digit, standardised with the training features' mean and std, as
    the features notebook prepares them (computed here with the reference features.py)."""
    f = reference.features
    fns = [lambda im: f.hog_feature(im, pixels_per_cell=2),
           lambda im: f.color_histogram_hsv(im, nbin=10)]
    train = f.extract_features(digits["X_train"], fns)
    held = f.extract_features(np.concatenate([digits["X_val"], digits["X_test"]]), fns)
    mean, std = train.mean(axis=0, keepdims=True), train.std(axis=0, keepdims=True) + 1e-8
    return (train - mean) / std, (held - mean) / std


@pytest.mark.grade("features_accuracy", points=1)
def test_features_accuracy(submission, reference, digits_rows, digit_features):
    threshold = 0.90
    Ftr, Fho = digit_features
    case = (f"TwoLayerNet({Ftr.shape[1]}, 100, 10) trained with train(learning_rate=1.0, "
            f"learning_rate_decay=0.95, reg=1e-3, num_iters=500, batch_size=200) on the HOG and "
            f"grey-level histogram features of the 1197 training digits, np.random.seed(0)")
    params = train_net(submission, Ftr, digits_rows["y_train"], 100, case, learning_rate=1.0,
                       learning_rate_decay=0.95, reg=1e-3, num_iters=500)
    acc = net_accuracy(reference, params, Fho, digits_rows["y_held_out"])
    assert_true(acc >= threshold, a1.accuracy_message(case, acc, threshold))
