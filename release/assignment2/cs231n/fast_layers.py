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

Where the heavy lifting happens: the windows are strided views (no index
arrays), one copy lays them out as columns, and BLAS does the products
(float32 stays float32). Gradients w.r.t. the input are summed back with one
vectorised strided add per kernel offset, never a loop over output positions.
The results equal the naive layers up to floating-point rounding; max-pool
gradients go to the first maximum of each window (row-major order), as in
the naive layer and in PyTorch.
"""
from __future__ import annotations

import numpy as np

from .im2col import (col2im_indices, col2im_strided, conv_output_size,
                     im2col_indices, im2col_strided, window_view)


def _conv_sizes(x, w, conv_param):
    N, C, H, W = x.shape
    F, Cw, HH, WW = w.shape
    if C != Cw:
        raise ValueError(f"x has {C} channels but w expects {Cw}")
    stride, pad = int(conv_param["stride"]), int(conv_param["pad"])
    Ho, Wo = conv_output_size(H, W, HH, WW, pad, stride)
    return N, C, H, W, F, HH, WW, stride, pad, Ho, Wo


# ---------------------------------------------------------------------------
# Convolution, strided-view method (the default "fast" one)
# ---------------------------------------------------------------------------

def conv_forward_strides(x, w, b, conv_param):
    """Convolution forward pass with an as_strided window view and BLAS.

    Inputs:
    - x: input data, shape (N, C, H, W)
    - w: filter weights, shape (F, C, HH, WW)
    - b: biases, shape (F,)
    - conv_param: dict with 'stride' and 'pad' (any stride >= 1, pad >= 0)

    Returns a tuple of:
    - out: output, shape (N, F, Ho, Wo), dtype np.result_type(x, w, b)
    - cache: (x, w, b, conv_param, x_cols) with x_cols of shape
      (C*HH*WW, N*Ho*Wo), reused by the backward pass
    """
    N, C, H, W, F, HH, WW, stride, pad, Ho, Wo = _conv_sizes(x, w, conv_param)
    x_cols = im2col_strided(x, HH, WW, pad, stride)      # (C*HH*WW, N*Ho*Wo)
    # One gemm for the whole batch: (F, K) @ (K, N*P) -> (F, N*P).
    res = w.reshape(F, -1) @ x_cols
    res += b.reshape(F, 1).astype(res.dtype, copy=False)
    out = res.reshape(F, N, Ho, Wo).transpose(1, 0, 2, 3)
    out = np.ascontiguousarray(out)
    cache = (x, w, b, conv_param, x_cols)
    return out, cache


def conv_backward_strides(dout, cache):
    """Backward pass of conv_forward_strides.

    Inputs:
    - dout: upstream derivatives, shape (N, F, Ho, Wo)
    - cache: from conv_forward_strides

    Returns a tuple of:
    - dx: gradient w.r.t. x, shape (N, C, H, W)
    - dw: gradient w.r.t. w, shape (F, C, HH, WW)
    - db: gradient w.r.t. b, shape (F,)
    """
    x, w, b, conv_param, x_cols = cache
    N, C, H, W, F, HH, WW, stride, pad, Ho, Wo = _conv_sizes(x, w, conv_param)
    db = dout.sum(axis=(0, 2, 3))
    dout_r = dout.transpose(1, 0, 2, 3).reshape(F, N * Ho * Wo)
    # Two single gemms; x_cols.T is handed to BLAS as a transposed operand,
    # not copied.
    dw = (dout_r @ x_cols.T).reshape(w.shape)
    dx_cols = w.reshape(F, -1).T @ dout_r                # (C*HH*WW, N*Ho*Wo)
    dx = col2im_strided(dx_cols, x.shape, HH, WW, pad, stride)
    return dx, dw, db


# ---------------------------------------------------------------------------
# Convolution, im2col method (CS231n column layout: one big gemm)
# ---------------------------------------------------------------------------

def conv_forward_im2col(x, w, b, conv_param):
    """Convolution forward pass with a CS231n-layout column matrix.

    Inputs and outputs as conv_forward_strides; the cache is
    (x, w, b, conv_param, x_cols) with x_cols of shape (C*HH*WW, Ho*Wo*N).
    """
    N, C, H, W, F, HH, WW, stride, pad, Ho, Wo = _conv_sizes(x, w, conv_param)
    x_cols = im2col_indices(x, HH, WW, padding=pad, stride=stride)
    res = w.reshape(F, -1) @ x_cols                       # (F, Ho*Wo*N)
    res += b.reshape(F, 1).astype(res.dtype, copy=False)
    out = res.reshape(F, Ho, Wo, N).transpose(3, 0, 1, 2)
    out = np.ascontiguousarray(out)
    cache = (x, w, b, conv_param, x_cols)
    return out, cache


def conv_backward_im2col(dout, cache):
    """Backward pass of conv_forward_im2col.

    Inputs: dout (N, F, Ho, Wo); cache from conv_forward_im2col.
    Returns dx (N, C, H, W), dw (F, C, HH, WW), db (F,).
    """
    x, w, b, conv_param, x_cols = cache
    N, C, H, W, F, HH, WW, stride, pad, Ho, Wo = _conv_sizes(x, w, conv_param)
    db = dout.sum(axis=(0, 2, 3))
    dout_r = dout.transpose(1, 2, 3, 0).reshape(F, -1)    # (F, Ho*Wo*N)
    dw = (dout_r @ x_cols.T).reshape(w.shape)
    dx_cols = w.reshape(F, -1).T @ dout_r                 # (C*HH*WW, Ho*Wo*N)
    dx = col2im_indices(dx_cols, x.shape, HH, WW, padding=pad, stride=stride)
    return dx, dw, db


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
    # (..., ph*pw) array.
    unclaimed = np.ones(out.shape, dtype=bool)
    for i in range(ph):
        for j in range(pw):
            hit = window(i, j) == out
            hit &= unclaimed
            unclaimed &= ~hit
            yield i, j, hit


def max_pool_forward_reshape(x, pool_param):
    """Max pooling for square, non-overlapping windows that tile the input.

    Requires pool_height == pool_width == stride and H, W divisible by it.

    Inputs:
    - x: (N, C, H, W)
    - pool_param: dict with 'pool_height', 'pool_width', 'stride'

    Returns out (N, C, H // ph, W // pw) and cache (x, pool_param, out).
    """
    N, C, H, W, ph, pw, stride, Ho, Wo = _pool_sizes(x, pool_param)
    if not (ph == pw == stride and H % ph == 0 and W % pw == 0):
        raise ValueError("max_pool_forward_reshape needs square pools equal "
                         "to the stride that tile the input exactly")
    # A reshape of a contiguous array is a free view with the windows on
    # their own axes; two single-axis reductions are faster than one over
    # a tuple of axes.
    x_r = x.reshape(N, C, Ho, ph, Wo, pw)
    out = x_r.max(axis=3).max(axis=4)
    cache = (x, pool_param, out)
    return out, cache


def max_pool_backward_reshape(dout, cache):
    """Backward pass of max_pool_forward_reshape.

    Inputs: dout (N, C, Ho, Wo); cache from max_pool_forward_reshape.
    Returns dx (N, C, H, W): each window's gradient goes to its first max.
    """
    x, pool_param, out = cache
    N, C, H, W, ph, pw, stride, Ho, Wo = _pool_sizes(x, pool_param)
    x_r = x.reshape(N, C, Ho, ph, Wo, pw)
    dx = np.empty(x.shape, dtype=np.result_type(dout, x))
    dx_r = dx.reshape(N, C, Ho, ph, Wo, pw)
    zero = dx.dtype.type(0)
    # Windows do not overlap: every input position is written exactly once.
    for i, j, hit in _first_max_masks(lambda i, j: x_r[:, :, :, i, :, j],
                                      ph, pw, out):
        np.copyto(dx_r[:, :, :, i, :, j], np.where(hit, dout, zero))
    return dx


def max_pool_forward_im2col(x, pool_param):
    """Max pooling for any window size and stride (overlapping or not).

    Inputs:
    - x: (N, C, H, W)
    - pool_param: dict with 'pool_height', 'pool_width', 'stride'

    Returns out (N, C, Ho, Wo) and cache (x, pool_param, out), with
    Ho = 1 + (H - ph) // stride, Wo = 1 + (W - pw) // stride.
    """
    N, C, H, W, ph, pw, stride, Ho, Wo = _pool_sizes(x, pool_param)
    view = window_view(x, ph, pw, stride, Ho, Wo)         # (N, C, ph, pw, Ho, Wo)
    # Running elementwise maximum over the ph*pw offsets of the strided view:
    # no column copy at all.
    out = view[:, :, 0, 0].copy()
    for i in range(ph):
        for j in range(pw):
            if i or j:
                np.maximum(out, view[:, :, i, j], out=out)
    cache = (x, pool_param, out)
    return out, cache


def max_pool_backward_im2col(dout, cache):
    """Backward pass of max_pool_forward_im2col.

    Inputs: dout (N, C, Ho, Wo); cache from max_pool_forward_im2col.
    Returns dx (N, C, H, W): each window's gradient goes to its first max;
    overlapping windows add up.
    """
    x, pool_param, out = cache
    N, C, H, W, ph, pw, stride, Ho, Wo = _pool_sizes(x, pool_param)
    view = window_view(x, ph, pw, stride, Ho, Wo)
    dx = np.zeros(x.shape, dtype=np.result_type(dout, x))
    zero = dx.dtype.type(0)
    h_end, w_end = stride * (Ho - 1) + 1, stride * (Wo - 1) + 1
    for i, j, hit in _first_max_masks(lambda i, j: view[:, :, i, j],
                                      ph, pw, out):
        dx[:, :, i:i + h_end:stride, j:j + w_end:stride] += np.where(hit, dout, zero)
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
