"""Checks for the exercises of notebook 02: the forward pass in matrix form (eq. 3.8), the number of parameters.

The references are the package's vectorized network. Every case uses non-square weight matrices, so that a
transposed W fails.
"""

import numpy as np

from bpcourse.core.activations import sigmoid
from bpcourse.exercises.checks._common import (call_learner, call_on_copies, check_returned, compare_arrays,
                                               distinct_sizes, exercise_check, head, mismatch, passed)
from bpcourse.exercises.catalog import Exercise
from bpcourse.core.trace import forward_trace, text_example
from bpcourse.core.oo_network import Network as ObjectNetwork
from bpcourse.core.vectorized import FullConnectedLayer, Network

FORWARD_METHODS = {"predict", "forward", "forward_trace", "_forward"}  # the package's forward passes

RTOL = 1e-9  # correct ways of writing eq. 3.8 agree to about 1e-15
ATOL = 1e-12  # for saturated outputs next to 0


def reference_network_forward(weights, x):
    """The output y of a network: weights a list of (W (n_out, n_in), b (n_out,)), x (n_in,) or (N, n_in)."""
    sizes = (np.shape(weights[0][0])[1],) + tuple(np.shape(W)[0] for W, _ in weights)
    network = Network(sizes)
    network.set_weights(weights)
    return network.predict(np.asarray(x, dtype=float))


def reference_layer_forward(W, b, x):
    """One sigmoid layer a = f(W x + b) (eq. 3.8): W (n_out, n_in), b (n_out,), x (n_in,) or (N, n_in)."""
    return reference_network_forward([(W, b)], x)


FORWARD_FORBIDDEN = (reference_layer_forward, reference_network_forward, FullConnectedLayer.forward, Network.predict,
                     ObjectNetwork.predict)


def _layer_cases(seed):
    rng = np.random.default_rng(20 if seed is None else seed)
    if seed is not None:
        n_in, n_out, n = distinct_sizes(rng, 3, 2, 9)
        return [(f"hidden case: W of shape ({n_out}, {n_in}), one sample", rng.normal(size=(n_out, n_in)),
                 rng.normal(size=n_out), rng.normal(size=n_in)),
                (f"hidden case: W of shape ({n_in}, {n_out}), a batch of {n}", rng.normal(size=(n_in, n_out)),
                 rng.normal(size=n_in), rng.normal(size=(n, n_out)))]
    ((W1, b1), (W2, b2)), x, _ = text_example()
    W5, b5 = rng.normal(size=(2, 5)), rng.normal(size=2)
    return [
        ("the text's hidden layer (W of shape (4, 3)), one sample x of shape (3,)", W1, b1, x),
        ("the text's output layer (W of shape (2, 4)), one sample of shape (4,)", W2, b2, rng.uniform(size=4)),
        ("a batch of 5 samples, x of shape (5, 3)", W1, b1, rng.normal(size=(5, 3))),
        ("a batch of one sample, x of shape (1, 3)", W1, b1, rng.normal(size=(1, 3))),
        ("a layer of one node with 2 inputs (W of shape (1, 2))", rng.normal(size=(1, 2)), np.array([0.3]),
         np.array([0.5, -1.0])),
        ("a saturated layer (net up to about ±300), batch of 3, W of shape (2, 5)", 100 * W5, b5,
         rng.normal(size=(3, 5))),
    ]


@exercise_check("layer_forward", "eq. 3.8", FORWARD_FORBIDDEN, FORWARD_METHODS)
def check_layer_forward(layer_forward, *, seed=None):
    """Check a learner's ``layer_forward(W, b, x)``, a = sigmoid(W x + b) (eq. 3.8): (n_out,) or (N, n_out)."""
    cases = _layer_cases(seed)
    for description, W, b, x in cases:
        args = [("W", W), ("b", b), ("x", x)]
        net = np.asarray(x) @ W.T
        wrong = [
            (sigmoid(net), "the bias b is missing: net = W x + b, then a = sigmoid(net) (eq. 3.2, 3.8)"),
            (net + b, "the activation is missing: a = sigmoid(W x + b), not W x + b (eq. 3.8)"),
            (sigmoid(net) + b, "the bias goes inside the sigmoid: a = sigmoid(W x + b), not sigmoid(W x) + b"),
            (sigmoid(-(net + b)), "a sign is flipped: sigmoid(z) = 1 / (1 + exp(-z)) with z = W x + b"),
            (np.tanh(net + b), "that is tanh; this network uses the sigmoid (eq. 1.2)"),
        ]
        run_case("check_layer_forward", "layer_forward", layer_forward, args, description,
                 reference_layer_forward(W, b, x), wrong, _shape_hint(W, x))
    passed("check_layer_forward", seed, len(cases), "a = sigmoid(W x + b) (eq. 3.8) for single samples, batches, "
           "one node and a saturated layer, inputs left unchanged")


def _network_cases(seed):
    rng = np.random.default_rng(21 if seed is None else seed)
    if seed is not None:
        sizes = distinct_sizes(rng, int(rng.integers(3, 6)), 1, 8)
        return [(f"hidden case: a {'-'.join(map(str, sizes))} network, one sample", _random_weights(rng, sizes),
                 rng.normal(size=sizes[0])),
                (f"hidden case: a {'-'.join(map(str, sizes))} network, a batch of 3", _random_weights(rng, sizes),
                 rng.normal(size=(3, sizes[0])))]
    text_weights, x, _ = text_example()
    deep = _random_weights(rng, (3, 5, 4, 3, 2))
    return [
        ("the text's 3-4-2 network, one sample x of shape (3,)", text_weights, x),
        ("the text's 3-4-2 network, a batch x of shape (4, 3)", text_weights, rng.normal(size=(4, 3))),
        ("a deep 3-5-4-3-2 network, one sample", deep, rng.normal(size=3)),
        ("a deep 3-5-4-3-2 network, a batch of 3", deep, rng.normal(size=(3, 3))),
        ("a single layer 2 -> 3, one sample", _random_weights(rng, (2, 3)), np.array([0.5, -2.0])),
        ("a saturated 4-3-2 network (large weights), a batch of 2",
         [(50 * W, b) for W, b in _random_weights(rng, (4, 3, 2))], rng.normal(size=(2, 4))),
    ]


@exercise_check("network_forward", "eq. 3.8, layer after layer", FORWARD_FORBIDDEN, FORWARD_METHODS)
def check_network_forward(network_forward, *, seed=None):
    """Check a learner's ``network_forward(weights, x)``, the output y (eq. 3.8 applied layer after layer)."""
    cases = _network_cases(seed)
    for description, weights, x in cases:
        args = [("weights", weights), ("x", x)]
        sizes = " -> ".join(str(n) for n in (weights[0][0].shape[1],) + tuple(W.shape[0] for W, _ in weights))
        out_shape = (weights[-1][0].shape[0],) if np.ndim(x) == 1 else (len(x), weights[-1][0].shape[0])
        hint = (f"layer sizes {sizes}: the output of each layer is the input of the next (eq. 3.8 once per "
                f"layer, in the order of weights, each W of shape (outputs, inputs)); the result is the last "
                f"layer's output, here of shape {out_shape}.")
        wrong = [
            (_forward(weights, x, last_activation=False),
             "the output layer has no sigmoid: apply a = sigmoid(W a + b) to every layer, the last one too"),
            (_forward(weights, x, hidden_activation=False),
             "the hidden layers have no sigmoid: every layer computes a = sigmoid(W a + b) (eq. 3.8)"),
            (_forward(weights, x, bias=False), "the biases are missing: every layer adds its b before the sigmoid"),
        ]
        run_case("check_network_forward", "network_forward", network_forward, args, description,
                 reference_network_forward(weights, x), wrong, hint)
    passed("check_network_forward", seed, len(cases), "the output y of the text's network, a deep network and "
           "a single layer (eq. 3.8 layer after layer), for one sample and for batches")


def _random_weights(rng, sizes):
    return [(rng.normal(size=(n_out, n_in)), rng.normal(size=n_out)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def _forward(weights, x, *, bias=True, hidden_activation=True, last_activation=True):
    """A deliberately configurable forward pass, only to recognize wrong answers in hints."""
    last = len(weights) - 1
    linear = [l for l in range(last + 1) if not (last_activation if l == last else hidden_activation)]
    return forward_trace(weights, x, bias=bias, linear=linear)[1][-1]


def _shape_hint(W, x):
    n_out, n_in = np.shape(W)
    x_shape = np.shape(x)
    if len(x_shape) == 1:
        return (f"W has shape ({n_out}, {n_in}) = (outputs, inputs): row j holds the weights w_ji into node j. For "
                f"one sample x of shape ({n_in},) the result has one value per node, shape ({n_out},) (eq. 3.8).")
    return (f"W has shape ({n_out}, {n_in}) = (outputs, inputs) and x is a batch of shape {x_shape}, one sample per "
            f"row. The result has one row per sample, shape ({x_shape[0]}, {n_out}): with samples as rows, eq. 3.8's "
            f"product W x needs W's transpose on the right.")


def run_case(check, name, function, args, description, expected, wrong_answers, hint):
    """One case: the learner's function on copies of ``args`` (``(name, value)`` pairs) against ``expected``, with
    overflow warnings silenced (a sigmoid written as 1 / (1 + np.exp(-z)) is fine here)."""
    head_text, got = call_on_copies(
        function, args, check=check, name=name, description=description, hint=hint, errstate={"over": "ignore"},
        unchanged=lambda argument: f"compute new arrays rather than `+=` or assigning into {argument}: "
                                   f"the caller still needs its values.")
    compare_arrays(head_text, name, expected, got, rtol=RTOL, atol=ATOL, hint=hint,
                   wrong_answers=wrong_answers)


def reference_count_parameters(layer_sizes):
    """Number of weights and biases of a fully connected network with these layer sizes (eq. 3.8 per layer)."""
    return int(sum((n_in + 1) * n_out for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:])))


def _count_cases(seed):
    if seed is not None:
        rng = np.random.default_rng(seed)
        return [(f"hidden case {k}", tuple(int(n) for n in rng.integers(1, 500, size=int(rng.integers(2, 6)))))
                for k in range(3)]
    return [("the text's 3-4-2 network", (3, 4, 2)), ("the MNIST network 784-300-10", (784, 300, 10)),
            ("a single layer 5 -> 1", (5, 1)), ("a deep 2-3-3-2 network", (2, 3, 3, 2))]


@exercise_check("count_parameters", "eq. 3.8 (one weight per input and node, one bias per node)",
                (reference_count_parameters,), {"get_weights", "connections", "nodes", "dump", "layers"})
def check_count_parameters(count_parameters, *, seed=None):
    """Check a learner's ``count_parameters(layer_sizes)``: the number of weights and biases, an exact int."""
    cases = _count_cases(seed)
    for description, sizes in cases:
        head_text = head("check_count_parameters", description, f"input layer_sizes = {sizes}")
        got = call_learner(count_parameters, (sizes,), check="check_count_parameters", name="count_parameters",
                           head_text=head_text, hint="layer_sizes lists the number of nodes per layer, the inputs "
                                                     "first; count each pair of neighbouring layers")
        check_returned(head_text, "count_parameters", got)
        expected = reference_count_parameters(sizes)
        if isinstance(got, bool) or not isinstance(got, (int, np.integer)) or int(got) != expected:
            weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
            candidates = {
                weights: "the biases are missing: every node of every layer after the input has one bias (eq. 3.2)",
                expected + sizes[0]: "the input layer has no biases: its nodes only hold the sample",
                int(np.prod(sizes)): "a layer's weights connect two neighbouring layers only: count pair by pair",
                sum(sizes): "that is the number of nodes; the weights connect every input of a layer to every node",
            }
            whole = isinstance(got, (int, np.integer, float)) and float(got).is_integer()
            hint = candidates.get(int(got) if whole else None,
                                  "each layer has (inputs x nodes) weights plus one bias per node (eq. 3.2, 3.8)")
            if isinstance(got, float):
                hint = "return a whole number (an int): parameters are counted, not measured"
            raise mismatch(head_text, expected, got, hint, label="number of parameters")
    passed("check_count_parameters", seed, len(cases), "the number of weights and biases of the text's network, "
           "the MNIST network (238,510), a single layer and a deep network")


EXERCISES = (Exercise("layer_forward", check_layer_forward, 2, reference_layer_forward),
             Exercise("network_forward", check_network_forward, 2, reference_network_forward),
             Exercise("count_parameters", check_count_parameters, 1, reference_count_parameters))
