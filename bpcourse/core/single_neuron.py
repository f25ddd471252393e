"""One sigmoid neuron learning one sample: the learning slowdown of squared error, and cross-entropy's cure.

The neuron computes y = sigmoid(w x + b) (eq. 1.1, 1.2). Gradient descent
on one sample (x, t) changes w by eta * delta * x and b by eta * delta
(eq. 4.5-4.8), where the error term delta = -dE/dnet depends on the loss:

- squared error E = 1/2 (t - y)^2 (eq. 4.9): delta = y(1 - y)(t - y) (eq. 4.1).
  When the neuron is badly wrong AND saturated (y near 1 while t = 0), the
  factor y(1 - y) is tiny, so it learns slowly exactly when it is most wrong.
- cross-entropy E = -[t ln y + (1 - t) ln(1 - y)]: delta = t - y. The factor
  y(1 - y) cancels, so the step is as large as the mistake.

This is Nielsen's example (Neural Networks and Deep Learning, chapter 3):
x = 1, t = 0, eta = 0.15, started at w = b = 2 (y = 0.98) or at
w = 0.6, b = 0.9 (y = 0.82).
"""

import math

import numpy as np

from bpcourse.core.activations import sigmoid
from bpcourse.core.validation import check_positive_int, check_rate

__all__ = ["LOSSES", "neuron_delta", "neuron_loss", "train_neuron"]

LOSSES = ("squared_error", "cross_entropy")


def neuron_loss(y, t, loss):
    """E for output y and target t: 1/2 (t - y)^2 (eq. 4.9) or -[t ln y + (1 - t) ln(1 - y)]."""
    _check_loss(loss)
    y, t = np.asarray(y, dtype=np.float64), np.asarray(t, dtype=np.float64)
    if loss == "squared_error":
        return 0.5 * (t - y) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):  # 0 ln 0 counts as 0
        return -(np.where(t > 0, t * np.log(y), 0.0) + np.where(t < 1, (1 - t) * np.log1p(-y), 0.0))


def neuron_delta(y, t, loss):
    """The error term delta = -dE/dnet of a sigmoid output y with target t (text's sign).

    ``"squared_error"``: y(1 - y)(t - y) (eq. 4.1); ``"cross_entropy"``: t - y.
    """
    _check_loss(loss)
    y, t = np.asarray(y, dtype=np.float64), np.asarray(t, dtype=np.float64)
    if loss == "squared_error":
        return y * (1 - y) * (t - y)  # eq. 4.1
    return t - y


def train_neuron(w, b, *, x=1.0, t=0.0, eta=0.15, epochs=300, loss="squared_error"):
    """Train one sigmoid neuron, started at w, b, on one sample (x, t), t in [0, 1], by gradient descent.

    Returns a dict of float64 arrays of length epochs + 1 (index 0 is the start): ``"output"`` y,
    ``"loss"`` E, ``"delta"``, ``"w"``, ``"b"``.
    """
    _check_loss(loss)
    for name, value in (("w", w), ("b", b), ("x", x), ("t", t)):
        if not (isinstance(value, (int, float, np.floating, np.integer)) and math.isfinite(value)):
            raise ValueError(f"expected {name} to be a finite number, got {value!r}")
    if not 0 <= t <= 1:
        raise ValueError(f"expected the target t to be in [0, 1] (a sigmoid output), got {t!r}")
    eta = check_rate(eta)
    epochs = check_positive_int(epochs, "epochs", "the number of gradient steps")
    record = {key: np.empty(epochs + 1) for key in ("output", "loss", "delta", "w", "b")}
    w, b = float(w), float(b)
    for step in range(epochs + 1):
        y = float(sigmoid(w * x + b))  # eq. 1.1, 1.2
        delta = float(neuron_delta(y, t, loss))
        for key, value in (("output", y), ("loss", float(neuron_loss(y, t, loss))), ("delta", delta),
                           ("w", w), ("b", b)):
            record[key][step] = value
        w += eta * delta * x  # eq. 4.5
        b += eta * delta  # eq. 4.8: the bias input is 1
    return record


def _check_loss(loss):
    if loss not in LOSSES:
        raise ValueError(f"expected loss to be one of {LOSSES}, got {loss!r}")
