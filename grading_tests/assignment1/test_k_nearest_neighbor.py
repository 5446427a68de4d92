"""Hidden tests for cs231n/classifiers/k_nearest_neighbor.py (KNearestNeighbor).

The student's classifier lives in the sandbox: it is built and trained there
(``train`` is given code: it stores the arrays). Distances are compared with the
REFERENCE's on the same arrays, computed here before the student's call, with the
error measured against the largest distance of the case: the no-loop formula
||x||^2 + ||t||^2 - 2 x.t legitimately loses the last digits of small distances to
rounding, so an elementwise relative error would punish a correct implementation.

compute_distances_no_loops is also read as source (no loop of any kind, as its TODO
asks) and timed against the reference's two-loop version on the same inputs.
"""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from autograder.judge import assert_close_scaled, assert_inputs_kept, assert_true

_spec = importlib.util.spec_from_file_location("_hidden_a1_checks_knn", Path(__file__).with_name("a1_checks.py"))
a1 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(a1)

KNN_FILE = "classifiers/k_nearest_neighbor.py"
TOL_DIST = 1e-6      # error / largest distance; the reference's own no-loop version reaches ~1e-15
SPEEDUP = 10         # compute_distances_no_loops vs the reference's compute_distances_two_loops
NO_LOOPS_RULE = ("its TODO asks for no explicit loops (no Python for or while loop, no "
                 "comprehension): use array operations on all test and training points at once")


# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------

def _pixels(r, n, d):
    """Rows of grey levels like the flattened digits: whole numbers 0..16 times 255/16."""
    return r.integers(0, 17, size=(n, d)) * (255.0 / 16.0)


# case name -> (X_train, X_test), all distances distinct and away from zero
DIST_CASES = {
    "random_rows": lambda: (a1.rng(1).standard_normal((40, 10)), a1.rng(2).standard_normal((15, 10))),
    "pixel_rows": lambda: (_pixels(a1.rng(3), 30, 64), _pixels(a1.rng(4), 12, 64)),
    "one_training_point": lambda: (a1.rng(5).standard_normal((1, 5)), a1.rng(6).standard_normal((7, 5))),
}


def case_text(name, X_train, X_test):
    return (f"{X_test.shape[0]} test points against {X_train.shape[0]} training points of "
            f"dimension {X_train.shape[1]} ({name.replace('_', ' ')})")


def student_knn(submission, X_train, y_train=None):
    knn = submission.classifiers.k_nearest_neighbor.KNearestNeighbor()
    if y_train is None:
        y_train = np.arange(X_train.shape[0]) % 10
    knn.train(X_train, y_train)
    return knn


def reference_distances(reference, X_train, X_test):
    knn = reference.classifiers.k_nearest_neighbor.KNearestNeighbor()
    knn.train(X_train, np.zeros(X_train.shape[0], dtype=np.int64))
    return knn.compute_distances_two_loops(X_test)


def check_distances(submission, reference, method, name):
    X_train, X_test = DIST_CASES[name]()
    case = case_text(name, X_train, X_test)
    expected = reference_distances(reference, X_train, X_test)
    knn = student_knn(submission, X_train)
    got = getattr(knn, method)(X_test)
    assert_close_scaled(got, expected, what=f"KNearestNeighbor.{method}", case=case,
                        tol=TOL_DIST, against="the expected L2 distances")


# ---------------------------------------------------------------------------
# knn_two_loops
# ---------------------------------------------------------------------------

@pytest.mark.grade("knn_two_loops", points=1)
@pytest.mark.parametrize("name", list(DIST_CASES))
def test_knn_two_loops_values(submission, reference, name):
    check_distances(submission, reference, "compute_distances_two_loops", name)


# ---------------------------------------------------------------------------
# knn_one_loop
# ---------------------------------------------------------------------------

@pytest.mark.grade("knn_one_loop", points=1)
@pytest.mark.parametrize("name", list(DIST_CASES))
def test_knn_one_loop_values(submission, reference, name):
    check_distances(submission, reference, "compute_distances_one_loop", name)


@pytest.mark.grade("knn_one_loop", points=0.5)
def test_knn_one_loop_single_loop(submission, reference, student_source):
    # the loop count is judged on a working implementation (the release's stub has no loop
    # of its own either)
    check_distances(submission, reference, "compute_distances_one_loop", "random_rows")
    a1.assert_loop_count(student_source, KNN_FILE, "KNearestNeighbor.compute_distances_one_loop", 1,
                         "its TODO allows no loop other than the given one over the test points")


# ---------------------------------------------------------------------------
# knn_no_loops
# ---------------------------------------------------------------------------

@pytest.mark.grade("knn_no_loops", points=1)
@pytest.mark.parametrize("name", list(DIST_CASES))
def test_knn_no_loops_values(submission, reference, name):
    check_distances(submission, reference, "compute_distances_no_loops", name)


@pytest.mark.grade("knn_no_loops", points=0.5)
def test_knn_no_loops_zero_distances(submission, reference):
    """Edge case: test points that are also training points (distance exactly 0)."""
    X_train = 50.0 * a1.rng(7).standard_normal((25, 30))
    X_test = np.concatenate([X_train[[3, 0, 17, 24, 9, 11, 5, 20]],
                             50.0 * a1.rng(8).standard_normal((4, 30))])
    case = ("12 test points against 25 training points of dimension 30, 8 of them copies of "
            "training points (distance 0)")
    expected = reference_distances(reference, X_train, X_test)
    got = student_knn(submission, X_train).compute_distances_no_loops(X_test)
    assert_close_scaled(got, expected, what="KNearestNeighbor.compute_distances_no_loops",
                        case=case, tol=TOL_DIST, against="the expected L2 distances")


@pytest.mark.grade("knn_no_loops", points=0.5)
def test_knn_no_loops_keeps_inputs(submission, reference):
    """Edge case: neither the test points nor the stored training points change."""
    X_train, X_test = DIST_CASES["random_rows"]()
    case = case_text("random_rows", X_train, X_test)
    expected = reference_distances(reference, X_train, X_test)
    knn = student_knn(submission, X_train)
    got = knn.compute_distances_no_loops(X_test)
    assert_inputs_kept(submission.last_modified, "KNearestNeighbor.compute_distances_no_loops",
                       ("X",), case)
    stored = knn.X_train
    assert_true(isinstance(stored, np.ndarray) and stored.shape == X_train.shape
                and np.array_equal(stored, X_train),
                f"KNearestNeighbor.compute_distances_no_loops changed self.X_train for {case}; "
                f"compute new arrays instead.")
    assert_close_scaled(got, expected, what="KNearestNeighbor.compute_distances_no_loops",
                        case=case, tol=TOL_DIST, against="the expected L2 distances")


@pytest.mark.grade("knn_no_loops", points=1)
def test_knn_no_loops_has_no_loops(submission, reference, student_source):
    # judged on a working implementation (the release's stub has no loop either)
    check_distances(submission, reference, "compute_distances_no_loops", "random_rows")
    a1.assert_no_loops(student_source, KNN_FILE, "KNearestNeighbor.compute_distances_no_loops",
                       NO_LOOPS_RULE)


@pytest.mark.grade("knn_no_loops", points=1)
def test_knn_no_loops_speed(submission, reference):
    r = a1.rng(9)
    X_train, X_test = r.standard_normal((500, 64)), r.standard_normal((200, 64))
    case = "200 test points against 500 training points of dimension 64"
    ref = reference.classifiers.k_nearest_neighbor.KNearestNeighbor()
    ref.train(X_train, np.zeros(500, dtype=np.int64))
    ref_seconds, expected = a1.best_time(lambda: ref.compute_distances_two_loops(X_test), repeats=1)
    knn = student_knn(submission, X_train)
    with submission.timeout(max(10.0, 5 * ref_seconds)):
        seconds, got = a1.best_time(lambda: knn.compute_distances_no_loops(X_test), repeats=3)
    assert_close_scaled(got, expected, what="KNearestNeighbor.compute_distances_no_loops",
                        case=case, tol=TOL_DIST, against="the expected L2 distances")
    a1.assert_faster(seconds, ref_seconds, SPEEDUP, "KNearestNeighbor.compute_distances_no_loops",
                     case, "a version with two loops", NO_LOOPS_RULE)


# ---------------------------------------------------------------------------
# knn_predict_labels
# ---------------------------------------------------------------------------

def predict_case(seed, num_test, num_train, num_classes):
    r = a1.rng(seed)
    dists = r.random((num_test, num_train)) * 10.0   # continuous: no two distances equal
    y_train = r.integers(0, num_classes, size=num_train)
    return dists, y_train


def check_predict(submission, reference, dists, y_train, k, case):
    ref = reference.classifiers.k_nearest_neighbor.KNearestNeighbor()
    ref.train(np.zeros((len(y_train), 1)), y_train)
    expected = ref.predict_labels(dists, k=k)
    knn = student_knn(submission, np.zeros((len(y_train), 1)), y_train)
    got = a1.as_labels(knn.predict_labels(dists, k=k), what="KNearestNeighbor.predict_labels",
                       case=case, n=dists.shape[0])
    wrong = int(np.sum(got != expected))
    assert_true(wrong == 0, f"KNearestNeighbor.predict_labels predicted {wrong} of "
                            f"{dists.shape[0]} labels wrongly for {case}.")


PREDICT_K1_CASES = {
    "20x50_10_classes": (10, 20, 50, 10),
    "7x13_3_classes": (11, 7, 13, 3),
    "one_test_point": (12, 1, 5, 4),
}


@pytest.mark.grade("knn_predict_labels", points=1)
@pytest.mark.parametrize("name", list(PREDICT_K1_CASES))
def test_knn_predict_labels_k1(submission, reference, name):
    seed, nte, ntr, C = PREDICT_K1_CASES[name]
    dists, y_train = predict_case(seed, nte, ntr, C)
    check_predict(submission, reference, dists, y_train, 1,
                  f"k=1 and distances of shape ({nte}, {ntr}) with labels 0..{C - 1}")


def votes_without_ties(seed, k, num_test=6, block=10):
    """Distances and labels where the k nearest training points of each test point hold one
    clear majority label that is not the label of the nearest point (k=1 answers otherwise).
    Test point i has its own block of training points, nearer to it than any other."""
    r = a1.rng(seed)
    num_train = num_test * block
    dists = 5.0 + 5.0 * r.random((num_test, num_train))
    y_train = r.integers(0, 10, size=num_train)
    for i in range(num_test):
        own = np.arange(i * block, (i + 1) * block)
        dists[i, own] = r.random(block)
        order = own[np.argsort(dists[i, own])]
        a, b, c = r.permutation(10)[:3]
        near = {5: [b, a, a, a, c], 3: [b, a, a]}[k]
        y_train[order[:k]] = near
    return dists, y_train


@pytest.mark.grade("knn_predict_labels", points=0.7)
def test_knn_predict_labels_k_greater_than_one(submission, reference):
    """Edge case: k = 5 and k = 3, one label holding the majority of the k nearest."""
    for k in (5, 3):
        dists, y_train = votes_without_ties(20 + k, k)
        check_predict(submission, reference, dists, y_train, k,
                      f"k={k} and distances of shape {a1.shp(dists.shape)} where one label "
                      f"holds the majority of the {k} nearest (not the nearest point's label)")


@pytest.mark.grade("knn_predict_labels", points=0.7)
def test_knn_predict_labels_ties(submission, reference):
    """Edge case: two labels share the most votes; the docstring says the smaller one wins."""
    r = a1.rng(40)
    for k, votes in ((2, (7, 3)), (4, (5, 2, 5, 2)), (6, (9, 4, 1, 9, 4, 6))):
        dists = r.random((1, 12)) * 10.0
        order = np.argsort(dists[0])
        y_train = r.integers(0, 10, size=12)
        y_train[order[:k]] = votes   # the nearest point carries the larger tied label
        check_predict(submission, reference, dists, y_train, k,
                      f"k={k} where the labels {sorted(set(votes))} of the {k} nearest points "
                      f"tie (the nearest carries the larger one)")
