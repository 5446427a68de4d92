"""The mutant catalogue: planted bugs the hidden suites must catch.

Each :class:`Mutant` is a copy of the reference package with one bug planted by
exact text replacement (every ``old`` snippet must occur exactly once in its
file). Many are the real student mistakes of the course notes in
``/work/shared/course-notes`` (non-inverted dropout, ``eps`` outside the square
root in batch norm, ``eps`` inside the square root in RMSProp, Adam without
bias correction, ``keepdims=True`` gradients, momentum written as ``x += v``,
max-pool backward routing to every tie, the (N, C, H, W) -> (N*H*W, C) reshape
without a transpose ...).

``fails``: parts (grade_ids) that must lose points.
``may_fail``: parts that depend on the mutated function through the student's
own code (e.g. a network that calls a broken layer) and so may lose points too.
Every other part graded by the modules that run must keep full points.

Which hidden modules grade a mutant (``FILE_MODULES``): the module for the
mutated file and the modules of the files that import it. Modules that never
reach the mutated file are not run (they cannot lose points), to keep the
test affordable:

=======================  ==============================================================
mutated file             hidden modules run
=======================  ==============================================================
layers.py                test_layers, test_layer_utils, test_fc_net, test_cnn, test_accuracy
layer_utils.py           test_layer_utils, test_fc_net, test_cnn, test_accuracy
optim.py                 test_optim, test_accuracy (Solver uses the student's update rule)
classifiers/fc_net.py    test_fc_net, test_accuracy
classifiers/cnn.py       test_cnn, test_accuracy
torch_models.py          test_torch_models
=======================  ==============================================================
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

FILE_MODULES: dict[str, list[str]] = {
    "layers.py": ["test_layers.py", "test_layer_utils.py", "test_fc_net.py", "test_cnn.py",
                  "test_accuracy.py"],
    "layer_utils.py": ["test_layer_utils.py", "test_fc_net.py", "test_cnn.py", "test_accuracy.py"],
    "optim.py": ["test_optim.py", "test_accuracy.py"],
    "classifiers/fc_net.py": ["test_fc_net.py", "test_accuracy.py"],
    "classifiers/cnn.py": ["test_cnn.py", "test_accuracy.py"],
    "torch_models.py": ["test_torch_models.py"],
}

# Parts that call a function through the student's own code.
_BN = {"affine_norm_relu", "fc_net_normalization", "spatial_batchnorm_forward",
       "spatial_batchnorm_backward"}
_NETS = {"fc_net", "fc_net_normalization", "fc_net_dropout", "affine_norm_relu",
         "three_layer_convnet", "fc_net_accuracy", "convnet_accuracy"}
_ACC = {"fc_net_accuracy", "convnet_accuracy"}


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str                                   # relative to the cs231n package
    edits: tuple[tuple[str, str], ...]          # (old, new): old occurs exactly once
    fails: frozenset[str]
    may_fail: frozenset[str] = field(default_factory=frozenset)
    note: str = ""

    @property
    def modules(self) -> list[str]:
        return FILE_MODULES[self.file]


def M(name, file, old, new=None, *, fails, may_fail=(), note="", edits=None):
    edits = tuple(edits) if edits is not None else ((old, new),)
    return Mutant(name, file, edits, frozenset(fails), frozenset(may_fail) - frozenset(fails), note)


MUTANTS: list[Mutant] = [
    # ------------------------------------------------------------------ layers.py: affine / relu
    M("affine_forward_no_bias", "layers.py",
      "out = x.reshape(x.shape[0], -1).dot(w) + b", "out = x.reshape(x.shape[0], -1).dot(w)",
      fails={"affine_forward"}, may_fail=_NETS),
    M("affine_backward_missing_reshape", "layers.py",
      "dx = dout.dot(w.T).reshape(x.shape)", "dx = dout.dot(w.T)",
      fails={"affine_backward"}, may_fail=_NETS,
      note="dx comes back (N, D) instead of x's shape"),
    M("affine_backward_db_mean", "layers.py",
      "db = np.sum(dout, axis=0)\n    ### END SOLUTION\n    return dx, dw, db",
      "db = np.mean(dout, axis=0)\n    ### END SOLUTION\n    return dx, dw, db",
      fails={"affine_backward"}, may_fail=_NETS),
    M("relu_forward_leaky", "layers.py",
      "out = np.maximum(0, x)", "out = np.maximum(0.01 * x, x)",
      fails={"relu_forward"}, may_fail=_NETS),
    M("relu_backward_relu_of_dout", "layers.py",
      "dx = dout * (x > 0)", "dx = np.maximum(dout, 0) * (x > 0)",
      fails={"relu_backward"}, may_fail=_NETS,
      note="non-equivalent (using out instead of x would be equivalent)"),
    # ------------------------------------------------------------------ losses
    M("softmax_no_max_shift", "layers.py",
      "shifted_logits = x - np.max(x, axis=1, keepdims=True)", "shifted_logits = x",
      fails={"softmax_loss"}, may_fail=_NETS,
      note="only large scores overflow: caught by the stability case"),
    M("softmax_inplace_shift", "layers.py",
      "shifted_logits = x - np.max(x, axis=1, keepdims=True)",
      "x -= np.max(x, axis=1, keepdims=True)\n    shifted_logits = x",
      fails={"softmax_loss"}, may_fail=_NETS, note="modifies the caller's scores"),
    M("softmax_loss_not_averaged", "layers.py",
      "loss = -np.sum(log_probs[rows, y]) / N", "loss = -np.sum(log_probs[rows, y])",
      fails={"softmax_loss"}, may_fail=_NETS),
    M("svm_counts_correct_class", "layers.py",
      "    margins[rows, y] = 0\n", "",
      fails={"svm_loss"}),
    # ------------------------------------------------------------------ batch norm
    M("batchnorm_eps_outside_sqrt", "layers.py",
      "std = np.sqrt(sample_var + eps)", "std = np.sqrt(sample_var) + eps",
      fails={"batchnorm_forward"},
      may_fail=_BN | {"batchnorm_backward", "batchnorm_backward_alt"},
      note="course notes: x_std = (x - mean) / (np.sqrt(var) + eps)"),
    M("batchnorm_running_stats_not_updated", "layers.py",
      "        running_mean = momentum * running_mean + (1 - momentum) * sample_mean\n"
      "        running_var = momentum * running_var + (1 - momentum) * sample_var\n", "",
      fails={"batchnorm_forward"}, may_fail=_BN | {"fc_net_accuracy"}),
    M("batchnorm_momentum_swapped", "layers.py",
      "        running_mean = momentum * running_mean + (1 - momentum) * sample_mean\n",
      "        running_mean = (1 - momentum) * running_mean + momentum * sample_mean\n",
      fails={"batchnorm_forward"}, may_fail=_BN),
    M("batchnorm_test_mode_batch_stats", "layers.py",
      "x_hat = (x - running_mean) / np.sqrt(running_var + eps)",
      "x_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)",
      fails={"batchnorm_forward"}, may_fail=_BN),
    M("batchnorm_backward_missing_mean_term", "layers.py",
      "dx = dx_centered + dmean / N", "dx = dx_centered",
      fails={"batchnorm_backward"}, may_fail={"affine_norm_relu", "fc_net_normalization"}),
    M("batchnorm_backward_dgamma_keepdims", "layers.py",
      "    dgamma = np.sum(dout * x_hat, axis=0)\n    dx_hat = dout * gamma\n    # x_hat",
      "    dgamma = np.sum(dout * x_hat, axis=0, keepdims=True)\n    dx_hat = dout * gamma\n"
      "    # x_hat",
      fails={"batchnorm_backward"}, may_fail={"affine_norm_relu", "fc_net_normalization"},
      note="course notes: keepdims=True gives dgamma of shape (1, D)"),
    M("batchnorm_backward_alt_sign", "layers.py",
      "N * dx_hat - np.sum(dx_hat, axis=0) - x_hat * np.sum(dx_hat * x_hat, axis=0)",
      "N * dx_hat - np.sum(dx_hat, axis=0) + x_hat * np.sum(dx_hat * x_hat, axis=0)",
      fails={"batchnorm_backward_alt"}, may_fail={"spatial_batchnorm_backward"}),
    # ------------------------------------------------------------------ layer norm
    M("layernorm_over_batch_axis", "layers.py",
      "    mean = x.mean(axis=1, keepdims=True)\n    var = x.var(axis=1, keepdims=True)",
      "    mean = x.mean(axis=0, keepdims=True)\n    var = x.var(axis=0, keepdims=True)",
      fails={"layernorm_forward"},
      may_fail={"layernorm_backward", "affine_norm_relu", "fc_net_normalization"}),
    M("layernorm_backward_batch_axis", "layers.py",
      "        - np.sum(dx_hat, axis=1, keepdims=True)\n",
      "        - np.sum(dx_hat, axis=0, keepdims=True)\n",
      fails={"layernorm_backward"}, may_fail={"affine_norm_relu", "fc_net_normalization"}),
    # ------------------------------------------------------------------ dropout
    M("dropout_not_inverted", "layers.py",
      "mask = (np.random.rand(*x.shape) < p) / p", "mask = (np.random.rand(*x.shape) < p)",
      fails={"dropout_forward"}, may_fail={"fc_net_dropout"},
      note="course notes: vanilla dropout without the 1/p"),
    M("dropout_p_is_drop_probability", "layers.py",
      "mask = (np.random.rand(*x.shape) < p) / p",
      "mask = (np.random.rand(*x.shape) >= p) / (1 - p)",
      fails={"dropout_forward"}, may_fail={"fc_net_dropout"}),
    M("dropout_backward_fresh_mask", "layers.py",
      "        dx = dout * mask\n",
      "        p = dropout_param['p']\n        dx = dout * (np.random.rand(*dout.shape) < p) / p\n",
      fails={"dropout_backward"}, may_fail={"fc_net_dropout"}),
    M("dropout_test_mode_scaled", "layers.py",
      '    elif mode == "test":\n        out = x\n',
      '    elif mode == "test":\n        out = x * p\n',
      fails={"dropout_forward"}, may_fail={"fc_net_dropout"}),
    # ------------------------------------------------------------------ convolution / pooling
    M("conv_forward_pad_one_side", "layers.py",
      'x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")\n'
      "    out = np.zeros",
      'x_pad = np.pad(x, ((0, 0), (0, 0), (2 * pad, 0), (2 * pad, 0)), mode="constant")\n'
      "    out = np.zeros",
      fails={"conv_forward_naive"}),
    M("conv_forward_no_bias", "layers.py",
      "    out += b.reshape(1, F, 1, 1)\n", "",
      fails={"conv_forward_naive"}),
    M("conv_backward_stride_ignored", "layers.py",
      "        hs = i * stride\n        for j in range(W_out):\n            ws = j * stride\n"
      "            d = dout[:, :, i, j]",
      "        hs = i\n        for j in range(W_out):\n            ws = j\n"
      "            d = dout[:, :, i, j]",
      fails={"conv_backward_naive"}),
    M("conv_backward_db_averaged", "layers.py",
      "db = np.sum(dout, axis=(0, 2, 3))", "db = np.sum(dout, axis=(0, 2, 3)) / N",
      fails={"conv_backward_naive"}),
    M("max_pool_forward_average", "layers.py",
      "out[:, :, i, j] = np.max(x[:, :, hs:hs + PH, ws:ws + PW], axis=(2, 3))",
      "out[:, :, i, j] = np.mean(x[:, :, hs:hs + PH, ws:ws + PW], axis=(2, 3))",
      fails={"max_pool_forward_naive"}),
    M("max_pool_backward_all_ties", "layers.py",
      "onehot = (positions == first_max[:, :, None]).reshape(N, C, PH, PW)",
      "onehot = (window == window.max(axis=2, keepdims=True)).reshape(N, C, PH, PW)",
      fails={"max_pool_backward_naive"},
      note="course notes: x == max mask; only inputs with ties tell"),
    # ------------------------------------------------------------------ spatial norms
    M("spatial_batchnorm_reshape_without_transpose", "layers.py",
      "x_rows = x.transpose(0, 2, 3, 1).reshape(-1, C)", "x_rows = x.reshape(-1, C)",
      fails={"spatial_batchnorm_forward"}, may_fail={"spatial_batchnorm_backward"}),
    M("spatial_groupnorm_interleaved_groups", "layers.py",
      "x_groups = x.reshape(N, G, -1)  #", "x_groups = x.reshape(N, -1, G).transpose(0, 2, 1)  #",
      fails={"spatial_groupnorm_forward"}, may_fail={"spatial_groupnorm_backward"}),
    M("spatial_groupnorm_dgamma_shape", "layers.py",
      "dgamma = np.sum(dout * x_hat, axis=(0, 2, 3), keepdims=True)",
      "dgamma = np.sum(dout * x_hat, axis=(0, 2, 3))",
      fails={"spatial_groupnorm_backward"}),
    # ------------------------------------------------------------------ optim.py
    M("sgd_momentum_sign", "optim.py",
      'v = config["momentum"] * v - config["learning_rate"] * dw\n    next_w = w + v',
      'v = config["momentum"] * v + config["learning_rate"] * dw\n    next_w = w + v',
      fails={"sgd_momentum"}),
    M("sgd_momentum_updates_w_in_place", "optim.py",
      'v = config["momentum"] * v - config["learning_rate"] * dw\n    next_w = w + v',
      'v = config["momentum"] * v - config["learning_rate"] * dw\n    w += v\n    next_w = w',
      fails={"sgd_momentum"}, note="course notes: x += v"),
    M("nesterov_is_plain_momentum", "optim.py",
      "next_w = w - mu * v_prev + (1 + mu) * v", "next_w = w + v",
      fails={"nesterov_momentum"}),
    M("adagrad_no_accumulation", "optim.py",
      'cache = config["cache"] + dw ** 2', "cache = dw ** 2",
      fails={"adagrad"}),
    M("rmsprop_missing_epsilon", "optim.py",
      '(1 - decay) * dw ** 2\n    next_w = w - config["learning_rate"] * dw / '
      '(np.sqrt(cache) + config["epsilon"])',
      '(1 - decay) * dw ** 2\n    next_w = w - config["learning_rate"] * dw / np.sqrt(cache)',
      fails={"rmsprop"}),
    M("rmsprop_epsilon_inside_sqrt", "optim.py",
      '(1 - decay) * dw ** 2\n    next_w = w - config["learning_rate"] * dw / '
      '(np.sqrt(cache) + config["epsilon"])',
      '(1 - decay) * dw ** 2\n    next_w = w - config["learning_rate"] * dw / '
      'np.sqrt(cache + config["epsilon"])',
      fails={"rmsprop"}, note="course notes: np.sqrt(cache + epsilon)"),
    M("adam_no_bias_correction", "optim.py",
      "m_hat = m / (1 - beta1 ** t)\n    v_hat = v / (1 - beta2 ** t)",
      "m_hat = m\n    v_hat = v",
      fails={"adam"}, may_fail=_ACC),
    M("adam_t_incremented_after_use", "optim.py", None, None,
      edits=[('t = config["t"] + 1', 't = config["t"]'),
             ('config["t"], config["m"], config["v"] = t, m, v',
              'config["t"], config["m"], config["v"] = t + 1, m, v')],
      fails={"adam"}, may_fail=_ACC),
    # ------------------------------------------------------------------ layer_utils.py
    M("affine_norm_relu_layernorm_calls_batchnorm", "layer_utils.py",
      "an, norm_cache = layernorm_forward(a, gamma, beta, norm_param)",
      "an, norm_cache = batchnorm_forward(a, gamma, beta, dict(norm_param, mode='train'))",
      fails={"affine_norm_relu"}, may_fail={"fc_net_normalization"}),
    M("affine_norm_relu_backward_skips_relu", "layer_utils.py",
      "dan = relu_backward(dout, relu_cache)\n    if normalization",
      "dan = dout\n    if normalization",
      fails={"affine_norm_relu"}, may_fail={"fc_net_normalization"}),
    # ------------------------------------------------------------------ classifiers/fc_net.py
    M("fc_net_reg_skips_last_layer", "classifiers/fc_net.py",
      "for i in range(1, L + 1):\n            W = self.params['W%d' % i]",
      "for i in range(1, L):\n            W = self.params['W%d' % i]",
      fails={"fc_net"}, may_fail={"fc_net_normalization", "fc_net_dropout", "fc_net_accuracy"}),
    M("fc_net_reg_without_half", "classifiers/fc_net.py",
      "loss += 0.5 * self.reg * np.sum(W * W)", "loss += self.reg * np.sum(W * W)",
      fails={"fc_net"}, may_fail={"fc_net_normalization", "fc_net_dropout", "fc_net_accuracy"}),
    M("fc_net_init_ignores_weight_scale", "classifiers/fc_net.py",
      "weight_scale * np.random.randn(dims[i], dims[i + 1])",
      "np.random.randn(dims[i], dims[i + 1]) / np.sqrt(dims[i])",
      fails={"fc_net"}, may_fail={"fc_net_accuracy"}),
    M("fc_net_normalizes_output_layer", "classifiers/fc_net.py",
      "if self.normalization is not None and i < self.num_layers - 1:",
      "if self.normalization is not None:",
      fails={"fc_net_normalization"}),
    M("fc_net_dropout_never_applied", "classifiers/fc_net.py",
      "out, dropout_cache = dropout_forward(out, self.dropout_param)",
      "dropout_cache = dropout_forward(out, self.dropout_param)[1]",
      fails={"fc_net_dropout"}),
    # ------------------------------------------------------------------ classifiers/cnn.py
    M("cnn_reg_skips_W1", "classifiers/cnn.py",
      "loss += 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2) + np.sum(W3 * W3))",
      "loss += 0.5 * self.reg * (np.sum(W2 * W2) + np.sum(W3 * W3))",
      fails={"three_layer_convnet"}, may_fail={"convnet_accuracy"}),
    M("cnn_grad_missing_reg", "classifiers/cnn.py",
      "grads['W1'] = dW1 + self.reg * W1", "grads['W1'] = dW1",
      fails={"three_layer_convnet"}, may_fail={"convnet_accuracy"}),
    # ------------------------------------------------------------------ torch_models.py
    M("torch_flatten_wrong_order", "torch_models.py",
      "return x.reshape(N, -1)", "return x.transpose(1, -1).reshape(N, -1)",
      fails={"torch_flatten"},
      may_fail={"torch_two_layer_fc", "torch_three_layer_convnet"}),
    M("torch_two_layer_fc_no_relu", "torch_models.py",
      "scores = self.fc2(F.relu(self.fc1(x)))", "scores = self.fc2(self.fc1(x))",
      fails={"torch_two_layer_fc"}),
    M("torch_train_model_no_zero_grad", "torch_models.py",
      "            optimizer.zero_grad()\n", "",
      fails={"torch_train_model"}, may_fail={"torch_best_model"}),
]

assert len({m.name for m in MUTANTS}) == len(MUTANTS), "mutant names must be unique"


# ---------------------------------------------------------------------------
# Building and grading
# ---------------------------------------------------------------------------

def apply_mutant(reference_pkg: Path, dest_root: Path, mutant: Mutant | None) -> Path:
    """Copy the reference package to ``dest_root/cs231n`` and plant ``mutant``'s bug."""
    dest = Path(dest_root) / "cs231n"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(reference_pkg, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if mutant is not None:
        target = dest / mutant.file
        text = target.read_text()
        for old, new in mutant.edits:
            count = text.count(old)
            if count != 1:
                raise ValueError(f"mutant {mutant.name}: snippet occurs {count} times in "
                                 f"{mutant.file}: {old!r}")
            text = text.replace(old, new)
        target.write_text(text)
    return Path(dest_root)


_GRADE_SCRIPT = r"""
import json, sys
from pathlib import Path
from autograder.runner import grade_submission
slot, jobs = int(sys.argv[1]), json.loads(sys.argv[2])
for key, sub, mods in jobs:
    res = grade_submission(Path(sub), "assignment2", modules=mods, slot=slot)
    out = {"key": key, "errors": res.errors, "time": res.execution_time, "parts": {}}
    for p in res.parts:
        if p.tests:
            out["parts"][p.grade_id] = {
                "score": p.score, "max": p.max_points,
                "failed": [[t.name, t.message[:300]] for t in p.tests if not t.passed]}
    print("@@RESULT@@" + json.dumps(out), flush=True)
"""


def grade_many_in_subprocess(jobs: list[tuple[str, Path, list[str] | None]], slot: int = 0,
                             timeout: float = 900) -> dict[str, dict]:
    """Grade several submission folders one after the other in ONE fresh Python process
    (the interpreter and imports are paid once). ``jobs``: ``(key, folder, modules)``.
    Returns ``{key: {"parts": {grade_id: {"score", "max", "failed"}}, "errors", "time"}}``."""
    env = dict(os.environ)
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    payload = json.dumps([[k, str(root), mods] for k, root, mods in jobs])
    proc = subprocess.run([sys.executable, "-c", _GRADE_SCRIPT, str(slot), payload],
                          capture_output=True, text=True, timeout=timeout, env=env)
    results = {}
    for line in proc.stdout.splitlines():
        if line.startswith("@@RESULT@@"):
            r = json.loads(line[len("@@RESULT@@"):])
            results[r.pop("key")] = r
    missing = [k for k, _, _ in jobs if k not in results]
    if missing:
        raise RuntimeError(f"grading {missing} failed (exit {proc.returncode}):\n"
                           f"{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    return results


def grade_in_subprocess(submission_root: Path, modules: list[str] | None = None, slot: int = 0,
                        timeout: float = 600) -> dict:
    """Grade one submission folder in a fresh Python process (see grade_many_in_subprocess)."""
    return grade_many_in_subprocess([("one", Path(submission_root), modules)], slot,
                                    timeout)["one"]


def judge_mutant(mutant: Mutant, result: dict) -> list[str]:
    """Problems with a mutant's grading result (empty if it behaved as catalogued)."""
    problems = []
    parts = result["parts"]
    for gid in sorted(mutant.fails):
        p = parts.get(gid)
        if p is None:
            problems.append(f"{gid}: not graded by {mutant.modules}")
        elif p["score"] >= p["max"] - 1e-9:
            problems.append(f"{gid}: kept full points ({p['score']:.2f}/{p['max']:g})")
    for gid, p in sorted(parts.items()):
        if gid in mutant.fails or gid in mutant.may_fail:
            continue
        if p["score"] < p["max"] - 1e-9:
            problems.append(f"{gid}: lost points ({p['score']:.2f}/{p['max']:g}) but is neither "
                            f"in fails nor in may_fail: {p['failed'][:2]}")
    if result.get("errors"):
        problems.append(f"grading errors: {result['errors']}")
    return problems


def lost_parts(result: dict) -> list[str]:
    return sorted(g for g, p in result["parts"].items() if p["score"] < p["max"] - 1e-9)


def grade_mutants(reference_pkg: Path, mutants: list[Mutant], jobs: int = 2,
                  workdir: Path | None = None, chunk: int = 5) -> dict[str, dict]:
    """Grade every mutant: ``jobs`` processes at a time, each grading a chunk of
    mutants one after the other in its own worker slot (uid)."""
    from concurrent.futures import ThreadPoolExecutor

    base = Path(workdir or tempfile.mkdtemp(prefix="mutants-"))
    # the slowest (torch) mutants first so the pool drains evenly
    ordered = sorted(mutants, key=lambda m: m.file != "torch_models.py")
    chunks = [ordered[i:i + chunk] for i in range(0, len(ordered), chunk)]
    import queue

    free_slots: queue.Queue = queue.Queue()
    for s in range(jobs):
        free_slots.put(10 + s)  # worker uids distinct from other gradings, one per running job

    def run(group):
        roots = [(m.name, apply_mutant(reference_pkg, base / m.name, m), m.modules)
                 for m in group]
        slot = free_slots.get()
        try:
            return grade_many_in_subprocess(roots, slot)
        finally:
            free_slots.put(slot)
            for _, root, _ in roots:
                shutil.rmtree(root, ignore_errors=True)

    results: dict[str, dict] = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for part in pool.map(run, chunks):
            results.update(part)
    shutil.rmtree(base, ignore_errors=True)
    return results
