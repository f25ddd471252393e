"""Checking input at the edges: every bad value gets a ValueError saying what was expected and what came.

The networks (:mod:`bpcourse.core.oo_network`, :mod:`bpcourse.core.vectorized`), the
training loop (:mod:`bpcourse.core.training`) and the gradient check
(:mod:`bpcourse.core.gradcheck`) check what a learner passes them with these
helpers, once, before any work is done; the inner loops then trust their
arrays. Each ``check_*`` function returns the value in the form the caller
computes with (an ``int``, a ``float``, an array of a dtype) or raises
``ValueError``; the ``is_*`` functions only answer yes or no, for callers
that word their own message.

A message names the argument, says what was expected (with an example or a
shape where it helps) and what came, e.g.
"expected epoch to be a positive int (the number of passes), got 1.5".
"""

import math
from numbers import Integral, Real

import numpy as np

__all__ = [
    "as_array",
    "as_rows",
    "check_finite",
    "check_layer_sizes",
    "check_positive_int",
    "check_rate",
    "check_weights",
    "describe",
    "is_positive_int",
    "is_positive_number",
    "where_not_finite",
]

LAYER_SIZES_EXPECTED = ("expected layer_sizes to be at least two positive integers "
                        "(input, hidden..., output), e.g. [784, 300, 10]")


# --- single numbers -----------------------------------------------------------------

def is_positive_int(value):
    """True for an int > 0 (Python or NumPy), False for anything else, booleans included."""
    return isinstance(value, Integral) and not isinstance(value, bool) and value > 0


def is_positive_number(value):
    """True for a finite real number > 0 (int, float, NumPy scalar, Fraction), False otherwise.

    Booleans, strings, None, NaN, infinities and ints too large for a float are refused.
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        return False
    try:
        number = float(value)
    except OverflowError:
        return False
    return math.isfinite(number) and number > 0


def check_positive_int(value, name, meaning=None):
    """``value`` as an int if it is a positive int, else ValueError naming ``name`` (and ``meaning``).

    e.g. ``check_positive_int(epoch, "epoch", "the number of passes")``.
    """
    if not is_positive_int(value):
        meaning = "" if meaning is None else f" ({meaning})"
        raise ValueError(f"expected {name} to be a positive int{meaning}, got {value!r}")
    return int(value)


def check_rate(rate):
    """The learning rate eta (eq. 4.5) as a float, if it is a finite number > 0; else ValueError."""
    if not is_positive_number(rate):
        raise ValueError(f"expected a positive learning rate (a number > 0, e.g. 0.1), got {rate!r}")
    return float(rate)


def check_layer_sizes(layer_sizes):
    """Neurons per layer, input first, as a tuple of at least two positive ints; else ValueError."""
    if isinstance(layer_sizes, (str, bytes)) or not hasattr(layer_sizes, "__len__"):
        raise ValueError(f"{LAYER_SIZES_EXPECTED}; got {layer_sizes!r}")
    sizes = list(layer_sizes)
    if len(sizes) < 2 or not all(is_positive_int(n) for n in sizes):
        raise ValueError(f"{LAYER_SIZES_EXPECTED}; got {layer_sizes!r}")
    return tuple(int(n) for n in sizes)


# --- arrays -------------------------------------------------------------------------

def describe(value):
    """A few words for a message: "an array of shape (N, k)" for an array, else the type's name."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"{type(value).__name__}"


def as_array(value, name, dtype=None):
    """``value`` as a NumPy array of ``dtype`` (no copy if it already is one), or ValueError.

    ``dtype=None`` keeps NumPy's choice (e.g. int labels stay ints). An
    overflow of the cast (1e300 as float32) is not warned about: it gives
    inf, which :func:`check_finite` reports.
    """
    try:
        with np.errstate(over="ignore"):
            return np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as error:
        raise ValueError(f"expected {name} to be numbers (an array), got {type(value).__name__}: {error}") from None


def where_not_finite(A):
    """Where ``A`` holds NaN or inf, for a message: "at positions [2]" (1-D) or "in rows [0, 3]" (2-D+).

    At most five are listed; " ..." marks more.
    """
    bad = ~np.isfinite(A)
    if A.ndim <= 1:
        places, what = np.flatnonzero(bad), "at positions"
    else:
        places, what = np.unique(np.nonzero(bad)[0]), "in rows"
    return f"{what} {places[:5].tolist()}{' ...' if len(places) > 5 else ''}"


def check_finite(A, name):
    """ValueError unless the array ``A`` holds numbers (bool, int or float) and no NaN or inf."""
    if A.dtype.kind not in "biuf":
        raise ValueError(f"expected {name} to hold numbers, got dtype {A.dtype}")
    if A.dtype.kind == "f" and not np.isfinite(A).all():
        raise ValueError(
            f"expected {name} to hold finite numbers, got NaN or infinite values "
            f"(as {A.dtype.name}) {where_not_finite(A)}"
        )


def as_rows(value, name, width, dtype, what):
    """A data set as a C-contiguous array of shape (N, width), N >= 1, of ``dtype`` (cast once), finite.

    ``what`` says what a row is, e.g. "one input per row". A stack of images
    (N, 28, 28) gets a hint to flatten it.
    """
    A = np.ascontiguousarray(as_array(value, name, dtype))
    if A.ndim != 2 or A.shape[1] != width or A.shape[0] == 0:
        message = f"expected {name} of shape (N, {width}), N >= 1, {what}, got shape {A.shape}"
        if A.ndim == 3 and A.shape[1] * A.shape[2] == width:
            message += f": flatten each image with {name}.reshape(len({name}), -1)"
        raise ValueError(message)
    check_finite(A, name)
    return A


def check_weights(weights, shapes, dtype=np.float64):
    """A list of (W, b) per layer checked against ``shapes``; returns (W, b) arrays of ``dtype``.

    Inputs:
    - weights: a list (or tuple) of pairs (W, b), one per layer.
    - shapes: a list of (W shape, b shape) per layer, e.g. [((300, 784), (300,)), ((10, 300), (10,))].
    - dtype: the dtype to cast to (no copy when W or b already has it).

    Every layer is checked (shape and finiteness) before anything is
    returned, so a caller can check first and change its weights after.
    """
    dtype = np.dtype(dtype)
    expected = ", ".join(f"(W {W_shape}, b {b_shape})" for W_shape, b_shape in shapes)
    if isinstance(weights, (str, bytes)) or not hasattr(weights, "__len__") or len(weights) != len(shapes):
        got = f"{len(weights)} items" if hasattr(weights, "__len__") else type(weights).__name__
        raise ValueError(f"expected a list of {len(shapes)} (W, b) pairs: [{expected}]; got {got}")
    checked = []
    for index, (pair, (W_shape, b_shape)) in enumerate(zip(weights, shapes)):
        if isinstance(pair, (str, bytes)) or not hasattr(pair, "__len__") or len(pair) != 2:
            raise ValueError(f"expected item {index} of the weights to be a pair (W, b), got {pair!r:.60}")
        W = as_array(pair[0], f"W of layer {index}", dtype)
        b = as_array(pair[1], f"b of layer {index}", dtype)
        if W.shape != tuple(W_shape) or b.shape != tuple(b_shape):
            raise ValueError(
                f"expected layer {index} weights W of shape {tuple(W_shape)} (outputs, inputs) and b of "
                f"shape {tuple(b_shape)}, got W {W.shape} and b {b.shape}"
            )
        if not (np.isfinite(W).all() and np.isfinite(b).all()):
            raise ValueError(
                f"expected finite weights, got NaN or infinite values in layer {index} (as {dtype.name})"
            )
        checked.append((W, b))
    return checked
