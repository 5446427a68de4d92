"""Hidden tests for cs231n/classifiers/cnn.py (ThreeLayerConvNet).

Parameter names, shapes and initialisation are checked as data; then the
reference parameters are copied into the student's network so that scores,
loss and every gradient can be compared with the reference network and with
numeric gradients of the reference loss (trusted side), all computed before
the student's code runs.

The loss and gradients are checked on several configurations, one test each
(``per_case``), so one failing configuration costs only its own share of the part.
"""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from autograder.judge import (
    as_array,
    assert_close,
    assert_true,
    numeric_gradient,
    unpack,
)

# one test a case (per_case): shared with the other hidden modules
_spec = importlib.util.spec_from_file_location("_hidden_a2_cases_cnn",
                                               Path(__file__).with_name("a2_cases.py"))
_cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_cases)
per_case = _cases.per_case

TOL_VALUE = 1e-7
TOL_GRAD = 1e-6
TOL_NUMERIC = 1e-5


def f64(submission):
    return submission.get("numpy.float64")


def describe(kw):
    return "ThreeLayerConvNet(" + ", ".join(f"{k}={v!r}" for k, v in kw.items()) + ")"


def build(submission, reference, seed, **kw):
    np.random.seed(seed)
    ref = reference.classifiers.cnn.ThreeLayerConvNet(dtype=np.float64, weight_scale=1e-1, **kw)
    r = np.random.default_rng(seed)
    for k in ("b1", "b2", "b3"):
        ref.params[k] = 0.1 * r.standard_normal(ref.params[k].shape)
    net = submission.classifiers.cnn.ThreeLayerConvNet(dtype=f64(submission), **kw)
    params = net.params
    assert_true(isinstance(params, dict), f"params of {describe(kw)} is not a dict.")
    missing = sorted(set(ref.params) - set(params))
    assert_true(not missing, f"{describe(kw)} has no parameter(s) {', '.join(missing)}.")
    net.params = {k: v.copy() for k, v in ref.params.items()}
    return net, ref


def data(seed, N, input_dim, C):
    r = np.random.default_rng(seed)
    return r.standard_normal((N,) + tuple(input_dim)), r.integers(0, C, size=N)


@pytest.mark.grade("three_layer_convnet", points=2)
def test_three_layer_convnet_init(submission):
    kw = dict(input_dim=(3, 8, 6), num_filters=16, filter_size=3, hidden_dim=40, num_classes=10,
              weight_scale=2e-2)
    net = submission.classifiers.cnn.ThreeLayerConvNet(dtype=f64(submission), **kw)
    params = net.params
    case = describe(kw)
    assert_true(isinstance(params, dict), f"params of {case} is not a dict.")
    expected = {"W1": (16, 3, 3, 3), "b1": (16,), "W2": (16 * 4 * 3, 40), "b2": (40,),
                "W3": (40, 10), "b3": (10,)}
    for k, s in expected.items():
        assert_true(k in params, f"{case} has no parameter '{k}'.")
        p = as_array(params[k], what=f"params['{k}']", case=case, shape=s)
        if k.startswith("W"):
            std = float(p.std())
            assert_true(abs(std / 2e-2 - 1) < 0.25 and abs(float(p.mean())) < 0.25 * 2e-2,
                        f"params['{k}'] of {case} has mean {p.mean():.2e} and std {std:.2e}; "
                        f"expected mean 0 and std weight_scale=0.02.")
        else:
            assert_true(np.all(p == 0), f"params['{k}'] of {case} is not all zeros.")


CASES = {
    "3x3_filters_no_reg": dict(input_dim=(3, 8, 8), num_filters=4, filter_size=3, hidden_dim=7,
                               num_classes=5, reg=0.0),
    "5x5_filters_non_square_reg": dict(input_dim=(2, 6, 8), num_filters=3, filter_size=5,
                                       hidden_dim=6, num_classes=4, reg=0.5),
    "1x1_filters_reg": dict(input_dim=(1, 4, 4), num_filters=2, filter_size=1, hidden_dim=5,
                            num_classes=3, reg=2.0),
}


def _three_layer_convnet_loss_and_grads(submission, reference, i, kw):
    """Loss and every gradient equal the reference network's (same parameters)."""
    net, ref = build(submission, reference, 100 + i, **kw)
    X, y = data(200 + i, 3, kw["input_dim"], kw["num_classes"])
    case = describe(kw)
    rloss, rgrads = ref.loss(X, y)
    loss, grads = unpack(net.loss(X, y), 2, what="ThreeLayerConvNet.loss", case=case,
                         names="loss, grads")
    assert_close(loss, rloss, what="ThreeLayerConvNet.loss's loss", case=case, tol=TOL_VALUE)
    assert_true(isinstance(grads, dict),
                f"ThreeLayerConvNet.loss returned no grads dict for {case}.")
    for k in sorted(rgrads):
        assert_true(k in grads, f"ThreeLayerConvNet.loss returned no gradient for '{k}' "
                                f"for {case}.")
        assert_close(grads[k], rgrads[k], what=f"the gradient of '{k}'", case=case,
                     tol=TOL_GRAD)


(test_three_layer_convnet_loss_and_grads_3x3_filters_no_reg,
 test_three_layer_convnet_loss_and_grads_5x5_filters_non_square_reg,
 test_three_layer_convnet_loss_and_grads_1x1_filters_reg) = per_case(
    "three_layer_convnet", 1, "three_layer_convnet_loss_and_grads",
    {cid: (kw,) for cid, kw in CASES.items()}, _three_layer_convnet_loss_and_grads)


@pytest.mark.grade("three_layer_convnet", points=1)
def test_three_layer_convnet_scores(submission, reference):
    kw = CASES["5x5_filters_non_square_reg"]
    net, ref = build(submission, reference, 300, **kw)
    X, _ = data(301, 4, kw["input_dim"], kw["num_classes"])
    case = describe(kw) + " with y=None"
    expected = ref.loss(X)
    assert_close(net.loss(X), expected, what="ThreeLayerConvNet.loss's scores", case=case,
                 tol=TOL_VALUE)


@pytest.mark.grade("three_layer_convnet", points=2)
def test_three_layer_convnet_numeric(submission, reference):
    kw = dict(input_dim=(2, 4, 4), num_filters=2, filter_size=3, hidden_dim=4, num_classes=3,
              reg=0.7)
    net, ref = build(submission, reference, 400, **kw)
    X, y = data(401, 2, kw["input_dim"], kw["num_classes"])
    case = describe(kw)
    nums = {k: numeric_gradient(lambda _v: ref.loss(X, y)[0], ref.params[k])
            for k in sorted(ref.params)}
    _, grads = unpack(net.loss(X, y), 2, what="ThreeLayerConvNet.loss", case=case)
    assert_true(isinstance(grads, dict), f"ThreeLayerConvNet.loss returned no grads dict for {case}.")
    for k, num in nums.items():
        assert_true(k in grads, f"ThreeLayerConvNet.loss returned no gradient for '{k}' for {case}.")
        assert_close(grads[k], num, what=f"the gradient of '{k}'", case=case, tol=TOL_NUMERIC,
                     against="a numeric gradient")


# every test is collected under the name it was made with
_cases.check_names(globals())
