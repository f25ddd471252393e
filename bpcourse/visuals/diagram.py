"""Pictures of small fully connected networks, numbered the way the text numbers them.

The text's example network (section "computing the output", eq. 3.2-3.8) has 3 inputs, 4 hidden nodes and
2 outputs, numbered consecutively from the input layer: inputs 1, 2, 3; hidden 4, 5, 6, 7; outputs 8, 9.
``w_ji`` is the weight of the connection from node i to node j (target first, source second) and ``w_jb``
the bias of node j. Input i holds ``x_i``, hidden node j outputs ``a_j`` and the k-th output node ``y_k``
(node 8 gives y_1).

Weights come in the package's format (``Network.get_weights``): one ``(W, b)`` per layer, ``W`` of shape
(n_out, n_in) with ``W[j_local, i_local] = w_ji``, ``b`` of shape (n_out,) with ``b[j_local] = w_jb``.
The text's 3-4-2 example (weights, sample, target) is :func:`bpcourse.core.trace.text_example`.
"""

from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle

from bpcourse.core.validation import check_weights, weight_shapes

MAX_NODES_PER_LAYER = 10  # beyond this the labels are no longer legible
MAX_LAYERS = 6

_NODE_RADIUS = 0.32
LAYER_COLOURS = {"input": "#cfe2f3", "hidden": "#d9ead3", "output": "#fce5cd"}  # also the object graph's
_HIGHLIGHT_COLOUR = "#ffd24d"
_HIGHLIGHT_EDGE_COLOUR = "#d95f02"


def drawable_layer_sizes(layer_sizes):
    """``layer_sizes`` as a tuple of ints, or ValueError if it cannot be drawn."""
    try:
        if isinstance(layer_sizes, (str, bytes)):
            raise TypeError("a string is not a list of layer sizes")
        sizes = tuple(int(n) for n in layer_sizes)
    except (TypeError, ValueError):
        raise ValueError(f"layer_sizes must be a sequence of ints like (3, 4, 2), got {layer_sizes!r}") from None
    if len(sizes) < 2 or any(n < 1 for n in sizes):
        raise ValueError(f"layer_sizes needs at least two layers of at least one node, got {sizes}")
    if len(sizes) > MAX_LAYERS or max(sizes) > MAX_NODES_PER_LAYER:
        raise ValueError(f"a diagram stays legible up to {MAX_LAYERS} layers of {MAX_NODES_PER_LAYER} nodes, "
                         f"got {sizes}")
    return sizes


def layer_sizes_of(weights):
    """The layer sizes ``(n_0, n_1, ..., n_L)`` of a weight list in the package format."""
    if len(weights) == 0:
        raise ValueError("weights is empty: expected a list of (W, b), one per layer")
    return (np.shape(weights[0][0])[1],) + tuple(np.shape(W)[0] for W, _ in weights)


def node_numbers(layer_sizes):
    """The text's node numbers, layer by layer: ``(3, 4, 2)`` -> ``[[1, 2, 3], [4, 5, 6, 7], [8, 9]]``."""
    numbers, first = [], 1
    for n in layer_sizes:
        numbers.append(list(range(first, first + n)))
        first += n
    return numbers


def layer_kind(layer, n_layers):
    """The kind of layer ``layer`` (0: the inputs) of ``n_layers``: "input", "hidden" or "output"."""
    return "input" if layer == 0 else "output" if layer == n_layers - 1 else "hidden"


def value_name(layer_sizes, node):
    """Name of a node's output in the text: ``"x_1"`` (input), ``"a_4"`` (hidden), ``"y_1"`` (node 8)."""
    for layer, numbers in enumerate(node_numbers(layer_sizes)):
        if node in numbers:
            kind = layer_kind(layer, len(layer_sizes))
            if kind == "output":
                return f"y_{numbers.index(node) + 1}"
            return f"{'x' if kind == 'input' else 'a'}_{node}"
    raise ValueError(f"node {node} is not in a network of layer sizes {tuple(layer_sizes)}")


def weight_name(j, i):
    """``"w_41"`` for the weight from node i to node j; ``"w_4b"`` for the bias (i = "b")."""
    separator = "," if (j >= 10 or (i != "b" and i >= 10)) else ""
    return f"w_{j}{separator}{i}"


def named_weights(weights):
    """The weights as a dict of floats keyed like the text: ``w[4, 1]`` is w_41, ``w[4, "b"]`` is w_4b."""
    layer_sizes = layer_sizes_of(weights)
    weights = check_weights(weights, weight_shapes(layer_sizes))
    numbers = node_numbers(layer_sizes)
    w = {}
    for l, (W, b) in enumerate(weights, start=1):
        for row, j in enumerate(numbers[l]):
            for col, i in enumerate(numbers[l - 1]):
                w[j, i] = float(W[row, col])
            w[j, "b"] = float(b[row])
    return w


def per_node(layer_sizes, arrays, first_layer=0):
    """Per-layer arrays as a dict ``{node number: value}``; ``arrays[k]`` has shape (layer_sizes[first_layer + k],),
    ``first_layer`` 0 for outputs starting with x, 1 for deltas (the input layer has none)."""
    numbers = node_numbers(layer_sizes)
    values = {}
    for k, array in enumerate(arrays):
        layer = first_layer + k
        array = np.asarray(array, dtype=float).reshape(-1)
        if layer >= len(numbers) or array.shape != (len(numbers[layer]),):
            raise ValueError(f"array {k} has shape {array.shape}, which does not fit layer {layer} "
                             f"of {tuple(layer_sizes)}")
        values.update({node: float(v) for node, v in zip(numbers[layer], array)})
    return values


def format_value(value):
    """Three significant digits, as written on the diagrams: 0.58743 -> '0.587', -0.5 -> '-0.5'."""
    text = f"{float(value):.3g}"
    return "0" if text == "-0" else text


@dataclass
class NetworkDrawing:
    """What :func:`draw_network` drew; texts keyed by node (``value_texts[4]``) or by edge ``(j, i)`` from i to j."""

    figure: object
    ax: object
    layer_sizes: tuple
    positions: dict  # node -> (x, y) in data coordinates
    node_patches: dict = field(default_factory=dict)
    value_texts: dict = field(default_factory=dict)
    delta_texts: dict = field(default_factory=dict)
    bias_texts: dict = field(default_factory=dict)
    edge_lines: dict = field(default_factory=dict)
    edge_texts: dict = field(default_factory=dict)


def _layout(layer_sizes):
    """Node positions, the layer spacing dx, and the x and y limits (with room for the texts around the nodes)."""
    dx, dy = (3.0 if len(layer_sizes) <= 3 else 2.6), 1.5
    positions = {node: (layer * dx, ((len(numbers) - 1) / 2 - k) * dy)
                 for layer, numbers in enumerate(node_numbers(layer_sizes)) for k, node in enumerate(numbers)}
    y_top = (max(layer_sizes) - 1) / 2 * dy
    return positions, dx, (-1.1, (len(layer_sizes) - 1) * dx + 1.1), (-y_top - 1.7, y_top + 0.9)


def figure_size(layer_sizes):
    """(width, height) in inches that keeps a diagram's circles round and its text legible (at most 11 in wide)."""
    _, _, (x0, x1), (y0, y1) = _layout(drawable_layer_sizes(layer_sizes))
    scale = min(1.0, 11.0 / (x1 - x0))  # inches per data unit
    return (x1 - x0) * scale, (y1 - y0) * scale + 0.5  # + room for the title


def _label_fraction(y_source, y_target):
    """The fraction of the way from source to target (one for a layer gap) keeping the weight labels furthest apart."""
    best, best_gap = 0.6, -1.0
    for f in np.linspace(0.35, 0.72, 38):
        heights = np.sort([(1 - f) * ys + f * yt for ys in y_source for yt in y_target])
        gap = np.min(np.diff(heights)) if len(heights) > 1 else np.inf
        if gap > best_gap + 1e-9:
            best, best_gap = f, gap
    return best


def draw_network(layer_sizes, *, weights=None, values=None, deltas=None, highlight=(), highlight_edges=(),
                 gap_labels=None, title=None, ax=None):
    """Draw a small fully connected network (at most 6 layers of 10 nodes) with the text's node numbering.

    ``weights`` (list of ``(W, b)``) are written on the edges, each bias beside its node as ``w_jb``; ``values``
    ``{node: output}`` (build it with :func:`per_node`) and ``deltas`` ``{node: delta}`` under the nodes.
    ``highlight`` nodes and ``highlight_edges`` ``(j, i)`` are drawn in color; ``gap_labels``, one string per layer
    gap, go above the gaps (e.g. ``"W1 (4, 3)"``). ``ax`` None: a new figure. Returns a :class:`NetworkDrawing`.
    """
    layer_sizes = drawable_layer_sizes(layer_sizes)
    if weights is not None:
        weights = check_weights(weights, weight_shapes(layer_sizes))
    if gap_labels is not None and len(gap_labels) != len(layer_sizes) - 1:
        raise ValueError(f"expected {len(layer_sizes) - 1} gap_labels, one per layer gap, got {len(gap_labels)}")
    numbers = node_numbers(layer_sizes)
    all_nodes = set(range(1, sum(layer_sizes) + 1))
    values, deltas = dict(values or {}), dict(deltas or {})
    for name, keys in (("values", values), ("deltas", deltas), ("highlight", highlight)):
        unknown = set(keys) - all_nodes
        if unknown:
            raise ValueError(f"{name} names nodes {sorted(unknown)}, but the nodes are 1..{len(all_nodes)}")
    highlight, highlight_edges = set(highlight), set(highlight_edges)
    positions, dx, x_lim, y_lim = _layout(layer_sizes)
    if ax is None:
        _, ax = plt.subplots(figsize=figure_size(layer_sizes), layout="constrained")
    drawing = NetworkDrawing(figure=ax.figure, ax=ax, layer_sizes=layer_sizes, positions=positions)
    # Edges and weight labels (eq. 3.2: w_ji on the edge from i to j).
    for l in range(1, len(layer_sizes)):
        fraction = _label_fraction([positions[i][1] for i in numbers[l - 1]], [positions[j][1] for j in numbers[l]])
        for row, j in enumerate(numbers[l]):
            for col, i in enumerate(numbers[l - 1]):
                (x0, y0), (x1, y1) = positions[i], positions[j]
                hot = (j, i) in highlight_edges
                (line,) = ax.plot([x0, x1], [y0, y1], color=_HIGHLIGHT_EDGE_COLOUR if hot else "0.6",
                                  linewidth=2.4 if hot else 0.9, zorder=1)
                drawing.edge_lines[j, i] = line
                if weights is not None:
                    drawing.edge_texts[j, i] = ax.text(
                        (1 - fraction) * x0 + fraction * x1, (1 - fraction) * y0 + fraction * y1,
                        format_value(weights[l - 1][0][row, col]), fontsize=8.5, ha="center", va="center",
                        fontweight="bold" if hot else "normal",
                        color=_HIGHLIGHT_EDGE_COLOUR if hot else "0.15", zorder=3,
                        bbox=dict(boxstyle="round,pad=0.12", facecolor="white", edgecolor="none", alpha=0.85))
    # Nodes, their numbers, values, deltas and biases.
    for layer, layer_nodes in enumerate(numbers):
        kind = layer_kind(layer, len(layer_sizes))
        for row, node in enumerate(layer_nodes):
            x, y = positions[node]
            hot = node in highlight
            drawing.node_patches[node] = ax.add_patch(Circle(
                (x, y), _NODE_RADIUS, facecolor=_HIGHLIGHT_COLOUR if hot else LAYER_COLOURS[kind],
                edgecolor="black", linewidth=2.5 if hot else 1.2, zorder=4))
            ax.text(x, y, str(node), ha="center", va="center", fontsize=12, fontweight="bold", zorder=5)
            box = dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="0.8", alpha=0.95)
            if node in values:
                drawing.value_texts[node] = ax.text(
                    x, y - _NODE_RADIUS - 0.08, f"${value_name(layer_sizes, node)}$ = {format_value(values[node])}",
                    ha="center", va="top", fontsize=9.5, zorder=6, bbox=box)
            if node in deltas:
                drawing.delta_texts[node] = ax.text(
                    x, y - _NODE_RADIUS - 0.42, f"$\\delta_{{{node}}}$ = {format_value(deltas[node])}",
                    ha="center", va="top", fontsize=9.5, color="#990000", zorder=6, bbox=box)
            if weights is not None and layer > 0:
                name = weight_name(node, "b").replace("w_", "w_{") + "}"
                drawing.bias_texts[node] = ax.text(  # upper right: clear of the value and delta below
                    x + 0.22, y + 0.24, f"${name}$ = {format_value(weights[layer - 1][1][row])}",
                    ha="left", va="bottom", fontsize=8.5, color="0.25", zorder=6,
                    bbox=dict(boxstyle="round,pad=0.1", facecolor="white", edgecolor="none", alpha=0.85))
        ax.text(layer * dx, y_lim[0] + 0.15, f"{kind} layer", ha="center", va="bottom", fontsize=10, style="italic")

    for gap, label in enumerate(gap_labels or []):
        ax.text((gap + 0.5) * dx, y_lim[1] - 0.1, label, ha="center", va="top", fontsize=10.5, color="0.2")
    ax.set(xlim=x_lim, ylim=y_lim, aspect="equal")
    ax.set_axis_off()
    shown = ", ".join(part for part, on in (("weights on the edges", weights is not None), ("outputs", bool(values)),
                                            ("error terms δ", bool(deltas))) if on)
    default = f"A {'-'.join(map(str, layer_sizes))} network" + (f": {shown}" if shown else "")
    ax.set_title(title if title is not None else default, fontsize=12)
    return drawing
