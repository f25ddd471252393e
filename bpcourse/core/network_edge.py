"""The edge the two networks share: their common methods, and the checks of every value that enters them.

:class:`bpcourse.core.oo_network.Network` and :class:`bpcourse.core.vectorized.Network` both derive from
:class:`NetworkEdge`. A value is checked where it enters (the constructor, ``predict``, ``loss_value``,
``train``, ``train_batch``) and never again inside a step; ``train_batch(..., checked=True)`` is how ``train``
and :func:`bpcourse.core.training.fit`, having checked the whole data set once, skip the check per step.
"""

import numpy as np

from bpcourse.core.activations import get_activator
from bpcourse.core.losses import get_loss
from bpcourse.core.validation import (
    as_data_set,
    as_samples,
    as_targets,
    check_fits_in_memory,
    check_layer_sizes,
    check_positive_int,
    check_rate,
    check_weight_decay,
)


class NetworkEdge:
    """Both networks' common part. A network sets ``dtype`` and brings ``_outputs(X)``: (N, n_in) -> (N, n_out)."""

    def _set_architecture(self, layer_sizes, activator, loss, bytes_per_weight, what):
        """Check and keep ``layer_sizes``, ``activator`` and ``loss``; refuse sizes whose weights overflow memory."""
        self.layer_sizes = check_layer_sizes(layer_sizes)
        self.activator = get_activator(activator)
        self.loss = get_loss(loss)
        sizes = self.layer_sizes
        weights = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))  # biases included
        check_fits_in_memory(weights, bytes_per_weight, "layer_sizes", what)

    def predict(self, x):
        """The network's output y for one sample x, (n_in,) -> (n_out,), or a batch, (N, n_in) -> (N, n_out)."""
        X, single = self._check_samples(x)
        Y = self._outputs(X)
        return Y[0] if single else Y

    def loss_value(self, x, t):
        """The loss E of the output (eq. 4.9, E = 1/2 sum_i (t_i - y_i)^2 by default) for x (n_in,), t (n_out,).

        For a batch, (N, n_in) and (N, n_out), the mean over the N samples. A float.
        """
        X, single = self._check_samples(x)
        T = self._check_targets(t, len(X), single)
        return float(np.mean(self.loss.value(self._outputs(X), T)))

    # --- the checks at the edge ----------------------------------------------------------

    def _check_samples(self, x):
        """(x as an array (N, n_in) of the network's dtype, whether it was one 1-D sample)."""
        return as_samples(x, self.layer_sizes[0], self.dtype)

    def _check_targets(self, t, n, single):
        """t as an array (n, n_out) of the network's dtype; t must have the same form (1-D or 2-D) as the input."""
        return as_targets(t, n, self.layer_sizes[-1], single, self.dtype)

    def _check_step(self, X, T, rate, weight_decay):
        """The arguments of ``train_batch``, checked: (X (N, n_in), T (N, n_out), rate, weight_decay)."""
        X, single = self._check_samples(X)
        T = self._check_targets(T, len(X), single)
        rate = check_rate(rate)
        return X, T, rate, check_weight_decay(weight_decay, rate)

    def _check_training(self, labels, data_set, rate, epochs):
        """The arguments of ``train``, checked: (T (N, n_out), X (N, n_in), rate, epochs)."""
        T, X = as_data_set(labels, data_set, self.layer_sizes[0], self.layer_sizes[-1], self.dtype)
        return T, X, check_rate(rate), check_positive_int(epochs, "epochs", "the number of passes")
