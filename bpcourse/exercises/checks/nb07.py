"""Checks for the exercises of notebook 07: a layer's backward pass and its update, vectorized.

Both exercises work on a batch of N samples, one sample per **row**, as
:class:`bpcourse.core.vectorized.FullConnectedLayer` does (a single sample is a
row of shape (1, n)); ``delta`` always has the text's sign,
delta = -dE/dnet (eq. 4.1, 4.3, 6.2, 6.3).

- ``check_layer_backward`` tests ``layer_backward(W, a_prev, delta)`` ->
  ``(delta_prev, dW, db)`` against ``FullConnectedLayer.backward``: the delta
  of the layer below (eq. 6.3) and the TRUE gradient dE/dW, dE/db, averaged
  over the batch (the text's eq. 6.5 without eta, with its sign turned).
- ``check_batch_update`` tests ``batch_update(W, b, X, delta, rate)`` ->
  ``(W_new, b_new)`` against ``FullConnectedLayer.backward`` + ``update``:
  eq. 6.5 and 6.6 with the mean over the batch,
  W + eta (1/N) sum_n delta_n x_n^T and b + eta (1/N) sum_n delta_n.

A failure raises ``AssertionError`` naming the case, the shapes, what was
expected, what came back and a hint for the usual mistake (transposed
weights, a sum instead of the mean, a missing derivative, a flipped sign);
success prints one line.
"""

import numpy as np

from bpcourse.core.activations import sigmoid
from bpcourse.exercises.checks._common import (call_learner, check_returned, check_unchanged, compare_arrays, failure, head,
                                     matches)
from bpcourse.core.activations import times_derivative
from bpcourse.core.vectorized import FullConnectedLayer

RTOL = 1e-10
"""Relative tolerance: other correct orders of summation agree to about 1e-15."""
ATOL = 1e-12


def reference_layer_backward(W, a_prev, delta):
    """The package's answer: ``FullConnectedLayer.backward`` for weights W on inputs a_prev.

    Inputs: W (n_out, n_in), a_prev (N, n_in) sigmoid outputs of the layer
    below, delta (N, n_out) the text's error term of this layer.
    Returns (delta_prev (N, n_in), dW (n_out, n_in), db (n_out,)), new arrays.
    """
    layer = _layer(W, np.zeros(W.shape[0]))
    a_prev = np.array(a_prev, dtype=np.float64)
    layer.forward(a_prev)
    delta_prev = layer.backward(np.array(delta, dtype=np.float64))  # W^T delta for every row
    delta_prev = times_derivative(layer.activator, a_prev, delta_prev)  # eq. 6.3: times a(1 - a)
    return delta_prev.copy(), layer.dW.copy(), layer.db.copy()


def reference_batch_update(W, b, X, delta, rate):
    """The package's answer: ``FullConnectedLayer.backward`` then ``update(rate)``.

    Returns (W_new (n_out, n_in), b_new (n_out,)), new arrays; W and b are unchanged.
    """
    layer = _layer(W, b)
    layer.forward(np.array(X, dtype=np.float64))
    layer.backward(np.array(delta, dtype=np.float64), propagate=False)
    layer.update(rate)
    return layer.W.copy(), layer.b.copy()


def _layer(W, b):
    W = np.asarray(W, dtype=np.float64)
    layer = FullConnectedLayer(W.shape[1], W.shape[0], "sigmoid", rng=0)
    layer.W[...] = W
    layer.b[...] = b
    return layer


def _cases():
    """(description, n_in, n_out, N): non-square layers, so a transposed W shows."""
    return [
        ("a single sample (N = 1, one row)", 5, 3, 1),
        ("a batch of N = 4 samples", 5, 3, 4),
        ("a batch of N = 7 with more outputs than inputs", 3, 6, 7),
        ("a batch of N = 16 on a 784-30 layer (MNIST size)", 784, 30, 16),
    ]


def _data(rng, n_in, n_out, n):
    W = rng.uniform(-0.5, 0.5, size=(n_out, n_in))
    b = rng.uniform(-0.5, 0.5, size=n_out)
    a_prev = sigmoid(rng.normal(0.0, 2.0, size=(n, n_in)))  # outputs of a sigmoid layer
    delta = rng.normal(0.0, 0.1, size=(n, n_out))
    return W, b, a_prev, delta


def check_layer_backward(layer_backward):
    """Check a learner's ``layer_backward(W, a_prev, delta)`` -> ``(delta_prev, dW, db)``.

    Inputs given: W (n_out, n_in); a_prev (N, n_in), the layer's inputs (sigmoid
    outputs of the layer below); delta (N, n_out), this layer's error term
    (text's sign). Expected:
    delta_prev = a_prev (1 - a_prev) * (delta @ W)   (eq. 6.3, row-wise),
    dW = -(1/N) delta^T a_prev, db = -(1/N) sum_n delta_n   (true gradient, mean).
    Cases: one sample, batches of 4, 7 and 16, non-square layers.
    """
    rng = np.random.default_rng(70)
    cases = _cases()
    for description, n_in, n_out, n in cases:
        W, b, a_prev, delta = _data(rng, n_in, n_out, n)
        expected = reference_layer_backward(W, a_prev, delta)
        given = (W.copy(), a_prev.copy(), delta.copy())
        head_text = head("check_layer_backward", description,
                         f"input shapes: W {W.shape}, a_prev {a_prev.shape}, delta {delta.shape}")
        got = call_learner(layer_backward, given, check="check_layer_backward", name="layer_backward",
                           head_text=head_text,
                           hint=_error_hint("delta_prev = a_prev * (1 - a_prev) * (delta @ W); "
                                            "dW = -(delta.T @ a_prev) / N; db = -delta.mean(axis=0)."))
        check_unchanged(head_text, "layer_backward", [("W", W), ("a_prev", a_prev), ("delta", delta)], given,
                        _UNCHANGED_HINT, phrase="its argument {}")
        got = _as_tuple(head_text, "layer_backward", got, 3, "(delta_prev, dW, db)")
        for name, value, reference in zip(("delta_prev", "dW", "db"), got, expected):
            compare_arrays(head_text, "layer_backward", reference, value, rtol=RTOL, atol=ATOL, part=name,
                           type_hint="return NumPy arrays.",
                           hint=lambda v, name=name: _backward_hint(name, v, W, a_prev, delta))
    print(f"check_layer_backward: all {len(cases)} cases passed (a single sample, batches, "
          f"delta_prev, dW and db)")


def check_batch_update(batch_update):
    """Check a learner's ``batch_update(W, b, X, delta, rate)`` -> ``(W_new, b_new)``.

    Inputs given: W (n_out, n_in), b (n_out,), X (N, n_in) the layer's inputs,
    delta (N, n_out) the text's error term, rate eta. Expected (eq. 6.5, 6.6,
    mean over the batch): W_new = W + eta (delta^T X) / N,
    b_new = b + eta * mean over the rows of delta.
    Cases: one sample, batches of 4, 7 and 16, non-square layers, several rates.
    """
    rng = np.random.default_rng(71)
    cases = _cases()
    rates = (0.5, 0.1, 2.0, 0.3)
    for (description, n_in, n_out, n), rate in zip(cases, rates):
        W, b, X, delta = _data(rng, n_in, n_out, n)
        expected = reference_batch_update(W, b, X, delta, rate)
        given = (W.copy(), b.copy(), X.copy(), delta.copy(), rate)
        head_text = head("check_batch_update", f"{description}, rate = {rate}",
                         f"input shapes: W {W.shape}, b {b.shape}, X {X.shape}, delta {delta.shape}")
        got = call_learner(batch_update, given, check="check_batch_update", name="batch_update",
                           head_text=head_text,
                           hint=_error_hint("W_new = W + rate * (delta.T @ X) / N; "
                                            "b_new = b + rate * delta.mean(axis=0)."))
        check_unchanged(head_text, "batch_update", [("X", X), ("delta", delta)], given[2:4], _UNCHANGED_HINT,
                        phrase="its argument {}")
        got = _as_tuple(head_text, "batch_update", got, 2, "(W_new, b_new)")
        for name, value, reference in zip(("W_new", "b_new"), got, expected):
            compare_arrays(head_text, "batch_update", reference, value, rtol=RTOL, atol=ATOL, part=name,
                           type_hint="return NumPy arrays.",
                           hint=lambda v, name=name: _update_hint(name, v, W, b, X, delta, rate))
    print(f"check_batch_update: all {len(cases)} cases passed (a single sample, batches, "
          f"W and b)")


# --- helpers ------------------------------------------------------------------------


_UNCHANGED_HINT = "compute new arrays (W + ..., not W += ...): the caller still needs the old values."


def _error_hint(formula):
    """The hint for an error raised by the learner's function: ``hint(error) -> str``."""
    def hint(err):
        if isinstance(err, ValueError) and ("matmul" in str(err) or "shapes" in str(err)):
            return ("the shapes do not fit a matrix product: W has shape (n_out, n_in), "
                    "delta (N, n_out), a row per sample, so delta @ W has shape (N, n_in) "
                    "and delta.T @ X has the shape of W. " + formula)
        return f"with one sample per row: {formula}"
    return hint


def _as_tuple(head_text, name, got, length, what):
    check_returned(head_text, name, got, f"return {what}.")
    if not isinstance(got, (tuple, list)) or len(got) != length:
        kind = type(got).__name__
        if isinstance(got, (tuple, list)):
            kind += f" of length {len(got)}"
        elif isinstance(got, np.ndarray):
            kind += f" of shape {got.shape}"
        raise failure(head_text, f"expected {length} results {what}, got a {kind}",
                      hint=f"end with `return {what[1:-1]}`.")
    return got


def _matches(got, candidate):
    return matches(got, candidate, rtol=1e-8, atol=1e-12)


def _backward_hint(name, got, W, a_prev, delta):
    n = len(delta)
    if name == "delta_prev":
        if got.shape == (n, W.shape[0]) or got.shape == (W.shape[1], n):
            return ("the weights are used the wrong way round: with one sample per row, "
                    "eq. 6.3's W^T delta becomes delta @ W, shape (N, n_in).")
        if _matches(got, delta @ W):
            return ("the derivative is missing: eq. 6.3 multiplies W^T delta by "
                    "a(1 - a) of the layer below, here a_prev * (1 - a_prev).")
        if _matches(got, -(a_prev * (1 - a_prev)) * (delta @ W)):
            return "the sign is flipped: delta_prev = a_prev * (1 - a_prev) * (delta @ W) (eq. 6.3)."
        s = sigmoid(a_prev)
        if _matches(got, s * (1 - s) * (delta @ W)):
            return ("a_prev already is the sigmoid's output a; its derivative is "
                    "a_prev * (1 - a_prev) (eq. 1.4), do not apply the sigmoid again.")
        return "delta_prev = a_prev * (1 - a_prev) * (delta @ W), eq. 6.3 with a row per sample."
    sums = {"dW": -delta.T @ a_prev, "db": -delta.sum(axis=0)}
    if got.shape == sums["dW"].T.shape and name == "dW" and W.shape[0] != W.shape[1]:
        return "dW has the shape of W, (n_out, n_in): it is delta.T @ a_prev, not a_prev.T @ delta."
    if name == "db" and got.shape != (W.shape[0],):
        return "db has one entry per output: average delta over the rows (axis=0)."
    if n > 1 and _matches(got, sums[name]):
        return (f"you sum over the {n} samples; the package uses the MEAN gradient of the batch "
                f"(divide by N = {n}), so the same rate works for any batch size.")
    if _matches(got, -sums[name] / n):
        return ("the sign is flipped: delta = -dE/dnet, so the true gradient is "
                "dW = -(delta.T @ a_prev) / N (the text's update ADDS eta delta x^T, eq. 6.5).")
    if n > 1 and _matches(got, -sums[name]):
        return "sign flipped and summed: dW = -(delta.T @ a_prev) / N, the mean true gradient."
    return ("dW = -(delta.T @ a_prev) / N and db = -delta.mean(axis=0): the true gradient "
            "dE/dW averaged over the batch (eq. 6.5 and 6.6 without eta, sign turned).")


def _update_hint(name, got, W, b, X, delta, rate):
    n = len(delta)
    step = {"W_new": delta.T @ X, "b_new": delta.sum(axis=0)}[name]
    old = {"W_new": W, "b_new": b}[name]
    if name == "W_new" and got.shape == W.T.shape and W.shape[0] != W.shape[1]:
        return ("transposed: W has shape (n_out, n_in) and so must its update: "
                "delta.T @ X, not X.T @ delta (eq. 6.5: delta x^T).")
    if name == "b_new" and got.shape != b.shape:
        return "b_new has one entry per output: average delta over the rows (axis=0)."
    if n > 1 and _matches(got, old + rate * step):
        return (f"you sum over the {n} samples; the package averages the batch: divide by "
                f"N = {n} (the same rate then works for any batch size).")
    if _matches(got, old - rate * step / n):
        return ("the sign is flipped: delta = -dE/dnet, so the text's update ADDS "
                "eta delta x^T (eq. 6.5) and eta delta (eq. 6.6).")
    if _matches(got, rate * step / n):
        return "you return only the change; return the updated weights, W + change."
    if _matches(got, old + step / n):
        return "the learning rate is missing: multiply the change by rate (eta)."
    return "W_new = W + rate * (delta.T @ X) / N and b_new = b + rate * delta.mean(axis=0)."
