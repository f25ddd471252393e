"""A picture of how the text's objects link up in a tiny object-oriented network.

The section "implementing the network" of the text splits a network into five domain objects (``Network``,
``Layer``, ``Node``, ``Connection``, ``Connections``) plus the bias node ``ConstNode``;
:mod:`bpcourse.core.oo_network` implements them. :func:`draw_object_graph` draws a *built* ``Network`` by
walking its objects, so what you see is what the code linked together:

- one rounded box per ``Layer`` (its ``nodes`` list);
- one circle per ``Node``, one square per ``ConstNode`` (output always 1, its weights are the biases);
- one arrow per ``Connection``, from its ``upstream_node`` to its ``downstream_node``, labeled with its ``weight``;
- for one highlighted node, its ``upstream`` and ``downstream`` lists in two colors (eq. 4.3 sums over downstream);
- a caption for the ``Network`` object (its ``layers``) and the ``Connections`` collection (all the arrows).
"""

import matplotlib.pyplot as plt
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Rectangle

from bpcourse.core.oo_network import ConstNode, Network
from bpcourse.visuals.diagram import LAYER_COLOURS, layer_kind

MAX_NODES = 40  # the most node objects the picture draws legibly

_COLUMN_GAP = 3.2
_ROW_GAP = 1.25
_NODE_RADIUS = 0.36
_UPSTREAM_COLOUR = "#1f77b4"
_DOWNSTREAM_COLOUR = "#d62728"
_PLAIN_COLOUR = "#9a9a9a"
_FILL = {**LAYER_COLOURS, "const": "#eeeeee"}


def node_positions(network):
    """Where each node object is drawn, ``id(node) -> (x, y)``: layer l in the column x = 3.2 l, its nodes
    1.25 apart from the top (the ConstNode, last in ``layer.nodes``, at the bottom), centered on y = 0."""
    positions = {}
    for layer in network.layers:
        count = len(layer.nodes)
        for k, node in enumerate(layer.nodes):
            positions[id(node)] = (_COLUMN_GAP * layer.layer_index, _ROW_GAP * ((count - 1) / 2 - k))
    return positions


def draw_object_graph(network, ax=None, highlight=(1, 0), show_weights=True):
    """Draw the objects of a tiny object network (at most ``MAX_NODES`` node objects, e.g. ``Network([2, 2, 1])``).

    ``highlight`` = (layer_index, node_index) names the node whose ``upstream`` (blue) and ``downstream`` (red)
    connection lists are colored (None: none); ``show_weights`` writes each connection's weight by its arrow.
    Returns the Axes; each artist's gid says what it draws (``"layer"``, ``"node"``, ``"constnode"``,
    ``"connection"``, ``"weight"``, ``"node-label"``, ``"layer-label"``, ``"caption"``)."""
    if not isinstance(network, Network):
        raise ValueError(f"expected a bpcourse.core.oo_network.Network (the object network), "
                         f"got {type(network).__name__}")
    n_nodes = sum(len(layer.nodes) for layer in network.layers)
    if n_nodes > MAX_NODES:
        raise ValueError(f"expected a tiny network (at most {MAX_NODES} node objects, bias nodes included) so that "
                         f"the picture stays legible, got {n_nodes} for layer sizes {network.layer_sizes}")
    highlighted = _find_node(network, highlight)

    if ax is None:
        width = 2.6 + 2.4 * len(network.layers)
        height = 1.9 + 0.95 * max(len(layer.nodes) for layer in network.layers)
        _, ax = plt.subplots(figsize=(width, height))
    positions = node_positions(network)

    for layer in network.layers:  # a dashed box per Layer, a circle per Node, a square per ConstNode
        kind = layer_kind(layer.layer_index, len(network.layers))
        xs, ys = zip(*(positions[id(node)] for node in layer.nodes))
        pad = _NODE_RADIUS + 0.25
        ax.add_patch(FancyBboxPatch((min(xs) - pad, min(ys) - pad), 2 * pad, max(ys) - min(ys) + 2 * pad,
                                    boxstyle="round,pad=0.02,rounding_size=0.3", facecolor="#f7f7f7",
                                    edgecolor="#555555", linestyle="--", linewidth=1.0, zorder=0, gid="layer"))
        ax.text(xs[0], max(ys) + pad + 0.12, f"Layer {layer.layer_index}\n({kind})", ha="center", va="bottom",
                fontsize=10, gid="layer-label")
        for node in layer.nodes:
            x, y = positions[id(node)]
            look = dict(edgecolor="#000000" if node is highlighted else "#444444",
                        linewidth=2.6 if node is highlighted else 1.2, zorder=3)
            if isinstance(node, ConstNode):
                side = 2 * _NODE_RADIUS
                ax.add_patch(Rectangle((x - side / 2, y - side / 2), side, side, facecolor=_FILL["const"],
                                       gid="constnode", **look))
                label = f"Const\nNode\n{_name(node)}"
            else:
                ax.add_patch(Circle((x, y), _NODE_RADIUS, facecolor=_FILL[kind], gid="node", **look))
                label = f"Node\n{_name(node)}"
            ax.text(x, y, label, ha="center", va="center", fontsize=8, zorder=4, gid="node-label")
    for conn in network.connections:  # an arrow per Connection, colored if it is in the highlighted node's lists
        (x0, y0), (x1, y1) = positions[id(conn.upstream_node)], positions[id(conn.downstream_node)]
        if conn.downstream_node is highlighted:  # never None
            color, width, z = _UPSTREAM_COLOUR, 2.2, 2
        elif conn.upstream_node is highlighted:
            color, width, z = _DOWNSTREAM_COLOUR, 2.2, 2
        else:
            color, width, z = _PLAIN_COLOUR, 1.0, 1
        ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=12, color=color,
                                     linewidth=width, shrinkA=14, shrinkB=14, zorder=z, gid="connection"))
        if show_weights:
            f = 0.3  # near the upstream end, where the arrows are still apart
            ax.text(x0 + f * (x1 - x0), y0 + f * (y1 - y0), f"{conn.weight:+.2f}", ha="center", va="center",
                    fontsize=7, color=color if color != _PLAIN_COLOUR else "#333333", zorder=2.5, gid="weight",
                    bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.85})

    if highlighted is not None:
        ax.plot([], [], color=_UPSTREAM_COLOUR, lw=2.2, label=f"node {_name(highlighted)}.upstream")
        ax.plot([], [], color=_DOWNSTREAM_COLOUR, lw=2.2, label=f"node {_name(highlighted)}.downstream")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=10, frameon=False)

    layer_names = ", ".join(f"Layer {layer.layer_index}" for layer in network.layers)
    ax.text(0.5, -0.01, f"Network.layers = [{layer_names}]\n"
            f"Network.connections = Connections({len(network.connections)} Connection objects = the arrows)",
            transform=ax.transAxes, ha="center", va="top", fontsize=10, gid="caption")
    sizes = "-".join(str(n) for n in network.layer_sizes)
    ax.set_title(f"The objects of a {sizes} network and how they link up", fontsize=13)
    xs = [x for x, _ in positions.values()]
    ys = [y for _, y in positions.values()]
    ax.set_xlim(min(xs) - 1.3, max(xs) + 1.3)
    ax.set_ylim(min(ys) - 1.0, max(ys) + 1.25)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def _find_node(network, highlight):
    if highlight is None:
        return None
    try:
        layer_index, node_index = highlight
        return network.layers[layer_index].nodes[node_index]
    except (TypeError, ValueError, IndexError):
        shape = [len(layer.nodes) for layer in network.layers]
        raise ValueError(f"expected highlight = (layer_index, node_index) naming a node (nodes per layer, bias nodes "
                         f"included: {shape}) or None, got {highlight!r}") from None


def _name(node):
    return f"{node.layer_index}-{node.node_index}"
