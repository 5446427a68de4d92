"""im2col / col2im helpers for the fast convolution and pooling layers.

Plain numpy, no compiled extension. The windows are built as *views* with
``numpy.lib.stride_tricks.as_strided`` (no index arrays, no Python loop over
output positions); the only copy is the one that lays the columns out for a
BLAS matrix multiply. The inverse (col2im) sums overlapping windows with one
strided slice-add per kernel offset (HH * WW adds), never per output position.

Shapes used throughout:
  x:    (N, C, H, W)         input images
  cols: (C*HH*WW, N*Ho*Wo)   one column per image and output position
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


def window_view(xp, HH, WW, stride, Ho, Wo):
    """Read-only view of all HH x WW windows of xp, no copy.

    Inputs:
    - xp: array of shape (N, C, Hp, Wp) (already padded)
    - HH, WW, stride: window size and step
    - Ho, Wo: number of window positions (see conv_output_size)

    Returns a view v of shape (N, C, HH, WW, Ho, Wo) with
    v[n, c, i, j, h, w] == xp[n, c, h * stride + i, w * stride + j].
    Kernel offsets come before positions so that reshaping to
    (N, C*HH*WW, Ho*Wo) gives the column matrix in the order of
    w.reshape(F, C*HH*WW).
    """
    N, C = xp.shape[:2]
    sN, sC, sH, sW = xp.strides
    return as_strided(xp, shape=(N, C, HH, WW, Ho, Wo),
                      strides=(sN, sC, sH, sW, sH * stride, sW * stride),
                      writeable=False)


def im2col_strided(x, HH, WW, pad, stride):
    """Column matrix of every convolution window of x.

    Inputs:
    - x: (N, C, H, W)
    - HH, WW: kernel size; pad, stride: as in conv_param

    Returns cols of shape (C*HH*WW, N*Ho*Wo), C-contiguous, same dtype as x:
    cols[(c, i, j), (n, h, w)] = x_padded[n, c, h*stride + i, w*stride + j].
    Rows follow w.reshape(F, C*HH*WW), so the whole batch is ONE gemm
    (w.reshape(F, -1) @ cols); one large BLAS call stays fast even when the
    BLAS threads share the CPU with other work, unlike one call per image.
    """
    N, C, H, W = x.shape
    Ho, Wo = conv_output_size(H, W, HH, WW, pad, stride)
    view = window_view(pad_images(x, pad), HH, WW, stride, Ho, Wo)
    # The one copy of the forward pass; (Ho, Wo) stay innermost so it copies
    # image rows, not single elements.
    return view.transpose(1, 2, 3, 0, 4, 5).reshape(C * HH * WW, N * Ho * Wo)


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
    return _col2im(cols.reshape(C, HH, WW, N, Ho, Wo), x_shape, pad, stride)


def _col2im(cols, x_shape, pad, stride):
    """cols: any (C, HH, WW, N, Ho, Wo) array (views welcome) -> dx (N, C, H, W)."""
    N, C, H, W = x_shape
    _, HH, WW, _, Ho, Wo = cols.shape
    # Accumulate in (C, N, ...) order, matching cols, so every add below
    # streams through memory; one transpose copy at the end.
    dxp = np.zeros((C, N, H + 2 * pad, W + 2 * pad), dtype=cols.dtype)
    # Overlapping windows must accumulate: one vectorised strided add per
    # kernel offset (HH*WW of them) instead of a loop over output positions.
    h_end, w_end = stride * (Ho - 1) + 1, stride * (Wo - 1) + 1
    for i in range(HH):
        for j in range(WW):
            dxp[:, :, i:i + h_end:stride, j:j + w_end:stride] += cols[:, i, j]
    dx = dxp[:, :, pad:pad + H, pad:pad + W].transpose(1, 0, 2, 3)
    return np.ascontiguousarray(dx)


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
                       stride, Ho, Wo)
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
    cols = cols.reshape(C, field_height, field_width, Ho, Wo, N)
    return _col2im(cols.transpose(0, 1, 2, 5, 3, 4), x_shape, padding, stride)
