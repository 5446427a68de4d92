"""Hidden tests for cs231n/layers.py.

Student code runs in the sandbox through the ``submission`` proxy; the
reference package (``reference``) and every judgement stay in this process.
Caches are never inspected for their layout: the student's forward cache goes
back, as it is, into the student's backward pass. Numeric gradients are
centred differences of the REFERENCE forward pass (trusted side), compared
with the student's analytic gradients.

Every expected value and numeric gradient is computed from the test's own
pristine arrays BEFORE the student's function runs, and dict arguments
(``conv_param``, ``bn_param`` ...) reach the student as separate copies, so
nothing a student's call does can move what it is compared with. Whether a
call changed its inputs in place is read from the proxy's ``last_modified``
(what the worker saw), and a backward pass's cache is kept in the worker and
fetched before and after the call.
"""
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
from autograder.sandbox.proxy import RemoteRef

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
# affine
# ---------------------------------------------------------------------------

AFFINE_CASES = [((2, 4, 5, 6), 3), ((1, 7), 5), ((3, 2, 3), 1), ((5, 10), 4)]


def affine_inputs(seed, xshape, M):
    r = rng(seed)
    D = int(np.prod(xshape[1:]))
    return r.standard_normal(xshape), r.standard_normal((D, M)), r.standard_normal(M)


@pytest.mark.grade("affine_forward", points=3)
def test_affine_forward_values(submission, reference):
    for i, (xshape, M) in enumerate(AFFINE_CASES):
        x, w, b = affine_inputs(i, xshape, M)
        case = f"x of shape {shp(x)}, w of shape {shp(w)}"
        expected, _ = reference.layers.affine_forward(x, w, b)
        out, _ = unpack(submission.layers.affine_forward(x, w, b), 2,
                        what="affine_forward", case=case, names="out, cache")
        assert_close(out, expected, what="affine_forward's out", case=case, tol=TOL_VALUE)


@pytest.mark.grade("affine_forward", points=1)
def test_affine_forward_keeps_inputs(submission, reference):
    x, w, b = affine_inputs(10, (2, 3, 4), 5)
    case = "x of shape (2, 3, 4)"
    expected, _ = reference.layers.affine_forward(x, w, b)
    result = submission.layers.affine_forward(x, w, b)
    kept(submission, "affine_forward", ("x", "w", "b"), case)
    out, _ = unpack(result, 2, what="affine_forward", case=case, names="out, cache")
    assert_close(out, expected, what="affine_forward's out", case=case, tol=TOL_VALUE)


@pytest.mark.grade("affine_backward", points=3)
def test_affine_backward_vs_reference(submission, reference):
    for i, (xshape, M) in enumerate(AFFINE_CASES):
        x, w, b = affine_inputs(20 + i, xshape, M)
        dout = rng(30 + i).standard_normal((xshape[0], M))
        case = f"x of shape {shp(x)}, w of shape {shp(w)}"
        _, rcache = reference.layers.affine_forward(x, w, b)
        expected = reference.layers.affine_backward(dout, rcache)
        _, cache = submission.layers.affine_forward(x, w, b)
        grads = unpack(submission.layers.affine_backward(dout, cache), 3,
                       what="affine_backward", case=case, names="dx, dw, db")
        compare(grads, expected, ("dx", "dw", "db"), "affine_backward", case, TOL_GRAD)


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
    backward_keeps_inputs(submission, "affine_backward", dout, cache, case, expected,
                          ("dx", "dw", "db"))


# ---------------------------------------------------------------------------
# ReLU
# ---------------------------------------------------------------------------

RELU_SHAPES = [(3, 4), (2, 3, 4, 5), (1, 6), (7,)]


@pytest.mark.grade("relu_forward", points=3)
def test_relu_forward_values(submission, reference):
    for i, s in enumerate(RELU_SHAPES):
        x = rng(50 + i).standard_normal(s)
        x.flat[0] = 0.0  # exact zero stays zero
        case = f"x of shape {shp(x)}"
        expected = reference.layers.relu_forward(x)[0]
        out, _ = unpack(submission.layers.relu_forward(x), 2, what="relu_forward", case=case,
                        names="out, cache")
        assert_close(out, expected, what="relu_forward's out", case=case, tol=TOL_VALUE)


@pytest.mark.grade("relu_forward", points=1)
def test_relu_forward_dtype_and_inputs(submission, reference):
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


@pytest.mark.grade("relu_backward", points=3)
def test_relu_backward_vs_reference(submission, reference):
    for i, s in enumerate(RELU_SHAPES):
        x = away_from(rng(70 + i).standard_normal(s))
        dout = rng(80 + i).standard_normal(s)
        case = f"x of shape {shp(x)}"
        expected = reference.layers.relu_backward(dout, reference.layers.relu_forward(x)[1])
        _, cache = submission.layers.relu_forward(x)
        dx = submission.layers.relu_backward(dout, cache)
        assert_close(dx, expected, what="relu_backward's dx", case=case, tol=TOL_GRAD)


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
    backward_keeps_inputs(submission, "relu_backward", dout, cache, case, expected, ("dx",))


# ---------------------------------------------------------------------------
# loss functions
# ---------------------------------------------------------------------------

LOSS_CASES = [(50, 10, 1.0), (1, 5, 1.0), (7, 3, 3.0), (20, 10, 0.001)]


def loss_inputs(seed, N, C, scale):
    r = rng(seed)
    return scale * r.standard_normal((N, C)), r.integers(0, C, size=N)


@pytest.mark.grade("softmax_loss", points=3)
def test_softmax_loss_vs_reference(submission, reference):
    for i, (N, C, scale) in enumerate(LOSS_CASES):
        x, y = loss_inputs(100 + i, N, C, scale)
        case = f"x of shape {shp(x)} (scores of size ~{scale:g})"
        rloss, rdx = reference.layers.softmax_loss(x, y)
        loss, dx = unpack(submission.layers.softmax_loss(x, y), 2, what="softmax_loss",
                          case=case, names="loss, dx")
        assert_close(loss, rloss, what="softmax_loss's loss", case=case, tol=TOL_VALUE)
        assert_close(dx, rdx, what="softmax_loss's dx", case=case, tol=TOL_GRAD)


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
    x, y = loss_inputs(120, 8, 5, 1.0)
    x = x * 1000.0 + 500.0
    case = "scores of size ~1000 (numerical stability)"
    rloss, rdx = reference.layers.softmax_loss(x, y)
    loss, dx = unpack(submission.layers.softmax_loss(x, y), 2, what="softmax_loss", case=case)
    assert_close(loss, rloss, what="softmax_loss's loss", case=case, tol=TOL_VALUE)
    assert_close(dx, rdx, what="softmax_loss's dx", case=case, tol=TOL_GRAD)


@pytest.mark.grade("softmax_loss", points=1)
def test_softmax_loss_keeps_inputs(submission, reference):
    x, y = loss_inputs(130, 5, 4, 2.0)
    case = "x of shape (5, 4)"
    rloss, rdx = reference.layers.softmax_loss(x, y)
    result = submission.layers.softmax_loss(x, y)
    kept(submission, "softmax_loss", ("x", "y"), case)
    loss, dx = unpack(result, 2, what="softmax_loss", case=case, names="loss, dx")
    assert_close(loss, rloss, what="softmax_loss's loss", case=case, tol=TOL_VALUE)
    assert_close(dx, rdx, what="softmax_loss's dx", case=case, tol=TOL_GRAD)


@pytest.mark.grade("svm_loss", points=3)
def test_svm_loss_vs_reference(submission, reference):
    for i, (N, C, scale) in enumerate(LOSS_CASES):
        x, y = loss_inputs(140 + i, N, C, scale)
        case = f"x of shape {shp(x)} (scores of size ~{scale:g})"
        rloss, rdx = reference.layers.svm_loss(x, y)
        loss, dx = unpack(submission.layers.svm_loss(x, y), 2, what="svm_loss", case=case,
                          names="loss, dx")
        assert_close(loss, rloss, what="svm_loss's loss", case=case, tol=TOL_VALUE)
        assert_close(dx, rdx, what="svm_loss's dx", case=case, tol=TOL_GRAD)


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
    x, y = loss_inputs(160, 5, 4, 2.0)
    case = "x of shape (5, 4)"
    rloss, rdx = reference.layers.svm_loss(x, y)
    result = submission.layers.svm_loss(x, y)
    kept(submission, "svm_loss", ("x", "y"), case)
    loss, dx = unpack(result, 2, what="svm_loss", case=case, names="loss, dx")
    assert_close(loss, rloss, what="svm_loss's loss", case=case, tol=TOL_VALUE)
    assert_close(dx, rdx, what="svm_loss's dx", case=case, tol=TOL_GRAD)


# ---------------------------------------------------------------------------
# batch normalization
# ---------------------------------------------------------------------------

BN_CASES = [(200, 3, 1.0), (4, 5, 1.0), (10, 1, 1.0), (64, 6, 1e-3)]


def bn_inputs(seed, N, D, scale=1.0):
    r = rng(seed)
    x = scale * (5.0 + 3.0 * r.standard_normal((N, D)))
    gamma = 0.5 + r.random(D)
    beta = r.standard_normal(D)
    return x, gamma, beta


@pytest.mark.grade("batchnorm_forward", points=3)
def test_batchnorm_forward_train_values(submission, reference):
    for i, (N, D, scale) in enumerate(BN_CASES):
        x, gamma, beta = bn_inputs(200 + i, N, D, scale)
        case = f"train mode, x of shape {shp(x)}"
        expected, _ = reference.layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})
        out, _ = unpack(submission.layers.batchnorm_forward(x, gamma, beta, {"mode": "train"}),
                        2, what="batchnorm_forward", case=case, names="out, cache")
        assert_close(out, expected, what="batchnorm_forward's out", case=case, tol=TOL_VALUE)


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


@pytest.mark.grade("batchnorm_forward", points=1)
def test_batchnorm_forward_keeps_inputs(submission, reference):
    x, gamma, beta = bn_inputs(250, 8, 3)
    for mode in ("train", "test"):
        case = f"{mode} mode, x of shape (8, 3)"
        params = {"mode": mode, "running_mean": np.full(3, 4.0), "running_var": np.full(3, 9.0)}
        expected, _ = reference.layers.batchnorm_forward(
            x, gamma, beta, {k: (v.copy() if isinstance(v, np.ndarray) else v)
                             for k, v in params.items()})
        result = submission.layers.batchnorm_forward(x, gamma, beta, params)
        kept(submission, "batchnorm_forward", ("x", "gamma", "beta"), case)
        out, _ = unpack(result, 2, what="batchnorm_forward", case=case, names="out, cache")
        assert_close(out, expected, what="batchnorm_forward's out", case=case, tol=TOL_VALUE)


def _check_bn_backward(submission, reference, fname, seed):
    f_student = getattr(submission.layers, fname)
    for i, (N, D, scale) in enumerate(BN_CASES[:3]):
        x, gamma, beta = bn_inputs(seed + i, N, D, scale)
        dout = rng(seed + 10 + i).standard_normal((N, D))
        case = f"x of shape {shp(x)}"
        _, rcache = reference.layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})
        expected = reference.layers.batchnorm_backward(dout, rcache)
        _, cache = submission.layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})
        grads = unpack(f_student(dout, cache), 3, what=fname, case=case,
                       names="dx, dgamma, dbeta")
        compare(grads, expected, ("dx", "dgamma", "dbeta"), fname, case, TOL_GRAD)


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
    backward_keeps_inputs(submission, fname, dout, cache, case, expected,
                          ("dx", "dgamma", "dbeta"))


@pytest.mark.grade("batchnorm_backward", points=3)
def test_batchnorm_backward_vs_reference(submission, reference):
    _check_bn_backward(submission, reference, "batchnorm_backward", 300)


@pytest.mark.grade("batchnorm_backward", points=2)
def test_batchnorm_backward_numeric(submission, reference):
    _check_bn_numeric(submission, reference, "batchnorm_backward", 320)


@pytest.mark.grade("batchnorm_backward", points=1)
def test_batchnorm_backward_keeps_inputs(submission, reference):
    _check_bn_backward_keeps(submission, reference, "batchnorm_backward", 330)


@pytest.mark.grade("batchnorm_backward_alt", points=3)
def test_batchnorm_backward_alt_vs_reference(submission, reference):
    _check_bn_backward(submission, reference, "batchnorm_backward_alt", 340)


@pytest.mark.grade("batchnorm_backward_alt", points=2)
def test_batchnorm_backward_alt_numeric(submission, reference):
    _check_bn_numeric(submission, reference, "batchnorm_backward_alt", 360)


@pytest.mark.grade("batchnorm_backward_alt", points=1)
def test_batchnorm_backward_alt_keeps_inputs(submission, reference):
    _check_bn_backward_keeps(submission, reference, "batchnorm_backward_alt", 370)


# ---------------------------------------------------------------------------
# layer normalization
# ---------------------------------------------------------------------------

LN_CASES = [(4, 5), (1, 8), (30, 3), (2, 1)]


@pytest.mark.grade("layernorm_forward", points=3)
def test_layernorm_forward_values(submission, reference):
    for i, (N, D) in enumerate(LN_CASES):
        x, gamma, beta = bn_inputs(400 + i, N, D)
        x = x * (1.0 + np.arange(N))[:, None]  # rows with different scales
        case = f"x of shape {shp(x)}"
        expected, _ = reference.layers.layernorm_forward(x, gamma, beta, {})
        out, _ = unpack(submission.layers.layernorm_forward(x, gamma, beta, {}), 2,
                        what="layernorm_forward", case=case, names="out, cache")
        assert_close(out, expected, what="layernorm_forward's out", case=case, tol=TOL_VALUE)


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
    result = submission.layers.layernorm_forward(x, gamma, beta, {})
    kept(submission, "layernorm_forward", ("x", "gamma", "beta"), case)
    out, _ = unpack(result, 2, what="layernorm_forward", case=case, names="out, cache")
    assert_close(out, expected, what="layernorm_forward's out", case=case, tol=TOL_VALUE)


@pytest.mark.grade("layernorm_backward", points=3)
def test_layernorm_backward_vs_reference(submission, reference):
    for i, (N, D) in enumerate(LN_CASES[:3]):
        x, gamma, beta = bn_inputs(420 + i, N, D)
        dout = rng(430 + i).standard_normal((N, D))
        case = f"x of shape {shp(x)}"
        _, rcache = reference.layers.layernorm_forward(x, gamma, beta, {})
        expected = reference.layers.layernorm_backward(dout, rcache)
        _, cache = submission.layers.layernorm_forward(x, gamma, beta, {})
        grads = unpack(submission.layers.layernorm_backward(dout, cache), 3,
                       what="layernorm_backward", case=case, names="dx, dgamma, dbeta")
        compare(grads, expected, ("dx", "dgamma", "dbeta"), "layernorm_backward", case,
                TOL_GRAD)


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


@pytest.mark.grade("dropout_forward", points=3)
def test_dropout_forward_keep_probability(submission):
    """p is the probability of KEEPING a unit; kept units are scaled by 1/p."""
    x = 2.0 + rng(500).random((400, 250))  # all entries in [2, 3): never zero
    for p in (0.25, 0.4, 0.7):
        case = f"train mode, p={p}, x of shape (400, 250)"
        out, _ = _dropout_train(submission, x, p, case)
        # 100,000 Bernoulli draws: the standard error of the kept fraction is < 0.0016
        _assert_inverted_dropout(out, x, p, case)
        assert_true(abs(out.mean() / x.mean() - 1.0) < 0.03,
                    f"the mean of dropout_forward's out is {out.mean():.3f} for {case}; expected "
                    f"about the mean of x, {x.mean():.3f} (inverted dropout keeps the expectation).")


@pytest.mark.grade("dropout_forward", points=1)
def test_dropout_forward_test_mode(submission):
    x = rng(510).standard_normal((50, 40))
    for p in (0.3, 0.8):
        case = f"test mode, p={p}"
        out, _ = unpack(submission.layers.dropout_forward(x, {"mode": "test", "p": p}), 2,
                        what="dropout_forward", case=case)
        assert_close(out, x, what="dropout_forward's out", case=case, tol=0,
                     against="the input x (test mode is the identity)")


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
    result = submission.layers.dropout_forward(x, {"mode": "train", "p": 0.6})
    kept(submission, "dropout_forward", ("x",), case)
    out, _ = unpack(result, 2, what="dropout_forward", case=case, names="out, cache")
    out = as_array(out, what="dropout_forward's out", case=case, shape=x.shape)
    # 6,000 draws: the standard error of the kept fraction is ~0.006
    _assert_inverted_dropout(out, x, 0.6, case, tol_frac=0.04)


@pytest.mark.grade("dropout_backward", points=3)
def test_dropout_backward_uses_forward_mask(submission):
    x = 1.0 + rng(530).random((60, 70))
    dout = rng(531).standard_normal((60, 70))
    for p in (0.3, 0.75):
        case = f"train mode, p={p}, x of shape (60, 70)"
        out, cache = _dropout_train(submission, x, p, case)
        dx = submission.layers.dropout_backward(dout, cache)
        # the derivative of out = x * mask is dout * mask, and mask = out / x here
        assert_close(dx, dout * (out / x), what="dropout_backward's dx", case=case, tol=1e-7,
                     against="dout times the mask that dropout_forward applied")


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
    backward_keeps_inputs(submission, "dropout_backward", dout, cache, case,
                          (dout * (out / x),), ("dx",))


# ---------------------------------------------------------------------------
# convolution (naive)
# ---------------------------------------------------------------------------

# (x shape, w shape, stride, pad)
CONV_CASES = [
    ((2, 3, 4, 4), (3, 3, 4, 4), 2, 1),   # the notebook's case
    ((1, 2, 5, 5), (2, 2, 3, 3), 1, 0),   # pad 0, batch of 1
    ((2, 1, 7, 5), (3, 1, 3, 2), 2, 1),   # non-square input and filters, stride 2
    ((2, 3, 6, 6), (4, 3, 3, 3), 3, 2),   # stride 3, pad 2
    ((3, 2, 4, 6), (2, 2, 1, 1), 1, 0),   # 1x1 filters
]


def conv_inputs(seed, xs, ws):
    r = rng(seed)
    return r.standard_normal(xs), r.standard_normal(ws), r.standard_normal(ws[0])


def conv_case(xs, ws, stride, pad):
    return f"x of shape {xs}, w of shape {ws}, stride {stride}, pad {pad}"


@pytest.mark.grade("conv_forward_naive", points=3)
def test_conv_forward_values(submission, reference):
    for i, (xs, ws, stride, pad) in enumerate(CONV_CASES):
        x, w, b = conv_inputs(600 + i, xs, ws)
        cp = {"stride": stride, "pad": pad}
        case = conv_case(xs, ws, stride, pad)
        expected, _ = reference.layers.conv_forward_naive(x, w, b, dict(cp))
        out, _ = unpack(submission.layers.conv_forward_naive(x, w, b, dict(cp)), 2,
                        what="conv_forward_naive", case=case, names="out, cache")
        assert_close(out, expected, what="conv_forward_naive's out", case=case, tol=TOL_VALUE)


@pytest.mark.grade("conv_forward_naive", points=1)
def test_conv_forward_keeps_inputs(submission, reference):
    x, w, b = conv_inputs(620, (2, 2, 4, 4), (2, 2, 3, 3))
    cp = {"stride": 1, "pad": 1}
    case = "x of shape (2, 2, 4, 4), pad 1"
    expected, _ = reference.layers.conv_forward_naive(x, w, b, dict(cp))
    result = submission.layers.conv_forward_naive(x, w, b, dict(cp))
    kept(submission, "conv_forward_naive", ("x", "w", "b"), case)
    out, _ = unpack(result, 2, what="conv_forward_naive", case=case, names="out, cache")
    assert_close(out, expected, what="conv_forward_naive's out", case=case, tol=TOL_VALUE)


@pytest.mark.grade("conv_backward_naive", points=3)
def test_conv_backward_vs_reference(submission, reference):
    for i, (xs, ws, stride, pad) in enumerate(CONV_CASES):
        x, w, b = conv_inputs(640 + i, xs, ws)
        cp = {"stride": stride, "pad": pad}
        case = conv_case(xs, ws, stride, pad)
        rout, rcache = reference.layers.conv_forward_naive(x, w, b, dict(cp))
        dout = rng(660 + i).standard_normal(rout.shape)
        expected = reference.layers.conv_backward_naive(dout, rcache)
        _, cache = submission.layers.conv_forward_naive(x, w, b, dict(cp))
        grads = unpack(submission.layers.conv_backward_naive(dout, cache), 3,
                       what="conv_backward_naive", case=case, names="dx, dw, db")
        compare(grads, expected, ("dx", "dw", "db"), "conv_backward_naive", case, TOL_GRAD)


@pytest.mark.grade("conv_backward_naive", points=2)
def test_conv_backward_numeric(submission, reference):
    for i, (xs, ws, stride, pad) in enumerate([((2, 2, 5, 5), (2, 2, 3, 3), 2, 1),
                                               ((1, 1, 4, 3), (2, 1, 2, 2), 1, 0)]):
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


@pytest.mark.grade("conv_backward_naive", points=1)
def test_conv_backward_keeps_inputs(submission, reference):
    xs, ws, stride, pad = (2, 2, 5, 5), (3, 2, 3, 3), 2, 1
    x, w, b = conv_inputs(695, xs, ws)
    cp = {"stride": stride, "pad": pad}
    case = conv_case(xs, ws, stride, pad)
    rout, rcache = reference.layers.conv_forward_naive(x, w, b, dict(cp))
    dout = rng(696).standard_normal(rout.shape)
    expected = reference.layers.conv_backward_naive(dout, rcache)
    _, cache = submission.layers.conv_forward_naive(x, w, b, dict(cp))
    backward_keeps_inputs(submission, "conv_backward_naive", dout, cache, case, expected,
                          ("dx", "dw", "db"))


# ---------------------------------------------------------------------------
# max pooling (naive)
# ---------------------------------------------------------------------------

# (x shape, pool_height, pool_width, stride)
POOL_CASES = [
    ((2, 3, 4, 4), 2, 2, 2),     # the notebook's case
    ((1, 2, 5, 5), 3, 3, 2),     # batch of 1, overlapping windows
    ((2, 1, 6, 4), 3, 2, 1),     # non-square windows, stride 1
    ((3, 2, 7, 7), 2, 2, 3),     # stride larger than the window
]


def pool_case(xs, ph, pw, s):
    return f"x of shape {xs}, {ph}x{pw} pools with stride {s}"


@pytest.mark.grade("max_pool_forward_naive", points=3)
def test_max_pool_forward_values(submission, reference):
    for i, (xs, ph, pw, s) in enumerate(POOL_CASES):
        x = rng(700 + i).standard_normal(xs)
        pp = {"pool_height": ph, "pool_width": pw, "stride": s}
        case = pool_case(xs, ph, pw, s)
        expected, _ = reference.layers.max_pool_forward_naive(x, dict(pp))
        out, _ = unpack(submission.layers.max_pool_forward_naive(x, dict(pp)), 2,
                        what="max_pool_forward_naive", case=case, names="out, cache")
        assert_close(out, expected, what="max_pool_forward_naive's out", case=case,
                     tol=TOL_VALUE)


@pytest.mark.grade("max_pool_backward_naive", points=3)
def test_max_pool_backward_vs_reference(submission, reference):
    for i, (xs, ph, pw, s) in enumerate(POOL_CASES):
        x = rng(720 + i).standard_normal(xs)  # continuous values: no ties
        pp = {"pool_height": ph, "pool_width": pw, "stride": s}
        case = pool_case(xs, ph, pw, s)
        rout, rcache = reference.layers.max_pool_forward_naive(x, dict(pp))
        dout = rng(740 + i).standard_normal(rout.shape)
        expected = reference.layers.max_pool_backward_naive(dout, rcache)
        _, cache = submission.layers.max_pool_forward_naive(x, dict(pp))
        dx = submission.layers.max_pool_backward_naive(dout, cache)
        assert_close(dx, expected, what="max_pool_backward_naive's dx", case=case, tol=TOL_GRAD)


@pytest.mark.grade("max_pool_backward_naive", points=1)
def test_max_pool_backward_numeric(submission, reference):
    x = rng(760).permutation(2 * 2 * 6 * 6).reshape(2, 2, 6, 6) * 0.1  # distinct values
    pp = {"pool_height": 2, "pool_width": 3, "stride": 2}
    case = pool_case((2, 2, 6, 6), 2, 3, 2)
    rout, _ = reference.layers.max_pool_forward_naive(x, dict(pp))
    dout = rng(761).standard_normal(rout.shape)
    num = numeric_gradient(lambda v: reference.layers.max_pool_forward_naive(v, dict(pp))[0],
                           x, dout)
    _, cache = submission.layers.max_pool_forward_naive(x, dict(pp))
    dx = submission.layers.max_pool_backward_naive(dout, cache)
    assert_close(dx, num, what="max_pool_backward_naive's dx", case=case, tol=TOL_NUMERIC,
                 against="a numeric gradient")


@pytest.mark.grade("max_pool_backward_naive", points=1)
def test_max_pool_backward_ties(submission):
    """With ties, each window's upstream derivative goes to ONE of its maxima
    (the docstring says the first): the total per window is conserved."""
    x = rng(770).integers(0, 2, size=(2, 3, 4, 4)).astype(np.float64)  # many ties
    pp = {"pool_height": 2, "pool_width": 2, "stride": 2}
    case = "2x2 pools with stride 2 over inputs with tied maxima"
    dout = rng(771).standard_normal((2, 3, 2, 2))
    _, cache = submission.layers.max_pool_forward_naive(x, dict(pp))
    dx = as_array(submission.layers.max_pool_backward_naive(dout, cache),
                  what="max_pool_backward_naive's dx", case=case, shape=x.shape)
    window_sums = dx.reshape(2, 3, 2, 2, 2, 2).sum(axis=(3, 5))
    assert_close(window_sums, dout, what="the sum of max_pool_backward_naive's dx over each window",
                 case=case, tol=1e-9,
                 against="dout (route each window's derivative to one maximum, not to every tie)")
    window_max = x.reshape(2, 3, 2, 2, 2, 2).max(axis=(3, 5), keepdims=True)
    at_max = (x.reshape(2, 3, 2, 2, 2, 2) == window_max).reshape(x.shape)
    assert_true(np.all(dx[~at_max] == 0),
                f"max_pool_backward_naive sends derivative to inputs that are not the maximum of "
                f"their window for {case}.")


@pytest.mark.grade("max_pool_backward_naive", points=1)
def test_max_pool_backward_keeps_inputs(submission, reference):
    x = rng(780).standard_normal((2, 2, 4, 4))
    pp = {"pool_height": 2, "pool_width": 2, "stride": 2}
    case = pool_case((2, 2, 4, 4), 2, 2, 2)
    rout, rcache = reference.layers.max_pool_forward_naive(x, dict(pp))
    dout = rng(781).standard_normal(rout.shape)
    expected = (reference.layers.max_pool_backward_naive(dout, rcache),)
    _, cache = submission.layers.max_pool_forward_naive(x, dict(pp))
    backward_keeps_inputs(submission, "max_pool_backward_naive", dout, cache, case, expected,
                          ("dx",))


# ---------------------------------------------------------------------------
# spatial batch normalization
# ---------------------------------------------------------------------------

SBN_CASES = [(2, 3, 4, 5), (10, 4, 3, 3), (1, 2, 6, 4)]


def sbn_inputs(seed, shape):
    r = rng(seed)
    C = shape[1]
    x = 4.0 + 2.0 * r.standard_normal(shape) + np.arange(C)[None, :, None, None]
    return x, 0.5 + r.random(C), r.standard_normal(C)


@pytest.mark.grade("spatial_batchnorm_forward", points=3)
def test_spatial_batchnorm_forward_train(submission, reference):
    for i, s in enumerate(SBN_CASES):
        x, gamma, beta = sbn_inputs(800 + i, s)
        case = f"train mode, x of shape {s}"
        expected, _ = reference.layers.spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
        out, _ = unpack(submission.layers.spatial_batchnorm_forward(x, gamma, beta,
                                                                    {"mode": "train"}),
                        2, what="spatial_batchnorm_forward", case=case, names="out, cache")
        assert_close(out, expected, what="spatial_batchnorm_forward's out", case=case,
                     tol=TOL_VALUE)


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
    result = submission.layers.spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    kept(submission, "spatial_batchnorm_forward", ("x", "gamma", "beta"), case)
    out, _ = unpack(result, 2, what="spatial_batchnorm_forward", case=case, names="out, cache")
    assert_close(out, expected, what="spatial_batchnorm_forward's out", case=case, tol=TOL_VALUE)


@pytest.mark.grade("spatial_batchnorm_backward", points=3)
def test_spatial_batchnorm_backward_vs_reference(submission, reference):
    for i, s in enumerate(SBN_CASES):
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
    backward_keeps_inputs(submission, "spatial_batchnorm_backward", dout, cache, case, expected,
                          ("dx", "dgamma", "dbeta"))


# ---------------------------------------------------------------------------
# spatial group normalization
# ---------------------------------------------------------------------------

# (x shape, G)
GN_CASES = [((2, 6, 4, 5), 2), ((3, 4, 2, 2), 4), ((1, 6, 3, 3), 1), ((2, 6, 3, 2), 3)]


def gn_inputs(seed, shape):
    r = rng(seed)
    C = shape[1]
    x = 3.0 + 2.0 * r.standard_normal(shape) + np.arange(C)[None, :, None, None]
    return x, (0.5 + r.random(C)).reshape(1, C, 1, 1), r.standard_normal(C).reshape(1, C, 1, 1)


@pytest.mark.grade("spatial_groupnorm_forward", points=3)
def test_spatial_groupnorm_forward_values(submission, reference):
    for i, (s, G) in enumerate(GN_CASES):
        x, gamma, beta = gn_inputs(900 + i, s)
        case = f"x of shape {s}, G={G}"
        expected, _ = reference.layers.spatial_groupnorm_forward(x, gamma, beta, G, {})
        out, _ = unpack(submission.layers.spatial_groupnorm_forward(x, gamma, beta, G, {}), 2,
                        what="spatial_groupnorm_forward", case=case, names="out, cache")
        assert_close(out, expected, what="spatial_groupnorm_forward's out", case=case,
                     tol=TOL_VALUE)


@pytest.mark.grade("spatial_groupnorm_forward", points=1)
def test_spatial_groupnorm_forward_keeps_inputs(submission, reference):
    s, G = (2, 4, 3, 3), 2
    x, gamma, beta = gn_inputs(910, s)
    case = f"x of shape {s}, G={G}"
    expected, _ = reference.layers.spatial_groupnorm_forward(x, gamma, beta, G, {})
    result = submission.layers.spatial_groupnorm_forward(x, gamma, beta, G, {})
    kept(submission, "spatial_groupnorm_forward", ("x", "gamma", "beta"), case)
    out, _ = unpack(result, 2, what="spatial_groupnorm_forward", case=case, names="out, cache")
    assert_close(out, expected, what="spatial_groupnorm_forward's out", case=case, tol=TOL_VALUE)


@pytest.mark.grade("spatial_groupnorm_backward", points=3)
def test_spatial_groupnorm_backward_vs_reference(submission, reference):
    for i, (s, G) in enumerate(GN_CASES):
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
    backward_keeps_inputs(submission, "spatial_groupnorm_backward", dout, cache, case, expected,
                          ("dx", "dgamma", "dbeta"))
