"""im2col / col2im helpers for the fast convolution and pooling layers.

Plain numpy, no compiled extension. Windows are *views* made with
``numpy.lib.stride_tricks.as_strided`` (no index arrays, no Python loop over
output positions); the only copy is the one that lays the columns out for a
BLAS matrix multiply. The inverse (col2im) sums overlapping windows with one
vectorised slice-add per kernel offset (HH * WW adds), never per output
position (``np.add.at`` would be far slower).

The fast layers work channel-first: a padded batch is stored as
``xp`` of shape (C, n, Hp, Wp), so that the columns of a whole batch come out
as ONE (C*HH*WW, n*Ho*Wo) matrix whose rows follow ``w.reshape(F, C*HH*WW)``
and whose gradient sums straight back into ``xp`` without a transpose.

Shapes used throughout:
  x:    (N, C, H, W)          input images
  xp:   (C, n, Hp, Wp)        zero-padded, channel-first (Hp = H + 2 pad)
  cols: (C*HH*WW, n*Ho*Wo)    one column per image and output position
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided


def conv_output_size(H, W, HH, WW, pad, stride):
    """Output height and width of a convolution / pooling window sweep.

    Inputs:
    - H, W: input height and width (before padding)
    - HH, WW: window height and width
    - pad: zero padding on each side
    - stride: step between windows

    Returns (Ho, Wo) = (1 + (H + 2 pad - HH) // stride, 1 + (W + 2 pad - WW) // stride).
    Windows that would run past the (padded) border are dropped, as in
    PyTorch; rows/columns they would have used get a zero gradient.
    """
    if stride < 1:
        raise ValueError(f"stride must be a positive integer, got {stride}")
    if pad < 0:
        raise ValueError(f"pad must be >= 0, got {pad}")
    Hp, Wp = H + 2 * pad, W + 2 * pad
    if HH > Hp or WW > Wp:
        raise ValueError(
            f"window {HH}x{WW} is larger than the padded input {Hp}x{Wp}")
    return 1 + (Hp - HH) // stride, 1 + (Wp - WW) // stride


def pad_images(x, pad):
    """Zero-pad the two spatial axes of x (N, C, H, W) by pad on each side.

    Returns x itself (no copy) when pad == 0.
    """
    if pad == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")


def pad_channels_first(x, pad):
    """Zero-padded, channel-first copy of x.

    Inputs: x (n, C, H, W); pad >= 0.
    Returns xp of shape (C, n, H + 2 pad, W + 2 pad), same dtype as x.
    One pass: the transpose and the padding are a single copy.
    """
    n, C, H, W = x.shape
    xp = np.zeros((C, n, H + 2 * pad, W + 2 * pad), dtype=x.dtype)
    xp[:, :, pad:pad + H, pad:pad + W] = x.transpose(1, 0, 2, 3)
    return xp


def window_view(xp, HH, WW, stride, Ho, Wo):
    """Read-only view of all HH x WW windows of xp, no copy.

    Inputs:
    - xp: array of shape (A, B, Hp, Wp) (already padded), e.g. (N, C, ...)
      or channel-first (C, N, ...)
    - HH, WW, stride: window size and step
    - Ho, Wo: number of window positions (see conv_output_size)

    Returns a view v of shape (A, B, HH, WW, Ho, Wo) with
    v[a, b, i, j, h, w] == xp[a, b, h * stride + i, w * stride + j].
    """
    A, B = xp.shape[:2]
    sA, sB, sH, sW = xp.strides
    return as_strided(xp, shape=(A, B, HH, WW, Ho, Wo),
                      strides=(sA, sB, sH, sW, sH * stride, sW * stride),
                      writeable=False)


def im2col_cf(xp, HH, WW, stride, Ho, Wo):
    """Exact column matrix of a channel-first padded batch.

    Inputs: xp (C, n, Hp, Wp); kernel HH x WW; stride; Ho, Wo output size.
    Returns cols (C*HH*WW, n*Ho*Wo), C-contiguous:
    cols[(c, i, j), (m, h, w)] = xp[c, m, h*stride + i, w*stride + j].
    """
    C, n = xp.shape[:2]
    view = window_view(xp, HH, WW, stride, Ho, Wo)        # (C, n, HH, WW, Ho, Wo)
    # The one copy; (Ho, Wo) stay innermost so whole image rows are copied.
    return view.transpose(0, 2, 3, 1, 4, 5).reshape(C * HH * WW, n * Ho * Wo)


def col2im_cf(cols, xp_shape, HH, WW, stride, Ho, Wo):
    """Adjoint of im2col_cf: sum every column entry back where it was read.

    Inputs: cols (C*HH*WW, n*Ho*Wo) in im2col_cf's order; xp_shape (C, n, Hp, Wp).
    Returns dxp of shape xp_shape, same dtype as cols.
    """
    C, n, Hp, Wp = xp_shape
    cols = cols.reshape(C, HH, WW, n, Ho, Wo)
    dxp = np.zeros(xp_shape, dtype=cols.dtype)
    h_end, w_end = stride * (Ho - 1) + 1, stride * (Wo - 1) + 1
    # Overlapping windows must accumulate: one strided add per kernel offset.
    for i in range(HH):
        for j in range(WW):
            dxp[:, :, i:i + h_end:stride, j:j + w_end:stride] += cols[:, i, j]
    return dxp


# ---------------------------------------------------------------------------
# Stride 1: "flat" columns. With xp flattened to (C, n*Hp*Wp), the window
# entry (i, j) of every output position q is xp_flat[c, q + i*Wp + j], so the
# rows of the column matrix are plain shifted slices: copies and adds run over
# long contiguous rows instead of short image rows. The price: columns exist
# for every padded position q, including the (Hp*Wp - Ho*Wo) per image that
# are not outputs; callers give those zero weight.
# ---------------------------------------------------------------------------

def flat_length(n, Hp, Wp, HH, WW):
    """Number of flat columns: the last valid output sits at this index - 1."""
    return n * Hp * Wp - (HH - 1) * Wp - (WW - 1)


def im2col_flat(xp, HH, WW):
    """Flat (stride-1) column matrix of a channel-first padded batch.

    Inputs: xp (C, n, Hp, Wp); kernel HH x WW.
    Returns cols (C*HH*WW, Lq) with Lq = flat_length(n, Hp, Wp, HH, WW) and
    cols[(c, i, j), q] = xp.reshape(C, -1)[c, q + i*Wp + j]. Column
    q = m*Hp*Wp + h*Wp + w is output (h, w) of image m when h < Ho, w < Wo.
    """
    xp = np.ascontiguousarray(xp)                         # the strides below assume it
    C, n, Hp, Wp = xp.shape
    Lq = flat_length(n, Hp, Wp, HH, WW)
    e = xp.itemsize
    view = as_strided(xp, shape=(C, HH, WW, Lq),
                      strides=(xp.strides[0], Wp * e, e, e), writeable=False)
    return view.reshape(C * HH * WW, Lq)                   # copies


def col2im_flat(cols, xp_shape, HH, WW):
    """Adjoint of im2col_flat: sum the shifted rows back into (C, n, Hp, Wp).

    Inputs: cols (C*HH*WW, Lq) in im2col_flat's order; xp_shape (C, n, Hp, Wp).
    Returns dxp of shape xp_shape, same dtype as cols.
    """
    C, n, Hp, Wp = xp_shape
    Lq = cols.shape[1]
    cols = cols.reshape(C, HH, WW, Lq)
    dxp = np.zeros((C, n * Hp * Wp), dtype=cols.dtype)
    for i in range(HH):
        for j in range(WW):
            shift = i * Wp + j
            dxp[:, shift:shift + Lq] += cols[:, i, j]
    return dxp.reshape(xp_shape)


# ---------------------------------------------------------------------------
# Whole-batch columns in (N, C, H, W) terms, for readers and tests.
# ---------------------------------------------------------------------------

def im2col_strided(x, HH, WW, pad, stride):
    """Column matrix of every convolution window of x.

    Inputs:
    - x: (N, C, H, W)
    - HH, WW: kernel size; pad, stride: as in conv_param

    Returns cols of shape (C*HH*WW, N*Ho*Wo), C-contiguous, same dtype as x:
    cols[(c, i, j), (n, h, w)] = x_padded[n, c, h*stride + i, w*stride + j],
    so that the convolution of the whole batch is w.reshape(F, -1) @ cols.
    """
    N, C, H, W = x.shape
    Ho, Wo = conv_output_size(H, W, HH, WW, pad, stride)
    return im2col_cf(pad_channels_first(x, pad), HH, WW, stride, Ho, Wo)


def col2im_strided(cols, x_shape, HH, WW, pad, stride):
    """Inverse of im2col_strided for gradients: sum every column back into
    the image position it was read from.

    Inputs:
    - cols: (C*HH*WW, N*Ho*Wo), column order (n, h, w) as im2col_strided
    - x_shape: (N, C, H, W) of the original (unpadded) input

    Returns dx of shape x_shape, C-contiguous, same dtype as cols.
    """
    N, C, H, W = x_shape
    Ho, Wo = conv_output_size(H, W, HH, WW, pad, stride)
    xp_shape = (C, N, H + 2 * pad, W + 2 * pad)
    dxp = col2im_cf(cols, xp_shape, HH, WW, stride, Ho, Wo)
    return np.ascontiguousarray(
        dxp[:, :, pad:pad + H, pad:pad + W].transpose(1, 0, 2, 3))


# ---------------------------------------------------------------------------
# The CS231n starter-code API (im2col.py of the original assignment). Same
# names, signatures and column order: columns are ordered (h, w, n), i.e.
# cols has shape (C*field_height*field_width, Ho*Wo*N).
# ---------------------------------------------------------------------------

def get_im2col_indices(x_shape, field_height, field_width, padding=1, stride=1):
    """Index arrays (k, i, j) such that x_padded[:, k, i, j] has shape
    (N, C*field_height*field_width, Ho*Wo) and holds every window.

    - k: (C*fh*fw, 1) channel index
    - i, j: (C*fh*fw, Ho*Wo) row and column indices into the padded input
    """
    N, C, H, W = x_shape
    out_height, out_width = conv_output_size(H, W, field_height, field_width,
                                             padding, stride)
    i0 = np.tile(np.repeat(np.arange(field_height), field_width), C)
    i1 = stride * np.repeat(np.arange(out_height), out_width)
    j0 = np.tile(np.arange(field_width), field_height * C)
    j1 = stride * np.tile(np.arange(out_width), out_height)
    i = i0.reshape(-1, 1) + i1.reshape(1, -1)
    j = j0.reshape(-1, 1) + j1.reshape(1, -1)
    k = np.repeat(np.arange(C), field_height * field_width).reshape(-1, 1)
    return k, i, j


def im2col_indices(x, field_height, field_width, padding=1, stride=1):
    """Column matrix in the CS231n layout.

    Inputs: x (N, C, H, W); window size, padding and stride.
    Returns cols of shape (C*field_height*field_width, Ho*Wo*N) where
    column (h*Wo + w)*N + n is the window at (h, w) of image n.
    """
    N, C, H, W = x.shape
    Ho, Wo = conv_output_size(H, W, field_height, field_width, padding, stride)
    view = window_view(pad_images(x, padding), field_height, field_width,
                       stride, Ho, Wo)                    # (N, C, fh, fw, Ho, Wo)
    return view.transpose(1, 2, 3, 4, 5, 0).reshape(
        C * field_height * field_width, Ho * Wo * N)


def col2im_indices(cols, x_shape, field_height=3, field_width=3, padding=1,
                   stride=1):
    """Inverse of im2col_indices for gradients (overlaps are summed).

    Inputs: cols (C*field_height*field_width, Ho*Wo*N); x_shape (N, C, H, W).
    Returns an array of shape x_shape.
    """
    N, C, H, W = x_shape
    Ho, Wo = conv_output_size(H, W, field_height, field_width, padding, stride)
    # Reorder the columns to im2col_cf's (n, h, w) order, then reuse its adjoint.
    cols = cols.reshape(C * field_height * field_width, Ho, Wo, N)
    cols = cols.transpose(0, 3, 1, 2).reshape(C * field_height * field_width, -1)
    return col2im_strided(cols, x_shape, field_height, field_width, padding, stride)
