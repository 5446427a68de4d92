"""First-order update rules commonly used to train neural networks.

Each update rule has the same interface::

    def update(w, dw, config=None):
        ...
        return next_w, config

Inputs:
  - w: A numpy array giving the current weights (any shape).
  - dw: A numpy array of the same shape as w giving the gradient of the loss
    with respect to w.
  - config: A dictionary containing hyperparameter values such as learning
    rate, momentum, etc. If the update rule requires caching values over many
    iterations, then config will also hold these cached values.

Returns:
  - next_w: The next point after the update, same shape as w.
  - config: The config dictionary to be passed to the next iteration of the
    update rule.

NOTE: For most update rules, the default learning rate will probably not
perform well; however the default values of the other hyperparameters should
work well for a variety of different problems.

No update rule modifies ``w`` or ``dw`` in place: always build ``next_w`` (and
any new state such as the velocity) as new arrays.

For efficiency, update rules may perform in-place updates of their own state
arrays stored in ``config``, but the reference versions do not.
"""
import numpy as np


def sgd(w, dw, config=None):
    """
    Performs vanilla stochastic gradient descent.

    config format:
    - learning_rate: Scalar learning rate.

    Inputs:
    - w: Array of weights, of any shape.
    - dw: Array of the same shape as w: the gradient of the loss on w.
    - config: dict as above (or None for the defaults).

    Returns a tuple of:
    - next_w: Array of the same shape as w.
    - config: The updated config dict.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)

    next_w = w - config["learning_rate"] * dw
    return next_w, config


def sgd_momentum(w, dw, config=None):
    """
    Performs stochastic gradient descent with momentum.

    config format:
    - learning_rate: Scalar learning rate.
    - momentum: Scalar between 0 and 1 giving the momentum value.
      Setting momentum = 0 reduces to sgd.
    - velocity: A numpy array of the same shape as w and dw used to store a
      moving average of the gradients.

    Inputs:
    - w: Array of weights, of any shape.
    - dw: Array of the same shape as w: the gradient of the loss on w.
    - config: dict as above (or None for the defaults).

    Returns a tuple of:
    - next_w: Array of the same shape as w.
    - config: The updated config dict; config['velocity'] has the shape of w.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))

    next_w = None
    # TODO: Implement the momentum update formula. Store the updated value in
    # the next_w variable. You should also use and update the velocity v:
    #     v = momentum * v - learning_rate * dw
    #     next_w = w + v
    # Do not modify w or dw in place.
    ### BEGIN SOLUTION
    v = config["momentum"] * v - config["learning_rate"] * dw
    next_w = w + v
    ### END SOLUTION
    config["velocity"] = v

    return next_w, config


def nesterov_momentum(w, dw, config=None):
    """
    Performs stochastic gradient descent with Nesterov momentum, in the form
    of the CS231n course notes (the update is expressed in terms of the
    current weights rather than the look-ahead point).

    config format:
    - learning_rate: Scalar learning rate.
    - momentum: Scalar between 0 and 1 giving the momentum value.
    - velocity: A numpy array of the same shape as w and dw.

    Inputs:
    - w: Array of weights, of any shape.
    - dw: Array of the same shape as w: the gradient of the loss on w.
    - config: dict as above (or None for the defaults).

    Returns a tuple of:
    - next_w: Array of the same shape as w.
    - config: The updated config dict; config['velocity'] has the shape of w.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))

    next_w = None
    # TODO: Implement the Nesterov momentum update of the course notes:
    #     v_prev = v
    #     v = momentum * v - learning_rate * dw
    #     next_w = w - momentum * v_prev + (1 + momentum) * v
    # Store the new velocity in v and the updated weights in next_w.
    # Do not modify w or dw in place.
    ### BEGIN SOLUTION
    mu = config["momentum"]
    v_prev = v
    v = mu * v - config["learning_rate"] * dw
    next_w = w - mu * v_prev + (1 + mu) * v
    ### END SOLUTION
    config["velocity"] = v

    return next_w, config


def adagrad(w, dw, config=None):
    """
    Uses the Adagrad update rule, which scales the learning rate of each
    parameter by the inverse square root of the sum of its squared gradients.

    config format:
    - learning_rate: Scalar learning rate.
    - epsilon: Small scalar used for smoothing to avoid dividing by zero.
    - cache: Array of the same shape as w: the sum of squared gradients.

    Inputs:
    - w: Array of weights, of any shape.
    - dw: Array of the same shape as w: the gradient of the loss on w.
    - config: dict as above (or None for the defaults).

    Returns a tuple of:
    - next_w: Array of the same shape as w.
    - config: The updated config dict; config['cache'] has the shape of w.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))

    next_w = None
    # TODO: Implement the Adagrad update formula:
    #     cache = cache + dw ** 2
    #     next_w = w - learning_rate * dw / (sqrt(cache) + epsilon)
    # Store the new cache in config['cache'] and the weights in next_w.
    # Do not modify w or dw in place.
    ### BEGIN SOLUTION
    cache = config["cache"] + dw ** 2
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    config["cache"] = cache
    ### END SOLUTION

    return next_w, config


def rmsprop(w, dw, config=None):
    """
    Uses the RMSProp update rule, which uses a moving average of squared
    gradient values to set adaptive per-parameter learning rates.

    config format:
    - learning_rate: Scalar learning rate.
    - decay_rate: Scalar between 0 and 1 giving the decay rate for the squared
      gradient cache.
    - epsilon: Small scalar used for smoothing to avoid dividing by zero.
    - cache: Moving average of second moments of gradients, same shape as w.

    Inputs:
    - w: Array of weights, of any shape.
    - dw: Array of the same shape as w: the gradient of the loss on w.
    - config: dict as above (or None for the defaults).

    Returns a tuple of:
    - next_w: Array of the same shape as w.
    - config: The updated config dict; config['cache'] has the shape of w.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))

    next_w = None
    # TODO: Implement the RMSprop update formula, storing the next value of w
    # in the next_w variable. Don't forget to update the cache value stored in
    # config['cache']:
    #     cache = decay_rate * cache + (1 - decay_rate) * dw ** 2
    #     next_w = w - learning_rate * dw / (sqrt(cache) + epsilon)
    # Do not modify w or dw in place.
    ### BEGIN SOLUTION
    decay = config["decay_rate"]
    cache = decay * config["cache"] + (1 - decay) * dw ** 2
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    config["cache"] = cache
    ### END SOLUTION

    return next_w, config


def adam(w, dw, config=None):
    """
    Uses the Adam update rule, which incorporates moving averages of both the
    gradient and its square and a bias correction term.

    config format:
    - learning_rate: Scalar learning rate.
    - beta1: Decay rate for moving average of first moment of gradient.
    - beta2: Decay rate for moving average of second moment of gradient.
    - epsilon: Small scalar used for smoothing to avoid dividing by zero.
    - m: Moving average of gradient, same shape as w.
    - v: Moving average of squared gradient, same shape as w.
    - t: Iteration number (an int).

    Inputs:
    - w: Array of weights, of any shape.
    - dw: Array of the same shape as w: the gradient of the loss on w.
    - config: dict as above (or None for the defaults).

    Returns a tuple of:
    - next_w: Array of the same shape as w.
    - config: The updated config dict; config['m'] and config['v'] have the
      shape of w, config['t'] is one more than before.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)

    next_w = None
    # TODO: Implement the Adam update formula, storing the next value of w in
    # the next_w variable. Don't forget to update the m, v, and t variables
    # stored in config.
    #
    # NOTE: In order to match the reference output, please modify t _before_
    # using it in any calculations:
    #     t = t + 1
    #     m = beta1 * m + (1 - beta1) * dw
    #     v = beta2 * v + (1 - beta2) * dw ** 2
    #     m_hat = m / (1 - beta1 ** t);  v_hat = v / (1 - beta2 ** t)
    #     next_w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)
    # Do not modify w or dw in place.
    ### BEGIN SOLUTION
    beta1, beta2 = config["beta1"], config["beta2"]
    t = config["t"] + 1
    m = beta1 * config["m"] + (1 - beta1) * dw
    v = beta2 * config["v"] + (1 - beta2) * dw ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    config["t"], config["m"], config["v"] = t, m, v
    ### END SOLUTION

    return next_w, config
