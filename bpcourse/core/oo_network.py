"""The text's object-oriented network: Node, ConstNode, Layer, Connection, Connections, Network.

The section "implementing the network" of the source text, in Python 3, with
its object model and names kept: a :class:`Node` holds its output, its error
term ``delta`` and its connections; a :class:`ConstNode` is the bias node
(output 1); a :class:`Layer` is a list of nodes; a :class:`Connection` holds
one weight ``w_ji`` (target j first, as in the text) and the two nodes it
joins; :class:`Connections` is all of them; :class:`Network` builds it all.

Every weight is a Python float in its own object, so this network is slow
(one training sample of the 784-300-10 network touches 238,510 Connection
objects) but you can look at every number; :mod:`bpcourse.core.vectorized`
computes the same with matrices. Signs: ``Connection.gradient`` is the text's
delta_j * x_ji = -dE/dw_ji and the update adds it (eq. 4.5);
:meth:`Network.gradients` hands out dE/dW. Unlike the tutorial's code, the
gradient check lives in :mod:`bpcourse.core.gradcheck`, ``get_gradient`` takes
``(sample, label)``, and the output layer has no bias node and the input
layer no deltas (nothing needs them).
"""

import sys
from numbers import Integral

import numpy as np

from bpcourse.core.activations import get_activator
from bpcourse.core.divergence import check_loss, check_weights_finite
from bpcourse.core.losses import SquaredError
from bpcourse.core.network_edge import NetworkEdge
from bpcourse.core.validation import as_array, check_finite, check_seed, check_weights, weight_shapes

BYTES_PER_CONNECTION = 120  # about what one Connection costs (the object, its float weight, two list entries)


class Node:
    """One neuron: its output a, its error term delta and its connections.

    - layer_index, node_index: layer 0 is the input layer; nodes count from 0 within a layer (the
      text numbers nodes 1..9 across the 3-4-2 network: its node 4 is our node (1, 0)).
    - output: x_i for an input node, a_j for a hidden node, y_j for an output node (eq. 3.2, 3.3).
    - delta: the error term delta_j = -dE/dnet_j (eq. 4.1 or 4.3, sign from eq. 4.17).
    - upstream, downstream: the Connections in (bias node last) and out, ordered by the other node.
    - activator: the activation f and its derivative from the output.
    """

    __slots__ = ("layer_index", "node_index", "output", "delta", "upstream", "downstream", "activator")

    def __init__(self, layer_index, node_index, activator="sigmoid"):
        self.layer_index = layer_index
        self.node_index = node_index
        self.output = 0.0
        self.delta = 0.0
        self.upstream = []
        self.downstream = []
        self.activator = get_activator(activator)

    def calc_net(self):
        """net_j = sum_i w_ji x_ji over the upstream connections, the bias included; a float."""
        return sum(conn.upstream_node.output * conn.weight for conn in self.upstream)  # eq. 4.11

    def calc_output(self):
        """a_j = f(net_j) (eq. 3.2, 3.3)."""
        self.output = float(self.activator.forward(self.calc_net()))  # eq. 3.2 / 3.3

    def calc_hidden_layer_delta(self):
        """Hidden node: delta_j = f'(a_j) * sum_k w_kj delta_k over downstream nodes k (eq. 4.3); next layer first."""
        downstream_delta = sum(conn.downstream_node.delta * conn.weight for conn in self.downstream)
        # eq. 4.3: a_j (1 - a_j) for the sigmoid, f'(a_j) in general
        self.delta = float(self.activator.backward(self.output)) * downstream_delta

    def calc_output_layer_delta(self, label, loss=SquaredError):
        """Output node: delta_j = -dE/dnet_j for its target t_j = ``label``, as the loss says.

        Squared error (eq. 4.1): f'(y_j)(t_j - y_j), y_j (1 - y_j)(t_j - y_j) for the sigmoid;
        softmax with cross-entropy: t_j - y_j.
        """
        self.delta = float(loss.delta(self.output, label, self.activator))  # the loss's delta: eq. 4.1 for the default

    def __repr__(self):
        return (f"Node({self.layer_index}-{self.node_index}: output={self.output:.6g}, delta={self.delta:.6g}, "
                f"{len(self.upstream)} upstream, {len(self.downstream)} downstream)")


class ConstNode:
    """The bias node of a layer, its last node: its output is always 1.

    Its connection to node j of the next layer holds the bias w_jb (eq. 3.2), updated by eq. 4.8
    (input 1). Nothing feeds it, so its delta is never needed; it is 0.
    """

    __slots__ = ("layer_index", "node_index", "output", "delta", "upstream", "downstream")

    def __init__(self, layer_index, node_index):
        self.layer_index = layer_index
        self.node_index = node_index
        self.output = 1.0
        self.delta = 0.0
        self.upstream = []  # nothing feeds a bias node
        self.downstream = []

    def calc_hidden_layer_delta(self):
        """A bias node has no upstream weights: delta stays 0 (the text's 1 * (1 - 1) * sum(...))."""
        self.delta = 0.0

    def __repr__(self):
        return f"ConstNode({self.layer_index}-{self.node_index}: output=1, {len(self.downstream)} downstream)"


class Layer:
    """One layer (``layer_index`` 0: the input layer): ``nodes``, a ConstNode last unless it is the output layer."""

    def __init__(self, layer_index, node_count, activator="sigmoid", has_bias_node=True):
        self.layer_index = layer_index
        self.nodes = [Node(layer_index, i, activator) for i in range(node_count)]
        if has_bias_node:
            self.nodes.append(ConstNode(layer_index, node_count))

    def set_output(self, data):
        """Input layer: give node i the value x_i (``data``: a sequence of floats, length node_count)."""
        for node, x_i in zip(self.nodes, data):
            node.output = x_i

    def calc_output(self, activator=None):
        """Compute the output of every node but the bias node (eq. 3.2, 3.3).

        ``activator``, if given, is applied to all the layer's nets at once (a softmax output layer).
        """
        if activator is None:
            for node in self.nodes:
                if isinstance(node, Node):
                    node.calc_output()
            return
        neurons = _neurons(self)
        outputs = activator.forward(np.array([node.calc_net() for node in neurons]))
        for node, y in zip(neurons, outputs.tolist()):
            node.output = y

    def __repr__(self):
        bias = " + bias node" if self.nodes and isinstance(self.nodes[-1], ConstNode) else ""
        count = len(self.nodes) - (1 if bias else 0)
        return f"Layer({self.layer_index}: {count} nodes{bias})"


class Connection:
    """One weight w_ji from ``upstream_node`` i to ``downstream_node`` j (target first, as in the text).

    ``weight`` is w_ji (w_jb from a ConstNode). ``gradient`` is the text's delta_j * x_ji, the
    NEGATIVE of dE/dw_ji (delta_j = -dE/dnet_j, eq. 4.17; dnet_j/dw_ji = x_ji, eq. 4.12): that is
    why the update ADDS it, w_ji += eta * gradient (eq. 4.5). ``Network.gradients`` returns dE/dW.
    """

    # Slots: 238,510 connections for 784-300-10 take far less memory without a __dict__ each.
    __slots__ = ("upstream_node", "downstream_node", "weight", "gradient")

    def __init__(self, upstream_node, downstream_node, weight):
        self.upstream_node = upstream_node
        self.downstream_node = downstream_node
        self.weight = weight
        self.gradient = 0.0

    def calc_gradient(self):
        """gradient = delta_j * x_ji, x_ji = output of the upstream node (the text's sign: -dE/dw_ji, eq. 4.12)."""
        self.gradient = self.downstream_node.delta * self.upstream_node.output

    def get_gradient(self):
        """The stored gradient delta_j * x_ji (= -dE/dw_ji)."""
        return self.gradient

    def update_weight(self, rate):
        """w_ji <- w_ji + eta * delta_j * x_ji (eq. 4.5; eq. 4.6-4.8 are its instances)."""
        self.calc_gradient()
        self.weight += rate * self.gradient

    def __repr__(self):
        up, down = self.upstream_node, self.downstream_node
        return (f"Connection(({up.layer_index}-{up.node_index}) -> ({down.layer_index}-{down.node_index}): "
                f"weight={self.weight:.6g}, gradient={self.gradient:.6g})")


class Connections:
    """All Connection objects of a network; ``connections`` is the list, in the order they were created."""

    def __init__(self):
        self.connections = []

    def add_connection(self, connection):
        """Append one Connection."""
        self.connections.append(connection)

    def __iter__(self):
        return iter(self.connections)

    def __len__(self):
        return len(self.connections)

    def __getitem__(self, index):
        return self.connections[index]

    def __repr__(self):
        return f"Connections({len(self.connections)} connections)"


class Network(NetworkEdge):
    """A fully connected network made of Node and Connection objects (the text's design).

    - layer_sizes: nodes per layer, input first, e.g. ``[3, 4, 2]`` (the text's example) or
      ``[784, 300, 10]`` (MNIST); bias nodes are added for you.
    - activator: "sigmoid" (eq. 1.2), "tanh" or an activator object; loss: "squared_error" (eq. 4.9),
      "softmax_cross_entropy" or a loss object (which may bring the output layer's activation).
    - seed: int >= 0 or Generator. Weights start uniform in [-0.1, 0.1], drawn in the order the
      connections are created: upstream node i outer (bias node last), downstream node j inner; in
      matrix terms one ``U`` (n_in + 1, n_out) per layer pair, ``W = U[:-1].T``, ``b = U[-1]``.

    ``layers`` is the list of Layer, ``connections`` all 300*(784+1) + 10*(300+1) = 238,510 of
    them for 784-300-10; ``dtype`` is float64. The interface shared with the vectorized network
    takes one sample x (n_in,) or a batch (N, n_in), worked through one sample at a time.
    """

    dtype = np.dtype(np.float64)

    def __init__(self, layer_sizes, activator="sigmoid", seed=0, loss="squared_error"):
        self._set_architecture(layer_sizes, activator, loss, BYTES_PER_CONNECTION, "connections")
        rng = check_seed(seed)
        self.output_activator = self.loss.output_activator(self.activator)
        last = len(self.layer_sizes) - 1
        self.layers = [
            Layer(i, n, self.activator, has_bias_node=(i != last)) for i, n in enumerate(self.layer_sizes)
        ]
        self.connections = Connections()
        for upstream_layer, downstream_layer in zip(self.layers[:-1], self.layers[1:]):
            upstream_nodes = upstream_layer.nodes  # bias node last
            downstream_nodes = _neurons(downstream_layer)  # a bias node has no upstream
            weights = rng.uniform(-0.1, 0.1, size=(len(upstream_nodes), len(downstream_nodes)))
            for upstream_node, row in zip(upstream_nodes, weights.tolist()):
                for downstream_node, weight in zip(downstream_nodes, row):
                    conn = Connection(upstream_node, downstream_node, weight)
                    self.connections.add_connection(conn)
                    downstream_node.upstream.append(conn)
                    upstream_node.downstream.append(conn)

    # --- the text's API -------------------------------------------------

    def train(self, labels, data_set, rate, epochs):
        """Per-sample SGD as in the text: ``epochs`` passes over the samples in their order.

        labels T (N, n_out), data_set X (N, n_in), one sample per row; rate eta > 0 (eq. 4.5).
        Raises :class:`bpcourse.core.divergence.DivergenceError` as soon as a loss is NaN or infinite.
        """
        T, X, rate, epochs = self._check_training(labels, data_set, rate, epochs)
        for count in range(1, epochs + 1):
            for t, x in zip(T, X):
                self.train_one_sample(t, x, rate)
                check_loss(self.loss.value(self.output(), t), epoch=count, rate=rate)
            check_weights_finite(self.get_weights(), epoch=count, rate=rate)

    def train_one_sample(self, label, sample, rate):
        """One SGD step on one sample: predict, calc_delta, update_weight (eq. 4.1, 4.3, 4.5)."""
        self.predict(sample)
        self.calc_delta(label)
        self.update_weight(rate)

    def calc_delta(self, label):
        """Error terms of the last ``predict`` for target t (n_out,): output layer (eq. 4.1), hidden ones (eq. 4.3)."""
        t = self._check_label(label)
        for node, t_j in zip(self.layers[-1].nodes, t.tolist()):
            node.calc_output_layer_delta(t_j, self.loss)
        # Hidden layers from the last to the first. The text also computes
        # deltas for the input layer, but no weight needs them.
        for layer in self.layers[-2:0:-1]:
            for node in layer.nodes:
                node.calc_hidden_layer_delta()

    def update_weight(self, rate):
        """w_ji += eta * delta_j * x_ji for every connection (eq. 4.5), using the current deltas."""
        for conn in self.connections:
            conn.update_weight(rate)

    def calc_gradient(self):
        """Store delta_j * x_ji (= -dE/dw_ji) in every connection's ``gradient``."""
        for conn in self.connections:
            conn.calc_gradient()

    def get_gradient(self, sample, label):
        """The text's method: forward pass, deltas and ``Connection.gradient`` for x (n_in,), t (n_out,).

        Changes no weight: every connection then holds delta_j * x_ji (= -dE/dw_ji). The true
        gradient as arrays: :meth:`gradients`.
        """
        self.predict(sample)
        self.calc_delta(label)
        self.calc_gradient()

    def dump(self, file=None, max_items=8):
        """Print each layer's node outputs and deltas and incoming connections, ``max_items`` (None: all) of each."""
        if max_items is not None and (not isinstance(max_items, Integral) or max_items < 1):
            raise ValueError(f"max_items must be a positive int or None, got {max_items!r}")
        out = sys.stdout if file is None else file
        sizes = "-".join(str(n) for n in self.layer_sizes)
        print(f"Network {sizes}, activator {self.activator.name}, {len(self.connections)} connections "
              f"(node i-j = layer i, node j; outputs and deltas from the last forward/backward pass)", file=out)
        last = len(self.layers) - 1
        for layer in self.layers:
            kind = "input" if layer.layer_index == 0 else "output" if layer.layer_index == last else "hidden"
            print(f"layer {layer.layer_index} ({kind} layer): {layer!r}", file=out)
            symbol = "x" if kind == "input" else "y" if kind == "output" else "a"
            for node in _first(layer.nodes, max_items, out, "nodes", "  "):
                name = f"node {node.layer_index}-{node.node_index}"
                if isinstance(node, ConstNode):
                    print(f"  {name} (bias): output 1", file=out)
                elif kind == "input":
                    print(f"  {name}: output {symbol} = {node.output:.6g}", file=out)
                else:
                    print(f"  {name}: output {symbol} = {node.output:.6g}, delta = {node.delta:.6g}", file=out)
            if layer.layer_index > 0:
                incoming = [conn for node in layer.nodes for conn in node.upstream]
                print(f"  connections into layer {layer.layer_index} ({len(incoming)}):", file=out)
                for conn in _first(incoming, max_items, out, "connections", "    "):
                    up, down = conn.upstream_node, conn.downstream_node
                    bias = " bias" if isinstance(up, ConstNode) else ""
                    print(f"    w({down.layer_index}-{down.node_index} <- {up.layer_index}-{up.node_index}{bias}) "
                          f"= {conn.weight:.6g}, gradient = {conn.gradient:.6g}", file=out)

    # --- the interface shared with bpcourse.core.vectorized -----------------

    def output(self):
        """The outputs y of the last forward pass, shape (n_out,)."""
        return np.array([node.output for node in _neurons(self.layers[-1])])

    def gradients(self, x, t):
        """The true gradient for one sample (or the mean over a batch): a list of (dW, db) per layer pair.

        dW (n_out, n_in), dW[j, i] = dE/dw_ji; db (n_out,), db[j] = dE/dw_jb; a step is W -= eta * dW (eq. 4.10).
        """
        X, single = self._check_samples(x)
        T = self._check_targets(t, len(X), single)
        total = None
        for x_n, t_n in zip(X, T):
            self.get_gradient(x_n, t_n)
            G = self._matrices("gradient")
            total = G if total is None else [A + B for A, B in zip(total, G)]
        # The connections hold the text's delta_j * x_ji = -dE/dw_ji (eq. 4.12, 4.17): turn the sign.
        return [(-G[:, :-1] / len(X), -G[:, -1] / len(X)) for G in total]

    def train_batch(self, X, T, rate, *, checked=False, weight_decay=0.0):
        """One SGD step on a mini-batch with the MEAN gradient of its samples (one sample: the text's step).

        X (N, n_in) or (n_in,), T (N, n_out) or (n_out,), rate eta > 0, ``checked`` and ``weight_decay``
        as for the vectorized network (W <- (1 - rate * lambda) W - rate * dE/dW, biases not decayed).
        Returns the batch's mean loss before the update.
        """
        if not checked:
            X, T, rate, weight_decay = self._check_step(X, T, rate, weight_decay)
        if len(X) == 1 and not weight_decay:  # the text's per-sample step, weight by weight (eq. 4.5)
            self.train_one_sample(T[0], X[0], rate)
            return float(self.loss.value(self.output(), T[0]))
        E = float(np.mean([self.loss.value(self._forward(x_n), t_n) for x_n, t_n in zip(X, T)]))
        shrink = 1 - rate * weight_decay  # the penalty's gradient lambda W, as a shrink of W
        self.set_weights([(shrink * W - rate * dW, b - rate * db)
                          for (W, b), (dW, db) in zip(self.get_weights(), self.gradients(X, T))])
        return E

    def get_weights(self):
        """All weights, a list of (W, b) per layer pair (new arrays): W (n_out, n_in), W[j, i] = w_ji; b[j] = w_jb."""
        return [(Wb[:, :-1].copy(), Wb[:, -1].copy()) for Wb in self._matrices("weight")]

    def _matrices(self, attribute):
        """The connections' ``attribute`` per layer pair as (n_out, n_in + 1) arrays, the bias column last."""
        return [np.array([[getattr(conn, attribute) for conn in node.upstream] for node in _neurons(layer)])
                for layer in self.layers[1:]]

    def set_weights(self, weights):
        """Set every weight from a list of (W, b) per layer pair, all checked before any weight changes."""
        checked = check_weights(weights, weight_shapes(self.layer_sizes))
        for layer, (W, b) in zip(self.layers[1:], checked):
            Wb = np.concatenate([W, b[:, None]], axis=1).tolist()
            for node, row in zip(_neurons(layer), Wb):
                for conn, w in zip(node.upstream, row):
                    conn.weight = w

    # --- the forward pass and validation at the edges ----------------------------

    def _forward(self, x):
        """The forward pass of one checked sample x (n_in,) -> y (n_out,); the output layer as the loss says."""
        self.layers[0].set_output(x.tolist())
        for layer in self.layers[1:-1]:
            layer.calc_output()
        # the loss may bring its own output activation
        self.layers[-1].calc_output(None if self.output_activator is self.activator else self.output_activator)
        return self.output()

    def _outputs(self, X):
        """The forward pass of a checked batch X (N, n_in), sample by sample -> Y (N, n_out)."""
        return np.array([self._forward(x) for x in X])

    def _check_label(self, t):
        """One target t (the text: label) as float64 of shape (n_out,), or ValueError."""
        what, length = "a target (label)", self.layer_sizes[-1]
        a = as_array(t, what, np.float64)
        if a.shape != (length,):
            flatten = ": flatten it with t.reshape(-1)" if a.size == length else ""
            raise ValueError(f"expected {what} of length {length}, got shape {a.shape}{flatten}")
        check_finite(a, what)
        return a


def _neurons(layer):
    """The nodes of ``layer`` without its bias node (the ones that have upstream weights)."""
    return [node for node in layer.nodes if isinstance(node, Node)]


def _first(items, max_items, out, what, indent):
    """Yield at most ``max_items`` of ``items``; then print how many were left out."""
    shown = items if max_items is None else items[:max_items]
    yield from shown
    if len(items) > len(shown):
        left = len(items) - len(shown)
        noun = what if left > 1 else what[:-1]  # "nodes" -> "node"
        print(f"{indent}... {left} more {noun} (dump(max_items=None) prints all)", file=out)

