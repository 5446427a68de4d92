"""Layers of CS231n assignment 2: one forward and one backward function a layer.

Every forward function takes its inputs (and, where the layer has them,
weights and a parameter dict) and returns ``(out, cache)``; the matching
backward function takes the upstream derivative ``dout`` (shaped like ``out``)
and that ``cache`` and returns the derivatives with respect to the inputs, in
the order the forward function takes them.

No function here changes its inputs in place (x, w, dout, the arrays of a
cache): compute new arrays instead. The callers reuse their arrays (a cache
goes to the backward pass, dout to several layers), so an input changed in
place breaks them; the hidden tests check it for every function.

Each function holds one solution region (the student's part); everything
outside the regions is given to students.
"""
import numpy as np


# --------------------------------------------------------------------------
# Affine (fully connected) layer
# --------------------------------------------------------------------------


def affine_forward(x, w, b):
    """Computes the forward pass for an affine (fully connected) layer.

    The input x has shape (N, d_1, ..., d_k) and contains a minibatch of N
    examples, where each example x[i] has shape (d_1, ..., d_k). We will
    reshape each input into a vector of dimension D = d_1 * ... * d_k, and
    then transform it to an output vector of dimension M.

    Inputs:
    - x: A numpy array containing input data, of shape (N, d_1, ..., d_k)
    - w: A numpy array of weights, of shape (D, M)
    - b: A numpy array of biases, of shape (M,)

    Returns a tuple of:
    - out: output, of shape (N, M)
    - cache: (x, w, b)
    """
    out = None
    # TODO: Implement the affine forward pass. Store the result in out. You
    # will need to reshape the input into rows.
    ### BEGIN SOLUTION
    out = x.reshape(x.shape[0], -1).dot(w) + b
    ### END SOLUTION
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    """Computes the backward pass for an affine (fully connected) layer.

    Inputs:
    - dout: Upstream derivative, of shape (N, M)
    - cache: Tuple of:
      - x: Input data, of shape (N, d_1, ... d_k)
      - w: Weights, of shape (D, M)
      - b: Biases, of shape (M,)

    Returns a tuple of:
    - dx: Gradient with respect to x, of shape (N, d1, ..., d_k)
    - dw: Gradient with respect to w, of shape (D, M)
    - db: Gradient with respect to b, of shape (M,)
    """
    x, w, b = cache
    dx, dw, db = None, None, None
    # TODO: Implement the affine backward pass.
    ### BEGIN SOLUTION
    x_rows = x.reshape(x.shape[0], -1)
    dx = dout.dot(w.T).reshape(x.shape)
    dw = x_rows.T.dot(dout)
    db = np.sum(dout, axis=0)
    ### END SOLUTION
    return dx, dw, db


# --------------------------------------------------------------------------
# ReLU
# --------------------------------------------------------------------------


def relu_forward(x):
    """Computes the forward pass for a layer of rectified linear units (ReLUs).

    Input:
    - x: Inputs, of any shape; not modified in place

    Returns a tuple of:
    - out: Output, of the same shape as x
    - cache: x
    """
    out = None
    # TODO: Implement the ReLU forward pass.
    ### BEGIN SOLUTION
    out = np.maximum(0, x)
    ### END SOLUTION
    cache = x
    return out, cache


def relu_backward(dout, cache):
    """Computes the backward pass for a layer of rectified linear units (ReLUs).

    Input:
    - dout: Upstream derivatives, of any shape; not modified in place
    - cache: Input x, of same shape as dout; not modified in place

    Returns:
    - dx: Gradient with respect to x, of the same shape as dout (a new array)
    """
    dx, x = None, cache
    # TODO: Implement the ReLU backward pass.
    ### BEGIN SOLUTION
    dx = dout * (x > 0)
    ### END SOLUTION
    return dx


# --------------------------------------------------------------------------
# Batch normalization
# --------------------------------------------------------------------------


def batchnorm_forward(x, gamma, beta, bn_param):
    """Forward pass for batch normalization.

    During training the sample mean and (uncorrected) sample variance are
    computed from minibatch statistics and used to normalize the incoming data.
    During training we also keep an exponentially decaying running mean of the
    mean and variance of each feature, and these averages are used to normalize
    data at test-time.

    At each timestep we update the running averages for mean and variance using
    an exponential decay based on the momentum parameter:

    running_mean = momentum * running_mean + (1 - momentum) * sample_mean
    running_var = momentum * running_var + (1 - momentum) * sample_var

    Note that the batch normalization paper suggests a different test-time
    behavior: they compute sample mean and variance for each feature using a
    large number of training images rather than using a running average. For
    this implementation we have chosen to use running averages instead since
    they do not require an additional estimation step; the torch7
    implementation of batch normalization also uses running averages.

    Input:
    - x: Data of shape (N, D)
    - gamma: Scale parameter of shape (D,)
    - beta: Shift parameter of shape (D,)
    - bn_param: Dictionary with the following keys:
      - mode: 'train' or 'test'; required
      - eps: Constant for numeric stability (default 1e-5)
      - momentum: Constant for running mean / variance (default 0.9)
      - running_mean: Array of shape (D,) giving running mean of features
      - running_var: Array of shape (D,) giving running variance of features

    Returns a tuple of:
    - out: of shape (N, D)
    - cache: A tuple of values needed in the backward pass (train mode only)
    """
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)

    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))

    out, cache = None, None
    # TODO: In "train" mode, compute the minibatch mean and (uncorrected)
    # variance, normalize the data with them, scale and shift by gamma and
    # beta, store what the backward pass needs in cache, and update
    # running_mean and running_var with the momentum rule above.
    # In "test" mode, normalize with running_mean and running_var instead,
    # then scale and shift by gamma and beta.
    ### BEGIN SOLUTION
    if mode == "train":
        sample_mean = x.mean(axis=0)
        sample_var = x.var(axis=0)
        x_centered = x - sample_mean
        std = np.sqrt(sample_var + eps)
        inv_std = 1.0 / std
        x_hat = x_centered * inv_std
        out = gamma * x_hat + beta
        cache = (x_centered, x_hat, std, inv_std, gamma)
        running_mean = momentum * running_mean + (1 - momentum) * sample_mean
        running_var = momentum * running_var + (1 - momentum) * sample_var
    elif mode == "test":
        x_hat = (x - running_mean) / np.sqrt(running_var + eps)
        out = gamma * x_hat + beta
    else:
        raise ValueError('Invalid forward batchnorm mode "%s"' % mode)
    ### END SOLUTION

    # Store the updated running means back into bn_param
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var

    return out, cache


def batchnorm_backward(dout, cache):
    """Backward pass for batch normalization.

    Work through the computation graph of batch normalization one node at a
    time (on paper first), then backpropagate through each intermediate node.

    Inputs:
    - dout: Upstream derivatives, of shape (N, D)
    - cache: Variable of intermediates from batchnorm_forward.

    Returns a tuple of:
    - dx: Gradient with respect to inputs x, of shape (N, D)
    - dgamma: Gradient with respect to scale parameter gamma, of shape (D,)
    - dbeta: Gradient with respect to shift parameter beta, of shape (D,)
    """
    dx, dgamma, dbeta = None, None, None
    # TODO: Implement the backward pass for batch normalization, node by node
    # through the computation graph of the forward pass.
    ### BEGIN SOLUTION
    x_centered, x_hat, std, inv_std, gamma = cache
    N = dout.shape[0]
    # out = gamma * x_hat + beta
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    # x_hat = x_centered * inv_std
    dinv_std = np.sum(dx_hat * x_centered, axis=0)
    dx_centered = dx_hat * inv_std
    # inv_std = 1 / std;  std = sqrt(var + eps)
    dstd = -dinv_std / std ** 2
    dvar = dstd * 0.5 / std
    # var = mean(x_centered ** 2)
    dx_centered += (2.0 / N) * x_centered * dvar
    # x_centered = x - mean;  mean = mean(x)
    dmean = -np.sum(dx_centered, axis=0)
    dx = dx_centered + dmean / N
    ### END SOLUTION

    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    """Alternative backward pass for batch normalization.

    Work out the derivatives of the batch normalization backward pass on paper
    and simplify them as much as possible: the result is a single expression
    for dx. Takes the same inputs and gives the same outputs as
    batchnorm_backward.

    Inputs / outputs: Same as batchnorm_backward
    - dout: Upstream derivatives, of shape (N, D)
    - cache: Variable of intermediates from batchnorm_forward.

    Returns a tuple of:
    - dx: Gradient with respect to inputs x, of shape (N, D)
    - dgamma: Gradient with respect to scale parameter gamma, of shape (D,)
    - dbeta: Gradient with respect to shift parameter beta, of shape (D,)
    """
    dx, dgamma, dbeta = None, None, None
    # TODO: Implement the backward pass for batch normalization as a
    # simplified closed-form expression; it should fit in a single statement.
    ### BEGIN SOLUTION
    x_centered, x_hat, std, inv_std, gamma = cache
    N = dout.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    # sum(dx_hat) = gamma * dbeta and sum(dx_hat * x_hat) = gamma * dgamma, so the
    # two sums over the batch are reused instead of computed again
    dx = (gamma * inv_std / N) * (N * dout - dbeta - x_hat * dgamma)
    ### END SOLUTION

    return dx, dgamma, dbeta


# --------------------------------------------------------------------------
# Layer normalization
# --------------------------------------------------------------------------


def layernorm_forward(x, gamma, beta, ln_param):
    """Forward pass for layer normalization.

    During both training and test-time, the incoming data is normalized per
    data-point, before being scaled by gamma and beta parameters identical to
    that of batch normalization.

    Note that in contrast to batch normalization, the behavior during train and
    test-time for layer normalization are identical, and we do not need to
    keep track of running averages of any sort.

    Input:
    - x: Data of shape (N, D)
    - gamma: Scale parameter of shape (D,)
    - beta: Shift parameter of shape (D,)
    - ln_param: Dictionary with the following keys:
        - eps: Constant for numeric stability (default 1e-5)

    Returns a tuple of:
    - out: of shape (N, D)
    - cache: A tuple of values needed in the backward pass
    """
    out, cache = None, None
    eps = ln_param.get("eps", 1e-5)
    # TODO: Implement the training-time forward pass for layer norm.
    # Normalize the incoming data, and scale and shift the normalized data
    # using gamma and beta. Store what the backward pass needs in cache.
    # Hint: this can be done by slightly modifying your training-time
    # implementation of batch normalization.
    ### BEGIN SOLUTION
    mean = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    out = gamma * x_hat + beta
    cache = (x_hat, inv_std, gamma)
    ### END SOLUTION
    return out, cache


def layernorm_backward(dout, cache):
    """Backward pass for layer normalization.

    Inputs:
    - dout: Upstream derivatives, of shape (N, D)
    - cache: Variable of intermediates from layernorm_forward.

    Returns a tuple of:
    - dx: Gradient with respect to inputs x, of shape (N, D)
    - dgamma: Gradient with respect to scale parameter gamma, of shape (D,)
    - dbeta: Gradient with respect to shift parameter beta, of shape (D,)
    """
    dx, dgamma, dbeta = None, None, None
    # TODO: Implement the backward pass for layer norm.
    # Hint: this can be done by slightly modifying your training-time
    # implementation of batch normalization.
    ### BEGIN SOLUTION
    x_hat, inv_std, gamma = cache
    D = dout.shape[1]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dx = (inv_std / D) * (
        D * dx_hat
        - np.sum(dx_hat, axis=1, keepdims=True)
        - x_hat * np.sum(dx_hat * x_hat, axis=1, keepdims=True)
    )
    ### END SOLUTION
    return dx, dgamma, dbeta


# --------------------------------------------------------------------------
# Dropout
# --------------------------------------------------------------------------


def dropout_forward(x, dropout_param):
    """Forward pass for inverted dropout.

    Note that this is different from the vanilla version of dropout.
    Here, p is the probability of keeping a neuron output, as opposed to
    the probability of dropping a neuron output.

    Inputs:
    - x: Input data, of any shape
    - dropout_param: A dictionary with the following keys:
      - p: Dropout parameter. We keep each neuron output with probability p.
      - mode: 'test' or 'train'. If the mode is train, then perform dropout;
        if the mode is test, then just return the input.
      - seed: Seed for the random number generator. Passing seed makes this
        function deterministic, which is needed for gradient checking but not
        in real networks.

    Outputs:
    - out: Array of the same shape as x.
    - cache: tuple (dropout_param, mask). In training mode, mask is the dropout
      mask (same shape as x) that was used to multiply the input; in test
      mode, mask is None.
    """
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])

    mask = None
    out = None

    # TODO: In "train" mode, draw a mask that keeps each unit with
    # probability p and scales the kept units by 1 / p (inverted dropout),
    # store it in mask and apply it to x. In "test" mode, return the input
    # unchanged.
    ### BEGIN SOLUTION
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    elif mode == "test":
        out = x
    ### END SOLUTION

    cache = (dropout_param, mask)
    out = out.astype(x.dtype, copy=False)

    return out, cache


def dropout_backward(dout, cache):
    """Backward pass for inverted dropout.

    Inputs:
    - dout: Upstream derivatives, of any shape
    - cache: (dropout_param, mask) from dropout_forward.

    Returns:
    - dx: Gradient with respect to x, of the same shape as dout
    """
    dropout_param, mask = cache
    mode = dropout_param["mode"]

    dx = None
    # TODO: Implement the backward pass for inverted dropout: in "train" mode
    # use the mask from the forward pass; in "test" mode the layer is the
    # identity.
    ### BEGIN SOLUTION
    if mode == "train":
        dx = dout * mask
    elif mode == "test":
        dx = dout
    ### END SOLUTION
    return dx


# --------------------------------------------------------------------------
# Convolution and pooling (naive implementations)
# --------------------------------------------------------------------------


def conv_forward_naive(x, w, b, conv_param):
    """A naive implementation of the forward pass for a convolutional layer.

    The input consists of N data points, each with C channels, height H and
    width W. We convolve each input with F different filters, where each filter
    spans all C channels and has height HH and width WW.

    Input:
    - x: Input data of shape (N, C, H, W)
    - w: Filter weights of shape (F, C, HH, WW)
    - b: Biases, of shape (F,)
    - conv_param: A dictionary with the following keys:
      - 'stride': The number of pixels between adjacent receptive fields in the
        horizontal and vertical directions.
      - 'pad': The number of pixels that will be used to zero-pad the input.

    During padding, 'pad' zeros should be placed symmetrically (i.e equally on
    both sides) along the height and width axes of the input. Be careful not
    to modify the original input x directly. pad may be 0 (no padding).

    The stride need not divide H + 2 * pad - HH (or W + 2 * pad - WW): H' and
    W' round down, and rows and columns past the last whole window are not
    used.

    Returns a tuple of:
    - out: Output data, of shape (N, F, H', W') where H' and W' are given by
      H' = 1 + (H + 2 * pad - HH) // stride
      W' = 1 + (W + 2 * pad - WW) // stride
    - cache: (x, w, b, conv_param)
    """
    out = None
    # TODO: Implement the convolutional forward pass.
    # Hint: you can use the function np.pad for padding.
    ### BEGIN SOLUTION
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    out = np.zeros((N, F, H_out, W_out), dtype=np.result_type(x, w, b))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    # The receptive field of output (i, j) spans all C channels.
                    hs, ws = i * stride, j * stride
                    window = x_pad[n, :, hs:hs + HH, ws:ws + WW]  # (C, HH, WW)
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    ### END SOLUTION
    cache = (x, w, b, conv_param)
    return out, cache


def conv_backward_naive(dout, cache):
    """A naive implementation of the backward pass for a convolutional layer.

    Inputs:
    - dout: Upstream derivatives, of shape (N, F, H', W')
    - cache: A tuple of (x, w, b, conv_param) as in conv_forward_naive

    Every input conv_forward_naive accepts is accepted here too: pad may be 0
    (no padding), and the stride need not divide H + 2 * pad - HH (inputs past
    the last whole window get a zero derivative).

    Returns a tuple of:
    - dx: Gradient with respect to x, of shape (N, C, H, W)
    - dw: Gradient with respect to w, of shape (F, C, HH, WW)
    - db: Gradient with respect to b, of shape (F,)
    """
    dx, dw, db = None, None, None
    # TODO: Implement the convolutional backward pass.
    ### BEGIN SOLUTION
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = np.zeros_like(b)
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    # out[n, f, i, j] = sum(window * w[f]) + b[f], so its
                    # derivative flows to the window, to w[f] and to b[f].
                    # Windows overlap when stride < HH, WW: accumulate.
                    hs, ws = i * stride, j * stride
                    window = x_pad[n, :, hs:hs + HH, ws:ws + WW]
                    dw[f] += window * dout[n, f, i, j]
                    dx_pad[n, :, hs:hs + HH, ws:ws + WW] += w[f] * dout[n, f, i, j]
                    db[f] += dout[n, f, i, j]
    # Drop the padding: its derivative belongs to no input.
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]
    ### END SOLUTION
    return dx, dw, db


def max_pool_forward_naive(x, pool_param):
    """A naive implementation of the forward pass for a max-pooling layer.

    Inputs:
    - x: Input data, of shape (N, C, H, W)
    - pool_param: dictionary with the following keys:
      - 'pool_height': The height of each pooling region
      - 'pool_width': The width of each pooling region
      - 'stride': The distance between adjacent pooling regions

    No padding is necessary here. Pooling regions may overlap (a stride
    smaller than the pool, e.g. 3x3 pools with stride 2). The stride need not
    divide H - pool_height (or W - pool_width): H' and W' round down, and rows
    and columns past the last whole region are not used.

    Returns a tuple of:
    - out: Output data, of shape (N, C, H', W') where H' and W' are given by
      H' = 1 + (H - pool_height) // stride
      W' = 1 + (W - pool_width) // stride
    - cache: (x, pool_param)
    """
    out = None
    # TODO: Implement the max-pooling forward pass.
    ### BEGIN SOLUTION
    PH, PW = pool_param["pool_height"], pool_param["pool_width"]
    stride = pool_param["stride"]
    N, C, H, W = x.shape
    H_out = 1 + (H - PH) // stride
    W_out = 1 + (W - PW) // stride
    out = np.zeros((N, C, H_out, W_out), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    out[n, c, i, j] = np.max(x[n, c, hs:hs + PH, ws:ws + PW])
    ### END SOLUTION
    cache = (x, pool_param)
    return out, cache


def max_pool_backward_naive(dout, cache):
    """A naive implementation of the backward pass for a max-pooling layer.

    When several inputs of a pooling region share the maximum, the whole
    upstream derivative goes to the first of them (in row-major order).

    Pooling regions may overlap (a stride smaller than the pool, e.g. 3x3 pools
    with stride 2): an input that is the maximum of several regions gets the
    sum of their upstream derivatives. The stride need not divide H -
    pool_height: inputs past the last whole region get a zero derivative.

    Inputs:
    - dout: Upstream derivatives, of shape (N, C, H', W')
    - cache: A tuple of (x, pool_param) as in the forward pass.

    Returns:
    - dx: Gradient with respect to x, of shape (N, C, H, W)
    """
    dx = None
    # TODO: Implement the max-pooling backward pass.
    ### BEGIN SOLUTION
    x, pool_param = cache
    PH, PW = pool_param["pool_height"], pool_param["pool_width"]
    stride = pool_param["stride"]
    N, C, H, W = x.shape
    _, _, H_out, W_out = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    window = x[n, c, hs:hs + PH, ws:ws + PW]
                    # np.argmax gives the first maximum in row-major order:
                    # the whole derivative goes to that one input.
                    k = np.argmax(window)
                    dx[n, c, hs + k // PW, ws + k % PW] += dout[n, c, i, j]
    ### END SOLUTION
    return dx


# --------------------------------------------------------------------------
# Spatial batch normalization and spatial group normalization
# --------------------------------------------------------------------------


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """Computes the forward pass for spatial batch normalization.

    Inputs:
    - x: Input data of shape (N, C, H, W)
    - gamma: Scale parameter, of shape (C,)
    - beta: Shift parameter, of shape (C,)
    - bn_param: Dictionary with the following keys:
      - mode: 'train' or 'test'; required
      - eps: Constant for numeric stability (default 1e-5)
      - momentum: Constant for running mean / variance. momentum=0 means that
        old information is discarded completely at every time step, while
        momentum=1 means that new information is never incorporated. The
        default of momentum=0.9 should work well in most situations.
      - running_mean: Array of shape (C,) giving running mean of features
      - running_var Array of shape (C,) giving running variance of features

    Returns a tuple of:
    - out: Output data, of shape (N, C, H, W)
    - cache: Values needed for the backward pass
    """
    out, cache = None, None
    # TODO: Implement the forward pass for spatial batch normalization.
    # HINT: You can implement spatial batch normalization by calling the
    # vanilla version of batch normalization you implemented above.
    # Your implementation should be very short; ours is less than five lines.
    ### BEGIN SOLUTION
    N, C, H, W = x.shape
    x_rows = x.transpose(0, 2, 3, 1).reshape(-1, C)
    out_rows, cache = batchnorm_forward(x_rows, gamma, beta, bn_param)
    out = out_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)
    ### END SOLUTION
    return out, cache


def spatial_batchnorm_backward(dout, cache):
    """Computes the backward pass for spatial batch normalization.

    Inputs:
    - dout: Upstream derivatives, of shape (N, C, H, W)
    - cache: Values from the forward pass

    Returns a tuple of:
    - dx: Gradient with respect to inputs, of shape (N, C, H, W)
    - dgamma: Gradient with respect to scale parameter, of shape (C,)
    - dbeta: Gradient with respect to shift parameter, of shape (C,)
    """
    dx, dgamma, dbeta = None, None, None
    # TODO: Implement the backward pass for spatial batch normalization.
    # HINT: You can implement spatial batch normalization by calling the
    # vanilla version of batch normalization you implemented above.
    # Your implementation should be very short; ours is less than five lines.
    ### BEGIN SOLUTION
    N, C, H, W = dout.shape
    dout_rows = dout.transpose(0, 2, 3, 1).reshape(-1, C)
    # The cache is batchnorm_forward's; batchnorm_backward_alt gives the same
    # gradients as batchnorm_backward with the simplified formula (faster).
    dx_rows, dgamma, dbeta = batchnorm_backward_alt(dout_rows, cache)
    dx = dx_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)
    ### END SOLUTION
    return dx, dgamma, dbeta


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    """Computes the forward pass for spatial group normalization.

    In contrast to layer normalization, group normalization splits each entry
    in the data into G contiguous pieces, which it then normalizes
    independently. Per-feature shifting and scaling are then applied to the
    data, in a manner identical to that of batch normalization and layer
    normalization.

    Inputs:
    - x: Input data of shape (N, C, H, W)
    - gamma: Scale parameter, of shape (1, C, 1, 1)
    - beta: Shift parameter, of shape (1, C, 1, 1)
    - G: Integer number of groups to split into, should be a divisor of C
    - gn_param: Dictionary with the following keys:
      - eps: Constant for numeric stability (default 1e-5)

    Returns a tuple of:
    - out: Output data, of shape (N, C, H, W)
    - cache: Values needed for the backward pass
    """
    out, cache = None, None
    eps = gn_param.get("eps", 1e-5)
    # TODO: Implement the forward pass for spatial group normalization.
    # This will be extremely similar to the layer norm implementation.
    # In particular, think about how you could transform the matrix so that
    # the bulk of the code is similar to both train-time batch normalization
    # and layer normalization!
    ### BEGIN SOLUTION
    N, C, H, W = x.shape
    x_groups = x.reshape(N, G, -1)  # (N, G, C // G * H * W)
    mean = x_groups.mean(axis=2, keepdims=True)
    var = x_groups.var(axis=2, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = ((x_groups - mean) * inv_std).reshape(N, C, H, W)
    out = gamma * x_hat + beta
    cache = (x_hat, inv_std, gamma, G)
    ### END SOLUTION
    return out, cache


def spatial_groupnorm_backward(dout, cache):
    """Computes the backward pass for spatial group normalization.

    Inputs:
    - dout: Upstream derivatives, of shape (N, C, H, W)
    - cache: Values from the forward pass

    Returns a tuple of:
    - dx: Gradient with respect to inputs, of shape (N, C, H, W)
    - dgamma: Gradient with respect to scale parameter, of shape (1, C, 1, 1)
    - dbeta: Gradient with respect to shift parameter, of shape (1, C, 1, 1)
    """
    dx, dgamma, dbeta = None, None, None
    # TODO: Implement the backward pass for spatial group normalization.
    # This will be extremely similar to the layer norm implementation.
    ### BEGIN SOLUTION
    x_hat, inv_std, gamma, G = cache
    N, C, H, W = dout.shape
    dbeta = np.sum(dout, axis=(0, 2, 3), keepdims=True)
    dgamma = np.sum(dout * x_hat, axis=(0, 2, 3), keepdims=True)
    dx_hat = (dout * gamma).reshape(N, G, -1)
    x_hat_groups = x_hat.reshape(N, G, -1)
    M = dx_hat.shape[2]
    dx = (inv_std / M) * (
        M * dx_hat
        - np.sum(dx_hat, axis=2, keepdims=True)
        - x_hat_groups * np.sum(dx_hat * x_hat_groups, axis=2, keepdims=True)
    )
    dx = dx.reshape(N, C, H, W)
    ### END SOLUTION
    return dx, dgamma, dbeta


# --------------------------------------------------------------------------
# Loss functions
# --------------------------------------------------------------------------


def svm_loss(x, y):
    """Computes the loss and gradient using for multiclass SVM classification.

    Inputs:
    - x: Input data, of shape (N, C) where x[i, j] is the score for the jth
      class for the ith input.
    - y: Vector of labels, of shape (N,) where y[i] is the label for x[i] and
      0 <= y[i] < C

    Returns a tuple of:
    - loss: Scalar giving the loss
    - dx: Gradient of the loss with respect to x, of shape (N, C)
    """
    loss, dx = None, None
    # TODO: Compute the multiclass SVM loss (margin 1, averaged over the N
    # inputs) and its gradient with respect to x.
    ### BEGIN SOLUTION
    N = x.shape[0]
    rows = np.arange(N)
    correct_class_scores = x[rows, y]
    margins = np.maximum(0, x - correct_class_scores[:, np.newaxis] + 1.0)
    margins[rows, y] = 0
    loss = np.sum(margins) / N
    num_pos = np.sum(margins > 0, axis=1)
    dx = (margins > 0).astype(x.dtype)
    dx[rows, y] -= num_pos
    dx /= N
    ### END SOLUTION
    return loss, dx


def softmax_loss(x, y):
    """Computes the loss and gradient for softmax classification.

    Inputs:
    - x: Input data, of shape (N, C) where x[i, j] is the score for the jth
      class for the ith input.
    - y: Vector of labels, of shape (N,) where y[i] is the label for x[i] and
      0 <= y[i] < C

    Scores may be large (in the thousands): the loss and dx must still be
    exact, so compute them in a numerically stable way.

    Returns a tuple of:
    - loss: Scalar giving the loss
    - dx: Gradient of the loss with respect to x, of shape (N, C)
    """
    loss, dx = None, None
    # TODO: Compute the softmax (cross-entropy) loss averaged over the N
    # inputs and its gradient with respect to x. Keep it numerically stable
    # (shift the scores by their row maximum) and do not modify x in place.
    ### BEGIN SOLUTION
    N = x.shape[0]
    rows = np.arange(N)
    shifted_logits = x - np.max(x, axis=1, keepdims=True)
    log_probs = shifted_logits - np.log(np.sum(np.exp(shifted_logits), axis=1, keepdims=True))
    loss = -np.sum(log_probs[rows, y]) / N
    dx = np.exp(log_probs)
    dx[rows, y] -= 1
    dx /= N
    ### END SOLUTION
    return loss, dx
