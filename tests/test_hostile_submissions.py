"""Hostile submissions that once scored without doing the work, graded end to end
with the real runner (``autograder.runner.grade_submission`` in a fresh process,
sandbox on, real pytest, the hidden suites). Each must score 0 on the parts it
attacks, failing for the reason the defence gives. (The reference scoring full
marks under the same suites is ``tests/test_hidden_suites.py``.)

* ``in_place``: implements nothing, but zeroes its input arrays (x, w, b, dout,
  the optimizer's w and dw) in place and returns zeros, special-casing the
  inputs of the old "keeps inputs" tests. With the proxy writing arrays back,
  the grader's own arrays became zeros and tests computed their expectations
  from them afterwards (+40 points).
The attacks that need the held-out labels read them from a copy of the (public)
digits shipped inside the submission, so they test the grader's defences, not
whether the sandbox hides the dataset's own file.

* ``least_squares``: FullyConnectedNet's constructor reads all the digits,
  held-out labels included, in the sandbox and fits the output layer by least
  squares; its loss returns zero gradients so that training (the course's
  Solver with a correct Adam) leaves that fit alone.
* ``refit_in_loss``: the same fit, written into the network's parameters by its
  loss, which the Solver calls. The grader now keeps the parameters itself,
  draws the starting ones, and checks every gradient and update step of the
  training against the reference before using it.
* ``lookup``: build_best_model returns a module that looks every image up in
  the digits it read in the sandbox. The grader now rebuilds the model from a
  description (an nn.Sequential of torch.nn layers) and trains and scores it
  on its own side.
* ``pretrained``: build_best_model returns a proper nn.Sequential, already
  trained on all the digits, held-out ones included. Rejected before training.
* ``constant_loss``: FullyConnectedNet whose loss is always 0 with zero
  gradients once passed the dropout-in-the-network tests.
"""
from __future__ import annotations

import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mutants import grade_many_in_subprocess  # noqa: E402
from test_hidden_suites import release_copy  # noqa: E402

LAYER_PARTS = {
    "affine_forward", "affine_backward", "relu_forward", "relu_backward", "batchnorm_forward",
    "batchnorm_backward", "batchnorm_backward_alt", "layernorm_forward", "layernorm_backward",
    "conv_forward_naive", "conv_backward_naive", "max_pool_forward_naive",
    "max_pool_backward_naive", "spatial_batchnorm_forward", "spatial_batchnorm_backward",
    "spatial_groupnorm_forward", "spatial_groupnorm_backward",
}
OPTIM_PARTS = {"sgd_momentum", "nesterov_momentum", "adagrad", "rmsprop", "adam"}


def fill(root: Path, file: str, label: str, body: str, occurrence: int = 0) -> None:
    """Replace the ``occurrence``-th stub of ``label`` in ``cs231n/<file>`` with ``body``
    (indented like the stub)."""
    path = root / "cs231n" / file
    text = path.read_text()
    pattern = re.compile(r"^( *)raise NotImplementedError\(\"" + re.escape(label)
                         + r" is not implemented yet \([^)]*\)\"\)\n", re.M)
    matches = list(pattern.finditer(text))
    assert len(matches) > occurrence, f"no stub {occurrence} for {label} in {file}"
    m = matches[occurrence]
    indent = m.group(1)
    lines = body.strip("\n").splitlines()
    block = "".join(indent + line + "\n" if line else "\n" for line in lines)
    path.write_text(text[:m.start()] + block + text[m.end():])


# -- in_place: the audit's zero2 probe, plus the optimizers --------------------------

ZERO_GRADS = "dout[...] = 0\nreturn tuple(np.zeros(s) for s in cache)"
NORM_FORWARD = ("x[...] = 0; gamma[...] = 0; beta[...] = 0\n"
                "return np.zeros_like(x), (x.shape, gamma.shape, beta.shape)")
IN_PLACE_LAYERS = {
    "affine_forward": """
if x.shape == (2, 3, 4):
    return np.zeros((x.shape[0], w.shape[1])), None
x[...] = 0; w[...] = 0; b[...] = 0
return np.zeros((x.shape[0], w.shape[1])), (x.shape, w.shape, b.shape)
""",
    "affine_backward": ZERO_GRADS,
    "relu_forward": """
if x.dtype == np.float32:
    return np.maximum(x, 0), None
x[...] = 0
return np.zeros_like(x), x.shape
""",
    "relu_backward": "dout[...] = 0\nreturn np.zeros_like(dout)",
    "batchnorm_forward": NORM_FORWARD,
    "batchnorm_backward": ZERO_GRADS,
    "batchnorm_backward_alt": ZERO_GRADS,
    "layernorm_forward": NORM_FORWARD,
    "layernorm_backward": ZERO_GRADS,
    "conv_forward_naive": """
N, C, H, W = x.shape; F, _, HH, WW = w.shape
st, pd = conv_param['stride'], conv_param['pad']
Ho = 1 + (H + 2 * pd - HH) // st; Wo = 1 + (W + 2 * pd - WW) // st
shapes = (x.shape, w.shape, b.shape)
if x.shape == (2, 2, 4, 4):
    return np.zeros((N, F, Ho, Wo)), shapes
x[...] = 0; w[...] = 0; b[...] = 0
return np.zeros((N, F, Ho, Wo)), shapes
""",
    "conv_backward_naive": ZERO_GRADS,
    "max_pool_forward_naive": """
s_ = pool_param['stride']; ph = pool_param['pool_height']; pw = pool_param['pool_width']
N, C, H, W = x.shape
x[...] = 0
return np.zeros((N, C, 1 + (H - ph) // s_, 1 + (W - pw) // s_)), x.shape
""",
    "max_pool_backward_naive": "dout[...] = 0\nreturn np.zeros(cache)",
    "spatial_batchnorm_forward": NORM_FORWARD,
    "spatial_batchnorm_backward": ZERO_GRADS,
    "spatial_groupnorm_forward": NORM_FORWARD,
    "spatial_groupnorm_backward": ZERO_GRADS,
}
IN_PLACE_OPTIM = """
if config is None:
    config = {}
w[...] = 0; dw[...] = 0
for key in ("velocity", "cache", "m", "v"):
    config[key] = np.zeros_like(w)
config["t"] = config.get("t", 0) + 1
return np.zeros_like(w), config
"""

# -- least_squares: the audit's lstsq probe, with the course's own Solver ----------------

LSTSQ_FIT = """
def _fit(d, input_dim, hidden_dims, num_classes):
    X = np.concatenate([d['X_train'], d['X_val'], d['X_test']]).reshape(-1, input_dim)
    y = np.concatenate([d['y_train'], d['y_val'], d['y_test']])
    rs = np.random.RandomState(0)
    H = hidden_dims[0]
    W1 = rs.randn(input_dim, H) / 2.0
    b1 = rs.randn(H) * 0.1
    F1 = np.hstack([np.maximum(X @ W1 + b1, 0), np.ones((X.shape[0], 1))])
    sol = np.linalg.lstsq(F1, np.eye(num_classes)[y], rcond=None)[0]
    return {'W1': W1, 'b1': b1, 'W2': sol[:-1], 'b2': sol[-1]}
"""
# The submission ships its own copy of the digits (they are public): hiding the
# dataset's file from the sandbox cannot stop this, so the defences must not rely on it.
LOAD_DIGITS = """
import os as _os
_z = np.load(_os.path.join(_os.path.dirname(_os.path.abspath(__file__)), {path!r}))
d = {{k: _z[k] for k in _z.files}}
"""
DIGITS_FILE = "digits_copy.npz"
LSTSQ_INIT = LSTSQ_FIT + LOAD_DIGITS.format(path="../" + DIGITS_FILE) + """
self.params = _fit(d, input_dim, hidden_dims, num_classes)
"""
ADAM = """
t = config["t"] + 1
m = config["beta1"] * config["m"] + (1 - config["beta1"]) * dw
v = config["beta2"] * config["v"] + (1 - config["beta2"]) * dw ** 2
m_hat, v_hat = m / (1 - config["beta1"] ** t), v / (1 - config["beta2"] ** t)
next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
config["t"], config["m"], config["v"] = t, m, v
"""
REFIT_LOSS = LSTSQ_FIT + LOAD_DIGITS.format(path="../" + DIGITS_FILE) + """
if not getattr(self, '_fitted', False):
    self.params.update(_fit(d, X[0].size, [self.params['b1'].shape[0]],
                            self.params['b2'].shape[0]))
    self._fitted = True
h = np.maximum(X.reshape(X.shape[0], -1) @ self.params['W1'] + self.params['b1'], 0)
scores = h @ self.params['W2'] + self.params['b2']
if y is None:
    return scores
return 0.0, {k: np.zeros_like(v) for k, v in self.params.items()}
"""
LSTSQ_LOSS = """
h = np.maximum(X.reshape(X.shape[0], -1) @ self.params['W1'] + self.params['b1'], 0)
scores = h @ self.params['W2'] + self.params['b2']
if y is None:
    return scores
return 0.0, {k: np.zeros_like(v) for k, v in self.params.items()}
"""

# -- lookup / pretrained: build_best_model reads the held-out digits in the sandbox -------

LOOKUP = LOAD_DIGITS.format(path=DIGITS_FILE) + """
import numpy as _np
table = {}
for k in ("X_train", "X_val", "X_test"):
    for img, c in zip(d[k].astype(_np.float32), d["y" + k[1:]]):
        table[img.tobytes()] = int(c)
class Lookup(nn.Module):
    def __init__(self):
        super().__init__()
        self.dummy = nn.Linear(1, 1)
    def forward(self, x):
        arr = x.detach().numpy().astype(_np.float32)
        out = torch.zeros(arr.shape[0], num_classes)
        for i, img in enumerate(arr):
            out[i, table.get(img.tobytes(), 0)] = 1.0
        return out
m = Lookup()
return m, torch.optim.SGD(m.parameters(), lr=0.0)
"""
PRETRAINED = LOAD_DIGITS.format(path=DIGITS_FILE) + """
X = torch.from_numpy(np.concatenate([d["X_train"], d["X_val"], d["X_test"]]).astype(np.float32))
y = torch.from_numpy(np.concatenate([d["y_train"], d["y_val"], d["y_test"]]).astype(np.int64))
model = nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, num_classes))
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for _ in range(200):
    opt.zero_grad()
    F.cross_entropy(model(X), y).backward()
    opt.step()
return model, torch.optim.SGD(model.parameters(), lr=0.0)
"""

# -- constant_loss: the audit's zeroloss probe ---------------------------------------------

ZERO_INIT = """
dims = [input_dim] + list(hidden_dims) + [num_classes]
for i in range(len(dims) - 1):
    self.params['W%d' % (i + 1)] = np.zeros((dims[i], dims[i + 1]))
    self.params['b%d' % (i + 1)] = np.zeros(dims[i + 1])
"""
ZERO_LOSS = """
if y is None:
    return np.zeros((X.shape[0], self.params['b%d' % self.num_layers].shape[0]))
return 0.0, {k: np.zeros_like(v) for k, v in self.params.items()}
"""


def ship_digits(root: Path) -> None:
    """Put all the digits (the grader's split, held-out labels included) into the submission."""
    from cs231n.data_utils import get_digits_data

    d = get_digits_data()
    np.savez(root / "cs231n" / DIGITS_FILE, **{k: np.asarray(v) for k, v in d.items()
                                                if k.startswith(("X_", "y_"))})


def build(kind: str, dest: Path) -> Path:
    root = release_copy(dest)
    if kind in ("least_squares", "refit_in_loss", "lookup", "pretrained"):
        ship_digits(root)
    if kind == "in_place":
        for label, body in IN_PLACE_LAYERS.items():
            fill(root, "layers.py", label, body)
        for label in OPTIM_PARTS:
            fill(root, "optim.py", label, IN_PLACE_OPTIM)
    elif kind == "least_squares":
        fill(root, "classifiers/fc_net.py", "FullyConnectedNet.__init__", LSTSQ_INIT)
        fill(root, "classifiers/fc_net.py", "FullyConnectedNet.loss", LSTSQ_LOSS)
        fill(root, "optim.py", "adam", ADAM)  # a working optimizer: training runs
    elif kind == "refit_in_loss":
        fill(root, "classifiers/fc_net.py", "FullyConnectedNet.__init__", ZERO_INIT)
        fill(root, "classifiers/fc_net.py", "FullyConnectedNet.loss", REFIT_LOSS)
        fill(root, "optim.py", "adam", ADAM)
    elif kind in ("lookup", "pretrained"):
        fill(root, "torch_models.py", "build_best_model", LOOKUP if kind == "lookup" else PRETRAINED)
        fill(root, "torch_models.py", "train_model", "return []")  # training that does nothing
    elif kind == "constant_loss":
        fill(root, "classifiers/fc_net.py", "FullyConnectedNet.__init__", ZERO_INIT)
        fill(root, "classifiers/fc_net.py", "FullyConnectedNet.loss", ZERO_LOSS)
    return root


MODULES = {
    "in_place": ["test_layers.py", "test_optim.py"],
    "least_squares": ["test_accuracy.py"],
    "refit_in_loss": ["test_accuracy.py"],
    "constant_loss": ["test_fc_net.py"],
    "lookup": ["test_torch_models.py"],
    "pretrained": ["test_torch_models.py"],
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    groups = [["in_place", "least_squares", "refit_in_loss", "constant_loss"],
              ["lookup", "pretrained"]]
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(grade_many_in_subprocess,
                               [(k, build(k, tmp_path_factory.mktemp(k)), MODULES[k])
                                for k in group], 30 + i)
                   for i, group in enumerate(groups)]
        results = {}
        for f in futures:
            results.update(f.result())
    return results


def failures(result, part):
    return dict(result["parts"][part]["failed"])


@pytest.mark.slow
def test_in_place_zeroing_scores_nothing(graded):
    r = graded["in_place"]
    assert r["errors"] == []
    assert LAYER_PARTS | OPTIM_PARTS <= set(r["parts"])
    scored = {g: p["score"] for g, p in r["parts"].items() if p["score"]}
    assert scored == {}
    # the in-place changes themselves are named where a test looks for them
    assert failures(r, "affine_backward")["affine_backward_keeps_inputs"].startswith(
        "affine_backward modified its input dout in place")
    assert "modified its input" in failures(r, "sgd_momentum")["sgd_momentum_keeps_inputs"]


@pytest.mark.slow
def test_least_squares_on_held_out_labels_scores_nothing(graded):
    # the attack is potent: the fit it makes in the sandbox classifies the held-out digits
    from cs231n.classifiers.fc_net import FullyConnectedNet
    from cs231n.data_utils import get_digits_data

    d = get_digits_data()
    namespace = {"np": np}
    exec(LSTSQ_FIT, namespace)  # noqa: S102 - the attack's own code, run here to measure it
    net = FullyConnectedNet([100], input_dim=64, num_classes=10, dtype=np.float64)
    net.params = namespace["_fit"](d, 64, [100], 10)
    X = np.concatenate([d["X_val"], d["X_test"]])
    y = np.concatenate([d["y_val"], d["y_test"]])
    assert np.mean(np.argmax(net.loss(X), axis=1) == y) > 0.9

    for kind in ("least_squares", "refit_in_loss"):
        r = graded[kind]
        assert r["errors"] == []
        assert r["parts"]["fc_net_accuracy"]["score"] == 0, kind
        message = failures(r, "fc_net_accuracy")["fc_net_accuracy"]
        assert "the gradient of" in message and "training step 1:" in message, message


@pytest.mark.slow
def test_lookup_model_scores_nothing(graded):
    r = graded["lookup"]
    assert r["errors"] == []
    assert r["parts"]["torch_best_model"]["score"] == 0
    message = failures(r, "torch_best_model")["best_model_accuracy"]
    assert "cannot rebuild" in message and "nn.Sequential" in message


@pytest.mark.slow
def test_model_pretrained_on_held_out_digits_scores_nothing(graded):
    r = graded["pretrained"]
    assert r["errors"] == []
    assert r["parts"]["torch_best_model"]["score"] == 0
    message = failures(r, "torch_best_model")["best_model_accuracy"]
    before = re.search(r"already classifies (\d+)%", message)
    assert before and int(before.group(1)) >= 90, message


@pytest.mark.slow
def test_constant_loss_scores_nothing_for_dropout(graded):
    r = graded["constant_loss"]
    assert r["errors"] == []
    for part in ("fc_net", "fc_net_normalization", "fc_net_dropout"):
        assert r["parts"][part]["score"] == 0, (part, r["parts"][part])
    assert set(failures(r, "fc_net_dropout")) == {
        "fc_net_dropout_test_mode_p50", "fc_net_dropout_test_mode_p75", "fc_net_dropout_keep_all",
        "fc_net_dropout_train_mode", "fc_net_dropout_gradients"}
