"""Hidden tests for cs231n/layers.py.

Student code runs in the sandbox through the ``submission`` proxy; the
reference package (``reference``) and every judgement stay in this process.
Caches are never inspected for their layout: the student's forward cache goes
back, as it is, into the student's backward pass. Numeric gradients are
centred differences of the REFERENCE forward pass (trusted side), compared
with the student's analytic gradients.

Each part's main tests use the common case the notebook presents (padding of
at least 1, pooling windows that do not overlap, strides that divide); every
edge case the docstrings allow (no padding, overlapping windows, strides that
do not divide, ties, large scores, inputs left unmodified) is a test of its
own, named for it and worth a small share of its part (the ``edge_cases`` of
the part in assignment.toml), whose failure message names the edge case and
quotes the docstring sentence that covers it. A test that used to loop over
several inputs is one test a case (``per_case``), so one failing case costs
only its own share.

Every expected value and numeric gradient is computed from the test's own
pristine arrays BEFORE the student's function runs, and dict arguments
(``conv_param``, ``bn_param`` ...) reach the student as separate copies, so
nothing a student's call does can move what it is compared with. Whether a
call changed its inputs in place is read from the proxy's ``last_modified``
(what the worker saw), and a backward pass's cache is kept in the worker and
fetched before and after the call.
"""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from autograder.judge import (
    as_array,
    assert_cache_kept,
    assert_close,
    assert_dtype_float,
    assert_inputs_kept,
    assert_true,
    data_leaves,
    numeric_gradient,
    unpack,
)
from autograder.sandbox.proxy import RemoteRef, StudentCodeError

# one test a case (per_case), edge cases (edge_case): shared with the other hidden modules
_spec = importlib.util.spec_from_file_location("_hidden_a2_cases_layers",
                                               Path(__file__).with_name("a2_cases.py"))
_cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_cases)
per_case, edge_case = _cases.per_case, _cases.edge_case

# Tolerances (relative error as CS231n defines it). The reference reaches
# ~1e-12 on values and ~1e-9 against numeric gradients on these inputs.
TOL_VALUE = 1e-7       # forward values vs the reference
TOL_GRAD = 1e-6        # analytic gradients vs the reference's analytic gradients
TOL_NUMERIC = 1e-5     # analytic gradients vs centred numeric gradients (h = 1e-5)


def rng(seed):
    return np.random.default_rng(seed)


def shp(a):
    return "(" + ", ".join(str(s) for s in np.shape(a)) + ("," if np.ndim(a) == 1 else "") + ")"


def away_from(x, points=(0.0,), margin=1e-3):
    """Move entries within ``margin`` of a kink away from it (numeric gradients)."""
    x = np.array(x, dtype=np.float64)
    for p in points:
        near = np.abs(x - p) < margin
        x[near] = p + np.where(x[near] >= p, margin, -margin) * 2
    return x


def kept(submission, function, names, case):
    """Right after a sandboxed call: none of the named array arguments changed in place."""
    assert_inputs_kept(submission.last_modified, function, names, case)


def compare(got, expected, names, function, case, tol):
    for name, g, e in zip(names, got, expected):
        assert_close(g, e, what=f"{function}'s {name}", case=case, tol=tol)


def backward_keeps_inputs(submission, function, dout, cache, case, expected, names):
    """Run the student's backward pass on its own forward cache, kept in the worker.

    dout and the arrays of the cache must come out unchanged (the cache is
    fetched before and after), and the gradients must still be right, so that
    a stub which touches nothing scores nothing.
    """
    ref = cache if isinstance(cache, RemoteRef) else submission.put(cache)
    before = data_leaves(submission.fetch(ref))
    result = getattr(submission.layers, function)(dout, ref)
    kept(submission, function, ("dout",), case)
    assert_cache_kept(before, data_leaves(submission.fetch(ref)), function, case)
    got = unpack(result, len(names), what=function, case=case, names=", ".join(names)) \
        if len(names) > 1 else (result,)
    compare(got, expected, names, function, case, TOL_GRAD)


# ---------------------------------------------------------------------------
# edge cases (each its own test, run under a2_cases.edge_case)
# ---------------------------------------------------------------------------

# the release's words on inputs (the module docstring of layers.py)
NO_IN_PLACE = ("No function here changes its inputs in place (x, w, dout, the arrays of a cache): "
               "compute new arrays instead.")


def forward_cache(submission, forward, args, documented_cache, case):
    """The cache a backward pass's edge-case test runs on: the student's forward cache.

    If the student's forward pass raises (or returns no ``(out, cache)`` pair) on this
    edge case, that is its own edge-case test's loss, not the backward pass's: the backward
    pass then gets the cache in the layout its docstring documents (``documented_cache``),
    so one bug is not charged twice.
    """
    try:
        result = getattr(submission.layers, forward)(*args)
        _, cache = unpack(result, 2, what=forward, case=case, names="out, cache")
        return cache
    except StudentCodeError as e:
        if type(e) is not StudentCodeError:
            raise
    except AssertionError:
        pass
    return submission.put(documented_cache)

# ---------------------------------------------------------------------------
# affine
# ---------------------------------------------------------------------------

AFFINE_CASES = {"4d_input": ((2, 4, 5, 6), 3), "one_example": ((1, 7), 5),
                "3d_input": ((3, 2, 3), 1), "2d_input": ((5, 10), 4)}


def affine_inputs(seed, xshape, M):
    r = rng(seed)
    D = int(np.prod(xshape[1:]))
    return r.standard_normal(xshape), r.standard_normal((D, M)), r.standard_normal(M)


def _affine_forward_values(submission, reference, i, xshape, M):
    x, w, b = affine_inputs(i, xshape, M)
    case = f"x of shape {shp(x)}, w of shape {shp(w)}"
    expected, _ = reference.layers.affine_forward(x, w, b)
    out, _ = unpack(submission.layers.affine_forward(x, w, b), 2,
                    what="affine_forward", case=case, names="out, cache")
    assert_close(out, expected, what="affine_forward's out", case=case, tol=TOL_VALUE)


(test_affine_forward_values_4d_input, test_affine_forward_values_one_example,
 test_affine_forward_values_3d_input, test_affine_forward_values_2d_input) = per_case(
    "affine_forward", 0.75, "affine_forward_values", AFFINE_CASES, _affine_forward_values)


@pytest.mark.grade("affine_forward", points=1)
def test_affine_forward_keeps_inputs(submission, reference):
    x, w, b = affine_inputs(10, (2, 3, 4), 5)
    case = "x of shape (2, 3, 4)"
    expected, _ = reference.layers.affine_forward(x, w, b)
    with edge_case("affine_forward", "inputs left unmodified", NO_IN_PLACE):
        result = submission.layers.affine_forward(x, w, b)
        kept(submission, "affine_forward", ("x", "w", "b"), case)
        out, _ = unpack(result, 2, what="affine_forward", case=case, names="out, cache")
        assert_close(out, expected, what="affine_forward's out", case=case, tol=TOL_VALUE)


def _affine_backward_vs_reference(submission, reference, i, xshape, M):
    x, w, b = affine_inputs(20 + i, xshape, M)
    dout = rng(30 + i).standard_normal((xshape[0], M))
    case = f"x of shape {shp(x)}, w of shape {shp(w)}"
    _, rcache = reference.layers.affine_forward(x, w, b)
    expected = reference.layers.affine_backward(dout, rcache)
    _, cache = submission.layers.affine_forward(x, w, b)
    grads = unpack(submission.layers.affine_backward(dout, cache), 3,
                   what="affine_backward", case=case, names="dx, dw, db")
    compare(grads, expected, ("dx", "dw", "db"), "affine_backward", case, TOL_GRAD)


(test_affine_backward_vs_reference_4d_input, test_affine_backward_vs_reference_one_example,
 test_affine_backward_vs_reference_3d_input, test_affine_backward_vs_reference_2d_input) = per_case(
    "affine_backward", 0.75, "affine_backward_vs_reference", AFFINE_CASES,
    _affine_backward_vs_reference)


@pytest.mark.grade("affine_backward", points=2)
def test_affine_backward_numeric(submission, reference):
    x, w, b = affine_inputs(40, (3, 2, 3), 4)
    dout = rng(41).standard_normal((3, 4))
    case = "x of shape (3, 2, 3), w of shape (6, 4)"
    f = reference.layers.affine_forward
    num = (numeric_gradient(lambda v: f(v, w, b)[0], x, dout),
           numeric_gradient(lambda v: f(x, v, b)[0], w, dout),
           numeric_gradient(lambda v: f(x, w, v)[0], b, dout))
    _, cache = submission.layers.affine_forward(x, w, b)
    grads = unpack(submission.layers.affine_backward(dout, cache), 3,
                   what="affine_backward", case=case, names="dx, dw, db")
    for name, got, n in zip(("dx", "dw", "db"), grads, num):
        assert_close(got, n, what=f"affine_backward's {name}", case=case,
                     tol=TOL_NUMERIC, against="a numeric gradient")


@pytest.mark.grade("affine_backward", points=1)
def test_affine_backward_keeps_inputs(submission, reference):
    x, w, b = affine_inputs(45, (3, 2, 3), 4)
    dout = rng(46).standard_normal((3, 4))
    case = "x of shape (3, 2, 3), w of shape (6, 4)"
    expected = reference.layers.affine_backward(dout, reference.layers.affine_forward(x, w, b)[1])
    _, cache = submission.layers.affine_forward(x, w, b)
    with edge_case("affine_backward", "inputs left unmodified", NO_IN_PLACE):
        backward_keeps_inputs(submission, "affine_backward", dout, cache, case, expected,
                              ("dx", "dw", "db"))


# ---------------------------------------------------------------------------
# ReLU
# ---------------------------------------------------------------------------

RELU_SHAPES = {"2d": (3, 4), "4d": (2, 3, 4, 5), "one_row": (1, 6), "1d": (7,)}


def _relu_forward_values(submission, reference, i, s):
    x = rng(50 + i).standard_normal(s)
    x.flat[0] = 0.0  # exact zero stays zero
    case = f"x of shape {shp(x)}"
    expected = reference.layers.relu_forward(x)[0]
    out, _ = unpack(submission.layers.relu_forward(x), 2, what="relu_forward", case=case,
                    names="out, cache")
    assert_close(out, expected, what="relu_forward's out", case=case, tol=TOL_VALUE)


(test_relu_forward_values_2d, test_relu_forward_values_4d, test_relu_forward_values_one_row,
 test_relu_forward_values_1d) = per_case(
    "relu_forward", 0.75, "relu_forward_values",
    {k: (v,) for k, v in RELU_SHAPES.items()}, _relu_forward_values)


@pytest.mark.grade("relu_forward", points=1)
def test_relu_forward_keeps_inputs(submission, reference):
    """x comes out unchanged (float32 and float64 x); out is a floating-point array."""
    with edge_case("relu_forward", "inputs left unmodified",
                   "x: Inputs, of any shape; not modified in place"):
        for dtype in (np.float32, np.float64):
            x = rng(60).standard_normal((4, 5)).astype(dtype)
            case = f"{np.dtype(dtype).name} x of shape (4, 5)"
            expected = reference.layers.relu_forward(x)[0]
            result = submission.layers.relu_forward(x)
            kept(submission, "relu_forward", ("x",), case)
            out, _ = unpack(result, 2, what="relu_forward", case=case)
            out = as_array(out, what="relu_forward's out", case=case, shape=x.shape)
            assert_dtype_float(out, what="relu_forward's out", case=case)
            assert_close(out, expected, what="relu_forward's out", case=case, tol=TOL_VALUE)


def _relu_backward_vs_reference(submission, reference, i, s):
    x = away_from(rng(70 + i).standard_normal(s))
    dout = rng(80 + i).standard_normal(s)
    case = f"x of shape {shp(x)}"
    expected = reference.layers.relu_backward(dout, reference.layers.relu_forward(x)[1])
    _, cache = submission.layers.relu_forward(x)
    dx = submission.layers.relu_backward(dout, cache)
    assert_close(dx, expected, what="relu_backward's dx", case=case, tol=TOL_GRAD)


(test_relu_backward_vs_reference_2d, test_relu_backward_vs_reference_4d,
 test_relu_backward_vs_reference_one_row, test_relu_backward_vs_reference_1d) = per_case(
    "relu_backward", 0.75, "relu_backward_vs_reference",
    {k: (v,) for k, v in RELU_SHAPES.items()}, _relu_backward_vs_reference)


@pytest.mark.grade("relu_backward", points=2)
def test_relu_backward_numeric(submission, reference):
    x = away_from(rng(90).standard_normal((4, 6)))
    dout = rng(91).standard_normal((4, 6))
    case = "x of shape (4, 6)"
    num = numeric_gradient(lambda v: reference.layers.relu_forward(v)[0], x, dout)
    _, cache = submission.layers.relu_forward(x)
    dx = submission.layers.relu_backward(dout, cache)
    assert_close(dx, num, what="relu_backward's dx", case=case, tol=TOL_NUMERIC,
                 against="a numeric gradient")


@pytest.mark.grade("relu_backward", points=1)
def test_relu_backward_keeps_inputs(submission, reference):
    x = away_from(rng(95).standard_normal((5, 4)))
    dout = rng(96).standard_normal((5, 4))
    case = "x of shape (5, 4)"
    expected = (reference.layers.relu_backward(dout, reference.layers.relu_forward(x)[1]),)
    _, cache = submission.layers.relu_forward(x)
    with edge_case("relu_backward", "inputs left unmodified",
                   "dout: Upstream derivatives, of any shape; not modified in place"):
        backward_keeps_inputs(submission, "relu_backward", dout, cache, case, expected, ("dx",))


# ---------------------------------------------------------------------------
# loss functions
# ---------------------------------------------------------------------------

LOSS_CASES = {"50_examples": (50, 10, 1.0), "one_example": (1, 5, 1.0),
              "three_classes": (7, 3, 3.0), "small_scores": (20, 10, 0.001)}
LARGE_SCORES = ("Scores may be large (in the thousands): the loss and dx must still be exact, "
                "so compute them in a numerically stable way.")


def loss_inputs(seed, N, C, scale):
    r = rng(seed)
    return scale * r.standard_normal((N, C)), r.integers(0, C, size=N)


def _loss_vs_reference(function, seed):
    def check(submission, reference, i, N, C, scale):
        x, y = loss_inputs(seed + i, N, C, scale)
        case = f"x of shape {shp(x)} (scores of size ~{scale:g})"
        rloss, rdx = getattr(reference.layers, function)(x, y)
        loss, dx = unpack(getattr(submission.layers, function)(x, y), 2, what=function,
                          case=case, names="loss, dx")
        assert_close(loss, rloss, what=f"{function}'s loss", case=case, tol=TOL_VALUE)
        assert_close(dx, rdx, what=f"{function}'s dx", case=case, tol=TOL_GRAD)
    return check


(test_softmax_loss_vs_reference_50_examples, test_softmax_loss_vs_reference_one_example,
 test_softmax_loss_vs_reference_three_classes, test_softmax_loss_vs_reference_small_scores) = per_case(
    "softmax_loss", 0.75, "softmax_loss_vs_reference", LOSS_CASES,
    _loss_vs_reference("softmax_loss", 100))


@pytest.mark.grade("softmax_loss", points=2)
def test_softmax_loss_numeric(submission, reference):
    x, y = loss_inputs(110, 6, 4, 1.0)
    case = "x of shape (6, 4)"
    num = numeric_gradient(lambda v: reference.layers.softmax_loss(v, y)[0], x)
    _, dx = unpack(submission.layers.softmax_loss(x, y), 2, what="softmax_loss", case=case)
    assert_close(dx, num, what="softmax_loss's dx", case=case, tol=TOL_NUMERIC,
                 against="a numeric gradient")


@pytest.mark.grade("softmax_loss", points=1)
def test_softmax_loss_large_scores(submission, reference):
    x, y = loss_inputs(120, 8, 5, 3.0)
    # scores near +1000 and -1000 (exp overflows, or every exp underflows to 0, unless the
    # scores are shifted); their differences stay moderate
    x = x + np.where(np.arange(8) % 2 == 0, 1000.0, -1000.0)[:, None]
    case = "scores near +1000 and -1000 (rows alternating)"
    rloss, rdx = reference.layers.softmax_loss(x, y)
    with edge_case("softmax_loss", "large scores (numerical stability)", LARGE_SCORES):
        loss, dx = unpack(submission.layers.softmax_loss(x, y), 2, what="softmax_loss", case=case)
        assert_close(loss, rloss, what="softmax_loss's loss", case=case, tol=TOL_VALUE)
        assert_close(dx, rdx, what="softmax_loss's dx", case=case, tol=TOL_GRAD)


def _loss_keeps_inputs(submission, reference, function, seed):
    x, y = loss_inputs(seed, 5, 4, 2.0)
    case = "x of shape (5, 4)"
    rloss, rdx = getattr(reference.layers, function)(x, y)
    with edge_case(function, "inputs left unmodified", NO_IN_PLACE):
        result = getattr(submission.layers, function)(x, y)
        kept(submission, function, ("x", "y"), case)
        loss, dx = unpack(result, 2, what=function, case=case, names="loss, dx")
        assert_close(loss, rloss, what=f"{function}'s loss", case=case, tol=TOL_VALUE)
        assert_close(dx, rdx, what=f"{function}'s dx", case=case, tol=TOL_GRAD)


@pytest.mark.grade("softmax_loss", points=1)
def test_softmax_loss_keeps_inputs(submission, reference):
    _loss_keeps_inputs(submission, reference, "softmax_loss", 130)


(test_svm_loss_vs_reference_50_examples, test_svm_loss_vs_reference_one_example,
 test_svm_loss_vs_reference_three_classes, test_svm_loss_vs_reference_small_scores) = per_case(
    "svm_loss", 0.75, "svm_loss_vs_reference", LOSS_CASES, _loss_vs_reference("svm_loss", 140))


@pytest.mark.grade("svm_loss", points=2)
def test_svm_loss_numeric(submission, reference):
    x, y = loss_inputs(150, 6, 5, 1.0)
    # keep every margin away from its kink at 0
    margins = x - x[np.arange(6), y][:, None] + 1.0
    x = x + np.where(np.abs(margins) < 1e-3, 1e-2, 0.0) * (np.arange(5) != y[:, None])
    case = "x of shape (6, 5)"
    num = numeric_gradient(lambda v: reference.layers.svm_loss(v, y)[0], x)
    _, dx = unpack(submission.layers.svm_loss(x, y), 2, what="svm_loss", case=case)
    assert_close(dx, num, what="svm_loss's dx", case=case, tol=TOL_NUMERIC,
                 against="a numeric gradient")


@pytest.mark.grade("svm_loss", points=1)
def test_svm_loss_keeps_inputs(submission, reference):
    _loss_keeps_inputs(submission, reference, "svm_loss", 160)

# ---------------------------------------------------------------------------
# batch normalization
# ---------------------------------------------------------------------------

BN_CASES = {"200_examples": (200, 3, 1.0), "4_examples": (4, 5, 1.0),
            "one_feature": (10, 1, 1.0), "small_values": (64, 6, 1e-3)}
BN_BACKWARD_CASES = {k: BN_CASES[k] for k in ("200_examples", "4_examples", "one_feature")}


def bn_inputs(seed, N, D, scale=1.0):
    r = rng(seed)
    x = scale * (5.0 + 3.0 * r.standard_normal((N, D)))
    gamma = 0.5 + r.random(D)
    beta = r.standard_normal(D)
    return x, gamma, beta


def _batchnorm_forward_train_values(submission, reference, i, N, D, scale):
    x, gamma, beta = bn_inputs(200 + i, N, D, scale)
    case = f"train mode, x of shape {shp(x)}"
    expected, _ = reference.layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    out, _ = unpack(submission.layers.batchnorm_forward(x, gamma, beta, {"mode": "train"}),
                    2, what="batchnorm_forward", case=case, names="out, cache")
    assert_close(out, expected, what="batchnorm_forward's out", case=case, tol=TOL_VALUE)


(test_batchnorm_forward_train_values_200_examples, test_batchnorm_forward_train_values_4_examples,
 test_batchnorm_forward_train_values_one_feature,
 test_batchnorm_forward_train_values_small_values) = per_case(
    "batchnorm_forward", 0.75, "batchnorm_forward_train_values", BN_CASES,
    _batchnorm_forward_train_values)


@pytest.mark.grade("batchnorm_forward", points=1)
def test_batchnorm_forward_train_statistics(submission):
    x, _, _ = bn_inputs(210, 300, 4)
    gamma = np.array([1.0, 2.0, 3.0, 0.5])
    beta = np.array([0.0, -1.0, 4.0, 2.0])
    case = "train mode, x of shape (300, 4)"
    out, _ = unpack(submission.layers.batchnorm_forward(x, gamma, beta, {"mode": "train"}),
                    2, what="batchnorm_forward", case=case)
    out = as_array(out, what="batchnorm_forward's out", case=case, shape=x.shape)
    assert_close(out.mean(axis=0), beta, what="the per-feature mean of batchnorm_forward's out",
                 case=case, tol=1e-6, against="beta")
    assert_close(out.std(axis=0), gamma, what="the per-feature std of batchnorm_forward's out",
                 case=case, tol=1e-4, against="gamma")


@pytest.mark.grade("batchnorm_forward", points=2)
def test_batchnorm_forward_running_statistics(submission, reference):
    """Running averages follow the momentum rule over several train steps, then
    test mode normalizes with them (the bn_param dict is updated by the call)."""
    D = 4
    bn = {"mode": "train", "momentum": 0.8}
    rbn = {"mode": "train", "momentum": 0.8}
    for step in range(4):
        x, gamma, beta = bn_inputs(220 + step, 30, D)
        reference.layers.batchnorm_forward(x, gamma, beta, rbn)
        submission.layers.batchnorm_forward(x, gamma, beta, bn)
        case = f"train step {step + 1} with momentum 0.8"
        for key in ("running_mean", "running_var"):
            assert_true(key in bn, f"batchnorm_forward did not store {key} in bn_param after "
                                   f"{case}.")
            assert_close(bn[key], rbn[key], what=f"bn_param['{key}']", case=case, tol=TOL_VALUE)
    x, gamma, beta = bn_inputs(230, 7, D)
    bn["mode"] = rbn["mode"] = "test"
    case = "test mode after 4 train steps"
    expected, _ = reference.layers.batchnorm_forward(x, gamma, beta, rbn)
    out, _ = unpack(submission.layers.batchnorm_forward(x, gamma, beta, bn), 2,
                    what="batchnorm_forward", case=case)
    assert_close(out, expected, what="batchnorm_forward's out", case=case, tol=TOL_VALUE)


@pytest.mark.grade("batchnorm_forward", points=1)
def test_batchnorm_forward_test_mode(submission, reference):
    x, gamma, beta = bn_inputs(240, 6, 5)
    r = rng(241)
    rm, rv = r.standard_normal(5), 0.5 + r.random(5)
    case = "test mode with given running_mean and running_var, x of shape (6, 5)"
    expected, _ = reference.layers.batchnorm_forward(
        x, gamma, beta, {"mode": "test", "running_mean": rm.copy(), "running_var": rv.copy(),
                         "eps": 1e-3})
    bn = {"mode": "test", "running_mean": rm.copy(), "running_var": rv.copy(), "eps": 1e-3}
    out, _ = unpack(submission.layers.batchnorm_forward(x, gamma, beta, bn), 2,
                    what="batchnorm_forward", case=case)
    assert_close(out, expected, what="batchnorm_forward's out", case=case, tol=TOL_VALUE)
    assert_close(bn.get("running_mean"), rm, what="bn_param['running_mean']", case=case,
                 tol=0, against="its value before the call (test mode must not update it)")


def _batchnorm_forward_keeps(submission, reference, mode):
    x, gamma, beta = bn_inputs(250, 8, 3)
    case = f"{mode} mode, x of shape (8, 3)"
    params = {"mode": mode, "running_mean": np.full(3, 4.0), "running_var": np.full(3, 9.0)}
    expected, _ = reference.layers.batchnorm_forward(
        x, gamma, beta, {k: (v.copy() if isinstance(v, np.ndarray) else v)
                         for k, v in params.items()})
    with edge_case("batchnorm_forward", "inputs left unmodified", NO_IN_PLACE):
        result = submission.layers.batchnorm_forward(x, gamma, beta, params)
        kept(submission, "batchnorm_forward", ("x", "gamma", "beta"), case)
        out, _ = unpack(result, 2, what="batchnorm_forward", case=case, names="out, cache")
        assert_close(out, expected, what="batchnorm_forward's out", case=case, tol=TOL_VALUE)


@pytest.mark.grade("batchnorm_forward", points=0.5)
def test_batchnorm_forward_keeps_inputs(submission, reference):
    _batchnorm_forward_keeps(submission, reference, "train")


@pytest.mark.grade("batchnorm_forward", points=0.5)
def test_batchnorm_forward_keeps_inputs_test_mode(submission, reference):
    _batchnorm_forward_keeps(submission, reference, "test")


def _bn_backward_vs_reference(fname, seed):
    def check(submission, reference, i, N, D, scale):
        x, gamma, beta = bn_inputs(seed + i, N, D, scale)
        dout = rng(seed + 10 + i).standard_normal((N, D))
        case = f"x of shape {shp(x)}"
        _, rcache = reference.layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})
        expected = reference.layers.batchnorm_backward(dout, rcache)
        _, cache = submission.layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})
        grads = unpack(getattr(submission.layers, fname)(dout, cache), 3, what=fname, case=case,
                       names="dx, dgamma, dbeta")
        compare(grads, expected, ("dx", "dgamma", "dbeta"), fname, case, TOL_GRAD)
    return check


def _check_bn_numeric(submission, reference, fname, seed):
    x, gamma, beta = bn_inputs(seed, 5, 3)
    dout = rng(seed + 1).standard_normal((5, 3))
    case = "x of shape (5, 3)"
    f = reference.layers.batchnorm_forward
    nums = (
        numeric_gradient(lambda v: f(v, gamma, beta, {"mode": "train"})[0], x, dout),
        numeric_gradient(lambda v: f(x, v, beta, {"mode": "train"})[0], gamma, dout),
        numeric_gradient(lambda v: f(x, gamma, v, {"mode": "train"})[0], beta, dout),
    )
    _, cache = submission.layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    grads = unpack(getattr(submission.layers, fname)(dout, cache), 3, what=fname, case=case)
    for name, got, num in zip(("dx", "dgamma", "dbeta"), grads, nums):
        assert_close(got, num, what=f"{fname}'s {name}", case=case, tol=TOL_NUMERIC,
                     against="a numeric gradient")


def _check_bn_backward_keeps(submission, reference, fname, seed):
    x, gamma, beta = bn_inputs(seed, 6, 4)
    dout = rng(seed + 1).standard_normal((6, 4))
    case = "x of shape (6, 4)"
    _, rcache = reference.layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    expected = reference.layers.batchnorm_backward(dout, rcache)
    _, cache = submission.layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    with edge_case(fname, "inputs left unmodified", NO_IN_PLACE):
        backward_keeps_inputs(submission, fname, dout, cache, case, expected,
                              ("dx", "dgamma", "dbeta"))


(test_batchnorm_backward_vs_reference_200_examples,
 test_batchnorm_backward_vs_reference_4_examples,
 test_batchnorm_backward_vs_reference_one_feature) = per_case(
    "batchnorm_backward", 1, "batchnorm_backward_vs_reference", BN_BACKWARD_CASES,
    _bn_backward_vs_reference("batchnorm_backward", 300))


@pytest.mark.grade("batchnorm_backward", points=2)
def test_batchnorm_backward_numeric(submission, reference):
    _check_bn_numeric(submission, reference, "batchnorm_backward", 320)


@pytest.mark.grade("batchnorm_backward", points=1)
def test_batchnorm_backward_keeps_inputs(submission, reference):
    _check_bn_backward_keeps(submission, reference, "batchnorm_backward", 330)


(test_batchnorm_backward_alt_vs_reference_200_examples,
 test_batchnorm_backward_alt_vs_reference_4_examples,
 test_batchnorm_backward_alt_vs_reference_one_feature) = per_case(
    "batchnorm_backward_alt", 1, "batchnorm_backward_alt_vs_reference", BN_BACKWARD_CASES,
    _bn_backward_vs_reference("batchnorm_backward_alt", 340))


@pytest.mark.grade("batchnorm_backward_alt", points=2)
def test_batchnorm_backward_alt_numeric(submission, reference):
    _check_bn_numeric(submission, reference, "batchnorm_backward_alt", 360)


@pytest.mark.grade("batchnorm_backward_alt", points=1)
def test_batchnorm_backward_alt_keeps_inputs(submission, reference):
    _check_bn_backward_keeps(submission, reference, "batchnorm_backward_alt", 370)


# ---------------------------------------------------------------------------
# layer normalization
# ---------------------------------------------------------------------------

LN_CASES = {"4_examples": (4, 5), "one_example": (1, 8), "3_features": (30, 3),
            "one_feature": (2, 1)}
LN_BACKWARD_CASES = {k: LN_CASES[k] for k in ("4_examples", "one_example", "3_features")}


def _layernorm_forward_values(submission, reference, i, N, D):
    x, gamma, beta = bn_inputs(400 + i, N, D)
    x = x * (1.0 + np.arange(N))[:, None]  # rows with different scales
    case = f"x of shape {shp(x)}"
    expected, _ = reference.layers.layernorm_forward(x, gamma, beta, {})
    out, _ = unpack(submission.layers.layernorm_forward(x, gamma, beta, {}), 2,
                    what="layernorm_forward", case=case, names="out, cache")
    assert_close(out, expected, what="layernorm_forward's out", case=case, tol=TOL_VALUE)


(test_layernorm_forward_values_4_examples, test_layernorm_forward_values_one_example,
 test_layernorm_forward_values_3_features, test_layernorm_forward_values_one_feature) = per_case(
    "layernorm_forward", 0.75, "layernorm_forward_values", LN_CASES, _layernorm_forward_values)


@pytest.mark.grade("layernorm_forward", points=1)
def test_layernorm_forward_eps(submission, reference):
    x, gamma, beta = bn_inputs(410, 6, 4, 0.01)
    case = "ln_param {'eps': 0.01}, x with small values"
    expected, _ = reference.layers.layernorm_forward(x, gamma, beta, {"eps": 1e-2})
    out, _ = unpack(submission.layers.layernorm_forward(x, gamma, beta, {"eps": 1e-2}), 2,
                    what="layernorm_forward", case=case)
    assert_close(out, expected, what="layernorm_forward's out", case=case, tol=TOL_VALUE)


@pytest.mark.grade("layernorm_forward", points=1)
def test_layernorm_forward_keeps_inputs(submission, reference):
    x, gamma, beta = bn_inputs(415, 5, 6)
    case = "x of shape (5, 6)"
    expected, _ = reference.layers.layernorm_forward(x, gamma, beta, {})
    with edge_case("layernorm_forward", "inputs left unmodified", NO_IN_PLACE):
        result = submission.layers.layernorm_forward(x, gamma, beta, {})
        kept(submission, "layernorm_forward", ("x", "gamma", "beta"), case)
        out, _ = unpack(result, 2, what="layernorm_forward", case=case, names="out, cache")
        assert_close(out, expected, what="layernorm_forward's out", case=case, tol=TOL_VALUE)


def _layernorm_backward_vs_reference(submission, reference, i, N, D):
    x, gamma, beta = bn_inputs(420 + i, N, D)
    dout = rng(430 + i).standard_normal((N, D))
    case = f"x of shape {shp(x)}"
    _, rcache = reference.layers.layernorm_forward(x, gamma, beta, {})
    expected = reference.layers.layernorm_backward(dout, rcache)
    _, cache = submission.layers.layernorm_forward(x, gamma, beta, {})
    grads = unpack(submission.layers.layernorm_backward(dout, cache), 3,
                   what="layernorm_backward", case=case, names="dx, dgamma, dbeta")
    compare(grads, expected, ("dx", "dgamma", "dbeta"), "layernorm_backward", case, TOL_GRAD)


(test_layernorm_backward_vs_reference_4_examples,
 test_layernorm_backward_vs_reference_one_example,
 test_layernorm_backward_vs_reference_3_features) = per_case(
    "layernorm_backward", 1, "layernorm_backward_vs_reference", LN_BACKWARD_CASES,
    _layernorm_backward_vs_reference)


@pytest.mark.grade("layernorm_backward", points=2)
def test_layernorm_backward_numeric(submission, reference):
    x, gamma, beta = bn_inputs(440, 3, 5)
    dout = rng(441).standard_normal((3, 5))
    case = "x of shape (3, 5)"
    f = reference.layers.layernorm_forward
    nums = (
        numeric_gradient(lambda v: f(v, gamma, beta, {})[0], x, dout),
        numeric_gradient(lambda v: f(x, v, beta, {})[0], gamma, dout),
        numeric_gradient(lambda v: f(x, gamma, v, {})[0], beta, dout),
    )
    _, cache = submission.layers.layernorm_forward(x, gamma, beta, {})
    grads = unpack(submission.layers.layernorm_backward(dout, cache), 3,
                   what="layernorm_backward", case=case)
    for name, got, num in zip(("dx", "dgamma", "dbeta"), grads, nums):
        assert_close(got, num, what=f"layernorm_backward's {name}", case=case,
                     tol=TOL_NUMERIC, against="a numeric gradient")


@pytest.mark.grade("layernorm_backward", points=1)
def test_layernorm_backward_keeps_inputs(submission, reference):
    x, gamma, beta = bn_inputs(450, 4, 5)
    dout = rng(451).standard_normal((4, 5))
    case = "x of shape (4, 5)"
    expected = reference.layers.layernorm_backward(
        dout, reference.layers.layernorm_forward(x, gamma, beta, {})[1])
    _, cache = submission.layers.layernorm_forward(x, gamma, beta, {})
    with edge_case("layernorm_backward", "inputs left unmodified", NO_IN_PLACE):
        backward_keeps_inputs(submission, "layernorm_backward", dout, cache, case, expected,
                              ("dx", "dgamma", "dbeta"))


# ---------------------------------------------------------------------------
# dropout (any correct way of drawing the mask passes: masks are never compared)
# ---------------------------------------------------------------------------

def _dropout_train(submission, x, p, case, seed=None):
    param = {"mode": "train", "p": p}
    if seed is not None:
        param["seed"] = seed
    out, cache = unpack(submission.layers.dropout_forward(x, param), 2,
                        what="dropout_forward", case=case, names="out, cache")
    return as_array(out, what="dropout_forward's out", case=case, shape=x.shape), cache


def _assert_inverted_dropout(out, x, p, case, tol_frac=0.01):
    """out keeps about a fraction p of x, each kept unit scaled by exactly 1/p."""
    kept_units = out != 0
    frac = kept_units.mean()
    assert_true(abs(frac - p) < tol_frac,
                f"dropout_forward kept {frac:.3f} of the units for {case}; expected about "
                f"{p} (p is the probability of keeping a unit).")
    ratio = out[kept_units] / x[kept_units]
    assert_close(ratio, np.full(ratio.shape, 1.0 / p),
                 what="dropout_forward's kept units divided by x", case=case, tol=1e-6,
                 against="1/p (inverted dropout scales kept units by 1/p)")


def _dropout_forward_keep_probability(submission, reference, i, p):
    """p is the probability of KEEPING a unit; kept units are scaled by 1/p."""
    x = 2.0 + rng(500).random((400, 250))  # all entries in [2, 3): never zero
    case = f"train mode, p={p}, x of shape (400, 250)"
    out, _ = _dropout_train(submission, x, p, case)
    # 100,000 Bernoulli draws: the standard error of the kept fraction is < 0.0016
    _assert_inverted_dropout(out, x, p, case)
    assert_true(abs(out.mean() / x.mean() - 1.0) < 0.03,
                f"the mean of dropout_forward's out is {out.mean():.3f} for {case}; expected "
                f"about the mean of x, {x.mean():.3f} (inverted dropout keeps the expectation).")


(test_dropout_forward_keep_probability_p25, test_dropout_forward_keep_probability_p40,
 test_dropout_forward_keep_probability_p70) = per_case(
    "dropout_forward", 1, "dropout_forward_keep_probability",
    {"p25": (0.25,), "p40": (0.4,), "p70": (0.7,)}, _dropout_forward_keep_probability)


def _dropout_forward_test_mode(submission, reference, i, p):
    x = rng(510).standard_normal((50, 40))
    case = f"test mode, p={p}"
    out, _ = unpack(submission.layers.dropout_forward(x, {"mode": "test", "p": p}), 2,
                    what="dropout_forward", case=case)
    assert_close(out, x, what="dropout_forward's out", case=case, tol=0,
                 against="the input x (test mode is the identity)")


(test_dropout_forward_test_mode_p30, test_dropout_forward_test_mode_p80) = per_case(
    "dropout_forward", 0.5, "dropout_forward_test_mode", {"p30": (0.3,), "p80": (0.8,)},
    _dropout_forward_test_mode)


@pytest.mark.grade("dropout_forward", points=1)
def test_dropout_forward_seed_and_dtype(submission):
    x = (1.0 + rng(520).random((30, 40))).astype(np.float32)
    case = "train mode with a fixed seed, float32 x"
    out1, _ = _dropout_train(submission, x, 0.5, case, seed=123)
    out2, _ = _dropout_train(submission, x, 0.5, case, seed=123)
    assert_dtype_float(out1, what="dropout_forward's out", case=case, dtype=np.float32)
    assert_true(np.array_equal(out1, out2),
                f"dropout_forward gave two different outputs for {case}; with dropout_param['seed'] "
                f"set the mask must be reproducible.")
    out3, _ = _dropout_train(submission, x, 0.5, "train mode with another seed", seed=124)
    assert_true(not np.array_equal(out1, out3),
                "dropout_forward gave the same mask for two different seeds; draw the mask with "
                "np.random after the given seeding code.")


@pytest.mark.grade("dropout_forward", points=1)
def test_dropout_forward_keeps_inputs(submission):
    x = 1.0 + rng(525).random((100, 60))
    case = "train mode, p=0.6, x of shape (100, 60)"
    with edge_case("dropout_forward", "inputs left unmodified", NO_IN_PLACE):
        result = submission.layers.dropout_forward(x, {"mode": "train", "p": 0.6})
        kept(submission, "dropout_forward", ("x",), case)
        out, _ = unpack(result, 2, what="dropout_forward", case=case, names="out, cache")
        out = as_array(out, what="dropout_forward's out", case=case, shape=x.shape)
        # 6,000 draws: the standard error of the kept fraction is ~0.006
        _assert_inverted_dropout(out, x, 0.6, case, tol_frac=0.04)


def _dropout_backward_uses_forward_mask(submission, reference, i, p):
    x = 1.0 + rng(530).random((60, 70))
    dout = rng(531).standard_normal((60, 70))
    case = f"train mode, p={p}, x of shape (60, 70)"
    out, cache = _dropout_train(submission, x, p, case)
    dx = submission.layers.dropout_backward(dout, cache)
    # the derivative of out = x * mask is dout * mask, and mask = out / x here
    assert_close(dx, dout * (out / x), what="dropout_backward's dx", case=case, tol=1e-7,
                 against="dout times the mask that dropout_forward applied")


(test_dropout_backward_uses_forward_mask_p30, test_dropout_backward_uses_forward_mask_p75) = per_case(
    "dropout_backward", 1.5, "dropout_backward_uses_forward_mask",
    {"p30": (0.3,), "p75": (0.75,)}, _dropout_backward_uses_forward_mask)


@pytest.mark.grade("dropout_backward", points=1)
def test_dropout_backward_test_mode(submission):
    x = rng(540).standard_normal((10, 12))
    dout = rng(541).standard_normal((10, 12))
    case = "test mode, p=0.6"
    _, cache = submission.layers.dropout_forward(x, {"mode": "test", "p": 0.6})
    dx = submission.layers.dropout_backward(dout, cache)
    assert_close(dx, dout, what="dropout_backward's dx", case=case, tol=0,
                 against="dout (test mode is the identity)")


@pytest.mark.grade("dropout_backward", points=1)
def test_dropout_backward_keeps_inputs(submission):
    x = 1.0 + rng(545).random((20, 30))
    dout = rng(546).standard_normal((20, 30))
    case = "train mode, p=0.5, x of shape (20, 30)"
    out, cache = _dropout_train(submission, x, 0.5, case)
    with edge_case("dropout_backward", "inputs left unmodified", NO_IN_PLACE):
        backward_keeps_inputs(submission, "dropout_backward", dout, cache, case,
                              (dout * (out / x),), ("dx",))

# ---------------------------------------------------------------------------
# convolution (naive)
# ---------------------------------------------------------------------------

# main cases: padding of at least 1, strides that divide H + 2 * pad - HH and W + 2 * pad - WW
# (x shape, w shape, stride, pad)
CONV_CASES = {
    "notebook": ((2, 3, 4, 4), (3, 3, 4, 4), 2, 1),      # the notebook's case
    "batch_of_one": ((1, 2, 5, 5), (2, 2, 3, 3), 1, 1),
    "non_square": ((2, 1, 7, 6), (3, 1, 3, 2), 2, 1),    # non-square input and filters
    "stride_3": ((2, 3, 8, 8), (4, 3, 3, 3), 3, 2),      # stride 3, pad 2
    "filters_1x1": ((3, 2, 4, 6), (2, 2, 1, 1), 1, 1),
}
CONV_NUMERIC_CASES = {
    "numeric": ((2, 2, 5, 5), (2, 2, 3, 3), 2, 1),
    "numeric_stride_1": ((1, 1, 4, 3), (2, 1, 2, 2), 1, 1),
}
# edge cases
CONV_NO_PADDING = ((2, 2, 5, 5), (3, 2, 3, 3), 1, 0)
CONV_STRIDE_NOT_DIVIDING = ((2, 3, 6, 7), (4, 3, 3, 3), 3, 2)  # 7 % 3 and 8 % 3 are not 0
CONV_EDGE_POINTS = 0.75

CONV_PAD_RULE = "pad may be 0 (no padding)."
CONV_STRIDE_RULE = ("The stride need not divide H + 2 * pad - HH (or W + 2 * pad - WW): H' and W' "
                    "round down, and rows and columns past the last whole window are not used.")
CONV_BACKWARD_RULE = ("Every input conv_forward_naive accepts is accepted here too: pad may be 0 "
                      "(no padding), and the stride need not divide H + 2 * pad - HH (inputs past "
                      "the last whole window get a zero derivative).")


def conv_inputs(seed, xs, ws):
    r = rng(seed)
    return r.standard_normal(xs), r.standard_normal(ws), r.standard_normal(ws[0])


def conv_case(xs, ws, stride, pad):
    return f"x of shape {xs}, w of shape {ws}, stride {stride}, pad {pad}"


def conv_forward_check(submission, reference, seed, xs, ws, stride, pad):
    x, w, b = conv_inputs(seed, xs, ws)
    cp = {"stride": stride, "pad": pad}
    case = conv_case(xs, ws, stride, pad)
    expected, _ = reference.layers.conv_forward_naive(x, w, b, dict(cp))
    out, _ = unpack(submission.layers.conv_forward_naive(x, w, b, dict(cp)), 2,
                    what="conv_forward_naive", case=case, names="out, cache")
    assert_close(out, expected, what="conv_forward_naive's out", case=case, tol=TOL_VALUE)


def _conv_forward_values(submission, reference, i, xs, ws, stride, pad):
    conv_forward_check(submission, reference, 600 + i, xs, ws, stride, pad)


(test_conv_forward_values_notebook, test_conv_forward_values_batch_of_one,
 test_conv_forward_values_non_square, test_conv_forward_values_stride_3,
 test_conv_forward_values_filters_1x1) = per_case(
    "conv_forward_naive", 1, "conv_forward_values", CONV_CASES, _conv_forward_values)


@pytest.mark.grade("conv_forward_naive", points=CONV_EDGE_POINTS)
def test_conv_forward_no_padding(submission, reference):
    with edge_case("conv_forward_naive", "no padding (pad = 0)", CONV_PAD_RULE):
        conv_forward_check(submission, reference, 610, *CONV_NO_PADDING)


@pytest.mark.grade("conv_forward_naive", points=CONV_EDGE_POINTS)
def test_conv_forward_stride_not_dividing(submission, reference):
    with edge_case("conv_forward_naive", "a stride that does not divide", CONV_STRIDE_RULE):
        conv_forward_check(submission, reference, 615, *CONV_STRIDE_NOT_DIVIDING)


@pytest.mark.grade("conv_forward_naive", points=CONV_EDGE_POINTS)
def test_conv_forward_keeps_inputs(submission, reference):
    x, w, b = conv_inputs(620, (2, 2, 4, 4), (2, 2, 3, 3))
    cp = {"stride": 1, "pad": 1}
    case = "x of shape (2, 2, 4, 4), pad 1"
    expected, _ = reference.layers.conv_forward_naive(x, w, b, dict(cp))
    with edge_case("conv_forward_naive", "inputs left unmodified",
                   "Be careful not to modify the original input x directly."):
        result = submission.layers.conv_forward_naive(x, w, b, dict(cp))
        kept(submission, "conv_forward_naive", ("x", "w", "b"), case)
        out, _ = unpack(result, 2, what="conv_forward_naive", case=case, names="out, cache")
        assert_close(out, expected, what="conv_forward_naive's out", case=case, tol=TOL_VALUE)


def conv_backward_check(submission, reference, seed, xs, ws, stride, pad, edge=False):
    """The student's gradients against the reference's. For an edge case (``edge``) the
    cache comes from ``forward_cache`` (a forward pass that fails on the edge case is not
    charged here too)."""
    x, w, b = conv_inputs(seed, xs, ws)
    cp = {"stride": stride, "pad": pad}
    case = conv_case(xs, ws, stride, pad)
    rout, rcache = reference.layers.conv_forward_naive(x, w, b, dict(cp))
    dout = rng(seed + 1).standard_normal(rout.shape)
    expected = reference.layers.conv_backward_naive(dout, rcache)
    if edge:
        cache = forward_cache(submission, "conv_forward_naive", (x, w, b, dict(cp)),
                              (x, w, b, dict(cp)), case)
    else:
        _, cache = submission.layers.conv_forward_naive(x, w, b, dict(cp))
    grads = unpack(submission.layers.conv_backward_naive(dout, cache), 3,
                   what="conv_backward_naive", case=case, names="dx, dw, db")
    compare(grads, expected, ("dx", "dw", "db"), "conv_backward_naive", case, TOL_GRAD)


def _conv_backward_vs_reference(submission, reference, i, xs, ws, stride, pad):
    conv_backward_check(submission, reference, 640 + 2 * i, xs, ws, stride, pad)


(test_conv_backward_vs_reference_notebook, test_conv_backward_vs_reference_batch_of_one,
 test_conv_backward_vs_reference_non_square, test_conv_backward_vs_reference_stride_3,
 test_conv_backward_vs_reference_filters_1x1) = per_case(
    "conv_backward_naive", 0.6, "conv_backward_vs_reference", CONV_CASES,
    _conv_backward_vs_reference)


def _conv_backward_numeric(submission, reference, i, xs, ws, stride, pad):
    x, w, b = conv_inputs(680 + i, xs, ws)
    cp = {"stride": stride, "pad": pad}
    case = conv_case(xs, ws, stride, pad)
    f = reference.layers.conv_forward_naive
    rout, _ = f(x, w, b, dict(cp))
    dout = rng(690 + i).standard_normal(rout.shape)
    nums = (
        numeric_gradient(lambda v: f(v, w, b, dict(cp))[0], x, dout),
        numeric_gradient(lambda v: f(x, v, b, dict(cp))[0], w, dout),
        numeric_gradient(lambda v: f(x, w, v, dict(cp))[0], b, dout),
    )
    _, cache = submission.layers.conv_forward_naive(x, w, b, dict(cp))
    grads = unpack(submission.layers.conv_backward_naive(dout, cache), 3,
                   what="conv_backward_naive", case=case)
    for name, got, num in zip(("dx", "dw", "db"), grads, nums):
        assert_close(got, num, what=f"conv_backward_naive's {name}", case=case,
                     tol=TOL_NUMERIC, against="a numeric gradient")


(test_conv_backward_numeric, test_conv_backward_numeric_stride_1) = per_case(
    "conv_backward_naive", 1, "conv_backward", CONV_NUMERIC_CASES, _conv_backward_numeric)


@pytest.mark.grade("conv_backward_naive", points=CONV_EDGE_POINTS)
def test_conv_backward_no_padding(submission, reference):
    with edge_case("conv_backward_naive", "no padding (pad = 0)", CONV_BACKWARD_RULE):
        conv_backward_check(submission, reference, 670, *CONV_NO_PADDING, edge=True)


@pytest.mark.grade("conv_backward_naive", points=CONV_EDGE_POINTS)
def test_conv_backward_stride_not_dividing(submission, reference):
    with edge_case("conv_backward_naive", "a stride that does not divide", CONV_BACKWARD_RULE):
        conv_backward_check(submission, reference, 675, *CONV_STRIDE_NOT_DIVIDING, edge=True)


@pytest.mark.grade("conv_backward_naive", points=CONV_EDGE_POINTS)
def test_conv_backward_keeps_inputs(submission, reference):
    xs, ws, stride, pad = (2, 2, 5, 5), (3, 2, 3, 3), 2, 1
    x, w, b = conv_inputs(695, xs, ws)
    cp = {"stride": stride, "pad": pad}
    case = conv_case(xs, ws, stride, pad)
    rout, rcache = reference.layers.conv_forward_naive(x, w, b, dict(cp))
    dout = rng(696).standard_normal(rout.shape)
    expected = reference.layers.conv_backward_naive(dout, rcache)
    _, cache = submission.layers.conv_forward_naive(x, w, b, dict(cp))
    with edge_case("conv_backward_naive", "inputs left unmodified", NO_IN_PLACE):
        backward_keeps_inputs(submission, "conv_backward_naive", dout, cache, case, expected,
                              ("dx", "dw", "db"))


# ---------------------------------------------------------------------------
# max pooling (naive)
# ---------------------------------------------------------------------------

# main cases: pooling regions that do not overlap, strides that divide H - pool_height and
# W - pool_width; (x shape, pool_height, pool_width, stride)
POOL_CASES = {
    "notebook": ((2, 3, 4, 4), 2, 2, 2),                  # the notebook's case
    "pools_3x3": ((1, 2, 6, 6), 3, 3, 3),                 # batch of 1
    "non_square_pools": ((2, 1, 6, 5), 2, 1, 2),
    "stride_larger_than_pool": ((3, 2, 8, 8), 2, 2, 3),
}
POOL_NUMERIC = ((2, 2, 5, 6), 2, 3, 3)
# edge cases
POOL_OVERLAPPING = ((2, 3, 7, 7), 3, 3, 2)                # 3x3 pools with stride 2
POOL_STRIDE_NOT_DIVIDING = ((2, 2, 5, 7), 2, 2, 2)        # 5 - 2 and 7 - 2 are odd
POOL_EDGE_POINTS = 0.45

POOL_OVERLAP_RULE = ("Pooling regions may overlap (a stride smaller than the pool, e.g. 3x3 pools "
                     "with stride 2).")
POOL_STRIDE_RULE = ("The stride need not divide H - pool_height (or W - pool_width): H' and W' "
                    "round down, and rows and columns past the last whole region are not used.")
POOL_BACKWARD_OVERLAP_RULE = (
    "Pooling regions may overlap (a stride smaller than the pool, e.g. 3x3 pools with stride 2): "
    "an input that is the maximum of several regions gets the sum of their upstream derivatives.")
POOL_BACKWARD_STRIDE_RULE = ("The stride need not divide H - pool_height: inputs past the last "
                             "whole region get a zero derivative.")
POOL_TIES_RULE = ("When several inputs of a pooling region share the maximum, the whole upstream "
                  "derivative goes to the first of them (in row-major order).")


def pool_case(xs, ph, pw, s):
    return f"x of shape {xs}, {ph}x{pw} pools with stride {s}"


def pool_forward_check(submission, reference, x, ph, pw, s):
    pp = {"pool_height": ph, "pool_width": pw, "stride": s}
    case = pool_case(x.shape, ph, pw, s)
    expected, _ = reference.layers.max_pool_forward_naive(x, dict(pp))
    out, _ = unpack(submission.layers.max_pool_forward_naive(x, dict(pp)), 2,
                    what="max_pool_forward_naive", case=case, names="out, cache")
    assert_close(out, expected, what="max_pool_forward_naive's out", case=case, tol=TOL_VALUE)


def overlapping_input(seed, xs):
    """Continuous values, and in every channel one large input at row 2, column 2: with 3x3
    pools and stride 2 it is the maximum of the four regions that share it."""
    x = rng(seed).standard_normal(xs)
    x[:, :, 2, 2] = 5.0 + rng(seed + 1).random(xs[:2])
    return x


def _max_pool_forward_values(submission, reference, i, xs, ph, pw, s):
    pool_forward_check(submission, reference, rng(700 + i).standard_normal(xs), ph, pw, s)


(test_max_pool_forward_values_notebook, test_max_pool_forward_values_pools_3x3,
 test_max_pool_forward_values_non_square_pools,
 test_max_pool_forward_values_stride_larger_than_pool) = per_case(
    "max_pool_forward_naive", 0.75, "max_pool_forward_values", POOL_CASES,
    _max_pool_forward_values)


@pytest.mark.grade("max_pool_forward_naive", points=POOL_EDGE_POINTS)
def test_max_pool_forward_overlapping_windows(submission, reference):
    xs, ph, pw, s = POOL_OVERLAPPING
    with edge_case("max_pool_forward_naive", "overlapping pooling regions", POOL_OVERLAP_RULE):
        pool_forward_check(submission, reference, overlapping_input(710, xs), ph, pw, s)


@pytest.mark.grade("max_pool_forward_naive", points=POOL_EDGE_POINTS)
def test_max_pool_forward_stride_not_dividing(submission, reference):
    xs, ph, pw, s = POOL_STRIDE_NOT_DIVIDING
    with edge_case("max_pool_forward_naive", "a stride that does not divide", POOL_STRIDE_RULE):
        pool_forward_check(submission, reference, rng(712).standard_normal(xs), ph, pw, s)


@pytest.mark.grade("max_pool_forward_naive", points=POOL_EDGE_POINTS)
def test_max_pool_forward_keeps_inputs(submission, reference):
    x = rng(714).standard_normal((2, 2, 4, 4))
    pp = {"pool_height": 2, "pool_width": 2, "stride": 2}
    case = pool_case((2, 2, 4, 4), 2, 2, 2)
    expected, _ = reference.layers.max_pool_forward_naive(x, dict(pp))
    with edge_case("max_pool_forward_naive", "inputs left unmodified", NO_IN_PLACE):
        result = submission.layers.max_pool_forward_naive(x, dict(pp))
        kept(submission, "max_pool_forward_naive", ("x",), case)
        out, _ = unpack(result, 2, what="max_pool_forward_naive", case=case, names="out, cache")
        assert_close(out, expected, what="max_pool_forward_naive's out", case=case,
                     tol=TOL_VALUE)


def pool_backward_check(submission, reference, x, ph, pw, s, seed, edge=False):
    """The student's dx against the reference's (continuous values: no ties). For an edge
    case (``edge``) the cache comes from ``forward_cache``."""
    pp = {"pool_height": ph, "pool_width": pw, "stride": s}
    case = pool_case(x.shape, ph, pw, s)
    rout, rcache = reference.layers.max_pool_forward_naive(x, dict(pp))
    dout = rng(seed).standard_normal(rout.shape)
    expected = reference.layers.max_pool_backward_naive(dout, rcache)
    if edge:
        cache = forward_cache(submission, "max_pool_forward_naive", (x, dict(pp)), (x, dict(pp)),
                              case)
    else:
        _, cache = submission.layers.max_pool_forward_naive(x, dict(pp))
    dx = submission.layers.max_pool_backward_naive(dout, cache)
    assert_close(dx, expected, what="max_pool_backward_naive's dx", case=case, tol=TOL_GRAD)


def _max_pool_backward_vs_reference(submission, reference, i, xs, ph, pw, s):
    pool_backward_check(submission, reference, rng(720 + i).standard_normal(xs), ph, pw, s,
                        740 + i)


(test_max_pool_backward_vs_reference_notebook, test_max_pool_backward_vs_reference_pools_3x3,
 test_max_pool_backward_vs_reference_non_square_pools,
 test_max_pool_backward_vs_reference_stride_larger_than_pool) = per_case(
    "max_pool_backward_naive", 0.75, "max_pool_backward_vs_reference", POOL_CASES,
    _max_pool_backward_vs_reference)


@pytest.mark.grade("max_pool_backward_naive", points=1)
def test_max_pool_backward_numeric(submission, reference):
    xs, ph, pw, s = POOL_NUMERIC
    x = rng(760).permutation(int(np.prod(xs))).reshape(xs) * 0.1  # distinct values
    pp = {"pool_height": ph, "pool_width": pw, "stride": s}
    case = pool_case(xs, ph, pw, s)
    rout, _ = reference.layers.max_pool_forward_naive(x, dict(pp))
    dout = rng(761).standard_normal(rout.shape)
    num = numeric_gradient(lambda v: reference.layers.max_pool_forward_naive(v, dict(pp))[0],
                           x, dout)
    _, cache = submission.layers.max_pool_forward_naive(x, dict(pp))
    dx = submission.layers.max_pool_backward_naive(dout, cache)
    assert_close(dx, num, what="max_pool_backward_naive's dx", case=case, tol=TOL_NUMERIC,
                 against="a numeric gradient")


@pytest.mark.grade("max_pool_backward_naive", points=POOL_EDGE_POINTS)
def test_max_pool_backward_overlapping_windows(submission, reference):
    xs, ph, pw, s = POOL_OVERLAPPING
    with edge_case("max_pool_backward_naive", "overlapping pooling regions",
                   POOL_BACKWARD_OVERLAP_RULE):
        pool_backward_check(submission, reference, overlapping_input(750, xs), ph, pw, s, 752,
                            edge=True)


@pytest.mark.grade("max_pool_backward_naive", points=POOL_EDGE_POINTS)
def test_max_pool_backward_stride_not_dividing(submission, reference):
    xs, ph, pw, s = POOL_STRIDE_NOT_DIVIDING
    with edge_case("max_pool_backward_naive", "a stride that does not divide",
                   POOL_BACKWARD_STRIDE_RULE):
        pool_backward_check(submission, reference, rng(754).standard_normal(xs), ph, pw, s, 755,
                            edge=True)


@pytest.mark.grade("max_pool_backward_naive", points=POOL_EDGE_POINTS)
def test_max_pool_backward_ties(submission):
    """With ties, each window's upstream derivative goes to ONE of its maxima
    (the docstring says the first): the total per window is conserved."""
    x = rng(770).integers(0, 2, size=(2, 3, 4, 4)).astype(np.float64)  # many ties
    pp = {"pool_height": 2, "pool_width": 2, "stride": 2}
    case = "2x2 pools with stride 2 over inputs with tied maxima"
    dout = rng(771).standard_normal((2, 3, 2, 2))
    with edge_case("max_pool_backward_naive", "tied maxima", POOL_TIES_RULE):
        _, cache = submission.layers.max_pool_forward_naive(x, dict(pp))
        dx = as_array(submission.layers.max_pool_backward_naive(dout, cache),
                      what="max_pool_backward_naive's dx", case=case, shape=x.shape)
        window_sums = dx.reshape(2, 3, 2, 2, 2, 2).sum(axis=(3, 5))
        assert_close(window_sums, dout,
                     what="the sum of max_pool_backward_naive's dx over each window",
                     case=case, tol=1e-9,
                     against="dout (route each window's derivative to one maximum, not to every tie)")
        window_max = x.reshape(2, 3, 2, 2, 2, 2).max(axis=(3, 5), keepdims=True)
        at_max = (x.reshape(2, 3, 2, 2, 2, 2) == window_max).reshape(x.shape)
        assert_true(np.all(dx[~at_max] == 0),
                    f"max_pool_backward_naive sends derivative to inputs that are not the maximum "
                    f"of their window for {case}.")


@pytest.mark.grade("max_pool_backward_naive", points=POOL_EDGE_POINTS)
def test_max_pool_backward_keeps_inputs(submission, reference):
    x = rng(780).standard_normal((2, 2, 4, 4))
    pp = {"pool_height": 2, "pool_width": 2, "stride": 2}
    case = pool_case((2, 2, 4, 4), 2, 2, 2)
    rout, rcache = reference.layers.max_pool_forward_naive(x, dict(pp))
    dout = rng(781).standard_normal(rout.shape)
    expected = (reference.layers.max_pool_backward_naive(dout, rcache),)
    _, cache = submission.layers.max_pool_forward_naive(x, dict(pp))
    with edge_case("max_pool_backward_naive", "inputs left unmodified", NO_IN_PLACE):
        backward_keeps_inputs(submission, "max_pool_backward_naive", dout, cache, case, expected,
                              ("dx",))

# ---------------------------------------------------------------------------
# spatial batch normalization
# ---------------------------------------------------------------------------

SBN_CASES = {"2_examples": ((2, 3, 4, 5),), "10_examples": ((10, 4, 3, 3),),
             "one_example": ((1, 2, 6, 4),)}


def sbn_inputs(seed, shape):
    r = rng(seed)
    C = shape[1]
    x = 4.0 + 2.0 * r.standard_normal(shape) + np.arange(C)[None, :, None, None]
    return x, 0.5 + r.random(C), r.standard_normal(C)


def _spatial_batchnorm_forward_train(submission, reference, i, s):
    x, gamma, beta = sbn_inputs(800 + i, s)
    case = f"train mode, x of shape {s}"
    expected, _ = reference.layers.spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    out, _ = unpack(submission.layers.spatial_batchnorm_forward(x, gamma, beta,
                                                                {"mode": "train"}),
                    2, what="spatial_batchnorm_forward", case=case, names="out, cache")
    assert_close(out, expected, what="spatial_batchnorm_forward's out", case=case,
                 tol=TOL_VALUE)


(test_spatial_batchnorm_forward_train_2_examples,
 test_spatial_batchnorm_forward_train_10_examples,
 test_spatial_batchnorm_forward_train_one_example) = per_case(
    "spatial_batchnorm_forward", 1, "spatial_batchnorm_forward_train", SBN_CASES,
    _spatial_batchnorm_forward_train)


@pytest.mark.grade("spatial_batchnorm_forward", points=2)
def test_spatial_batchnorm_forward_running_stats(submission, reference):
    s = (4, 3, 3, 2)
    bn = {"mode": "train", "momentum": 0.7}
    rbn = {"mode": "train", "momentum": 0.7}
    for step in range(3):
        x, gamma, beta = sbn_inputs(820 + step, s)
        reference.layers.spatial_batchnorm_forward(x, gamma, beta, rbn)
        submission.layers.spatial_batchnorm_forward(x, gamma, beta, bn)
    bn["mode"] = rbn["mode"] = "test"
    x, gamma, beta = sbn_inputs(830, (2, 3, 4, 4))
    case = "test mode after 3 train steps with momentum 0.7"
    expected, _ = reference.layers.spatial_batchnorm_forward(x, gamma, beta, rbn)
    out, _ = unpack(submission.layers.spatial_batchnorm_forward(x, gamma, beta, bn), 2,
                    what="spatial_batchnorm_forward", case=case)
    assert_close(out, expected, what="spatial_batchnorm_forward's out", case=case, tol=TOL_VALUE)


@pytest.mark.grade("spatial_batchnorm_forward", points=1)
def test_spatial_batchnorm_forward_keeps_inputs(submission, reference):
    s = (3, 2, 3, 4)
    x, gamma, beta = sbn_inputs(835, s)
    case = f"train mode, x of shape {s}"
    expected, _ = reference.layers.spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    with edge_case("spatial_batchnorm_forward", "inputs left unmodified", NO_IN_PLACE):
        result = submission.layers.spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
        kept(submission, "spatial_batchnorm_forward", ("x", "gamma", "beta"), case)
        out, _ = unpack(result, 2, what="spatial_batchnorm_forward", case=case,
                        names="out, cache")
        assert_close(out, expected, what="spatial_batchnorm_forward's out", case=case,
                     tol=TOL_VALUE)


def _spatial_batchnorm_backward_vs_reference(submission, reference, i, s):
    x, gamma, beta = sbn_inputs(840 + i, s)
    dout = rng(850 + i).standard_normal(s)
    case = f"x of shape {s}"
    _, rcache = reference.layers.spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    expected = reference.layers.spatial_batchnorm_backward(dout, rcache)
    _, cache = submission.layers.spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    grads = unpack(submission.layers.spatial_batchnorm_backward(dout, cache), 3,
                   what="spatial_batchnorm_backward", case=case, names="dx, dgamma, dbeta")
    compare(grads, expected, ("dx", "dgamma", "dbeta"), "spatial_batchnorm_backward", case,
            TOL_GRAD)


(test_spatial_batchnorm_backward_vs_reference_2_examples,
 test_spatial_batchnorm_backward_vs_reference_10_examples,
 test_spatial_batchnorm_backward_vs_reference_one_example) = per_case(
    "spatial_batchnorm_backward", 1, "spatial_batchnorm_backward_vs_reference", SBN_CASES,
    _spatial_batchnorm_backward_vs_reference)


@pytest.mark.grade("spatial_batchnorm_backward", points=2)
def test_spatial_batchnorm_backward_numeric(submission, reference):
    s = (2, 3, 2, 3)
    x, gamma, beta = sbn_inputs(860, s)
    dout = rng(861).standard_normal(s)
    case = f"x of shape {s}"
    f = reference.layers.spatial_batchnorm_forward
    nums = (
        numeric_gradient(lambda v: f(v, gamma, beta, {"mode": "train"})[0], x, dout),
        numeric_gradient(lambda v: f(x, v, beta, {"mode": "train"})[0], gamma, dout),
        numeric_gradient(lambda v: f(x, gamma, v, {"mode": "train"})[0], beta, dout),
    )
    _, cache = submission.layers.spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    grads = unpack(submission.layers.spatial_batchnorm_backward(dout, cache), 3,
                   what="spatial_batchnorm_backward", case=case)
    for name, got, num in zip(("dx", "dgamma", "dbeta"), grads, nums):
        assert_close(got, num, what=f"spatial_batchnorm_backward's {name}", case=case,
                     tol=TOL_NUMERIC, against="a numeric gradient")


@pytest.mark.grade("spatial_batchnorm_backward", points=1)
def test_spatial_batchnorm_backward_keeps_inputs(submission, reference):
    s = (2, 3, 3, 2)
    x, gamma, beta = sbn_inputs(870, s)
    dout = rng(871).standard_normal(s)
    case = f"x of shape {s}"
    _, rcache = reference.layers.spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    expected = reference.layers.spatial_batchnorm_backward(dout, rcache)
    _, cache = submission.layers.spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    with edge_case("spatial_batchnorm_backward", "inputs left unmodified", NO_IN_PLACE):
        backward_keeps_inputs(submission, "spatial_batchnorm_backward", dout, cache, case,
                              expected, ("dx", "dgamma", "dbeta"))


# ---------------------------------------------------------------------------
# spatial group normalization
# ---------------------------------------------------------------------------

# (x shape, G)
GN_CASES = {"two_groups": ((2, 6, 4, 5), 2), "one_channel_a_group": ((3, 4, 2, 2), 4),
            "one_group": ((1, 6, 3, 3), 1), "three_groups": ((2, 6, 3, 2), 3)}


def gn_inputs(seed, shape):
    r = rng(seed)
    C = shape[1]
    x = 3.0 + 2.0 * r.standard_normal(shape) + np.arange(C)[None, :, None, None]
    return x, (0.5 + r.random(C)).reshape(1, C, 1, 1), r.standard_normal(C).reshape(1, C, 1, 1)


def _spatial_groupnorm_forward_values(submission, reference, i, s, G):
    x, gamma, beta = gn_inputs(900 + i, s)
    case = f"x of shape {s}, G={G}"
    expected, _ = reference.layers.spatial_groupnorm_forward(x, gamma, beta, G, {})
    out, _ = unpack(submission.layers.spatial_groupnorm_forward(x, gamma, beta, G, {}), 2,
                    what="spatial_groupnorm_forward", case=case, names="out, cache")
    assert_close(out, expected, what="spatial_groupnorm_forward's out", case=case,
                 tol=TOL_VALUE)


(test_spatial_groupnorm_forward_values_two_groups,
 test_spatial_groupnorm_forward_values_one_channel_a_group,
 test_spatial_groupnorm_forward_values_one_group,
 test_spatial_groupnorm_forward_values_three_groups) = per_case(
    "spatial_groupnorm_forward", 0.75, "spatial_groupnorm_forward_values", GN_CASES,
    _spatial_groupnorm_forward_values)


@pytest.mark.grade("spatial_groupnorm_forward", points=1)
def test_spatial_groupnorm_forward_keeps_inputs(submission, reference):
    s, G = (2, 4, 3, 3), 2
    x, gamma, beta = gn_inputs(910, s)
    case = f"x of shape {s}, G={G}"
    expected, _ = reference.layers.spatial_groupnorm_forward(x, gamma, beta, G, {})
    with edge_case("spatial_groupnorm_forward", "inputs left unmodified", NO_IN_PLACE):
        result = submission.layers.spatial_groupnorm_forward(x, gamma, beta, G, {})
        kept(submission, "spatial_groupnorm_forward", ("x", "gamma", "beta"), case)
        out, _ = unpack(result, 2, what="spatial_groupnorm_forward", case=case,
                        names="out, cache")
        assert_close(out, expected, what="spatial_groupnorm_forward's out", case=case,
                     tol=TOL_VALUE)


def _spatial_groupnorm_backward_vs_reference(submission, reference, i, s, G):
    x, gamma, beta = gn_inputs(920 + i, s)
    dout = rng(930 + i).standard_normal(s)
    case = f"x of shape {s}, G={G}"
    _, rcache = reference.layers.spatial_groupnorm_forward(x, gamma, beta, G, {})
    expected = reference.layers.spatial_groupnorm_backward(dout, rcache)
    _, cache = submission.layers.spatial_groupnorm_forward(x, gamma, beta, G, {})
    grads = unpack(submission.layers.spatial_groupnorm_backward(dout, cache), 3,
                   what="spatial_groupnorm_backward", case=case, names="dx, dgamma, dbeta")
    compare(grads, expected, ("dx", "dgamma", "dbeta"), "spatial_groupnorm_backward", case,
            TOL_GRAD)


(test_spatial_groupnorm_backward_vs_reference_two_groups,
 test_spatial_groupnorm_backward_vs_reference_one_channel_a_group,
 test_spatial_groupnorm_backward_vs_reference_one_group,
 test_spatial_groupnorm_backward_vs_reference_three_groups) = per_case(
    "spatial_groupnorm_backward", 0.75, "spatial_groupnorm_backward_vs_reference", GN_CASES,
    _spatial_groupnorm_backward_vs_reference)


@pytest.mark.grade("spatial_groupnorm_backward", points=2)
def test_spatial_groupnorm_backward_numeric(submission, reference):
    s, G = (2, 4, 2, 3), 2
    x, gamma, beta = gn_inputs(940, s)
    dout = rng(941).standard_normal(s)
    case = f"x of shape {s}, G={G}"
    f = reference.layers.spatial_groupnorm_forward
    nums = (
        numeric_gradient(lambda v: f(v, gamma, beta, G, {})[0], x, dout),
        numeric_gradient(lambda v: f(x, v, beta, G, {})[0], gamma, dout),
        numeric_gradient(lambda v: f(x, gamma, v, G, {})[0], beta, dout),
    )
    _, cache = submission.layers.spatial_groupnorm_forward(x, gamma, beta, G, {})
    grads = unpack(submission.layers.spatial_groupnorm_backward(dout, cache), 3,
                   what="spatial_groupnorm_backward", case=case)
    for name, got, num in zip(("dx", "dgamma", "dbeta"), grads, nums):
        assert_close(got, num, what=f"spatial_groupnorm_backward's {name}", case=case,
                     tol=TOL_NUMERIC, against="a numeric gradient")


@pytest.mark.grade("spatial_groupnorm_backward", points=1)
def test_spatial_groupnorm_backward_keeps_inputs(submission, reference):
    s, G = (2, 4, 3, 2), 2
    x, gamma, beta = gn_inputs(950, s)
    dout = rng(951).standard_normal(s)
    case = f"x of shape {s}, G={G}"
    _, rcache = reference.layers.spatial_groupnorm_forward(x, gamma, beta, G, {})
    expected = reference.layers.spatial_groupnorm_backward(dout, rcache)
    _, cache = submission.layers.spatial_groupnorm_forward(x, gamma, beta, G, {})
    with edge_case("spatial_groupnorm_backward", "inputs left unmodified", NO_IN_PLACE):
        backward_keeps_inputs(submission, "spatial_groupnorm_backward", dout, cache, case,
                              expected, ("dx", "dgamma", "dbeta"))


# every test is collected under the name it was made with
_cases.check_names(globals())
