"""The reference classifiers (``cs231n.classifiers``) and sandwich layers
(``cs231n.layer_utils``) against published CS231n values and numeric gradients.

The reference package is on sys.path through ``tests/conftest.py``.
"""
from __future__ import annotations

import numpy as np
import pytest

from cs231n.classifiers import FullyConnectedNet, ThreeLayerConvNet
from cs231n.classifiers.cnn import ThreeLayerConvNet as ThreeLayerConvNetDirect
from cs231n.classifiers.fc_net import FullyConnectedNet as FullyConnectedNetDirect
from cs231n.gradient_check import eval_numerical_gradient, eval_numerical_gradient_array
from cs231n import layer_utils

GRAD_TOL = 1e-6  # float64 relative error of every analytic gradient


def rel_error(x, y):
    """Max relative error as CS231n defines it."""
    return np.max(np.abs(x - y) / (np.maximum(1e-8, np.abs(x) + np.abs(y))))


def _fc_data(seed=231, N=2, D=15, C=10):
    np.random.seed(seed)
    X = np.random.randn(N, D)
    y = np.random.randint(C, size=(N,))
    return X, y


def numeric_gradient(f, x, h=1e-4):
    """Centred numeric gradient, Richardson-extrapolated from steps h and 2h.

    (4 g(h) - g(2h)) / 3 is the five-point stencil: its truncation error is
    O(h^4) instead of O(h^2), so the CS231n relative error of a correct
    gradient sits well below 1e-6 even for entries whose gradient is small.
    """
    g1 = eval_numerical_gradient(f, x, verbose=False, h=h)
    g2 = eval_numerical_gradient(f, x, verbose=False, h=2 * h)
    return (4 * g1 - g2) / 3


def numeric_gradient_array(f, x, df, h=1e-4):
    """Like numeric_gradient, for an array-valued f with upstream gradient df."""
    g1 = eval_numerical_gradient_array(f, x, df, h=h)
    g2 = eval_numerical_gradient_array(f, x, df, h=2 * h)
    return (4 * g1 - g2) / 3


def _check_model_gradients(model, X, y, skip_zero=(), tol=GRAD_TOL, numeric=None):
    """Compare every analytic gradient with a centred numeric gradient.

    Parameters in ``skip_zero`` have an exactly-zero true gradient (e.g. the
    biases in front of a batchnorm layer); relative error is meaningless there,
    so both gradients must be zero in absolute terms instead.
    """
    loss, grads = model.loss(X, y)
    assert np.isfinite(loss)
    assert sorted(grads) == sorted(model.params), "grads must have the keys of params"
    errors = {}
    for name in sorted(grads):
        assert grads[name].shape == model.params[name].shape, name
        f = lambda _: model.loss(X, y)[0]
        if numeric is None:
            num = numeric_gradient(f, model.params[name])
        else:
            num = numeric(f, model.params[name])
        if name in skip_zero:
            assert np.max(np.abs(grads[name])) < 1e-10, name
            assert np.max(np.abs(num)) < 1e-8, name
            errors[name] = 0.0
            continue
        errors[name] = rel_error(num, grads[name])
    worst = max(errors, key=errors.get)
    print("  max relative error: %s %.1e" % (worst, errors[worst]))
    bad = {k: v for k, v in errors.items() if v >= tol}
    assert not bad, "relative errors above %g: %s" % (tol, bad)
    return loss, errors


# --------------------------------------------------------------------------
# FullyConnectedNet: published values
# --------------------------------------------------------------------------

def test_fc_net_initial_loss_matches_published_values():
    # FullyConnectedNets.ipynb (2019/2020): "Initial loss" of the reg check.
    N, D, H1, H2, C = 2, 15, 20, 30, 10
    X, y = _fc_data(231, N, D, C)
    published = {0: 2.3004790897684924, 3.14: 7.052114776533016}
    for reg in [0, 3.14]:
        model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C,
                                  reg=reg, weight_scale=5e-2, dtype=np.float64)
        loss, grads = model.loss(X, y)
        assert loss == pytest.approx(published[reg], rel=1e-10, abs=0)
        assert len(model.params) == len(grads)


def test_fc_net_batchnorm_initial_loss_matches_published_values():
    # BatchNormalization.ipynb (2019/2020): "Initial loss" of the gradient check.
    N, D, H1, H2, C = 2, 15, 20, 30, 10
    X, y = _fc_data(231, N, D, C)
    published = {0: 2.2611955101340957, 3.14: 6.996533220108303}
    for reg in [0, 3.14]:
        model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C,
                                  reg=reg, weight_scale=5e-2, dtype=np.float64,
                                  normalization='batchnorm')
        loss, _ = model.loss(X, y)
        assert loss == pytest.approx(published[reg], rel=1e-10, abs=0)


def test_fc_net_dropout_initial_loss_matches_published_values():
    # Dropout.ipynb (2019/2020, keep probability p, seed=123): "Initial loss".
    N, D, H1, H2, C = 2, 15, 20, 30, 10
    X, y = _fc_data(231, N, D, C)
    published = {1: 2.3004790897684924, 0.75: 2.302371489704412, 0.5: 2.3042759220785896}
    for dropout in [1, 0.75, 0.5]:
        model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C,
                                  weight_scale=5e-2, dtype=np.float64,
                                  dropout=dropout, seed=123)
        loss, _ = model.loss(X, y)
        assert loss == pytest.approx(published[dropout], rel=1e-10, abs=0)


# --------------------------------------------------------------------------
# FullyConnectedNet: construction
# --------------------------------------------------------------------------

@pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"])
def test_fc_net_parameters(normalization):
    np.random.seed(0)
    dims = [64, 40, 30, 20, 10]
    model = FullyConnectedNet(dims[1:-1], input_dim=dims[0], num_classes=dims[-1],
                              normalization=normalization, weight_scale=0.1,
                              dtype=np.float32)
    assert model.num_layers == 4
    expected = {}
    for i in range(1, 5):
        expected['W%d' % i] = (dims[i - 1], dims[i])
        expected['b%d' % i] = (dims[i],)
        if normalization is not None and i < 4:
            expected['gamma%d' % i] = (dims[i],)
            expected['beta%d' % i] = (dims[i],)
    assert {k: v.shape for k, v in model.params.items()} == expected
    for k, v in model.params.items():
        assert v.dtype == np.float32, k
        if k.startswith('b'):
            assert np.all(v == 0), k
        elif k.startswith('gamma'):
            assert np.all(v == 1), k
        elif k.startswith('W'):
            assert abs(v.std() - 0.1) < 0.02, k
            assert abs(v.mean()) < 0.02, k
    if normalization == 'batchnorm':
        assert model.bn_params == [{'mode': 'train'}] * 3
    elif normalization == 'layernorm':
        assert model.bn_params == [{}] * 3
    else:
        assert model.bn_params == []
    assert model.use_dropout is False
    assert model.dropout_param == {}


def test_fc_net_weights_drawn_layer_by_layer():
    np.random.seed(5)
    model = FullyConnectedNet([7, 6], input_dim=5, num_classes=3, weight_scale=2.0,
                              normalization='layernorm', dtype=np.float64)
    np.random.seed(5)
    assert np.array_equal(model.params['W1'], 2.0 * np.random.randn(5, 7))
    assert np.array_equal(model.params['W2'], 2.0 * np.random.randn(7, 6))
    assert np.array_equal(model.params['W3'], 2.0 * np.random.randn(6, 3))


def test_fc_net_dropout_param():
    model = FullyConnectedNet([10], input_dim=5, dropout=0.3, seed=7)
    assert model.use_dropout
    assert model.dropout_param == {'mode': 'train', 'p': 0.3, 'seed': 7}
    model = FullyConnectedNet([10], input_dim=5, dropout=0.3)
    assert model.dropout_param == {'mode': 'train', 'p': 0.3}


def test_direct_module_imports_are_the_exports():
    assert FullyConnectedNet is FullyConnectedNetDirect
    assert ThreeLayerConvNet is ThreeLayerConvNetDirect


# --------------------------------------------------------------------------
# FullyConnectedNet: gradients
# --------------------------------------------------------------------------

FC_CASES = [
    pytest.param(dict(), id="plain"),
    pytest.param(dict(reg=3.14), id="plain-reg"),
    pytest.param(dict(normalization='batchnorm'), id="batchnorm"),
    pytest.param(dict(normalization='batchnorm', reg=0.7), id="batchnorm-reg"),
    pytest.param(dict(normalization='layernorm'), id="layernorm"),
    pytest.param(dict(normalization='layernorm', reg=0.7), id="layernorm-reg"),
    pytest.param(dict(dropout=0.75, seed=123), id="dropout"),
    pytest.param(dict(dropout=0.5, seed=123, normalization='batchnorm', reg=0.1),
                 id="dropout-batchnorm-reg"),
    pytest.param(dict(dropout=0.5, seed=123, normalization='layernorm'),
                 id="dropout-layernorm"),
]


@pytest.mark.parametrize("kwargs", FC_CASES)
def test_fc_net_numeric_gradients(kwargs):
    N, D, H1, H2, C = 8, 15, 20, 30, 10
    X, y = _fc_data(231, N, D, C)
    model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C,
                              weight_scale=0.25, dtype=np.float64, **kwargs)
    # A batchnorm layer removes the batch mean, so the biases in front of it
    # have an exactly-zero gradient.
    skip = ('b1', 'b2') if kwargs.get('normalization') == 'batchnorm' else ()
    _check_model_gradients(model, X, y, skip_zero=skip)


def test_fc_net_published_check_gradients():
    # The notebook's own setting (N=2, weight_scale=5e-2) without normalization.
    N, D, H1, H2, C = 2, 15, 20, 30, 10
    X, y = _fc_data(231, N, D, C)
    for reg in [0, 3.14]:
        model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C,
                                  reg=reg, weight_scale=5e-2, dtype=np.float64)
        # The notebook's own numeric gradient (h=1e-5); it notes W2 may reach
        # ~2e-5 here (tiny gradients).
        plain = lambda f, x: eval_numerical_gradient(f, x, verbose=False, h=1e-5)
        _check_model_gradients(model, X, y, tol=1e-4, numeric=plain)


@pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"])
def test_fc_net_regularizes_every_weight_matrix(normalization):
    N, D, C, reg = 6, 12, 5, 0.37
    X, y = _fc_data(1, N, D, C)
    np.random.seed(3)
    model = FullyConnectedNet([9, 8, 7], input_dim=D, num_classes=C, reg=0.0,
                              normalization=normalization, weight_scale=0.3,
                              dtype=np.float64)
    loss0, grads0 = model.loss(X, y)
    model.reg = reg
    loss1, grads1 = model.loss(X, y)
    weights = [k for k in model.params if k.startswith('W')]
    assert len(weights) == 4
    penalty = 0.5 * reg * sum(np.sum(model.params[k] ** 2) for k in weights)
    assert loss1 - loss0 == pytest.approx(penalty, rel=1e-10)
    for k, v in model.params.items():
        expected = reg * v if k.startswith('W') else np.zeros_like(v)
        assert np.allclose(grads1[k] - grads0[k], expected, rtol=1e-9, atol=1e-12), k


@pytest.mark.parametrize("kwargs", [dict(), dict(normalization='batchnorm'),
                                    dict(normalization='layernorm'),
                                    dict(dropout=0.5, normalization='batchnorm')])
def test_fc_net_test_mode_returns_scores(kwargs):
    N, D, C = 7, 12, 4
    X = np.random.RandomState(0).randn(N, 3, 2, 2)
    y = np.arange(N) % C
    model = FullyConnectedNet([9, 8], input_dim=D, num_classes=C, weight_scale=0.1,
                              **kwargs)
    model.loss(X, y)  # one training pass (fills batchnorm running statistics)
    scores = model.loss(X)
    assert isinstance(scores, np.ndarray)
    assert scores.shape == (N, C)
    assert scores.dtype == np.float32
    assert np.array_equal(scores, model.loss(X)), "test mode must be deterministic"
    if kwargs.get('normalization') == 'batchnorm':
        assert all(p['mode'] == 'test' for p in model.bn_params)
        assert all('running_mean' in p for p in model.bn_params)
    if 'dropout' in kwargs:
        assert model.dropout_param['mode'] == 'test'


def test_fc_net_overfits_tiny_batch():
    """A few hundred plain gradient steps drive the loss of 10 points to ~0."""
    N, D, C = 10, 20, 5
    X, y = _fc_data(4, N, D, C)
    np.random.seed(4)
    model = FullyConnectedNet([30, 30], input_dim=D, num_classes=C,
                              weight_scale=0.2, dtype=np.float64)
    for _ in range(300):
        loss, grads = model.loss(X, y)
        for k in model.params:
            model.params[k] -= 0.1 * grads[k]
    assert loss < 0.05
    assert np.all(np.argmax(model.loss(X), axis=1) == y)


# --------------------------------------------------------------------------
# layer_utils: sandwich layers
# --------------------------------------------------------------------------

def _check_sandwich(forward, backward, args, n_grads, tol=GRAD_TOL, zero=()):
    """Numeric gradients of forward(*args)[0] w.r.t. each of the first n_grads args.

    Arguments whose index is in ``zero`` have an exactly-zero true gradient
    (a bias in front of batchnorm): both gradients must vanish instead.
    """
    out, cache = forward(*args)
    dout = np.random.RandomState(9).randn(*out.shape)
    grads = backward(dout, cache)
    assert len(grads) == n_grads
    for i in range(n_grads):
        def f(_, i=i):
            return forward(*args)[0]
        num = numeric_gradient_array(f, args[i], dout)
        assert grads[i].shape == args[i].shape
        if i in zero:
            assert np.max(np.abs(num)) < 1e-8 and np.max(np.abs(grads[i])) < 1e-10
            continue
        err = rel_error(num, grads[i])
        assert err < tol, "gradient %d: relative error %g" % (i, err)
    return out


def test_affine_relu():
    rs = np.random.RandomState(231)
    x, w, b = rs.randn(2, 3, 4), rs.randn(12, 10), rs.randn(10)
    out = _check_sandwich(layer_utils.affine_relu_forward,
                          layer_utils.affine_relu_backward, (x, w, b), 3)
    assert np.allclose(out, np.maximum(0, x.reshape(2, 12) @ w + b))


@pytest.mark.parametrize("normalization", ["batchnorm", "layernorm"])
def test_affine_norm_relu(normalization):
    rs = np.random.RandomState(231)
    N, D, M = 6, 5, 7
    x, w, b = rs.randn(N, D), rs.randn(D, M), rs.randn(M)
    gamma, beta = rs.rand(M) + 0.5, rs.randn(M)
    param = {'mode': 'train'} if normalization == 'batchnorm' else {}
    out = _check_sandwich(
        layer_utils.affine_norm_relu_forward, layer_utils.affine_norm_relu_backward,
        (x, w, b, gamma, beta, param, normalization), 5,
        zero=(2,) if normalization == 'batchnorm' else ())
    a = x @ w + b
    axis = 0 if normalization == 'batchnorm' else 1
    mu, var = a.mean(axis=axis, keepdims=True), a.var(axis=axis, keepdims=True)
    expected = np.maximum(0, gamma * (a - mu) / np.sqrt(var + 1e-5) + beta)
    assert rel_error(out, expected) < 1e-7
    assert out.shape == (N, M)


def test_conv_relu():
    rs = np.random.RandomState(231)
    x, w, b = rs.randn(2, 3, 8, 8), rs.randn(3, 3, 3, 3), rs.randn(3)
    out = _check_sandwich(layer_utils.conv_relu_forward, layer_utils.conv_relu_backward,
                          (x, w, b, {'stride': 1, 'pad': 1}), 3)
    assert out.shape == (2, 3, 8, 8)
    assert np.all(out >= 0)


def test_conv_bn_relu():
    rs = np.random.RandomState(231)
    x, w, b = rs.randn(2, 3, 5, 5), rs.randn(3, 3, 3, 3), rs.randn(3)
    gamma, beta = rs.rand(3) + 0.5, rs.randn(3)
    conv_param, bn_param = {'stride': 1, 'pad': 1}, {'mode': 'train'}
    out, cache = layer_utils.conv_bn_relu_forward(x, w, b, gamma, beta, conv_param, bn_param)
    dout = rs.randn(*out.shape)
    dx, dw, db, dgamma, dbeta = layer_utils.conv_bn_relu_backward(dout, cache)
    args = [x, w, b, gamma, beta]
    analytic = [dx, dw, db, dgamma, dbeta]
    for i, name in enumerate(['x', 'w', 'b', 'gamma', 'beta']):
        def f(_):
            return layer_utils.conv_bn_relu_forward(*args, conv_param, bn_param)[0]
        num = numeric_gradient_array(f, args[i], dout)
        if name == 'b':  # the spatial batchnorm removes the per-channel bias
            assert np.max(np.abs(num)) < 1e-8 and np.max(np.abs(db)) < 1e-10
            continue
        assert rel_error(num, analytic[i]) < GRAD_TOL, name
    assert out.shape == (2, 3, 5, 5)


def test_conv_relu_pool():
    rs = np.random.RandomState(231)
    x, w, b = rs.randn(2, 3, 8, 8), rs.randn(3, 3, 3, 3), rs.randn(3)
    out = _check_sandwich(
        layer_utils.conv_relu_pool_forward, layer_utils.conv_relu_pool_backward,
        (x, w, b, {'stride': 1, 'pad': 1}, {'pool_height': 2, 'pool_width': 2, 'stride': 2}), 3)
    assert out.shape == (2, 3, 4, 4)


# --------------------------------------------------------------------------
# ThreeLayerConvNet
# --------------------------------------------------------------------------

def test_cnn_parameters():
    np.random.seed(0)
    model = ThreeLayerConvNet(input_dim=(1, 8, 8), num_filters=6, filter_size=3,
                              hidden_dim=20, num_classes=10, weight_scale=0.1)
    shapes = {k: v.shape for k, v in model.params.items()}
    assert shapes == {'W1': (6, 1, 3, 3), 'b1': (6,), 'W2': (6 * 4 * 4, 20),
                      'b2': (20,), 'W3': (20, 10), 'b3': (10,)}
    for k, v in model.params.items():
        assert v.dtype == np.float32
        if k.startswith('b'):
            assert np.all(v == 0)
    assert abs(model.params['W2'].std() - 0.1) < 0.02


def test_cnn_initial_loss_is_log_c():
    np.random.seed(231)
    model = ThreeLayerConvNet(input_dim=(3, 16, 16), hidden_dim=20, dtype=np.float64)
    X = np.random.randn(20, 3, 16, 16)
    y = np.random.randint(10, size=20)
    loss, _ = model.loss(X, y)
    assert loss == pytest.approx(np.log(10), abs=1e-3)
    model.reg = 0.5
    loss_reg, _ = model.loss(X, y)
    assert loss_reg > loss


@pytest.mark.parametrize("reg", [0.0, 0.6])
def test_cnn_numeric_gradients(reg):
    np.random.seed(231)
    num_inputs, input_dim, num_classes = 2, (3, 8, 8), 10
    X = np.random.randn(num_inputs, *input_dim)
    y = np.random.randint(num_classes, size=num_inputs)
    model = ThreeLayerConvNet(num_filters=3, filter_size=3, input_dim=input_dim,
                              hidden_dim=7, weight_scale=5e-2, reg=reg,
                              dtype=np.float64)
    _check_model_gradients(model, X, y)


def test_cnn_regularizes_every_weight_matrix():
    np.random.seed(2)
    X = np.random.randn(3, 2, 6, 6)
    y = np.array([0, 1, 2])
    model = ThreeLayerConvNet(input_dim=(2, 6, 6), num_filters=4, filter_size=5,
                              hidden_dim=6, num_classes=3, weight_scale=0.2,
                              dtype=np.float64)
    loss0, grads0 = model.loss(X, y)
    model.reg = 0.9
    loss1, grads1 = model.loss(X, y)
    penalty = 0.45 * sum(np.sum(model.params[k] ** 2) for k in ('W1', 'W2', 'W3'))
    assert loss1 - loss0 == pytest.approx(penalty, rel=1e-10)
    for k, v in model.params.items():
        expected = 0.9 * v if k.startswith('W') else np.zeros_like(v)
        assert np.allclose(grads1[k] - grads0[k], expected, rtol=1e-9, atol=1e-12), k


def test_cnn_test_mode_returns_scores():
    model = ThreeLayerConvNet(input_dim=(1, 8, 8), num_filters=4, filter_size=3,
                              hidden_dim=10, num_classes=10, weight_scale=0.1)
    X = np.random.RandomState(0).randn(5, 1, 8, 8).astype(np.float32)
    scores = model.loss(X)
    assert isinstance(scores, np.ndarray)
    assert scores.shape == (5, 10)
    loss, grads = model.loss(X, np.arange(5))
    assert np.isfinite(loss)
    assert sorted(grads) == sorted(model.params)


def test_cnn_computes_in_its_dtype():
    # float64 images into a float32 net: X is cast to the net's dtype, as in
    # FullyConnectedNet, so scores and gradients stay float32.
    model = ThreeLayerConvNet(input_dim=(1, 8, 8), num_filters=4, filter_size=3,
                              hidden_dim=10, num_classes=10, weight_scale=0.1,
                              dtype=np.float32)
    X = np.random.RandomState(1).randn(4, 1, 8, 8)
    assert model.loss(X).dtype == np.float32
    _, grads = model.loss(X, np.arange(4))
    assert {g.dtype for g in grads.values()} == {np.dtype(np.float32)}
