"""The reference Solver, data loaders, gradient checks and visualisation
helpers (cs231n/solver.py, data_utils.py, gradient_check.py, vis_utils.py)."""
from __future__ import annotations

import collections
import glob
import os
import pickle
import pickletools
import struct

import numpy as np
import pytest

from cs231n.data_utils import get_CIFAR10_data, get_digits_data, load_CIFAR10, load_CIFAR_batch
from cs231n.gradient_check import (
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    eval_numerical_gradient_blobs,
    grad_check_sparse,
)
from cs231n.solver import Solver
from cs231n.vis_utils import vis_grid, vis_nn, visualize_grid


def rel_error(x, y):
    return np.max(np.abs(x - y) / (np.maximum(1e-8, np.abs(x) + np.abs(y))))


# --------------------------------------------------------------------------
# A minimal model with the Solver's API: softmax regression
# --------------------------------------------------------------------------


class SoftmaxModel:
    """scores = X.reshape(N, D) @ W + b, softmax loss with L2 on W."""

    def __init__(self, input_dim=64, num_classes=10, weight_scale=1e-2, reg=1e-4, seed=0):
        rng = np.random.default_rng(seed)
        self.reg = reg
        self.params = {
            "W": weight_scale * rng.standard_normal((input_dim, num_classes)),
            "b": np.zeros(num_classes),
        }

    def loss(self, X, y=None):
        X2 = X.reshape(X.shape[0], -1)
        scores = X2 @ self.params["W"] + self.params["b"]
        if y is None:
            return scores
        shifted = scores - scores.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        N = X.shape[0]
        loss = -log_probs[np.arange(N), y].mean() + 0.5 * self.reg * np.sum(self.params["W"] ** 2)
        dscores = np.exp(log_probs)
        dscores[np.arange(N), y] -= 1
        dscores /= N
        grads = {
            "W": X2.T @ dscores + self.reg * self.params["W"],
            "b": dscores.sum(axis=0),
        }
        return loss, grads


@pytest.fixture(scope="module")
def digits():
    return get_digits_data()


# --------------------------------------------------------------------------
# Digits
# --------------------------------------------------------------------------


def test_digits_shapes_dtypes_and_splits(digits):
    assert digits["X_train"].shape == (1197, 1, 8, 8)
    assert digits["X_val"].shape == (300, 1, 8, 8)
    assert digits["X_test"].shape == (300, 1, 8, 8)
    assert digits["y_train"].shape == (1197,)
    assert digits["y_val"].shape == (300,)
    assert digits["y_test"].shape == (300,)
    assert digits["mean_image"].shape == (1, 8, 8)
    for split in ("train", "val", "test"):
        assert digits["X_" + split].dtype == np.float64
        assert digits["y_" + split].dtype == np.int64
        assert set(np.unique(digits["y_" + split])) == set(range(10))
        # scaled to [0, 1] before the mean is subtracted
        raw = digits["X_" + split] + digits["mean_image"]
        assert raw.min() >= 0.0 and raw.max() <= 1.0
    # mean of the training split was subtracted
    assert np.abs(digits["X_train"].mean(axis=0)).max() < 1e-12


def test_digits_splits_partition_the_data_set(digits):
    """Together the three splits are exactly the 1,797 images (as a multiset
    of (image, label)), so they are disjoint and nothing is lost."""
    from sklearn.datasets import load_digits

    raw = load_digits()
    full = collections.Counter(
        (img.astype(np.int64).tobytes(), int(t)) for img, t in zip(raw.images, raw.target)
    )
    got = collections.Counter()
    for split in ("train", "val", "test"):
        X = np.rint((digits["X_" + split] + digits["mean_image"]) * 16).astype(np.int64)
        for img, t in zip(X, digits["y_" + split]):
            got[(img.reshape(8, 8).tobytes(), int(t))] += 1
    assert got == full


def test_digits_split_is_stratified(digits):
    counts = np.bincount(digits["y_val"], minlength=10)
    full = np.bincount(load_all_digit_labels(), minlength=10)
    expected = full * 300 / full.sum()
    assert np.all(np.abs(counts - expected) <= 1.5)


def load_all_digit_labels():
    from sklearn.datasets import load_digits

    return load_digits().target


def test_digits_deterministic_and_seeded():
    a = get_digits_data(seed=0)
    b = get_digits_data(seed=0)
    c = get_digits_data(seed=1)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a["y_val"], c["y_val"])


def test_digits_options():
    d = get_digits_data(num_validation=100, num_test=200, subtract_mean=False)
    assert d["X_train"].shape[0] == 1797 - 300
    assert d["X_val"].shape[0] == 100 and d["X_test"].shape[0] == 200
    assert d["X_train"].min() >= 0.0 and d["X_train"].max() <= 1.0
    assert np.all(d["mean_image"] == 0)


# --------------------------------------------------------------------------
# CIFAR-10 loader on a small directory in the real format
# --------------------------------------------------------------------------

PER_BATCH = 4
TEST_IMAGES = 5


class Py2Pickler(pickle._Pickler):
    """Writes a pickle the way Python 2's cPickle.dump(obj, f, 2) wrote the
    real cifar-10-batches-py files, which Python 3 cannot read without
    pickle.load(f, encoding="latin1"):

    - every str (and bytes) is a Python 2 str: SHORT_BINSTRING / BINSTRING
      opcodes, which Python 3 decodes with the `encoding` argument (ASCII
      by default);
    - a numpy array is numpy.core.multiarray._reconstruct(ndarray, (0,), 'b')
      with the state (1, shape, dtype, False, raw bytes as a Python 2 str),
      and its dtype is numpy.dtype('u1', 0, 1) with a str state.

    Written by subclassing the standard library's pure-Python pickler (no
    library writes Python 2 pickles): only the str and array encodings differ
    from Python 3's protocol 2.
    """

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file):
        super().__init__(file, protocol=2)

    def save_py2_str(self, obj):
        raw = obj.encode("latin1") if isinstance(obj, str) else bytes(obj)
        if len(raw) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(raw)]) + raw)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(raw)) + raw)
        self.memoize(obj)

    dispatch[str] = save_py2_str
    dispatch[bytes] = save_py2_str

    def save_global(self, obj, name=None):
        if obj is np.ndarray.__reduce__(np.zeros(0))[0]:     # _reconstruct
            # Python 2's numpy had it in numpy.core.multiarray (numpy 2 still
            # resolves that name when unpickling).
            self.write(pickle.GLOBAL + b"numpy.core.multiarray\n_reconstruct\n")
            self.memoize(obj)
        else:
            super().save_global(obj, name)

    def reducer_override(self, obj):
        if isinstance(obj, np.dtype):
            return np.dtype, (obj.str[1:], 0, 1), obj.__reduce__()[2]
        if isinstance(obj, np.ndarray):
            reconstruct, args, (version, shape, dtype, fortran, raw) = obj.__reduce__()
            return reconstruct, args, (version, shape, dtype, fortran, bytes(raw))
        return NotImplemented


def _write_fake_cifar(root, key_format="python2"):
    """Write cifar-10-batches-py with PER_BATCH images in each training batch
    and TEST_IMAGES in test_batch: pickled dicts with 'data' (uint8 rows of
    3072 values, channel-major), 'labels' (list of ints), 'batch_label' and
    'filenames', like the real files.

    key_format: "python2" writes them as the real files are written (see
    Py2Pickler); "bytes-keys" / "str-keys" write Python 3 pickles whose keys
    are bytes / str, as a re-saved copy of the data set might be."""
    root.mkdir()
    rng = np.random.default_rng(0)
    batches = {}
    names = ["data_batch_%d" % i for i in range(1, 6)] + ["test_batch"]
    for name in names:
        n = TEST_IMAGES if name == "test_batch" else PER_BATCH
        data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        data[0, 0] = 200      # a byte >= 128, as in any real image: not ASCII
        labels = [int(v) for v in rng.integers(0, 10, size=n)]
        k = (lambda s: s.encode()) if key_format == "bytes-keys" else (lambda s: s)
        d = {
            k("data"): data,
            k("labels"): labels,
            k("batch_label"): ("batch %s" % name).encode(),
            k("filenames"): [("img_%d.png" % i).encode() for i in range(n)],
        }
        with open(root / name, "wb") as f:
            if key_format == "python2":
                Py2Pickler(f).dump(d)
            else:
                pickle.dump(d, f, protocol=2)
        batches[name] = (data, np.array(labels))
    return batches


def test_fake_cifar_is_a_python2_pickle(tmp_path):
    # The written file uses Python 2 str opcodes only (no Python 3 unicode or
    # bytes opcodes), names numpy.core.multiarray._reconstruct, and cannot be
    # read by Python 3 without encoding="latin1" -- just like the real files.
    _write_fake_cifar(tmp_path / "cifar-10-batches-py")
    path = tmp_path / "cifar-10-batches-py" / "data_batch_1"
    raw = path.read_bytes()
    ops = collections.Counter(op.name for op, _, _ in pickletools.genops(raw))
    assert raw[:2] == b"\x80\x02"
    assert ops["SHORT_BINSTRING"] > 0 and ops["BINSTRING"] == 1   # the image data
    assert not {"BINUNICODE", "SHORT_BINUNICODE", "BINBYTES", "SHORT_BINBYTES"} & set(ops)
    assert b"cnumpy.core.multiarray\n_reconstruct\n" in raw
    with open(path, "rb") as f:
        with pytest.raises(UnicodeDecodeError):
            pickle.load(f)                      # Python 3's default: ASCII
    with open(path, "rb") as f:
        d = pickle.load(f, encoding="latin1")
    assert sorted(d) == ["batch_label", "data", "filenames", "labels"]
    assert d["data"].dtype == np.uint8 and d["data"].shape == (PER_BATCH, 3072)


@pytest.mark.parametrize("key_format", ["python2", "bytes-keys", "str-keys"])
def test_load_cifar_batch_layout(tmp_path, key_format):
    batches = _write_fake_cifar(tmp_path / "cifar-10-batches-py", key_format=key_format)
    X, y = load_CIFAR_batch(str(tmp_path / "cifar-10-batches-py" / "data_batch_1"))
    data, labels = batches["data_batch_1"]
    assert X.shape == (PER_BATCH, 32, 32, 3) and X.dtype == np.float64
    np.testing.assert_array_equal(y, labels)
    # channel-major rows: the first 1024 values are the red plane
    np.testing.assert_array_equal(X[0, :, :, 0], data[0, :1024].reshape(32, 32))
    np.testing.assert_array_equal(X[2, :, :, 2], data[2, 2048:].reshape(32, 32))


def test_load_cifar10_concatenates_batches(tmp_path):
    root = tmp_path / "cifar-10-batches-py"
    batches = _write_fake_cifar(root)
    Xtr, ytr, Xte, yte = load_CIFAR10(str(root))
    assert Xtr.shape == (5 * PER_BATCH, 32, 32, 3)
    assert Xte.shape == (TEST_IMAGES, 32, 32, 3)
    np.testing.assert_array_equal(
        ytr, np.concatenate([batches["data_batch_%d" % i][1] for i in range(1, 6)])
    )
    np.testing.assert_array_equal(yte, batches["test_batch"][1])


def test_get_cifar10_data_shapes_and_splits(tmp_path):
    root = tmp_path / "cifar-10-batches-py"
    batches = _write_fake_cifar(root)
    all_train = np.concatenate([batches["data_batch_%d" % i][0] for i in range(1, 6)])
    all_labels = np.concatenate([batches["data_batch_%d" % i][1] for i in range(1, 6)])

    d = get_CIFAR10_data(str(root), num_training=15, num_validation=5, num_test=3,
                         subtract_mean=False)
    assert d["X_train"].shape == (15, 3, 32, 32)
    assert d["X_val"].shape == (5, 3, 32, 32)
    assert d["X_test"].shape == (3, 3, 32, 32)
    assert d["y_train"].shape == (15,) and d["y_val"].shape == (5,) and d["y_test"].shape == (3,)
    for key in ("X_train", "X_val", "X_test"):
        assert d[key].dtype == np.float64
    # train = first 15 images, val = the next 5, test = first 3 of test_batch;
    # (N, 3, 32, 32) is the row reshaped directly
    np.testing.assert_array_equal(d["X_train"], all_train[:15].reshape(15, 3, 32, 32))
    np.testing.assert_array_equal(d["X_val"], all_train[15:20].reshape(5, 3, 32, 32))
    np.testing.assert_array_equal(d["y_train"], all_labels[:15])
    np.testing.assert_array_equal(d["y_val"], all_labels[15:20])
    np.testing.assert_array_equal(
        d["X_test"], batches["test_batch"][0][:3].reshape(3, 3, 32, 32)
    )

    m = get_CIFAR10_data(str(root), num_training=15, num_validation=5, num_test=3)
    assert m["mean_image"].shape == (3, 32, 32)
    assert np.abs(m["X_train"].mean(axis=0)).max() < 1e-9
    np.testing.assert_allclose(m["X_val"] + m["mean_image"], d["X_val"])


def test_get_cifar10_data_too_many_images(tmp_path):
    root = tmp_path / "cifar-10-batches-py"
    _write_fake_cifar(root)
    with pytest.raises(ValueError, match="holds only 20"):
        get_CIFAR10_data(str(root))  # default asks for 49000 + 1000


# --------------------------------------------------------------------------
# Solver
# --------------------------------------------------------------------------


def _solver(model, data, **kw):
    args = dict(update_rule="sgd_momentum", optim_config={"learning_rate": 0.5},
                lr_decay=0.95, batch_size=64, num_epochs=8, verbose=False)
    args.update(kw)
    return Solver(model, data, **args)


def test_solver_trains_softmax_on_digits(digits):
    model = SoftmaxModel()
    solver = _solver(model, digits, seed=0)
    solver.train()
    val_acc = solver.check_accuracy(digits["X_val"], digits["y_val"])
    assert val_acc > 0.85, val_acc
    assert solver.best_val_acc == pytest.approx(val_acc)  # best params restored
    iters_per_epoch = 1197 // 64
    assert len(solver.loss_history) == 8 * iters_per_epoch
    assert len(solver.train_acc_history) == len(solver.val_acc_history) == 8 + 1
    assert np.mean(solver.loss_history[-10:]) < np.mean(solver.loss_history[:10])
    # lr decayed once per epoch, per parameter
    for cfg in solver.optim_configs.values():
        assert cfg["learning_rate"] == pytest.approx(0.5 * 0.95**8)
    # the caller's optim_config is not modified
    assert solver.optim_config == {"learning_rate": 0.5}


@pytest.mark.parametrize("rule", ["sgd", "adam", "rmsprop", "adagrad", "nesterov_momentum"])
def test_solver_with_every_rule(digits, rule):
    lr = {"sgd": 0.5, "adam": 1e-2, "rmsprop": 1e-2, "adagrad": 0.2, "nesterov_momentum": 0.5}
    solver = _solver(SoftmaxModel(), digits, update_rule=rule,
                     optim_config={"learning_rate": lr[rule]}, num_epochs=3, seed=1)
    solver.train()
    assert solver.best_val_acc > 0.85, (rule, solver.best_val_acc)


def test_solver_seed_is_reproducible(digits):
    runs = []
    for seed in (3, 3, 4):
        s = _solver(SoftmaxModel(seed=0), digits, num_epochs=2, seed=seed,
                    num_train_samples=200)
        s.train()
        runs.append(s)
    a, b, c = runs
    assert a.loss_history == b.loss_history
    assert a.train_acc_history == b.train_acc_history
    assert a.val_acc_history == b.val_acc_history
    for k in a.model.params:
        np.testing.assert_array_equal(a.model.params[k], b.model.params[k])
    assert a.loss_history != c.loss_history


def test_solver_checkpoints(digits, tmp_path):
    name = str(tmp_path / "softmax")
    s = _solver(SoftmaxModel(), digits, num_epochs=2, seed=0, checkpoint_name=name)
    s.train()
    files = sorted(glob.glob(name + "_epoch_*.pkl"))
    # written at the first iteration (epoch 0) and the end of every epoch
    assert [os.path.basename(f) for f in files] == [
        "softmax_epoch_0.pkl", "softmax_epoch_1.pkl", "softmax_epoch_2.pkl"
    ]
    with open(files[-1], "rb") as f:
        ckpt = pickle.load(f)
    assert ckpt["epoch"] == 2
    assert ckpt["val_acc_history"] == s.val_acc_history
    assert set(ckpt["model"].params) == {"W", "b"}


def test_solver_no_checkpoint_by_default(digits, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _solver(SoftmaxModel(), digits, num_epochs=1, seed=0).train()
    assert os.listdir(tmp_path) == []


def test_solver_check_accuracy_subsamples(digits):
    s = _solver(SoftmaxModel(), digits, seed=0)
    acc_full = s.check_accuracy(digits["X_val"], digits["y_val"], batch_size=7)
    acc_one_batch = s.check_accuracy(digits["X_val"], digits["y_val"], batch_size=1000)
    assert acc_full == acc_one_batch
    acc_sub = s.check_accuracy(digits["X_val"], digits["y_val"], num_samples=50)
    assert acc_sub * 50 == pytest.approx(round(acc_sub * 50))


def test_solver_rejects_bad_arguments(digits):
    with pytest.raises(ValueError, match="Invalid update_rule"):
        Solver(SoftmaxModel(), digits, update_rule="no_such_rule")
    with pytest.raises(ValueError, match="Unrecognized arguments"):
        Solver(SoftmaxModel(), digits, learning_rate=1e-3)


# --------------------------------------------------------------------------
# Gradient checks
# --------------------------------------------------------------------------


def test_eval_numerical_gradient():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(4, 4))
    x = rng.normal(size=(4, 3))
    x0 = x.copy()
    f = lambda x: np.sum(np.tanh(A @ x))  # noqa: E731
    num = eval_numerical_gradient(f, x, verbose=False)
    analytic = A.T @ (1 - np.tanh(A @ x) ** 2)
    assert rel_error(num, analytic) < 1e-8
    np.testing.assert_array_equal(x, x0)  # restored


def test_eval_numerical_gradient_array():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 5))
    df = rng.normal(size=(3, 5))
    num = eval_numerical_gradient_array(lambda x: x**3, x, df)
    # truncation error of the centred difference is h**2 * df per entry
    assert rel_error(num, 3 * x**2 * df) < 1e-7


def test_eval_numerical_gradient_blobs():
    class Blob:
        def __init__(self, vals, diffs=None):
            self.vals = vals
            self.diffs = diffs if diffs is not None else np.zeros_like(vals)

    rng = np.random.default_rng(2)
    a = Blob(rng.normal(size=(2, 3)))
    b = Blob(rng.normal(size=(3, 4)))
    out = Blob(np.zeros((2, 4)), rng.normal(size=(2, 4)))

    def f(a, b, out):
        out.vals[...] = a.vals @ b.vals

    da, db = eval_numerical_gradient_blobs(f, (a, b), out)
    assert rel_error(da, out.diffs @ b.vals.T) < 1e-8
    assert rel_error(db, a.vals.T @ out.diffs) < 1e-8


def test_grad_check_sparse(capsys):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 7))
    errors = grad_check_sparse(lambda x: np.sum(x**2), x, 2 * x, num_checks=5, seed=0)
    assert len(errors) == 5 and max(errors) < 1e-8
    assert "relative error" in capsys.readouterr().out


# --------------------------------------------------------------------------
# Visualisation helpers
# --------------------------------------------------------------------------


def test_visualize_grid():
    rng = np.random.default_rng(4)
    Xs = rng.normal(size=(5, 4, 3, 2))
    grid = visualize_grid(Xs, ubound=255.0, padding=1)
    # 3 x 3 cells of 4 x 3 pixels with 1-pixel padding
    assert grid.shape == (3 * 4 + 2, 3 * 3 + 2, 2)
    assert grid.min() >= 0 and grid.max() == pytest.approx(255.0)
    cell = Xs[1]
    expected = 255.0 * (cell - cell.min()) / (cell.max() - cell.min())
    np.testing.assert_allclose(grid[0:4, 4:7], expected)
    # a constant image does not divide by zero
    assert np.all(np.isfinite(visualize_grid(np.ones((2, 3, 3, 1)))))


def test_vis_grid_and_vis_nn():
    rng = np.random.default_rng(5)
    Xs = rng.normal(size=(3, 4, 4, 3))
    G = vis_grid(Xs)
    assert G.shape == (2 * 4 + 2, 2 * 4 + 2, 3)
    assert G.min() == pytest.approx(0.0) and G.max() == pytest.approx(1.0)
    rows = [[rng.normal(size=(4, 4, 3)) for _ in range(3)] for _ in range(2)]
    G = vis_nn(rows)
    assert G.shape == (2 * 4 + 2, 3 * 4 + 3, 3)
    assert G.min() == pytest.approx(0.0) and G.max() == pytest.approx(1.0)
