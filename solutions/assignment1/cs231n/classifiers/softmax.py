"""The softmax (cross-entropy) loss of a linear classifier and its gradient.

Scores are X.dot(W): W of shape (D, C), a minibatch X of shape (N, D), labels y
of shape (N,). The loss is the cross-entropy of the softmax probabilities,
averaged over the N examples, plus the L2 regularization reg * np.sum(W * W).

No function here changes its inputs in place (X, W, y, the training data,
the params): compute new arrays instead; the hidden tests check it.
"""
import numpy as np


def softmax_loss_naive(W, X, y, reg):
    """
    Softmax loss function, naive implementation (with loops)

    Inputs have dimension D, there are C classes, and we operate on minibatches
    of N examples.

        L = -1/N sum_i log(exp(s[i, y[i]]) / sum_j exp(s[i, j]))
            + reg * sum(W * W),    with s = X.dot(W).

    Inputs:
    - W: A numpy array of shape (D, C) containing weights.
    - X: A numpy array of shape (N, D) containing a minibatch of data.
    - y: A numpy array of shape (N,) containing training labels; y[i] = c means
      that X[i] has label c, where 0 <= c < C.
    - reg: (float) regularization strength

    Returns a tuple of:
    - loss as single float
    - gradient with respect to weights W; an array of same shape as W, (D, C)
    """
    # Initialize the loss and gradient to zero.
    loss = 0.0
    dW = np.zeros_like(W)

    # TODO: Compute the softmax loss and its gradient using explicit loops.
    # Store the loss in loss and the gradient in dW. If you are not careful
    # here, it is easy to run into numeric instability: shift the scores so
    # that large scores do not overflow (subtract each example's largest
    # score before exponentiating; the probabilities do not change). Don't
    # forget the regularization!
    ### BEGIN SOLUTION
    num_train = X.shape[0]
    num_classes = W.shape[1]
    for i in range(num_train):
        scores = X[i].dot(W)
        scores = scores - np.max(scores)  # shift for numeric stability
        exp_scores = np.exp(scores)
        sum_exp = np.sum(exp_scores)
        loss += np.log(sum_exp) - scores[y[i]]
        for j in range(num_classes):
            p = exp_scores[j] / sum_exp
            dW[:, j] += (p - (j == y[i])) * X[i]
    loss /= num_train
    dW /= num_train
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    ### END SOLUTION

    return loss, dW


def softmax_loss_vectorized(W, X, y, reg):
    """
    Softmax loss function, vectorized version: no Python loop over the
    examples (nor over the classes).

    Inputs and outputs are the same as softmax_loss_naive: W (D, C), X (N, D),
    y (N,), reg a float; returns loss (a float) and dW of shape (D, C).
    Vectorized, it runs at least 10 times faster than softmax_loss_naive on large
    minibatches (the hidden tests time it on thousands of examples).
    """
    # Initialize the loss and gradient to zero.
    loss = 0.0
    dW = np.zeros_like(W)

    # TODO: Compute the softmax loss and its gradient using no explicit loops.
    # Store the loss in loss and the gradient in dW. If you are not careful
    # here, it is easy to run into numeric instability: shift the scores so
    # that large scores do not overflow. Don't forget the regularization!
    ### BEGIN SOLUTION
    num_train = X.shape[0]
    rows = np.arange(num_train)
    scores = X.dot(W)
    scores = scores - np.max(scores, axis=1, keepdims=True)  # numeric stability
    log_probs = scores - np.log(np.sum(np.exp(scores), axis=1, keepdims=True))
    loss = -np.sum(log_probs[rows, y]) / num_train + reg * np.sum(W * W)
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1
    dW = X.T.dot(dscores) / num_train + 2 * reg * W
    ### END SOLUTION

    return loss, dW
