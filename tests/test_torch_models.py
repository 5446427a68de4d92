"""The reference PyTorch part (cs231n/torch_models.py)."""
from __future__ import annotations

import math
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from cs231n.data_utils import get_digits_data  # noqa: E402
from cs231n.torch_models import (  # noqa: E402
    ThreeLayerConvNet,
    TwoLayerFC,
    build_best_model,
    check_accuracy,
    flatten,
    train_model,
)

BEST_MODEL_EPOCHS = 10  # the budget build_best_model's docstring promises
BEST_MODEL_MIN_VAL_ACC = 0.95
BEST_MODEL_MAX_SECONDS = 30.0


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Run these tests on one intra-op thread. On a machine shared with other
    jobs, torch's default (one OpenMP thread per core) spin-waits against the
    other processes: the best-model run measured 2 s on one thread and
    13-27 s on two threads at load average ~5. Restored afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def digits():
    return get_digits_data()


def test_flatten():
    x = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2, 3, 4, 5)
    out = flatten(x)
    assert out.shape == (2, 60)
    assert torch.equal(out[1], x[1].reshape(-1))
    # works on a non-contiguous tensor too
    xt = x.transpose(1, 3)
    assert torch.equal(flatten(xt), xt.reshape(2, -1))


def test_two_layer_fc_shapes_and_init():
    torch.manual_seed(0)
    model = TwoLayerFC(3 * 16 * 16, 42, 10)
    scores = model(torch.zeros((64, 3, 16, 16)))
    assert scores.shape == (64, 10)
    assert model.fc1.weight.shape == (42, 768) and model.fc2.weight.shape == (10, 42)
    assert torch.all(model.fc1.bias == 0) and torch.all(model.fc2.bias == 0)
    # Kaiming normal (fan_in, gain sqrt(2)): std sqrt(2 / 768)
    std = model.fc1.weight.std().item()
    assert abs(std - math.sqrt(2 / 768)) < 0.1 * math.sqrt(2 / 768)


def test_three_layer_convnet_shapes():
    torch.manual_seed(0)
    model = ThreeLayerConvNet(in_channel=3, channel_1=12, channel_2=8, num_classes=10)
    assert model(torch.zeros((64, 3, 32, 32))).shape == (64, 10)
    assert model.conv1.weight.shape == (12, 3, 5, 5)
    assert model.conv2.weight.shape == (8, 12, 3, 3)
    assert model.fc.weight.shape == (10, 8 * 32 * 32)
    for layer in (model.conv1, model.conv2, model.fc):
        assert torch.all(layer.bias == 0)

    small = ThreeLayerConvNet(1, 6, 4, 10, image_size=8, kernel_size_1=3, kernel_size_2=5)
    assert small(torch.zeros((5, 1, 8, 8))).shape == (5, 10)
    assert small.fc.weight.shape == (10, 4 * 8 * 8)
    rect = ThreeLayerConvNet(2, 3, 4, 7, image_size=(6, 10))
    assert rect(torch.zeros((2, 2, 6, 10))).shape == (2, 7)


def test_three_layer_convnet_forward_is_conv_relu_conv_relu_fc():
    torch.manual_seed(1)
    model = ThreeLayerConvNet(1, 3, 2, 4, image_size=8, kernel_size_1=3, kernel_size_2=3)
    x = torch.randn(5, 1, 8, 8)
    F = torch.nn.functional
    h = F.relu(F.conv2d(x, model.conv1.weight, model.conv1.bias, padding=1))
    h = F.relu(F.conv2d(h, model.conv2.weight, model.conv2.bias, padding=1))
    expected = h.reshape(5, -1) @ model.fc.weight.T + model.fc.bias
    torch.testing.assert_close(model(x), expected)


def test_check_accuracy_accepts_numpy():
    class Fixed(nn.Module):
        def forward(self, x):
            # predicts class 1 when the first pixel is positive, else 0
            p = (x.reshape(x.shape[0], -1)[:, 0] > 0).to(torch.float32)
            return torch.stack([1 - p, p], dim=1)

    X = np.array([1.0, -1.0, 2.0, -3.0, 5.0]).reshape(5, 1, 1, 1)  # float64
    y = np.array([1, 0, 0, 0, 1])
    assert check_accuracy(Fixed(), X, y, batch_size=2) == pytest.approx(0.8)
    assert isinstance(check_accuracy(Fixed(), X, y), float)


def test_train_model_losses_and_determinism(digits):
    def run():
        torch.manual_seed(0)
        model = TwoLayerFC(64, 50, 10)
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        losses = train_model(model, opt, digits["X_train"], digits["y_train"],
                             epochs=3, batch_size=100, seed=5)
        return model, losses

    model, losses = run()
    assert len(losses) == 3 * math.ceil(1197 / 100)
    assert all(isinstance(v, float) for v in losses)
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:3])
    _, again = run()
    assert losses == again
    assert check_accuracy(model, digits["X_val"], digits["y_val"]) > 0.85


def test_train_model_three_layer_convnet(digits):
    torch.manual_seed(0)
    model = ThreeLayerConvNet(1, 8, 8, 10, image_size=8, kernel_size_1=3, kernel_size_2=3)
    opt = torch.optim.SGD(model.parameters(), lr=3e-2, momentum=0.9, nesterov=True)
    train_model(model, opt, digits["X_train"], digits["y_train"], epochs=3)
    assert check_accuracy(model, digits["X_val"], digits["y_val"]) > 0.85


def test_build_best_model_reaches_target(digits):
    torch.manual_seed(0)
    model, optimizer = build_best_model(1, 10)
    assert isinstance(model, nn.Module)
    assert isinstance(optimizer, torch.optim.Optimizer)
    start = time.perf_counter()
    losses = train_model(model, optimizer, digits["X_train"], digits["y_train"],
                         epochs=BEST_MODEL_EPOCHS, batch_size=64, seed=0)
    seconds = time.perf_counter() - start
    val_acc = check_accuracy(model, digits["X_val"], digits["y_val"])
    print("build_best_model: val acc %.4f, %.2f s training" % (val_acc, seconds))
    assert len(losses) == BEST_MODEL_EPOCHS * math.ceil(1197 / 64)
    assert val_acc >= BEST_MODEL_MIN_VAL_ACC, val_acc
    assert seconds < BEST_MODEL_MAX_SECONDS, seconds
