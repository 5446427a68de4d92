"""Behaviour of the reference layers beyond single values: dropout statistics
and modes, inputs left unmodified, numerically stable softmax, shapes, and the
solution-region convention of ``layers.py``."""
from __future__ import annotations

import ast
import inspect

import numpy as np
import pytest

import cs231n.layers as layers
from cs231n.layers import (
    affine_backward,
    affine_forward,
    batchnorm_backward,
    batchnorm_backward_alt,
    batchnorm_forward,
    conv_backward_naive,
    conv_forward_naive,
    dropout_backward,
    dropout_forward,
    layernorm_backward,
    layernorm_forward,
    max_pool_backward_naive,
    max_pool_forward_naive,
    relu_backward,
    relu_forward,
    softmax_loss,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
    spatial_groupnorm_backward,
    spatial_groupnorm_forward,
    svm_loss,
)

# --------------------------------------------------------------------------
# dropout
# --------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_dropout_train_keeps_p_and_scales_by_inverse_p(p):
    x = np.random.default_rng(0).uniform(1.0, 2.0, size=(400, 500))  # no zeros
    out, cache = dropout_forward(x, {"mode": "train", "p": p, "seed": 7})
    kept = out != 0
    n = x.size
    # binomial: 5 standard deviations
    assert abs(kept.mean() - p) < 5 * np.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(out[kept], x[kept] / p, rtol=1e-15)
    assert np.isclose(out.mean(), x.mean(), rtol=0.02)  # inverted dropout keeps the mean

    dout = np.random.default_rng(1).standard_normal(x.shape)
    dx = dropout_backward(dout, cache)
    np.testing.assert_allclose(dx, np.where(kept, dout / p, 0.0), rtol=1e-15)


def test_dropout_test_mode_is_identity():
    x = np.random.default_rng(2).standard_normal((6, 7))
    out, cache = dropout_forward(x, {"mode": "test", "p": 0.3})
    np.testing.assert_array_equal(out, x)
    dout = np.random.default_rng(3).standard_normal(x.shape)
    np.testing.assert_array_equal(dropout_backward(dout, cache), dout)


def test_dropout_seed_makes_mask_reproducible():
    x = np.ones((50, 40))
    out1, _ = dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 123})
    out2, _ = dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 123})
    out3, _ = dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 124})
    np.testing.assert_array_equal(out1, out2)
    assert not np.array_equal(out1, out3)


def test_dropout_keeps_dtype():
    x = np.ones((8, 9), dtype=np.float32)
    out, _ = dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 0})
    assert out.dtype == np.float32


# --------------------------------------------------------------------------
# inputs are not modified; output shapes
# --------------------------------------------------------------------------


def _cases():
    rng = np.random.default_rng(4)
    x2 = rng.standard_normal((4, 5))
    x4 = rng.standard_normal((2, 4, 5, 6))
    g, b = rng.standard_normal(5), rng.standard_normal(5)
    gc, bc = rng.standard_normal(4), rng.standard_normal(4)
    g4, b4 = rng.standard_normal((1, 4, 1, 1)), rng.standard_normal((1, 4, 1, 1))
    w = rng.standard_normal((4, 3, 3, 3))
    yield "affine", affine_forward, affine_backward, (x4, rng.standard_normal((120, 3)), rng.standard_normal(3))
    yield "relu", relu_forward, relu_backward, (x2,)
    yield "batchnorm", lambda *a: batchnorm_forward(*a, {"mode": "train"}), batchnorm_backward, (x2, g, b)
    yield "batchnorm_alt", lambda *a: batchnorm_forward(*a, {"mode": "train"}), batchnorm_backward_alt, (x2, g, b)
    yield "layernorm", lambda *a: layernorm_forward(*a, {}), layernorm_backward, (x2, g, b)
    yield "dropout", lambda x: dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 0}), dropout_backward, (x2,)
    yield "conv", lambda *a: conv_forward_naive(*a, {"stride": 2, "pad": 1}), conv_backward_naive, (x4[:, :3], w, gc)
    yield "max_pool", lambda x: max_pool_forward_naive(
        x, {"pool_height": 2, "pool_width": 3, "stride": 1}), max_pool_backward_naive, (x4,)
    yield "spatial_batchnorm", lambda *a: spatial_batchnorm_forward(
        *a, {"mode": "train"}), spatial_batchnorm_backward, (x4, gc, bc)
    yield "spatial_groupnorm", lambda *a: spatial_groupnorm_forward(
        *a, 2, {}), spatial_groupnorm_backward, (x4, g4, b4)


@pytest.mark.parametrize("name, forward, backward, inputs", list(_cases()), ids=[c[0] for c in _cases()])
def test_layers_do_not_modify_inputs_and_shapes_match(name, forward, backward, inputs):
    saved = [a.copy() for a in inputs]
    out, cache = forward(*inputs)
    dout = np.random.default_rng(5).standard_normal(out.shape)
    dout_saved = dout.copy()
    grads = backward(dout, cache)
    for a, a0 in zip(inputs, saved):
        np.testing.assert_array_equal(a, a0, err_msg=f"{name} modified an input")
    np.testing.assert_array_equal(dout, dout_saved, err_msg=f"{name} backward modified dout")
    grads = grads if isinstance(grads, tuple) else (grads,)
    assert len(grads) == len(inputs)
    for g, a in zip(grads, inputs):
        assert g.shape == a.shape, f"{name}: gradient shape {g.shape} != input shape {a.shape}"


@pytest.mark.parametrize("loss_fn", [softmax_loss, svm_loss])
def test_losses_do_not_modify_scores(loss_fn):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((7, 4))
    y = rng.integers(4, size=7)
    x0, y0 = x.copy(), y.copy()
    loss, dx = loss_fn(x, y)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(y, y0)
    assert np.ndim(loss) == 0 and dx.shape == x.shape


def test_softmax_loss_is_numerically_stable():
    x = np.array([[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 999.0]])
    y = np.array([0, 2])
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        loss, dx = softmax_loss(x, y)
    # row 0: log-sum-exp = 1000, loss 0; row 1: 1000 + log(1 + e^-1) - 999
    expected = (0.0 + (1.0 + np.log1p(np.exp(-1.0)))) / 2
    assert np.isclose(loss, expected, rtol=1e-12)
    assert np.all(np.isfinite(dx))
    np.testing.assert_allclose(dx.sum(axis=1), 0.0, atol=1e-15)


def test_conv_output_size_formula():
    x = np.zeros((1, 1, 10, 7))
    w = np.zeros((2, 1, 3, 2))
    out, _ = conv_forward_naive(x, w, np.zeros(2), {"stride": 3, "pad": 1})
    assert out.shape == (1, 2, 1 + (10 + 2 - 3) // 3, 1 + (7 + 2 - 2) // 3)


# --------------------------------------------------------------------------
# solution regions (docs/architecture.md)
# --------------------------------------------------------------------------

EXPECTED_FUNCTIONS = {
    "affine_forward", "affine_backward", "relu_forward", "relu_backward",
    "batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt",
    "layernorm_forward", "layernorm_backward", "dropout_forward", "dropout_backward",
    "conv_forward_naive", "conv_backward_naive", "max_pool_forward_naive",
    "max_pool_backward_naive", "spatial_batchnorm_forward", "spatial_batchnorm_backward",
    "spatial_groupnorm_forward", "spatial_groupnorm_backward", "svm_loss", "softmax_loss",
}


def test_every_layer_function_has_exactly_one_solution_region():
    source = inspect.getsource(layers)
    lines = source.splitlines()
    tree = ast.parse(source)
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert {f.name for f in functions} == EXPECTED_FUNCTIONS
    region_lines = set()
    for f in functions:
        body = lines[f.lineno - 1:f.end_lineno]
        begins = [i for i, l in enumerate(body) if l.strip() == "### BEGIN SOLUTION"]
        ends = [i for i, l in enumerate(body) if l.strip() == "### END SOLUTION"]
        assert len(begins) == 1 and len(ends) == 1, f"{f.name}: expected one region"
        b, e = begins[0], ends[0]
        assert b < e, f.name
        # markers are indented like the body and preceded by a TODO comment
        indent = len(body[b]) - len(body[b].lstrip())
        assert indent == len(body[e]) - len(body[e].lstrip()) == 4, f.name
        assert body[b - 1].strip().startswith("#"), f"{f.name}: TODO text goes above BEGIN"
        region_lines.update(range(f.lineno - 1 + b, f.lineno - 1 + e + 1))
    markers = {i for i, l in enumerate(lines) if "SOLUTION" in l and l.strip().startswith("###")}
    assert markers <= region_lines, "a marker outside a function"


def test_module_imports_and_runs_with_regions_stubbed():
    """What the stub stage will produce: every region replaced by a raise."""
    lines = inspect.getsource(layers).splitlines()
    stubbed, skipping = [], False
    for line in lines:
        if line.strip() == "### BEGIN SOLUTION":
            indent = line[: len(line) - len(line.lstrip())]
            stubbed.append(f"{indent}raise NotImplementedError('stub')")
            skipping = True
        elif line.strip() == "### END SOLUTION":
            skipping = False
        elif not skipping:
            stubbed.append(line)
    namespace: dict = {}
    exec(compile("\n".join(stubbed), "stubbed_layers.py", "exec"), namespace)
    with pytest.raises(NotImplementedError):
        namespace["affine_forward"](np.zeros((1, 2)), np.zeros((2, 3)), np.zeros(3))
    with pytest.raises(NotImplementedError):
        namespace["batchnorm_forward"](np.zeros((2, 2)), np.ones(2), np.zeros(2), {"mode": "train"})
