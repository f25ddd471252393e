"""Activation functions (eq. 1.1-1.4) and their derivatives written from the output.

The text derives everything for the sigmoid (eq. 1.2) and notes that the
training rule changes with the activation. Both derivatives here take the
*output* y of the activation, not its input, because that is what the
backward pass has at hand (eq. 1.4: sigmoid'(x) = y(1 - y)).

:func:`softmax` is the output activation of the cross-entropy loss, not an
element-wise one. The perceptron's ``step`` is here for comparison: its slope
is 0 wherever it exists, so a perceptron cannot learn by gradient descent.
An *activator* bundles an activation with its derivative (``name``,
``forward(net)``, ``backward(y)``); both networks take one, or its name.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def sigmoid(x):
    """Logistic sigmoid 1 / (1 + e^-x) (eq. 1.2), for a scalar or an array of any shape.

    Never overflows or warns, even for x = -1000 or 1000: for x < 0 it is
    computed as e^x / (1 + e^x), where e^x cannot overflow.
    """
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    numerator = np.exp(np.minimum(x, 0))  # 1 for x >= 0, e^x for x < 0: never overflows
    y = numerator / (1.0 + np.exp(-np.abs(x)))  # eq. 1.2, the denominator written with e^-|x| <= 1
    return y.astype(x.dtype, copy=False)


def sigmoid_derivative(y):
    """Derivative of the sigmoid written from its output y = sigmoid(x): y(1 - y) (eq. 1.4)."""
    y = np.asarray(y)
    return y * (1 - y)


def tanh(x):
    """Hyperbolic tangent, for a scalar or an array; never overflows."""
    return np.tanh(x)


def tanh_derivative(y):
    """Derivative of tanh written from its output y = tanh(x): 1 - y^2."""
    y = np.asarray(y)
    return 1 - y * y


def step(x):
    """The perceptron's step function: 1.0 where x > 0, else 0.0, a float array of x's shape."""
    return np.where(np.asarray(x) > 0, 1.0, 0.0)


def step_derivative(y):
    """Slope of the step function from its output y: zeros of y's shape (it is flat wherever it has a slope)."""
    return np.zeros_like(np.asarray(y, dtype=np.float64))


@dataclass(frozen=True, repr=False)
class Activator:
    """An activation f, its derivative written from the output, and what the pictures need.

    ``forward(net)`` is y = f(net), ``backward(y)`` dy/dnet written from y, both of net's shape;
    ``slope_formula`` that derivative as text, ``y_limits`` a y-axis range showing the whole curve.
    """

    name: str
    forward: Callable
    backward: Callable
    slope_formula: str
    y_limits: tuple

    def __repr__(self):
        return f"<activator {self.name}: f'(net) = {self.slope_formula}>"


SigmoidActivator = Activator("sigmoid", sigmoid, sigmoid_derivative, "y(1 - y)", (-0.1, 1.1))  # eq. 1.2, 1.4
TanhActivator = Activator("tanh", tanh, tanh_derivative, "1 - y²", (-1.15, 1.15))
StepActivator = Activator("step", step, step_derivative, "0", (-0.1, 1.1))  # a network cannot learn with it


def softmax(net):
    """Softmax along the last axis: y_i = e^net_i / sum_k e^net_k, shape of ``net``.

    Numerically stable: the row's largest net is subtracted first (the
    result is unchanged), so no exp overflows, even for net = 1000.
    """
    net = np.asarray(net)
    if not np.issubdtype(net.dtype, np.floating):
        net = net.astype(np.float64)
    e = np.exp(net - net.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class SoftmaxActivator:
    """Softmax as the output layer's activation, with the cross-entropy, which gives the delta t - y directly."""

    name = "softmax"

    @staticmethod
    def forward(net):
        """y = softmax(net) along the last axis (one sample per row)."""
        return softmax(net)

    @staticmethod
    def backward(y):
        """Not element-wise: refused (the cross-entropy's delta, t - y, already contains it)."""
        raise ValueError("softmax has no element-wise derivative: use it as the output layer of the "
                         "softmax_cross_entropy loss, whose output delta is t - y")


# The one registry of activations by name; the networks and the widgets take their names from it.
ACTIVATORS = {"sigmoid": SigmoidActivator, "tanh": TanhActivator, "step": StepActivator}


def get_activator(activator):
    """The activator named ``activator`` (a key of ``ACTIVATORS``), or an object with name, forward and backward."""
    if isinstance(activator, str):
        try:
            return ACTIVATORS[activator]
        except KeyError:
            raise ValueError(f"unknown activation {activator!r}: expected one of {sorted(ACTIVATORS)}") from None
    for attribute in ("name", "forward", "backward"):
        if not hasattr(activator, attribute):
            raise ValueError(f"an activator needs name, forward(net) and backward(y); "
                             f"{activator!r} has no {attribute!r}")
    return activator
