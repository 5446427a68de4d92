"""The reference KNearestNeighbor (cs231n/classifiers/k_nearest_neighbor.py)
against scipy's distances, on the tie rule its docstring states, and on the
digits."""
from __future__ import annotations

import ast
import inspect
import textwrap
import time

import numpy as np
import pytest
from scipy.spatial.distance import cdist


@pytest.fixture
def knn(a1):
    rng = np.random.default_rng(0)
    X_train = rng.normal(size=(50, 64)) * 40 + 100
    y_train = rng.integers(0, 10, size=50)
    X_test = rng.normal(size=(30, 64)) * 40 + 100
    clf = a1.classifiers.KNearestNeighbor()
    clf.train(X_train, y_train)
    return clf, X_train, y_train, X_test


@pytest.mark.parametrize("method", ["compute_distances_two_loops",
                                    "compute_distances_one_loop",
                                    "compute_distances_no_loops"])
def test_distances_match_scipy_cdist(knn, method):
    clf, X_train, _, X_test = knn
    expected = cdist(X_test, X_train)          # Euclidean
    X_before = X_test.copy()
    dists = getattr(clf, method)(X_test)
    assert dists.shape == (30, 50)
    np.testing.assert_allclose(dists, expected, rtol=1e-10, atol=1e-8)
    np.testing.assert_array_equal(X_test, X_before)


def test_three_distance_versions_agree(knn):
    clf, _, _, X_test = knn
    d2 = clf.compute_distances_two_loops(X_test)
    d1 = clf.compute_distances_one_loop(X_test)
    d0 = clf.compute_distances_no_loops(X_test)
    assert np.linalg.norm(d2 - d1, ord="fro") < 1e-9
    assert np.linalg.norm(d2 - d0, ord="fro") < 1e-8


def test_no_loop_distance_of_a_point_to_itself_is_zero_not_nan(a1):
    rng = np.random.default_rng(1)
    X = rng.uniform(0, 255, size=(20, 3072))
    clf = a1.classifiers.KNearestNeighbor()
    clf.train(X, np.arange(20))
    d = clf.compute_distances_no_loops(X)
    assert not np.isnan(d).any()
    # cancellation in |x|^2 + |t|^2 - 2 x.t leaves at most ~sqrt(eps) * |x|
    assert np.abs(np.diag(d)).max() < 1e-4 * np.linalg.norm(X, axis=1).max()
    np.testing.assert_allclose(d, cdist(X, X), atol=1e-4 * np.linalg.norm(X, axis=1).max())


def _loops(func):
    tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    kinds = (ast.For, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
    return [node for node in ast.walk(tree) if isinstance(node, kinds)]


def test_loop_counts_are_as_the_docstrings_say(a1):
    KNN = a1.classifiers.KNearestNeighbor
    assert len(_loops(KNN.compute_distances_no_loops)) == 0
    one = _loops(KNN.compute_distances_one_loop)
    assert len(one) == 1 and isinstance(one[0], ast.For)
    assert len(_loops(KNN.compute_distances_two_loops)) == 2


def test_predict_labels_majority_vote(a1):
    clf = a1.classifiers.KNearestNeighbor()
    clf.train(np.zeros((6, 2)), np.array([4, 4, 1, 7, 4, 1]))
    dists = np.array([
        [0.5, 0.1, 0.2, 0.3, 0.9, 0.8],   # by distance: 4(.1) 1(.2) 7(.3) 4(.5) 1(.8) 4(.9)
    ])
    assert clf.predict_labels(dists, k=1)[0] == 4
    assert clf.predict_labels(dists, k=4)[0] == 4        # 4, 1, 7, 4
    assert clf.predict_labels(dists, k=6)[0] == 4        # 4 x3, 1 x2, 7


@pytest.mark.parametrize("labels,k,expected", [
    ([3, 1, 1, 3, 2], 4, 1),     # 3, 1, 1, 3: tie 1 / 3, nearest is a 3
    ([9, 2, 0, 0, 0], 2, 2),     # 9, 2: tie, the nearer one is the larger
    ([5, 6, 7, 8, 0], 4, 5),     # four-way tie
    ([2, 1, 2, 1, 0], 5, 1),     # 2, 1, 2, 1, 0: tie 1 / 2
])
def test_predict_labels_ties_go_to_the_smaller_label(a1, labels, k, expected):
    clf = a1.classifiers.KNearestNeighbor()
    clf.train(np.zeros((5, 2)), np.array(labels))
    dists = np.array([[0.1, 0.2, 0.3, 0.4, 0.5]])
    assert clf.predict_labels(dists, k=k)[0] == expected


def test_predict_dispatches_on_num_loops(knn):
    clf, _, _, X_test = knn
    preds = [clf.predict(X_test, k=3, num_loops=n) for n in (0, 1, 2)]
    assert preds[0].shape == (30,)
    np.testing.assert_array_equal(preds[0], preds[1])
    np.testing.assert_array_equal(preds[0], preds[2])
    with pytest.raises(ValueError):
        clf.predict(X_test, num_loops=3)


def test_predict_against_brute_force_oracle(knn):
    clf, X_train, y_train, X_test = knn
    d = cdist(X_test, X_train)
    for k in (1, 3, 5, 7):
        expected = []
        for row in d:
            votes = np.bincount(y_train[np.argsort(row)[:k]], minlength=10)
            expected.append(int(np.argmax(votes)))   # argmax: first = smallest label
        np.testing.assert_array_equal(clf.predict(X_test, k=k), expected)


def test_k1_on_the_training_data_gives_the_training_labels(a1, digits):
    clf = a1.classifiers.KNearestNeighbor()
    clf.train(digits["X_train"], digits["y_train"])
    pred = clf.predict(digits["X_train"][:400], k=1)
    np.testing.assert_array_equal(pred, digits["y_train"][:400])


def test_digits_validation_accuracy(a1, digits):
    """Measured: 0.997 for k = 1, 3 and 5 (seed-0 split), in about 0.1 s."""
    clf = a1.classifiers.KNearestNeighbor()
    clf.train(digits["X_train"], digits["y_train"])
    start = time.perf_counter()
    for k in (1, 5):
        acc = np.mean(clf.predict(digits["X_val"], k=k) == digits["y_val"])
        assert acc >= 0.98, (k, acc)
    assert time.perf_counter() - start < 10
