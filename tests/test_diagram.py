"""The network diagrams and the forward / backprop steppers, built and stepped headless.

The values written on the pictures are read back from the text artists and
compared with the text's network worked out here independently (math.exp,
node by node) and with both package networks.
"""

import math
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgba
from numpy.testing import assert_allclose

from bpcourse.core import oo_network, vectorized
from bpcourse.visuals.diagram import (
    draw_network,
    format_value,
    named_weights,
    node_numbers,
    per_node,
    value_name,
    weight_name,
)
from bpcourse.core.trace import forward_trace, text_example
from bpcourse.visuals.stepper import BackpropStepper, ForwardStepper

NETWORKS = pytest.mark.parametrize("Network", [oo_network.Network, vectorized.Network], ids=["oo", "vectorized"])
SHOWN = dict(rtol=5e-3, atol=5e-4)  # three significant digits on the picture


def sig(z):
    return 1.0 / (1.0 + math.exp(-z))


def by_hand():
    """The text's network on the example sample, node by node (eq. 3.2, 3.3, 4.1-4.5), with eta = 0.5."""
    weights, x, t = text_example()
    w = {}
    for (W, b), targets, sources in (
        (weights[0], range(4, 8), range(1, 4)),
        (weights[1], range(8, 10), range(4, 8)),
    ):
        for r, j in enumerate(targets):
            w[j, "b"] = float(b[r])
            for c, i in enumerate(sources):
                w[j, i] = float(W[r, c])
    out = {i: float(x[i - 1]) for i in (1, 2, 3)}
    net = {}
    for j in range(4, 8):
        net[j] = sum(w[j, i] * out[i] for i in (1, 2, 3)) + w[j, "b"]
        out[j] = sig(net[j])
    for j in (8, 9):
        net[j] = sum(w[j, i] * out[i] for i in range(4, 8)) + w[j, "b"]
        out[j] = sig(net[j])
    delta = {j: out[j] * (1 - out[j]) * (t[j - 8] - out[j]) for j in (8, 9)}  # eq. 4.1
    for j in range(4, 8):
        delta[j] = out[j] * (1 - out[j]) * (w[8, j] * delta[8] + w[9, j] * delta[9])  # eq. 4.3
    eta = 0.5
    new = {(j, i): w[j, i] + eta * delta[j] * (1.0 if i == "b" else out[i]) for (j, i) in w}  # eq. 4.5, 4.8
    return weights, x, t, w, net, out, delta, new


def number(text_artist):
    """The number after the last '=' of a label such as '$a_{4}$ = 0.413'."""
    return float(text_artist.get_text().rsplit("=", 1)[-1])


# --- numbering and names ---------------------------------------------------------------


def test_node_numbers_follow_the_text():
    assert node_numbers((3, 4, 2)) == [[1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert node_numbers((2, 1)) == [[1, 2], [3]]


def test_value_and_weight_names():
    assert [value_name((3, 4, 2), n) for n in (1, 3, 4, 7, 8, 9)] == ["x_1", "x_3", "a_4", "a_7", "y_1", "y_2"]
    assert weight_name(4, 1) == "w_41" and weight_name(8, "b") == "w_8b"
    assert weight_name(12, 5) == "w_12,5" and weight_name(10, "b") == "w_10,b"
    with pytest.raises(ValueError, match="node 10"):
        value_name((3, 4, 2), 10)


def test_named_weights_maps_the_text_names_to_the_package_format():
    weights, _, _, w, *_ = by_hand()
    named = named_weights(weights)
    assert named == w
    (W1, b1), (W2, b2) = weights
    assert named[4, 1] == W1[0, 0] and named[7, 3] == W1[3, 2] and named[9, 4] == W2[1, 0]
    assert named[5, "b"] == b1[1] and named[9, "b"] == b2[1]


def test_per_node_and_its_validation():
    assert per_node((3, 4, 2), [[1, 2, 3, 4], [5, 6]], first_layer=1) == {4: 1, 5: 2, 6: 3, 7: 4, 8: 5, 9: 6}
    with pytest.raises(ValueError, match="does not fit layer 1"):
        per_node((3, 4, 2), [np.zeros(3)], first_layer=1)


def test_format_value_three_significant_digits():
    assert [format_value(v) for v in (0.58743, -0.5, 1.0, 0.0012345, -0.0)] == ["0.587", "-0.5", "1", "0.00123", "0"]


# --- draw_network ----------------------------------------------------------------------


def test_draw_network_writes_weights_biases_values_and_deltas():
    weights, x, t, w, net, out, delta, _ = by_hand()
    drawing = draw_network((3, 4, 2), weights=weights, values=out, deltas=delta, highlight={6},
                           highlight_edges={(6, 1), (6, 2), (6, 3)})
    assert set(drawing.edge_texts) == {(j, i) for j in range(4, 8) for i in (1, 2, 3)} | {
        (j, i) for j in (8, 9) for i in range(4, 8)}
    for (j, i), artist in drawing.edge_texts.items():
        assert float(artist.get_text()) == pytest.approx(w[j, i], abs=1e-12)
    for j, artist in drawing.bias_texts.items():
        assert number(artist) == pytest.approx(w[j, "b"], abs=1e-12)
        assert f"w_{{{j}b}}" in artist.get_text()
    assert set(drawing.bias_texts) == set(range(4, 10))
    for node in range(1, 10):
        assert_allclose(number(drawing.value_texts[node]), out[node], **SHOWN)
    assert "$y_1$" in drawing.value_texts[8].get_text() and "$a_4$" in drawing.value_texts[4].get_text()
    for node in range(4, 10):
        assert_allclose(number(drawing.delta_texts[node]), delta[node], **SHOWN)
    assert set(drawing.delta_texts) == set(range(4, 10))
    hot = to_rgba(drawing.node_patches[6].get_facecolor())
    assert hot != to_rgba(drawing.node_patches[5].get_facecolor())
    assert drawing.edge_lines[6, 1].get_linewidth() > drawing.edge_lines[5, 1].get_linewidth()
    assert drawing.ax.get_title()


def test_draw_network_draws_any_small_network_with_gap_labels():
    drawing = draw_network((3, 5, 4, 4, 2), gap_labels=["W1", "W2", "W3", "W4"])
    assert len(drawing.node_patches) == 18 and len(drawing.edge_lines) == 15 + 20 + 16 + 8
    assert not drawing.edge_texts and not drawing.value_texts
    texts = [text.get_text() for text in drawing.ax.texts]
    assert all(label in texts for label in ("W1", "W4", "input layer", "output layer"))


def test_draw_network_into_given_axes():
    fig, ax = plt.subplots()
    drawing = draw_network((2, 1), ax=ax, title="tiny")
    assert drawing.ax is ax and drawing.figure is fig and ax.get_title() == "tiny"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(layer_sizes=(3,)), "at least two layers"),
        (dict(layer_sizes=(3, 0, 2)), "at least two layers"),
        (dict(layer_sizes=(3, 11, 2)), "legible"),
        (dict(layer_sizes="342"), "sequence of ints"),
        (dict(layer_sizes=(3, 4, 2), weights=[(np.zeros((3, 4)), np.zeros(4)), (np.zeros((2, 4)), np.zeros(2))]),
         r"weights W of shape \(4, 3\)"),
        (dict(layer_sizes=(3, 4, 2), weights=[(np.zeros((4, 3)), np.zeros(4))]), "expected a list of 2"),
        (dict(layer_sizes=(3, 4, 2), values={10: 1.0}), "nodes are 1..9"),
        (dict(layer_sizes=(3, 4, 2), gap_labels=["W1"]), "gap_labels"),
    ],
)
def test_draw_network_rejects_bad_input(kwargs, message):
    sizes = kwargs.pop("layer_sizes")
    with pytest.raises(ValueError, match=message):
        draw_network(sizes, **kwargs)


# --- forward stepper -------------------------------------------------------------------


@NETWORKS
def test_forward_trace_matches_the_networks(Network):
    weights, x, *_ = by_hand()
    network = Network((3, 4, 2))
    network.set_weights(weights)
    nets, outputs = forward_trace(weights, x)
    assert_allclose(outputs[-1], network.predict(x), rtol=1e-12)
    assert [n.shape for n in nets] == [(4,), (2,)] and len(outputs) == 3


@NETWORKS
def test_forward_stepper_computes_one_node_per_step(Network):
    weights, x, t, w, net, out, *_ = by_hand()
    network = Network((3, 4, 2))
    network.set_weights(weights)
    stepper = ForwardStepper(network, x)
    assert len(stepper.steps) == 7 and stepper.step == 0 and stepper.back_button.disabled
    assert set(stepper.drawing.value_texts) == {1, 2, 3} and stepper.image.value[:4] == b"\x89PNG"

    for k, node in enumerate(range(4, 10), start=1):
        previous_image = stepper.image.value
        stepper.next()
        assert stepper.step == k and stepper.image.value != previous_image
        drawing = stepper.drawing
        assert set(drawing.value_texts) == set(range(1, node + 1))  # the nodes computed so far
        assert to_rgba(drawing.node_patches[node].get_facecolor()) != to_rgba(
            drawing.node_patches[1].get_facecolor())
        for shown in range(1, node + 1):
            assert_allclose(number(drawing.value_texts[shown]), out[shown], **SHOWN)
        text = stepper.current.text
        # "net_4 = w_41·x_1 + ... + w_4b", then the numbers, then the sum, then the activation
        sources = (1, 2, 3) if node < 8 else (4, 5, 6, 7)
        terms = " + ".join(f"{weight_name(node, i)}·{value_name((3, 4, 2), i)}" for i in sources)
        assert text.splitlines()[0] == f"net_{node} = {terms} + w_{node}b"
        sum_line = re.search(r"^\s+= (-?[\d.e-]+)$", text, re.MULTILINE)
        assert_allclose(float(sum_line.group(1)), net[node], **SHOWN)
        assert f"sigmoid(net_{node}) = {format_value(out[node])}" in text
        assert f"net_{node}" in stepper.text_html.value
    assert stepper.next_button.disabled
    stepper.next()  # stays on the last step
    assert stepper.step == 6
    assert_allclose([stepper.current.values[n] for n in (8, 9)], network.predict(x), rtol=1e-12)


def test_forward_stepper_navigation_and_slider():
    weights, x, *_ = by_hand()
    network = vectorized.Network((3, 4, 2))
    network.set_weights(weights)
    stepper = ForwardStepper(network, x)
    stepper.slider.value = 3  # as if the learner moved the slider
    assert stepper.current.highlight == (6,) and set(stepper.drawing.value_texts) == set(range(1, 7))
    stepper.previous()
    assert stepper.step == 2 and stepper.current.highlight == (5,)
    stepper.go_to(0)
    stepper.previous()
    assert stepper.step == 0
    stepper.next_button.click()
    assert stepper.step == 1
    stepper.back_button.click()
    assert stepper.step == 0
    for bad in (-1, 7, 1.5, True):
        with pytest.raises(ValueError, match="step index"):
            stepper.go_to(bad)
    assert {"bpcourse-stepper", "bpcourse-forward-stepper"} <= set(stepper._dom_classes)


def test_forward_stepper_on_a_deeper_network_counts_every_node():
    network = vectorized.Network((2, 3, 3, 1), seed=4)
    x = np.array([0.5, -1.0])
    stepper = ForwardStepper(network, x)
    assert len(stepper.steps) == 1 + 3 + 3 + 1
    stepper.go_to(len(stepper.steps) - 1)
    assert "net_9 = w_96·a_6 + w_97·a_7 + w_98·a_8 + w_9b" in stepper.current.text
    assert_allclose(stepper.current.values[9], network.predict(x)[0], rtol=1e-12)


# --- backprop stepper ------------------------------------------------------------------


@NETWORKS
def test_backprop_stepper_shows_the_error_terms_layer_by_layer(Network):
    weights, x, t, w, net, out, delta, new = by_hand()
    network = Network((3, 4, 2))
    network.set_weights(weights)
    stepper = BackpropStepper(network, x, t, eta=0.5)
    assert len(stepper.steps) == 4  # forward, output deltas, hidden deltas, update
    assert not stepper.drawing.delta_texts and set(stepper.drawing.value_texts) == set(range(1, 10))
    assert_allclose(float(stepper.current.text.split("E = 1/2 Σ (t_k - y_k)² = ")[1].split()[0]),
                    network.loss_value(x, t), **SHOWN)

    stepper.next()  # output layer (eq. 4.1)
    assert set(stepper.drawing.delta_texts) == {8, 9} and stepper.current.highlight == (8, 9)
    for node in (8, 9):
        assert_allclose(number(stepper.drawing.delta_texts[node]), delta[node], **SHOWN)
        assert_allclose(stepper.current.deltas[node], delta[node], rtol=1e-10)
    assert "δ_8 = y_1(1 - y_1)·(t_1 - y_1)" in stepper.current.text

    stepper.next()  # hidden layer (eq. 4.3)
    assert set(stepper.drawing.delta_texts) == set(range(4, 10))
    for node in range(4, 10):
        assert_allclose(number(stepper.drawing.delta_texts[node]), delta[node], **SHOWN)
        assert_allclose(stepper.current.deltas[node], delta[node], rtol=1e-10)
    assert "δ_4 = a_4(1 - a_4)·(w_84·δ_8 + w_94·δ_9)" in stepper.current.text
    assert stepper.drawing.edge_lines[8, 4].get_linewidth() > stepper.drawing.edge_lines[4, 1].get_linewidth()

    stepper.next()  # update (eq. 4.5, 4.8): the edges show the new weights
    for (j, i), artist in stepper.drawing.edge_texts.items():
        assert_allclose(float(artist.get_text()), new[j, i], **SHOWN)
    for j, artist in stepper.drawing.bias_texts.items():
        assert_allclose(number(artist), new[j, "b"], **SHOWN)
    assert f"w_84 ← 0.6 + 0.5·{format_value(delta[8])}·{format_value(out[4])} = {format_value(new[8, 4])}" \
        in stepper.current.text

    trained = Network((3, 4, 2))
    trained.set_weights(weights)
    trained.train(t[None, :], x[None, :], rate=0.5, epochs=1)
    for (W, b), (W_shown, b_shown) in zip(trained.get_weights(), stepper.current.weights):
        assert_allclose(W_shown, W, rtol=1e-12)
        assert_allclose(b_shown, b, rtol=1e-12)
    for (W, b), (W0, b0) in zip(network.get_weights(), weights):  # the stepper changed nothing
        assert_allclose(W, W0, rtol=0)
        assert_allclose(b, b0, rtol=0)


def test_backprop_stepper_goes_back_through_every_hidden_layer():
    network = vectorized.Network((2, 3, 3, 2), seed=5)
    x, t = np.array([0.3, -0.8]), np.array([0.9, 0.1])
    stepper = BackpropStepper(network, x, t)
    assert [s.title for s in stepper.steps][1:4] == [
        "output layer error terms (eq. 4.1)", "hidden layer 2 error terms (eq. 4.3)",
        "hidden layer 1 error terms (eq. 4.3)"]
    grads = network.gradients(x, t)
    expected = per_node((2, 3, 3, 2), [-db for _, db in grads], first_layer=1)
    stepper.go_to(3)
    assert_allclose([stepper.current.deltas[n] for n in range(3, 11)], [expected[n] for n in range(3, 11)],
                    rtol=1e-12)
    assert "bpcourse-backprop-stepper" in stepper._dom_classes


def test_backprop_stepper_writes_the_tanh_slope():
    weights, x, t, *_ = by_hand()
    network = vectorized.Network((3, 4, 2), activator="tanh")
    network.set_weights(weights)
    stepper = BackpropStepper(network, x, t)
    stepper.go_to(2)
    a = np.tanh(weights[0][0] @ x + weights[0][1])
    y = np.tanh(weights[1][0] @ a + weights[1][1])
    delta_out = (1 - y**2) * (t - y)
    delta_hidden = (1 - a**2) * (weights[1][0].T @ delta_out)
    assert "δ_4 = (1 - a_4²)·(w_84·δ_8 + w_94·δ_9)" in stepper.current.text
    assert_allclose([stepper.current.deltas[n] for n in range(4, 10)], np.concatenate([delta_hidden, delta_out]),
                    rtol=1e-10)


def test_backprop_stepper_rejects_bad_target_and_rate():
    weights, x, t, *_ = by_hand()
    network = vectorized.Network((3, 4, 2))
    with pytest.raises(ValueError, match=r"target t of shape \(2,\)"):
        BackpropStepper(network, x, np.zeros(3))
    with pytest.raises(ValueError, match="learning rate"):
        BackpropStepper(network, x, t, eta=0.0)
    with pytest.raises(ValueError, match=r"sample x of shape \(3,\)"):
        ForwardStepper(network, np.zeros(4))
