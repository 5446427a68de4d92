"""The reference layers against PyTorch autograd (float64).

Every forward output and every gradient of ``cs231n.layers`` must agree with
``torch.nn.functional`` to a relative error (CS231n's definition) below
``TOL``, on seeded random inputs of several shapes: odd sizes, non-square
images, a batch of one where the layer allows it, convolutions with several
stride/pad combinations and pooling whose stride differs from the window.
"""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from cs231n.layers import (  # noqa: E402
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
from helpers_numeric import rel_error  # noqa: E402

TOL = 1e-8


def _t(a):
    """A float64 leaf tensor that records its gradient."""
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def _torch_grads(out, dout, *leaves):
    out.backward(torch.from_numpy(np.asarray(dout, dtype=np.float64)))
    return [leaf.grad.numpy() for leaf in leaves]


def _assert_close(name, ours, theirs, tol=TOL):
    ours = np.asarray(ours)
    theirs = np.asarray(theirs)
    assert ours.shape == theirs.shape, f"{name}: shape {ours.shape} != torch {theirs.shape}"
    err = rel_error(ours, theirs)
    assert err < tol, f"{name}: relative error {err:.3e} >= {tol:.0e}"


# --------------------------------------------------------------------------
# affine, relu
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "x_shape, M",
    [((1, 7), 3), ((5, 4), 6), ((3, 2, 3), 5), ((4, 3, 5, 2), 7), ((2, 1), 1)],
)
def test_affine_matches_torch(x_shape, M):
    rng = np.random.default_rng(0)
    N, D = x_shape[0], int(np.prod(x_shape[1:]))
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal((D, M))
    b = rng.standard_normal(M)
    dout = rng.standard_normal((N, M))

    out, cache = affine_forward(x, w, b)
    dx, dw, db = affine_backward(dout, cache)

    tx, tw, tb = _t(x), _t(w), _t(b)
    tout = F.linear(tx.reshape(N, D), tw.T, tb)
    gx, gw, gb = _torch_grads(tout, dout, tx, tw, tb)

    _assert_close("affine out", out, tout.detach().numpy())
    _assert_close("affine dx", dx, gx)
    _assert_close("affine dw", dw, gw)
    _assert_close("affine db", db, gb)


@pytest.mark.parametrize("shape", [(1, 5), (4, 7), (2, 3, 5, 4)])
def test_relu_matches_torch(shape):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape)
    dout = rng.standard_normal(shape)
    out, cache = relu_forward(x)
    dx = relu_backward(dout, cache)

    tx = _t(x)
    tout = F.relu(tx)
    (gx,) = _torch_grads(tout, dout, tx)
    _assert_close("relu out", out, tout.detach().numpy())
    _assert_close("relu dx", dx, gx)


# --------------------------------------------------------------------------
# batch normalization, layer normalization
# --------------------------------------------------------------------------


@pytest.mark.parametrize("N, D, eps", [(2, 3, 1e-5), (7, 5, 1e-5), (16, 9, 1e-3), (33, 1, 1e-5)])
@pytest.mark.parametrize("backward", [batchnorm_backward, batchnorm_backward_alt])
def test_batchnorm_train_matches_torch(N, D, eps, backward):
    rng = np.random.default_rng(2)
    x = 3 * rng.standard_normal((N, D)) + 2
    gamma = rng.standard_normal(D)
    beta = rng.standard_normal(D)
    dout = rng.standard_normal((N, D))

    out, cache = batchnorm_forward(x, gamma, beta, {"mode": "train", "eps": eps})
    dx, dgamma, dbeta = backward(dout, cache)

    tx, tg, tb = _t(x), _t(gamma), _t(beta)
    tout = F.batch_norm(tx, None, None, weight=tg, bias=tb, training=True, eps=eps)
    gx, gg, gb = _torch_grads(tout, dout, tx, tg, tb)

    _assert_close("batchnorm out", out, tout.detach().numpy())
    _assert_close(f"{backward.__name__} dx", dx, gx)
    _assert_close(f"{backward.__name__} dgamma", dgamma, gg)
    _assert_close(f"{backward.__name__} dbeta", dbeta, gb)


def test_batchnorm_running_stats_and_test_mode():
    """Running stats follow running = m * running + (1 - m) * batch stat.

    torch's running mean uses the same rule (its momentum is 1 - ours); its
    running variance uses the unbiased batch variance, so the variance is
    checked against the rule written out with the biased variance instead.
    """
    rng = np.random.default_rng(3)
    N, D, momentum, eps = 6, 4, 0.8, 1e-5
    bn_param = {"mode": "train", "momentum": momentum, "eps": eps}
    t_mean = torch.zeros(D, dtype=torch.float64)
    t_var = torch.zeros(D, dtype=torch.float64)
    exp_mean = np.zeros(D)
    exp_var = np.zeros(D)
    gamma, beta = rng.standard_normal(D), rng.standard_normal(D)
    for _ in range(5):
        x = 2 * rng.standard_normal((N, D)) + 1
        batchnorm_forward(x, gamma, beta, bn_param)
        F.batch_norm(torch.from_numpy(x), t_mean, t_var, training=True,
                     momentum=1 - momentum, eps=eps)
        exp_mean = momentum * exp_mean + (1 - momentum) * x.mean(axis=0)
        exp_var = momentum * exp_var + (1 - momentum) * x.var(axis=0)
        _assert_close("running_mean vs torch", bn_param["running_mean"], t_mean.numpy(), 1e-12)
        _assert_close("running_mean vs rule", bn_param["running_mean"], exp_mean, 1e-12)
        _assert_close("running_var vs rule", bn_param["running_var"], exp_var, 1e-12)
    assert bn_param["running_mean"].shape == (D,)
    assert bn_param["running_var"].dtype == np.float64

    # test mode normalizes with the running statistics and leaves them alone
    bn_param["mode"] = "test"
    before = (bn_param["running_mean"].copy(), bn_param["running_var"].copy())
    x = rng.standard_normal((N, D))
    out, _ = batchnorm_forward(x, gamma, beta, bn_param)
    tout = F.batch_norm(torch.from_numpy(x), torch.from_numpy(bn_param["running_mean"]),
                        torch.from_numpy(bn_param["running_var"]),
                        torch.from_numpy(gamma), torch.from_numpy(beta),
                        training=False, eps=eps)
    _assert_close("batchnorm test-mode out", out, tout.numpy())
    np.testing.assert_array_equal(bn_param["running_mean"], before[0])
    np.testing.assert_array_equal(bn_param["running_var"], before[1])


def test_batchnorm_creates_running_stats_of_x_dtype():
    x = np.random.default_rng(4).standard_normal((5, 3)).astype(np.float32)
    bn_param = {"mode": "train"}
    batchnorm_forward(x, np.ones(3, np.float32), np.zeros(3, np.float32), bn_param)
    assert bn_param["running_mean"].shape == (3,)
    assert bn_param["running_mean"].dtype == np.float32
    assert bn_param["running_var"].dtype == np.float32


@pytest.mark.parametrize("N, D, eps", [(1, 6, 1e-5), (4, 5, 1e-5), (9, 13, 1e-3)])
def test_layernorm_matches_torch(N, D, eps):
    rng = np.random.default_rng(5)
    x = 4 * rng.standard_normal((N, D)) - 3
    gamma = rng.standard_normal(D)
    beta = rng.standard_normal(D)
    dout = rng.standard_normal((N, D))

    out, cache = layernorm_forward(x, gamma, beta, {"eps": eps})
    dx, dgamma, dbeta = layernorm_backward(dout, cache)

    tx, tg, tb = _t(x), _t(gamma), _t(beta)
    tout = F.layer_norm(tx, (D,), tg, tb, eps=eps)
    gx, gg, gb = _torch_grads(tout, dout, tx, tg, tb)

    _assert_close("layernorm out", out, tout.detach().numpy())
    _assert_close("layernorm dx", dx, gx)
    _assert_close("layernorm dgamma", dgamma, gg)
    _assert_close("layernorm dbeta", dbeta, gb)


# --------------------------------------------------------------------------
# dropout
# --------------------------------------------------------------------------


@pytest.mark.parametrize("x_shape, p", [((7, 5), 0.5), ((3, 4, 5), 0.8), ((1, 9), 0.25)])
def test_dropout_train_matches_torch(x_shape, p):
    """Torch draws its own random mask, so the comparison uses the mask the
    layer returns: out = x * mask and dx = dout * mask by torch autograd, the
    mask scaled as torch's dropout scales (kept units times 1 / keep
    probability), and dx equal to torch's own dropout backward kernel given the
    same kept units."""
    rng = np.random.default_rng(13)
    x = rng.standard_normal(x_shape)
    dout = rng.standard_normal(x_shape)

    out, cache = dropout_forward(x, {"mode": "train", "p": p, "seed": 123})
    dx = dropout_backward(dout, cache)
    mask = np.asarray(cache[1])
    assert mask.shape == x.shape
    kept = mask != 0
    assert 0 < kept.sum() < kept.size, "the seed should keep some units and drop some"

    # torch's scale for a kept unit at drop probability 1 - p
    t_scale = torch.native_dropout(torch.ones(64, dtype=torch.float64), 1 - p, True)[0].max()
    np.testing.assert_allclose(mask[kept], t_scale.item(), rtol=1e-15)

    tx = _t(x)
    tout = tx * torch.from_numpy(mask)
    (gx,) = _torch_grads(tout, dout, tx)
    _assert_close("dropout out", out, tout.detach().numpy())
    _assert_close("dropout dx", dx, gx)
    g_kernel = torch.ops.aten.native_dropout_backward(
        torch.from_numpy(dout), torch.from_numpy(kept), 1.0 / p)
    _assert_close("dropout dx (torch dropout backward)", dx, g_kernel.numpy())


def test_dropout_test_mode_is_the_identity_as_in_torch():
    rng = np.random.default_rng(14)
    x = rng.standard_normal((6, 4))
    dout = rng.standard_normal((6, 4))
    out, cache = dropout_forward(x, {"mode": "test", "p": 0.3})
    dx = dropout_backward(dout, cache)

    tx = _t(x)
    tout = F.dropout(tx, p=0.7, training=False)
    (gx,) = _torch_grads(tout, dout, tx)
    np.testing.assert_array_equal(out, tout.detach().numpy())
    np.testing.assert_array_equal(dx, gx)
    np.testing.assert_array_equal(out, x)


# --------------------------------------------------------------------------
# convolution, max pooling
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "x_shape, w_shape, stride, pad",
    [
        ((2, 3, 5, 5), (4, 3, 3, 3), 1, 1),
        ((1, 2, 7, 6), (3, 2, 3, 2), 1, 0),
        ((3, 1, 8, 7), (2, 1, 3, 3), 2, 1),
        ((2, 3, 9, 11), (2, 3, 4, 3), 3, 2),
        ((2, 2, 6, 5), (5, 2, 1, 1), 2, 0),
        ((1, 1, 4, 4), (1, 1, 4, 4), 1, 0),
    ],
)
def test_conv_matches_torch(x_shape, w_shape, stride, pad):
    rng = np.random.default_rng(6)
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal(w_shape)
    b = rng.standard_normal(w_shape[0])
    conv_param = {"stride": stride, "pad": pad}

    out, cache = conv_forward_naive(x, w, b, conv_param)
    tx, tw, tb = _t(x), _t(w), _t(b)
    tout = F.conv2d(tx, tw, tb, stride=stride, padding=pad)
    assert out.shape == tuple(tout.shape)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = conv_backward_naive(dout, cache)
    gx, gw, gb = _torch_grads(tout, dout, tx, tw, tb)

    _assert_close("conv out", out, tout.detach().numpy())
    _assert_close("conv dx", dx, gx)
    _assert_close("conv dw", dw, gw)
    _assert_close("conv db", db, gb)


@pytest.mark.parametrize(
    "x_shape, ph, pw, stride",
    [
        ((2, 3, 4, 4), 2, 2, 2),
        ((1, 2, 7, 5), 3, 2, 1),  # overlapping windows
        ((3, 2, 9, 8), 3, 3, 2),  # overlapping windows
        ((2, 1, 9, 10), 2, 3, 3),  # gaps between windows
        ((1, 1, 5, 5), 5, 5, 1),
    ],
)
def test_max_pool_matches_torch(x_shape, ph, pw, stride):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(x_shape)
    pool_param = {"pool_height": ph, "pool_width": pw, "stride": stride}

    out, cache = max_pool_forward_naive(x, pool_param)
    tx = _t(x)
    tout = F.max_pool2d(tx, kernel_size=(ph, pw), stride=stride)
    assert out.shape == tuple(tout.shape)
    dout = rng.standard_normal(out.shape)
    dx = max_pool_backward_naive(dout, cache)
    (gx,) = _torch_grads(tout, dout, tx)

    _assert_close("max_pool out", out, tout.detach().numpy())
    _assert_close("max_pool dx", dx, gx)


@pytest.mark.parametrize("stride", [1, 2])
def test_max_pool_ties_route_gradient_to_first_max(stride):
    """Integer-valued inputs with many ties: the gradient goes to one input
    a window (the first maximum, as torch does), and sums where windows overlap."""
    rng = np.random.default_rng(8)
    x = rng.integers(0, 3, size=(2, 3, 6, 6)).astype(np.float64)
    pool_param = {"pool_height": 2, "pool_width": 2, "stride": stride}
    out, cache = max_pool_forward_naive(x, pool_param)
    dout = rng.standard_normal(out.shape)
    dx = max_pool_backward_naive(dout, cache)

    tx = _t(x)
    tout = F.max_pool2d(tx, kernel_size=2, stride=stride)
    (gx,) = _torch_grads(tout, dout, tx)
    _assert_close("max_pool out (ties)", out, tout.detach().numpy())
    _assert_close("max_pool dx (ties)", dx, gx)
    # exactly one routed input per window: gradient mass is conserved
    assert np.isclose(dx.sum(), dout.sum())

    # a constant window sends everything to its top-left input
    x = np.ones((1, 1, 2, 2))
    _, cache = max_pool_forward_naive(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
    dx = max_pool_backward_naive(np.full((1, 1, 1, 1), 5.0), cache)
    np.testing.assert_array_equal(dx, [[[[5.0, 0.0], [0.0, 0.0]]]])


# --------------------------------------------------------------------------
# spatial batch normalization, spatial group normalization
# --------------------------------------------------------------------------


@pytest.mark.parametrize("x_shape", [(2, 3, 4, 5), (1, 2, 3, 3), (5, 4, 2, 1)])
def test_spatial_batchnorm_matches_torch(x_shape):
    rng = np.random.default_rng(9)
    N, C, H, W = x_shape
    x = 4 * rng.standard_normal(x_shape) + 10
    gamma = rng.standard_normal(C)
    beta = rng.standard_normal(C)
    dout = rng.standard_normal(x_shape)
    bn_param = {"mode": "train"}

    out, cache = spatial_batchnorm_forward(x, gamma, beta, bn_param)
    dx, dgamma, dbeta = spatial_batchnorm_backward(dout, cache)

    tx, tg, tb = _t(x), _t(gamma), _t(beta)
    tout = F.batch_norm(tx, None, None, weight=tg, bias=tb, training=True, eps=1e-5)
    gx, gg, gb = _torch_grads(tout, dout, tx, tg, tb)

    _assert_close("spatial_batchnorm out", out, tout.detach().numpy())
    _assert_close("spatial_batchnorm dx", dx, gx)
    _assert_close("spatial_batchnorm dgamma", dgamma, gg)
    _assert_close("spatial_batchnorm dbeta", dbeta, gb)
    # running stats are per channel and follow the batchnorm rule
    np.testing.assert_allclose(bn_param["running_mean"], 0.1 * x.mean(axis=(0, 2, 3)), rtol=1e-12)
    np.testing.assert_allclose(bn_param["running_var"], 0.1 * x.var(axis=(0, 2, 3)), rtol=1e-12)


@pytest.mark.parametrize(
    "x_shape, G, eps",
    [((2, 6, 4, 5), 2, 1e-5), ((1, 4, 3, 3), 4, 1e-5), ((3, 6, 2, 5), 3, 1e-3), ((2, 5, 3, 2), 1, 1e-5)],
)
def test_spatial_groupnorm_matches_torch(x_shape, G, eps):
    rng = np.random.default_rng(10)
    N, C, H, W = x_shape
    x = 5 * rng.standard_normal(x_shape) + 12
    gamma = rng.standard_normal((1, C, 1, 1))
    beta = rng.standard_normal((1, C, 1, 1))
    dout = rng.standard_normal(x_shape)

    out, cache = spatial_groupnorm_forward(x, gamma, beta, G, {"eps": eps})
    dx, dgamma, dbeta = spatial_groupnorm_backward(dout, cache)

    tx, tg, tb = _t(x), _t(gamma.reshape(C)), _t(beta.reshape(C))
    tout = F.group_norm(tx, G, tg, tb, eps=eps)
    gx, gg, gb = _torch_grads(tout, dout, tx, tg, tb)

    _assert_close("spatial_groupnorm out", out, tout.detach().numpy())
    _assert_close("spatial_groupnorm dx", dx, gx)
    _assert_close("spatial_groupnorm dgamma", dgamma, gg.reshape(1, C, 1, 1))
    _assert_close("spatial_groupnorm dbeta", dbeta, gb.reshape(1, C, 1, 1))


# --------------------------------------------------------------------------
# losses
# --------------------------------------------------------------------------


@pytest.mark.parametrize("N, C, scale", [(1, 3, 1.0), (8, 5, 1.0), (50, 10, 1e-3), (6, 4, 30.0)])
def test_softmax_loss_matches_torch(N, C, scale):
    rng = np.random.default_rng(11)
    x = scale * rng.standard_normal((N, C))
    y = rng.integers(C, size=N)
    loss, dx = softmax_loss(x, y)

    tx = _t(x)
    tloss = F.cross_entropy(tx, torch.from_numpy(y))
    tloss.backward()
    _assert_close("softmax loss", loss, tloss.item())
    _assert_close("softmax dx", dx, tx.grad.numpy())


@pytest.mark.parametrize("N, C, scale", [(1, 3, 1.0), (8, 5, 1.0), (50, 10, 1e-3), (6, 4, 3.0)])
def test_svm_loss_matches_torch(N, C, scale):
    """torch's multi_margin_loss divides each sample's hinge sum by C;
    CS231n's svm loss does not, so ours is C times torch's."""
    rng = np.random.default_rng(12)
    x = scale * rng.standard_normal((N, C))
    y = rng.integers(C, size=N)
    loss, dx = svm_loss(x, y)

    tx = _t(x)
    tloss = C * F.multi_margin_loss(tx, torch.from_numpy(y), p=1, margin=1.0)
    tloss.backward()
    _assert_close("svm loss", loss, tloss.item())
    _assert_close("svm dx", dx, tx.grad.numpy())
