"""One forward trace and one backward trace: every layer's net input, output and error term delta.

The networks compute these for training; everything else that needs them (the
steppers, the diagnostics, the exercise checks and their wrong answers) takes
them from here, and the text's worked 3-4-2 example (:func:`text_example`).

Shapes: ``weights`` is a list of ``(W, b)``, W (n_l, n_{l-1}), b (n_l,); ``x``
is one sample (n_0,) or a batch (N, n_0), one sample per row, and every array
below then has that form. Signs: delta is the text's, delta = -dE/dnet.
"""

import numpy as np

from bpcourse.core.activations import get_activator

__all__ = ["backward_trace", "forward_trace", "text_example", "weight_steps"]


def text_example():
    """The concrete 3-4-2 network of notebooks 02 and 03, weights with one decimal to follow the sums by hand.

    Returns (fresh arrays) ``weights`` ``[(W1, b1), (W2, b2)]``, W1 (4, 3), b1 (4,), W2 (2, 4),
    b2 (2,); the sample x (3,), the outputs of nodes 1, 2, 3; the target t (2,) of nodes 8, 9.
    """
    W1 = np.array([[0.5, -0.3, 0.8],  # w41 w42 w43
                   [-0.6, 0.4, 0.2],  # w51 w52 w53
                   [0.1, 0.9, -0.5],  # w61 w62 w63
                   [0.7, -0.2, -0.4]])  # w71 w72 w73
    b1 = np.array([0.1, -0.2, 0.3, 0.0])  # w4b w5b w6b w7b
    W2 = np.array([[0.6, -0.4, 0.3, 0.5],  # w84 w85 w86 w87
                   [-0.7, 0.2, 0.8, -0.1]])  # w94 w95 w96 w97
    b2 = np.array([-0.1, 0.2])  # w8b w9b
    x = np.array([1.0, 0.5, -1.0])
    t = np.array([0.9, 0.1])
    return [(W1, b1), (W2, b2)], x, t


def forward_trace(weights, x, activator="sigmoid", *, bias=True, linear=()):
    """The forward pass, keeping every layer's net input and output.

    Returns ``(nets, outputs)``: ``nets[l]`` is layer l + 1's net input, shape
    (n_{l+1},) or (N, n_{l+1}); ``outputs[0]`` is x and ``outputs[l + 1] = f(nets[l])``.
    ``bias=False`` and ``linear`` (indices of layers whose activation is left out)
    give the typical mistakes the checks recognize; the defaults are the text's pass.
    """
    activator = get_activator(activator)
    a = np.asarray(x, dtype=np.float64)
    nets, outputs = [], [a]
    for l, (W, b) in enumerate(weights):
        net = a @ np.asarray(W, dtype=np.float64).T + (np.asarray(b, dtype=np.float64) if bias else 0.0)
        a = net if l in linear else activator.forward(net)  # eq. 3.8 (a row per sample: eq. 6.1)
        nets.append(net)
        outputs.append(a)
    return nets, outputs


def backward_trace(weights, outputs, output_delta, activator="sigmoid", *, slope=None, hidden_slope=True):
    """Every layer's error term, from the output layer's ``output_delta`` down.

    ``outputs`` comes from :func:`forward_trace`; ``output_delta`` is the last
    layer's delta, e.g. f'(y)(t - y) for the squared error (eq. 4.1) or t - y
    for softmax with the cross-entropy. Returns ``deltas``, one per layer, in
    the shapes of ``outputs[1:]``. ``slope(a)`` replaces the activation's
    derivative written from the output, and ``hidden_slope=False`` leaves it
    out: the typical mistakes the checks recognize.
    """
    slope = get_activator(activator).backward if slope is None else slope
    deltas = [np.asarray(output_delta, dtype=np.float64)]
    for l in range(len(weights) - 1, 0, -1):
        passed_down = deltas[0] @ np.asarray(weights[l][0], dtype=np.float64)  # sum_k w_kj delta_k, for every j
        deltas.insert(0, (slope(outputs[l]) if hidden_slope else 1.0) * passed_down)  # eq. 4.3 (rows: eq. 6.3)
    return deltas


def weight_steps(deltas, outputs, scale=1.0):
    """``[(scale * sum_n delta_n a_n^T, scale * sum_n delta_n)]`` per layer: the text's step for eta = scale.

    With ``scale = eta`` and one sample this is eq. 4.5 for every weight; with
    ``scale = eta / N`` it is the mean step over a batch; with ``scale = -1/N``
    the true gradient dE/dW, dE/db. ``outputs[l]`` is the input of layer l.
    """
    rows = [(np.atleast_2d(delta), np.atleast_2d(a)) for delta, a in zip(deltas, outputs)]
    return [(scale * (delta.T @ a), scale * delta.sum(axis=0)) for delta, a in rows]  # eq. 4.5 (rows: 6.5, 6.6)
