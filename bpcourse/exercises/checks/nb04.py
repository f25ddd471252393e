"""Checks for the exercises of notebook 04: the object network's backward pass, one object at a time.

Each check runs small sigmoid networks of :mod:`bpcourse.core.oo_network` with the learner's function doing its
part, and compares with a twin network that uses the package's methods. An exercise function may read the
objects' attributes but not call the method it re-implements. ``calc_gradient`` is the text's delta_j * x_ji,
the NEGATIVE of dE/dw_ji.
"""

from numbers import Real

import numpy as np

from bpcourse.core.oo_network import ConstNode, Connection, Network, Node
from bpcourse.exercises.checks._common import (call_learner, check_returned, diagnose, exercise_check, failure, head,
                                               mismatch, passed, same_weights)
from bpcourse.exercises.catalog import Exercise

OBJECT_METHODS = {"calc_hidden_layer_delta", "calc_output_layer_delta", "calc_delta", "calc_gradient", "get_gradient",
                  "update_weight", "train_one_sample", "train", "gradients", "train_batch"}  # backward pass, update

RTOL = 1e-9  # any correct order of summation agrees to about 1e-15
ATOL = 1e-15  # far below the smallest delta checked (about 1e-4)


def _computed(obj, attribute, method):
    """What ``method()`` leaves in ``obj.<attribute>``; the attribute is then put back as it was."""
    saved = getattr(obj, attribute)
    method()
    value = getattr(obj, attribute)
    setattr(obj, attribute, saved)
    return value


def reference_calc_hidden_layer_delta(node):
    """delta_j of a hidden node (eq. 4.3) from ``Node.calc_hidden_layer_delta``; ``node.delta`` is left as it was."""
    return _computed(node, "delta", node.calc_hidden_layer_delta)


def reference_calc_gradient(conn):
    """delta_j * x_ji of a connection (eq. 4.5) from ``Connection.calc_gradient``; ``conn.gradient`` is left as is."""
    return _computed(conn, "gradient", conn.calc_gradient)


def reference_update_weight(conn, rate):
    """w_ji += eta * delta_j * x_ji in place (eq. 4.5), by ``Connection.update_weight``. Returns None."""
    conn.update_weight(rate)


@exercise_check("calc_hidden_layer_delta", "eq. 4.3",
                (reference_calc_hidden_layer_delta, Node.calc_hidden_layer_delta), OBJECT_METHODS)
def check_calc_hidden_layer_delta(calc_hidden_layer_delta, *, seed=None):
    """Check a learner's ``calc_hidden_layer_delta(node)``, delta_j = a_j (1 - a_j) sum_k w_kj delta_k (eq. 4.3);
    the learner's deltas are stored in ``node.delta`` and feed the layer below, as in ``Network.calc_delta``."""
    name, check = "calc_hidden_layer_delta", "check_calc_hidden_layer_delta"
    checked = 0
    for description, network, twin, x, t in _cases(seed):
        twin.get_gradient(x, t)
        network.predict(x)
        for node, t_j in zip(network.layers[-1].nodes, t.tolist()):
            node.calc_output_layer_delta(t_j)  # eq. 4.1, given
        for layer, twin_layer in zip(network.layers[-2:0:-1], twin.layers[-2:0:-1]):
            for node, twin_node in zip(_neurons(layer), _neurons(twin_layer)):
                before = _state(network)
                head_text = head(check, f"{description}, hidden node {_node_name(node)}", *_describe_node(node))
                value = call_learner(calc_hidden_layer_delta, (node,), check=check, name=name,
                                     head_text=head_text, hint=_HINT_DELTA)
                _unchanged(head_text, name, network, before)
                got = _as_number(head_text, name, value,
                                 "return delta_j as a number; the check stores it in node.delta itself")
                expected = twin_node.delta
                if not np.isclose(got, expected, rtol=RTOL, atol=ATOL):
                    raise mismatch(head_text, expected, got, _diagnose_delta(node, got), rtol=RTOL, atol=ATOL,
                                   label="delta")
                node.delta = got  # the learner's delta feeds the next layer down
                checked += 1
    passed(check, seed, checked, "every hidden node's delta_j matches eq. 4.3 on the networks tried "
           "(deep and nearly saturated ones included), with your deltas feeding the layer below")


@exercise_check("calc_gradient", "eq. 4.5", (reference_calc_gradient, Connection.calc_gradient,
                                             Connection.get_gradient), OBJECT_METHODS | {"gradient"})
def check_calc_gradient(calc_gradient, *, seed=None):
    """Check a learner's ``calc_gradient(conn)``, delta_j * x_ji (eq. 4.5), on hand-made and network connections."""
    name, check = "calc_gradient", "check_calc_gradient"
    checked = 0
    for description, conn in _hand_made_connections():
        expected = reference_calc_gradient(conn)
        head_text = _conn_head(check, description, conn)
        got = _gradient_of(head_text, check, name, calc_gradient, conn)
        _compare_gradient(head_text, conn, expected, got)
        checked += 1
    for description, network, _, x, t in _cases(seed):
        network.get_gradient(x, t)
        for conn in network.connections:
            head_text = _conn_head(check, description, conn)
            got = _gradient_of(head_text, check, name, calc_gradient, conn)
            _compare_gradient(head_text, conn, conn.gradient, got)
            checked += 1
    passed(check, seed, checked, "every connection's gradient matches delta_j * x_ji (eq. 4.5), bias "
           "connections included")


@exercise_check("update_weight", "eq. 4.5", (reference_update_weight, Connection.update_weight,
                                             Network.update_weight), OBJECT_METHODS)
def check_update_weight(update_weight, *, seed=None):
    """Check a learner's ``update_weight(conn, rate)``, w_ji += eta * delta_j * x_ji in place (eq. 4.5), with
    ``conn.gradient`` NOT refreshed before the call, as in the text's training loop."""
    name, check = "update_weight", "check_update_weight"
    checked = 0
    for description, conn in _hand_made_connections():
        for rate in (0.5, 2.0):
            twin = Connection(conn.upstream_node, conn.downstream_node, conn.weight)
            twin.gradient = conn.gradient
            reference_update_weight(twin, rate)
            conn.weight = _run_update(check, name, update_weight, description, conn, rate, twin.weight)
            checked += 1
    for rate in (0.5, 0.05):
        for description, network, twin, x, t in _cases(seed):
            for net in (network, twin):
                net.predict(x)
                net.calc_delta(t)
            for conn, twin_conn in zip(network.connections, twin.connections):
                twin_conn.update_weight(rate)
                _run_update(check, name, update_weight, description, conn, rate, twin_conn.weight)
                checked += 1
    passed(check, seed, checked, "every weight after your update matches w_ji + eta delta_j x_ji (eq. 4.5), in "
           "place, for two rates")


def _cases(seed=None):
    """Yield (description, network, twin with the same weights, x, t); fresh, random ones from ``seed`` if given."""
    rng = np.random.default_rng(404 if seed is None else seed)
    specs = [
        ("a 3-4-2 network (the text's shape)", (3, 4, 2), 1.0),
        ("a deep 2-3-3-2 network (two hidden layers)", (2, 3, 3, 2), 1.0),
        ("a nearly saturated 3-4-2 network (weights x 6: a(1 - a) down to about 2e-3)", (3, 4, 2), 6.0),
        ("a 2-1-3 network (one hidden node)", (2, 1, 3), 1.0),
    ]
    if seed is not None:
        specs = [(f"hidden case: a {'-'.join(map(str, sizes))} network", sizes, float(rng.uniform(0.5, 3)))
                 for sizes in (tuple(int(n) for n in rng.integers(1, 6, size=depth)) for depth in (3, 4))]
    for description, sizes, scale in specs:
        weights = [(scale * rng.normal(size=(n_out, n_in)), scale * rng.normal(size=n_out))
                   for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        x = rng.uniform(-1.0, 1.0, size=sizes[0])
        t = np.where(rng.uniform(size=sizes[-1]) < 0.5, 0.1, 0.9)
        yield description, _with_weights(sizes, weights), _with_weights(sizes, weights), x, t


def _hand_made_connections():
    """A weight w_ji from node 0-1 (output 0.8) to node 1-0 (delta -0.25), and a bias weight (x = 1)."""
    upstream, downstream = Node(0, 1), Node(1, 0)
    upstream.output, upstream.delta = 0.8, 0.125  # the upstream delta is a decoy
    downstream.output, downstream.delta = 0.6, -0.25
    weight = Connection(upstream, downstream, 0.3)
    weight.gradient = 0.05  # stale: left over from an earlier sample
    bias_node, other = ConstNode(0, 2), Node(1, 1)
    other.output, other.delta = 0.35, 0.0625
    bias = Connection(bias_node, other, -0.4)
    bias.gradient = -0.02  # stale
    return [
        ("a hand-made connection w_ji = 0.3 from node 0-1 (output x_ji = 0.8) to node 1-0 (delta_j = -0.25)",
         weight),
        ("a bias connection w_jb = -0.4 from a ConstNode (output 1) to node 1-1 (delta_j = 0.0625)", bias),
    ]


def _neurons(layer):
    return [node for node in layer.nodes if isinstance(node, Node)]


def _node_name(node):
    return f"{node.layer_index}-{node.node_index}"


def _state(network):
    return [node.output for layer in network.layers for node in layer.nodes], [c.weight for c in network.connections]


def _unchanged(head_text, name, network, before):
    outputs, weights = _state(network)
    if weights != before[1]:
        raise failure(head_text, f"your {name} changed a connection's weight",
                      hint="only read conn.weight here; the weights change later, in update_weight (eq. 4.5)")
    if outputs != before[0]:
        raise failure(head_text, f"your {name} changed a node's output",
                      hint="only read node.output; the forward pass has already set it")


def _as_number(head_text, name, value, hint):
    check_returned(head_text, name, value, hint)
    number = isinstance(value, (Real, np.number)) or (
        isinstance(value, np.ndarray) and value.ndim == 0 and np.issubdtype(value.dtype, np.number))
    if isinstance(value, bool) or not number or np.iscomplexobj(value):
        raise failure(head_text, f"expected a number, your {name} returned {type(value).__name__} {value!r}",
                      hint=hint)
    return float(value)


def _describe_node(node):
    """Lines for the message head: the node's output and its downstream connections."""
    return [f"node.output a_j = {node.output!r}"] + [
        f"downstream connection to node {_node_name(conn.downstream_node)}: w_kj = {conn.weight:.6g}, "
        f"delta_k = {conn.downstream_node.delta:.6g}, output of node k = {conn.downstream_node.output:.6g}"
        for conn in node.downstream]


def _conn_head(check, description, conn, rate=None):
    """Message head for a connection: its upstream output x_ji and downstream delta_j (and the rate)."""
    up, down = conn.upstream_node, conn.downstream_node
    lines = [f"weight {'w_ji' if rate is None else 'before'} = {conn.weight!r}",
             f"upstream node {_node_name(up)}: output x_ji = {up.output!r}",
             f"downstream node {_node_name(down)}: delta_j = {down.delta!r}, output = {down.output!r}"]
    if rate is not None:
        lines.append(f"rate eta = {rate}")
    return head(check, f"{description}, connection {_node_name(up)} -> {_node_name(down)}", *lines)


_HINT_DELTA = ("eq. 4.3: the node's own output a_j gives the slope a_j(1 - a_j); the sum runs over the connections "
               "in node.downstream, each weight times the delta of the node that connection leads to")
_HINT_GRADIENT = ("eq. 4.5: delta_j belongs to the node the connection leads to (downstream), x_ji is the input it "
                  "carries, the output of the node it comes from (upstream; 1 for a bias)")
_HINT_UPDATE = ("eq. 4.5 changes the weight stored in the connection by eta times delta_j x_ji, with delta_j x_ji "
                "computed from the nodes now (your calc_gradient does that)")


def _diagnose_delta(node, got):
    a = node.output
    down = sum(conn.weight * conn.downstream_node.delta for conn in node.downstream)
    candidates = [
        (down, "the factor a_j (1 - a_j) is missing: it is the sigmoid's derivative written from the "
               "node's output (eq. 1.4, 4.3)"),
        (-a * (1 - a) * down, "the sign is flipped: the text's delta is -dE/dnet, and eq. 4.3 has no minus sign"),
        (a * (1 - a) * sum(conn.weight * conn.downstream_node.output for conn in node.downstream),
         "you used the downstream nodes' outputs; eq. 4.3 sums w_kj * delta_k, their error terms"),
        (sum(a * (1 - a) * conn.downstream_node.delta for conn in node.downstream),
         "the weights w_kj are missing from the sum (eq. 4.3: sum over k of w_kj delta_k)"),
        (a * (1 - a) * sum(conn.weight * conn.upstream_node.delta for conn in node.upstream),
         "you summed over node.upstream; the error flows back from node.downstream (eq. 4.3)"),
        ((1 - a * a) * down, "1 - a^2 is the derivative of tanh; this network uses the sigmoid: a (1 - a)"),
        (a * down, "the factor is a_j (1 - a_j), not a_j"),
    ]
    return diagnose(got, candidates, _HINT_DELTA, atol=1e-14)


def _gradient_of(head_text, check, name, calc_gradient, conn):
    before = (conn.weight, conn.upstream_node.output, conn.downstream_node.delta)
    value = call_learner(calc_gradient, (conn,), check=check, name=name, head_text=head_text,
                         hint=_HINT_GRADIENT)
    if (conn.weight, conn.upstream_node.output, conn.downstream_node.delta) != before:
        raise failure(head_text, f"your {name} changed the weight, the upstream node's output or the downstream "
                                 f"node's delta",
                      hint="calc_gradient only computes delta_j * x_ji; the weight changes in update_weight")
    return _as_number(head_text, name, value, "return delta_j x_ji as one number (eq. 4.5)")


def _compare_gradient(head_text, conn, expected, got):
    if np.isclose(got, expected, rtol=RTOL, atol=ATOL):
        return
    up, down = conn.upstream_node, conn.downstream_node
    candidates = [
        (down.delta * down.output, "you used the downstream node's output; x_ji is the input the connection "
                                   "carries, the output of the UPSTREAM node i (eq. 4.5-4.7)"),
        (-down.delta * up.output, "the sign is flipped: the text's gradient is delta_j * x_ji (= -dE/dw_ji), "
                                  "with no minus sign; the update then adds it (eq. 4.5)"),
        (up.delta * up.output, "you used the upstream node's delta; delta_j belongs to the downstream node j"),
        (down.delta, "x_ji is missing: the gradient is delta_j times the input x_ji (eq. 4.5)"),
        (down.delta * conn.weight, "you multiplied by the weight; eq. 4.5 multiplies delta_j by the input x_ji"),
    ]
    hint = diagnose(got, candidates, _HINT_GRADIENT, atol=1e-14)
    raise mismatch(head_text, expected, got, hint, rtol=RTOL, atol=ATOL, label="gradient")


def _run_update(check, name, update_weight, description, conn, rate, expected):
    """The learner's ``update_weight(conn, rate)``, compared with ``expected``; returns the weight before."""
    old = conn.weight
    head_text = _conn_head(check, description, conn, rate)
    call_learner(update_weight, (conn, rate), check=check, name=name, head_text=head_text, hint=_HINT_UPDATE)
    _compare_update(head_text, conn, old, rate, expected, conn.weight)
    return old


def _compare_update(head_text, conn, old, rate, expected, got):
    if isinstance(got, bool) or not isinstance(got, Real):
        raise failure(head_text, f"conn.weight became {type(got).__name__} {got!r}", hint=_HINT_UPDATE)
    if np.isclose(got, expected, rtol=RTOL, atol=ATOL):
        return
    up, down = conn.upstream_node, conn.downstream_node
    step = down.delta * up.output
    candidates = [
        (old, "conn.weight did not change: the update happens in the connection itself (in place); a return "
              "value is ignored"),
        (old - rate * step, "the sign is wrong: the text's delta_j * x_ji is already -dE/dw_ji, so eq. 4.5 "
                            "ADDS eta * delta_j * x_ji"),
        (old + step, "the learning rate is missing: eq. 4.5 multiplies delta_j x_ji by eta"),
        (old + rate * down.delta * down.output, "you used the downstream node's output; x_ji is the output of "
                                                "the upstream node i"),
        (old + rate * conn.gradient, "you used conn.gradient, which was not refreshed for this sample; compute "
                                     "delta_j x_ji from the nodes (your calc_gradient does that)"),
        (rate * step, "you replaced the weight by the step: add the step to the old weight"),
    ]
    hint = diagnose(got, candidates, _HINT_UPDATE, atol=1e-14)
    raise mismatch(head_text, expected, got, hint, rtol=RTOL, atol=ATOL, label="weight after")


def _with_weights(sizes, weights):
    network = Network(sizes)
    network.set_weights(weights)
    return network


def _train_variant(network, X, T, rate, epochs, *, sign=1.0, output_slope=True, hidden_slope=True,
                   update_while_going_back=False, extra_epochs=0, last_sample_only=False):
    """The text's per-sample training loop, with switches for typical mistakes (only to recognize them)."""
    samples = list(zip(X, T))[-1:] if last_sample_only else list(zip(X, T))
    for _ in range(epochs + extra_epochs):
        for x, t in samples:
            network.predict(x)
            for node, t_j in zip(network.layers[-1].nodes, t):
                y = node.output
                node.delta = (y * (1 - y) if output_slope else 1.0) * (t_j - y)  # eq. 4.1
            if update_while_going_back:
                for node in network.layers[-1].nodes:
                    for conn in node.upstream:
                        conn.weight += sign * rate * node.delta * conn.upstream_node.output
            for layer in network.layers[-2:0:-1]:
                for node in _neurons(layer):
                    a = node.output
                    back = sum(conn.weight * conn.downstream_node.delta for conn in node.downstream)
                    node.delta = (a * (1 - a) if hidden_slope else 1.0) * back  # eq. 4.3
                    if update_while_going_back:
                        for conn in node.upstream:
                            conn.weight += sign * rate * node.delta * conn.upstream_node.output
            if not update_while_going_back:
                for conn in network.connections:
                    conn.weight += sign * rate * conn.downstream_node.delta * conn.upstream_node.output  # eq. 4.5
    return network.get_weights()


def _training_cases(seed):
    rng = np.random.default_rng(405 if seed is None else seed)
    specs = [("the text's 3-4-2 shape, 4 samples, 1 epoch", (3, 4, 2), 4, 1, 0.5),
             ("a deep 2-3-3-2 network, 5 samples, 2 epochs", (2, 3, 3, 2), 5, 2, 0.3),
             ("a 2-1-3 network (one hidden node), 3 samples, 3 epochs", (2, 1, 3), 3, 3, 1.0)]
    if seed is not None:
        specs = [(f"hidden case {k}", tuple(int(n) for n in rng.integers(1, 5, size=int(rng.integers(3, 5)))),
                  int(rng.integers(2, 6)), int(rng.integers(1, 4)), float(rng.uniform(0.1, 1.0))) for k in range(2)]
    for description, sizes, n, epochs, rate in specs:
        X = rng.uniform(-1, 1, size=(n, sizes[0]))
        T = np.where(rng.uniform(size=(n, sizes[-1])) < 0.5, 0.1, 0.9)
        yield description, sizes, int(rng.integers(1000)), X, T, rate, epochs


@exercise_check("train_object_network", "eq. 4.1, 4.3 and 4.5", (Network.train, Network.train_one_sample,
                                                                  Network.calc_delta, Network.update_weight),
                OBJECT_METHODS)
def check_train_object_network(train_object_network, *, seed=None):
    """Check a learner's ``train_object_network(network, X, T, rate, epochs)``, the text's training by hand (eq. 4.1,
    4.3, 4.5), without the network's own training methods, against a twin trained by ``Network.train``."""
    check, name = "check_train_object_network", "train_object_network"
    cases = list(_training_cases(seed))
    for description, sizes, network_seed, X, T, rate, epochs in cases:
        network, twin = Network(sizes, seed=network_seed), Network(sizes, seed=network_seed)
        start = network.get_weights()
        head_text = head(check, description, f"layer sizes {sizes}, X of shape {X.shape}, T of shape {T.shape}",
                         f"rate = {rate}, epochs = {epochs}")
        call_learner(train_object_network, (network, X.copy(), T.copy(), rate, epochs), check=check, name=name,
                     head_text=head_text, hint="loop over the epochs, then over the samples in their order; for "
                                               "each: forward pass, deltas backwards (eq. 4.1, 4.3), then the update "
                                               "of every connection (eq. 4.5)")
        twin.train(T, X, rate, epochs)
        got, expected = network.get_weights(), twin.get_weights()
        if [np.shape(W) for W, _ in got] != [np.shape(W) for W, _ in expected]:
            raise failure(head_text, f"after your training loop the network's weight matrices have the shapes "
                                     f"{[np.shape(W) for W, _ in got]}, expected {[np.shape(W) for W, _ in expected]}",
                          hint="train the network you are given in place: change the weights of its connections "
                               "(conn.weight += ...), never its layers, nodes or connections")
        if same_weights(got, expected, rtol=1e-10, atol=1e-13):
            continue
        variants = [
            (dict(update_while_going_back=True), "you update weights while going back: a hidden delta (eq. 4.3) "
             "must use the weights as they were in the forward pass, so compute every delta first, then update"),
            (dict(sign=-1.0), "the sign of the update is flipped: the text's delta_j x_ji is -dE/dw_ji, so eq. 4.5 "
                              "ADDS eta delta_j x_ji"),
            (dict(output_slope=False), "the output deltas lack the sigmoid's slope y(1 - y) (eq. 4.1)"),
            (dict(hidden_slope=False), "the hidden deltas lack the sigmoid's slope a(1 - a) (eq. 4.3)"),
            (dict(extra_epochs=1), "one epoch too many: the loop runs `epochs` times over the samples"),
            (dict(extra_epochs=-1), "one epoch too few: the loop runs `epochs` times over the samples")
            if epochs > 1 else None,
            (dict(last_sample_only=True), "only the last sample counts: every sample takes its own step, one "
                                          "after the other, in every epoch"),
        ]
        hint = next((text for switches, text in filter(None, variants) if same_weights(
            got, _train_variant(_with_weights(sizes, start), X, T, rate, epochs, **switches), rtol=1e-8, atol=1e-12)),
            "compare one step on one sample with the text's order: forward pass, every delta backwards, then every "
            "weight (eq. 4.1, 4.3, 4.5)")
        layer = next(l for l, (pair, ref) in enumerate(zip(got, expected))
                     if not same_weights([pair], [ref], rtol=1e-10, atol=1e-13))
        raise mismatch(head_text, expected[layer][0], got[layer][0], hint, rtol=1e-10, atol=1e-13,
                       label=f"W of layer {layer} after training")
    passed(check, seed, len(cases), "after your training loop every weight equals Network.train's (eq. 4.1, 4.3, "
           "4.5, sample by sample), over one to three epochs and a deep network")


EXERCISES = (Exercise("calc_hidden_layer_delta", check_calc_hidden_layer_delta, 2, reference_calc_hidden_layer_delta),
             Exercise("calc_gradient", check_calc_gradient, 1, reference_calc_gradient),
             Exercise("update_weight", check_update_weight, 1, reference_update_weight),
             Exercise("train_object_network", check_train_object_network, 4, None))
