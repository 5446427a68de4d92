"""FullyConnectedNet: a fully connected network of any depth, with optional
batch/layer normalization and dropout, built from the layers in
``cs231n.layers`` and the sandwich layers in ``cs231n.layer_utils``.

Inputs are minibatches X of shape (N, d_1, ..., d_k), flattened to (N, D);
``loss(X)`` returns class scores of shape (N, num_classes) and
``loss(X, y)`` returns the loss and a dict of gradients, one per parameter.
"""
import numpy as np

from ..layers import *
from ..layer_utils import *


class FullyConnectedNet:
    """
    A fully-connected neural network with an arbitrary number of hidden layers,
    ReLU nonlinearities, and a softmax loss function. This will also implement
    dropout and batch/layer normalization as options. For a network with L layers,
    the architecture will be

    {affine - [batch/layer norm] - relu - [dropout]} x (L - 1) - affine - softmax

    where batch/layer normalization and dropout are optional, and the {...} block is
    repeated L - 1 times.

    Learnable parameters are stored in the self.params dictionary and will be
    learned using the Solver class:
    - 'W1', ..., 'WL': weights, 'Wi' of shape (d_{i-1}, d_i) where d_0 = input_dim,
      d_i = hidden_dims[i - 1] for 1 <= i < L and d_L = num_classes
    - 'b1', ..., 'bL': biases, 'bi' of shape (d_i,)
    - 'gamma1', ..., 'gamma{L-1}' and 'beta1', ..., 'beta{L-1}': scale and shift
      of the normalization layers, 'gammai' and 'betai' of shape (d_i,); only
      when normalization is not None.

    loss() must read the parameters from self.params on every call: the Solver
    and the grader put new values there between calls.

    Besides its own tests, FullyConnectedNet([100], input_dim=64,
    weight_scale=5e-2, reg=1e-3) is trained with the Solver (update_rule='adam',
    learning_rate=3e-3, 8 epochs, batch_size=50) on the digits and must reach
    85% accuracy on held-out digits.
    """

    def __init__(self, hidden_dims, input_dim=3*32*32, num_classes=10,
                 dropout=1, normalization=None, reg=0.0,
                 weight_scale=1e-2, dtype=np.float32, seed=None):
        """
        Initialize a new FullyConnectedNet.

        Inputs:
        - hidden_dims: A list of integers giving the size of each hidden layer.
        - input_dim: An integer D giving the size of the input (the input x of
          shape (N, d_1, ..., d_k) is flattened to (N, D)).
        - num_classes: An integer C giving the number of classes to classify.
        - dropout: Scalar between 0 and 1 giving the keep probability of the
          dropout layers. If dropout=1 then the network should not use dropout
          at all.
        - normalization: What type of normalization the network should use. Valid
          values are "batchnorm", "layernorm", or None for no normalization (the
          default).
        - reg: Scalar giving L2 regularization strength.
        - weight_scale: Scalar giving the standard deviation for random
          initialization of the weights.
        - dtype: A numpy datatype object; all computations will be performed using
          this datatype. float32 is faster but less accurate, so you should use
          float64 for numeric gradient checking.
        - seed: If not None, then pass this random seed to the dropout layers. This
          will make the dropout layers deteriminstic so we can gradient check the
          model.
        """
        self.normalization = normalization
        self.use_dropout = dropout != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}

        # TODO: Initialize the parameters of the network, storing all values in
        # the self.params dictionary. Store weights and biases for the first
        # layer in W1 and b1; for the second layer use W2 and b2, etc. Weights
        # should be initialized from a normal distribution centered at 0 with
        # standard deviation equal to weight_scale (weight_scale * np.random.randn),
        # drawn layer by layer from the first to the last, and biases should be
        # initialized to zero.
        #
        # When using batch or layer normalization, store scale and shift
        # parameters for the first layer in gamma1 and beta1; for the second
        # layer use gamma2 and beta2, etc. Scale parameters should be
        # initialized to ones and shift parameters to zeros. The output layer
        # has no normalization.
        ### BEGIN SOLUTION
        dims = [input_dim] + list(hidden_dims) + [num_classes]
        for i in range(self.num_layers):
            self.params['W%d' % (i + 1)] = weight_scale * np.random.randn(dims[i], dims[i + 1])
            self.params['b%d' % (i + 1)] = np.zeros(dims[i + 1])
            if self.normalization is not None and i < self.num_layers - 1:
                self.params['gamma%d' % (i + 1)] = np.ones(dims[i + 1])
                self.params['beta%d' % (i + 1)] = np.zeros(dims[i + 1])
        ### END SOLUTION

        # When using dropout we need to pass a dropout_param dictionary to each
        # dropout layer so that the layer knows the dropout probability and the mode
        # (train / test). You can pass the same dropout_param to each dropout layer.
        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {'mode': 'train', 'p': dropout}
            if seed is not None:
                self.dropout_param['seed'] = seed

        # With batch normalization we need to keep track of running means and
        # variances, so we need to pass a special bn_param object to each batch
        # normalization layer. You should pass self.bn_params[0] to the forward pass
        # of the first batch normalization layer, self.bn_params[1] to the forward
        # pass of the second batch normalization layer, etc.
        self.bn_params = []
        if self.normalization == 'batchnorm':
            self.bn_params = [{'mode': 'train'} for i in range(self.num_layers - 1)]
        if self.normalization == 'layernorm':
            self.bn_params = [{} for i in range(self.num_layers - 1)]

        # Cast all parameters to the correct datatype
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        """
        Compute loss and gradient for the fully-connected net.

        Inputs:
        - X: Array of input data of shape (N, d_1, ..., d_k)
        - y: Array of labels, of shape (N,). y[i] gives the label for X[i].

        Returns:
        If y is None, then run a test-time forward pass of the model and return:
        - scores: Array of shape (N, C) giving classification scores, where
          scores[i, c] is the classification score for X[i] and class c.

        If y is not None, then run a training-time forward and backward pass and
        return a tuple of:
        - loss: Scalar value giving the loss
        - grads: Dictionary with the same keys as self.params, mapping parameter
          names to gradients of the loss with respect to those parameters (each
          of the same shape as the parameter).
        """
        X = X.astype(self.dtype)
        mode = 'test' if y is None else 'train'

        # Set train/test mode for batchnorm params and dropout param since they
        # behave differently during training and testing.
        if self.use_dropout:
            self.dropout_param['mode'] = mode
        if self.normalization == 'batchnorm':
            for bn_param in self.bn_params:
                bn_param['mode'] = mode
        scores = None

        # TODO: Implement the forward pass for the fully-connected net, computing
        # the class scores for X and storing them in the scores variable.
        #
        # When using dropout, you'll need to pass self.dropout_param to each
        # dropout forward pass.
        #
        # When using batch normalization, you'll need to pass self.bn_params[0] to
        # the forward pass for the first batch normalization layer, pass
        # self.bn_params[1] to the forward pass for the second batch normalization
        # layer, etc. Layer normalization uses self.bn_params the same way.
        ### BEGIN SOLUTION
        caches = []
        out = X
        for i in range(1, self.num_layers):
            W, b = self.params['W%d' % i], self.params['b%d' % i]
            if self.normalization is None:
                out, cache = affine_relu_forward(out, W, b)
            else:
                gamma, beta = self.params['gamma%d' % i], self.params['beta%d' % i]
                out, cache = affine_norm_relu_forward(out, W, b, gamma, beta,
                                                      self.bn_params[i - 1],
                                                      self.normalization)
            dropout_cache = None
            if self.use_dropout:
                out, dropout_cache = dropout_forward(out, self.dropout_param)
            caches.append((cache, dropout_cache))
        L = self.num_layers
        scores, last_cache = affine_forward(out, self.params['W%d' % L],
                                            self.params['b%d' % L])
        ### END SOLUTION

        # If test mode return early
        if mode == 'test':
            return scores

        loss, grads = 0.0, {}
        # TODO: Implement the backward pass for the fully-connected net. Store the
        # loss in the loss variable and gradients in the grads dictionary. Compute
        # data loss using softmax, and make sure that grads[k] holds the gradients
        # for self.params[k]. Don't forget to add L2 regularization on every
        # weight matrix W1, ..., WL (not on biases, gammas or betas)!
        #
        # When using batch/layer normalization, you don't need to regularize the
        # scale and shift parameters.
        #
        # NOTE: To ensure that your implementation matches ours and you pass the
        # automated tests, make sure that your L2 regularization includes a factor
        # of 0.5 to simplify the expression for the gradient.
        ### BEGIN SOLUTION
        L = self.num_layers
        loss, dscores = softmax_loss(scores, y)
        for i in range(1, L + 1):
            W = self.params['W%d' % i]
            loss += 0.5 * self.reg * np.sum(W * W)

        dout, dW, db = affine_backward(dscores, last_cache)
        grads['W%d' % L] = dW + self.reg * self.params['W%d' % L]
        grads['b%d' % L] = db
        for i in range(L - 1, 0, -1):
            cache, dropout_cache = caches[i - 1]
            if self.use_dropout:
                dout = dropout_backward(dout, dropout_cache)
            if self.normalization is None:
                dout, dW, db = affine_relu_backward(dout, cache)
            else:
                dout, dW, db, dgamma, dbeta = affine_norm_relu_backward(dout, cache)
                grads['gamma%d' % i] = dgamma
                grads['beta%d' % i] = dbeta
            grads['W%d' % i] = dW + self.reg * self.params['W%d' % i]
            grads['b%d' % i] = db
        ### END SOLUTION

        return loss, grads
