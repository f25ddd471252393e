"""Looking inside a network while it trains: hidden outputs, saturated units, gradient sizes per layer.

Notebook 08 uses these numbers to explain why training fails:

- a unit is **saturated** on a sample when its slope f'(net) is tiny. The
  slope enters every error term (eq. 4.1, 4.3), so a saturated unit barely
  learns. :func:`saturated_fraction` counts them.
- in a deep network the error term of layer l is the one of layer l + 1,
  multiplied by the weights and by f'(net) (eq. 4.3). With the sigmoid,
  f' = y(1 - y) <= 1/4 (eq. 1.4), so the product shrinks from layer to layer.
  :func:`delta_sizes` measures delta per layer, :func:`gradient_sizes`
  dE/dW = -delta x^T (eq. 4.10, 6.5). dE/dW also carries the size of the
  layer's inputs x (MNIST pixels, many always 0, for the first layer), so
  delta is the cleaner measure of how much error reaches a layer.
"""

import numpy as np

from bpcourse.core.oo_network import ConstNode
from bpcourse.core.trace import forward_trace
from bpcourse.core.validation import as_array, check_finite, is_positive_number

__all__ = ["hidden_outputs", "max_slope", "saturated_fraction", "sigmoid_saturation_bounds", "delta_sizes",
           "gradient_sizes"]


def hidden_outputs(network, X):
    """The outputs a (N, n_hidden) of every hidden layer, input side first, for X (N, n_in) or (n_in,) (eq. 3.2)."""
    weights = network.get_weights()
    n_in = weights[0][0].shape[1]
    _, outputs = forward_trace(weights, _rows(X, n_in, "X"), network.activator)
    return outputs[1:-1]


def max_slope(activator):
    """The largest slope of the activation, f'(0): 1/4 for the sigmoid (eq. 1.4), 1 for tanh."""
    return float(activator.backward(activator.forward(np.float64(0.0))))


def saturated_fraction(A, activator, threshold=0.04):
    """The fraction of outputs A (any shape) of ``activator`` whose slope is below ``threshold`` times the largest.

    With the default 0.04 a sigmoid unit is saturated when y(1 - y) < 0.04 * 1/4 = 0.01, i.e.
    y < 0.0101 or y > 0.9899 (:func:`sigmoid_saturation_bounds`). A float in [0, 1].
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

    For the default 0.04 that is y < 0.010102 or y > 0.989898; threshold is in (0, 1).
    """
    if not (is_positive_number(threshold) and threshold < 1):
        raise ValueError(f"expected threshold to be a number between 0 and 1, got {threshold!r}")
    root = float(np.sqrt(1.0 - threshold))
    return (1.0 - root) / 2, (1.0 + root) / 2


def delta_sizes(network, X, T):
    """The size of the error terms delta of every layer: the root mean square over units and samples.

    delta = -dE/dnet (eq. 4.1 / 6.2, 4.3 / 6.3). X (N, n_in) or (n_in,), T in the same form; the
    object network is run one sample at a time. One float per layer of weights, input side first.
    No weight changes.
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
    """The size sqrt(mean(dW^2)) of every layer's dE/dW, comparable across layer sizes; X, T as :func:`delta_sizes`."""
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
