"""Helpers of the assignment 1 reference tests: the package swap, numeric
oracles, and a writer of CIFAR-10 batches in their real (Python 2) format.

Nothing here imports the course package: the oracles are independent of it.
"""
from __future__ import annotations

import contextlib
import importlib
import pickle
import struct
import sys
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
A1_DIR = REPO_ROOT / "solutions" / "assignment1"
A2_DIR = REPO_ROOT / "solutions" / "assignment2"

# Every module of the assignment 1 package, imported by the swap so that
# attribute access (a1.classifiers.linear_svm, a1.features) works.
A1_MODULES = (
    "cs231n",
    "cs231n.classifiers",
    "cs231n.classifiers.k_nearest_neighbor",
    "cs231n.classifiers.linear_svm",
    "cs231n.classifiers.softmax",
    "cs231n.classifiers.linear_classifier",
    "cs231n.classifiers.neural_net",
    "cs231n.data_utils",
    "cs231n.features",
    "cs231n.gradient_check",
    "cs231n.vis_utils",
    "cs231n.checks",
    "cs231n.notebook",
)


def _course_modules() -> list[str]:
    return [n for n in sys.modules if n == "cs231n" or n.startswith("cs231n.")]


@contextlib.contextmanager
def swapped_cs231n(root: Path, modules=A1_MODULES):
    """Import the package ``cs231n`` found in ``root`` instead of whichever
    ``cs231n`` the session has (assignment 2's reference), and put everything
    back on exit.

    Saves and removes every ``cs231n`` / ``cs231n.*`` entry of sys.modules,
    puts ``root`` first on sys.path, imports ``modules`` and yields the
    package; on exit removes what was imported, restores the saved entries
    and removes ``root`` from sys.path.
    """
    root = Path(root).resolve()
    saved = {name: sys.modules.pop(name) for name in _course_modules()}
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    try:
        pkg = importlib.import_module("cs231n")
        where = Path(pkg.__file__).resolve().parent
        if where != root / "cs231n":
            raise RuntimeError("imported cs231n from %s, not from %s" % (where, root))
        for name in modules:
            importlib.import_module(name)
        yield pkg
    finally:
        for name in _course_modules():
            del sys.modules[name]
        sys.modules.update(saved)
        try:
            sys.path.remove(str(root))
        except ValueError:
            pass
        importlib.invalidate_caches()


# --------------------------------------------------------------------------
# Numeric oracles
# --------------------------------------------------------------------------


def rel_error(x, y):
    """CS231n's relative error: max |x - y| / max(1e-8, |x| + |y|)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def numeric_gradient(f, x, h=1e-6):
    """Centred differences (f(x + h e_i) - f(x - h e_i)) / 2h of a scalar
    function, on a copy of x (x itself is never touched)."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    flat = x.reshape(-1)
    g = grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        fp = f(x)
        flat[i] = old - h
        fm = f(x)
        flat[i] = old
        g[i] = (fp - fm) / (2 * h)
    return grad


# --------------------------------------------------------------------------
# CIFAR-10 batches as the real files are written
# --------------------------------------------------------------------------


class Py2Pickler(pickle._Pickler):
    """Writes a pickle the way Python 2's cPickle.dump(obj, f, 2) wrote the
    real cifar-10-batches-py files (protocol 2): every str and bytes is a
    Python 2 str (SHORT_BINSTRING / BINSTRING opcodes, which Python 3 decodes
    with pickle.load's `encoding`), and a numpy array is
    numpy.core.multiarray._reconstruct with its raw bytes as a Python 2 str.
    The same writer as tests/test_solver_data.py uses for assignment 2.
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


def write_fake_cifar(root: Path, per_batch=4, test_images=5):
    """Write root (a cifar-10-batches-py directory) with per_batch images in
    each of data_batch_1..5 and test_images in test_batch, as Python 2
    pickles of dicts with 'data' (uint8 (n, 3072), channel-major rows),
    'labels' (list of ints), 'batch_label' and 'filenames'.

    Returns {name: (data, labels)}."""
    root.mkdir(parents=True)
    rng = np.random.default_rng(0)
    batches = {}
    for name in ["data_batch_%d" % i for i in range(1, 6)] + ["test_batch"]:
        n = test_images if name == "test_batch" else per_batch
        data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        data[0, 0] = 200      # a byte >= 128, as in any real image: not ASCII
        labels = [int(v) for v in rng.integers(0, 10, size=n)]
        d = {
            "data": data,
            "labels": labels,
            "batch_label": "training batch of %s" % name,
            "filenames": ["img_%d.png" % i for i in range(n)],
        }
        with open(root / name, "wb") as f:
            Py2Pickler(f).dump(d)
        batches[name] = (data, np.array(labels))
    return batches
