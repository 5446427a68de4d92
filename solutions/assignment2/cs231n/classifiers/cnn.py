"""ThreeLayerConvNet: conv - relu - 2x2 max pool - affine - relu - affine -
softmax, built from the fast layers in ``cs231n.fast_layers`` and the
sandwich layers in ``cs231n.layer_utils``.

Inputs are minibatches X of shape (N, C, H, W); ``loss(X)`` returns class
scores of shape (N, num_classes) and ``loss(X, y)`` returns the loss and a
dict of gradients, one per parameter.
"""
import numpy as np

from ..layers import *
from ..fast_layers import *
from ..layer_utils import *


class ThreeLayerConvNet:
    """
    A three-layer convolutional network with the following architecture:

    conv - relu - 2x2 max pool - affine - relu - affine - softmax

    The network operates on minibatches of data that have shape (N, C, H, W)
    consisting of N images, each with height H and width W and with C input
    channels.

    Learnable parameters are stored in the self.params dictionary:
    - 'W1': convolution filters, of shape (F, C, filter_size, filter_size)
      where F = num_filters
    - 'b1': convolution biases, of shape (F,)
    - 'W2': hidden affine weights, of shape (F * (H // 2) * (W // 2), hidden_dim)
    - 'b2': hidden affine biases, of shape (hidden_dim,)
    - 'W3': output affine weights, of shape (hidden_dim, num_classes)
    - 'b3': output affine biases, of shape (num_classes,)

    Besides its own tests, ThreeLayerConvNet(input_dim=(1, 8, 8), num_filters=8,
    filter_size=3, hidden_dim=64, weight_scale=1e-1, reg=1e-3) is trained with
    the Solver (update_rule='adam', learning_rate=5e-3, 5 epochs, batch_size=50)
    on the digits and must reach 85% accuracy on held-out digits.
    """

    def __init__(self, input_dim=(3, 32, 32), num_filters=32, filter_size=7,
                 hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0,
                 dtype=np.float32):
        """
        Initialize a new network.

        Inputs:
        - input_dim: Tuple (C, H, W) giving size of input data
        - num_filters: Number of filters F to use in the convolutional layer
        - filter_size: Width/height of filters to use in the convolutional layer
          (odd, so that the 'same' padding (filter_size - 1) // 2 keeps H and W)
        - hidden_dim: Number of units to use in the fully-connected hidden layer
        - num_classes: Number of scores to produce from the final affine layer.
        - weight_scale: Scalar giving standard deviation for random initialization
          of weights.
        - reg: Scalar giving L2 regularization strength
        - dtype: numpy datatype to use for computation.
        """
        self.params = {}
        self.reg = reg
        self.dtype = dtype

        # TODO: Initialize weights and biases for the three-layer convolutional
        # network. Weights should be initialized from a Gaussian centered at 0.0
        # with standard deviation equal to weight_scale; biases should be
        # initialized to zero. All weights and biases should be stored in the
        # dictionary self.params. Store weights and biases for the convolutional
        # layer using the keys 'W1' and 'b1'; use keys 'W2' and 'b2' for the
        # weights and biases of the hidden affine layer, and keys 'W3' and 'b3'
        # for the weights and biases of the output affine layer.
        #
        # IMPORTANT: For this assignment, you can assume that the padding
        # and stride of the first convolutional layer are chosen so that
        # **the width and height of the input are preserved**. Take a look at
        # the start of the loss() function to see how that happens.
        ### BEGIN SOLUTION
        C, H, W = input_dim
        F = num_filters
        self.params['W1'] = weight_scale * np.random.randn(F, C, filter_size, filter_size)
        self.params['b1'] = np.zeros(F)
        pooled_dim = F * (H // 2) * (W // 2)
        self.params['W2'] = weight_scale * np.random.randn(pooled_dim, hidden_dim)
        self.params['b2'] = np.zeros(hidden_dim)
        self.params['W3'] = weight_scale * np.random.randn(hidden_dim, num_classes)
        self.params['b3'] = np.zeros(num_classes)
        ### END SOLUTION

        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        """
        Evaluate loss and gradient for the three-layer convolutional network.

        Inputs:
        - X: Array of input data of shape (N, C, H, W)
        - y: Array of labels, of shape (N,). y[i] gives the label for X[i].

        Returns:
        If y is None, then run a test-time forward pass of the model and return:
        - scores: Array of shape (N, num_classes) giving classification scores.

        If y is not None, then run a training-time forward and backward pass and
        return a tuple of:
        - loss: Scalar value giving the loss
        - grads: Dictionary with the same keys as self.params, mapping parameter
          names to gradients of the loss with respect to those parameters.
        """
        X = X.astype(self.dtype)
        W1, b1 = self.params['W1'], self.params['b1']
        W2, b2 = self.params['W2'], self.params['b2']
        W3, b3 = self.params['W3'], self.params['b3']

        # pass conv_param to the forward pass for the convolutional layer
        # Padding and stride chosen to preserve the input spatial size
        filter_size = W1.shape[2]
        conv_param = {'stride': 1, 'pad': (filter_size - 1) // 2}

        # pass pool_param to the forward pass for the max-pooling layer
        pool_param = {'pool_height': 2, 'pool_width': 2, 'stride': 2}

        scores = None
        # TODO: Implement the forward pass for the three-layer convolutional net,
        # computing the class scores for X and storing them in the scores
        # variable.
        #
        # Remember you can use the functions defined in cs231n/fast_layers.py and
        # cs231n/layer_utils.py in your implementation (already imported).
        ### BEGIN SOLUTION
        out1, cache1 = conv_relu_pool_forward(X, W1, b1, conv_param, pool_param)
        out2, cache2 = affine_relu_forward(out1, W2, b2)
        scores, cache3 = affine_forward(out2, W3, b3)
        ### END SOLUTION

        if y is None:
            return scores

        loss, grads = 0, {}
        # TODO: Implement the backward pass for the three-layer convolutional net,
        # storing the loss and gradients in the loss and grads variables. Compute
        # data loss using softmax, and make sure that grads[k] holds the gradients
        # for self.params[k]. Don't forget to add L2 regularization on W1, W2
        # and W3!
        #
        # NOTE: To ensure that your implementation matches ours and you pass the
        # automated tests, make sure that your L2 regularization includes a factor
        # of 0.5 to simplify the expression for the gradient.
        ### BEGIN SOLUTION
        loss, dscores = softmax_loss(scores, y)
        loss += 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2) + np.sum(W3 * W3))

        dout2, dW3, db3 = affine_backward(dscores, cache3)
        dout1, dW2, db2 = affine_relu_backward(dout2, cache2)
        _, dW1, db1 = conv_relu_pool_backward(dout1, cache1)

        grads['W1'] = dW1 + self.reg * W1
        grads['b1'] = db1
        grads['W2'] = dW2 + self.reg * W2
        grads['b2'] = db2
        grads['W3'] = dW3 + self.reg * W3
        grads['b3'] = db3
        ### END SOLUTION

        return loss, grads
