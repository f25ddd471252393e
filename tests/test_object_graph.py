"""The object picture builds headless and draws one artist per object of the network."""

import matplotlib
import matplotlib.pyplot as plt
import pytest
from matplotlib.patches import Circle, FancyArrowPatch, Rectangle

from bpcourse.visuals.object_graph import MAX_NODES, draw_object_graph, node_positions
from bpcourse.core.oo_network import Network


def artists(ax, gid):
    return [a for a in ax.patches + ax.texts if a.get_gid() == gid]


def texts(ax, gid):
    return [t.get_text() for t in ax.texts if t.get_gid() == gid]


def test_tiny_network_draws_one_artist_per_object():
    network = Network([2, 2, 1], seed=0)
    ax = draw_object_graph(network)
    assert len(artists(ax, "layer")) == 3
    nodes = artists(ax, "node")
    const_nodes = artists(ax, "constnode")
    assert len(nodes) == 2 + 2 + 1 and all(isinstance(p, Circle) for p in nodes)
    assert len(const_nodes) == 2 and all(isinstance(p, Rectangle) for p in const_nodes)  # no bias node at the output
    arrows = artists(ax, "connection")
    assert len(arrows) == (2 + 1) * 2 + (2 + 1) * 1 == len(network.connections) == 9
    assert all(isinstance(p, FancyArrowPatch) for p in arrows)


def test_labels_name_layers_nodes_weights_and_the_collections():
    network = Network([2, 2, 1], seed=0)
    ax = draw_object_graph(network)
    assert [t.split("\n")[0] for t in texts(ax, "layer-label")] == ["Layer 0", "Layer 1", "Layer 2"]
    node_labels = texts(ax, "node-label")
    assert sum(label.startswith("Node\n") for label in node_labels) == 5
    assert sum(label.startswith("Const\nNode") for label in node_labels) == 2
    assert "Node\n1-0" in node_labels and "Const\nNode\n0-2" in node_labels
    weights = sorted(float(t) for t in texts(ax, "weight"))
    expected = sorted(round(conn.weight, 2) for conn in network.connections)
    assert weights == pytest.approx(expected, abs=1e-12)
    (caption,) = texts(ax, "caption")
    assert "Connections(9 Connection objects" in caption
    assert "Network.layers = [Layer 0, Layer 1, Layer 2]" in caption
    assert ax.get_title() == "The objects of a 2-2-1 network and how they link up"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["node 1-0.upstream", "node 1-0.downstream"]


def test_highlight_colours_exactly_the_upstream_and_downstream_lists():
    network = Network([3, 4, 2], seed=1)
    ax = draw_object_graph(network, highlight=(1, 2), show_weights=False)
    assert texts(ax, "weight") == []
    colours = [matplotlib.colors.to_hex(p.get_edgecolor()) for p in artists(ax, "connection")]
    node = network.layers[1].nodes[2]
    assert colours.count("#1f77b4") == len(node.upstream) == 4  # 3 inputs + bias
    assert colours.count("#d62728") == len(node.downstream) == 2
    assert len(colours) == len(network.connections) == 4 * 4 + 5 * 2


def test_no_highlight_draws_no_legend():
    ax = draw_object_graph(Network([2, 3, 2], seed=0), highlight=None)
    assert ax.get_legend() is None
    assert len(artists(ax, "connection")) == 3 * 3 + 4 * 2


def test_arrows_start_at_the_upstream_node_and_end_at_the_downstream_node():
    network = Network([2, 2, 1], seed=0)
    positions = node_positions(network)
    ax = draw_object_graph(network)
    for conn, arrow in zip(network.connections, artists(ax, "connection")):
        assert arrow._posA_posB == [positions[id(conn.upstream_node)], positions[id(conn.downstream_node)]]
    # layer l is column l, the bias node sits at the bottom of its column
    x0, y_top = positions[id(network.layers[0].nodes[0])]
    x1, _ = positions[id(network.layers[1].nodes[0])]
    _, y_bias = positions[id(network.layers[0].nodes[-1])]
    assert x0 < x1 and y_bias < y_top


def test_draws_into_a_given_axes():
    fig, ax = plt.subplots()
    assert draw_object_graph(Network([1, 1], seed=0), ax=ax) is ax
    assert len(artists(ax, "connection")) == 2


def test_bad_arguments_raise_value_error_saying_what_was_expected():
    with pytest.raises(ValueError, match="expected a bpcourse.core.oo_network.Network"):
        draw_object_graph([2, 2, 1])
    with pytest.raises(ValueError, match=f"at most {MAX_NODES} node objects"):
        draw_object_graph(Network([30, 20, 10], seed=0))
    with pytest.raises(ValueError, match=r"highlight = \(layer_index, node_index\)"):
        draw_object_graph(Network([2, 2, 1], seed=0), highlight=(1, 7))
    with pytest.raises(ValueError, match="highlight"):
        draw_object_graph(Network([2, 2, 1], seed=0), highlight=3)
