"""Losses: what the network minimizes, and the error term delta it gives the output layer.

A loss is one small object (like Nielsen's ``QuadraticCost`` and
``CrossEntropyCost`` in ``network2.py``): ``name`` (recorded in checkpoints);
``output_activator(activator)``, the output layer's activation given the
network's; ``value(y, t)``, the loss E of each sample; ``delta(y, t,
activator)``, the output layer's error term in the TEXT's sign, -dE/dnet
(eq. 4.1 / 6.2 for the squared error).

Shapes: one sample y, t (n_out,), ``value`` a float; a batch (N, n_out), one
sample per row, ``value`` (N,). ``delta`` returns a new array of y's shape.
Both networks take ``loss=`` as a name (:data:`LOSSES`) or an object, and
never name a particular loss.
"""

import numpy as np

from bpcourse.core.activations import SoftmaxActivator

__all__ = ["LOSSES", "SoftmaxCrossEntropy", "SquaredError", "get_loss"]


class SquaredError:
    """The text's loss E = 1/2 sum_i (t_i - y_i)^2 (eq. 4.9), with the network's own output activation."""

    name = "squared_error"

    @staticmethod
    def output_activator(activator):
        """The output layer uses the network's activation f: y = f(net) (eq. 3.3)."""
        return activator

    @staticmethod
    def value(y, t):
        """E = 1/2 sum_i (t_i - y_i)^2 (eq. 4.9): a float for one sample, shape (N,) for a batch."""
        err = np.subtract(t, y)
        err *= err
        E = 0.5 * np.add.reduce(err, axis=-1)
        return float(E) if E.ndim == 0 else E

    @staticmethod
    def delta(y, t, activator):
        """delta = f'(y) (t - y) = -dE/dnet (for the sigmoid y(1 - y)(t - y)); a row per sample: eq. 6.2."""
        return activator.backward(y) * np.subtract(t, y)  # eq. 4.1 (a row per sample: eq. 6.2)


class SoftmaxCrossEntropy:
    """Softmax outputs with the cross-entropy E = -sum_i t_i ln y_i; t is a probability vector (e.g. one-hot)."""

    name = "softmax_cross_entropy"

    @staticmethod
    def output_activator(activator):
        """y = softmax(net); the network's activation is used in the hidden layers only."""
        return SoftmaxActivator

    @staticmethod
    def value(y, t):
        """E = -sum_i t_i ln y_i: a float for one sample, shape (N,) for a batch.

        A y that rounded to 0 counts as the smallest positive float, so E
        stays finite (about 745 per unit of t at most, in float64).
        """
        y = np.asarray(y)
        tiny = np.finfo(y.dtype if np.issubdtype(y.dtype, np.floating) else np.float64).tiny
        E = -np.sum(np.asarray(t) * np.log(np.maximum(y, tiny)), axis=-1)
        return float(E) if E.ndim == 0 else E

    @staticmethod
    def delta(y, t, activator):
        """delta = -dE/dnet = t - y (softmax and cross-entropy together; t must sum to 1 per sample)."""
        return np.subtract(t, y)


LOSSES = {SquaredError.name: SquaredError, SoftmaxCrossEntropy.name: SoftmaxCrossEntropy}  # by name


def get_loss(loss):
    """The loss named ``loss`` (a key of :data:`LOSSES`), or ``loss`` itself if it is a loss object."""
    if isinstance(loss, str):
        try:
            return LOSSES[loss]
        except KeyError:
            raise ValueError(f"unknown loss {loss!r}: expected one of {sorted(LOSSES)} or a loss object") from None
    missing = [name for name in ("name", "output_activator", "value", "delta") if not hasattr(loss, name)]
    if missing or not isinstance(getattr(loss, "name"), str):
        raise TypeError(f"expected loss to be one of {sorted(LOSSES)} or an object with a name (str), "
                        f"output_activator(activator), value(y, t) and delta(y, t, activator); "
                        f"{loss!r} has no {missing or 'str name'}")
    return loss
