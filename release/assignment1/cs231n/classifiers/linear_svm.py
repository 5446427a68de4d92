"""The multiclass (structured) SVM loss of a linear classifier and its gradient.

Scores are X.dot(W): W of shape (D, C), a minibatch X of shape (N, D), labels y
of shape (N,). The loss is the hinge loss with margin delta = 1, averaged over
the N examples, plus the L2 regularization reg * np.sum(W * W).

No function here changes its inputs in place (X, W, y, the training data,
the params): compute new arrays instead; the hidden tests check it.
"""
import numpy as np


def svm_loss_naive(W, X, y, reg):
    """
    Structured SVM loss function, naive implementation (with loops).

    Inputs have dimension D, there are C classes, and we operate on minibatches
    of N examples.

        L = 1/N sum_i sum_{j != y[i]} max(0, s[i, j] - s[i, y[i]] + 1)
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
    dW = np.zeros(W.shape)  # initialize the gradient as zero

    # compute the loss and the gradient
    num_classes = W.shape[1]
    num_train = X.shape[0]
    loss = 0.0
    for i in range(num_train):
        scores = X[i].dot(W)
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1  # note delta = 1
            if margin > 0:
                loss += margin
                # TODO: This margin adds to the loss. Add its contribution to
                # the gradient dW: how does the margin change with the scores
                # of class j and of the correct class y[i], and how do those
                # scores change with the columns of W?
                raise NotImplementedError("svm_loss_naive is not implemented yet (cs231n/classifiers/linear_svm.py)")

    # Right now the loss is a sum over all training examples, but we want it
    # to be an average instead so we divide by num_train.
    loss /= num_train

    # Add regularization to the loss.
    loss += reg * np.sum(W * W)

    # TODO: Finish the gradient dW: like the loss, average it over the
    # num_train examples, and add the gradient of the regularization term
    # reg * np.sum(W * W).
    raise NotImplementedError("svm_loss_naive is not implemented yet (cs231n/classifiers/linear_svm.py)")

    return loss, dW


def svm_loss_vectorized(W, X, y, reg):
    """
    Structured SVM loss function, vectorized implementation: no Python loop
    over the examples (nor over the classes).

    Inputs and outputs are the same as svm_loss_naive: W (D, C), X (N, D),
    y (N,), reg a float; returns loss (a float) and dW of shape (D, C).
    Vectorized, it runs at least 10 times faster than svm_loss_naive on large
    minibatches (the hidden tests time it on thousands of examples).
    """
    loss = 0.0
    dW = np.zeros(W.shape)  # initialize the gradient as zero

    # TODO: Implement a vectorized version of the structured SVM loss, storing
    # the result in loss. Use no loop over the examples.
    raise NotImplementedError("svm_loss_vectorized is not implemented yet (cs231n/classifiers/linear_svm.py)")

    # TODO: Implement a vectorized version of the gradient for the structured
    # SVM loss, storing the result in dW.
    #
    # Hint: Instead of computing the gradient from scratch, it may be easier
    # to reuse some of the intermediate values that you used to compute the
    # loss.
    raise NotImplementedError("svm_loss_vectorized is not implemented yet (cs231n/classifiers/linear_svm.py)")

    return loss, dW
