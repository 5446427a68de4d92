"""The given data loaders and helpers of assignment 1 (cs231n/data_utils.py,
gradient_check.py, vis_utils.py): the digits convention, the CIFAR-10 loader
on batches written as the real Python 2 pickles, and the copies shared with
assignment 2."""
from __future__ import annotations

import collections
import filecmp
import importlib.util
import pickle
import pickletools

import numpy as np
import pytest

from a1ref_helpers import A1_DIR, A2_DIR, write_fake_cifar


@pytest.fixture(scope="module")
def raw_digits(a1):
    return a1.data_utils.get_digits_data()


def test_digits_shapes_dtypes_and_range(raw_digits):
    d = raw_digits
    assert sorted(d) == ["X_test", "X_train", "X_val", "y_test", "y_train", "y_val"]
    assert d["X_train"].shape == (1197, 8, 8, 1)
    assert d["X_val"].shape == (300, 8, 8, 1) and d["X_test"].shape == (300, 8, 8, 1)
    for split in ("train", "val", "test"):
        X, y = d["X_" + split], d["y_" + split]
        assert X.dtype == np.float64 and y.dtype == np.int64
        assert X.min() == 0.0 and X.max() == 255.0
        # grey levels 0..16 scaled by 255 / 16
        levels = X * 16 / 255
        np.testing.assert_allclose(levels, np.rint(levels), atol=1e-9)
        assert set(np.unique(y)) == set(range(10))
    # flattened like CIFAR-10 in the notebooks
    assert d["X_train"].reshape(1197, -1).shape == (1197, 64)


def test_digits_splits_partition_the_data_set(raw_digits):
    from sklearn.datasets import load_digits

    raw = load_digits()
    full = collections.Counter((img.astype(np.int64).tobytes(), int(t))
                               for img, t in zip(raw.images, raw.target))
    got = collections.Counter()
    for split in ("train", "val", "test"):
        X = np.rint(raw_digits["X_" + split][..., 0] * 16 / 255).astype(np.int64)
        for img, t in zip(X, raw_digits["y_" + split]):
            got[(img.tobytes(), int(t))] += 1
    assert got == full


def test_digits_split_is_stratified_seeded_and_sized(a1, raw_digits):
    from sklearn.datasets import load_digits

    full = np.bincount(load_digits().target)
    counts = np.bincount(raw_digits["y_val"], minlength=10)
    assert np.all(np.abs(counts - full * 300 / full.sum()) <= 1.5)
    again = a1.data_utils.get_digits_data(seed=0)
    for key in raw_digits:
        np.testing.assert_array_equal(raw_digits[key], again[key])
    other = a1.data_utils.get_digits_data(seed=1)
    assert not np.array_equal(raw_digits["y_val"], other["y_val"])
    small = a1.data_utils.get_digits_data(num_validation=100, num_test=200)
    assert small["X_train"].shape[0] == 1497
    assert small["X_val"].shape[0] == 100 and small["X_test"].shape[0] == 200


def test_digits_split_is_assignment2s(raw_digits):
    """Same seed, same images in each split as assignment 2's loader (which
    returns (N, 1, 8, 8) in [0, 1], mean-subtracted)."""
    spec = importlib.util.spec_from_file_location("_a2_data_utils", A2_DIR / "cs231n" / "data_utils.py")
    a2 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(a2)
    d2 = a2.get_digits_data(subtract_mean=False)
    for split in ("train", "val", "test"):
        np.testing.assert_array_equal(raw_digits["y_" + split], d2["y_" + split])
        np.testing.assert_allclose(raw_digits["X_" + split][..., 0] / 255,
                                   d2["X_" + split][:, 0], atol=1e-12)


def test_fake_cifar_is_a_python2_pickle(tmp_path):
    write_fake_cifar(tmp_path / "cifar-10-batches-py")
    raw = (tmp_path / "cifar-10-batches-py" / "data_batch_1").read_bytes()
    ops = collections.Counter(op.name for op, _, _ in pickletools.genops(raw))
    assert raw[:2] == b"\x80\x02"                                   # protocol 2
    assert ops["BINSTRING"] == 1 and ops["SHORT_BINSTRING"] > 0
    assert not {"BINUNICODE", "SHORT_BINUNICODE", "BINBYTES", "SHORT_BINBYTES"} & set(ops)
    with open(tmp_path / "cifar-10-batches-py" / "data_batch_1", "rb") as f:
        with pytest.raises(UnicodeDecodeError):
            pickle.load(f)                                          # Python 3's ASCII default


def test_load_cifar_batch_layout(a1, tmp_path):
    batches = write_fake_cifar(tmp_path / "cifar-10-batches-py")
    X, y = a1.data_utils.load_CIFAR_batch(str(tmp_path / "cifar-10-batches-py" / "data_batch_1"))
    data, labels = batches["data_batch_1"]
    assert X.shape == (4, 32, 32, 3) and X.dtype == np.float64
    np.testing.assert_array_equal(y, labels)
    # channel-major rows: 1024 red, 1024 green, 1024 blue values
    np.testing.assert_array_equal(X[0, :, :, 0], data[0, :1024].reshape(32, 32))
    np.testing.assert_array_equal(X[1, :, :, 1], data[1, 1024:2048].reshape(32, 32))
    np.testing.assert_array_equal(X[2, :, :, 2], data[2, 2048:].reshape(32, 32))


def test_load_cifar10_concatenates_batches(a1, tmp_path):
    root = tmp_path / "cifar-10-batches-py"
    batches = write_fake_cifar(root)
    Xtr, ytr, Xte, yte = a1.data_utils.load_CIFAR10(str(root))
    assert Xtr.shape == (20, 32, 32, 3) and Xte.shape == (5, 32, 32, 3)
    all_data = np.concatenate([batches["data_batch_%d" % i][0] for i in range(1, 6)])
    np.testing.assert_array_equal(Xtr, all_data.reshape(20, 3, 32, 32).transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(ytr, np.concatenate([batches["data_batch_%d" % i][1] for i in range(1, 6)]))
    np.testing.assert_array_equal(yte, batches["test_batch"][1])
    # the notebooks flatten CIFAR-10 exactly as the digits
    assert Xtr.reshape(Xtr.shape[0], -1).shape == (20, 3072)


@pytest.mark.parametrize("name", ["gradient_check.py", "vis_utils.py"])
def test_shared_helpers_are_assignment2s(name):
    assert filecmp.cmp(A1_DIR / "cs231n" / name, A2_DIR / "cs231n" / name, shallow=False)


def test_gradient_check_helpers(a1, capsys):
    gc = a1.gradient_check
    rng = np.random.default_rng(0)
    A = rng.normal(size=(4, 4))
    x = rng.normal(size=4)
    x_before = x.copy()
    f = lambda v: 0.5 * v @ A @ v
    grad = gc.eval_numerical_gradient(f, x, verbose=False)
    np.testing.assert_allclose(grad, 0.5 * (A + A.T) @ x, rtol=1e-7, atol=1e-9)
    np.testing.assert_array_equal(x, x_before)
    errors = gc.grad_check_sparse(f, x, 0.5 * (A + A.T) @ x, num_checks=5, seed=0)
    assert len(errors) == 5 and max(errors) < 1e-7
    assert "relative error" in capsys.readouterr().out


def test_visualize_grid(a1):
    Xs = np.random.default_rng(0).uniform(size=(10, 8, 8, 1))
    grid = a1.vis_utils.visualize_grid(Xs, padding=1)
    assert grid.shape == (4 * 9 - 1, 4 * 9 - 1, 1)
    assert grid.min() >= 0 and grid.max() <= 255
