"""Checks for the exercises of notebook 07: a layer's backward pass and its update, a two-layer pass, vectorized.

A batch holds N samples, one per **row**, as in :class:`bpcourse.core.vectorized.FullConnectedLayer` (a single
sample is a row of shape (1, n)); ``delta`` has the text's sign, -dE/dnet (eq. 4.1, 4.3, 6.2, 6.3).
"""

import numpy as np

from bpcourse.core.activations import sigmoid
from bpcourse.core.oo_network import Network as ObjectNetwork
from bpcourse.core.trace import backward_trace, forward_trace, weight_steps
from bpcourse.core.vectorized import FullConnectedLayer, Network
from bpcourse.exercises.checks._common import (call_learner, call_on_copies, check_returned, check_unchanged,
                                               compare_arrays, distinct_sizes, exercise_check, failure, head, matches,
                                               passed)
from bpcourse.exercises.catalog import Exercise

VECTOR_METHODS = {"backward", "update", "gradients", "get_gradient", "train_batch", "train", "train_one_sample",
                  "_backward", "_descend", "_train_step", "_output_delta", "_forward", "forward", "predict"}

RTOL = 1e-10  # other correct orders of summation agree to about 1e-15
ATOL = 1e-12


def reference_layer_backward(W, a_prev, delta):
    """``FullConnectedLayer.backward``: W (n_out, n_in), a_prev (N, n_in) sigmoid outputs, delta (N, n_out) ->
    new arrays (delta_prev (N, n_in), dW (n_out, n_in), db (n_out,))."""
    layer = _layer(W, np.zeros(W.shape[0]))
    a_prev = np.array(a_prev, dtype=np.float64)
    layer.forward(a_prev)
    delta_prev = layer.backward(np.array(delta, dtype=np.float64)) * layer.activator.backward(a_prev)  # eq. 6.3
    return delta_prev, layer.dW.copy(), layer.db.copy()


def reference_batch_update(W, b, X, delta, rate):
    """``FullConnectedLayer.backward`` then ``update(rate)``: new arrays (W_new (n_out, n_in), b_new (n_out,))."""
    layer = _layer(W, b)
    layer.forward(np.array(X, dtype=np.float64))
    layer.backward(np.array(delta, dtype=np.float64), propagate=False)
    layer.update(rate)
    return layer.W.copy(), layer.b.copy()


REFERENCES = (reference_layer_backward, reference_batch_update)


def _layer(W, b):
    W = np.asarray(W, dtype=np.float64)
    layer = FullConnectedLayer(W.shape[1], W.shape[0], "sigmoid", rng=0)
    layer.W[...] = W
    layer.b[...] = b
    return layer


def _cases(seed=None):
    """(description, n_in, n_out, N): non-square layers, so a transposed W shows; random ones from ``seed``."""
    if seed is not None:
        rng = np.random.default_rng(seed)
        n_in, n_out, n = distinct_sizes(rng, 3, 2, 12)
        return [(f"hidden case: a {n_in}-{n_out} layer, a batch of {n}", n_in, n_out, n),
                (f"hidden case: a {n_out}-{n_in} layer, one sample", n_out, n_in, 1)]
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


@exercise_check("layer_backward", "eq. 6.3-6.5", REFERENCES + (FullConnectedLayer.backward, Network.gradients,
                                                             ObjectNetwork.gradients), VECTOR_METHODS)
def check_layer_backward(layer_backward, *, seed=None):
    """Check a learner's ``layer_backward(W, a_prev, delta)`` -> ``(delta_prev, dW, db)``: the layer below's delta
    (eq. 6.3, row-wise) and the TRUE gradient dE/dW, dE/db, the mean over the batch."""
    rng = np.random.default_rng(70 if seed is None else seed + 1)
    cases = _cases(seed)
    for description, n_in, n_out, n in cases:
        W, b, a_prev, delta = _data(rng, n_in, n_out, n)
        expected = reference_layer_backward(W, a_prev, delta)
        head_text, got = call_on_copies(
            layer_backward, [("W", W), ("a_prev", a_prev), ("delta", delta)], check="check_layer_backward",
            name="layer_backward", description=description,
            lines=[f"input shapes: W {W.shape}, a_prev {a_prev.shape}, delta {delta.shape}"],
            hint=_error_hint("delta_prev is eq. 6.3 written for rows; dW and db are the true gradient, the negative "
                             "of eq. 6.5's step without eta, averaged over the N rows."),
            unchanged=_UNCHANGED_HINT, phrase="its argument {}", returned="return (delta_prev, dW, db).")
        got = _as_tuple(head_text, "layer_backward", got, 3, "(delta_prev, dW, db)")
        for name, value, reference in zip(("delta_prev", "dW", "db"), got, expected):
            compare_arrays(head_text, "layer_backward", reference, value, rtol=RTOL, atol=ATOL, part=name,
                           type_hint="return NumPy arrays.",
                           hint=lambda v, name=name: _backward_hint(name, v, W, a_prev, delta))
    passed("check_layer_backward", seed, len(cases), "delta_prev (eq. 6.3) and the mean true gradient dW, db "
           "match FullConnectedLayer.backward for a single sample and batches")


@exercise_check("batch_update", "eq. 6.5 and 6.6",
                REFERENCES + (FullConnectedLayer.update, FullConnectedLayer.backward), VECTOR_METHODS)
def check_batch_update(batch_update, *, seed=None):
    """Check a learner's ``batch_update(W, b, X, delta, rate)`` -> ``(W_new, b_new)``, eq. 6.5 and 6.6 with the mean
    over the batch: W + eta (1/N) sum_n delta_n x_n^T and b + eta (1/N) sum_n delta_n."""
    rng = np.random.default_rng(71 if seed is None else seed + 2)
    cases = _cases(seed)
    rates = (0.5, 0.1, 2.0, 0.3)
    for (description, n_in, n_out, n), rate in zip(cases, rates):
        W, b, X, delta = _data(rng, n_in, n_out, n)
        expected = reference_batch_update(W, b, X, delta, rate)
        given = (W.copy(), b.copy(), X.copy(), delta.copy(), rate)
        head_text = head("check_batch_update", f"{description}, rate = {rate}",
                         f"input shapes: W {W.shape}, b {b.shape}, X {X.shape}, delta {delta.shape}")
        got = call_learner(batch_update, given, check="check_batch_update", name="batch_update",
                           head_text=head_text,
                           hint=_error_hint("eq. 6.5 and 6.6, with the sum over the N rows divided by N."))
        check_unchanged(head_text, "batch_update", [("X", X), ("delta", delta)], given[2:4], _UNCHANGED_HINT,
                        phrase="its argument {}")
        got = _as_tuple(head_text, "batch_update", got, 2, "(W_new, b_new)")
        for name, value, reference in zip(("W_new", "b_new"), got, expected):
            compare_arrays(head_text, "batch_update", reference, value, rtol=RTOL, atol=ATOL, part=name,
                           type_hint="return NumPy arrays.",
                           hint=lambda v, name=name: _update_hint(name, v, W, b, X, delta, rate))
    passed("check_batch_update", seed, len(cases), "W_new and b_new match eq. 6.5 and 6.6 averaged over the "
           "batch, for a single sample, batches and several rates, inputs left unchanged")


_UNCHANGED_HINT = "compute new arrays (W + ..., not W += ...): the caller still needs the old values."


def _error_hint(formula):
    """The hint for an error raised by the learner's function: ``hint(error) -> str``."""
    def hint(err):
        if isinstance(err, ValueError) and ("matmul" in str(err) or "shapes" in str(err)):
            return ("the shapes do not fit a matrix product: W has shape (n_out, n_in), delta (N, n_out), a row per "
                    "sample; delta_prev has shape (N, n_in) and the weight gradient the shape of W. " + formula)
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
            return ("the weights are used the wrong way round: with one sample per row, eq. 6.3's W^T delta turns "
                    "into a product with W on the right, shape (N, n_in).")
        if _matches(got, delta @ W):
            return ("the derivative is missing: eq. 6.3 multiplies W^T delta by a(1 - a) of the layer below, whose "
                    "outputs are a_prev.")
        if _matches(got, -(a_prev * (1 - a_prev)) * (delta @ W)):
            return "the sign is flipped: eq. 6.3 has no minus sign; delta keeps the text's sign, -dE/dnet."
        s = sigmoid(a_prev)
        if _matches(got, s * (1 - s) * (delta @ W)):
            return ("a_prev already is the sigmoid's output a; its derivative is a(1 - a) of that very output (eq. "
                    "1.4), do not apply the sigmoid again.")
        return "eq. 6.3 with a row per sample: the derivative of the layer below times the back-propagated delta."
    sums = {"dW": -delta.T @ a_prev, "db": -delta.sum(axis=0)}
    if got.shape == sums["dW"].T.shape and name == "dW" and W.shape[0] != W.shape[1]:
        return "dW has the shape of W, (n_out, n_in): the product of delta and a_prev is taken the other way round."
    if name == "db" and got.shape != (W.shape[0],):
        return "db has one entry per output: average over the rows (the samples), not over the columns."
    if n > 1 and _matches(got, sums[name]):
        return (f"you sum over the {n} samples; the package uses the MEAN gradient of the batch (divide by N = {n}), "
                f"so the same rate works for any batch size.")
    if _matches(got, -sums[name] / n):
        return ("the sign is flipped: delta = -dE/dnet, so the true gradient is the NEGATIVE of eq. 6.5's "
                "delta x^T (the text's update ADDS eta delta x^T).")
    if n > 1 and _matches(got, -sums[name]):
        return "sign flipped and summed: the true gradient is minus delta x^T, averaged (not summed) over the batch."
    return ("the true gradient dE/dW averaged over the batch: eq. 6.5 and 6.6 without eta, with the sign "
            "turned, the sum over the rows divided by N.")


def _update_hint(name, got, W, b, X, delta, rate):
    n = len(delta)
    step = {"W_new": delta.T @ X, "b_new": delta.sum(axis=0)}[name]
    old = {"W_new": W, "b_new": b}[name]
    if name == "W_new" and got.shape == W.T.shape and W.shape[0] != W.shape[1]:
        return ("transposed: W has shape (n_out, n_in) and so must its update (eq. 6.5: delta x^T, the output "
                "side first).")
    if name == "b_new" and got.shape != b.shape:
        return "b_new has one entry per output: average over the rows (the samples), not over the columns."
    if n > 1 and _matches(got, old + rate * step):
        return (f"you sum over the {n} samples; the package averages the batch: divide by N = {n} (the same rate then "
                f"works for any batch size).")
    if _matches(got, old - rate * step / n):
        return ("the sign is flipped: delta = -dE/dnet, so the text's update ADDS eta delta x^T (eq. 6.5) and eta "
                "delta (eq. 6.6).")
    if _matches(got, rate * step / n):
        return "you return only the change; return the updated weights, W + change."
    if _matches(got, old + step / n):
        return "the learning rate is missing: multiply the change by rate (eta)."
    return "eq. 6.5 and 6.6: the old values plus eta times the step, with the step averaged over the N rows."


def _object_network_answer(W1, b1, W2, b2, X, T):
    """Y and the batch-mean true gradients from the object network, one sample at a time (the slow reference)."""
    network = ObjectNetwork((W1.shape[1], W1.shape[0], W2.shape[0]))
    network.set_weights([(W1, b1), (W2, b2)])
    Y = np.array([network.predict(x) for x in X])
    per_sample = [network.gradients(x, t) for x, t in zip(X, T)]
    grads = [(np.mean([g[l][0] for g in per_sample], axis=0), np.mean([g[l][1] for g in per_sample], axis=0))
             for l in range(2)]
    return Y, grads


def _two_layer_variant(W1, b1, W2, b2, X, T, *, bias=True, hidden_slope=True, sign=-1.0, mean=True):
    """A configurable vectorized pass, only to recognize typical mistakes in hints."""
    weights = [(W1, b1), (W2, b2)]
    _, outputs = forward_trace(weights, X, bias=bias)
    Y = outputs[-1]
    deltas = backward_trace(weights, outputs, Y * (1 - Y) * (T - Y), hidden_slope=hidden_slope)
    return Y, weight_steps(deltas, outputs, scale=sign / (len(X) if mean else 1))


def _two_layer_cases(seed):
    rng = np.random.default_rng(72 if seed is None else seed)
    specs = [("a 5-4-3 network, a batch of N = 6", (5, 4, 3), 6),
             ("a single sample (N = 1) on a 3-6-2 network", (3, 6, 2), 1),
             ("a 784-30-10 network (MNIST size), N = 8", (784, 30, 10), 8)]
    if seed is not None:
        specs = [(f"hidden case {k}", distinct_sizes(rng, 3, 2, 9), int(rng.integers(1, 9))) for k in range(2)]
    for description, (n_in, n_hidden, n_out), n in specs:
        yield (description, rng.uniform(-0.5, 0.5, size=(n_hidden, n_in)), rng.uniform(-0.5, 0.5, size=n_hidden),
               rng.uniform(-0.5, 0.5, size=(n_out, n_hidden)), rng.uniform(-0.5, 0.5, size=n_out),
               rng.uniform(0, 1, size=(n, n_in)), np.where(rng.uniform(size=(n, n_out)) < 0.5, 0.1, 0.9))


@exercise_check("two_layer_pass", "eq. 6.1-6.6", REFERENCES + (Network.gradients, ObjectNetwork.gradients,
                                                             FullConnectedLayer.forward, FullConnectedLayer.backward),
                VECTOR_METHODS)
def check_two_layer_pass(two_layer_pass, *, seed=None):
    """Check a learner's ``two_layer_pass(W1, b1, W2, b2, X, T)`` -> ``(Y, [(dW1, db1), (dW2, db2)])``: the output
    (eq. 6.1) and the TRUE batch-mean gradients (eq. 6.2, 6.3) against the object network, one sample at a time."""
    check, name = "check_two_layer_pass", "two_layer_pass"
    cases = list(_two_layer_cases(seed))
    for description, W1, b1, W2, b2, X, T in cases:
        args = (W1, b1, W2, b2, X, T)
        head_text, got = call_on_copies(
            two_layer_pass, list(zip(("W1", "b1", "W2", "b2", "X", "T"), args)), check=check, name=name,
            description=description, lines=[f"input shapes: W1 {W1.shape}, b1 {b1.shape}, W2 {W2.shape}, "
                                            f"b2 {b2.shape}, X {X.shape}, T {T.shape}"],
            hint=_error_hint("forward pass layer by layer (eq. 6.1), then the error terms from the "
                             "output back (eq. 6.2, 6.3), then each layer's gradient."),
            unchanged=_UNCHANGED_HINT, phrase="its argument {}", returned="return (Y, grads).")
        Y, grads = _as_tuple(head_text, name, got, 2, "(Y, grads)")
        expected_Y, expected_grads = _object_network_answer(*args)
        compare_arrays(head_text, name, expected_Y, Y, rtol=1e-9, atol=1e-12, part="Y", type_hint="return arrays.",
                       hint="the output of eq. 6.1 applied twice, one row per sample", wrong_answers=[
                           (_two_layer_variant(*args, bias=False)[0], "the biases are missing from the forward pass "
                                                                      "(eq. 6.1: W a + b)")])
        grads = _as_tuple(head_text, name, grads, 2, "[(dW1, db1), (dW2, db2)]")
        variants = [
            (dict(sign=1.0), "that is the text's delta x^T, which is -dE/dW: return the TRUE gradient, its negative"),
            (dict(mean=False), f"you sum over the {len(X)} samples; average them (divide by N = {len(X)})"),
            (dict(sign=1.0, mean=False), "sign and scale: the true gradient is minus the text's delta x^T, averaged "
                                         "over the batch"),
            (dict(hidden_slope=False), "the hidden error terms lack the slope a(1 - a) of the hidden layer "
                                       "(eq. 6.3)"),
        ]
        for layer, (pair, expected_pair) in enumerate(zip(grads, expected_grads), start=1):
            pair = _as_tuple(head_text, name, pair, 2, f"(dW{layer}, db{layer})")
            for index, part in enumerate((f"dW{layer}", f"db{layer}")):
                wrong = [(_two_layer_variant(*args, **kwargs)[1][layer - 1][index], text) for kwargs, text in variants]
                shape_hint = ("dW has the shape of its W, (outputs, inputs): the output side comes first in the "
                              "product" if index == 0 else
                              "db has one entry per node of the layer: average over the rows (the samples)")
                compare_arrays(head_text, name, expected_pair[index], pair[index], rtol=1e-9, atol=1e-13, part=part,
                               type_hint="return arrays.", shape_hint=shape_hint, wrong_answers=wrong,
                               hint="the true gradient of eq. 6.5, 6.6 without eta (minus the text's step), "
                                    "averaged over the batch")
    passed(check, seed, len(cases), "Y and the batch-mean gradients of both layers equal the object network's "
           "predict and gradients, sample by sample, for a batch, a single sample and an MNIST-sized network")


EXERCISES = (Exercise("layer_backward", check_layer_backward, 3, reference_layer_backward),
             Exercise("batch_update", check_batch_update, 2, reference_batch_update),
             Exercise("two_layer_pass", check_two_layer_pass, 5, None))
