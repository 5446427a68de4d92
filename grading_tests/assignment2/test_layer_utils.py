"""Hidden tests for cs231n/layer_utils.py (the student's affine_norm_relu sandwich).

The sandwich is built from the student's own layers, so it passes once those
layers and the wiring between them are right. Values and gradients are compared
with the reference sandwich and with numeric gradients of the reference
forward pass, both computed from the test's own arrays before the student's
code runs (every call gets its own bn_param dict).

Each input configuration is a test of its own (``per_case``), named for it, so one
failing configuration costs only its own share of the part.
"""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from autograder.judge import assert_close, numeric_gradient, unpack

# one test a case (per_case): shared with the other hidden modules
_spec = importlib.util.spec_from_file_location("_hidden_a2_cases_layer_utils",
                                               Path(__file__).with_name("a2_cases.py"))
_cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_cases)
per_case = _cases.per_case

TOL_VALUE = 1e-7
TOL_GRAD = 1e-6
TOL_NUMERIC = 1e-5

# (x shape, M, normalization)
CASES = {"batchnorm_2d_input": ((5, 4), 3, "batchnorm"),
         "batchnorm_3d_input": ((6, 2, 3), 4, "batchnorm"),
         "layernorm_2d_input": ((5, 4), 3, "layernorm"),
         "layernorm_one_example": ((1, 6), 5, "layernorm")}


def inputs(seed, xshape, M):
    r = np.random.default_rng(seed)
    D = int(np.prod(xshape[1:]))
    x = r.standard_normal(xshape)
    w = r.standard_normal((D, M))
    b = r.standard_normal(M)
    gamma = 0.5 + r.random(M)
    beta = r.standard_normal(M)
    return x, w, b, gamma, beta


def norm_param(normalization):
    return {"mode": "train"} if normalization == "batchnorm" else {}


def describe(xshape, M, normalization):
    return f"normalization='{normalization}', x of shape {xshape}, {M} outputs"


def _affine_norm_relu_forward_values(submission, reference, i, xs, M, norm):
    """The sandwich's output equals the reference's."""
    x, w, b, gamma, beta = inputs(i, xs, M)
    case = describe(xs, M, norm)
    expected, _ = reference.layer_utils.affine_norm_relu_forward(
        x, w, b, gamma, beta, norm_param(norm), norm)
    out, _ = unpack(submission.layer_utils.affine_norm_relu_forward(
        x, w, b, gamma, beta, norm_param(norm), norm), 2,
        what="affine_norm_relu_forward", case=case, names="out, cache")
    assert_close(out, expected, what="affine_norm_relu_forward's out", case=case,
                 tol=TOL_VALUE)


(test_affine_norm_relu_forward_values_batchnorm_2d_input,
 test_affine_norm_relu_forward_values_batchnorm_3d_input,
 test_affine_norm_relu_forward_values_layernorm_2d_input,
 test_affine_norm_relu_forward_values_layernorm_one_example) = per_case(
    "affine_norm_relu", 0.5, "affine_norm_relu_forward_values", CASES,
    _affine_norm_relu_forward_values)


@pytest.mark.grade("affine_norm_relu", points=1)
def test_affine_norm_relu_forward_test_mode(submission, reference):
    """Batch norm in test mode inside the sandwich uses the given running statistics."""
    x, w, b, gamma, beta = inputs(10, (4, 5), 3)
    r = np.random.default_rng(11)
    rm, rv = r.standard_normal(3), 0.5 + r.random(3)
    case = "normalization='batchnorm' in test mode with given running statistics"
    expected, _ = reference.layer_utils.affine_norm_relu_forward(
        x, w, b, gamma, beta, {"mode": "test", "running_mean": rm.copy(), "running_var": rv.copy()},
        "batchnorm")
    bn = {"mode": "test", "running_mean": rm.copy(), "running_var": rv.copy()}
    out, _ = unpack(submission.layer_utils.affine_norm_relu_forward(
        x, w, b, gamma, beta, bn, "batchnorm"), 2, what="affine_norm_relu_forward", case=case)
    assert_close(out, expected, what="affine_norm_relu_forward's out", case=case, tol=TOL_VALUE)


GRAD_NAMES = ("dx", "dw", "db", "dgamma", "dbeta")


def _affine_norm_relu_backward_vs_reference(submission, reference, i, xs, M, norm):
    """The sandwich's gradients (on its own forward cache) equal the reference's."""
    x, w, b, gamma, beta = inputs(20 + i, xs, M)
    dout = np.random.default_rng(30 + i).standard_normal((xs[0], M))
    case = describe(xs, M, norm)
    _, rcache = reference.layer_utils.affine_norm_relu_forward(
        x, w, b, gamma, beta, norm_param(norm), norm)
    expected = reference.layer_utils.affine_norm_relu_backward(dout, rcache)
    _, cache = submission.layer_utils.affine_norm_relu_forward(
        x, w, b, gamma, beta, norm_param(norm), norm)
    grads = unpack(submission.layer_utils.affine_norm_relu_backward(dout, cache), 5,
                   what="affine_norm_relu_backward", case=case,
                   names="dx, dw, db, dgamma, dbeta")
    for name, got, exp in zip(GRAD_NAMES, grads, expected):
        assert_close(got, exp, what=f"affine_norm_relu_backward's {name}", case=case,
                     tol=TOL_GRAD)


(test_affine_norm_relu_backward_vs_reference_batchnorm_2d_input,
 test_affine_norm_relu_backward_vs_reference_batchnorm_3d_input,
 test_affine_norm_relu_backward_vs_reference_layernorm_2d_input,
 test_affine_norm_relu_backward_vs_reference_layernorm_one_example) = per_case(
    "affine_norm_relu", 0.5, "affine_norm_relu_backward_vs_reference", CASES,
    _affine_norm_relu_backward_vs_reference)


def _affine_norm_relu_backward_numeric(submission, reference, i, norm):
    """The sandwich's gradients equal numeric gradients of the reference sandwich."""
    f = reference.layer_utils.affine_norm_relu_forward
    x, w, b, gamma, beta = inputs(40 + i, (4, 3), 5)
    dout = np.random.default_rng(50 + i).standard_normal((4, 5))
    case = describe((4, 3), 5, norm)
    args = [x, w, b, gamma, beta]
    nums = {}
    for k, name in enumerate(GRAD_NAMES):
        if norm == "batchnorm" and name == "db":
            continue  # exactly zero in theory (batch norm removes the bias): noise only
        def fk(v, k=k):
            a = list(args)
            a[k] = v
            return f(*a, norm_param(norm), norm)[0]
        nums[k] = numeric_gradient(fk, args[k], dout)
    _, cache = submission.layer_utils.affine_norm_relu_forward(
        x, w, b, gamma, beta, norm_param(norm), norm)
    grads = unpack(submission.layer_utils.affine_norm_relu_backward(dout, cache), 5,
                   what="affine_norm_relu_backward", case=case)
    for k, num in nums.items():
        assert_close(grads[k], num, what=f"affine_norm_relu_backward's {GRAD_NAMES[k]}",
                     case=case, tol=TOL_NUMERIC, against="a numeric gradient")


(test_affine_norm_relu_backward_numeric_batchnorm,
 test_affine_norm_relu_backward_numeric_layernorm) = per_case(
    "affine_norm_relu", 0.5, "affine_norm_relu_backward_numeric",
    {"batchnorm": ("batchnorm",), "layernorm": ("layernorm",)},
    _affine_norm_relu_backward_numeric)


# every test is collected under the name it was made with
_cases.check_names(globals())
