"""The gradient check (eq. 5.1-5.4): compare backprop's gradient with central differences.

For one sample (x, t) and one weight w_ji, the numeric gradient is (eq. 5.4)

    dE/dw_ji ~ (E(w_ji + epsilon) - E(w_ji - epsilon)) / (2 epsilon),

with E = 1/2 sum (t - y)^2 (eq. 4.9), and it should match the analytic
gradient that backpropagation computes. Both are compared with the relative
error |a - n| / max(1e-8, |a| + |n|).

Works on both networks through ``get_weights``, ``set_weights``, ``loss_value``
and ``gradients`` (the true dE/dW, so no sign flip: the text's check compared
with the connections' delta * x = -dE/dw and so computed E(w - eps) - E(w + eps)).
Every perturbed weight is put back by assigning its saved value (adding and
subtracting epsilon back can change the last bit), even if something fails
halfway. Use float64 networks: in float32 the differences of E drown in rounding.
"""

from dataclasses import dataclass

import numpy as np

from bpcourse.core.validation import is_positive_int, is_positive_number


def relative_error(a, n):
    """|a - n| / max(1e-8, |a| + |n|) of analytic ``a`` and numeric ``n``, elementwise (a float for floats)."""
    a = np.asarray(a, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    error = np.abs(a - n) / np.maximum(1e-8, np.abs(a) + np.abs(n))
    return float(error) if error.ndim == 0 else error


@dataclass
class GradientCheckReport:
    """Per-weight result of :func:`gradient_check`; all arrays have shape (K,) for K checked weights.

    - layer: index into ``network.get_weights()`` (0: from the input layer into the first hidden one).
    - row: j, the target node (row of W); col: i, the source node (column of W), -1 for the bias w_jb.
    - analytic, numeric, relative_error: dE/dw from the backward pass, from eq. 5.4, and their error.
    - epsilon: the step used in eq. 5.4.
    """

    layer: np.ndarray
    row: np.ndarray
    col: np.ndarray
    analytic: np.ndarray
    numeric: np.ndarray
    relative_error: np.ndarray
    epsilon: float

    @property
    def max_relative_error(self):
        """The largest relative error over the checked weights (0.0 if none were checked)."""
        return float(self.relative_error.max()) if len(self.relative_error) else 0.0

    def passed(self, threshold=1e-7):
        """True if every relative error is below ``threshold``."""
        return bool(np.all(self.relative_error < threshold))

    def rows(self):
        """One dict per checked weight, for a table (``pandas.DataFrame(report.rows())``)."""
        return [
            {"layer": int(l), "row": int(j), "col": int(i), "weight": f"W[{l}][{j}, {i}]" if i >= 0 else f"b[{l}][{j}]",
             "analytic": float(a), "numeric": float(n), "relative_error": float(r)}
            for l, j, i, a, n, r in zip(self.layer, self.row, self.col, self.analytic, self.numeric,
                                        self.relative_error)
        ]

    def __len__(self):
        return len(self.relative_error)

    def summary(self, threshold=1e-7):
        """One line: how many weights, the largest relative error, passed or FAILED at ``threshold``."""
        verdict = "passed" if self.passed(threshold) else "FAILED"
        return (f"gradient check of {len(self)} weights (epsilon={self.epsilon:g}): "
                f"max relative error {self.max_relative_error:.3g} ({verdict} at {threshold:g})")

    def __str__(self):
        return self.summary()


def numeric_gradient(network, x, t, layer, row, col, epsilon=1e-4):
    """dE/dw for one weight by central differences (eq. 5.4), a float; the weight is restored exactly.

    x (n_in,), t (n_out,); the weight W[layer][row, col] (w_ji, j = row, i = col), or the bias
    b[layer][row] for ``col == -1``; ``epsilon`` the step (the text: 1e-4).
    """
    epsilon = _check_epsilon(epsilon)
    saved = network.get_weights()
    _check_index(saved, layer, row, col)
    return float(_numeric(network, saved, x, t, [(layer, row, col)], epsilon)[0])


def gradient_check(network, x, t, epsilon=1e-4, analytic=None, max_weights=None, rng=None):
    """Check every weight's analytic gradient against eq. 5.4 for one sample x (n_in,), t (n_out,): a report.

    The network's weights are the same afterwards, bit for bit. ``analytic``: the backward pass to check,
    (network, x, t) -> list of (dW, db), default ``network.gradients``; ``max_weights``: check only this
    many weights, drawn by ``rng`` (default seed 0); None: all. Returns a :class:`GradientCheckReport`.
    """
    epsilon = _check_epsilon(epsilon)
    saved = network.get_weights()
    gradient_fn = analytic if analytic is not None else (lambda net, x_, t_: net.gradients(x_, t_))
    try:
        grads = _check_gradients(gradient_fn(network, x, t), saved)
    finally:
        network.set_weights(saved)  # an analytic function must not change the weights under test

    # every weight as (layer, row, col), bias col = -1, in get_weights order
    index = [(l, j, i) for l, (W, b) in enumerate(saved) for j in range(W.shape[0]) for i in [*range(W.shape[1]), -1]]
    if max_weights is not None:
        if not is_positive_int(max_weights):
            raise ValueError(f"expected max_weights to be a positive int or None, got {max_weights!r}")
        if max_weights < len(index):
            generator = np.random.default_rng(0 if rng is None else rng)
            chosen = np.sort(generator.choice(len(index), size=int(max_weights), replace=False))
            index = [index[k] for k in chosen]

    numeric = _numeric(network, saved, x, t, index, epsilon)
    layer, row, col = np.array(index, dtype=int).reshape(-1, 3).T
    analytic_values = np.array([grads[l][0][j, i] if i >= 0 else grads[l][1][j] for l, j, i in index])
    errors = np.asarray(relative_error(analytic_values, numeric), dtype=np.float64).reshape(-1)
    return GradientCheckReport(layer, row, col, analytic_values, numeric, errors, epsilon)


def _numeric(network, saved, x, t, index, epsilon):
    """Eq. 5.4 for every (layer, row, col) of ``index``, on a working copy; the ``saved`` weights are put back."""
    work = [(W.copy(), b.copy()) for W, b in saved]
    try:
        return np.array([_central_difference(network, work, x, t, l, j, i, epsilon) for l, j, i in index], dtype=float)
    finally:
        network.set_weights(saved)


def _central_difference(network, work, x, t, layer, row, col, epsilon):
    """Eq. 5.4 for one weight of the working copy ``work``; puts the saved original value back."""
    target, position = (work[layer][0], (row, col)) if col >= 0 else (work[layer][1], (row,))
    original = target[position]  # saved, so that it can be restored exactly
    try:
        target[position] = original + epsilon
        network.set_weights(work)
        loss_plus = network.loss_value(x, t)
        target[position] = original - epsilon
        network.set_weights(work)
        loss_minus = network.loss_value(x, t)
    finally:
        target[position] = original  # restore the saved value; never "add epsilon back"
    return (loss_plus - loss_minus) / (2 * epsilon)  # eq. 5.4


def _check_epsilon(epsilon):
    if not is_positive_number(epsilon):
        raise ValueError(f"expected epsilon to be a small positive number (e.g. 1e-4), got {epsilon!r}")
    return float(epsilon)


def _check_index(weights, layer, row, col):
    if not 0 <= layer < len(weights):
        raise ValueError(f"expected layer in 0..{len(weights) - 1}, got {layer}")
    W = weights[layer][0]
    if not 0 <= row < W.shape[0] or not -1 <= col < W.shape[1]:
        raise ValueError(f"expected row in 0..{W.shape[0] - 1} and col in -1..{W.shape[1] - 1} (-1 = bias) "
                         f"for layer {layer} (W of shape {W.shape}), got row {row}, col {col}")


def _check_gradients(grads, weights):
    """The analytic gradient must be a list of (dW, db) shaped like the weights."""
    expected = [(W.shape, b.shape) for W, b in weights]
    try:
        got = [(np.shape(dW), np.shape(db)) for dW, db in grads]
    except (TypeError, ValueError):
        got = None
    if got != expected:
        raise ValueError(f"expected the analytic gradient as a list of (dW, db) with shapes {expected}, "
                         f"got {got if got is not None else type(grads).__name__}")
    return [(np.asarray(dW, dtype=np.float64), np.asarray(db, dtype=np.float64)) for dW, db in grads]
