"""Checking input at the edges: every bad value gets a ValueError saying what was expected and what came.

The networks, the training loop and the gradient check check what a learner passes them here,
once, before any work; the inner loops then trust their arrays. A ``check_*`` or ``as_*`` function
returns the value in the form the caller computes with (an int, a float, an array of a dtype); an
``is_*`` function only answers yes or no, for callers that word their own message, e.g.
"expected epoch to be a positive int (the number of passes), got 1.5".
"""

import math
import os
from numbers import Integral, Real

import numpy as np

__all__ = ["as_array", "as_data_set", "as_rows", "as_samples", "as_targets", "check_finite",
           "check_fits_in_memory", "check_labels", "check_layer_input", "check_layer_sizes",
           "check_positive_int", "check_rate", "check_seed", "check_weight_decay", "check_weights",
           "describe", "weight_shapes", "is_positive_int", "is_positive_number", "where_not_finite"]


# --- single numbers -----------------------------------------------------------------

def is_positive_int(value):
    """True for an int > 0 (Python or NumPy), False for anything else, booleans included."""
    return isinstance(value, Integral) and not isinstance(value, bool) and value > 0


def is_positive_number(value):
    """True for a finite real number > 0 (int, float, NumPy scalar, Fraction); False for booleans, NaN, inf..."""
    if isinstance(value, bool) or not isinstance(value, Real):
        return False
    try:
        number = float(value)
    except OverflowError:
        return False
    return math.isfinite(number) and number > 0


def check_positive_int(value, name, meaning=None):
    """``value`` as an int if it is a positive int, else ValueError naming ``name`` (and ``meaning``)."""
    if not is_positive_int(value):
        meaning = "" if meaning is None else f" ({meaning})"
        raise ValueError(f"expected {name} to be a positive int{meaning}, got {value!r}")
    return int(value)


def check_rate(rate):
    """The learning rate eta (eq. 4.5) as a float, if it is a finite number > 0; else ValueError."""
    if type(rate) is float and 0.0 < rate < math.inf:  # the common case, checked fast (every training step)
        return rate
    if not is_positive_number(rate):
        raise ValueError(f"expected a positive learning rate (a number > 0, e.g. 0.1), got {rate!r}")
    return float(rate)


def check_weight_decay(weight_decay, rate=None):
    """The L2 weight decay lambda as a float if it is a finite number >= 0 (with ``rate``: rate * lambda < 1)."""
    if type(weight_decay) is float and weight_decay == 0.0:  # the common case, checked fast (every step)
        return weight_decay
    is_zero = isinstance(weight_decay, Real) and not isinstance(weight_decay, bool) and weight_decay == 0
    if not (is_zero or is_positive_number(weight_decay)):
        raise ValueError(f"expected weight_decay to be a number >= 0 (lambda of the penalty "
                         f"lambda/2 * sum w^2, e.g. 1e-4), got {weight_decay!r}")
    weight_decay = float(weight_decay)
    if rate is not None and rate * weight_decay >= 1:
        raise ValueError(f"expected rate * weight_decay < 1 (each step multiplies W by 1 - rate * weight_decay), "
                         f"got rate {rate!r} and weight_decay {weight_decay!r}")
    return weight_decay


def check_layer_sizes(layer_sizes):
    """Neurons per layer, input first, as a tuple of at least two positive ints; else ValueError."""
    is_sequence = hasattr(layer_sizes, "__len__") and not isinstance(layer_sizes, (str, bytes))
    if not (is_sequence and len(layer_sizes) >= 2 and all(is_positive_int(n) for n in layer_sizes)):
        raise ValueError("expected layer_sizes to be at least two positive integers (input, hidden..., output), "
                         f"e.g. [784, 300, 10]; got {layer_sizes!r}")
    return tuple(int(n) for n in layer_sizes)


def check_seed(seed, name="seed"):
    """A numpy.random.Generator from ``seed``, a Generator (used as it is) or an int >= 0; else TypeError/ValueError."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, Integral):
        raise TypeError(f"expected {name} to be an int >= 0 or a numpy.random.Generator, got {seed!r}")
    if seed < 0:
        raise ValueError(f"expected {name} to be an int >= 0 or a numpy.random.Generator, got {seed!r}")
    return np.random.default_rng(int(seed))


def available_memory():
    """The machine's physical memory in bytes (None where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return None


def check_fits_in_memory(count, bytes_each, name, what):
    """ValueError naming ``name`` if ``count`` ``what`` of ``bytes_each`` bytes exceed the machine's memory."""
    memory = available_memory()
    needed = count * bytes_each
    if memory is not None and needed > memory:
        raise ValueError(f"expected {name} whose {what} fit in memory: {count:,} {what} need about "
                         f"{needed / 2**30:,.1f} GiB, this machine has {memory / 2**30:,.1f} GiB; use smaller layers")


# --- arrays -------------------------------------------------------------------------

def describe(value):
    """A few words for a message: "an array of shape (N, k)" for an array, else the type's name."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"{type(value).__name__}"


def as_array(value, name, dtype=None):
    """``value`` as a NumPy array of ``dtype`` (None: NumPy's choice; no copy if it is one), or ValueError.

    An overflowing cast gives inf silently, for :func:`check_finite` to report; complex numbers are a TypeError.
    """
    if type(value) is np.ndarray and (dtype is None or value.dtype == dtype) and value.dtype.kind != "c":
        return value  # already what is asked for (the common case, e.g. at every training step)
    if np.iscomplexobj(value):
        raise TypeError(f"expected {name} to be real numbers, got complex numbers: pass the real part "
                        f"(value.real) if that is what you mean")
    try:
        with np.errstate(over="ignore"):
            return np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as error:
        raise ValueError(f"expected {name} to be numbers (an array), got {type(value).__name__}: {error}") from None


def where_not_finite(A):
    """Where ``A`` holds NaN or inf: "at positions [2]" (1-D) or "in rows [0, 3]" (2-D+), five at most, then " ..."."""
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
        raise ValueError(f"expected {name} to hold finite numbers, got NaN or infinite values "
                         f"(as {A.dtype.name}) {where_not_finite(A)}")


def as_rows(value, name, width, dtype, what):
    """A data set as a finite C-contiguous (N, width) array of ``dtype``, N >= 1; ``what`` is a row's meaning."""
    A = np.ascontiguousarray(as_array(value, name, dtype))
    if A.ndim != 2 or A.shape[1] != width or A.shape[0] == 0:
        message = f"expected {name} of shape (N, {width}), N >= 1, {what}, got shape {A.shape}"
        if A.ndim == 3 and A.shape[1] * A.shape[2] == width:
            message += f": flatten each image with {name}.reshape(len({name}), -1)"
        raise ValueError(message)
    check_finite(A, name)
    return A


def as_data_set(labels, data_set, n_in, n_out, dtype):
    """The text's ``train(labels, data_set, ...)`` arguments as ``(T, X)``: (N, n_out) and (N, n_in) in ``dtype``."""
    X = as_rows(data_set, "data_set", n_in, dtype, "one input per row")
    T = as_rows(labels, "labels", n_out, dtype, "one target vector (e.g. one-hot) per row")
    if len(X) != len(T):
        raise ValueError(f"expected as many labels as samples, got {len(T)} labels for {len(X)} samples")
    return T, X


def as_samples(x, width, dtype, name="the input"):
    """One sample (width,) or a batch (N, width) as ``(X (N, width) in dtype, whether it was one sample)``."""
    X = as_array(x, name, dtype)
    single = X.ndim == 1 and X.shape[0] == width
    if not (single or (X.ndim == 2 and X.shape[1] == width and X.shape[0] >= 1)):
        message = (f"expected {name} of length {width} (one sample) or a batch of shape "
                   f"(N, {width}) (one sample per row), got shape {X.shape}")
        if X.ndim >= 2 and X.size == width:
            message += ": flatten it with x.reshape(-1)"
        elif X.ndim == 3 and X.shape[1] * X.shape[2] == width:
            message += ": flatten each image with X.reshape(len(X), -1)"
        raise ValueError(message)
    check_finite(X, name)  # before the reshape, so that a message names positions, not rows
    return (X[None, :] if single else X), single


def as_targets(t, n, width, single, dtype, name="the target"):
    """Targets of the same form as the input (see :func:`as_samples`), as an array of shape (n, width)."""
    T = as_array(t, name, dtype)
    expected = (width,) if single else (n, width)
    if T.shape != expected:
        raise ValueError(f"expected {name} t of shape {expected} (one value per output"
                         f"{'' if single else ', one row per sample'}), got shape {T.shape}")
    check_finite(T, name)
    return T.reshape(n, width)


def check_layer_input(X, width, dtype):
    """A layer's input, a 2-D array (N, width), N >= 1, in ``dtype``; only its shape is checked."""
    if not (isinstance(X, np.ndarray) and X.ndim == 2 and X.shape[1] == width and X.shape[0] >= 1):
        raise ValueError(f"expected X of shape (N, {width}) (one sample per row), got {describe(X)}")
    if X.dtype == dtype:
        return X
    if X.dtype.kind == "c":
        raise TypeError("expected X to be real numbers, got complex numbers")
    return X.astype(dtype)


def check_labels(value, n, name, n_classes=None):
    """Class labels as an int64 array (n,): whole numbers in 0 .. n_classes - 1 (None: only >= 0)."""
    y = as_array(value, name)
    if y.shape != (n,):
        raise ValueError(f"expected {name} of shape ({n},), one label per sample, got shape {y.shape}")
    if y.dtype.kind == "f":
        if not (np.isfinite(y).all() and (y == np.round(y)).all()):
            raise ValueError(f"expected {name} to be whole numbers (class labels), got {y[:5].tolist()}...")
    elif y.dtype.kind not in "iu":
        raise ValueError(f"expected {name} to be integer class labels, got dtype {y.dtype}")
    labels = y.astype(np.int64)
    top = "n_out - 1" if n_classes is None else n_classes - 1
    if n and (labels.min() < 0 or (n_classes is not None and labels.max() >= n_classes)):
        bad = labels[(labels < 0) | (labels >= (n_classes or np.iinfo(np.int64).max))][0]
        raise ValueError(f"expected {name} to be labels 0..{top} (one per output), got the label {bad}")
    return labels


def weight_shapes(layer_sizes):
    """The (W shape, b shape) per layer: ``weight_shapes((3, 4, 2))`` is [((4, 3), (4,)), ((2, 4), (2,))]."""
    return [((n_out, n_in), (n_out,)) for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:])]


def check_weights(weights, shapes, dtype=np.float64):
    """A list of (W, b) per layer checked against ``shapes`` (all before any is returned), as arrays of ``dtype``."""
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
            raise ValueError(f"expected layer {index} weights W of shape {tuple(W_shape)} (outputs, inputs) and b of "
                             f"shape {tuple(b_shape)}, got W {W.shape} and b {b.shape}")
        if not (np.isfinite(W).all() and np.isfinite(b).all()):
            raise ValueError(f"expected finite weights, got NaN or infinite values in layer {index} (as {dtype.name})")
        checked.append((W, b))
    return checked
