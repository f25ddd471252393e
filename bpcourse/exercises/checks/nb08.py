"""Checks for the exercises of notebook 08: a stable softmax, the cross-entropy output delta, Glorot weights,
one training step of a softmax + cross-entropy network.

A batch has one sample per row. The softmax cases include net = 1000, where e^net overflows, run with warnings
turned into errors.
"""

import numpy as np

from bpcourse.core import activations, initialization, losses
from bpcourse.core.activations import sigmoid
from bpcourse.core.initialization import glorot_bound
from bpcourse.core.trace import backward_trace, forward_trace, weight_steps
from bpcourse.core.vectorized import Network
from bpcourse.exercises.catalog import Exercise
from bpcourse.exercises.checks._common import (call_on_copies, compare_arrays, distinct_sizes, exercise_check, failure,
                                               matches, passed)

RTOL = 1e-9  # correct ways to compute the softmax agree to about 1e-15
ATOL = 1e-12  # for outputs that are (nearly) 0, such as e^-1000 / (1 + e^-1000)


def reference_softmax(net):
    """The softmax of every row of net (or of one vector) without overflow: y_k = e^(net_k - m) / sum_i e^(net_i - m)
    with m the row's largest entry; m cancels, but every exponent is <= 0."""
    net = np.asarray(net, dtype=np.float64)
    shifted = net - net.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def reference_cross_entropy_delta(net, t):
    """delta = -dE/dnet = t - softmax(net) for E = -sum_k t_k ln y_k (text's sign), shape of net."""
    return np.asarray(t, dtype=np.float64) - reference_softmax(net)


def softmax_cross_entropy(net, t):
    """E = -sum_k t_k ln softmax(net)_k for one vector, or the per-row E (N,) for a batch; stable."""
    net = np.asarray(net, dtype=np.float64)
    shifted = net - net.max(axis=-1, keepdims=True)
    log_y = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return -(np.asarray(t, dtype=np.float64) * log_y).sum(axis=-1)


def _softmax_cases(seed=None):
    if seed is not None:
        rng = np.random.default_rng(seed)
        n, k = int(rng.integers(2, 7)), int(rng.integers(2, 13))
        return [
            (f"hidden case: one vector of {k} outputs", rng.normal(0.0, 4.0, size=k)),
            (f"hidden case: a batch of N = {n} rows, K = {k}", rng.normal(0.0, 4.0, size=(n, k))),
            (f"hidden case: a square batch of {k} rows", rng.normal(0.0, 4.0, size=(k, k))),
            ("hidden case: a batch far from 0 (e^net overflows)",
             rng.normal(0.0, 3.0, size=(n, k)) + rng.choice([-1.0, 1.0], size=(n, 1)) * rng.uniform(800, 2000)),
        ]
    rng = np.random.default_rng(80)
    return [
        ("one vector of 3 outputs", np.array([1.0, 2.0, 3.0])),
        ("equal outputs (every y_k = 1/K)", np.zeros(4)),
        ("a batch of N = 4 rows, K = 10 (one sample per row)", rng.normal(0.0, 3.0, size=(4, 10))),
        ("a batch of N = 3 rows, K = 3 (square: the axis matters)",
         np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 5.0], [-1.0, 4.0, 2.0]])),
        ("large outputs, net = 1000 (e^1000 overflows)", np.array([1000.0, 999.0, 990.0])),
        ("a batch with large positive and negative rows", np.array([[1000.0, 0.0, -1000.0], [-800.0, -801.0, -805.0]])),
    ]


@exercise_check("softmax", "the softmax's definition", (reference_softmax, activations.softmax),
                {"softmax", "output_activator", "log_softmax"})
def check_stable_softmax(softmax, *, seed=None):
    """Check a learner's ``softmax(net)``: y_k = e^net_k / sum_i e^net_i, per row, without overflow."""
    cases = _softmax_cases(seed)
    for description, net in cases:
        head_text, got = call_on_copies(
            softmax, [("net", net)], check="check_stable_softmax", name="softmax", description=description,
            hint=_softmax_error_hint, warnings_as_errors=True,
            unchanged="build a new array: the caller still needs net (subtracting in place changes it).")
        compare_arrays(head_text, "softmax", reference_softmax(net), got, rtol=RTOL, atol=ATOL,
                       hint=lambda got_array, net=net: _softmax_value_hint(net, got_array),
                       shape_hint="the softmax has one output per input, in the shape of net: keep the row "
                                  "axis when you sum (keepdims=True), so that dividing works row by row.")
    passed("check_stable_softmax", seed, len(cases), "a vector, batches, net = ±1000 with warnings turned into "
           "errors, each row summing to 1 and the input left unchanged")


def _softmax_error_hint(error):
    if isinstance(error, Warning) or "overflow" in str(error):
        return ("e^net overflows for net = 1000: the softmax does not change when the same number is subtracted from "
                "every net_k of a sample, so choose that number to keep every exponent <= 0.")
    if isinstance(error, ValueError) and ("broadcast" in str(error) or "shapes" in str(error)):
        return ("the shapes do not broadcast: a batch has one sample per row, so each row's sum (or maximum) must "
                "keep its axis to divide the row by it.")
    return "the softmax of a sample: y_k = e^net_k / sum_i e^net_i, for one vector or for every row of a batch."


def _softmax_value_hint(net, got):
    net = np.asarray(net, dtype=np.float64)
    if net.ndim == 2:
        e = np.exp(net - net.max())
        if matches(got, e / e.sum(), rtol=1e-6, atol=1e-12):
            return "you normalized over the whole batch: each sample (each row) must sum to 1 by itself."
        column = np.exp(net - net.max(axis=0)) / np.exp(net - net.max(axis=0)).sum(axis=0)
        if matches(got, column, rtol=1e-6, atol=1e-12):
            return "you normalized the columns: with one sample per row, the sum runs along axis -1 (the outputs)."
    if not np.all(np.isfinite(got)):
        return ("nan or inf comes from e^net overflowing: the softmax is unchanged when one number is subtracted "
                "from every net_k of a sample; choose it so that no exponent is positive.")
    if matches(got, 1 / (1 + np.exp(-np.clip(net, -700, 700))), rtol=1e-6, atol=1e-12):
        return "that is the sigmoid of each output; the softmax divides e^net_k by the sum over all outputs."
    return "y_k = e^net_k / sum_i e^net_i: every y_k in (0, 1], and each sample's outputs sum to 1."


def _delta_cases(seed=None):
    if seed is not None:
        rng = np.random.default_rng(seed)
        n, k = int(rng.integers(2, 7)), int(rng.integers(2, 13))
        soft = rng.random((n, k))
        return [
            (f"hidden case: one sample, K = {k}", rng.normal(0.0, 3.0, size=k), np.eye(k)[int(rng.integers(k))]),
            (f"hidden case: a batch of N = {n}, K = {k}, one-hot targets", rng.normal(0.0, 3.0, size=(n, k)),
             np.eye(k)[rng.integers(0, k, size=n)]),
            (f"hidden case: a batch of N = {n} with soft targets", rng.normal(0.0, 1.0, size=(n, k)),
             soft / soft.sum(axis=1, keepdims=True)),
        ]
    rng = np.random.default_rng(81)
    one_hot = np.eye(10)[rng.integers(0, 10, size=5)]
    return [
        ("one sample, 3 outputs, target class 2", np.array([0.5, -1.0, 2.0]), np.array([0.0, 0.0, 1.0])),
        ("one saturated wrong sample (net = 10 on the wrong class)", np.array([10.0, 0.0, 0.0]),
         np.array([0.0, 1.0, 0.0])),
        ("a batch of N = 5, K = 10, one-hot targets", rng.normal(0.0, 2.0, size=(5, 10)), one_hot),
        ("a batch of N = 2 with soft targets (rows sum to 1)", rng.normal(0.0, 1.0, size=(2, 4)),
         np.array([[0.7, 0.1, 0.1, 0.1], [0.25, 0.25, 0.25, 0.25]])),
        ("large outputs, net = 1000", np.array([[1000.0, 990.0, 0.0]]), np.array([[0.0, 1.0, 0.0]])),
    ]


def numerical_delta(net, t, h=1e-6):
    """-dE/dnet by centered differences (eq. 5.1's idea) of E = -sum_k t_k ln softmax(net)_k, per sample."""
    net = np.asarray(net, dtype=np.float64)
    delta = np.empty_like(net)
    for index in np.ndindex(net.shape):
        plus, minus = net.copy(), net.copy()
        plus[index] += h
        minus[index] -= h
        row = index[:-1]
        E_plus, E_minus = np.asarray(softmax_cross_entropy(plus, t)), np.asarray(softmax_cross_entropy(minus, t))
        delta[index] = -(E_plus[row] - E_minus[row]) / (2 * h)
    return delta


@exercise_check("cross_entropy_delta", "the derivation of -dE/dnet for softmax + cross-entropy (eq. 4.1's sign)",
                (reference_cross_entropy_delta, losses.SoftmaxCrossEntropy.delta),
                {"delta", "SoftmaxCrossEntropy", "get_loss", "LOSSES"})
def check_cross_entropy_delta(cross_entropy_delta, *, seed=None):
    """Check a learner's ``cross_entropy_delta(net, t)``: delta = -dE/dnet (the text's sign) of the cross-entropy
    E = -sum_k t_k ln y_k with y = softmax(net), per sample, in net's shape."""
    cases = _delta_cases(seed)
    for description, net, t in cases:
        head_text, got = call_on_copies(
            cross_entropy_delta, [("net", net), ("t", t)], check="check_cross_entropy_delta",
            name="cross_entropy_delta", description=description, hint=_delta_error_hint, warnings_as_errors=True,
            unchanged="build new arrays: the caller still needs net and t.")
        compare_arrays(head_text, "cross_entropy_delta", reference_cross_entropy_delta(net, t), got, rtol=1e-7,
                       atol=1e-10, hint=lambda got_array, net=net, t=t: _delta_value_hint(net, t, got_array),
                       shape_hint="delta has one entry per output and sample: the shape of net.")
    passed("check_cross_entropy_delta", seed, len(cases), "delta = -dE/dnet against a numerical derivative for one "
           "sample, batches, soft targets and net = 1000")


def _delta_error_hint(error):
    if isinstance(error, Warning) or "overflow" in str(error):
        return "the softmax inside overflows for net = 1000: compute it the stable way (your exercise above)."
    return "delta = -dE/dnet for E = -sum_k t_k ln y_k, y = softmax(net), one row per sample for a batch."


def _delta_value_hint(net, t, got):
    y = reference_softmax(net)
    if matches(got, y - t, rtol=1e-6, atol=1e-10):
        return ("the sign is flipped: the text's error term is delta = -dE/dnet (eq. 4.1 has the same sign), so it "
                "points from the output towards the target.")
    if matches(got, y * (1 - y) * (t - y), rtol=1e-6, atol=1e-10):
        return ("that is the squared error's delta (eq. 4.1) with the sigmoid's slope y(1 - y): with softmax and "
                "cross-entropy that factor cancels in the chain rule; derive dE/dnet again.")
    if matches(got, t - np.asarray(net, dtype=np.float64), rtol=1e-6, atol=1e-10):
        return "y is the softmax of net, not net itself: apply the softmax first."
    n = 1 if np.ndim(net) == 1 else len(net)
    if n > 1 and matches(got, (t - y) / n, rtol=1e-6, atol=1e-10):
        return "you divided by the batch size: delta is per sample; the mean over the batch comes with the update."
    return "derive -dE/dnet for E = -sum_k t_k ln y_k, y = softmax(net) (the notebook's derivation above)."


@exercise_check("glorot_uniform", "Glorot's bound a = sqrt(6 / (n_in + n_out))",
                (initialization.glorot_uniform, initialization.initial_weights),
                {"glorot_uniform", "initial_weights", "glorot_bound"})
def check_glorot_uniform(glorot_uniform, *, seed=None):
    """Check a learner's ``glorot_uniform(n_in, n_out, rng)`` -> W (n_out, n_in), uniform in [-a, a] with
    a = sqrt(6 / (n_in + n_out)): the shape, the range, the mean, the variance, the use of rng."""
    cases = [(784, 300), (300, 10), (30, 30), (5, 3)]
    if seed is not None:
        rng = np.random.default_rng(seed)
        cases = [tuple(int(n) for n in rng.integers(low, high, size=2))
                 for low, high in ((50, 900), (2, 40), (100, 400))]
    for n_in, n_out in cases:
        head_text, got = call_on_copies(
            glorot_uniform, [("n_in", n_in), ("n_out", n_out), ("rng", np.random.default_rng(8))],
            check="check_glorot_uniform", name="glorot_uniform", description=f"n_in = {n_in}, n_out = {n_out}",
            lines=["input rng = numpy.random.default_rng(8)"], unchanged=None,
            hint="draw W with rng (a numpy Generator), shape (n_out, n_in), uniform in [-a, a].")
        W = np.asarray(got, dtype=np.float64)
        _check_glorot(head_text, W, n_in, n_out)
        again = np.asarray(glorot_uniform(n_in, n_out, np.random.default_rng(8)), dtype=np.float64)
        other = np.asarray(glorot_uniform(n_in, n_out, np.random.default_rng(9)), dtype=np.float64)
        if not np.array_equal(W, again) or np.array_equal(W, other):
            raise failure(head_text, "the same rng seed must give the same W, another seed another W",
                          hint="draw from the rng you are given (rng.uniform), not from np.random or a fixed seed: "
                               "every random thing in the course takes its generator.")
    passed("check_glorot_uniform", seed, len(cases), "the shape (n_out, n_in), the range [-a, a], the variance "
           "2 / (n_in + n_out) and the use of the rng you are given")


def _check_glorot(head_text, W, n_in, n_out):
    a = glorot_bound(n_in, n_out)
    if W.shape != (n_out, n_in):
        hint = ("W is transposed: the course's W[j, i] is the weight from input i to neuron j (target first, "
                "as w_ji in the text), so its shape is (n_out, n_in)." if W.shape == (n_in, n_out) else
                "W has one row per neuron (n_out) and one column per input (n_in).")
        raise failure(head_text, f"expected W of shape {(n_out, n_in)}, got shape {W.shape}", hint=hint)
    if not np.all(np.isfinite(W)):
        raise failure(head_text, "W holds NaN or infinite entries", hint="draw every entry from the uniform "
                      "interval [-a, a]: a finite number.")
    largest = float(np.abs(W).max())
    lines = [f"a = sqrt(6 / (n_in + n_out)) = {a:.6g}; largest |W| = {largest:.6g}, "
             f"variance {W.var():.6g} (expected {a * a / 3:.6g})"]
    if largest > a * (1 + 1e-12):
        raise failure(head_text, *lines, hint="some entries are outside [-a, a]: a uniform draw stays inside its "
                      "bounds, a normal one does not; and Glorot's bound counts the inputs AND the outputs of the "
                      "layer, under a square root.")
    if W.size >= 50 and largest < 0.8 * a:
        raise failure(head_text, *lines,
                      hint="the weights are too small for [-a, a]: Glorot's bound counts the inputs AND the "
                           "outputs of the layer, under a square root.")
    if W.size >= 1000:
        if abs(W.mean()) > 0.05 * a:
            raise failure(head_text, *lines, f"mean {W.mean():.6g}, expected about 0",
                          hint="the draw is not centered: the interval is [-a, a], symmetric around 0.")
        # the variance of n uniform draws has a relative error of about sqrt(0.8 / n): allow five, at least 2%
        if abs(W.var() / (a * a / 3) - 1) > max(0.02, 5 * np.sqrt(0.8 / W.size)):
            raise failure(head_text, *lines,
                          hint="the spread is not that of a uniform draw on [-a, a] (variance a^2 / 3 = "
                               "2 / (n_in + n_out)): are all entries drawn independently from one interval?")


def reference_softmax_train_step(W1, b1, W2, b2, X, T, rate):
    """One ``train_batch`` of ``Network(..., loss="softmax_cross_entropy")``: W1 (n_hidden, n_in), b1 (n_hidden,),
    W2 (n_out, n_hidden), b2 (n_out,), X (N, n_in), T (N, n_out) -> ``[(W1_new, b1_new), (W2_new, b2_new)]``."""
    W1, W2 = np.asarray(W1, dtype=np.float64), np.asarray(W2, dtype=np.float64)
    network = Network((W1.shape[1], W1.shape[0], W2.shape[0]), loss="softmax_cross_entropy")
    network.set_weights([(W1, b1), (W2, b2)])
    network.train_batch(np.array(X, dtype=np.float64), np.array(T, dtype=np.float64), rate)
    return network.get_weights()


def _step_variant(W1, b1, W2, b2, X, T, rate, *, output="softmax", output_slope=False, hidden_slope=True,
                  sign=1.0, mean=True, bias=True, new_W2_below=False):
    """A configurable step, only to recognize typical mistakes in hints (weights as ``[(W1, b1), (W2, b2)]``)."""
    nets, outputs = forward_trace([(W1, b1), (W2, b2)], X, bias=bias, linear=[1])
    Y = reference_softmax(nets[1]) if output == "softmax" else sigmoid(nets[1])
    delta2 = (Y * (1 - Y) if output_slope else 1.0) * (T - Y)  # t - y for softmax + cross-entropy
    scale = sign * rate / (len(X) if mean else 1)
    (dW2, db2), = weight_steps([delta2], outputs[1:2], scale)
    W2_new, b2_new = W2 + dW2, b2 + db2
    below = [(W1, b1), (W2_new if new_W2_below else W2, b2)]
    delta1, _ = backward_trace(below, outputs, delta2, hidden_slope=hidden_slope)
    (dW1, db1), = weight_steps([delta1], outputs[:1], scale)
    return [(W1 + dW1, b1 + db1), (W2_new, b2_new)]


_STEP_MISTAKES = [
    (dict(sign=-1.0), "the sign is flipped: delta = -dE/dnet (t - y at the output), so the text's update ADDS "
                      "eta times delta x^T (eq. 6.5, 6.6); subtracting it climbs the loss"),
    (dict(mean=False), "you sum over the samples of the batch; the network's step uses the MEAN gradient (divide "
                       "by N), so that the same rate works for any batch size"),
    (dict(hidden_slope=False), "the hidden error terms lack the slope a(1 - a) of the sigmoid hidden layer "
                               "(eq. 6.3): the softmax only changes the OUTPUT delta"),
    (dict(output_slope=True), "that output delta carries the factor y(1 - y) of the sigmoid and the squared error "
                              "(eq. 6.2); with softmax + cross-entropy it cancels and the output delta is t - y"),
    (dict(output="sigmoid"), "the output layer applies the sigmoid; this network's outputs are the softmax of net, "
                             "one probability distribution per row"),
    (dict(new_W2_below=True), "the hidden deltas were computed with the output weights AFTER their update: every "
                              "delta of a step uses the weights of its forward pass, update last"),
    (dict(bias=False), "the biases are missing from the forward pass (eq. 6.1: W a + b, in both layers)"),
]
"""(switches of :func:`_step_variant`, hint) for the plausible wrong steps, in the order they are tried."""


def _step_cases(seed=None):
    """(description, (n_in, n_hidden, n_out), N, output bias offset): batches, one sample, saturated outputs."""
    if seed is not None:
        rng = np.random.default_rng(seed)
        specs = [(f"hidden case {k}", distinct_sizes(rng, 3, 2, 11), n, offset)
                 for k, (n, offset) in enumerate(((int(rng.integers(2, 9)), 0.0), (1, 0.0),
                                                   (int(rng.integers(2, 6)), float(rng.uniform(500, 1500)))))]
        return rng, specs
    return np.random.default_rng(82), [
        ("a 6-4-3 network, a batch of N = 5", (6, 4, 3), 5, 0.0),
        ("a single sample (N = 1, one row) on a 4-7-5 network", (4, 7, 5), 1, 0.0),
        ("the 784-300-10 shape, a batch of N = 8", (784, 300, 10), 8, 0.0),
        ("saturated outputs (output biases near 1000, e^net overflows), N = 3 on a 5-4-3 network", (5, 4, 3), 3,
         1000.0),
    ]


def _step_data(rng, sizes, n, offset):
    n_in, n_hidden, n_out = sizes
    W1 = rng.uniform(-0.5, 0.5, size=(n_hidden, n_in))
    b1 = rng.uniform(-0.5, 0.5, size=n_hidden)
    W2 = rng.uniform(-1.0, 1.0, size=(n_out, n_hidden))
    b2 = rng.uniform(-0.5, 0.5, size=n_out) + offset * np.linspace(1.0, 0.99, n_out)
    X = rng.uniform(0.0, 1.0, size=(n, n_in))
    T = np.eye(n_out)[rng.integers(0, n_out, size=n)]  # one-hot targets (1 / 0), each row sums to 1
    rate = float(rng.uniform(0.2, 2.0))
    return W1, b1, W2, b2, X, T, rate


@exercise_check("softmax_train_step", "eq. 6.1-6.6 with the output delta t - y",
                (reference_softmax_train_step, reference_softmax, reference_cross_entropy_delta, activations.softmax,
                 losses.SoftmaxCrossEntropy.delta, Network.train_batch, Network.gradients),
                {"train_batch", "gradients", "train", "backward", "update", "forward", "predict", "set_weights",
                 "SoftmaxCrossEntropy", "output_activator", "fit", "softmax"})
def check_softmax_train_step(softmax_train_step, *, seed=None):
    """Check a learner's ``softmax_train_step(W1, b1, W2, b2, X, T, rate)``, one mini-batch step of a sigmoid hidden
    layer and a softmax output with the cross-entropy (eq. 6.1-6.6, output delta t - y, the MEAN over the batch)."""
    check, name = "check_softmax_train_step", "softmax_train_step"
    rng, cases = _step_cases(seed)
    for description, sizes, n, offset in cases:
        W1, b1, W2, b2, X, T, rate = args = _step_data(rng, sizes, n, offset)
        named = list(zip(("W1", "b1", "W2", "b2", "X", "T", "rate"), args))
        head_text, got = call_on_copies(
            softmax_train_step, named, check=check, name=name, description=f"{description}, rate = {rate:.4g}",
            lines=["input shapes: " + ", ".join(f"{k} {np.shape(a)}" for k, a in named[:6])],
            warnings_as_errors=offset > 0, hint=_step_error_hint,
            unchanged="compute new arrays (W + ..., not W += ...): the caller still needs the old weights.",
            phrase="its argument {}", returned="return the new weights, [(W1_new, b1_new), (W2_new, b2_new)].")
        pairs = _as_pairs(head_text, got)
        expected = reference_softmax_train_step(*args)
        mistakes = [(_step_variant(*args, **switches), text) for switches, text in _STEP_MISTAKES]  # once per case
        for layer, (pair, expected_pair) in enumerate(zip(pairs, expected), start=1):
            for index, part in enumerate((f"W{layer}_new", f"b{layer}_new")):
                wrong = [(weights[layer - 1][index], text) for weights, text in mistakes]
                shape_hint = (f"W{layer}_new has the shape of W{layer}, (outputs, inputs): the product of the "
                              "deltas and the layer's inputs puts the output side first (eq. 6.5)" if index == 0 else
                              f"b{layer}_new has one entry per node of the layer: average the deltas over the rows "
                              "(the samples)")
                compare_arrays(head_text, name, expected_pair[index], pair[index], rtol=1e-9, atol=1e-12, part=part,
                               type_hint="return NumPy arrays.", shape_hint=shape_hint, wrong_answers=wrong,
                               hint="one step: forward pass (eq. 6.1, softmax at the output), output delta t - y, "
                                    "hidden delta (eq. 6.3), then each layer's old weights plus eta times the mean of "
                                    "delta x^T over the batch (eq. 6.5, 6.6)")
    passed(check, seed, len(cases), "the new W and b of both layers equal one train_batch step of the package's "
           "softmax + cross-entropy network, for a batch, a single sample, the 784-300-10 shape and saturated "
           "outputs, inputs left unchanged")


def _step_error_hint(error):
    if isinstance(error, Warning) or "overflow" in str(error):
        return "e^net overflows for output biases near 1000: compute the softmax the stable way (your exercise above)."
    if isinstance(error, ValueError) and any(word in str(error) for word in ("matmul", "shapes", "broadcast")):
        return ("the shapes do not fit: W1 is (n_hidden, n_in), W2 (n_out, n_hidden), X (N, n_in) and T "
                "(N, n_out), one row per sample; every delta has one row per sample too.")
    return ("forward pass layer by layer (eq. 6.1, softmax at the output), the output delta t - y, the hidden "
            "delta (eq. 6.3), then the update of both layers with the mean over the batch (eq. 6.5, 6.6).")


def _as_pairs(head_text, got):
    """The learner's result as two (W, b) pairs, or an AssertionError that says what shape of answer is expected."""
    if (not isinstance(got, (list, tuple)) or len(got) != 2
            or not all(isinstance(pair, (list, tuple)) and len(pair) == 2 for pair in got)):
        kind = type(got).__name__ + (f" of length {len(got)}" if isinstance(got, (list, tuple)) else "")
        raise failure(head_text, f"expected two (W, b) pairs, got a {kind}",
                      hint="return a list of two pairs, the hidden layer's (W1_new, b1_new) first, then the output "
                           "layer's (W2_new, b2_new), as the package's get_weights does.")
    return got


EXERCISES = (Exercise("glorot_uniform", check_glorot_uniform, 2, initialization.glorot_uniform),
             Exercise("softmax", check_stable_softmax, 2, reference_softmax),
             Exercise("cross_entropy_delta", check_cross_entropy_delta, 2, reference_cross_entropy_delta),
             Exercise("softmax_train_step", check_softmax_train_step, 5, reference_softmax_train_step))
