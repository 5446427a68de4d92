"""Image features: a histogram of oriented gradients (HOG) and a colour
histogram, and a helper that applies feature functions to a set of images.

Images are arrays of shape (H, W, 3) (RGB, like CIFAR-10's (32, 32, 3)), or
grey-level images of shape (H, W) or (H, W, 1) (like the digits' 8x8 images).
Every feature function takes one image and returns a 1-dimensional array.
"""
import numpy as np


def extract_features(imgs, feature_fns, verbose=False):
    """
    Given pixel data for images and several feature functions that can operate on
    single images, apply all feature functions to all images, concatenating the
    feature vectors for each image and storing the features for all images in
    a single matrix.

    Inputs:
    - imgs: N x H X W X C array of pixel data for N images (C = 3 for RGB,
      C = 1 for grey levels).
    - feature_fns: List of k feature functions. The ith feature function should
      take as input one image (imgs[n] with its axes of length 1 squeezed out:
      (H, W, 3) or (H, W)) and return a (one-dimensional) array of length F_i.
    - verbose: Boolean; if true, print progress.

    Returns:
    An array of shape (N, F_1 + ... + F_k) where each row is the concatenation
    of all features for a single image.
    """
    num_images = imgs.shape[0]
    if num_images == 0:
        return np.array([])

    # Use the first image to determine feature dimensions
    feature_dims = []
    first_image_features = []
    for feature_fn in feature_fns:
        feats = np.asarray(feature_fn(imgs[0].squeeze()))
        assert len(feats.shape) == 1, "Feature functions must be one-dimensional"
        feature_dims.append(feats.size)
        first_image_features.append(feats)

    # Now that we know the dimensions of the features, we can allocate a single
    # big array to store all features as rows.
    total_feature_dim = sum(feature_dims)
    imgs_features = np.zeros((num_images, total_feature_dim))
    imgs_features[0] = np.hstack(first_image_features)

    # Extract features for the rest of the images.
    for i in range(1, num_images):
        idx = 0
        for feature_fn, feature_dim in zip(feature_fns, feature_dims):
            next_idx = idx + feature_dim
            imgs_features[i, idx:next_idx] = feature_fn(imgs[i].squeeze())
            idx = next_idx
        if verbose and i % 1000 == 999:
            print("Done extracting features for %d / %d images" % (i + 1, num_images))

    return imgs_features


def rgb2gray(rgb):
    """Convert RGB image to grayscale (ITU-R BT.601 luma weights).

    Parameters:
      rgb : RGB image, array of shape (H, W, 3) (or (..., 3))
    Returns:
      gray : grayscale image, array of shape (H, W): 0.299 R + 0.587 G + 0.114 B
    """
    return np.dot(rgb[..., :3], [0.299, 0.587, 0.114])


def _grey_image(im):
    """An image as a 2-D float array: RGB (H, W, 3) through rgb2gray, grey
    levels (H, W) or (H, W, 1) as they are."""
    im = np.asarray(im, dtype=np.float64)
    if im.ndim == 3 and im.shape[2] == 1:
        return im[:, :, 0]
    if im.ndim == 3:
        return rgb2gray(im)
    return np.atleast_2d(im)


def hog_feature(im, pixels_per_cell=8, orientations=9):
    """Compute Histogram of Gradient (HOG) feature for an image

    The image is cut into square cells of pixels_per_cell x pixels_per_cell
    pixels (pixels past the last whole cell are dropped). The gradient at each
    pixel is the forward difference to its right and lower neighbour (0 on the
    last column / row). Its orientation, taken without sign in [0, 180)
    degrees, falls into one of `orientations` equal bins; each cell's feature
    is, per bin, the sum of the gradient magnitudes of its pixels in that bin
    divided by the number of pixels in the cell. There is no block
    normalization.

    Modified from skimage.feature.hog
    Reference:
      Histograms of Oriented Gradients for Human Detection
      Navneet Dalal and Bill Triggs, CVPR 2005

    Parameters:
      im : an input grayscale image of shape (H, W) or (H, W, 1), or an RGB
        image of shape (H, W, 3) (converted with rgb2gray)
      pixels_per_cell : side of a cell in pixels (8 for CIFAR-10's 32x32
        images; 2 or 4 for the digits' 8x8 images)
      orientations : number of orientation bins
    Returns:
      feat: Histogram of Gradient (HOG) feature, a 1-D array of length
        (H // pixels_per_cell) * (W // pixels_per_cell) * orientations:
        cells in row-major order, the bins of one cell together
    """
    image = _grey_image(im)
    sy, sx = image.shape  # image size: rows, columns
    c = int(pixels_per_cell)
    n_cellsy, n_cellsx = sy // c, sx // c  # number of whole cells
    if n_cellsy == 0 or n_cellsx == 0:
        raise ValueError("a %dx%d image has no whole %dx%d cell" % (sy, sx, c, c))

    gx = np.zeros(image.shape)
    gy = np.zeros(image.shape)
    gx[:, :-1] = np.diff(image, n=1, axis=1)  # compute gradient on x-direction
    gy[:-1, :] = np.diff(image, n=1, axis=0)  # compute gradient on y-direction
    grad_mag = np.sqrt(gx ** 2 + gy ** 2)  # gradient magnitude
    grad_ori = np.rad2deg(np.arctan2(gy, gx)) % 180.0  # unsigned orientation
    # orientation bin of every pixel; % can round a tiny negative angle up to
    # exactly 180, which belongs to the last bin
    bins = np.minimum((grad_ori * (orientations / 180.0)).astype(np.int64),
                      orientations - 1)

    # sum the magnitudes of each (cell, bin) pair over the whole cells
    rows = np.arange(n_cellsy * c) // c
    cols = np.arange(n_cellsx * c) // c
    cell = rows[:, np.newaxis] * n_cellsx + cols[np.newaxis, :]
    flat = cell * orientations + bins[: n_cellsy * c, : n_cellsx * c]
    hist = np.bincount(flat.ravel(),
                       weights=grad_mag[: n_cellsy * c, : n_cellsx * c].ravel(),
                       minlength=n_cellsy * n_cellsx * orientations)
    return hist / (c * c)


def rgb_to_hue(rgb):
    """Hue of RGB colours, as matplotlib.colors.rgb_to_hsv computes it.

    Inputs:
    - rgb: array of shape (..., 3), values in [0, 1]

    Returns:
    - hue: array of shape (...), values in [0, 1); 0 for greys (R = G = B)
    """
    rgb = np.asarray(rgb, dtype=np.float64)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    maxc = np.max(rgb, axis=-1)
    delta = maxc - np.min(rgb, axis=-1)
    coloured = delta > 0
    safe = np.where(coloured, delta, 1.0)
    hue = np.zeros(maxc.shape)
    # the later assignments win where two channels share the maximum
    idx = (r == maxc) & coloured
    hue[idx] = ((g - b) / safe)[idx]
    idx = (g == maxc) & coloured
    hue[idx] = (2.0 + (b - r) / safe)[idx]
    idx = (b == maxc) & coloured
    hue[idx] = (4.0 + (r - g) / safe)[idx]
    return (hue / 6.0) % 1.0


def color_histogram_hsv(im, nbin=10, xmin=0, xmax=255, normalized=True):
    """
    Compute color histogram for an image using hue.

    For an RGB image the histogram is over the hue (HSV's H, scaled from
    [0, 1) to [0, xmax)). A grey-level image has no hue (every pixel's hue is
    0), so for it the histogram is over the grey levels themselves (HSV's V:
    the pixel values).

    Inputs:
    - im: H x W x 3 array of pixel data for an RGB image, or H x W (or
      H x W x 1) for a grey-level image; values in [xmin, xmax].
    - nbin: Number of histogram bins. (default: 10)
    - xmin: Minimum pixel value (default: 0)
    - xmax: Maximum pixel value (default: 255; 16 for the raw digits)
    - normalized: Whether to normalize the histogram (default: True)

    Returns:
      1D vector of length nbin: the histogram of the hue (RGB) or of the grey
      levels, over nbin equal bins from xmin to xmax; the fraction of the
      pixels in each bin (summing to 1) if normalized, else the counts.
    """
    im = np.asarray(im, dtype=np.float64)
    bins = np.linspace(xmin, xmax, nbin + 1)
    if im.ndim == 3 and im.shape[2] == 3:
        values = rgb_to_hue(im / xmax) * xmax
    else:
        values = _grey_image(im)
    imhist, bin_edges = np.histogram(values, bins=bins)
    imhist = imhist.astype(np.float64)
    if normalized and imhist.sum() > 0:
        imhist /= imhist.sum()

    # return histogram
    return imhist
