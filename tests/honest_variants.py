"""The project's own corpus of honest student code for assignment 2.

Two kinds of submissions, each a copy of the reference package with some graded
functions of ``layers.py`` or ``optim.py`` replaced:

* **correct variants** (:data:`VARIANTS`): whole functions written again from their
  docstrings, correct but unlike the reference (loops where it vectorizes and the
  other way round, another cache layout where the docstring leaves it open,
  float32 masks, ``np.add.at`` instead of loops, transposes instead of reshapes,
  another order of random draws in dropout). Each must keep full marks on every
  part it touches.
* **honest edge-case bugs** (:data:`EDGE_BUGS`): the mistakes real students make
  whose code is right on the notebook's common case and wrong on one edge case the
  docstring allows (issue 15's table). Each must lose exactly its edge-case test(s),
  nothing else, each worth at most a quarter of its part.

Functions are replaced whole (``replace_functions``, by the ``def``'s line range),
bugs are planted by exact text replacement like the mutants (``tests/mutants.py``).
"""
from __future__ import annotations

import ast
import shutil
import textwrap
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Variant:
    name: str
    file: str                                        # relative to the cs231n package
    functions: dict = field(default_factory=dict)    # {function name: its whole new source}
    edits: tuple = ()                                # ((old, new), ...): old occurs once
    loses: frozenset = frozenset()                   # edge bugs: the tests it must fail
    note: str = ""


def replace_functions(text: str, functions: dict) -> str:
    """``text`` (a module's source) with each named top-level function replaced by its new
    source (dedented); every name must be a top-level function of ``text``."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    spans = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in functions:
            start = (node.decorator_list[0].lineno if node.decorator_list else node.lineno) - 1
            spans[node.name] = (start, node.end_lineno)
    missing = set(functions) - set(spans)
    if missing:
        raise ValueError(f"no top-level function(s) {sorted(missing)}")
    for name, (start, end) in sorted(spans.items(), key=lambda kv: -kv[1][0]):
        new = textwrap.dedent(functions[name]).strip("\n") + "\n"
        lines[start:end] = [new]
    return "".join(lines)


def build(reference_pkg: Path, dest_root: Path, variant: Variant | None) -> Path:
    """Copy the reference package to ``dest_root/cs231n`` and apply ``variant``."""
    dest = Path(dest_root) / "cs231n"
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(reference_pkg, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if variant is not None:
        target = dest / variant.file
        text = target.read_text()
        if variant.functions:
            text = replace_functions(text, variant.functions)
        for old, new in variant.edits:
            count = text.count(old)
            if count != 1:
                raise ValueError(f"{variant.name}: snippet occurs {count} times: {old!r}")
            text = text.replace(old, new)
        compile(text, str(target), "exec")
        target.write_text(text)
    return Path(dest_root)


# ---------------------------------------------------------------------------
# correct variants of layers.py
# ---------------------------------------------------------------------------

AFFINE_MATMUL = {
    "affine_forward": '''
def affine_forward(x, w, b):
    rows = np.reshape(x, (len(x), int(np.prod(x.shape[1:]))))
    out = rows @ w + b[None, :]
    cache = (x, w, b)
    return out, cache
''',
    "affine_backward": '''
def affine_backward(dout, cache):
    x, w, b = cache
    rows = x.reshape(x.shape[0], -1)
    dw = np.einsum("nd,nm->dm", rows, dout)
    db = dout.sum(axis=0)
    dx = np.einsum("nm,dm->nd", dout, w).reshape(x.shape)
    return dx, dw, db
''',
}

RELU_WHERE = {
    "relu_forward": '''
def relu_forward(x):
    # np.where with a Python float gives float64 even for float32 x: the dtype is not fixed
    out = np.where(x > 0, x, 0.0)
    cache = x
    return out, cache
''',
    "relu_backward": '''
def relu_backward(dout, cache):
    x = cache
    dx = np.where(x > 0, dout, 0.0)
    return dx
''',
}

RELU_COPY_THEN_MASK = {
    "relu_forward": '''
def relu_forward(x):
    out = x.copy()
    out[out < 0] = 0
    cache = x
    return out, cache
''',
    "relu_backward": '''
def relu_backward(dout, cache):
    x = cache
    dx = dout.copy()
    dx[x <= 0] = 0
    return dx
''',
}

LOSSES_LOOPS = {
    "softmax_loss": '''
def softmax_loss(x, y):
    N, C = x.shape
    loss = 0.0
    dx = np.zeros_like(x)
    for i in range(N):
        row = x[i] - x[i].max()
        log_norm = np.log(np.exp(row).sum())
        loss += log_norm - row[y[i]]
        for j in range(C):
            dx[i, j] = np.exp(row[j] - log_norm)
        dx[i, y[i]] -= 1.0
    return loss / N, dx / N
''',
    "svm_loss": '''
def svm_loss(x, y):
    N, C = x.shape
    loss = 0.0
    dx = np.zeros(x.shape)
    for i in range(N):
        for j in range(C):
            if j == y[i]:
                continue
            margin = x[i, j] - x[i, y[i]] + 1.0
            if margin > 0:
                loss += margin
                dx[i, j] += 1.0
                dx[i, y[i]] -= 1.0
    return loss / N, dx / N
''',
}

SOFTMAX_PROBS = {
    "softmax_loss": '''
def softmax_loss(x, y):
    # the course's usual route: shift by the row maximum, normalize, log of the probabilities
    N = x.shape[0]
    shifted = x - np.max(x, axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= np.sum(probs, axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(N), y]))
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx
''',
}

BATCHNORM_DICT_CACHE = {
    "batchnorm_forward": '''
def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
    cache = None
    if mode == "train":
        mu = np.sum(x, axis=0) / N
        var = np.sum((x - mu) ** 2, axis=0) / N
        x_hat = (x - mu) / np.sqrt(var + eps)
        out = x_hat * gamma + beta
        cache = {"x": x, "mu": mu, "var": var, "eps": eps, "gamma": gamma}
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
    elif mode == "test":
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    else:
        raise ValueError(mode)
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache
''',
    "batchnorm_backward": '''
def batchnorm_backward(dout, cache):
    # node by node, recomputed from x, mu and var
    x, mu, var, eps, gamma = (cache[k] for k in ("x", "mu", "var", "eps", "gamma"))
    N = x.shape[0]
    xmu = x - mu
    sqrtvar = np.sqrt(var + eps)
    ivar = 1.0 / sqrtvar
    xhat = xmu * ivar
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dxhat = dout * gamma
    divar = (dxhat * xmu).sum(axis=0)
    dxmu1 = dxhat * ivar
    dsqrtvar = -1.0 / (sqrtvar ** 2) * divar
    dvar = 0.5 / np.sqrt(var + eps) * dsqrtvar
    dsq = np.ones_like(x) / N * dvar
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -dx1.sum(axis=0)
    dx2 = np.ones_like(x) / N * dmu
    dx = dx1 + dx2
    return dx, dgamma, dbeta
''',
    "batchnorm_backward_alt": '''
def batchnorm_backward_alt(dout, cache):
    x, mu, var, eps, gamma = (cache[k] for k in ("x", "mu", "var", "eps", "gamma"))
    N = x.shape[0]
    inv = 1.0 / np.sqrt(var + eps)
    xhat = (x - mu) * inv
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dx = gamma * inv * (dout - dout.mean(axis=0) - xhat * (dout * xhat).mean(axis=0))
    return dx, dgamma, dbeta
''',
}

LAYERNORM_TRANSPOSE = {
    "layernorm_forward": '''
def layernorm_forward(x, gamma, beta, ln_param):
    # the notebook's hint: batch normalization (train mode) of x.T, then transpose back
    eps = ln_param.get("eps", 1e-5)
    xt = x.T                                   # (D, N): normalize each column
    mu = xt.mean(axis=0)
    var = xt.var(axis=0)
    xhat_t = (xt - mu) / np.sqrt(var + eps)
    out = xhat_t.T * gamma + beta
    cache = {"xhat_t": xhat_t, "var": var, "eps": eps, "gamma": gamma}
    return out, cache
''',
    "layernorm_backward": '''
def layernorm_backward(dout, cache):
    xhat_t, var, eps, gamma = cache["xhat_t"], cache["var"], cache["eps"], cache["gamma"]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat_t.T).sum(axis=0)
    dxhat_t = (dout * gamma).T                 # (D, N)
    D = dxhat_t.shape[0]
    inv = 1.0 / np.sqrt(var + eps)
    dx_t = inv / D * (D * dxhat_t - dxhat_t.sum(axis=0) - xhat_t * (dxhat_t * xhat_t).sum(axis=0))
    return dx_t.T, dgamma, dbeta
''',
}

DROPOUT_BINOMIAL_FLOAT32 = {
    "dropout_forward": '''
def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        # another draw (binomial) and a float32 mask
        mask = np.random.binomial(1, p, size=x.shape).astype(np.float32) / np.float32(p)
        out = x * mask
    else:
        out = x.copy()
    cache = (dropout_param, mask)
    out = out.astype(x.dtype, copy=False)
    return out, cache
''',
    "dropout_backward": '''
def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return np.multiply(dout, mask)
    return dout.copy()
''',
}

DROPOUT_TRANSPOSED_DRAW = {
    "dropout_forward": '''
def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    out = None
    if mode == "train":
        # the uniform numbers drawn in another order (column-major), compared the other way
        keep = ~(np.random.random_sample(x.shape[::-1]).T >= p)
        mask = keep / p
        out = np.where(keep, x / p, 0.0)
    elif mode == "test":
        out = x
    cache = (dropout_param, mask)
    out = out.astype(x.dtype, copy=False)
    return out, cache
''',
}

CONV_TENSORDOT_ADD_AT = {
    "conv_forward_naive": '''
def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    padded = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=x.dtype)
    padded[:, :, pad:pad + H, pad:pad + W] = x
    out = np.empty((N, F, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            window = padded[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
    cache = (x, w, b, conv_param)
    return out, cache
''',
    "conv_backward_naive": '''
def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    padded = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    padded[:, :, pad:pad + H, pad:pad + W] = x
    dpadded = np.zeros_like(padded)
    dw = np.zeros(w.shape)
    db = dout.sum(axis=(0, 2, 3))
    for i in range(H_out):
        for j in range(W_out):
            rows = slice(i * stride, i * stride + HH)
            cols = slice(j * stride, j * stride + WW)
            d = dout[:, :, i, j]                                   # (N, F)
            dw += np.tensordot(d, padded[:, :, rows, cols], axes=([0], [0]))
            np.add.at(dpadded, (slice(None), slice(None), rows, cols),
                      np.tensordot(d, w, axes=([1], [0])))
    dx = dpadded[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db
''',
}

MAX_POOL_VECTORIZED = {
    "max_pool_forward_naive": '''
def max_pool_forward_naive(x, pool_param):
    PH, PW, S = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    H_out, W_out = (H - PH) // S + 1, (W - PW) // S + 1
    out = np.stack([np.stack([x[:, :, i * S:i * S + PH, j * S:j * S + PW].max(axis=(2, 3))
                              for j in range(W_out)], axis=-1)
                    for i in range(H_out)], axis=-2)
    cache = (x, pool_param)
    return out, cache
''',
    "max_pool_backward_naive": '''
def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    PH, PW, S = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    _, _, H_out, W_out = dout.shape
    dx = np.zeros(x.shape)
    n, c = np.indices((N, C))
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, :, i * S:i * S + PH, j * S:j * S + PW].reshape(N, C, PH * PW)
            k = window.argmax(axis=2)                 # the first maximum, row-major
            np.add.at(dx, (n, c, i * S + k // PW, j * S + k % PW), dout[:, :, i, j])
    return dx
''',
}

SPATIAL_BATCHNORM_DIRECT = {
    "spatial_batchnorm_forward": '''
def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    # computed directly over the (N, H, W) axes, without batchnorm_forward
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    N, C, H, W = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(C, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(C, dtype=x.dtype))
    g, b = gamma.reshape(1, C, 1, 1), beta.reshape(1, C, 1, 1)
    cache = None
    if mode == "train":
        mean = x.mean(axis=(0, 2, 3))
        var = x.var(axis=(0, 2, 3))
        inv = 1.0 / np.sqrt(var + eps)
        xhat = (x - mean.reshape(1, C, 1, 1)) * inv.reshape(1, C, 1, 1)
        out = g * xhat + b
        cache = {"xhat": xhat, "inv": inv, "gamma": gamma}
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
    else:
        xhat = (x - running_mean.reshape(1, C, 1, 1)) / np.sqrt(running_var.reshape(1, C, 1, 1) + eps)
        out = g * xhat + b
        bn_param["running_mean"], bn_param["running_var"] = running_mean, running_var
    return out, cache
''',
    "spatial_batchnorm_backward": '''
def spatial_batchnorm_backward(dout, cache):
    xhat, inv, gamma = cache["xhat"], cache["inv"], cache["gamma"]
    N, C, H, W = dout.shape
    M = N * H * W
    dbeta = dout.sum(axis=(0, 2, 3))
    dgamma = (dout * xhat).sum(axis=(0, 2, 3))
    scale = (gamma * inv / M).reshape(1, C, 1, 1)
    dx = scale * (M * dout - dbeta.reshape(1, C, 1, 1) - xhat * dgamma.reshape(1, C, 1, 1))
    return dx, dgamma, dbeta
''',
}

GROUPNORM_LOOPS = {
    "spatial_groupnorm_forward": '''
def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    # a loop over the groups, channel slices of x
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    size = C // G
    xhat = np.empty(x.shape)
    invs = []
    for g in range(G):
        part = x[:, g * size:(g + 1) * size]
        mean = part.mean(axis=(1, 2, 3), keepdims=True)
        inv = 1.0 / np.sqrt(part.var(axis=(1, 2, 3), keepdims=True) + eps)
        xhat[:, g * size:(g + 1) * size] = (part - mean) * inv
        invs.append(inv)
    out = gamma * xhat + beta
    cache = {"xhat": xhat, "invs": invs, "gamma": gamma, "G": G}
    return out, cache
''',
    "spatial_groupnorm_backward": '''
def spatial_groupnorm_backward(dout, cache):
    xhat, invs, gamma, G = cache["xhat"], cache["invs"], cache["gamma"], cache["G"]
    N, C, H, W = dout.shape
    size = C // G
    dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)
    dgamma = (dout * xhat).sum(axis=(0, 2, 3), keepdims=True)
    dxhat = dout * gamma
    dx = np.empty(dout.shape)
    M = size * H * W
    for g in range(G):
        s = slice(g * size, (g + 1) * size)
        d, xh = dxhat[:, s], xhat[:, s]
        dx[:, s] = invs[g] / M * (M * d - d.sum(axis=(1, 2, 3), keepdims=True)
                                  - xh * (d * xh).sum(axis=(1, 2, 3), keepdims=True))
    return dx, dgamma, dbeta
''',
}

# ---------------------------------------------------------------------------
# a correct variant of optim.py
# ---------------------------------------------------------------------------

OPTIM_REWRITTEN = {
    "sgd_momentum": '''
def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config["momentum"] * config.get("velocity", np.zeros_like(w))
    v -= config["learning_rate"] * dw          # in place on a new array
    next_w = w.copy()
    next_w += v
    config["velocity"] = v
    return next_w, config
''',
    "nesterov_momentum": '''
def nesterov_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    mu, lr = config["momentum"], config["learning_rate"]
    v = mu * config.get("velocity", np.zeros_like(w)) - lr * dw
    # w - mu * v_prev + (1 + mu) * v, rewritten with the new velocity only
    next_w = w + mu * v - lr * dw
    config["velocity"] = v
    return next_w, config
''',
    "adagrad": '''
def adagrad(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))
    config["cache"] = config["cache"] + np.square(dw)
    next_w = w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"])
    return next_w, config
''',
    "rmsprop": '''
def rmsprop(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))
    cache = config["cache"]
    cache *= config["decay_rate"]              # the docstring allows updating state in place
    cache += (1 - config["decay_rate"]) * dw * dw
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    config["cache"] = cache
    return next_w, config
''',
    "adam": '''
def adam(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)
    b1, b2, eps = config["beta1"], config["beta2"], config["epsilon"]
    config["t"] += 1
    t = config["t"]
    config["m"] = b1 * config["m"] + (1 - b1) * dw
    config["v"] = b2 * config["v"] + (1 - b2) * dw * dw
    # the bias corrections folded into the step size (and epsilon): the same update
    c1, c2 = 1 - b1 ** t, np.sqrt(1 - b2 ** t)
    next_w = w - config["learning_rate"] * (c2 / c1) * config["m"] / (np.sqrt(config["v"]) + eps * c2)
    return next_w, config
''',
}


VARIANTS: list[Variant] = [
    Variant("affine_matmul_einsum", "layers.py", AFFINE_MATMUL),
    Variant("relu_where_float64", "layers.py", RELU_WHERE),
    Variant("relu_copy_then_mask", "layers.py", RELU_COPY_THEN_MASK),
    Variant("losses_loops", "layers.py", LOSSES_LOOPS),
    Variant("softmax_probs_route", "layers.py", SOFTMAX_PROBS),
    Variant("batchnorm_dict_cache", "layers.py", BATCHNORM_DICT_CACHE),
    Variant("layernorm_via_transpose", "layers.py", LAYERNORM_TRANSPOSE),
    Variant("dropout_binomial_float32_mask", "layers.py", DROPOUT_BINOMIAL_FLOAT32),
    Variant("dropout_transposed_draws", "layers.py", DROPOUT_TRANSPOSED_DRAW),
    Variant("conv_tensordot_add_at", "layers.py", CONV_TENSORDOT_ADD_AT),
    Variant("max_pool_vectorized_add_at", "layers.py", MAX_POOL_VECTORIZED),
    Variant("spatial_batchnorm_direct", "layers.py", SPATIAL_BATCHNORM_DIRECT),
    Variant("groupnorm_loops_dict_cache", "layers.py", GROUPNORM_LOOPS),
    Variant("optim_rewritten", "optim.py", OPTIM_REWRITTEN),
]


# ---------------------------------------------------------------------------
# honest edge-case bugs (issue 15's table): right on the common case
# ---------------------------------------------------------------------------

def _bug(name, function, old, new, loses, note):
    return Variant(name, "layers.py", edits=((old, new),), loses=frozenset(loses),
                   note=f"{function}: {note}")


EDGE_BUGS: list[Variant] = [
    _bug("conv_backward_crops_with_minus_pad", "conv_backward_naive",
         "dx = dx_pad[:, :, pad:pad + H, pad:pad + W]",
         "dx = dx_pad[:, :, pad:-pad, pad:-pad]",
         {"conv_backward_no_padding"},
         "dx is empty when pad = 0"),
    _bug("max_pool_backward_assigns", "max_pool_backward_naive",
         "dx[n, c, hs + k // PW, ws + k % PW] += dout[n, c, i, j]",
         "dx[n, c, hs + k // PW, ws + k % PW] = dout[n, c, i, j]",
         {"max_pool_backward_overlapping_windows"},
         "wrong only where overlapping regions share their maximum"),
    _bug("conv_forward_asserts_stride_divides", "conv_forward_naive",
         "    H_out = 1 + (H + 2 * pad - HH) // stride\n    W_out = 1 + (W + 2 * pad - WW) // stride\n    x_pad",
         "    assert (H + 2 * pad - HH) % stride == 0, 'Invalid stride'\n"
         "    assert (W + 2 * pad - WW) % stride == 0, 'Invalid stride'\n"
         "    H_out = 1 + (H + 2 * pad - HH) // stride\n    W_out = 1 + (W + 2 * pad - WW) // stride\n    x_pad",
         {"conv_forward_stride_not_dividing"},
         "the release documents H' with //"),
    _bug("max_pool_forward_asserts_stride_divides", "max_pool_forward_naive",
         "    H_out = 1 + (H - PH) // stride\n    W_out = 1 + (W - PW) // stride\n    out = np.zeros",
         "    assert (H - PH) % stride == 0 and (W - PW) % stride == 0, 'Invalid stride'\n"
         "    H_out = 1 + (H - PH) // stride\n    W_out = 1 + (W - PW) // stride\n    out = np.zeros",
         {"max_pool_forward_stride_not_dividing"},
         "the release documents H' with //"),
    _bug("relu_forward_clips_x_in_place", "relu_forward",
         "out = np.maximum(0, x)",
         "x[x < 0] = 0\n    out = x",
         {"relu_forward_keeps_inputs"},
         "writes into its input (the cache is the clipped x, still right for relu_backward)"),
    _bug("relu_backward_zeroes_dout_in_place", "relu_backward",
         "dx = dout * (x > 0)",
         "dout[x <= 0] = 0\n    dx = dout",
         {"relu_backward_keeps_inputs"},
         "writes into dout"),
    _bug("softmax_without_shift", "softmax_loss",
         "shifted_logits = x - np.max(x, axis=1, keepdims=True)",
         "shifted_logits = x",
         {"softmax_loss_large_scores"},
         "exp overflows for large scores"),
    _bug("max_pool_backward_every_tie", "max_pool_backward_naive",
         "k = np.argmax(window)\n                    dx[n, c, hs + k // PW, ws + k % PW] += dout[n, c, i, j]",
         "dx[n, c, hs:hs + PH, ws:ws + PW] += (window == window.max()) * dout[n, c, i, j]",
         {"max_pool_backward_ties"},
         "every tied maximum gets the derivative"),
]

assert len({v.name for v in VARIANTS + EDGE_BUGS}) == len(VARIANTS) + len(EDGE_BUGS)


def touched_functions(variant: Variant) -> set[str]:
    """The graded functions a variant changes."""
    if variant.functions:
        return set(variant.functions)
    return {variant.note.split(":")[0]}


def affected_parts(variant: Variant, parts) -> list[str]:
    """The parts whose tests run a function the variant changes (it grades it, or needs the
    student's version of it); ``parts``: the assignment's PartSpecs."""
    module = variant.file[:-3]
    names = {f"{module}.{fn}" for fn in touched_functions(variant)}
    return sorted(p.grade_id for p in parts
                  if names & (set(p.grades) | (set(p.needs) - set(p.from_reference))))


def module_for(variant: Variant) -> str:
    return {"layers.py": "test_layers.py", "optim.py": "test_optim.py"}[variant.file]
