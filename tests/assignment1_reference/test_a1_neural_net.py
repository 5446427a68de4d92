"""The reference TwoLayerNet (cs231n/classifiers/neural_net.py): the course
notebook's toy model and its published values, gradients against PyTorch
autograd and centred differences, the training loop, and the digits."""
from __future__ import annotations

import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from a1ref_helpers import numeric_gradient, rel_error

# Published in the course's two_layer_net.ipynb (2018-2020).
CORRECT_SCORES = np.asarray([
    [-0.81233741, -1.27654624, -0.70335995],
    [-0.17129677, -1.18803311, -0.47310444],
    [-0.51590475, -1.01354314, -0.8504215],
    [-0.15419291, -0.48629638, -0.52901952],
    [-0.00618733, -0.12435261, -0.15226949],
])
CORRECT_LOSS = 1.30378789133            # reg = 0.05
FINAL_TOY_TRAINING_LOSS = 0.017149607938732093


def init_toy_model(a1):
    np.random.seed(0)
    return a1.classifiers.TwoLayerNet(4, 10, 3, std=1e-1)


def init_toy_data():
    np.random.seed(1)
    X = 10 * np.random.randn(5, 4)
    y = np.array([0, 1, 2, 2, 1])
    return X, y


def torch_two_layer(params, X, y, reg):
    """affine - ReLU - affine - softmax cross-entropy (mean over N) plus
    reg * (sum W1^2 + sum W2^2), in float64 torch; returns (loss, grads)."""
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    Xt = torch.tensor(X, dtype=torch.float64)
    scores = torch.relu(Xt @ t["W1"] + t["b1"]) @ t["W2"] + t["b2"]
    loss = F.cross_entropy(scores, torch.tensor(y)) + reg * ((t["W1"] ** 2).sum() + (t["W2"] ** 2).sum())
    loss.backward()
    return loss.item(), {k: v.grad.numpy() for k, v in t.items()}


def test_init_shapes_and_draws(a1):
    np.random.seed(7)
    net = a1.classifiers.TwoLayerNet(6, 5, 3, std=0.3)
    np.random.seed(7)
    W1 = 0.3 * np.random.randn(6, 5)
    W2 = 0.3 * np.random.randn(5, 3)
    assert sorted(net.params) == ["W1", "W2", "b1", "b2"]
    np.testing.assert_array_equal(net.params["W1"], W1)
    np.testing.assert_array_equal(net.params["W2"], W2)
    np.testing.assert_array_equal(net.params["b1"], np.zeros(5))
    np.testing.assert_array_equal(net.params["b2"], np.zeros(3))


def test_published_toy_scores(a1):
    net = init_toy_model(a1)
    X, _ = init_toy_data()
    scores = net.loss(X)
    assert scores.shape == (5, 3)
    # the notebook: "The difference should be very small. We get < 1e-7"
    assert np.sum(np.abs(scores - CORRECT_SCORES)) < 1e-7


def test_published_toy_loss(a1):
    net = init_toy_model(a1)
    X, y = init_toy_data()
    loss, _ = net.loss(X, y, reg=0.05)
    # the notebook: "should be very small, we get < 1e-12"
    assert np.sum(np.abs(loss - CORRECT_LOSS)) < 1e-12


@pytest.mark.parametrize("reg", [0.0, 0.05, 1.0])
def test_toy_gradients_against_torch(a1, reg):
    net = init_toy_model(a1)
    X, y = init_toy_data()
    loss, grads = net.loss(X, y, reg=reg)
    t_loss, t_grads = torch_two_layer(net.params, X, y, reg)
    assert rel_error(loss, t_loss) < 1e-12
    assert sorted(grads) == sorted(net.params)
    for name in net.params:
        assert grads[name].shape == net.params[name].shape
        assert rel_error(grads[name], t_grads[name]) < 1e-10, name


def test_toy_gradients_against_centred_differences(a1):
    """The notebook's check: each relative error below 1e-8."""
    net = init_toy_model(a1)
    X, y = init_toy_data()
    _, grads = net.loss(X, y, reg=0.05)
    for name in net.params:
        original = net.params[name]

        def f(value, name=name):
            net.params[name] = value
            return net.loss(X, y, reg=0.05)[0]

        num = numeric_gradient(f, original, h=1e-5)
        net.params[name] = original
        assert rel_error(grads[name], num) < 1e-8, name


def test_gradients_against_torch_on_a_larger_batch(a1):
    rng = np.random.default_rng(0)
    np.random.seed(3)
    net = a1.classifiers.TwoLayerNet(20, 15, 7, std=0.5)
    X = rng.normal(size=(40, 20))
    y = rng.integers(0, 7, size=40)
    loss, grads = net.loss(X, y, reg=0.1)
    t_loss, t_grads = torch_two_layer(net.params, X, y, 0.1)
    assert rel_error(loss, t_loss) < 1e-12
    for name in net.params:
        assert rel_error(grads[name], t_grads[name]) < 1e-10, name


def test_loss_is_stable_for_large_scores(a1):
    np.random.seed(4)
    net = a1.classifiers.TwoLayerNet(10, 8, 4, std=10.0)
    X = 1e3 * np.random.default_rng(1).normal(size=(6, 10))
    y = np.array([0, 1, 2, 3, 0, 1])
    with np.errstate(over="raise", invalid="raise"):
        loss, grads = net.loss(X, y, reg=0.0)
    t_loss, t_grads = torch_two_layer(net.params, X, y, 0.0)
    assert np.isfinite(loss)
    assert rel_error(loss, t_loss) < 1e-10


def test_predict_is_the_argmax_of_the_scores(a1):
    net = init_toy_model(a1)
    X, _ = init_toy_data()
    np.testing.assert_array_equal(net.predict(X), np.argmax(net.loss(X), axis=1))


def test_published_toy_training(a1):
    """The notebook trains the toy net with lr 1e-1, reg 5e-6 for 100
    iterations: 'you should achieve a training loss less than 0.02'; it
    prints a final training loss of 0.017149607938732093."""
    # as in the notebook: the data exist already, the train cell builds a
    # fresh model and trains it (its minibatches follow the model's draws)
    X, y = init_toy_data()
    net = init_toy_model(a1)
    stats = net.train(X, y, X, y, learning_rate=1e-1, reg=5e-6, num_iters=100, verbose=False)
    final = stats["loss_history"][-1]
    assert final < 0.02
    # same random draws as the course (np.random.choice with replacement)
    assert abs(final - FINAL_TOY_TRAINING_LOSS) < 1e-12


def test_train_histories(a1):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(100, 6))
    y = rng.integers(0, 3, size=100)
    np.random.seed(0)
    net = a1.classifiers.TwoLayerNet(6, 5, 3)
    stats = net.train(X, y, X[:20], y[:20], num_iters=23, batch_size=20)
    assert sorted(stats) == ["loss_history", "train_acc_history", "val_acc_history"]
    assert len(stats["loss_history"]) == 23
    # iterations_per_epoch = 100 // 20 = 5: accuracy at iterations 0, 5, ..., 20
    assert len(stats["train_acc_history"]) == 5
    assert len(stats["val_acc_history"]) == 5
    assert all(0.0 <= a <= 1.0 for a in stats["val_acc_history"])


def test_learning_rate_decays_once_an_epoch(a1):
    """With learning_rate_decay = 0 the rate is 0 after the first epoch
    check (iteration 0): only the first step moves the parameters."""
    rng = np.random.default_rng(6)
    X = rng.normal(size=(40, 6))
    y = rng.integers(0, 3, size=40)
    np.random.seed(0)
    net = a1.classifiers.TwoLayerNet(6, 5, 3, std=0.1)
    net.train(X, y, X, y, learning_rate=0.5, learning_rate_decay=0.0, num_iters=1, batch_size=10)
    after_one = {k: v.copy() for k, v in net.params.items()}
    net.train(X, y, X, y, learning_rate=0.5, learning_rate_decay=0.0, num_iters=1, batch_size=10)
    moved = {k: v.copy() for k, v in net.params.items()}
    assert any(not np.array_equal(after_one[k], moved[k]) for k in moved)

    np.random.seed(0)
    net = a1.classifiers.TwoLayerNet(6, 5, 3, std=0.1)
    net.train(X, y, X, y, learning_rate=0.5, learning_rate_decay=0.0, num_iters=12, batch_size=10)
    for k in net.params:
        np.testing.assert_array_equal(net.params[k], after_one[k])


def test_sgd_step(a1):
    """One iteration moves every parameter by -learning_rate * its gradient
    on the minibatch drawn."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(8, 6))
    y = rng.integers(0, 3, size=8)
    np.random.seed(0)
    net = a1.classifiers.TwoLayerNet(6, 5, 3, std=0.1)
    before = {k: v.copy() for k, v in net.params.items()}
    np.random.seed(11)
    net.train(X, y, X, y, learning_rate=0.3, num_iters=1, batch_size=4)
    np.random.seed(11)
    idx = np.random.choice(8, 4)
    _, t_grads = torch_two_layer(before, X[idx], y[idx], 5e-6)
    for k in before:
        np.testing.assert_allclose(net.params[k], before[k] - 0.3 * t_grads[k], rtol=1e-10, atol=1e-14)


def test_digits_validation_accuracy(a1, digits_centred):
    """Measured on the seed-0 split (centred pixels 0..255, no bias column):
    TwoLayerNet(64, 50, 10), default std 1e-4, lr 1e-2, reg 0.05, decay 0.98,
    300 iterations of batch 200 -> validation 0.987 (train 0.997), ~0.1 s."""
    d = digits_centred
    np.random.seed(0)
    net = a1.classifiers.TwoLayerNet(64, 50, 10)
    start = time.perf_counter()
    stats = net.train(d["X_train"], d["y_train"], d["X_val"], d["y_val"],
                      learning_rate=1e-2, learning_rate_decay=0.98, reg=0.05,
                      num_iters=300, batch_size=200)
    elapsed = time.perf_counter() - start
    val_acc = np.mean(net.predict(d["X_val"]) == d["y_val"])
    assert val_acc > 0.95, val_acc
    assert stats["loss_history"][-1] < 0.5
    assert elapsed < 10
