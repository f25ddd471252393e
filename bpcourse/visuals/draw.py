"""Draw a digit: a trained network reads your handwriting, live (notebook 06).

:func:`draw_digit` builds a panel around an ``ipycanvas`` canvas. Draw a digit with the mouse (or a finger);
when a stroke ends the panel turns the drawing into an MNIST-like input with :mod:`bpcourse.core.digit_image`
(crop, scale into 20 x 20, center by center of mass in 28 x 28) and shows the predicted digit and a picture
(a PNG): the 28 x 28 image the network receives, the ten outputs as bars with the loss's targets as reference
lines (0.9/0.1 for the text's squared error; none for a softmax output, whose values are probabilities), and
the first hidden layer as a small image (300 neurons as 15 x 20 pixels).

The network's input is computed in NumPy from the strokes (lists of points), never read back from the
browser's pixels, so strokes written in code (:meth:`DigitDrawer.draw_strokes`) go through exactly the
pipeline of a drawing: that is how a notebook run without a person (nbval, ``make course``) exercises it.
"""

import io
import math

import ipywidgets as widgets
import numpy as np
from ipycanvas import Canvas, hold_canvas
from matplotlib.figure import Figure

from bpcourse.core.digit_image import (CANVAS_SIZE, PEN_WIDTH, SIDE, EmptyDrawingError, center_of_mass, check_strokes,
                                       mnist_like, render_strokes)

__all__ = ["CSS_PREFIX", "SQUARED_ERROR_TARGETS", "DigitDrawer", "draw_digit", "hidden_activations"]

SQUARED_ERROR_TARGETS = (0.1, 0.9)  # the text's targets (notebook 06, exercise 1)
HIDDEN_LIMITS = {"sigmoid": (0, 1), "tanh": (-1, 1)}  # color scale of the hidden layer's image
FIGSIZE = (7.8, 2.8)  # inches, the picture beside the canvas
DPI = 100

CSS_PREFIX = "bpcourse-draw"  # the browser tests find the panel and its -canvas, -clear, -prediction, -plot


def hidden_activations(network, x):
    """The first hidden layer's outputs a = f(W x + b) for one input x (eq. 3.1, 6.1), from ``get_weights()[0]``
    and ``activator``; None for a network without a hidden layer or without those two."""
    sizes = getattr(network, "layer_sizes", None)
    if sizes is not None and len(sizes) < 3:
        return None
    try:
        W, b = network.get_weights()[0]
        activator = network.activator
    except (AttributeError, IndexError, TypeError):
        return None
    net = np.asarray(W, dtype=np.float64) @ np.asarray(x, dtype=np.float64) + np.asarray(b, dtype=np.float64)
    return np.asarray(activator.forward(net), dtype=np.float64)  # eq. 3.1


def _grid_shape(n):
    """Rows and columns of a near-square grid for n values, wider than tall: 300 -> (15, 20)."""
    rows = int(math.isqrt(n))
    while rows > 1 and n % rows:
        rows -= 1
    if rows == 1 and n > 3:  # a prime number of neurons: a padded near-square grid
        rows = int(math.isqrt(n))
    return rows, math.ceil(n / rows)


def _check_targets(targets):
    if targets is None:
        return None
    try:
        low, high = (float(t) for t in targets)
    except (TypeError, ValueError):
        low = high = float("nan")
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"expected targets to be (off, on) with off < on, e.g. {SQUARED_ERROR_TARGETS} "
                         f"for the text's squared error, or None for a softmax output; got {targets!r}")
    return low, high


class DigitDrawer(widgets.HBox):
    """A canvas to draw a digit on, and what the network makes of it. Build it with :func:`draw_digit`.

    ``strokes`` is the drawing (a list of strokes, each a list of points (x, y)); the last reading is in
    ``image`` (28 x 28), ``outputs``, ``hidden`` and ``prediction`` (None while nothing is drawn) and
    ``text``; ``readings`` counts them. Mouse and touch events call :meth:`pen_down`, :meth:`pen_move`
    and :meth:`pen_up`; the panel reads the drawing when a stroke ends.
    """

    def __init__(self, network, targets, size, pen_width):
        super().__init__()
        self.network, self.targets, self.size, self.pen_width = network, targets, size, pen_width
        self.readings = 0
        probe = hidden_activations(network, np.zeros(SIDE * SIDE))
        self._hidden_size = None if probe is None else probe.size
        activation = getattr(getattr(network, "activator", None), "name", None)
        self._hidden_limits = HIDDEN_LIMITS.get(activation)  # None: scaled to each reading

        self.canvas = Canvas(width=size, height=size, layout=widgets.Layout(
            width=f"{size}px", height=f"{size}px", border="1px solid #999", flex="0 0 auto"))
        self.clear_button = widgets.Button(description="clear", icon="eraser",
                                           tooltip="wipe the canvas and start again",
                                           layout=widgets.Layout(width=f"{size}px"))
        self.prediction_html = widgets.HTML(layout=widgets.Layout(width=f"{size}px"))
        width, height = (round(inches * DPI) for inches in FIGSIZE)
        self.picture = widgets.Image(format="png", layout=widgets.Layout(
            width=f"{width}px", height=f"{height}px", flex="0 0 auto"))
        for part, css in ((self.canvas, "canvas"), (self.clear_button, "clear"),
                          (self.prediction_html, "prediction"), (self.picture, "plot")):
            part.add_class(f"{CSS_PREFIX}-{css}")
        self.children = [widgets.VBox([self.canvas, self.clear_button, self.prediction_html]), self.picture]
        self.layout = widgets.Layout(align_items="flex-start", flex_flow="row wrap")
        self.add_class(CSS_PREFIX)
        self._build_figure()

        self.canvas.on_mouse_down(self.pen_down)
        self.canvas.on_mouse_move(self.pen_move)
        self.canvas.on_mouse_up(self.pen_up)
        self.canvas.on_mouse_out(self.pen_up)  # leaving the canvas ends the stroke
        self.canvas.on_touch_start(lambda touches: self.pen_down(*touches[0]) if touches else None)
        self.canvas.on_touch_move(lambda touches: self.pen_move(*touches[0]) if touches else None)
        self.canvas.on_touch_end(lambda touches: self.pen_up())
        self.canvas.on_touch_cancel(lambda touches: self.pen_up())
        self.canvas.on_client_ready(self.repaint)
        self.clear_button.on_click(lambda button: self.clear())
        self.clear()  # sets strokes, _stroke (the stroke being drawn, while the pen is down) and the reading

    def _point(self, x, y):
        """A point clipped to the canvas (a drag may report a pixel just outside it)."""
        return (min(max(float(x), 0.0), float(self.size)), min(max(float(y), 0.0), float(self.size)))

    def pen_down(self, x, y):
        """Start a stroke at (x, y) (canvas pixels) and paint a dot there."""
        self._stroke = [self._point(x, y)]
        self.canvas.fill_circle(*self._stroke[0], self.pen_width / 2)

    def pen_move(self, x, y):
        """Continue the stroke to (x, y); ignored while the pen is up."""
        if self._stroke is None:
            return
        self._stroke.append(self._point(x, y))
        self.canvas.stroke_line(*self._stroke[-2], *self._stroke[-1])

    def pen_up(self, x=None, y=None):
        """End the stroke (at (x, y) if given) and read the drawing; ignored while the pen is up."""
        if self._stroke is None:
            return
        if x is not None and y is not None:
            self.pen_move(x, y)
        self.strokes.append(self._stroke)
        self._stroke = None
        self.update()

    def draw_strokes(self, strokes):
        """Add, paint and read strokes given in code (each a list of points (x, y)), as the mouse would; ValueError
        for a stroke that is not a non-empty list of points on the canvas (nothing is added)."""
        checked = check_strokes(strokes, self.size)
        with hold_canvas():
            for points in checked:
                self.pen_down(*points[0])
                for x, y in points[1:]:
                    self.pen_move(x, y)
                self.strokes.append(self._stroke)
                self._stroke = None
        self.update()
        return self

    def clear(self):
        """Wipe the canvas and the strokes; the panel says that nothing is drawn."""
        self.strokes = []
        self._stroke = None
        self.repaint()
        self.update()

    def repaint(self):
        """Paint the canvas anew from ``strokes``: a page opened or reloaded later (a browser connecting to the
        kernel) gets the drawing replayed, the canvas in the page keeps no state of its own."""
        with hold_canvas():
            self.canvas.clear()
            self.canvas.fill_style = "white"  # the paper
            self.canvas.fill_rect(0, 0, self.size, self.size)
            self.canvas.fill_style = self.canvas.stroke_style = "black"  # the ink
            self.canvas.line_width = self.pen_width
            self.canvas.line_cap = self.canvas.line_join = "round"
            for points in self.strokes:
                self.canvas.fill_circle(*points[0], self.pen_width / 2)
                if len(points) > 1:
                    self.canvas.stroke_lines(points)

    def read(self):
        """The drawing as the network's input, shape (784,); raises EmptyDrawingError if nothing is drawn."""
        return mnist_like(render_strokes(self.strokes, self.size, self.pen_width)).reshape(-1)

    def update(self):
        """Read the drawing: input image, outputs, prediction, hidden layer; rewrite the text and the picture."""
        self.readings += 1
        try:
            x = self.read()
        except EmptyDrawingError as error:
            self.image = self.outputs = self.hidden = self.prediction = None
            self.text = str(error)
            html = f"<i>{self.text}</i>"
        else:
            self.outputs = outputs = np.asarray(self.network.predict(x), dtype=np.float64).reshape(-1)
            self.image, self.hidden = x.reshape(SIDE, SIDE), hidden_activations(self.network, x)
            self.prediction = int(outputs.argmax())
            value = f"(output {outputs[self.prediction]:.2f})"
            self.text = f"the network reads a {self.prediction} {value}"
            html = f"the network reads a <b style='font-size: 150%'>{self.prediction}</b> {value}"
        # the picture first, then the text: when the page shows the new text, the new picture is there
        self._redraw()
        self.prediction_html.value = html

    def _build_figure(self):
        """One figure, built once, its artists updated at every reading; a bare Figure, not in pyplot's list."""
        fig = Figure(figsize=FIGSIZE, dpi=DPI)
        ax_image = fig.add_axes((0.01, 0.08, 0.25, 0.72))
        ax_bars = fig.add_axes((0.35, 0.17, 0.33, 0.65))
        ax_hidden = fig.add_axes((0.74, 0.08, 0.2, 0.72))
        # what the network sees: the 28 x 28 input, MNIST's 20 x 20 box and the center of mass
        self._input_artist = ax_image.imshow(np.zeros((SIDE, SIDE)), cmap="gray_r", vmin=0, vmax=1)
        (self._box_artist,) = ax_image.plot([], [], color="C0", lw=0.8, ls=":")
        (self._center_artist,) = ax_image.plot([], [], "+", color="C3", markersize=10, mew=1.5)
        ax_image.set(xticks=[], yticks=[], xlim=(-0.5, SIDE - 0.5), ylim=(SIDE - 0.5, -0.5))
        ax_image.set_title(f"the network's input, {SIDE} x {SIDE}\n(ink box, center of mass +)", fontsize=8)
        # the ten outputs, the prediction in orange, the targets as dashed lines
        digits = np.arange(10)
        self._bars = ax_bars.bar(digits, np.zeros(10), color="C0")
        if self.targets is not None:
            for value, label in zip(self.targets, ("off", "on")):
                ax_bars.axhline(value, color="0.3", ls="--", lw=0.9)
                ax_bars.text(9.7, value, f"target\n{label} {value:g}", va="center", ha="left", fontsize=7)
        ax_bars.set(xticks=digits, xlim=(-0.6, 9.6), ylim=(0, 1))
        ax_bars.set_xlabel("digit (output node)", fontsize=8)
        ax_bars.set_ylabel("output value", fontsize=8)
        ax_bars.set_title("the ten outputs", fontsize=9)
        ax_bars.tick_params(labelsize=7)
        # the first hidden layer as a small image (300 neurons: 15 x 20)
        self._hidden_artist = None
        self._hidden_note = ax_hidden.text(0.5, 0.5, "", ha="center", va="center", fontsize=8,
                                           transform=ax_hidden.transAxes)
        ax_hidden.set(xticks=[], yticks=[])
        if self._hidden_size is None:
            ax_hidden.set_axis_off()
            self._hidden_note.set_text("hidden layer not available\nfor this network")
        else:
            self._hidden_grid = rows, cols = _grid_shape(self._hidden_size)
            low, high = self._hidden_limits or (0, 1)
            self._hidden_artist = ax_hidden.imshow(np.full((rows, cols), np.nan), cmap="viridis", vmin=low, vmax=high)
            fig.colorbar(self._hidden_artist, ax=ax_hidden, fraction=0.04, pad=0.02).ax.tick_params(labelsize=7)
            ax_hidden.set_title(f"{self._hidden_size} hidden activations\n({rows} x {cols}, one per neuron)",
                                fontsize=8)
        self.figure = fig

    def _redraw(self):
        """Put the current reading into the figure and the figure's PNG into the picture."""
        drawn = self.image is not None
        self._input_artist.set_data(self.image if drawn else np.zeros((SIDE, SIDE)))
        if drawn:
            row, col = center_of_mass(self.image)
            self._center_artist.set_data([col], [row])
            rows, cols = (np.flatnonzero(self.image.any(axis=axis)) for axis in (1, 0))  # the rows, columns with ink
            top, bottom, left, right = rows[0] - 0.5, rows[-1] + 0.5, cols[0] - 0.5, cols[-1] + 0.5
            self._box_artist.set_data([left, right, right, left, left], [top, top, bottom, bottom, top])
        else:
            self._center_artist.set_data([], [])
            self._box_artist.set_data([], [])
        values = self.outputs if drawn else np.zeros(10)
        for digit, (bar, value) in enumerate(zip(self._bars, values)):
            bar.set_height(value)
            bar.set_color("C1" if digit == self.prediction else "C0")
        axes = self._bars[0].axes
        bottom, top = min(0.0, float(values.min()) * 1.05), max(1.0, float(values.max()) * 1.05)
        if axes.get_ylim() != (bottom, top):  # outputs outside [0, 1]: widen the axis
            axes.set_ylim(bottom, top)
        if self._hidden_artist is not None:
            rows, cols = self._hidden_grid
            grid = np.full(rows * cols, np.nan)
            if self.hidden is not None:
                grid[:self.hidden.size] = self.hidden
                if self._hidden_limits is None:  # an activation of unknown range
                    self._hidden_artist.set_clim(float(self.hidden.min()), float(self.hidden.max()) + 1e-12)
            self._hidden_artist.set_data(grid.reshape(rows, cols))
            self._hidden_note.set_text("" if drawn else "no drawing yet")
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png")
        self.picture.value = buffer.getvalue()


def draw_digit(network, targets=SQUARED_ERROR_TARGETS, size=CANVAS_SIZE, pen_width=PEN_WIDTH):
    """A :class:`DigitDrawer` on which to draw a digit for ``network`` to read; show it as a cell's last expression.

    ``network``: any network whose ``predict(x)`` maps one x (784,) to 10 outputs (its first hidden layer shown
    if it can be, :func:`hidden_activations`); ``targets``: (off, on), reference lines in the bar chart, None for a
    softmax output; ``size``: the canvas side in pixels (>= 28); ``pen_width`` in canvas pixels (22: MNIST's
    stroke width for a digit drawn across most of the canvas)."""
    if not callable(getattr(network, "predict", None)):
        raise TypeError(f"expected a trained network with a predict(x) method, got {type(network).__name__}")
    outputs = np.asarray(network.predict(np.zeros(SIDE * SIDE)))
    if outputs.shape != (10,):
        raise ValueError(f"expected a network with 784 inputs and 10 outputs (one per digit), but "
                         f"predict(x) of one 784-pixel image returned shape {outputs.shape}")
    targets = _check_targets(targets)
    render_strokes([], size, pen_width)  # checks size and pen_width (ValueError naming them)
    return DigitDrawer(network, targets, int(size), float(pen_width))
