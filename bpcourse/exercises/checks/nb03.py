"""Checks for the exercises of notebook 03: the error terms of backpropagation (eq. 4.1, 4.3), and those of the
cross-entropy, derived by the learner.

W_next has the package's shape (n_next, n); one square but unsymmetric W_next catches ``W_next @ delta_next``.
"""

import numpy as np

from bpcourse.core.activations import sigmoid, sigmoid_derivative
from bpcourse.exercises.checks._common import (call_on_copies, compare_arrays, distinct_sizes, exercise_check, failure,
                                               passed, random_shape)
from bpcourse.exercises.checks.nb02 import run_case
from bpcourse.exercises.catalog import Exercise
from bpcourse.core.trace import forward_trace, text_example

BACKWARD_METHODS = {"gradients", "get_gradient", "calc_delta", "calc_output_layer_delta", "calc_hidden_layer_delta",
                    "backward", "train_batch", "train_one_sample", "_backward", "_output_delta", "_train_step"}


def reference_output_delta(y, t):
    """Error term of output nodes, delta = y(1 - y)(t - y) (eq. 4.1); y, t of any one shape, e.g. (n_out,)."""
    y = np.asarray(y, dtype=float)
    return sigmoid_derivative(y) * (np.asarray(t, dtype=float) - y)  # eq. 4.1


def reference_hidden_delta(a, W_next, delta_next):
    """delta_j = a_j (1 - a_j) sum_k w_kj delta_k (eq. 4.3): a (n,), W_next (n_next, n), delta_next (n_next,)."""
    a = np.asarray(a, dtype=float)
    return sigmoid_derivative(a) * (np.asarray(W_next, dtype=float).T @ np.asarray(delta_next, dtype=float))


DELTAS = (reference_output_delta, reference_hidden_delta)


def _output_cases(seed):
    rng = np.random.default_rng(30 if seed is None else seed)
    if seed is not None:
        shape = random_shape(rng, max_ndim=2, max_size=7)
        return [(f"hidden case: y and t of shape {shape}", sigmoid(rng.normal(0, 2, size=shape)),
                 rng.uniform(size=shape)),
                ("hidden case: one output node, numbers", float(rng.uniform(0.05, 0.95)), float(rng.uniform()))]
    weights, x, t = text_example()
    y = forward_trace(weights, x)[1][-1]
    t10 = np.full(10, 0.1)
    t10[3] = 0.9
    return [
        ("the text's output nodes 8 and 9 (y and t of shape (2,))", y, t),
        ("one output node, y and t given as plain numbers", 0.7, 1.0),
        ("ten outputs with a one-hot target 0.9 / 0.1", sigmoid(rng.normal(size=10)), t10),
        ("saturated outputs y = 1e-9 and 1 - 1e-9 with t = 0.9, 0.1", np.array([1e-9, 1 - 1e-9]),
         np.array([0.9, 0.1])),
        ("a batch of 4 samples, y and t of shape (4, 2)", sigmoid(rng.normal(size=(4, 2))),
         rng.uniform(size=(4, 2))),
        ("y equal to t: nothing to correct", np.array([0.25, 0.5]), np.array([0.25, 0.5])),
    ]


@exercise_check("output_delta", "eq. 4.1", DELTAS, BACKWARD_METHODS)
def check_output_delta(output_delta, *, seed=None):
    """Check a learner's ``output_delta(y, t)``, delta = y(1 - y)(t - y) element by element (eq. 4.1)."""
    cases = _output_cases(seed)
    hint = ("eq. 4.1 works element by element: one error term per output node, in the shape of y (no sum over the "
            "nodes, no matrix product).")
    for description, y, t in cases:
        y_, t_ = np.asarray(y, dtype=float), np.asarray(t, dtype=float)
        args = [("y", y_), ("t", t_)]  # plain numbers reach the learner as 0-d arrays
        wrong = [
            (y_ * (1 - y_) * (y_ - t_), "sign error: delta = -dE/dnet = y(1 - y)(t - y), with t - y, not y - t "
                                        "(eq. 4.16, 4.17)"),
            (t_ - y_, "the factor y(1 - y), the sigmoid's slope dy/dnet (eq. 4.15), is missing"),
            (y_ - t_, "the factor y(1 - y) is missing, and the sign is flipped: delta = y(1 - y)(t - y)"),
            (sigmoid(y_) * (1 - sigmoid(y_)) * (t_ - y_),
             "y is already the sigmoid's output: its slope is y(1 - y); do not apply the sigmoid again"),
            (y_ * (1 - y_), "the error (t - y) is missing: delta = y(1 - y)(t - y)"),
        ]
        run_case("check_output_delta", "output_delta", output_delta, args, description,
                 reference_output_delta(y, t), wrong, hint)
    passed("check_output_delta", seed, len(cases), "delta = y(1 - y)(t - y) (eq. 4.1) for the text's nodes 8 "
           "and 9, plain numbers, saturated outputs and a batch")


def _hidden_cases(seed):
    rng = np.random.default_rng(31 if seed is None else seed)
    if seed is not None:
        n, n_next = distinct_sizes(rng, 2, 1, 8)
        return [(f"hidden case: a ({n},), W_next ({n_next}, {n})", rng.uniform(size=n), rng.normal(size=(n_next, n)),
                 rng.normal(size=n_next) * 0.1),
                (f"hidden case: a ({n_next},), W_next ({n}, {n_next})", rng.uniform(size=n_next),
                 rng.normal(size=(n, n_next)), rng.normal(size=n) * 0.1),
                ("hidden case: a square W_next (4, 4)", rng.uniform(size=4), rng.normal(size=(4, 4)),
                 rng.normal(size=4) * 0.1)]
    weights, x, t = text_example()
    _, outputs = forward_trace(weights, x)
    W2 = weights[1][0]
    delta_out = reference_output_delta(outputs[2], t)
    return [
        ("the text's hidden layer: a (4,), W_next (2, 4), delta_next (2,)", outputs[1], W2, delta_out),
        ("5 nodes feeding 3: a (5,), W_next (3, 5)", rng.uniform(size=5), rng.normal(size=(3, 5)),
         rng.normal(size=3) * 0.1),
        ("3 nodes feeding 6: a (3,), W_next (6, 3)", rng.uniform(size=3), rng.normal(size=(6, 3)),
         rng.normal(size=6) * 0.1),
        ("a square W_next (3, 3), not symmetric", rng.uniform(size=3), np.array(
            [[0.5, -1.0, 0.2], [0.3, 0.8, -0.6], [-0.9, 0.1, 0.4]]), np.array([0.1, -0.2, 0.05])),
        ("one node in the next layer: W_next (1, 4)", rng.uniform(size=4), rng.normal(size=(1, 4)),
         np.array([0.07])),
        ("saturated outputs a close to 0 and 1", np.array([1e-9, 0.5, 1 - 1e-9]), rng.normal(size=(2, 3)),
         np.array([0.2, -0.1])),
    ]


@exercise_check("hidden_delta", "eq. 4.3", DELTAS, BACKWARD_METHODS)
def check_hidden_delta(hidden_delta, *, seed=None):
    """Check a learner's ``hidden_delta(a, W_next, delta_next)`` (eq. 4.3) for one sample."""
    cases = _hidden_cases(seed)
    for description, a, W_next, delta_next in cases:
        args = [("a", a), ("W_next", W_next), ("delta_next", delta_next)]
        n_next, n = W_next.shape
        hint = (f"W_next has shape ({n_next}, {n}): row k holds the weights w_kj from this layer's {n} nodes into "
                f"node k of the next layer, so the sum over k for a fixed j runs down column j; the result has one "
                f"error term per node of this layer, shape ({n},) (eq. 4.3).")
        back = W_next.T @ delta_next
        wrong = [
            (back, "the factor a(1 - a), the sigmoid's slope da/dnet (eq. 4.15 for node j), is missing"),
            (-sigmoid_derivative(a) * back, "sign error: delta_j = + a_j(1 - a_j) sum_k w_kj delta_k (eq. 4.3)"),
            (sigmoid_derivative(sigmoid(a)) * back,
             "a is already the sigmoid's output: its slope is a(1 - a); do not apply the sigmoid again"),
            (sigmoid_derivative(a) * np.sum(delta_next),
             "each delta_k must be weighted by w_kj, the weight from node j to node k (eq. 4.3)"),
        ]
        if n_next == n:
            wrong.append((sigmoid_derivative(a) * (W_next @ delta_next),
                          "W_next is used the wrong way round: row k of W_next holds the weights INTO node k, so "
                          "sum_k w_kj delta_k runs down column j, not along row j (eq. 4.3)"))
        run_case("check_hidden_delta", "hidden_delta", hidden_delta, args, description,
                 reference_hidden_delta(a, W_next, delta_next), wrong, hint)
    passed("check_hidden_delta", seed, len(cases), "delta_j = a_j(1 - a_j) sum_k w_kj delta_k (eq. 4.3) for the "
           "text's hidden layer, non-square and square W_next and saturated nodes")


def cross_entropy(y, t):
    """E = -sum_j [t_j ln y_j + (1 - t_j) ln(1 - y_j)], the cross-entropy of sigmoid outputs y and targets t."""
    y, t = np.asarray(y, dtype=np.float64), np.asarray(t, dtype=np.float64)
    return float(-np.sum(t * np.log(y) + (1 - t) * np.log(1 - y)))


def numeric_deltas(x, W1, b1, W2, b2, t, epsilon=1e-4):
    """(delta_out (n_out,), delta_hidden (n_hidden,)), -dE/dnet of the cross-entropy, by centered differences.

    The network: a = sigmoid(W1 x + b1), y = sigmoid(W2 a + b2). No derivative formula: each net input is nudged
    by ±epsilon and ±2 epsilon; the five-point difference (eq. 5.4 refined, error of order epsilon^4) keeps even
    saturated layers to about 1e-10.
    """
    x = np.asarray(x, dtype=np.float64)
    net_hidden = W1 @ x + b1
    net_out = W2 @ sigmoid(net_hidden) + b2
    losses = ((net_out, lambda net: cross_entropy(sigmoid(net), t)),
              (net_hidden, lambda net: cross_entropy(sigmoid(W2 @ sigmoid(net) + b2), t)))
    deltas = []
    for net, loss in losses:
        delta = np.empty_like(net)
        for j in range(net.size):
            step = np.zeros_like(net)
            step[j] = epsilon
            slope = (8 * (loss(net + step) - loss(net - step)) - (loss(net + 2 * step) - loss(net - 2 * step))) / (
                12 * epsilon)
            delta[j] = -slope  # delta = -dE/dnet
        deltas.append(delta)
    return tuple(deltas)


def _cross_entropy_cases(seed):
    rng = np.random.default_rng(32 if seed is None else seed)
    specs = [("a 3-4-2 network (the text's shape)", (3, 4, 2), 1.0),
             ("a 2-5-3 network", (2, 5, 3), 1.0),
             ("a 4-1-2 network (one hidden node)", (4, 1, 2), 1.0),
             ("a 3-3-3 network (square weight matrices)", (3, 3, 3), 1.0),
             ("a nearly saturated 3-4-2 network (weights x 3)", (3, 4, 2), 3.0)]
    if seed is not None:
        specs = [(f"hidden case {k}", tuple(int(n) for n in rng.integers(1, 7, size=3)), float(rng.uniform(0.3, 2)))
                 for k in range(3)]
    cases = []
    for description, (n_in, n_hidden, n_out), scale in specs:
        cases.append((description, rng.uniform(-1, 1, size=n_in), scale * rng.normal(size=(n_hidden, n_in)),
                      scale * rng.normal(size=n_hidden), scale * rng.normal(size=(n_out, n_hidden)),
                      scale * rng.normal(size=n_out), rng.uniform(0.05, 0.95, size=n_out)))
    return cases


@exercise_check("cross_entropy_deltas", "eq. 4.10-4.17, with eq. 4.14 redone", DELTAS + (numeric_deltas,),
                BACKWARD_METHODS | {"numeric_gradient", "gradient_check", "predict", "forward", "numeric_deltas"})
def check_cross_entropy_deltas(cross_entropy_deltas, *, seed=None):
    """Check a learner's ``cross_entropy_deltas(x, W1, b1, W2, b2, t)`` -> ``(delta_out, delta_hidden)``, derived
    for the cross-entropy (eq. 4.10-4.17, only eq. 4.14 changes), against :func:`numeric_deltas` (rtol 1e-5)."""
    check, name = "check_cross_entropy_deltas", "cross_entropy_deltas"
    cases = _cross_entropy_cases(seed)
    for description, x, W1, b1, W2, b2, t in cases:
        args = [("x", x), ("W1", W1), ("b1", b1), ("W2", W2), ("b2", b2), ("t", t)]
        head_text, got = call_on_copies(
            cross_entropy_deltas, args, check=check, name=name, description=description,
            hint="run the forward pass first, then the output layer's error term, then the hidden "
                 "layer's from it; return the two as a tuple",
            unchanged="compute new arrays; the caller still needs its inputs",
            returned="return the tuple (delta_out, delta_hidden)")
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise failure(head_text, f"expected 2 results (delta_out, delta_hidden), got {type(got).__name__}",
                          hint="return a tuple of two arrays, the output layer's deltas first (the two error terms "
                               "of eq. 4.1 and 4.3, redone for this loss)")
        expected = numeric_deltas(x, W1, b1, W2, b2, t)
        wrong = _cross_entropy_wrong_answers(x, W1, b1, W2, b2, t)
        for part, value, reference, index in zip(("delta_out", "delta_hidden"), got, expected, (0, 1)):
            compare_arrays(head_text, name, reference, value, rtol=1e-5, atol=1e-8, part=part,
                           hint=_cross_entropy_hint(part),
                           wrong_answers=[(candidate[index], text) for candidate, text in wrong])
    passed(check, seed, len(cases), "your delta_out and delta_hidden equal -dE/dnet of the cross-entropy, measured "
           "by centered differences (eq. 5.4 on the net inputs), on five networks, saturated and square ones included")


def _cross_entropy_hint(part):
    if part == "delta_out":
        return ("follow eq. 4.10-4.17: only eq. 4.14, dE/dy_j, changes; differentiate the cross-entropy with "
                "respect to y_j, then multiply by the sigmoid's slope dy_j/dnet_j (eq. 4.15) and simplify")
    return ("the hidden layer's delta collects the output deltas through the weights W2 exactly as in eq. 4.3; "
            "the loss only enters through delta_out")


def _cross_entropy_wrong_answers(x, W1, b1, W2, b2, t):
    """(delta_out, delta_hidden) of typical mistakes, each with its hint."""
    a = sigmoid(W1 @ x + b1)
    y = sigmoid(W2 @ a + b2)
    out = t - y

    def back(delta):
        return sigmoid_derivative(a) * (W2.T @ delta)

    squared = sigmoid_derivative(y) * (t - y)
    dE_dy = (t - y) / (y * (1 - y))
    answers = [
        ((squared, back(squared)), "that is the rule for the squared error, eq. 4.1; with the cross-entropy, eq. 4.14 "
                                   "is different: differentiate E with respect to y_j again"),
        ((dE_dy, back(dE_dy)), "that is -dE/dy only; the chain rule multiplies it by dy/dnet, the sigmoid's slope "
                               "(eq. 4.15), and most of it cancels"),
        ((-out, back(-out)), "the sign is flipped: delta = -dE/dnet (eq. 4.17)"),
        ((out, W2.T @ out), "the hidden layer's delta lacks the slope of its own sigmoid, a(1 - a) (eq. 4.3)"),
    ]
    if W2.shape[0] == W2.shape[1]:
        answers.append(((out, sigmoid_derivative(a) * (W2 @ out)),
                        "W2 is used the wrong way round: the sum over k of w_kj delta_k runs down column j "
                        "(eq. 4.3)"))
    return answers


EXERCISES = (Exercise("output_delta", check_output_delta, 1, reference_output_delta),
             Exercise("hidden_delta", check_hidden_delta, 2, reference_hidden_delta),
             Exercise("cross_entropy_deltas", check_cross_entropy_deltas, 4, None))
