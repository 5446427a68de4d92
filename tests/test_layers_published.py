"""Values the CS231n assignment 2 notebooks publish, reproduced by the reference.

The set-ups are the notebooks' own cells (same seeds, shapes and formulas).
Values printed with numpy's default 8 decimals are compared to +-1e-8; where a
notebook compares with ``rel_error`` the tolerance is the one its comment
names ("should be around e-9" -> < 1e-8, and so on).

Where a notebook only prints a student's run (batchnorm/layernorm/groupnorm
statistics, dropout fractions, loss sanity checks) the numbers reproduced are
those a correct implementation gives with numpy's legacy ``np.random`` stream;
the one printed value a correct implementation does not reproduce (the
group-norm "After" stds) is checked against its closed form instead.
"""
from __future__ import annotations

import numpy as np

from cs231n.layers import (
    affine_forward,
    batchnorm_forward,
    conv_forward_naive,
    dropout_forward,
    layernorm_forward,
    max_pool_forward_naive,
    relu_forward,
    softmax_loss,
    spatial_batchnorm_forward,
    spatial_groupnorm_forward,
    svm_loss,
)
from helpers_numeric import rel_error

PRINTED = dict(rtol=0, atol=1e-8)  # numpy prints 8 decimals


def test_affine_forward_published():
    num_inputs = 2
    input_shape = (4, 5, 6)
    output_dim = 3
    input_size = num_inputs * np.prod(input_shape)
    weight_size = output_dim * np.prod(input_shape)
    x = np.linspace(-0.1, 0.5, num=input_size).reshape(num_inputs, *input_shape)
    w = np.linspace(-0.2, 0.3, num=weight_size).reshape(np.prod(input_shape), output_dim)
    b = np.linspace(-0.3, 0.1, num=output_dim)

    out, _ = affine_forward(x, w, b)
    correct_out = np.array([[1.49834967, 1.70660132, 1.91485297],
                            [3.25553199, 3.5141327, 3.77273342]])
    # notebook: "error should be around e-9 or less"
    assert rel_error(out, correct_out) < 1e-8


def test_relu_forward_published():
    x = np.linspace(-0.5, 0.5, num=12).reshape(3, 4)
    out, _ = relu_forward(x)
    correct_out = np.array([[0., 0., 0., 0.],
                            [0., 0., 0.04545455, 0.13636364],
                            [0.22727273, 0.31818182, 0.40909091, 0.5]])
    # notebook: "error should be on the order of e-8"
    assert rel_error(out, correct_out) < 1e-7


def test_conv_forward_naive_published():
    x_shape = (2, 3, 4, 4)
    w_shape = (3, 3, 4, 4)
    x = np.linspace(-0.1, 0.5, num=np.prod(x_shape)).reshape(x_shape)
    w = np.linspace(-0.2, 0.3, num=np.prod(w_shape)).reshape(w_shape)
    b = np.linspace(-0.1, 0.2, num=3)

    out, _ = conv_forward_naive(x, w, b, {"stride": 2, "pad": 1})
    correct_out = np.array([[[[-0.08759809, -0.10987781],
                              [-0.18387192, -0.2109216]],
                             [[0.21027089, 0.21661097],
                              [0.22847626, 0.23004637]],
                             [[0.50813986, 0.54309974],
                              [0.64082444, 0.67101435]]],
                            [[[-0.98053589, -1.03143541],
                              [-1.19128892, -1.24695841]],
                             [[0.69108355, 0.66880383],
                              [0.59480972, 0.56776003]],
                             [[2.36270298, 2.36904306],
                              [2.38090835, 2.38247847]]]])
    # notebook: "difference should be around e-8"
    assert rel_error(out, correct_out) < 1e-7


def test_max_pool_forward_naive_published():
    x_shape = (2, 3, 4, 4)
    x = np.linspace(-0.3, 0.4, num=np.prod(x_shape)).reshape(x_shape)
    pool_param = {"pool_width": 2, "pool_height": 2, "stride": 2}

    out, _ = max_pool_forward_naive(x, pool_param)
    correct_out = np.array([[[[-0.26315789, -0.24842105],
                              [-0.20421053, -0.18947368]],
                             [[-0.14526316, -0.13052632],
                              [-0.08631579, -0.07157895]],
                             [[-0.02736842, -0.01263158],
                              [0.03157895, 0.04631579]]],
                            [[[0.09052632, 0.10526316],
                              [0.14947368, 0.16421053]],
                             [[0.20842105, 0.22315789],
                              [0.26736842, 0.28210526]],
                             [[0.32631579, 0.34105263],
                              [0.38526316, 0.4]]]])
    # notebook: "difference should be on the order of e-8"
    assert rel_error(out, correct_out) < 1e-7


def _two_layer_activations(N, D1=50, D2=60, D3=3):
    np.random.seed(231)
    X = np.random.randn(N, D1)
    W1 = np.random.randn(D1, D2)
    W2 = np.random.randn(D2, D3)
    return np.maximum(0, X.dot(W1)).dot(W2)


def test_batchnorm_forward_train_published():
    a = _two_layer_activations(200)
    np.testing.assert_allclose(a.mean(axis=0), [-2.3814598, -13.18038246, 1.91780462], **PRINTED)
    np.testing.assert_allclose(a.std(axis=0), [27.18502186, 34.21455511, 37.68611762], **PRINTED)

    a_norm, _ = batchnorm_forward(a, np.ones(3), np.zeros(3), {"mode": "train"})
    assert np.all(np.abs(a_norm.mean(axis=0)) < 1e-12)
    np.testing.assert_allclose(a_norm.std(axis=0), [0.99999999, 1.0, 1.0], **PRINTED)

    gamma = np.asarray([1.0, 2.0, 3.0])
    beta = np.asarray([11.0, 12.0, 13.0])
    a_norm, _ = batchnorm_forward(a, gamma, beta, {"mode": "train"})
    np.testing.assert_allclose(a_norm.mean(axis=0), [11.0, 12.0, 13.0], **PRINTED)
    np.testing.assert_allclose(a_norm.std(axis=0), [0.99999999, 1.99999999, 2.99999999], **PRINTED)


def test_batchnorm_forward_test_time_published():
    np.random.seed(231)
    N, D1, D2, D3 = 200, 50, 60, 3
    W1 = np.random.randn(D1, D2)
    W2 = np.random.randn(D2, D3)
    bn_param = {"mode": "train"}
    gamma = np.ones(D3)
    beta = np.zeros(D3)
    for _ in range(50):
        X = np.random.randn(N, D1)
        a = np.maximum(0, X.dot(W1)).dot(W2)
        batchnorm_forward(a, gamma, beta, bn_param)
    bn_param["mode"] = "test"
    X = np.random.randn(N, D1)
    a = np.maximum(0, X.dot(W1)).dot(W2)
    a_norm, _ = batchnorm_forward(a, gamma, beta, bn_param)

    np.testing.assert_allclose(a_norm.mean(axis=0), [-0.03927354, -0.04349152, -0.10452688], **PRINTED)
    np.testing.assert_allclose(a_norm.std(axis=0), [1.01531428, 1.01238373, 0.97819988], **PRINTED)


def test_layernorm_forward_published():
    a = _two_layer_activations(4)
    np.testing.assert_allclose(
        a.mean(axis=1), [-59.06673243, -47.60782686, -43.31137368, -26.40991744], **PRINTED)
    np.testing.assert_allclose(
        a.std(axis=1), [10.07429373, 28.39478981, 35.28360729, 4.01831507], **PRINTED)

    a_norm, _ = layernorm_forward(a, np.ones(3), np.zeros(3), {"mode": "train"})
    assert np.all(np.abs(a_norm.mean(axis=1)) < 1e-12)
    np.testing.assert_allclose(
        a_norm.std(axis=1), [0.99999995, 0.99999999, 1.0, 0.99999969], **PRINTED)

    a_norm, _ = layernorm_forward(a, np.full(3, 3.0), np.full(3, 5.0), {"mode": "train"})
    np.testing.assert_allclose(a_norm.mean(axis=1), [5.0, 5.0, 5.0, 5.0], **PRINTED)
    np.testing.assert_allclose(
        a_norm.std(axis=1), [2.99999985, 2.99999998, 2.99999999, 2.99999907], **PRINTED)


def test_spatial_batchnorm_forward_train_published():
    np.random.seed(231)
    N, C, H, W = 2, 3, 4, 5
    x = 4 * np.random.randn(N, C, H, W) + 10
    np.testing.assert_allclose(x.mean(axis=(0, 2, 3)), [9.33463814, 8.90909116, 9.11056338], **PRINTED)
    np.testing.assert_allclose(x.std(axis=(0, 2, 3)), [3.61447857, 3.19347686, 3.5168142], **PRINTED)

    bn_param = {"mode": "train"}
    out, _ = spatial_batchnorm_forward(x, np.ones(C), np.zeros(C), bn_param)
    assert out.shape == (2, 3, 4, 5)
    assert np.all(np.abs(out.mean(axis=(0, 2, 3))) < 1e-12)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), [0.99999962, 0.99999951, 0.9999996], **PRINTED)

    out, _ = spatial_batchnorm_forward(x, np.asarray([3, 4, 5]), np.asarray([6, 7, 8]), bn_param)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), [6.0, 7.0, 8.0], **PRINTED)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), [2.99999885, 3.99999804, 4.99999798], **PRINTED)


def test_spatial_batchnorm_forward_test_time_published():
    np.random.seed(231)
    N, C, H, W = 10, 4, 11, 12
    bn_param = {"mode": "train"}
    gamma = np.ones(C)
    beta = np.zeros(C)
    for _ in range(50):
        x = 2.3 * np.random.randn(N, C, H, W) + 13
        spatial_batchnorm_forward(x, gamma, beta, bn_param)
    bn_param["mode"] = "test"
    x = 2.3 * np.random.randn(N, C, H, W) + 13
    a_norm, _ = spatial_batchnorm_forward(x, gamma, beta, bn_param)

    np.testing.assert_allclose(
        a_norm.mean(axis=(0, 2, 3)), [-0.08034406, 0.07562881, 0.05716371, 0.04378383], **PRINTED)
    np.testing.assert_allclose(
        a_norm.std(axis=(0, 2, 3)), [0.96718744, 1.0299714, 1.02887624, 1.00585577], **PRINTED)


def test_spatial_groupnorm_forward_published():
    np.random.seed(231)
    N, C, H, W = 2, 6, 4, 5
    G = 2
    x = 4 * np.random.randn(N, C, H, W) + 10
    x_g = x.reshape((N * G, -1))
    np.testing.assert_allclose(
        x_g.mean(axis=1), [9.72505327, 8.51114185, 8.9147544, 9.43448077], **PRINTED)
    np.testing.assert_allclose(
        x_g.std(axis=1), [3.67070958, 3.09892597, 4.27043622, 3.97521327], **PRINTED)

    gamma, beta = np.ones((1, C, 1, 1)), np.zeros((1, C, 1, 1))
    out, _ = spatial_groupnorm_forward(x, gamma, beta, G, {"mode": "train"})
    out_g = out.reshape((N * G, -1))
    assert out.shape == (2, 6, 4, 5)
    assert np.all(np.abs(out_g.mean(axis=1)) < 1e-12)
    # The run the notebooks show prints stds [0.99999834 0.99999782
    # 0.99999873 0.99999691]: not what group norm with eps = 1e-5 gives (no
    # single eps explains them). The exact value is sqrt(var / (var + eps)).
    var = x_g.var(axis=1)
    np.testing.assert_allclose(out_g.std(axis=1), np.sqrt(var / (var + 1e-5)), rtol=1e-12)


def test_dropout_forward_published():
    """The notebook's dropout cell; p is the keep probability."""
    np.random.seed(231)
    x = np.random.randn(500, 500) + 10
    published = {
        0.25: (10.014059116977283, 0.749784),
        0.4: (9.977917658761159, 0.600796),
        0.7: (9.987811912159426, 0.30074),
    }
    assert np.isclose(x.mean(), 10.000207878477502, rtol=1e-12, atol=0)
    for p, (train_mean, train_zero_fraction) in published.items():
        out, _ = dropout_forward(x, {"mode": "train", "p": p})
        out_test, _ = dropout_forward(x, {"mode": "test", "p": p})
        assert np.isclose(out.mean(), train_mean, rtol=1e-12, atol=0), p
        assert (out == 0).mean() == train_zero_fraction, p
        assert out_test.mean() == x.mean()
        assert (out_test == 0).mean() == 0.0


def test_loss_sanity_published():
    """svm loss ~ 9 (= C - 1) and softmax loss ~ log(10) for tiny scores."""
    np.random.seed(231)
    num_classes, num_inputs = 10, 50
    x = 0.001 * np.random.randn(num_inputs, num_classes)
    y = np.random.randint(num_classes, size=num_inputs)

    svm, _ = svm_loss(x, y)
    soft, _ = softmax_loss(x, y)
    assert abs(svm - 9) < 1e-2 and abs(soft - np.log(10)) < 1e-3
    # the notebook's printed losses
    assert np.isclose(svm, 8.999602749096233, rtol=1e-12, atol=0)
    assert np.isclose(soft, 2.302545844500738, rtol=1e-12, atol=0)
