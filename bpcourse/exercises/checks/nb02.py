"""Checks for the exercises of notebook 02: the forward pass in matrix form (eq. 3.8).

``check_layer_forward`` checks ``layer_forward(W, b, x)``, one layer
a = f(W x + b) for one sample x of shape (n_in,) or a batch of shape
(N, n_in); ``check_network_forward`` checks ``network_forward(weights, x)``,
the whole network with weights in the package format. The references are
the package's vectorized network (:func:`reference_network_forward`). Every
case uses non-square weight matrices, so a transposed W either fails or gives
wrong numbers. A failure raises ``AssertionError`` with the case, the input,
what was expected, what came back and a hint for the usual mistake (a
forgotten bias, a missing activation, W transposed); success prints one line.

:func:`run_case` (call, in-place check, comparison) is shared with
:mod:`bpcourse.exercises.checks.nb03`.
"""

import numpy as np

from bpcourse.core.activations import sigmoid
from bpcourse.exercises.checks._common import (call_learner, check_returned, check_unchanged, compare_arrays, copy_value, mismatch,
                                               distinct_sizes, head, passed, show_args)
from bpcourse.exercises.catalog import Exercise
from bpcourse.exercises.originality import refuse_borrowed
from bpcourse.core.trace import forward_trace, text_example
from bpcourse.core.oo_network import Network as ObjectNetwork
from bpcourse.core.vectorized import FullConnectedLayer, Network

FORWARD_METHODS = {"predict", "forward", "forward_trace", "_forward"}
"""Names of the package's forward passes: a forward-pass exercise must not call them."""

RTOL = 1e-9
"""Relative tolerance: correct ways of writing eq. 3.8 agree to about 1e-15."""
ATOL = 1e-12
"""Absolute tolerance, for saturated outputs next to 0."""


def reference_network_forward(weights, x):
    """The package's forward pass: the output y of a network with these weights.

    Args:
        weights: list of ``(W, b)`` per layer, W of shape (n_out, n_in), b of shape (n_out,).
        x: one sample, shape (n_in,), or a batch, shape (N, n_in).
    Returns:
        y of shape (n_out,) or (N, n_out).
    """
    sizes = (np.shape(weights[0][0])[1],) + tuple(np.shape(W)[0] for W, _ in weights)
    network = Network(sizes)
    network.set_weights(weights)
    return network.predict(np.asarray(x, dtype=float))


def reference_layer_forward(W, b, x):
    """One sigmoid layer a = f(W x + b) (eq. 3.8): W (n_out, n_in), b (n_out,), x (n_in,) or (N, n_in)."""
    return reference_network_forward([(W, b)], x)


def _layer_cases(seed):
    rng = np.random.default_rng(20 if seed is None else seed)
    if seed is not None:
        n_in, n_out, n = distinct_sizes(rng, 3, 2, 9)
        return [(f"hidden case: W of shape ({n_out}, {n_in}), one sample", rng.normal(size=(n_out, n_in)),
                 rng.normal(size=n_out), rng.normal(size=n_in)),
                (f"hidden case: W of shape ({n_in}, {n_out}), a batch of {n}", rng.normal(size=(n_in, n_out)),
                 rng.normal(size=n_in), rng.normal(size=(n, n_out)))]
    (W1, b1), (W2, b2) = text_example()[0]
    x = text_example()[1]
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


def check_layer_forward(layer_forward, *, seed=None):
    """Check a learner's ``layer_forward(W, b, x)`` (eq. 3.8) against the package's reference.

    Cases: the text's hidden and output layers for one sample, batches of 5 and
    of 1 sample, a layer with a single node and a saturated layer (net up to
    about ±300). The result must have shape (n_out,) for one sample and
    (N, n_out) for a batch.
    """
    layer_forward = refuse_borrowed(layer_forward, check="check_layer_forward", name="layer_forward", equation="eq. 3.8",
                                    forbidden=(reference_layer_forward, reference_network_forward, FullConnectedLayer.forward,
                                               Network.predict, ObjectNetwork.predict),
                                    forbidden_methods=FORWARD_METHODS)
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


def check_network_forward(network_forward, *, seed=None):
    """Check a learner's ``network_forward(weights, x)`` (eq. 3.8 applied layer after layer).

    Cases: the text's 3-4-2 network for one sample and a batch of 4, a deep
    3-5-4-3-2 network for one sample and a batch of 3, a network of a single
    layer and a saturated network. The result is the output layer's y, shape
    (n_out,) for one sample or (N, n_out) for a batch.
    """
    network_forward = refuse_borrowed(network_forward, check="check_network_forward", name="network_forward",
                                      equation="eq. 3.8, layer after layer",
                                      forbidden=(reference_layer_forward, reference_network_forward, FullConnectedLayer.forward,
                                                 Network.predict, ObjectNetwork.predict),
                                      forbidden_methods=FORWARD_METHODS)
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
        return (f"W has shape ({n_out}, {n_in}) = (outputs, inputs): row j holds the weights w_ji into node j. "
                f"For one sample x of shape ({n_in},) the result has one value per node, shape ({n_out},) "
                f"(eq. 3.8).")
    return (f"W has shape ({n_out}, {n_in}) = (outputs, inputs) and x is a batch of shape {x_shape}, one sample "
            f"per row. The result has one row per sample, shape ({x_shape[0]}, {n_out}): with samples as rows, "
            f"eq. 3.8's product W x needs W's transpose on the right.")


def run_case(check, name, function, args, description, expected, wrong_answers, hint):
    """Run one case of a check: call the learner's function on copies of ``args`` and compare.

    Args:
        check, name: the check's and the learner's function's names (for messages).
        function: the learner's function.
        args: list of ``(argument name, value)``; values are arrays or lists of (W, b).
        description: the case, in words.
        expected: the reference result, an array.
        wrong_answers: list of ``(array, hint)`` for typical mistakes: when the result
            matches one of them, its hint is given; otherwise ``hint``.
        hint: what to tell the learner if the function raises or its result is wrong.
    Raises AssertionError if the function raises (NotImplementedError: not written
    yet), changes an input array in place, or returns something other than
    ``expected`` within RTOL/ATOL. Overflow warnings are silenced: a sigmoid
    written as 1 / (1 + np.exp(-z)) is fine here.
    """
    head_text = head(check, description, *show_args(args))
    copies = [copy_value(value) for _, value in args]
    got = call_learner(function, copies, check=check, name=name, head_text=head_text, hint=hint,
                       errstate={"over": "ignore"})
    check_unchanged(head_text, name, args, copies,
                    lambda argument: f"compute new arrays rather than `+=` or assigning into {argument}: "
                                     f"the caller still needs its values.")
    check_returned(head_text, name, got)
    compare_arrays(head_text, name, expected, got, rtol=RTOL, atol=ATOL, hint=hint,
                   wrong_answers=wrong_answers)


# --- how many numbers a network learns --------------------------------------------------------


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


def check_count_parameters(count_parameters, *, seed=None):
    """Check a learner's ``count_parameters(layer_sizes)``: how many weights and biases the network has.

    Every layer of eq. 3.8 has a weight from each input to each node, and one
    bias per node. Cases: the text's 3-4-2 network (26), the MNIST network
    784-300-10 (238,510), a single layer, a deep network. The answer must be an
    integer, exactly right. Catches the forgotten biases, a bias for the input
    layer too, and the product or sum of all sizes.
    """
    count_parameters = refuse_borrowed(count_parameters, check="check_count_parameters", name="count_parameters",
                                       equation="eq. 3.8 (one weight per input and node, one bias per node)",
                                       forbidden=(reference_count_parameters,),
                                       forbidden_methods={"get_weights", "connections", "nodes", "dump", "layers"})
    cases = _count_cases(seed)
    for description, sizes in cases:
        head_text = head("check_count_parameters", description, f"input layer_sizes = {sizes}")
        got = call_learner(count_parameters, (sizes,), check="check_count_parameters", name="count_parameters",
                           head_text=head_text, hint="layer_sizes lists the number of nodes per layer, the inputs "
                                                     "first; count each pair of neighbouring layers")
        check_returned(head_text, "count_parameters", got)
        expected = reference_count_parameters(sizes)
        if isinstance(got, bool) or not isinstance(got, (int, np.integer)) or int(got) != expected:
            pairs = list(zip(sizes[:-1], sizes[1:]))
            weights = sum(a * b for a, b in pairs)
            candidates = {
                weights: "the biases are missing: every node of every layer after the input has one bias (eq. 3.2)",
                expected + sizes[0]: "the input layer has no biases: its nodes only hold the sample",
                int(np.prod(sizes)): "a layer's weights connect two neighbouring layers only: count pair by pair",
                sum(sizes): "that is the number of nodes; the weights connect every input of a layer to every node",
            }
            hint = candidates.get(int(got) if isinstance(got, (int, np.integer, float)) and float(got).is_integer()
                                  else None, "each layer has (inputs x nodes) weights plus one bias per node "
                                             "(eq. 3.2, 3.8)")
            if isinstance(got, float):
                hint = "return a whole number (an int): parameters are counted, not measured"
            raise mismatch(head_text, expected, got, hint, label="number of parameters")
    passed("check_count_parameters", seed, len(cases), "the number of weights and biases of the text's network, "
           "the MNIST network (238,510), a single layer and a deep network")


# The graded exercises in the notebook's order: the one list (bpcourse.exercises.catalog).
EXERCISES = (Exercise("layer_forward", check_layer_forward, 2, reference_layer_forward),
             Exercise("network_forward", check_network_forward, 2, reference_network_forward),
             Exercise("count_parameters", check_count_parameters, 1, reference_count_parameters))
