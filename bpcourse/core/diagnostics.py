"""Looking inside a network while it trains: hidden outputs, saturated units, gradient sizes per layer.

Notebook 08 uses these numbers to explain why training fails:

- a unit is **saturated** on a sample when its slope f'(net) is tiny. The
  slope enters every error term (eq. 4.1, 4.3), so a saturated unit barely
  learns. :func:`saturated_fraction` counts them.
- in a deep network the error term of layer l is the one of layer l + 1,
  multiplied by the weights and by f'(net) (eq. 4.3). With the sigmoid,
  f' = y(1 - y) <= 1/4 (eq. 1.4), so the product shrinks from layer to layer.
  :func:`delta_sizes` measures delta per layer, :func:`gradient_sizes`
  dE/dW = -delta x^T (eq. 4.10, 6.5). The size of dE/dW also carries the
  size of the layer's inputs x (for the first layer, MNIST pixels, many of
  them always 0), so the size of delta is the cleaner measure of how much
  error reaches a layer.

Both networks work here: everything goes through their shared interface
(``get_weights``, ``activator``, ``gradients``).
"""

import numpy as np

from bpcourse.core.oo_network import ConstNode
from bpcourse.core.trace import forward_trace
from bpcourse.core.validation import as_array, check_finite, is_positive_number

__all__ = ["hidden_outputs", "max_slope", "saturated_fraction", "sigmoid_saturation_bounds", "delta_sizes",
           "gradient_sizes"]


def hidden_outputs(network, X):
    """The outputs a of every hidden layer for a batch X (eq. 3.2 layer after layer).

    Inputs:
    - network: either network (anything with ``get_weights()`` and ``activator``).
    - X: shape (N, n_in), one sample per row (or one sample, shape (n_in,)).

    Returns a list with one array of shape (N, n_hidden) per hidden layer,
    input side first (empty for a network without hidden layers).
    """
    weights = network.get_weights()
    n_in = weights[0][0].shape[1]
    _, outputs = forward_trace(weights, _rows(X, n_in, "X"), network.activator)
    return outputs[1:-1]


def max_slope(activator):
    """The largest slope of the activation, f'(0): 1/4 for the sigmoid (eq. 1.4), 1 for tanh."""
    return float(activator.backward(activator.forward(np.float64(0.0))))


def saturated_fraction(A, activator, threshold=0.04):
    """The fraction of outputs in A whose slope f'(net) is below ``threshold`` times the largest slope.

    Inputs:
    - A: outputs of units with the activation ``activator`` (any shape), e.g.
      one array of :func:`hidden_outputs`.
    - activator: the activator object (``network.activator``).
    - threshold: a number in (0, 1). The default 0.04 calls a sigmoid unit
      saturated when y(1 - y) < 0.04 * 1/4 = 0.01, i.e. y < 0.0101 or
      y > 0.9899 (:func:`sigmoid_saturation_bounds` solves for them).

    Returns a float in [0, 1].
    """
    A = as_array(A, "A", np.float64)
    if A.size == 0:
        raise ValueError("expected A to hold at least one output, got an empty array")
    check_finite(A, "A")
    if not (is_positive_number(threshold) and threshold < 1):
        raise ValueError(f"expected threshold to be a number between 0 and 1, got {threshold!r}")
    slopes = activator.backward(A)
    return float(np.mean(slopes < threshold * max_slope(activator)))


def sigmoid_saturation_bounds(threshold=0.04):
    """The outputs y where a sigmoid unit becomes saturated: (y_low, y_high) with y(1 - y) = threshold / 4.

    The sigmoid's slope y(1 - y) (eq. 1.4) is largest, 1/4, at y = 1/2.
    :func:`saturated_fraction` calls a unit saturated when its slope is below
    ``threshold`` times 1/4, i.e. when y^2 - y + threshold / 4 > 0:

        y < (1 - sqrt(1 - threshold)) / 2   or   y > (1 + sqrt(1 - threshold)) / 2.

    For the default 0.04 that is y < 0.010102 or y > 0.989898.

    Inputs: threshold, a number in (0, 1). Returns two floats, y_low < 1/2 < y_high.
    """
    if not (is_positive_number(threshold) and threshold < 1):
        raise ValueError(f"expected threshold to be a number between 0 and 1, got {threshold!r}")
    root = float(np.sqrt(1.0 - threshold))
    return (1.0 - root) / 2, (1.0 + root) / 2


def delta_sizes(network, X, T):
    """The size of the error terms delta of every layer: the root mean square over units and samples.

    delta is the text's error term, delta = -dE/dnet: eq. 4.1 / 6.2 for the
    output layer, eq. 4.3 / 6.3 for a hidden layer (the one of the layer
    above, times W and times f'(net)). Unlike dE/dW = -delta x^T, its size
    does not depend on the size of the layer's inputs x.

    Inputs:
    - network: either network (anything with ``gradients(x, t)`` and
      ``layers``). The vectorized network's layers keep the delta of the last
      backward pass; the object network's nodes keep theirs, so it is run
      one sample at a time.
    - X: shape (N, n_in) (or (n_in,)); T: the targets in the same form.

    Returns a float64 array with one number per layer of weights (the hidden
    layers, then the output layer), input side first, like
    :func:`gradient_sizes`. No weight changes.
    """
    if all(hasattr(layer, "nodes") for layer in network.layers):  # the object network
        n_in, n_out = network.layer_sizes[0], network.layer_sizes[-1]
        X, T = _rows(X, n_in, "X"), _rows(T, n_out, "T")
        if len(X) != len(T):
            raise ValueError(f"expected as many targets as samples, got {len(T)} targets for {len(X)} samples")
        squares = np.zeros(len(network.layers) - 1)
        for x, t in zip(X, T):
            network.get_gradient(x, t)  # forward, then deltas (eq. 4.1, 4.3)
            squares += [np.mean([node.delta ** 2 for node in layer.nodes if not isinstance(node, ConstNode)])
                        for layer in network.layers[1:]]
        return np.sqrt(squares / len(X))
    network.gradients(X, T)  # forward and backward: every layer keeps its delta (eq. 6.2, 6.3)
    return np.array([np.sqrt(np.mean(np.square(layer.delta, dtype=np.float64))) for layer in network.layers])


def gradient_sizes(network, X, T):
    """The size of dE/dW of every layer: the root mean square of its entries, sqrt(mean(dW^2)).

    Inputs:
    - network: either network (anything with ``gradients(x, t)``); for the
      object network pass one sample.
    - X: shape (N, n_in) (or (n_in,)); T: the targets in the same form.

    Returns a float64 array with one number per layer, input side first. The
    root mean square does not grow with the number of weights, so layers of
    different sizes can be compared.
    """
    return np.array([np.sqrt(np.mean(np.square(dW))) for dW, _ in network.gradients(X, T)])


def _rows(X, width, name):
    A = as_array(X, name, np.float64)
    if A.ndim == 1:
        A = A[None, :]
    if A.ndim != 2 or A.shape[1] != width or A.shape[0] == 0:
        raise ValueError(f"expected {name} of shape (N, {width}) (one sample per row) or ({width},), "
                         f"got shape {np.shape(X)}")
    check_finite(A, name)
    return A
