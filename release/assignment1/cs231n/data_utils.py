"""Data loading: CIFAR-10 from its standard python pickles, and the digits.

Two data sets, both as images of shape (N, H, W, C) with float64 pixel values
0..255 (channels last), so a notebook flattens either with X.reshape(N, -1):

* CIFAR-10 in the standard ``cifar-10-batches-py`` form (``data_batch_1`` ..
  ``data_batch_5`` and ``test_batch``; each a pickled dict whose ``data`` is a
  uint8 array of shape (N, 3072), channel-major rows of 32x32 images, and whose
  ``labels`` is a list of N ints). Nothing is downloaded: the directory must
  already exist.
* The handwritten digits that scikit-learn ships (1,797 labelled 8x8
  grey-level images with values 0..16), available offline.
"""
import os
import pickle

import numpy as np


def _get(d, key):
    """Look ``key`` up under its str or its bytes spelling.

    The real batches, read with encoding="latin1", have str keys; a copy
    re-saved from Python 3 after reading with encoding="bytes" has bytes keys.
    """
    if key in d:
        return d[key]
    bkey = key.encode("latin1")
    if bkey in d:
        return d[bkey]
    raise KeyError("CIFAR-10 batch has no %r entry (keys: %r)" % (key, list(d)))


def load_CIFAR_batch(filename):
    """
    Load a single batch of CIFAR-10.

    Inputs:
    - filename: Path of one pickled batch file (for instance data_batch_1).

    Returns a tuple of:
    - X: Array of shape (N, 32, 32, 3), dtype float64, values 0..255; N is
      10000 for the real files.
    - Y: Array of shape (N,) of int64 labels in 0..9.
    """
    with open(filename, "rb") as f:
        # The files are Python 2 pickles: their strings, keys and the raw
        # image bytes alike, are Python 2 str. latin1 maps each byte to one
        # character (Python 3's default, ASCII, fails on the image bytes) and
        # numpy turns such a str back into the array's bytes.
        datadict = pickle.load(f, encoding="latin1")
    X = np.asarray(_get(datadict, "data"))
    Y = np.asarray(_get(datadict, "labels"), dtype=np.int64)
    X = X.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).astype("float64")
    return X, Y


def load_CIFAR10(ROOT):
    """
    Load all of CIFAR-10.

    Inputs:
    - ROOT: Path of the cifar-10-batches-py directory.

    Returns a tuple of:
    - Xtr: Array of shape (N_train, 32, 32, 3), float64 (50000 for the real
      files): data_batch_1 .. data_batch_5 in order.
    - Ytr: Array of shape (N_train,) of int64 labels.
    - Xte: Array of shape (N_test, 32, 32, 3), float64: test_batch.
    - Yte: Array of shape (N_test,) of int64 labels.
    """
    xs = []
    ys = []
    for b in range(1, 6):
        f = os.path.join(ROOT, "data_batch_%d" % (b,))
        X, Y = load_CIFAR_batch(f)
        xs.append(X)
        ys.append(Y)
    Xtr = np.concatenate(xs)
    Ytr = np.concatenate(ys)
    del X, Y
    Xte, Yte = load_CIFAR_batch(os.path.join(ROOT, "test_batch"))
    return Xtr, Ytr, Xte, Yte


def get_digits_data(num_validation=300, num_test=300, seed=0):
    """
    Load the handwritten digits that scikit-learn ships (no download) and
    split them into train / validation / test sets.

    The images are returned like CIFAR-10's from load_CIFAR10: channels last,
    float64 pixel values from 0 to 255 (the digits' grey levels 0..16 times
    255 / 16), not mean-subtracted, so the notebooks preprocess them exactly
    as they preprocess CIFAR-10 (X.reshape(N, -1), subtract the mean image,
    append a bias column). The 1,797 images are split, stratified by class
    and seeded, into num_test test images, num_validation validation images
    and the rest (1,197 by default) for training: the same images as
    assignment 2's get_digits_data with the same seed.

    Inputs:
    - num_validation: Number of validation images.
    - num_test: Number of test images.
    - seed: Integer seed of the split; the same seed gives the same split.

    Returns a dict with:
    - 'X_train': (N_train, 8, 8, 1) float64, 'y_train': (N_train,) int64
    - 'X_val': (num_validation, 8, 8, 1) float64, 'y_val': (num_validation,)
    - 'X_test': (num_test, 8, 8, 1) float64, 'y_test': (num_test,)
    Labels are int64 in 0..9.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    X = (digits.images.astype(np.float64) * (255.0 / 16.0)).reshape(-1, 8, 8, 1)
    y = digits.target.astype(np.int64)
    idx = np.arange(X.shape[0])

    idx_rest, idx_test = train_test_split(
        idx, test_size=num_test, stratify=y, random_state=seed
    )
    idx_train, idx_val = train_test_split(
        idx_rest, test_size=num_validation, stratify=y[idx_rest], random_state=seed
    )

    return {
        "X_train": X[idx_train],
        "y_train": y[idx_train],
        "X_val": X[idx_val],
        "y_val": y[idx_val],
        "X_test": X[idx_test],
        "y_test": y[idx_test],
    }
