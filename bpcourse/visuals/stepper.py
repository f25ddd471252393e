"""Widgets that step through the forward pass and through backpropagation on a network diagram.

:class:`ForwardStepper` (notebook 02) computes one node per step in the text's order, the hidden nodes
(eq. 3.2), then the outputs (eq. 3.3), highlighting the node and the connections it reads, its sum written
out with its numbers::

    net_4 = w_41·x_1 + w_42·x_2 + w_43·x_3 + w_4b = 0.5·1 + (-0.3)·0.5 + 0.8·(-1) + 0.1 = -0.35
    a_4 = sigmoid(net_4) = 0.413

:class:`BackpropStepper` (notebook 03) shows the finished forward pass, the error terms layer by layer from
the output back (eq. 4.1, 4.3), then the updated weights (eq. 4.5, 4.8). The deltas are the network's own
(``network.gradients``: delta_j = -dE/dnet_j = -dE/dw_jb, eq. 4.17), beside formulas written out with the
numbers they combine. Both are ``ipywidgets.VBox`` panels: "back" / "step" buttons, a "step" slider, a text
and the diagram as a PNG in an ``ipywidgets.Image``.
"""

import html
import io
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from bpcourse.core.activations import get_activator
from bpcourse.core.trace import forward_trace
from bpcourse.core.validation import check_weights, weight_shapes
from bpcourse.visuals.diagram import (draw_network, figure_size, format_value, layer_sizes_of, node_numbers, per_node,
                                      value_name, weight_name)

CSS_PREFIX = "bpcourse-stepper"


@dataclass(frozen=True)
class Step:
    """One state of a stepper: ``values``, ``deltas`` ``{node: number}``, ``weights`` (list of (W, b)), the text."""

    title: str
    text: str
    values: dict
    deltas: dict
    weights: list
    highlight: tuple = ()
    highlight_edges: tuple = ()


def _checked_sample(x, sizes):
    """One sample x of shape (n_0,) as float64, or ValueError saying what was expected."""
    x = np.asarray(x, dtype=float)
    if x.shape != (sizes[0],):
        raise ValueError(f"expected one sample x of shape ({sizes[0]},), got shape {x.shape}")
    return x


def _num(value):
    """A number inside a written-out sum: negatives in parentheses."""
    text = format_value(value)
    return f"({text})" if text.startswith("-") else text


def _derivative_text(activator, name, value):
    """f'(net) written from the output, as symbols and as numbers (eq. 1.4 for the sigmoid)."""
    if activator.name == "sigmoid":
        return f"{name}(1 - {name})", f"{_num(value)}·(1 - {_num(value)})"
    if activator.name == "tanh":
        return f"(1 - {name}²)", f"(1 - {_num(value)}²)"
    return f"f'({name})", format_value(activator.backward(value))


def forward_steps(weights, x, activator="sigmoid"):
    """The :class:`Step` list of :class:`ForwardStepper`: step 0 shows x on the input nodes, step k adds the
    k-th computed node (4, 5, 6, 7, 8, 9 for the 3-4-2 network; eq. 3.2, 3.3)."""
    activator = get_activator(activator)
    sizes = layer_sizes_of(weights)
    weights = check_weights(weights, weight_shapes(sizes))
    nets, outputs = forward_trace(weights, _checked_sample(x, sizes), activator)
    numbers = node_numbers(sizes)
    shown = per_node(sizes, [outputs[0]])
    inputs = ", ".join(f"{value_name(sizes, i)} = {format_value(v)}" for i, v in zip(numbers[0], outputs[0]))
    steps = [Step("the inputs", f"The input nodes hold the sample (eq. 3.1): {inputs}", dict(shown), {}, weights)]
    for l in range(1, len(sizes)):
        W, b = weights[l - 1]
        equation = "eq. 3.3" if l == len(sizes) - 1 else "eq. 3.2"
        for row, j in enumerate(numbers[l]):
            sources = numbers[l - 1]
            symbols = " + ".join(f"{weight_name(j, i)}·{value_name(sizes, i)}" for i in sources)
            values = " + ".join(f"{_num(W[row, col])}·{_num(outputs[l - 1][col])}" for col in range(len(sources)))
            pad = " " * len(f"net_{j}")
            text = (f"net_{j} = {symbols} + {weight_name(j, 'b')}\n{pad} = {values} + {_num(b[row])}\n"
                    f"{pad} = {format_value(nets[l - 1][row])}\n"
                    f"{value_name(sizes, j)} = {activator.name}(net_{j}) = {format_value(outputs[l][row])}")
            shown[j] = float(outputs[l][row])
            steps.append(Step(f"node {j} ({equation})", text, dict(shown), {}, weights,
                              (j,), tuple((j, i) for i in sources)))
    return steps


def backprop_steps(network, x, t, eta=0.5):
    """The steps of :class:`BackpropStepper` for one sample (x, t), the network unchanged: the forward pass, the
    output deltas (eq. 4.1), one step per hidden layer, last to first (eq. 4.3), the weights after one update with
    rate eta (eq. 4.5, 4.8)."""
    activator = get_activator(network.activator)
    weights = network.get_weights()
    sizes = layer_sizes_of(weights)
    t = np.asarray(t, dtype=float)
    if t.shape != (sizes[-1],):
        raise ValueError(f"expected one target t of shape ({sizes[-1]},), got shape {t.shape}")
    if not (np.isfinite(eta) and eta > 0):
        raise ValueError(f"expected a positive learning rate eta, got {eta!r}")
    _, outputs = forward_trace(weights, _checked_sample(x, sizes), activator)
    gradients = network.gradients(x, t)
    deltas = [-db for _, db in gradients]  # delta_j = -dE/dnet_j = -dE/dw_jb (eq. 4.17)
    numbers = node_numbers(sizes)
    values = per_node(sizes, outputs)
    y = outputs[-1]
    steps = [Step("forward pass done (eq. 3.8)",
                  f"y = ({', '.join(map(format_value, y))}), target t = ({', '.join(map(format_value, t))})\n"
                  f"E = 1/2 Σ (t_k - y_k)² = {format_value(network.loss_value(x, t))}   (eq. 4.9)",
                  values, {}, weights)]

    shown, lines = {}, []
    for k, j in enumerate(numbers[-1]):  # eq. 4.1 / 4.2
        name = value_name(sizes, j)
        symbols, digits = _derivative_text(activator, name, y[k])
        shown[j] = float(deltas[-1][k])
        lines.append(f"δ_{j} = {symbols}·(t_{k + 1} - {name}) = {digits}·({_num(t[k])} - {_num(y[k])})"
                     f" = {format_value(deltas[-1][k])}")
    steps.append(Step("output layer error terms (eq. 4.1)", "\n".join(lines), values, dict(shown), weights,
                      tuple(numbers[-1])))

    for l in range(len(sizes) - 2, 0, -1):  # hidden layers, from the last one back (eq. 4.3 / 4.4)
        W_next = weights[l][0]
        lines = []
        for row, j in enumerate(numbers[l]):
            name = value_name(sizes, j)
            symbols, digits = _derivative_text(activator, name, outputs[l][row])
            downstream = numbers[l + 1]
            sum_symbols = " + ".join(f"{weight_name(k, j)}·δ_{k}" for k in downstream)
            sum_digits = " + ".join(f"{_num(W_next[m, row])}·{_num(deltas[l][m])}" for m in range(len(downstream)))
            shown[j] = float(deltas[l - 1][row])
            lines.append(f"δ_{j} = {symbols}·({sum_symbols})\n"
                         f"{' ' * len(f'δ_{j}')} = {digits}·({sum_digits}) = {format_value(deltas[l - 1][row])}")
        hot_edges = tuple((k, j) for j in numbers[l] for k in numbers[l + 1])
        steps.append(Step(f"hidden layer {l} error terms (eq. 4.3)", "\n".join(lines), values, dict(shown),
                          weights, tuple(numbers[l]), hot_edges))

    updated = [(W - eta * dW, b - eta * db) for (W, b), (dW, db) in zip(weights, gradients)]  # eq. 4.5 = eq. 4.10
    lines = [f"w_ji ← w_ji + η·δ_j·x_ji (eq. 4.5), w_jb ← w_jb + η·δ_j (eq. 4.8), η = {format_value(eta)}; "
             "the edges now show the new weights. For example:"]
    for l in range(1, len(sizes)):
        j, i = numbers[l][0], numbers[l - 1][0]
        W, b = weights[l - 1]
        lines.append(f"{weight_name(j, i)} ← {_num(W[0, 0])} + {format_value(eta)}·{_num(deltas[l - 1][0])}"
                     f"·{_num(outputs[l - 1][0])} = {format_value(updated[l - 1][0][0, 0])}")
        lines.append(f"{weight_name(j, 'b')} ← {_num(b[0])} + {format_value(eta)}·{_num(deltas[l - 1][0])}"
                     f" = {format_value(updated[l - 1][1][0])}")
    steps.append(Step("weight update (eq. 4.5, 4.8)", "\n".join(lines), values, dict(shown), updated))
    return steps


class StepperWidget(widgets.VBox):
    """A panel that shows a list of :class:`Step` on the diagram of a network, one at a time: ``drawing`` is the
    last :class:`bpcourse.visuals.diagram.NetworkDrawing`, ``image`` its PNG. Move with :meth:`next`,
    :meth:`previous`, :meth:`go_to` or the ``slider``."""

    def __init__(self, layer_sizes, steps, name, kind):
        super().__init__()
        self.layer_sizes, self.steps, self.name = tuple(layer_sizes), list(steps), name
        self.back_button = widgets.Button(description="◀ back", layout=widgets.Layout(width="90px"))
        self.next_button = widgets.Button(description="step ▶", layout=widgets.Layout(width="90px"))
        self.slider = widgets.IntSlider(value=0, min=0, max=len(self.steps) - 1, description="step",
                                        continuous_update=False, layout=widgets.Layout(width="360px"))
        self.text_html = widgets.HTML()
        self.image = widgets.Image(format="png")
        for part, css in ((self.back_button, "back"), (self.next_button, "next"), (self.slider, "slider"),
                          (self.text_html, "text"), (self.image, "plot")):
            part.add_class(f"{CSS_PREFIX}-{css}")
        self.add_class(CSS_PREFIX)
        self.add_class(f"bpcourse-{kind}-stepper")
        self.children = [widgets.HBox([self.back_button, self.slider, self.next_button]), self.text_html, self.image]
        self.back_button.on_click(lambda _: self.previous())
        self.next_button.on_click(lambda _: self.next())
        self.slider.observe(lambda _: self.update(), names="value")
        self.update()  # sets drawing

    @property
    def step(self):
        """The index of the step shown."""
        return self.slider.value

    @property
    def current(self):
        """The :class:`Step` shown."""
        return self.steps[self.step]

    def go_to(self, index):
        """Show step ``index`` (0 .. len(steps) - 1)."""
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < len(self.steps):
            raise ValueError(f"expected a step index in 0..{len(self.steps) - 1}, got {index!r}")
        if index == self.slider.value:
            self.update()
        else:
            self.slider.value = int(index)  # the observer redraws

    def next(self):
        """One step forward (stays on the last step)."""
        self.go_to(min(self.step + 1, len(self.steps) - 1))

    def previous(self):
        """One step back (stays on step 0)."""
        self.go_to(max(self.step - 1, 0))

    def update(self):
        """Redraw the diagram (on a bare Figure) and rewrite the text for the current step."""
        step = self.current
        figure = Figure(figsize=figure_size(self.layer_sizes), dpi=90, layout="constrained")
        self.drawing = draw_network(self.layer_sizes, weights=step.weights, values=step.values, deltas=step.deltas,
                                    highlight=step.highlight, highlight_edges=step.highlight_edges,
                                    ax=figure.add_subplot(),
                                    title=f"{self.name}, step {self.step} of {len(self.steps) - 1}: {step.title}")
        buffer = io.BytesIO()
        self.drawing.figure.savefig(buffer, format="png")
        self.image.value = buffer.getvalue()
        self.text_html.value = (f"<b>{html.escape(step.title)}</b><pre style='font-size: 13px; line-height: 1.4'>"
                                f"{html.escape(step.text)}</pre>")
        self.back_button.disabled = self.step == 0
        self.next_button.disabled = self.step == len(self.steps) - 1


class ForwardStepper(StepperWidget):
    """Step through the forward pass of either network on one sample ``x`` (n_in,), one node at a time
    (eq. 3.2, 3.3). Show it as a cell's last expression."""

    def __init__(self, network, x):
        weights = network.get_weights()
        super().__init__(layer_sizes_of(weights), forward_steps(weights, x, network.activator),
                         "Forward pass", "forward")


class BackpropStepper(StepperWidget):
    """Step through backpropagation of either network (not changed) for one sample ``x`` (n_in,), target
    ``t`` (n_out,) and learning rate ``eta``: forward, deltas layer by layer, update (eq. 4.1-4.8)."""

    def __init__(self, network, x, t, eta=0.5):
        super().__init__(network.layer_sizes, backprop_steps(network, x, t, eta), "Backpropagation", "backprop")
