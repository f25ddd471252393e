"""Starting weights: the text's uniform +-0.1, all zeros, too large, and scaled (Glorot/Xavier).

The text starts every weight uniform in [-0.1, 0.1] whatever the size of the
layer. Notebook 08 compares that with three other starts:

- ``"zeros"``: every hidden unit then computes the same output and receives
  the same update, so they stay identical for ever (the symmetry never breaks).
- ``"uniform"`` with a large ``scale``: net = W x sums n_in terms, so its
  spread grows like scale * sqrt(n_in); for scale = 1 and 784 inputs most
  sigmoid units start saturated (slope y(1 - y), eq. 1.4, near 0).
- ``"glorot"``: W uniform in [-a, a] with a = sqrt(6 / (n_in + n_out)), b = 0
  (Glorot and Bengio, 2010). Its variance a^2 / 3 = 2 / (n_in + n_out) is a
  compromise between 1/n_in, which keeps the spread of net the same going
  forward, and 1/n_out, which keeps the spread of delta the same going
  backward (eq. 4.3). It is derived for units linear near 0 (tanh); for the
  sigmoid, whose slope at 0 is 1/4, Glorot and Bengio suggest a bound about 4
  times larger (notebook 08, section 4).

Weights come as a list of ``(W, b)`` per layer, W (n_out, n_in), b (n_out,),
ready for ``network.set_weights``.
"""

import math

import numpy as np

from bpcourse.core.validation import check_layer_sizes, check_positive_int, is_positive_number

__all__ = ["SCHEMES", "glorot_bound", "glorot_uniform", "initial_weights"]

SCHEMES = ("text", "zeros", "uniform", "glorot")  # the names initial_weights knows


def glorot_bound(n_in, n_out):
    """The Glorot/Xavier half-width a = sqrt(6 / (n_in + n_out)) for a layer with n_in inputs and n_out outputs."""
    n_in = check_positive_int(n_in, "n_in", "inputs of the layer")
    n_out = check_positive_int(n_out, "n_out", "outputs of the layer")
    return math.sqrt(6.0 / (n_in + n_out))


def glorot_uniform(n_in, n_out, rng=None):
    """W (n_out, n_in) uniform in [-a, a], a = sqrt(6 / (n_in + n_out)), variance 2 / (n_in + n_out); rng: None is 0."""
    a = glorot_bound(n_in, n_out)
    return _generator(rng).uniform(-a, a, size=(int(n_out), int(n_in)))


def initial_weights(layer_sizes, scheme="text", *, scale=0.1, rng=None):
    """Starting weights for ``layer_sizes``: a list of (W (n_out, n_in), b (n_out,)) per layer, for ``set_weights``.

    ``scheme``: ``"text"`` (W and b uniform in [-0.1, 0.1]), ``"uniform"`` (in [-scale, scale]),
    ``"zeros"`` or ``"glorot"`` (W from :func:`glorot_uniform`, b = 0). ``rng``: Generator or int
    seed (None: 0), drawing the layers from the input side.
    """
    sizes = check_layer_sizes(layer_sizes)
    if scheme not in SCHEMES:
        raise ValueError(f"expected scheme to be one of {SCHEMES}, got {scheme!r}")
    if not is_positive_number(scale):
        raise ValueError(f"expected scale to be a number > 0 (the half-width of the uniform start), got {scale!r}")
    rng = _generator(rng)
    weights = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        if scheme == "zeros":
            W, b = np.zeros((n_out, n_in)), np.zeros(n_out)
        elif scheme == "glorot":
            W, b = glorot_uniform(n_in, n_out, rng), np.zeros(n_out)
        else:
            half_width = 0.1 if scheme == "text" else float(scale)
            W = rng.uniform(-half_width, half_width, size=(n_out, n_in))
            b = rng.uniform(-half_width, half_width, size=n_out)
        weights.append((W, b))
    return weights


def _generator(rng):
    if rng is None:
        return np.random.default_rng(0)
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise ValueError(f"expected rng to be a numpy.random.Generator, an int seed or None, got {rng!r}")
