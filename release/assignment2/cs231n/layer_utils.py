"""Convenience "sandwich" layers: common combinations of the layers in
``layers.py`` and ``fast_layers.py``, each with its forward and backward pass.

Every forward function returns ``(out, cache)`` and every backward function
takes ``(dout, cache)`` and returns the gradients of the forward inputs, in the
order of the forward function's arguments.
"""
from .layers import *
from .fast_layers import *


def affine_relu_forward(x, w, b):
    """
    Convenience layer that performs an affine transform followed by a ReLU.

    Inputs:
    - x: Input to the affine layer, of shape (N, d_1, ..., d_k)
    - w: Weights of the affine layer, of shape (D, M) where D = d_1 * ... * d_k
    - b: Biases of the affine layer, of shape (M,)

    Returns a tuple of:
    - out: Output from the ReLU, of shape (N, M)
    - cache: Object to give to the backward pass
    """
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    cache = (fc_cache, relu_cache)
    return out, cache


def affine_relu_backward(dout, cache):
    """
    Backward pass for the affine-relu convenience layer.

    Inputs:
    - dout: Upstream derivatives, of shape (N, M)
    - cache: Object returned by affine_relu_forward

    Returns a tuple of:
    - dx: Gradient with respect to x, of shape (N, d_1, ..., d_k)
    - dw: Gradient with respect to w, of shape (D, M)
    - db: Gradient with respect to b, of shape (M,)
    """
    fc_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    dx, dw, db = affine_backward(da, fc_cache)
    return dx, dw, db


def affine_norm_relu_forward(x, w, b, gamma, beta, norm_param, normalization):
    """
    Convenience layer that performs an affine transform, a normalization
    (batch normalization or layer normalization) and a ReLU.

    Inputs:
    - x: Input to the affine layer, of shape (N, d_1, ..., d_k)
    - w: Weights of the affine layer, of shape (D, M) where D = d_1 * ... * d_k
    - b: Biases of the affine layer, of shape (M,)
    - gamma: Scale parameter of the normalization, of shape (M,)
    - beta: Shift parameter of the normalization, of shape (M,)
    - norm_param: Dictionary passed to batchnorm_forward (bn_param, with 'mode'
      and the running statistics) or to layernorm_forward (ln_param)
    - normalization: Either 'batchnorm' or 'layernorm'

    Returns a tuple of:
    - out: Output from the ReLU, of shape (N, M)
    - cache: Object to give to the backward pass
    """
    out, cache = None, None
    # TODO: Implement the affine - batchnorm/layernorm - relu forward pass using
    # affine_forward, batchnorm_forward or layernorm_forward (chosen by
    # `normalization`) and relu_forward. Store in `cache` everything the
    # backward pass needs, including which normalization was used.
    raise NotImplementedError("affine_norm_relu_forward is not implemented yet (cs231n/layer_utils.py)")
    return out, cache


def affine_norm_relu_backward(dout, cache):
    """
    Backward pass for the affine-norm-relu convenience layer.

    Inputs:
    - dout: Upstream derivatives, of shape (N, M)
    - cache: Object returned by affine_norm_relu_forward

    Returns a tuple of:
    - dx: Gradient with respect to x, of shape (N, d_1, ..., d_k)
    - dw: Gradient with respect to w, of shape (D, M)
    - db: Gradient with respect to b, of shape (M,)
    - dgamma: Gradient with respect to gamma, of shape (M,)
    - dbeta: Gradient with respect to beta, of shape (M,)
    """
    dx, dw, db, dgamma, dbeta = None, None, None, None, None
    # TODO: Implement the backward pass of the affine - batchnorm/layernorm -
    # relu layer using relu_backward, batchnorm_backward or layernorm_backward
    # and affine_backward.
    raise NotImplementedError("affine_norm_relu_backward is not implemented yet (cs231n/layer_utils.py)")
    return dx, dw, db, dgamma, dbeta


def conv_relu_forward(x, w, b, conv_param):
    """
    A convenience layer that performs a convolution followed by a ReLU.

    Inputs:
    - x: Input to the convolutional layer, of shape (N, C, H, W)
    - w: Filter weights, of shape (F, C, HH, WW)
    - b: Biases, of shape (F,)
    - conv_param: Dictionary with the keys 'stride' and 'pad'

    Returns a tuple of:
    - out: Output from the ReLU, of shape (N, F, H', W') where
      H' = 1 + (H + 2 * pad - HH) // stride and W' = 1 + (W + 2 * pad - WW) // stride
    - cache: Object to give to the backward pass
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    out, relu_cache = relu_forward(a)
    cache = (conv_cache, relu_cache)
    return out, cache


def conv_relu_backward(dout, cache):
    """
    Backward pass for the conv-relu convenience layer.

    Inputs:
    - dout: Upstream derivatives, of shape (N, F, H', W')
    - cache: Object returned by conv_relu_forward

    Returns a tuple of:
    - dx: Gradient with respect to x, of shape (N, C, H, W)
    - dw: Gradient with respect to w, of shape (F, C, HH, WW)
    - db: Gradient with respect to b, of shape (F,)
    """
    conv_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    dx, dw, db = conv_backward_fast(da, conv_cache)
    return dx, dw, db


def conv_bn_relu_forward(x, w, b, gamma, beta, conv_param, bn_param):
    """
    A convenience layer that performs a convolution, a spatial batch
    normalization and a ReLU.

    Inputs:
    - x: Input to the convolutional layer, of shape (N, C, H, W)
    - w: Filter weights, of shape (F, C, HH, WW)
    - b: Biases, of shape (F,)
    - gamma: Scale parameter of the spatial batchnorm, of shape (F,)
    - beta: Shift parameter of the spatial batchnorm, of shape (F,)
    - conv_param: Dictionary with the keys 'stride' and 'pad'
    - bn_param: Dictionary passed to spatial_batchnorm_forward

    Returns a tuple of:
    - out: Output from the ReLU, of shape (N, F, H', W')
    - cache: Object to give to the backward pass
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    an, bn_cache = spatial_batchnorm_forward(a, gamma, beta, bn_param)
    out, relu_cache = relu_forward(an)
    cache = (conv_cache, bn_cache, relu_cache)
    return out, cache


def conv_bn_relu_backward(dout, cache):
    """
    Backward pass for the conv-bn-relu convenience layer.

    Inputs:
    - dout: Upstream derivatives, of shape (N, F, H', W')
    - cache: Object returned by conv_bn_relu_forward

    Returns a tuple of:
    - dx: Gradient with respect to x, of shape (N, C, H, W)
    - dw: Gradient with respect to w, of shape (F, C, HH, WW)
    - db: Gradient with respect to b, of shape (F,)
    - dgamma: Gradient with respect to gamma, of shape (F,)
    - dbeta: Gradient with respect to beta, of shape (F,)
    """
    conv_cache, bn_cache, relu_cache = cache
    dan = relu_backward(dout, relu_cache)
    da, dgamma, dbeta = spatial_batchnorm_backward(dan, bn_cache)
    dx, dw, db = conv_backward_fast(da, conv_cache)
    return dx, dw, db, dgamma, dbeta


def conv_relu_pool_forward(x, w, b, conv_param, pool_param):
    """
    Convenience layer that performs a convolution, a ReLU, and a pool.

    Inputs:
    - x: Input to the convolutional layer, of shape (N, C, H, W)
    - w: Filter weights, of shape (F, C, HH, WW)
    - b: Biases, of shape (F,)
    - conv_param: Dictionary with the keys 'stride' and 'pad'
    - pool_param: Dictionary with the keys 'pool_height', 'pool_width' and
      'stride'

    Returns a tuple of:
    - out: Output from the pooling layer, of shape (N, F, H'', W'') where
      H'' = 1 + (H' - pool_height) // pool_stride (and likewise for W''),
      H' and W' being the spatial size of the convolution output
    - cache: Object to give to the backward pass
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    s, relu_cache = relu_forward(a)
    out, pool_cache = max_pool_forward_fast(s, pool_param)
    cache = (conv_cache, relu_cache, pool_cache)
    return out, cache


def conv_relu_pool_backward(dout, cache):
    """
    Backward pass for the conv-relu-pool convenience layer.

    Inputs:
    - dout: Upstream derivatives, of shape (N, F, H'', W'')
    - cache: Object returned by conv_relu_pool_forward

    Returns a tuple of:
    - dx: Gradient with respect to x, of shape (N, C, H, W)
    - dw: Gradient with respect to w, of shape (F, C, HH, WW)
    - db: Gradient with respect to b, of shape (F,)
    """
    conv_cache, relu_cache, pool_cache = cache
    ds = max_pool_backward_fast(dout, pool_cache)
    da = relu_backward(ds, relu_cache)
    dx, dw, db = conv_backward_fast(da, conv_cache)
    return dx, dw, db
