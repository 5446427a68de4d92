"""Fast convolution and max-pooling layers, given to students.

Plain numpy (no compiled extension), same API as the CS231n 2018-2020
``fast_layers.py``:

  conv_forward_fast(x, w, b, conv_param)  -> out, cache
  conv_backward_fast(dout, cache)         -> dx, dw, db
  max_pool_forward_fast(x, pool_param)    -> out, cache
  max_pool_backward_fast(dout, cache)     -> dx

Shapes (as in layers.py):
  x: (N, C, H, W), w: (F, C, HH, WW), b: (F,)
  conv_param = {'stride': s, 'pad': p}
  out: (N, F, Ho, Wo) with Ho = 1 + (H + 2p - HH) // s, Wo = 1 + (W + 2p - WW) // s
  pool_param = {'pool_height': ph, 'pool_width': pw, 'stride': s}
  pooled out: (N, C, 1 + (H - ph) // s, 1 + (W - pw) // s)

Dtypes, as in the naive layers of layers.py: a convolution's out has dtype
np.result_type(x, w, b); every gradient has the dtype of the input it belongs
to (dx: x.dtype, dw: w.dtype, db: b.dtype). Max pooling keeps x.dtype. So
float32 stays float32 all the way through BLAS.

Where the time goes, and how it is kept down:
- Convolution is im2col + ONE matrix multiply (BLAS) per chunk of images.
  The window copies are strided views copied once; the batch is processed in
  chunks of a few MB so the column matrix stays in the CPU cache and its
  memory is reused instead of freshly faulted in for every call (a fresh
  40 MB buffer costs as much as the copy itself).
- Gradients w.r.t. the input are summed back with one vectorised slice-add
  per kernel offset (HH*WW of them), never a loop over output positions; at
  stride 1 these are long contiguous adds (see im2col.im2col_flat).
- Max pooling takes a running elementwise maximum over the ph*pw strided
  views of the windows (no column copy, no reduction over tiny axes), and the
  backward pass routes each window's gradient to its first maximum
  (row-major order), as the naive layer and PyTorch do.
The results equal the naive layers up to floating-point rounding.
"""
from __future__ import annotations

import numpy as np

from .im2col import (col2im_cf, col2im_flat, col2im_indices, conv_output_size,
                     flat_length, im2col_cf, im2col_flat, im2col_indices,
                     pad_channels_first, window_view)

__all__ = [
    "conv_forward_fast", "conv_backward_fast",
    "max_pool_forward_fast", "max_pool_backward_fast",
    "conv_forward_strides", "conv_backward_strides",
    "conv_forward_im2col", "conv_backward_im2col",
    "max_pool_forward_reshape", "max_pool_backward_reshape",
    "max_pool_forward_im2col", "max_pool_backward_im2col",
]

# Images per chunk are chosen so one chunk's column matrix is about this
# size: small enough to stay in the L2/L3 cache between the copy that builds
# it and the matrix multiply that reads it, large enough that BLAS runs at
# full speed and the Python loop over chunks costs nothing. (Measured on the
# benchmark shapes: 2-8 MB all within a few percent; the whole batch at once
# is ~1.5x slower on the large case.)
_CHUNK_BYTES = 4 << 20


def _conv_sizes(x, w, conv_param):
    N, C, H, W = x.shape
    F, Cw, HH, WW = w.shape
    if C != Cw:
        raise ValueError(f"x has {C} channels but w expects {Cw}")
    stride, pad = int(conv_param["stride"]), int(conv_param["pad"])
    Ho, Wo = conv_output_size(H, W, HH, WW, pad, stride)
    return N, C, H, W, F, HH, WW, stride, pad, Ho, Wo


def _chunks(N, bytes_per_image):
    """Yield (start, stop) image ranges of about _CHUNK_BYTES each."""
    step = max(1, min(N, _CHUNK_BYTES // max(1, bytes_per_image)))
    for start in range(0, N, step):
        yield start, min(N, start + step)


# ---------------------------------------------------------------------------
# Convolution, strided-view method (the default "fast" one)
# ---------------------------------------------------------------------------

def conv_forward_strides(x, w, b, conv_param):
    """Convolution forward pass with strided window views and BLAS.

    Inputs:
    - x: input data, shape (N, C, H, W)
    - w: filter weights, shape (F, C, HH, WW)
    - b: biases, shape (F,)
    - conv_param: dict with 'stride' and 'pad' (any stride >= 1, pad >= 0)

    Returns a tuple of:
    - out: output, shape (N, F, Ho, Wo), dtype np.result_type(x, w, b)
    - cache: (x, w, b, conv_param); the backward pass rebuilds the columns
      chunk by chunk rather than keeping a (C*HH*WW, N*Ho*Wo) matrix alive
    """
    N, C, H, W, F, HH, WW, stride, pad, Ho, Wo = _conv_sizes(x, w, conv_param)
    out = np.empty((N, F, Ho, Wo), dtype=np.result_type(x, w, b))
    w_rows = w.reshape(F, -1)                            # (F, C*HH*WW)
    bias = b.reshape(1, F, 1, 1)
    cols_bytes = C * HH * WW * Ho * Wo * x.itemsize      # per image
    for n0, n1 in _chunks(N, cols_bytes):
        xp = pad_channels_first(x[n0:n1], pad)           # (C, n, Hp, Wp)
        cols = im2col_cf(xp, HH, WW, stride, Ho, Wo)     # (C*HH*WW, n*Ho*Wo)
        res = w_rows @ cols                              # (F, n*Ho*Wo): one gemm
        res = res.reshape(F, n1 - n0, Ho, Wo).transpose(1, 0, 2, 3)
        np.add(res, bias, out=out[n0:n1])                # bias and layout in one pass
    cache = (x, w, b, conv_param)
    return out, cache


def conv_backward_strides(dout, cache):
    """Backward pass of conv_forward_strides.

    Inputs:
    - dout: upstream derivatives, shape (N, F, Ho, Wo)
    - cache: from conv_forward_strides

    Returns a tuple of:
    - dx: gradient w.r.t. x, shape (N, C, H, W), dtype x.dtype
    - dw: gradient w.r.t. w, shape (F, C, HH, WW), dtype w.dtype
    - db: gradient w.r.t. b, shape (F,), dtype b.dtype
    """
    x, w, b, conv_param = cache
    N, C, H, W, F, HH, WW, stride, pad, Ho, Wo = _conv_sizes(x, w, conv_param)
    Hp, Wp = H + 2 * pad, W + 2 * pad
    w_rows = w.reshape(F, -1)
    dx = np.empty(x.shape, dtype=x.dtype)
    dw = np.zeros((F, C * HH * WW), dtype=np.result_type(dout, x))
    db = np.zeros(F, dtype=dout.dtype)
    cols_bytes = C * HH * WW * Hp * Wp * x.itemsize      # per image
    for n0, n1 in _chunks(N, cols_bytes):
        n = n1 - n0
        xp = pad_channels_first(x[n0:n1], pad)
        if stride == 1:
            # Flat columns: put dout on the padded (Hp, Wp) grid with zeros at
            # the positions that are not outputs, so that every product and
            # every add below runs over long contiguous rows.
            d = np.zeros((F, n, Hp, Wp), dtype=dout.dtype)
            d[:, :, :Ho, :Wo] = dout[n0:n1].transpose(1, 0, 2, 3)
            d = d.reshape(F, -1)[:, :flat_length(n, Hp, Wp, HH, WW)]
            dw += d @ im2col_flat(xp, HH, WW).T            # (F, C*HH*WW)
            dxp = col2im_flat(w_rows.T @ d, xp.shape, HH, WW)
        else:
            d = dout[n0:n1].transpose(1, 0, 2, 3).reshape(F, -1)   # (F, n*Ho*Wo)
            dw += d @ im2col_cf(xp, HH, WW, stride, Ho, Wo).T
            dxp = col2im_cf(w_rows.T @ d, xp.shape, HH, WW, stride, Ho, Wo)
        db += d.sum(axis=1)
        dx[n0:n1] = dxp[:, :, pad:pad + H, pad:pad + W].transpose(1, 0, 2, 3)
    dw = dw.reshape(w.shape).astype(w.dtype, copy=False)
    db = db.astype(b.dtype, copy=False)
    return dx, dw, db


# ---------------------------------------------------------------------------
# Convolution, im2col method (CS231n column layout: one big gemm)
# ---------------------------------------------------------------------------

def conv_forward_im2col(x, w, b, conv_param):
    """Convolution forward pass with a CS231n-layout column matrix.

    Inputs and outputs as conv_forward_strides; the cache is
    (x, w, b, conv_param, x_cols) with x_cols of shape (C*HH*WW, Ho*Wo*N).
    Simpler and slower than conv_forward_strides: one column matrix for the
    whole batch, kept alive for the backward pass.
    """
    N, C, H, W, F, HH, WW, stride, pad, Ho, Wo = _conv_sizes(x, w, conv_param)
    x_cols = im2col_indices(x, HH, WW, padding=pad, stride=stride)
    res = w.reshape(F, -1) @ x_cols                       # (F, Ho*Wo*N)
    out = np.empty((N, F, Ho, Wo), dtype=np.result_type(x, w, b))
    np.add(res.reshape(F, Ho, Wo, N).transpose(3, 0, 1, 2), b.reshape(1, F, 1, 1),
           out=out)
    cache = (x, w, b, conv_param, x_cols)
    return out, cache


def conv_backward_im2col(dout, cache):
    """Backward pass of conv_forward_im2col.

    Inputs: dout (N, F, Ho, Wo); cache from conv_forward_im2col.
    Returns dx (N, C, H, W), dw (F, C, HH, WW), db (F,), with the dtypes of
    x, w and b.
    """
    x, w, b, conv_param, x_cols = cache
    N, C, H, W, F, HH, WW, stride, pad, Ho, Wo = _conv_sizes(x, w, conv_param)
    db = dout.sum(axis=(0, 2, 3)).astype(b.dtype, copy=False)
    dout_r = dout.transpose(1, 2, 3, 0).reshape(F, -1)    # (F, Ho*Wo*N)
    dw = (dout_r @ x_cols.T).reshape(w.shape).astype(w.dtype, copy=False)
    dx_cols = w.reshape(F, -1).T @ dout_r                 # (C*HH*WW, Ho*Wo*N)
    dx = col2im_indices(dx_cols, x.shape, HH, WW, padding=pad, stride=stride)
    return dx.astype(x.dtype, copy=False), dw, db


conv_forward_fast = conv_forward_strides
conv_backward_fast = conv_backward_strides


# ---------------------------------------------------------------------------
# Max pooling
# ---------------------------------------------------------------------------

def _pool_sizes(x, pool_param):
    N, C, H, W = x.shape
    ph, pw = int(pool_param["pool_height"]), int(pool_param["pool_width"])
    stride = int(pool_param["stride"])
    Ho, Wo = conv_output_size(H, W, ph, pw, 0, stride)
    return N, C, H, W, ph, pw, stride, Ho, Wo


def _window_max(window, ph, pw):
    """Elementwise maximum of window(i, j) over the ph*pw window offsets.

    - window: callable (i, j) -> the (N, C, Ho, Wo) view of the values at
      offset (i, j) of every window
    Returns a new (N, C, Ho, Wo) array. A running np.maximum over strided
    views: no column copy and no reduction over tiny axes (numpy reduces a
    length-2 axis one output element at a time, ~25x slower here).
    """
    out = window(0, 0).copy()
    for i in range(ph):
        for j in range(pw):
            if i or j:
                np.maximum(out, window(i, j), out=out)
    return out


def _first_max_masks(window, ph, pw, out):
    """Yield (i, j, hit) for each window offset in row-major order, where
    hit[n, c, h, w] is True iff offset (i, j) holds the FIRST maximum of that
    window. Exactly one offset is hit per window (ties go to the first), so
    the gradient is routed to one position as in the naive layer and PyTorch.

    - window: callable (i, j) -> values at window offset (i, j), shaped like out
    - ph, pw: window size
    - out: the window maxima, shape (N, C, Ho, Wo)
    """
    # ph*pw vectorised comparisons instead of an argmax over a copied
    # (..., ph*pw) array. `unclaimed` marks windows whose first maximum is
    # still to come; the last offset needs no comparison: every window has a
    # maximum, so the windows still unclaimed have it there.
    last = (ph - 1, pw - 1)
    unclaimed = None
    for i in range(ph):
        for j in range(pw):
            if (i, j) == last:
                hit = unclaimed if unclaimed is not None else np.ones(out.shape, bool)
            else:
                hit = window(i, j) == out
                if unclaimed is None:
                    unclaimed = ~hit
                else:
                    hit &= unclaimed
                    unclaimed ^= hit                      # hit is inside unclaimed
            yield i, j, hit


def max_pool_forward_reshape(x, pool_param):
    """Max pooling for square, non-overlapping windows that tile the input.

    Requires pool_height == pool_width == stride and H, W divisible by it.

    Inputs:
    - x: (N, C, H, W)
    - pool_param: dict with 'pool_height', 'pool_width', 'stride'

    Returns out (N, C, H // ph, W // pw), dtype x.dtype, and cache
    (x, pool_param, out).
    """
    N, C, H, W, ph, pw, stride, Ho, Wo = _pool_sizes(x, pool_param)
    if not (ph == pw == stride and H % ph == 0 and W % pw == 0):
        raise ValueError("max_pool_forward_reshape needs square pools equal "
                         "to the stride that tile the input exactly")
    # Reshaping a contiguous array is a free view with the window offsets on
    # their own axes.
    x_r = np.ascontiguousarray(x).reshape(N, C, Ho, ph, Wo, pw)
    out = _window_max(lambda i, j: x_r[:, :, :, i, :, j], ph, pw)
    cache = (x, pool_param, out)
    return out, cache


def max_pool_backward_reshape(dout, cache):
    """Backward pass of max_pool_forward_reshape.

    Inputs: dout (N, C, Ho, Wo); cache from max_pool_forward_reshape.
    Returns dx (N, C, H, W), dtype x.dtype: each window's gradient goes to
    its first maximum.
    """
    x, pool_param, out = cache
    N, C, H, W, ph, pw, stride, Ho, Wo = _pool_sizes(x, pool_param)
    x_r = np.ascontiguousarray(x).reshape(N, C, Ho, ph, Wo, pw)
    dx = np.empty(x.shape, dtype=x.dtype)
    dx_r = dx.reshape(N, C, Ho, ph, Wo, pw)
    # Windows do not overlap: every input position is written exactly once,
    # so dx needs no zero fill and no accumulation.
    for i, j, hit in _first_max_masks(lambda i, j: x_r[:, :, :, i, :, j],
                                      ph, pw, out):
        np.multiply(dout, hit, out=dx_r[:, :, :, i, :, j])
    return dx


def max_pool_forward_im2col(x, pool_param):
    """Max pooling for any window size and stride (overlapping or not).

    Inputs:
    - x: (N, C, H, W)
    - pool_param: dict with 'pool_height', 'pool_width', 'stride'

    Returns out (N, C, Ho, Wo), dtype x.dtype, and cache (x, pool_param, out),
    with Ho = 1 + (H - ph) // stride, Wo = 1 + (W - pw) // stride.
    """
    N, C, H, W, ph, pw, stride, Ho, Wo = _pool_sizes(x, pool_param)
    view = window_view(x, ph, pw, stride, Ho, Wo)         # (N, C, ph, pw, Ho, Wo)
    out = _window_max(lambda i, j: view[:, :, i, j], ph, pw)
    cache = (x, pool_param, out)
    return out, cache


def max_pool_backward_im2col(dout, cache):
    """Backward pass of max_pool_forward_im2col.

    Inputs: dout (N, C, Ho, Wo); cache from max_pool_forward_im2col.
    Returns dx (N, C, H, W), dtype x.dtype: each window's gradient goes to
    its first maximum; overlapping windows add up.
    """
    x, pool_param, out = cache
    N, C, H, W, ph, pw, stride, Ho, Wo = _pool_sizes(x, pool_param)
    view = window_view(x, ph, pw, stride, Ho, Wo)
    dx = np.zeros(x.shape, dtype=x.dtype)
    routed = np.empty(out.shape, dtype=np.result_type(dout, x))
    h_end, w_end = stride * (Ho - 1) + 1, stride * (Wo - 1) + 1
    for i, j, hit in _first_max_masks(lambda i, j: view[:, :, i, j],
                                      ph, pw, out):
        np.multiply(dout, hit, out=routed)
        dx[:, :, i:i + h_end:stride, j:j + w_end:stride] += routed
    return dx


def max_pool_forward_fast(x, pool_param):
    """Max pooling forward pass, choosing the fastest method.

    Uses max_pool_forward_reshape when the pool is square, equal to the
    stride and tiles the input exactly; max_pool_forward_im2col otherwise.

    Inputs: x (N, C, H, W); pool_param with 'pool_height', 'pool_width',
    'stride'. Returns out (N, C, Ho, Wo) and cache (method, method_cache).
    """
    N, C, H, W = x.shape
    ph, pw = pool_param["pool_height"], pool_param["pool_width"]
    stride = pool_param["stride"]
    same_size = ph == pw == stride
    tiles = H % ph == 0 and W % pw == 0
    if same_size and tiles:
        out, reshape_cache = max_pool_forward_reshape(x, pool_param)
        cache = ("reshape", reshape_cache)
    else:
        out, im2col_cache = max_pool_forward_im2col(x, pool_param)
        cache = ("im2col", im2col_cache)
    return out, cache


def max_pool_backward_fast(dout, cache):
    """Max pooling backward pass, dispatching on the method the forward used.

    Inputs: dout (N, C, Ho, Wo); cache from max_pool_forward_fast.
    Returns dx (N, C, H, W).
    """
    method, real_cache = cache
    if method == "reshape":
        return max_pool_backward_reshape(dout, real_cache)
    if method == "im2col":
        return max_pool_backward_im2col(dout, real_cache)
    raise ValueError(f'Unrecognized method "{method}"')
