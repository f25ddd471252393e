"""The text's 3-4-2 network worked by hand, node by node, and both implementations checked against it.

Nodes are numbered as in the text: inputs 1-3, hidden 4-7, outputs 8-9
(our layer 1, nodes 0-3 are the text's nodes 4-7; layer 2, nodes 0-1 are 8-9).
Weights are w_ji, target j first (eq. 3.2).
"""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bpcourse.core import oo_network, vectorized

NETWORKS = {"oo": oo_network.Network, "vectorized": vectorized.Network}


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


# the sample and the learning rate
x1, x2, x3 = 0.9, 0.1, 0.8
t1, t2 = 0.9, 0.1
eta = 0.5

# hidden layer weights w_ji and biases w_jb, j = 4..7
w41, w42, w43, w4b = 0.1, 0.2, -0.3, 0.05
w51, w52, w53, w5b = -0.2, 0.4, 0.1, -0.1
w61, w62, w63, w6b = 0.3, -0.1, 0.2, 0.0
w71, w72, w73, w7b = -0.4, 0.2, 0.3, 0.1
# output layer, j = 8, 9
w84, w85, w86, w87, w8b = 0.2, -0.3, 0.4, 0.1, 0.05
w94, w95, w96, w97, w9b = -0.1, 0.2, -0.2, 0.3, -0.05

# forward pass, eq. 3.2 for the hidden nodes
a4 = sigmoid(w41 * x1 + w42 * x2 + w43 * x3 + w4b)
a5 = sigmoid(w51 * x1 + w52 * x2 + w53 * x3 + w5b)
a6 = sigmoid(w61 * x1 + w62 * x2 + w63 * x3 + w6b)
a7 = sigmoid(w71 * x1 + w72 * x2 + w73 * x3 + w7b)
# eq. 3.3 for the output nodes
y1 = sigmoid(w84 * a4 + w85 * a5 + w86 * a6 + w87 * a7 + w8b)
y2 = sigmoid(w94 * a4 + w95 * a5 + w96 * a6 + w97 * a7 + w9b)

# error terms: eq. 4.2 for the output nodes
delta8 = y1 * (1 - y1) * (t1 - y1)
delta9 = y2 * (1 - y2) * (t2 - y2)
# eq. 4.4 for the hidden nodes
delta4 = a4 * (1 - a4) * (w84 * delta8 + w94 * delta9)
delta5 = a5 * (1 - a5) * (w85 * delta8 + w95 * delta9)
delta6 = a6 * (1 - a6) * (w86 * delta8 + w96 * delta9)
delta7 = a7 * (1 - a7) * (w87 * delta8 + w97 * delta9)

# one update: eq. 4.6, 4.7, 4.8
new_w84 = w84 + eta * delta8 * a4
new_w41 = w41 + eta * delta4 * x1
new_w4b = w4b + eta * delta4
new_w97 = w97 + eta * delta9 * a7
new_w73 = w73 + eta * delta7 * x3

x = [x1, x2, x3]
t = [t1, t2]
W_hidden = np.array([[w41, w42, w43], [w51, w52, w53], [w61, w62, w63], [w71, w72, w73]])
b_hidden = np.array([w4b, w5b, w6b, w7b])
W_output = np.array([[w84, w85, w86, w87], [w94, w95, w96, w97]])
b_output = np.array([w8b, w9b])
WEIGHTS = [(W_hidden, b_hidden), (W_output, b_output)]


def close(got, expected):
    assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_the_hand_computation_is_not_trivial():
    # guards against a hand example whose numbers could not catch a bug
    assert 0.1 < min(a4, a5, a6, a7, y1, y2) and max(a4, a5, a6, a7, y1, y2) < 0.9
    assert abs(delta8) > 1e-2 and abs(delta9) > 1e-2 and abs(delta4) > 1e-4
    assert len({a4, a5, a6, a7}) == 4


@pytest.mark.parametrize("kind", sorted(NETWORKS))
def test_forward_pass(kind):
    network = NETWORKS[kind]([3, 4, 2])
    network.set_weights(WEIGHTS)
    close(network.predict(x), [y1, y2])
    hidden_only = NETWORKS[kind]([3, 4])  # the first layer alone gives a4..a7
    hidden_only.set_weights(WEIGHTS[:1])
    close(hidden_only.predict(x), [a4, a5, a6, a7])
    close(network.loss_value(x, t), 0.5 * ((t1 - y1) ** 2 + (t2 - y2) ** 2))  # eq. 4.9


@pytest.mark.parametrize("kind", sorted(NETWORKS))
def test_deltas_through_the_gradients(kind):
    network = NETWORKS[kind]([3, 4, 2])
    network.set_weights(WEIGHTS)
    (dW_hidden, db_hidden), (dW_output, db_output) = network.gradients(x, t)
    # dE/dw_jb = -delta_j (bias input 1), dE/dw_ji = -delta_j x_ji (eq. 4.12, 4.17)
    close(db_output, [-delta8, -delta9])
    close(db_hidden, [-delta4, -delta5, -delta6, -delta7])
    close(dW_output[0, 0], -delta8 * a4)
    close(dW_hidden[0, 0], -delta4 * x1)
    close(dW_hidden[3, 2], -delta7 * x3)


def test_oo_nodes_hold_the_hand_values():
    network = oo_network.Network([3, 4, 2])
    network.set_weights(WEIGHTS)
    network.get_gradient(x, t)
    hidden, output = network.layers[1].nodes, network.layers[2].nodes
    close([node.output for node in hidden[:4]], [a4, a5, a6, a7])
    close([node.output for node in output], [y1, y2])
    close([node.delta for node in output], [delta8, delta9])
    close([node.delta for node in hidden[:4]], [delta4, delta5, delta6, delta7])
    close(hidden[0].downstream[0].weight, w84)  # connection 4 -> 8
    close(hidden[0].downstream[0].get_gradient(), delta8 * a4)  # the text's sign


@pytest.mark.parametrize("kind", sorted(NETWORKS))
def test_one_update(kind):
    network = NETWORKS[kind]([3, 4, 2])
    network.set_weights(WEIGHTS)
    network.train([t], [x], eta, 1)
    (W_h, b_h), (W_o, b_o) = network.get_weights()
    close(W_o[0, 0], new_w84)  # eq. 4.6
    close(W_h[0, 0], new_w41)  # eq. 4.7
    close(b_h[0], new_w4b)  # eq. 4.8
    close(W_o[1, 3], new_w97)
    close(W_h[3, 2], new_w73)
    close(b_o, [w8b + eta * delta8, w9b + eta * delta9])
