"""Tests of the reference cs231n/fast_layers.py (and cs231n/im2col.py).

Checked against PyTorch autograd (float64) and, where cs231n/layers.py has
them, the naive layers: outputs and all gradients, float64 and float32, many
shapes (non-square, pad 0, strides that do not tile), max-pool ties.
"""
from __future__ import annotations

import numpy as np
import pytest

from cs231n import fast_layers as fl
from cs231n import im2col

torch = pytest.importorskip("torch")

try:  # the naive layers are written by someone else; test against them when there
    from cs231n import layers as naive_layers
    naive_layers.conv_forward_naive  # noqa: B018
except (ImportError, AttributeError):  # pragma: no cover - depends on the tree
    naive_layers = None


def rel_error(x, y):
    """CS231n's relative error: max |x - y| / max(1e-8, |x| + |y|)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def norm_error(x, y):
    """max |x - y| relative to max |y|: for float32, where elementwise relative
    errors of near-cancelling sums are meaningless."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y)) / max(np.max(np.abs(y)), 1e-30))


# (x shape, w shape, stride, pad)
CONV_CASES = [
    ((2, 3, 8, 8), (4, 3, 3, 3), 1, 1),
    ((2, 3, 7, 9), (4, 3, 3, 2), 2, 1),        # non-square input and kernel
    ((3, 2, 8, 8), (5, 2, 3, 3), 1, 0),        # pad 0
    ((2, 3, 11, 10), (3, 3, 5, 3), 3, 2),      # stride that does not tile
    ((2, 4, 6, 5), (3, 4, 1, 1), 1, 0),        # 1x1 kernel
    ((1, 1, 4, 5), (2, 1, 4, 5), 1, 0),        # kernel covers the whole input
    ((2, 2, 9, 9), (3, 2, 4, 4), 2, 3),        # pad larger than needed
]
CONV_IDS = [f"x{c[0]}-w{c[1]}-s{c[2]}-p{c[3]}" for c in CONV_CASES]

CONV_IMPLS = {
    "fast": (fl.conv_forward_fast, fl.conv_backward_fast),
    "strides": (fl.conv_forward_strides, fl.conv_backward_strides),
    "im2col": (fl.conv_forward_im2col, fl.conv_backward_im2col),
}

# (x shape, pool_height, pool_width, stride)
POOL_CASES = [
    ((2, 3, 8, 8), 2, 2, 2),       # reshape path
    ((2, 3, 8, 6), 2, 2, 2),       # reshape path, non-square input
    ((2, 2, 9, 9), 3, 3, 3),       # reshape path, 3x3
    ((2, 3, 9, 7), 2, 2, 2),       # does not tile: im2col path
    ((2, 2, 7, 7), 3, 3, 2),       # overlapping windows
    ((2, 2, 8, 9), 3, 2, 1),       # non-square pool, stride 1
    ((2, 2, 8, 8), 2, 2, 3),       # gaps between windows
]
POOL_IDS = [f"x{c[0]}-{c[1]}x{c[2]}-s{c[3]}" for c in POOL_CASES]

POOL_IMPLS = {
    "fast": (fl.max_pool_forward_fast, fl.max_pool_backward_fast),
    "im2col": (fl.max_pool_forward_im2col, fl.max_pool_backward_im2col),
}


def conv_data(x_shape, w_shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    w = rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype)
    return rng, x, w, b


def torch_conv(x, w, b, stride, pad, dout):
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    out = torch.nn.functional.conv2d(tx, tw, tb, stride=stride, padding=pad)
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), tx.grad.numpy(), tw.grad.numpy(), tb.grad.numpy()


def torch_pool(x, ph, pw, stride, dout):
    tx = torch.tensor(x, requires_grad=True)
    out = torch.nn.functional.max_pool2d(tx, (ph, pw), stride=stride)
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), tx.grad.numpy()


def out_size(H, W, HH, WW, pad, stride):
    return 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride


# ---------------------------------------------------------------------------
# Convolution
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("impl", list(CONV_IMPLS))
@pytest.mark.parametrize("case", CONV_CASES, ids=CONV_IDS)
def test_conv_matches_torch_float64(impl, case):
    x_shape, w_shape, stride, pad = case
    fwd, bwd = CONV_IMPLS[impl]
    rng, x, w, b = conv_data(x_shape, w_shape, np.float64)
    param = {"stride": stride, "pad": pad}
    out, cache = fwd(x, w, b, param)
    Ho, Wo = out_size(*x_shape[2:], *w_shape[2:], pad, stride)
    assert out.shape == (x_shape[0], w_shape[0], Ho, Wo)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = bwd(dout, cache)
    t_out, t_dx, t_dw, t_db = torch_conv(x, w, b, stride, pad, dout)
    for name, mine, ref in [("out", out, t_out), ("dx", dx, t_dx),
                            ("dw", dw, t_dw), ("db", db, t_db)]:
        assert mine.shape == ref.shape, name
        assert rel_error(mine, ref) < 1e-9, name


@pytest.mark.skipif(naive_layers is None, reason="cs231n/layers.py has no naive conv yet")
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-9), (np.float32, 1e-5)])
@pytest.mark.parametrize("case", CONV_CASES, ids=CONV_IDS)
def test_conv_fast_equals_naive(case, dtype, tol):
    x_shape, w_shape, stride, pad = case
    rng, x, w, b = conv_data(x_shape, w_shape, dtype, seed=1)
    param = {"stride": stride, "pad": pad}
    out_n, cache_n = naive_layers.conv_forward_naive(x, w, b, param)
    dout = rng.standard_normal(out_n.shape).astype(dtype)
    grads_n = naive_layers.conv_backward_naive(dout, cache_n)
    err = rel_error if dtype == np.float64 else norm_error
    for impl, (fwd, bwd) in CONV_IMPLS.items():
        out, cache = fwd(x, w, b, param)
        assert err(out, out_n) < tol, (impl, "out")
        for name, g, g_n in zip(("dx", "dw", "db"), bwd(dout, cache), grads_n):
            assert err(g, g_n) < tol, (impl, name)


@pytest.mark.parametrize("impl", list(CONV_IMPLS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_keeps_dtype_and_does_not_modify_inputs(impl, dtype):
    fwd, bwd = CONV_IMPLS[impl]
    rng, x, w, b = conv_data((2, 3, 7, 6), (4, 3, 3, 3), dtype)
    copies = [a.copy() for a in (x, w, b)]
    out, cache = fwd(x, w, b, {"stride": 2, "pad": 1})
    dout = rng.standard_normal(out.shape).astype(dtype)
    dout_copy = dout.copy()
    dx, dw, db = bwd(dout, cache)
    for a in (out, dx, dw, db):
        assert a.dtype == dtype
    assert (dx.shape, dw.shape, db.shape) == (x.shape, w.shape, b.shape)
    for a, c in zip((x, w, b, dout), copies + [dout_copy]):
        np.testing.assert_array_equal(a, c)


def test_conv_float32_close_to_float64_torch():
    x_shape, w_shape, stride, pad = (4, 8, 12, 10), (6, 8, 3, 3), 1, 1
    rng, x, w, b = conv_data(x_shape, w_shape, np.float64, seed=3)
    param = {"stride": stride, "pad": pad}
    out, cache = fl.conv_forward_fast(*(a.astype(np.float32) for a in (x, w, b)), param)
    dout = rng.standard_normal(out.shape)
    grads = fl.conv_backward_fast(dout.astype(np.float32), cache)
    ref = torch_conv(x, w, b, stride, pad, dout)
    for mine, r in zip((out, *grads), ref):
        assert norm_error(mine, r) < 1e-5


@pytest.mark.parametrize("case", CONV_CASES, ids=CONV_IDS)
def test_conv_strides_chunk_by_chunk_matches_torch(case, monkeypatch):
    # Force one image per chunk: the chunk loop must give the same results as
    # the whole batch at once (the other tests run one chunk).
    monkeypatch.setattr(fl, "_CHUNK_BYTES", 1)
    x_shape, w_shape, stride, pad = case
    rng, x, w, b = conv_data((3,) + x_shape[1:], w_shape, np.float64, seed=5)
    out, cache = fl.conv_forward_strides(x, w, b, {"stride": stride, "pad": pad})
    dout = rng.standard_normal(out.shape)
    grads = fl.conv_backward_strides(dout, cache)
    for mine, ref in zip((out, *grads), torch_conv(x, w, b, stride, pad, dout)):
        assert rel_error(mine, ref) < 1e-9


@pytest.mark.parametrize("impl", list(CONV_IMPLS))
def test_conv_mixed_dtypes_follow_the_naive_layer(impl):
    # float32 x and w with a float64 bias: out is np.result_type(x, w, b) =
    # float64 and every gradient has its own input's dtype, in the naive and
    # the fast layers alike.
    fwd, bwd = CONV_IMPLS[impl]
    rng, x, w, b = conv_data((2, 3, 6, 5), (4, 3, 3, 3), np.float32)
    b = b.astype(np.float64)
    param = {"stride": 1, "pad": 1}
    out, cache = fwd(x, w, b, param)
    assert out.dtype == np.float64
    dx, dw, db = bwd(rng.standard_normal(out.shape), cache)
    assert (dx.dtype, dw.dtype, db.dtype) == (np.float32, np.float32, np.float64)
    if naive_layers is not None:
        out_n, cache_n = naive_layers.conv_forward_naive(x, w, b, param)
        grads_n = naive_layers.conv_backward_naive(rng.standard_normal(out.shape), cache_n)
        assert out_n.dtype == out.dtype
        assert [g.dtype for g in grads_n] == [dx.dtype, dw.dtype, db.dtype]


def test_conv_fast_is_the_strides_method():
    assert fl.conv_forward_fast is fl.conv_forward_strides
    assert fl.conv_backward_fast is fl.conv_backward_strides


def test_conv_rejects_channel_mismatch():
    _, x, w, b = conv_data((1, 3, 5, 5), (2, 4, 3, 3), np.float64)
    with pytest.raises(ValueError, match="channels"):
        fl.conv_forward_fast(x, w, b, {"stride": 1, "pad": 1})


# ---------------------------------------------------------------------------
# Max pooling
# ---------------------------------------------------------------------------

def pool_data(x_shape, dtype, ties, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape)
    if ties:  # few distinct values: many windows have several maxima
        x = np.round(x)
    return rng, x.astype(dtype)


@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties"])
@pytest.mark.parametrize("impl", list(POOL_IMPLS))
@pytest.mark.parametrize("case", POOL_CASES, ids=POOL_IDS)
def test_max_pool_matches_torch(case, impl, ties):
    x_shape, ph, pw, stride = case
    fwd, bwd = POOL_IMPLS[impl]
    rng, x = pool_data(x_shape, np.float64, ties)
    param = {"pool_height": ph, "pool_width": pw, "stride": stride}
    out, cache = fwd(x, param)
    dout = rng.standard_normal(out.shape)
    dx = bwd(dout, cache)
    t_out, t_dx = torch_pool(x, ph, pw, stride, dout)
    assert out.shape == t_out.shape
    np.testing.assert_array_equal(out, t_out)
    # Ties: PyTorch also routes the whole gradient to the first maximum.
    assert rel_error(dx, t_dx) < 1e-12


@pytest.mark.parametrize("case", [c for c in POOL_CASES if c[1] == c[2] == c[3]
                                  and c[0][2] % c[1] == 0 and c[0][3] % c[2] == 0],
                         ids=lambda c: f"x{c[0]}-{c[1]}")
def test_max_pool_reshape_matches_torch_with_ties(case):
    x_shape, ph, pw, stride = case
    rng, x = pool_data(x_shape, np.float64, ties=True)
    param = {"pool_height": ph, "pool_width": pw, "stride": stride}
    out, cache = fl.max_pool_forward_reshape(x, param)
    dout = rng.standard_normal(out.shape)
    dx = fl.max_pool_backward_reshape(dout, cache)
    t_out, t_dx = torch_pool(x, ph, pw, stride, dout)
    np.testing.assert_array_equal(out, t_out)
    np.testing.assert_array_equal(dx, t_dx)


def test_max_pool_ties_route_to_one_position():
    x = np.zeros((1, 1, 4, 4))                      # every window is a 4-way tie
    param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    dout = np.arange(1.0, 5.0).reshape(1, 1, 2, 2)
    for fwd, bwd in POOL_IMPLS.values():
        out, cache = fwd(x, param)
        dx = bwd(dout, cache)
        expected = np.zeros((1, 1, 4, 4))
        expected[0, 0, ::2, ::2] = dout[0, 0]       # top-left = first max
        np.testing.assert_array_equal(dx, expected)


@pytest.mark.skipif(naive_layers is None, reason="cs231n/layers.py has no naive pool yet")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", POOL_CASES, ids=POOL_IDS)
def test_max_pool_fast_equals_naive(case, dtype):
    x_shape, ph, pw, stride = case
    rng, x = pool_data(x_shape, dtype, ties=True, seed=2)
    param = {"pool_height": ph, "pool_width": pw, "stride": stride}
    out_n, cache_n = naive_layers.max_pool_forward_naive(x, param)
    dout = rng.standard_normal(out_n.shape).astype(dtype)
    dx_n = naive_layers.max_pool_backward_naive(dout, cache_n)
    for impl, (fwd, bwd) in POOL_IMPLS.items():
        out, cache = fwd(x, param)
        # Max pooling only selects values: the outputs are exact; gradients
        # of overlapping windows may be summed in another order.
        np.testing.assert_array_equal(out, out_n, err_msg=impl)
        dx = bwd(dout, cache)
        assert dx.dtype == dx_n.dtype
        if dtype == np.float64:
            assert rel_error(dx, dx_n) < 1e-12, impl
        else:
            assert norm_error(dx, dx_n) < 1e-6, impl


@pytest.mark.parametrize("impl", list(POOL_IMPLS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_keeps_dtype_and_does_not_modify_inputs(impl, dtype):
    fwd, bwd = POOL_IMPLS[impl]
    rng, x = pool_data((2, 3, 6, 6), dtype, ties=False)
    x_copy = x.copy()
    out, cache = fwd(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
    dout = rng.standard_normal(out.shape).astype(dtype)
    dx = bwd(dout, cache)
    assert out.dtype == dx.dtype == dtype
    assert dx.shape == x.shape
    np.testing.assert_array_equal(x, x_copy)


@pytest.mark.parametrize("impl", list(POOL_IMPLS))
def test_max_pool_dx_has_the_dtype_of_x(impl):
    # float32 x with a float64 upstream derivative: dx is float32, as in the
    # naive layer.
    fwd, bwd = POOL_IMPLS[impl]
    rng, x = pool_data((2, 3, 6, 6), np.float32, ties=False)
    param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    out, cache = fwd(x, param)
    assert bwd(rng.standard_normal(out.shape), cache).dtype == np.float32
    if naive_layers is not None:
        _, cache_n = naive_layers.max_pool_forward_naive(x, param)
        assert naive_layers.max_pool_backward_naive(
            rng.standard_normal(out.shape), cache_n).dtype == np.float32


def test_max_pool_accepts_non_contiguous_input():
    rng, x = pool_data((3, 2, 8, 8), np.float64, ties=False)
    x_view = x.transpose(0, 1, 3, 2)                     # not C-contiguous
    param = {"pool_height": 2, "pool_width": 2, "stride": 2}
    for fwd, bwd in POOL_IMPLS.values():
        out, cache = fwd(x_view, param)
        dout = rng.standard_normal(out.shape)
        t_out, t_dx = torch_pool(np.ascontiguousarray(x_view), 2, 2, 2, dout)
        np.testing.assert_array_equal(out, t_out)
        assert rel_error(bwd(dout, cache), t_dx) < 1e-12


@pytest.mark.parametrize("case,method", [
    (((2, 3, 8, 8), 2, 2, 2), "reshape"),
    (((2, 3, 9, 9), 3, 3, 3), "reshape"),
    (((2, 3, 9, 8), 2, 2, 2), "im2col"),       # does not tile
    (((2, 3, 8, 8), 2, 2, 1), "im2col"),       # stride != pool size
    (((2, 3, 8, 8), 2, 4, 2), "im2col"),       # not square
])
def test_max_pool_fast_dispatch(case, method):
    x_shape, ph, pw, stride = case
    _, x = pool_data(x_shape, np.float64, ties=False)
    _, cache = fl.max_pool_forward_fast(x, {"pool_height": ph, "pool_width": pw,
                                            "stride": stride})
    assert cache[0] == method


def test_max_pool_reshape_refuses_non_tiling_input():
    _, x = pool_data((1, 1, 5, 4), np.float64, ties=False)
    with pytest.raises(ValueError):
        fl.max_pool_forward_reshape(x, {"pool_height": 2, "pool_width": 2, "stride": 2})


# ---------------------------------------------------------------------------
# im2col helpers
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("case", CONV_CASES, ids=CONV_IDS)
def test_im2col_indices_matches_cs231n_fancy_indexing(case):
    x_shape, w_shape, stride, pad = case
    _, x, _, _ = conv_data(x_shape, w_shape, np.float64)
    HH, WW = w_shape[2:]
    k, i, j = im2col.get_im2col_indices(x.shape, HH, WW, pad, stride)
    x_padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    expected = x_padded[:, k, i, j]                        # (N, C*HH*WW, Ho*Wo)
    expected = expected.transpose(1, 2, 0).reshape(expected.shape[1], -1)
    np.testing.assert_array_equal(im2col.im2col_indices(x, HH, WW, pad, stride),
                                  expected)


@pytest.mark.parametrize("case", CONV_CASES, ids=CONV_IDS)
def test_col2im_is_the_adjoint_of_im2col(case):
    # <im2col(x), y> == <x, col2im(y)> for any x, y: col2im sums overlaps.
    x_shape, w_shape, stride, pad = case
    rng, x, _, _ = conv_data(x_shape, w_shape, np.float64)
    HH, WW = w_shape[2:]
    for to_cols, to_img in [
        (lambda a: im2col.im2col_strided(a, HH, WW, pad, stride),
         lambda c: im2col.col2im_strided(c, x.shape, HH, WW, pad, stride)),
        (lambda a: im2col.im2col_indices(a, HH, WW, pad, stride),
         lambda c: im2col.col2im_indices(c, x.shape, HH, WW, pad, stride)),
    ]:
        cols = to_cols(x)
        y = rng.standard_normal(cols.shape)
        back = to_img(y)
        assert back.shape == x.shape
        assert abs(np.vdot(cols, y) - np.vdot(x, back)) < 1e-10 * abs(np.vdot(cols, y)) + 1e-12


@pytest.mark.parametrize("case", [c for c in CONV_CASES if c[2] == 1],
                         ids=[i for c, i in zip(CONV_CASES, CONV_IDS) if c[2] == 1])
def test_flat_columns_hold_the_windows_and_col2im_flat_is_their_adjoint(case):
    x_shape, w_shape, stride, pad = case
    rng, x, _, _ = conv_data(x_shape, w_shape, np.float64)
    N, C, H, W = x_shape
    HH, WW = w_shape[2:]
    Ho, Wo = out_size(H, W, HH, WW, pad, 1)
    Hp, Wp = H + 2 * pad, W + 2 * pad
    xp = im2col.pad_channels_first(x, pad)
    flat = im2col.im2col_flat(xp, HH, WW)
    # The columns at output positions are exactly the im2col columns.
    grid = np.zeros((flat.shape[0], N * Hp * Wp))
    grid[:, :flat.shape[1]] = flat
    at_outputs = grid.reshape(-1, N, Hp, Wp)[:, :, :Ho, :Wo].reshape(flat.shape[0], -1)
    np.testing.assert_array_equal(at_outputs, im2col.im2col_strided(x, HH, WW, pad, 1))
    # <im2col_flat(xp), y> == <xp, col2im_flat(y)>
    y = rng.standard_normal(flat.shape)
    back = im2col.col2im_flat(y, xp.shape, HH, WW)
    assert abs(np.vdot(flat, y) - np.vdot(xp, back)) < 1e-10 * abs(np.vdot(flat, y))


def test_conv_output_size_rejects_bad_params():
    with pytest.raises(ValueError):
        im2col.conv_output_size(4, 4, 5, 5, 0, 1)      # window larger than input
    with pytest.raises(ValueError):
        im2col.conv_output_size(4, 4, 3, 3, 1, 0)      # stride 0
