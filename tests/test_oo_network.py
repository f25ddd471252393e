"""Tests of the object-oriented network (bpcourse.core.oo_network): structure, training, dump, bad input."""

import io

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from bpcourse.core.oo_network import ConstNode, Connection, Connections, Layer, Network, Node


def identity_task():
    """The 8-3-8 identity task: one-hot inputs, targets 0.9/0.1 (X, T of shape (8, 8))."""
    X = np.eye(8)
    T = np.where(X > 0, 0.9, 0.1)
    return X, T


def mean_loss(network, X, T):
    return float(np.mean([network.loss_value(x, t) for x, t in zip(X, T)]))


# --- construction ----------------------------------------------------------


def test_mnist_sized_network_has_238510_connections():
    network = Network([784, 300, 10])  # its build time: benchmarks/small_timings.py
    assert len(network.connections) == 300 * (784 + 1) + 10 * (300 + 1) == 238_510
    assert sum(1 for _ in network.connections) == 238_510
    assert [len(layer.nodes) for layer in network.layers] == [785, 301, 10]


def test_layers_end_with_a_bias_node_except_the_output_layer():
    network = Network([3, 4, 2])
    input_layer, hidden, output = network.layers
    assert isinstance(input_layer.nodes[-1], ConstNode) and isinstance(hidden.nodes[-1], ConstNode)
    assert all(isinstance(node, Node) for node in output.nodes)
    assert [layer.layer_index for layer in network.layers] == [0, 1, 2]
    assert [(node.layer_index, node.node_index) for node in hidden.nodes] == [(1, i) for i in range(5)]
    assert hidden.nodes[-1].output == 1.0
    # node 4 of the text = (1, 0): 3 inputs + bias upstream, 2 outputs downstream
    node4 = hidden.nodes[0]
    assert len(node4.upstream) == 4 and len(node4.downstream) == 2
    assert node4.upstream[-1].upstream_node is input_layer.nodes[-1]
    assert all(conn.downstream_node is node4 for conn in node4.upstream)
    assert isinstance(network.connections, Connections)
    assert all(isinstance(conn, Connection) for conn in network.connections)
    assert isinstance(network.layers[0], Layer)


def test_initial_weights_are_uniform_in_plus_minus_0_1():
    weights = np.array([conn.weight for conn in Network([784, 30, 10], seed=3).connections])
    assert weights.min() >= -0.1 and weights.max() <= 0.1
    assert weights.min() < -0.099 and weights.max() > 0.099  # spread over the whole range
    assert abs(weights.mean()) < 0.005


def test_weights_are_drawn_in_the_documented_order():
    network = Network([3, 4, 2], seed=7)
    rng = np.random.default_rng(7)
    for W, b in network.get_weights():
        U = rng.uniform(-0.1, 0.1, size=(W.shape[1] + 1, W.shape[0]))  # upstream outer, bias last
        assert_array_equal(W, U[:-1].T)
        assert_array_equal(b, U[-1])


def test_same_seed_same_weights_other_seed_other_weights():
    a, b, c = Network([5, 4, 3], seed=1), Network([5, 4, 3], seed=1), Network([5, 4, 3], seed=2)
    for (Wa, ba), (Wb, bb), (Wc, bc) in zip(a.get_weights(), b.get_weights(), c.get_weights()):
        assert_array_equal(Wa, Wb)
        assert_array_equal(ba, bb)
        assert not np.array_equal(Wa, Wc)
    generator_network = Network([5, 4, 3], seed=np.random.default_rng(1))
    assert_array_equal(generator_network.get_weights()[0][0], a.get_weights()[0][0])


# --- forward, backward, training --------------------------------------------


def test_predict_shape_and_range():
    network = Network([3, 4, 2])
    y = network.predict([0.2, 0.4, 0.6])
    assert y.shape == (2,) and y.dtype == np.float64
    assert np.all((y > 0) & (y < 1))
    assert [node.output for node in network.layers[-1].nodes] == y.tolist()
    assert [node.output for node in network.layers[0].nodes] == [0.2, 0.4, 0.6, 1.0]


def test_connection_gradient_is_minus_the_true_gradient():
    network = Network([3, 4, 2], seed=5)
    x, t = np.array([0.1, 0.7, 0.3]), np.array([0.9, 0.1])
    grads = network.gradients(x, t)
    stored = network.get_weights()  # reuse the shapes: fill with the connections' gradients
    for layer, (dW, db) in zip(network.layers[1:], grads):
        for j, node in enumerate(layer.nodes[: dW.shape[0]]):
            values = [conn.gradient for conn in node.upstream]
            assert_allclose(values, -np.append(dW[j], db[j]), rtol=0, atol=0)
    assert len(stored) == len(grads)


def test_node_and_connection_methods_follow_eq_4_1_4_3_4_5():
    network = Network([3, 4, 2], seed=2)
    x, t = np.array([0.5, -0.2, 0.9]), np.array([0.1, 0.9])
    network.predict(x)
    y_node = network.layers[2].nodes[0]
    y_node.calc_output_layer_delta(t[0])
    y = y_node.output
    assert y_node.delta == pytest.approx(y * (1 - y) * (t[0] - y), rel=1e-15)  # eq. 4.1
    network.layers[2].nodes[1].calc_output_layer_delta(t[1])
    a_node = network.layers[1].nodes[2]
    a_node.calc_hidden_layer_delta()
    a = a_node.output
    expected = a * (1 - a) * sum(conn.weight * conn.downstream_node.delta for conn in a_node.downstream)
    assert a_node.delta == pytest.approx(expected, rel=1e-15)  # eq. 4.3
    conn = a_node.downstream[0]
    old = conn.weight
    conn.update_weight(0.5)
    assert conn.get_gradient() == conn.downstream_node.delta * a
    assert conn.weight == pytest.approx(old + 0.5 * conn.downstream_node.delta * a, rel=1e-15)  # eq. 4.5


def test_get_gradient_changes_no_weight():
    network = Network([3, 4, 2], seed=4)
    before = network.get_weights()
    network.get_gradient([0.3, 0.2, 0.1], [0.9, 0.1])
    for (W0, b0), (W1, b1) in zip(before, network.get_weights()):
        assert_array_equal(W0, W1)
        assert_array_equal(b0, b1)
    assert any(conn.gradient != 0 for conn in network.connections)


def test_training_on_the_8_3_8_identity_task_lowers_the_loss():
    X, T = identity_task()
    network = Network([8, 3, 8], seed=0)
    before = mean_loss(network, X, T)
    network.train(T, X, rate=1.0, epochs=300)
    after = mean_loss(network, X, T)
    assert after < 0.2 * before, (before, after)
    predicted = np.argmax([network.predict(x) for x in X], axis=1)
    assert_array_equal(predicted, np.arange(8))


def test_tanh_network_works():
    network = Network([3, 4, 2], activator="tanh", seed=1)
    assert network.activator.name == "tanh"
    X = np.array([[0.5, -0.5, 0.2], [-0.3, 0.8, -0.1]])
    T = np.array([[0.5, -0.5], [-0.5, 0.5]])
    y = network.predict(X[0])
    W, b = network.get_weights()[0]
    a = np.tanh(W @ X[0] + b)
    W2, b2 = network.get_weights()[1]
    assert_allclose(y, np.tanh(W2 @ a + b2), rtol=1e-13, atol=1e-15)
    before = mean_loss(network, X, T)
    network.train(T, X, rate=0.2, epochs=200)
    assert mean_loss(network, X, T) < 0.5 * before


def test_train_returns_nothing_and_accepts_lists():
    network = Network([2, 2, 1], seed=0)
    assert network.train([[1.0]], [[0.0, 1.0]], 0.5, 1) is None


# --- dump ---------------------------------------------------------------------


def test_dump_prints_nodes_then_connections_layer_by_layer(capsys):
    network = Network([3, 4, 2], seed=0)
    network.get_gradient([1.0, 2.0, 3.0], [0.0, 1.0])
    network.dump(max_items=None)
    text = capsys.readouterr().out
    assert "Network 3-4-2, activator sigmoid, 26 connections" in text
    assert text.index("layer 0") < text.index("layer 1") < text.index("layer 2")
    node = network.layers[1].nodes[0]
    assert f"node 1-0: output a = {node.output:.6g}, delta = {node.delta:.6g}" in text
    assert "node 0-3 (bias): output 1" in text
    conn = node.upstream[0]
    assert f"w(1-0 <- 0-0) = {conn.weight:.6g}, gradient = {conn.gradient:.6g}" in text
    assert "w(2-1 <- 1-4 bias)" in text
    assert text.count("w(") == 26


def test_dump_of_a_big_network_stays_short():
    out = io.StringIO()
    Network([784, 30, 10]).dump(max_items=5, file=out)
    lines = out.getvalue().splitlines()
    assert len(lines) < 50
    assert "... 780 more nodes" in out.getvalue()
    assert "... 23545 more connections" in out.getvalue()


# --- weights ------------------------------------------------------------------


def test_get_and_set_weights_round_trip():
    rng = np.random.default_rng(0)
    network = Network([4, 3, 2], seed=0)
    weights = [(rng.normal(size=(3, 4)), rng.normal(size=3)), (rng.normal(size=(2, 3)), rng.normal(size=2))]
    network.set_weights(weights)
    for (W, b), (W_got, b_got) in zip(weights, network.get_weights()):
        assert_array_equal(W_got, W)
        assert_array_equal(b_got, b)
    assert network.layers[1].nodes[2].upstream[1].weight == weights[0][0][2, 1]  # W[j, i] = w_ji
    assert network.layers[1].nodes[2].upstream[-1].weight == weights[0][1][2]  # bias last
    got = network.get_weights()
    got[0][0][0, 0] = 123.0  # a copy: the network does not change
    assert network.get_weights()[0][0][0, 0] == weights[0][0][0, 0]


# --- bad input ------------------------------------------------------------------


@pytest.mark.parametrize("sizes", [[3], [], [3, 0, 2], [3, -1], [3, 2.5], "3-4-2", [True, 2], 5, [3, None]])
def test_bad_layer_sizes(sizes):
    with pytest.raises(ValueError, match="expected layer_sizes to be at least two positive integers"):
        Network(sizes)


@pytest.mark.parametrize("seed, error", [(-1, ValueError), (1.5, TypeError), ("0", TypeError), (None, TypeError)])
def test_bad_seed(seed, error):
    with pytest.raises(error, match="expected seed to be an int >= 0 or a numpy.random.Generator"):
        Network([2, 2], seed=seed)


def test_unknown_activator():
    with pytest.raises(ValueError, match="unknown activation 'relu'"):
        Network([2, 2], activator="relu")


def test_image_instead_of_a_flat_input():
    network = Network([784, 2, 10])
    with pytest.raises(ValueError) as error:
        network.predict(np.zeros((28, 28)))
    assert str(error.value) == ("expected the input of length 784 (one sample) or a batch of shape (N, 784) "
                                "(one sample per row), got shape (28, 28): flatten it with x.reshape(-1)")


@pytest.mark.parametrize(
    "x, message",
    [
        ([1.0, 2.0], r"expected the input of length 3 \(one sample\) or a batch .*, got shape \(2,\)$"),
        (np.zeros((5, 4)), r"expected the input of length 3 .*got shape \(5, 4\)"),
        ([1.0, np.nan, 0.0], r"expected the input to hold finite numbers, got NaN or infinite values .*at positions \[1\]"),
        ([np.inf, 0.0, 0.0], r"got NaN or infinite values .*at positions \[0\]"),
        (["a", "b", "c"], "expected the input to be numbers"),
    ],
)
def test_bad_inputs(x, message):
    network = Network([3, 4, 2])
    with pytest.raises(ValueError, match=message):
        network.predict(x)
    with pytest.raises(ValueError, match=message):
        network.loss_value(x, [0.0, 1.0])


@pytest.mark.parametrize(
    "t, message",
    [
        ([1.0, 0.0, 0.0], r"expected the target t of shape \(2,\) \(one value per output\), got shape \(3,\)"),
        ([[1.0, 0.0]], r"expected the target t of shape \(2,\).*got shape \(1, 2\)"),
        ([np.nan, 0.0], "expected the target to hold finite numbers"),
    ],
)
def test_bad_targets(t, message):
    network = Network([3, 4, 2])
    with pytest.raises(ValueError, match=message):
        network.loss_value([0.0, 0.0, 0.0], t)
    with pytest.raises(ValueError, match=message):
        network.gradients([0.0, 0.0, 0.0], t)


@pytest.mark.parametrize("rate", [0, -0.1, float("nan"), float("inf"), "0.1", True, None])
def test_bad_learning_rate(rate):
    network = Network([2, 2, 1])
    before = network.get_weights()
    with pytest.raises(ValueError, match="expected a positive learning rate"):
        network.train([[1.0]], [[0.0, 1.0]], rate, 1)
    assert_array_equal(network.get_weights()[0][0], before[0][0])


@pytest.mark.parametrize("epoch", [0, -1, 1.5, True, "2", None])
def test_bad_epoch(epoch):
    with pytest.raises(ValueError, match="expected epochs to be a positive int"):
        Network([2, 2, 1]).train([[1.0]], [[0.0, 1.0]], 0.1, epoch)


def test_bad_training_data():
    network = Network([2, 2, 1])
    with pytest.raises(ValueError, match=r"expected labels of shape \(N, 1\).*got shape \(1, 2\)"):
        network.train([[1.0, 0.0]], [[0.0, 1.0]], 0.1, 1)
    with pytest.raises(ValueError, match="expected as many labels as samples, got 2 labels for 1 samples"):
        network.train([[1.0], [0.0]], [[0.0, 1.0]], 0.1, 1)
    with pytest.raises(ValueError, match=r"expected data_set of shape \(N, 2\)"):
        network.train([[1.0]], [[0.0, 1.0, 2.0]], 0.1, 1)
    with pytest.raises(ValueError, match=r"expected data_set to hold finite numbers, got NaN or infinite values .*in rows \[1\]"):
        network.train([[1.0], [0.0]], [[0.0, 1.0], [np.nan, 0.0]], 0.1, 1)
    mnist_like = Network([784, 2, 10])
    with pytest.raises(ValueError, match=r"flatten each image with data_set.reshape\(len\(data_set\), -1\)"):
        mnist_like.train(np.zeros((3, 10)), np.zeros((3, 28, 28)), 0.1, 1)


def test_bad_weights():
    network = Network([3, 4, 2])
    W0, b0 = np.zeros((4, 3)), np.zeros(4)
    W1, b1 = np.zeros((2, 4)), np.zeros(2)
    with pytest.raises(ValueError, match=r"expected a list of 2 \(W, b\) pairs"):
        network.set_weights([(W0, b0)])
    with pytest.raises(ValueError, match=r"expected layer 0 weights W of shape \(4, 3\) \(outputs, inputs\)"):
        network.set_weights([(W0.T, b0), (W1, b1)])
    with pytest.raises(ValueError, match=r"b of shape \(2,\), got W \(2, 4\) and b \(3,\)"):
        network.set_weights([(W0, b0), (W1, np.zeros(3))])
    bad = W1.copy()
    bad[0, 0] = np.inf
    before = network.get_weights()
    with pytest.raises(ValueError, match="expected finite weights, got NaN or infinite values in layer 1"):
        network.set_weights([(W0 + 1, b0), (bad, b1)])
    assert_array_equal(network.get_weights()[0][0], before[0][0])  # nothing half-set


def test_bad_dump_limit():
    with pytest.raises(ValueError, match="max_items must be a positive int or None"):
        Network([2, 2]).dump(max_items=0)
