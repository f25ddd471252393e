"""Data augmentation: more training images from the ones we have, by shifting each a pixel or two (08).

A digit moved one pixel to the left is still the same digit, but to the
network's 784 inputs it is a new sample. Training on randomly shifted copies
(new shifts every epoch) makes over-fitting harder: the network cannot learn
each training image pixel by pixel. Validation and test images stay as they are.
The :func:`bpcourse.core.training.fit` callback :class:`Augment` calls
``shift_images(X_train, rng)`` once per epoch with fit's own generator::

    fit(network, X_train, T_train, ..., callbacks=[Augment(shift_images)])

or, for another largest shift, ``Augment(functools.partial(shift_images, max_shift=2))``.
"""

import numpy as np

from bpcourse.core.validation import as_array, check_finite, check_seed

__all__ = ["IMAGE_SHAPE", "Augment", "shift_images"]

IMAGE_SHAPE = (28, 28)  # height and width of an MNIST image; flattened, one row of 784 values


def shift_images(X, rng, max_shift=1, image_shape=IMAGE_SHAPE):
    """Each flattened image moved by its own random whole-pixel shift, the uncovered border filled with 0.

    X: (N, height * width), one flattened ``image_shape`` image per row, background 0. Pixel (r, c)
    goes to (r + dy, c + dx), dy and dx drawn by ``rng`` uniformly from -max_shift .. max_shift;
    ink pushed over the border is lost. Returns a new array of X's shape and dtype.
    """
    rng = check_seed(rng, "rng")
    if not (isinstance(image_shape, tuple) and len(image_shape) == 2
            and all(isinstance(n, int) and n > 0 for n in image_shape)):
        raise ValueError(f"expected image_shape to be a pair of positive ints (height, width), got {image_shape!r}")
    height, width = image_shape
    if not (isinstance(max_shift, (int, np.integer)) and not isinstance(max_shift, bool)
            and 0 <= max_shift < min(height, width)):
        raise ValueError(f"expected max_shift to be an int from 0 to {min(height, width) - 1} (pixels), "
                         f"got {max_shift!r}")
    X = as_array(X, "X")
    if X.ndim != 2 or X.shape[1] != height * width:
        image_stack = X.ndim == 3 and X.shape[1:] == image_shape
        raise ValueError(f"expected X of shape (N, {height * width}), one flattened {height} x {width} image per "
                         f"row, got shape {X.shape}"
                         + (": flatten them with X.reshape(len(X), -1)" if image_stack else ""))
    images = X.reshape(len(X), height, width)
    shifted = np.zeros_like(images)
    shifts = rng.integers(-max_shift, max_shift + 1, size=(len(X), 2))
    for dy in range(-max_shift, max_shift + 1):
        for dx in range(-max_shift, max_shift + 1):
            rows = np.flatnonzero((shifts[:, 0] == dy) & (shifts[:, 1] == dx))
            if rows.size:
                shifted[rows, max(dy, 0):height + min(dy, 0), max(dx, 0):width + min(dx, 0)] = \
                    images[rows, max(-dy, 0):height + min(-dy, 0), max(-dx, 0):width + min(-dx, 0)]
    return shifted.reshape(X.shape)


class Augment:
    """A ``fit`` callback: every epoch trains on ``augment(X_train, rng)`` (e.g. :func:`shift_images`), not X_train."""

    def __init__(self, augment):
        if not callable(augment):
            raise TypeError(f"expected augment to be a function (X_train, rng) -> new X_train, got {augment!r}")
        self.augment = augment

    def epoch_inputs(self, X, rng):
        result = as_array(self.augment(X, rng), "the result of augment(X_train, rng)")
        if result.shape != X.shape:
            raise ValueError(f"expected augment(X_train, rng) to return an array of X_train's shape {X.shape}, "
                             f"got shape {result.shape}")
        result = result.astype(X.dtype, copy=False)
        check_finite(result, "the result of augment(X_train, rng)")
        return result

    def __repr__(self):
        return f"Augment({getattr(self.augment, '__name__', self.augment)!r})"
