"""The interactive neuron of notebook 01 and its activation pictures (eq. 1.1-1.4).

One neuron adds up its weighted inputs, with the bias folded in as the weight w0 of a constant input
x0 = 1, and passes the sum through an activation (eq. 1.1)::

    net = w0 * 1 + w1 * x1 + w2 * x2 = w^T x        y = f(net)

A perceptron uses the step function as f; a neuron a smooth one, the sigmoid (eq. 1.2) or tanh.
:func:`plot_activations` draws the three with their derivatives; :func:`neuron_explorer` is a panel of
sliders (w1, w2, the bias b = w0, x1, x2), an activation dropdown, the output as text and the activation
curve with the neuron's point (net, y) on it (a PNG), redrawn on every change.
"""

import io

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from bpcourse.core.activations import ACTIVATORS, get_activator

# name: (slider label, minimum, maximum, step)
SLIDERS = {"w1": ("w1", -3.0, 3.0, 0.1), "w2": ("w2", -3.0, 3.0, 0.1), "b": ("b = w0", -3.0, 3.0, 0.1),
           "x1": ("x1", -2.0, 2.0, 0.1), "x2": ("x2", -2.0, 2.0, 0.1)}
FIGSIZE = (6.4, 3.4)  # inches, the explorer's picture
DPI = 100
CSS_PREFIX = "bpcourse-neuron"  # the browser tests find the sliders (-w1 ...) and the -output line


def plot_activations(net_range=(-5.0, 5.0), figsize=(11.0, 4.0)):
    """Plot step, sigmoid and tanh (left) and their derivatives (right) computed from the outputs, sigmoid' =
    y(1 - y) (eq. 1.4) and tanh' = 1 - y^2; the step's is 0 except at net = 0, where it does not exist (a dotted
    vertical line). Returns fig, (ax_curves, ax_slopes)."""
    low, high = _checked_range(net_range)
    net = np.linspace(low, high, 1001)
    fig, (ax_curves, ax_slopes) = plt.subplots(1, 2, figsize=figsize, layout="constrained")
    styles = {"step": dict(color="0.35"), "sigmoid": dict(color="C0"), "tanh": dict(color="C1", ls="--")}
    for name, style in styles.items():
        activation = ACTIVATORS[name]
        y = activation.forward(net)
        label = "step (perceptron)" if name == "step" else name
        ax_curves.plot(net, y, label=label, lw=2.5, **style)
        ax_slopes.plot(net, activation.backward(y), label=f"{label}: {activation.slope_formula}", lw=2.5, **style)
    ax_slopes.axvline(0.0, color="0.35", ls=":", lw=1.5, label="step: no derivative at 0")
    xlabel = r"net input $\mathrm{net} = \vec{w}^{\,T} \vec{x}$"
    ax_curves.set(title="Activation functions y = f(net)", xlabel=xlabel, ylabel="output y", ylim=(-1.15, 1.15))
    ax_slopes.set(title="Their derivatives dy/dnet, written from y", xlabel=xlabel,
                  ylabel="slope dy/dnet", ylim=(-0.1, 1.1))
    for ax in (ax_curves, ax_slopes):
        ax.axhline(0.0, color="0.8", lw=0.8, zorder=0)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=10)
    return fig, (ax_curves, ax_slopes)


def draw_activation(ax, activation, net, y, net_range=(-6.0, 6.0)):
    """Draw the curve of ``activation`` (a name) on ``ax`` with the neuron's point (net, y) and its tangent;
    returns the marker, a Line2D at (net, y) labeled "neuron output (net, y)"."""
    activation = get_activator(activation)
    low, high = _checked_range(net_range)
    grid = np.linspace(low, high, 801)
    ax.plot(grid, activation.forward(grid), color="C0", lw=2.5, label=f"y = {activation.name}(net)")
    ax.plot([net, net], [activation.y_limits[0], y], color="0.5", ls="--", lw=1)  # from the net axis up to the point
    ax.plot([low, net], [y, y], color="0.5", ls="--", lw=1)  # across to the y axis
    if activation.name != "step":
        slope = float(activation.backward(y))
        ax.plot([net - 1.5, net + 1.5], [y - 1.5 * slope, y + 1.5 * slope], color="C2", lw=1.5,
                label=f"tangent, slope {activation.slope_formula} = {slope:.3f}")
    (marker,) = ax.plot([net], [y], "o", color="C3", markersize=10, zorder=3, label="neuron output (net, y)")
    ax.set(xlim=(low, high), ylim=activation.y_limits, xlabel="net = w1·x1 + w2·x2 + b",
           ylabel="output y", title=f"y = {activation.name}(net) = {y:.3f} at net = {net:.2f}")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=9)
    return marker


class NeuronExplorer(widgets.VBox):
    """A two-input neuron with sliders, its output as text and its point on the activation curve (build it with
    :func:`neuron_explorer`): ``sliders`` by name ("w1", "w2", "b", "x1", "x2"), ``image`` and ``figure`` (None
    with plot=False), the numbers ``net``, ``y``, ``slope`` and the output line ``text``."""

    def __init__(self, values, activation, plot=True):
        super().__init__()
        wide = dict(style={"description_width": "75px"}, layout=widgets.Layout(width="360px"))
        self.sliders = {name: widgets.FloatSlider(value=values[name], min=low, max=high, step=step_size,
                                                  description=label, readout_format=".1f", continuous_update=True,
                                                  **wide)
                        for name, (label, low, high, step_size) in SLIDERS.items()}
        self.activation_dropdown = widgets.Dropdown(
            options=[("sigmoid", "sigmoid"), ("tanh", "tanh"), ("step (perceptron)", "step")], value=activation,
            description="activation", **wide)
        self.formula_html, self.output_html, self.slope_html = widgets.HTML(), widgets.HTML(), widgets.HTML()
        self.image = self.figure = None
        if plot:  # shown at its own pixel size (FIGSIZE * DPI), so it is sharp and never stretched
            width, height = (round(inches * DPI) for inches in FIGSIZE)
            self.image = widgets.Image(format="png", layout=widgets.Layout(width=f"{width}px", height=f"{height}px"))
        parts = {**self.sliders, "activation": self.activation_dropdown, "formula": self.formula_html,
                 "output": self.output_html, "slope": self.slope_html, "plot": self.image}
        for css, part in parts.items():
            if part is not None:
                part.add_class(f"{CSS_PREFIX}-{css}")
        controls = widgets.VBox(list(self.sliders.values()) + [self.activation_dropdown])
        readout = widgets.VBox([self.formula_html, self.output_html, self.slope_html],
                               layout=widgets.Layout(padding="0 0 0 20px"))
        self.children = [widgets.HBox([controls, readout])] + ([self.image] if plot else [])
        self.add_class(f"{CSS_PREFIX}-explorer")
        self._holding = False
        for control in controls.children:
            control.observe(self._on_change, names="value")
        self.update()  # sets net, y, slope and text

    def _on_change(self, change):
        if not self._holding:
            self.update()

    def set_values(self, **values):
        """Set sliders (w1, w2, b, x1, x2) and/or the activation, then update once (ValueError if out of range)."""
        checked = _checked_values(values)
        self._holding = True
        try:
            for name, value in checked.items():
                (self.activation_dropdown if name == "activation" else self.sliders[name]).value = value
        finally:
            self._holding = False
        self.update()

    def update(self):
        """Recompute net and y from the widgets, rewrite the text and redraw the picture."""
        v = {name: float(slider.value) for name, slider in self.sliders.items()}
        activation = get_activator(self.activation_dropdown.value)
        # eq. 1.1 with the bias folded in: w0 = b multiplies the constant input x0 = 1
        self.net = net = v["w1"] * v["x1"] + v["w2"] * v["x2"] + v["b"] * 1.0
        self.y = y = float(activation.forward(net))
        self.slope = float(activation.backward(y))
        n = {name: _number(value) for name, value in v.items()}
        self.formula_html.value = (f"<code>net = w1·x1 + w2·x2 + b = {n['w1']}·{n['x1']} + {n['w2']}·{n['x2']}"
                                   f" + {n['b']}</code>")
        self.text = f"net = {_rounded(net, 2):.2f}, y = {activation.name}(net) = {_rounded(y, 3):.3f}"
        self.output_html.value = f"<code><b>{self.text}</b></code>"
        if activation.name == "step":
            slope_text = "slope dy/dnet = 0 (flat; at net = 0 the step has no slope at all)"
        else:
            slope_text = f"slope dy/dnet = {activation.slope_formula} = {_rounded(self.slope, 3):.3f}"
        self.slope_html.value = f"<code>{slope_text}</code>"
        if self.image is not None:
            half_width = max(6.0, abs(net) + 1.0)  # keep the point in view
            self.figure = Figure(figsize=FIGSIZE, dpi=DPI)  # a bare Figure: nothing piles up in pyplot's list
            self.figure.subplots_adjust(left=0.1, right=0.97, bottom=0.15, top=0.9)  # faster than a layout engine
            draw_activation(self.figure.add_subplot(), activation.name, net, y, (-half_width, half_width))
            buffer = io.BytesIO()
            self.figure.savefig(buffer, format="png")
            self.image.value = buffer.getvalue()


def neuron_explorer(w1=0.5, w2=-0.3, b=0.1, x1=1.0, x2=0.5, activation="sigmoid", plot=True):
    """The interactive neuron y = f(w1*x1 + w2*x2 + b) (eq. 1.1-1.3), a :class:`NeuronExplorer`: weights and bias
    b = w0 in [-3, 3], inputs in [-2, 2], activation "sigmoid", "tanh" or "step"; ``plot=False`` for text only."""
    values = _checked_values(dict(w1=w1, w2=w2, b=b, x1=x1, x2=x2, activation=activation))
    return NeuronExplorer(values, values["activation"], plot=bool(plot))


def _checked_values(values):
    checked = {}
    for name, value in values.items():
        if name == "activation":
            checked[name] = get_activator(value).name
            continue
        if name not in SLIDERS:
            raise ValueError(f"unknown neuron setting {name!r}: expected one of {list(SLIDERS) + ['activation']}")
        _, low, high, _ = SLIDERS[name]
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = float("nan")
        if not low <= number <= high:
            raise ValueError(f"{name} must be a number in [{low}, {high}] (the slider's range), got {value!r}")
        checked[name] = number
    return checked


def _checked_range(net_range):
    low, high = (float(v) for v in net_range)
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"net_range must be (low, high) with finite low < high, got {net_range!r}")
    return low, high


def _rounded(value, digits):
    """Round for display, turning -0.0 into 0.0 so the text never shows "-0.00"."""
    return round(value, digits) + 0.0


def _number(value):
    """A slider value for the formula line: one or two decimals, negatives in parentheses."""
    text = f"{_rounded(value, 2):.2f}"
    text = text[:-1] if text.endswith("0") else text
    return f"({text})" if text.startswith("-") else text
