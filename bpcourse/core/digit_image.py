"""A drawn digit turned into an MNIST-like input, the way MNIST itself was made.

MNIST's digits were written on paper, scanned as black-and-white images and
then normalized (LeCun et al., "Gradient-based learning applied to document
recognition", 1998):

1. the digit is **cropped** to the bounding box of its ink;
2. it is **scaled to fit a 20 x 20 box**, keeping its aspect ratio; the
   scaling is anti-aliased, so the edges get gray levels;
3. it is placed in a 28 x 28 image so that its **center of mass** (the
   ink-weighted mean pixel position) is at the center of the image: at
   pixel (14, 14), where MNIST's digits have it on average.

The course's inputs are gray levels in [0, 1], 0 for the background and 1
for full ink, 784 pixels read row by row. A drawing is a list of **strokes**,
each a sequence of points ``(x, y)`` in canvas pixels (x to the right, y
downwards, both in [0, size]). :func:`render_strokes` paints them with a round
anti-aliased pen, :func:`mnist_like` applies steps 1-3 to any gray image,
:func:`strokes_to_input` does both; the drawing widget runs this pipeline.
"""

import math
from numbers import Real

import numpy as np

__all__ = ["BOX", "CANVAS_SIZE", "CENTER", "PEN_WIDTH", "SIDE", "EmptyDrawingError", "area_resize",
           "center_of_mass", "check_strokes", "mnist_like", "render_strokes", "shrink", "strokes_to_input"]

SIDE = 28  # MNIST images are 28 x 28 pixels
BOX = 20  # the digit is scaled to fit a 20 x 20 box inside them
CANVAS_SIZE = 280  # pixels of the drawing canvas: ten canvas pixels per MNIST pixel
# canvas pixels: a digit drawn across most of the canvas gets MNIST's strokes, about 3 pixels of
# full ink across (measured: MNIST's 1s have 3.0 on average per row, its 0s 7.1 over both sides)
PEN_WIDTH = 28.0
# where MNIST puts the center of mass: (14.0, 14.0) on average over the 60,000 training images
# (measured, pixel (r, c) at (r, c)), half a pixel below and right of the image's middle (13.5, 13.5)
CENTER = SIDE / 2
EMPTY_MESSAGE = "nothing drawn yet: draw a digit (press, drag, release) to see what the network reads"


class EmptyDrawingError(ValueError):
    """The drawing has no ink, so there is no digit to read (a ValueError)."""


# --- input checks ---------------------------------------------------------------------

def _check_size(size):
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < SIDE:
        raise ValueError(f"expected size to be an int >= {SIDE} (canvas pixels per side), got {size!r}")
    return int(size)


def _check_pen_width(pen_width, size):
    if isinstance(pen_width, bool) or not isinstance(pen_width, Real) or not (
            math.isfinite(pen_width) and 0 < pen_width <= size / 2):
        raise ValueError(f"expected pen_width to be a number in (0, {size / 2:g}] (canvas pixels), "
                         f"got {pen_width!r}")
    return float(pen_width)


def check_strokes(strokes, size=CANVAS_SIZE):
    """``strokes`` as a list of float arrays (n_points >= 1, 2), columns x and y, 0 <= x, y <= size.

    ValueError names the stroke (and point) that is not like that; an empty list is an empty drawing.
    """
    size = _check_size(size)
    if isinstance(strokes, (str, bytes, np.ndarray)) or not hasattr(strokes, "__len__"):
        raise ValueError(f"expected strokes to be a list of strokes, each a list of points (x, y), "
                         f"got {type(strokes).__name__}")
    checked = []
    for k, stroke in enumerate(strokes):
        try:
            points = np.asarray(stroke, dtype=np.float64)
            shape = points.shape
        except (TypeError, ValueError):
            shape = "?"
        if shape == "?" or len(shape) != 2 or shape[1] != 2 or shape[0] == 0:
            raise ValueError(f"expected stroke {k} to be a non-empty list of points (x, y), "
                             f"got an array of shape {shape}")
        bad = ~np.isfinite(points).all(axis=1) | (points < 0).any(axis=1) | (points > size).any(axis=1)
        if bad.any():
            j = int(np.argmax(bad))
            raise ValueError(f"expected every point of stroke {k} to lie on the canvas, 0 <= x, y <= {size}, "
                             f"got point {j} = {tuple(points[j].tolist())}")
        checked.append(points)
    return checked


# --- painting ---------------------------------------------------------------------------

def render_strokes(strokes, size=CANVAS_SIZE, pen_width=PEN_WIDTH):
    """Paint strokes with a round pen: the drawing as a float64 gray image (size, size), 0 background, 1 ink.

    Pixel (row r, column c) covers [c, c + 1] x [r, r + 1]; its value is clip(pen_width / 2 + 1/2 - d, 0, 1)
    for the distance d of its center to the nearest stroke segment: full ink inside the stroke, a
    one-pixel gray edge. A stroke of one point is a dot.
    """
    size = _check_size(size)
    pen_width = _check_pen_width(pen_width, size)
    image = np.zeros((size, size))
    reach = pen_width / 2 + 0.5  # beyond this distance from the stroke a pixel gets no ink
    for points in check_strokes(strokes, size):
        if len(points) == 1:
            points = np.vstack([points, points])  # a dot: a segment of length 0
        for (x0, y0), (x1, y1) in zip(points[:-1], points[1:]):
            # only the pixels near this segment: its bounding box grown by the pen's reach
            c_lo, c_hi = max(0, int(min(x0, x1) - reach)), min(size, int(max(x0, x1) + reach) + 1)
            r_lo, r_hi = max(0, int(min(y0, y1) - reach)), min(size, int(max(y0, y1) + reach) + 1)
            px = np.arange(c_lo, c_hi) + 0.5  # pixel centers
            py = np.arange(r_lo, r_hi)[:, None] + 0.5
            dx, dy = x1 - x0, y1 - y0
            length2 = dx * dx + dy * dy
            # the nearest point of the segment: x0 + s (x1 - x0), s in [0, 1]
            s = np.clip(((px - x0) * dx + (py - y0) * dy) / length2, 0.0, 1.0) if length2 > 0 else 0.0
            distance = np.hypot(px - (x0 + s * dx), py - (y0 + s * dy))
            ink = np.clip(reach - distance, 0.0, 1.0)
            window = image[r_lo:r_hi, c_lo:c_hi]
            np.maximum(window, ink, out=window)
    return image


# --- MNIST's normalization ----------------------------------------------------------------

def _check_image(image, name="image"):
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 2 or min(image.shape) == 0:
        raise ValueError(f"expected {name} to be a 2-D gray image (rows, columns), got shape {image.shape}")
    if not np.isfinite(image).all():
        raise ValueError(f"expected {name} to hold gray levels in [0, 1], got NaN or infinity "
                         f"at {int((~np.isfinite(image)).sum())} pixels")
    if image.min() < 0 or image.max() > 1:
        raise ValueError(f"expected {name} to hold gray levels in [0, 1] (0 = background, 1 = ink), "
                         f"got values from {image.min():g} to {image.max():g}")
    return image


def _area_matrix(n_in, n_out):
    """R of shape (n_out, n_in): R @ v averages v over n_out equal parts of [0, n_in] (box filter)."""
    edges = np.linspace(0.0, n_in, n_out + 1)  # output pixel k covers [edges[k], edges[k + 1]] of the input
    left, right = edges[:-1, None], edges[1:, None]
    pixel = np.arange(n_in)[None, :]
    overlap = np.clip(np.minimum(right, pixel + 1) - np.maximum(left, pixel), 0.0, None)
    return overlap / (right - left)


def area_resize(image, shape):
    """Resize a gray image to ``shape`` (rows, columns) by averaging areas (anti-aliased): every output
    pixel is the mean of the input it covers, so shrinking never skips ink and gray levels stay in [0, 1]."""
    image = _check_image(image)
    rows, cols = shape
    resized = _area_matrix(image.shape[0], int(rows)) @ image @ _area_matrix(image.shape[1], int(cols)).T
    return np.clip(resized, 0.0, 1.0, out=resized)  # rounding may leave 1 + 1e-16


def center_of_mass(image):
    """The ink-weighted mean position (row, column) of a gray image; EmptyDrawingError without ink.

    Pixel (r, c) sits at (r, c): the middle of a 28 x 28 image is (13.5, 13.5), and MNIST's digits
    have their center of mass at (14, 14) on average.
    """
    image = _check_image(image)
    total = image.sum()
    if total <= 0:
        raise EmptyDrawingError(EMPTY_MESSAGE)
    rows, cols = np.indices(image.shape)
    return float((rows * image).sum() / total), float((cols * image).sum() / total)


def mnist_like(image, threshold=0.0):
    """MNIST's normalization: crop to the ink, scale into a 20 x 20 box, center by center of mass in 28 x 28.

    ``image``: gray levels (rows, columns) in [0, 1], 1 = ink; pixels at or below ``threshold`` are
    background when cropping. Returns a float64 array (28, 28): the ink's longer side spans 20 pixels,
    the center of mass within half a pixel of :data:`CENTER` = (14, 14) (moved by whole pixels, as in
    MNIST) unless that would cut ink off. EmptyDrawingError (a ValueError) when nothing is drawn.
    """
    image = _check_image(image)
    ink_rows = np.flatnonzero((image > threshold).any(axis=1))
    ink_cols = np.flatnonzero((image > threshold).any(axis=0))
    if len(ink_rows) == 0:
        raise EmptyDrawingError(EMPTY_MESSAGE)
    crop = image[ink_rows[0]:ink_rows[-1] + 1, ink_cols[0]:ink_cols[-1] + 1]  # 1. bounding box
    scale = BOX / max(crop.shape)  # 2. the longer side becomes 20 pixels
    rows = max(1, round(crop.shape[0] * scale))
    cols = max(1, round(crop.shape[1] * scale))
    digit = area_resize(crop, (rows, cols))
    row, col = center_of_mass(digit)  # 3. put the center of mass at MNIST's center
    top = int(np.clip(round(CENTER - row), 0, SIDE - rows))
    left = int(np.clip(round(CENTER - col), 0, SIDE - cols))
    result = np.zeros((SIDE, SIDE))
    result[top:top + rows, left:left + cols] = digit
    return result


def shrink(image):
    """The naive way, for comparison: the whole image shrunk to (28, 28), not cropped, not centered."""
    return area_resize(image, (SIDE, SIDE))


def strokes_to_input(strokes, size=CANVAS_SIZE, pen_width=PEN_WIDTH):
    """A drawing as the network's input x (784,), like a row of ``load_mnist``'s X (EmptyDrawingError if empty)."""
    if isinstance(strokes, (list, tuple)) and len(strokes) == 0:
        raise EmptyDrawingError(EMPTY_MESSAGE)
    return mnist_like(render_strokes(strokes, size, pen_width)).reshape(-1)
