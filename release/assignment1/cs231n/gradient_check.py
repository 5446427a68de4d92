"""Numeric gradients by centred differences, for checking analytic gradients.

All functions evaluate ``f`` at ``x + h`` and ``x - h`` one coordinate at a time
and return ``(f(x + h) - f(x - h)) / (2 h)``; ``x`` is restored after each
coordinate, so on return it holds its original values.
"""
from random import randrange

import numpy as np


def eval_numerical_gradient(f, x, verbose=True, h=0.00001):
    """
    A naive implementation of the numerical gradient of f at x.

    Inputs:
    - f: A function that takes a single argument (an array of the shape of x)
      and returns a scalar.
    - x: Array of any shape: the point to evaluate the gradient at. It is
      perturbed in place during the computation and restored afterwards.
    - verbose: If True, print every coordinate and its gradient.
    - h: Step size of the centred difference.

    Returns:
    - grad: Array of the shape of x, the numeric gradient of f at x.
    """
    grad = np.zeros_like(x)
    # iterate over all indexes in x
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        # evaluate function at x+h
        ix = it.multi_index
        oldval = x[ix]
        x[ix] = oldval + h  # increment by h
        fxph = f(x)  # evaluate f(x + h)
        x[ix] = oldval - h
        fxmh = f(x)  # evaluate f(x - h)
        x[ix] = oldval  # restore

        # compute the partial derivative with centered formula
        grad[ix] = (fxph - fxmh) / (2 * h)  # the slope
        if verbose:
            print(ix, grad[ix])
        it.iternext()  # step to next dimension

    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """
    Evaluate a numeric gradient for a function that accepts a numpy array and
    returns a numpy array, contracted with an upstream gradient.

    Inputs:
    - f: A function taking an array of the shape of x and returning an array
      of the shape of df.
    - x: Array of any shape: the point to evaluate at (restored on return).
    - df: Array of the shape of f(x): the upstream gradient.
    - h: Step size of the centred difference.

    Returns:
    - grad: Array of the shape of x, sum((f(x+h) - f(x-h)) * df) / (2h) for
      each coordinate.
    """
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        ix = it.multi_index

        oldval = x[ix]
        x[ix] = oldval + h
        pos = f(x).copy()
        x[ix] = oldval - h
        neg = f(x).copy()
        x[ix] = oldval

        grad[ix] = np.sum((pos - neg) * df) / (2 * h)
        it.iternext()
    return grad


def eval_numerical_gradient_blobs(f, inputs, output, h=1e-5):
    """
    Compute numeric gradients for a function that operates on input and output
    blobs.

    We assume that f accepts several input blobs as arguments, followed by a
    blob where outputs will be written. For example, f might be called like:

    f(x, w, out)

    where x and w are input Blobs, and the result of f will be written to out.

    A blob is any object with two array attributes: ``vals`` (the values) and
    ``diffs`` (the upstream gradient, for ``output``; filled in here for the
    inputs).

    Inputs:
    - f: function
    - inputs: tuple of input blobs
    - output: output blob
    - h: step size

    Returns:
    - numeric_diffs: list of arrays, one per input blob, each of the shape of
      that blob's vals.
    """
    numeric_diffs = []
    for input_blob in inputs:
        diff = np.zeros_like(input_blob.diffs)
        it = np.nditer(input_blob.vals, flags=["multi_index"], op_flags=["readwrite"])
        while not it.finished:
            idx = it.multi_index
            orig = input_blob.vals[idx]

            input_blob.vals[idx] = orig + h
            f(*(inputs + (output,)))
            pos = np.copy(output.vals)
            input_blob.vals[idx] = orig - h
            f(*(inputs + (output,)))
            neg = np.copy(output.vals)
            input_blob.vals[idx] = orig

            diff[idx] = np.sum((pos - neg) * output.diffs) / (2.0 * h)

            it.iternext()
        numeric_diffs.append(diff)
    return numeric_diffs


def eval_numerical_gradient_net(net, inputs, output, h=1e-5):
    """Numeric gradients for a net of blobs: ``net.forward()`` fills output."""
    return eval_numerical_gradient_blobs(
        lambda *args: net.forward(), inputs, output, h=h
    )


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, seed=None):
    """
    Sample a few random elements and only check the numeric gradient in those
    dimensions; print the numeric and analytic values and their relative
    error.

    Inputs:
    - f: A function taking an array of the shape of x, returning a scalar.
    - x: Array of any shape (restored on return).
    - analytic_grad: Array of the shape of x.
    - num_checks: How many random coordinates to check.
    - h: Step size of the centred difference.
    - seed: Optional seed for the choice of coordinates.

    Returns:
    - rel_errors: list of the num_checks relative errors that were printed.
    """
    rng = np.random.default_rng(seed) if seed is not None else None
    rel_errors = []
    for _ in range(num_checks):
        if rng is None:
            ix = tuple(randrange(m) for m in x.shape)
        else:
            ix = tuple(int(rng.integers(m)) for m in x.shape)

        oldval = x[ix]
        x[ix] = oldval + h  # increment by h
        fxph = f(x)  # evaluate f(x + h)
        x[ix] = oldval - h  # increment by h
        fxmh = f(x)  # evaluate f(x - h)
        x[ix] = oldval  # reset

        grad_numerical = (fxph - fxmh) / (2 * h)
        grad_analytic = analytic_grad[ix]
        denom = abs(grad_numerical) + abs(grad_analytic)
        rel_error = abs(grad_numerical - grad_analytic) / denom if denom > 0 else 0.0
        rel_errors.append(rel_error)
        print(
            "numerical: %f analytic: %f, relative error: %e"
            % (grad_numerical, grad_analytic, rel_error)
        )
    return rel_errors
