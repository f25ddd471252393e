"""A live training plot: loss and error-rate curves redrawn after every epoch.

:class:`LivePlot` is a callback for :func:`bpcourse.core.training.fit`
(``fit(..., callbacks=[LivePlot()])``). After each epoch it draws the training
loss (left) and the error rates on the training, validation and test sets (right) from
the ``History`` that ``fit`` keeps, and replaces the picture in the
notebook while the cell is still running.

How the picture is shown (the browser tests rely on this):

* The first call shows one output with ``IPython.display.display(...,
  display_id=True)``; every later call replaces *that same output* with
  ``handle.update(...)``. No widget is involved, so the final picture also
  stays in a saved or exported notebook.
* The output is a MIME bundle with three representations. A trusted
  frontend (JupyterLab while the cell runs) renders the ``text/html`` one::

      <div class="bpcourse-live-plot" data-epoch="7">
        <img alt="live training plot, epoch 7" src="data:image/png;base64,...">
      </div>

  so the stable identity is the CSS class ``bpcourse-live-plot``
  (:attr:`LivePlot.CSS_CLASS`), the ``data-epoch`` attribute counts up, and
  the ``img`` ``src`` changes with every redraw. An untrusted or static
  view falls back to the ``image/png`` representation, a text console to
  ``text/plain``.

Outside IPython (scripts, tests) nothing is displayed unless a
``display_function`` is given; the figure is still drawn and can be read
with :meth:`LivePlot.png`.

The figure is a bare :class:`matplotlib.figure.Figure` drawn with the Agg
canvas, not a pyplot figure: it is never registered with pyplot, so it does
not leak and is not shown a second time when the cell ends. One figure, its
axes and its lines are made once and reused: a redraw only replaces the
lines' data and renders the PNG (about 0.1 s at the default size).
:func:`plot_history` draws the same curves as an ordinary pyplot figure
once training is over, with marked epochs (an interruption, a stopping
point).
"""

import base64
import io

import matplotlib.pyplot as plt
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bpcourse.visuals.mnist_plots import plain_log_ticks

__all__ = ["LivePlot", "draw_history", "plot_history"]

_HISTORY_FIELDS = ("epoch", "train_loss", "eval_epoch", "train_error", "test_error")


def _check_history(history):
    """Raise ValueError unless ``history`` has the list attributes of ``training.History``."""
    for field in _HISTORY_FIELDS:
        if not hasattr(history, field):
            raise ValueError(
                f"expected a bpcourse.core.training.History (with {', '.join(_HISTORY_FIELDS)}); "
                f"got {type(history).__name__} without {field!r}"
            )
    if len(history.epoch) != len(history.train_loss):
        raise ValueError(
            f"history.epoch and history.train_loss must have the same length; "
            f"got {len(history.epoch)} and {len(history.train_loss)}"
        )


def _check_marks(marks):
    """Return ``marks`` as a list of (epoch, label) pairs, or raise ValueError."""
    checked = []
    for mark in marks or ():
        if isinstance(mark, str) or not hasattr(mark, "__len__") or len(mark) != 2:
            raise ValueError(f"a mark is an (epoch, label) pair; got {mark!r}")
        epoch, label = mark
        checked.append((float(epoch), str(label)))
    return checked


def _error_series(history, name):
    """(epochs, errors in percent) of one error series, skipping evaluations without it."""
    values = getattr(history, name, None) or []  # a history from before validation sets has none
    pairs = [
        (epoch, 100.0 * value)
        for epoch, value in zip(history.eval_epoch, values)
        if value is not None
    ]
    return [p[0] for p in pairs], [p[1] for p in pairs]


class _Curves:
    """The two axes of a training plot and their lines, made once and then refilled.

    Making axes and ticks is most of the cost of a matplotlib picture, so the
    live plot keeps one ``_Curves`` and only replaces the lines' data at
    every redraw; :func:`draw_history` makes a fresh one.
    """

    _COLORS = ("tab:red", "tab:purple", "tab:brown", "tab:gray")

    def __init__(self, figure, marks):
        self.figure = figure
        self.marks = marks
        self.ax_loss, self.ax_error = figure.subplots(1, 2)
        self.loss_line, = self.ax_loss.plot([], [], "o-", color="tab:blue", ms=3,
                                            label="training loss")
        self.ax_loss.set_title("Training loss (mean E per sample, eq. 4.9)", fontsize=10)
        self.ax_loss.set_xlabel("epoch")
        self.error_lines = {
            name: self.ax_error.plot([], [], "o-", color=color, ms=3, label=label)[0]
            for name, label, color in (("train_error", "training set", "tab:orange"),
                                       ("validation_error", "validation set", "tab:blue"),
                                       ("test_error", "test set", "tab:green"))
        }
        self.ax_error.set_title("Error rate", fontsize=10)
        self.ax_error.set_xlabel("epoch")
        self.ax_error.set_ylabel("error rate (%)")
        for i, (epoch, label) in enumerate(marks):
            color = self._COLORS[i % len(self._COLORS)]
            for ax in (self.ax_loss, self.ax_error):
                ax.axvline(epoch, color=color, linestyle="--", linewidth=1.2,
                           label=label if ax is self.ax_error else None)
        for ax in (self.ax_loss, self.ax_error):
            ax.grid(alpha=0.3)
            ax.xaxis.get_major_locator().set_params(integer=True)
        self.log_loss = None
        self.legend_for = None

    def fill(self, history, title):
        """Put the data of ``history`` into the lines, rescale, retitle."""
        self.loss_line.set_data(history.epoch, history.train_loss)
        log_loss = bool(history.train_loss) and min(history.train_loss) > 0
        if log_loss != self.log_loss:
            self.log_loss = log_loss
            if log_loss:
                self.ax_loss.set_yscale("log")  # the first epoch's loss would squash the rest
                plain_log_ticks(self.ax_loss)
            else:
                self.ax_loss.set_yscale("linear")
            self.ax_loss.set_ylabel("loss E (log scale)" if log_loss else "loss E")
        shown = []
        for name, line in self.error_lines.items():
            epochs, errors = _error_series(history, name)
            line.set_data(epochs, errors)
            line.set_visible(bool(epochs))
            if epochs:
                shown.append(name)
        for ax in (self.ax_loss, self.ax_error):
            ax.relim(visible_only=True)
            ax.autoscale_view()
        last_epoch = history.epoch[-1] if history.epoch else 0
        right = max(last_epoch, *(m[0] for m in self.marks), 1) + 0.5
        for ax in (self.ax_loss, self.ax_error):
            ax.set_xlim(0, right)
        if shown != self.legend_for:  # the legend lists only the curves that have data
            self.legend_for = shown
            handles, labels = self.ax_error.get_legend_handles_labels()
            keep = [(h, l) for h, l in zip(handles, labels) if h.get_visible()]
            legend = self.ax_error.get_legend()
            if legend is not None:
                legend.remove()
            if keep:
                self.ax_error.legend(*zip(*keep), fontsize=9, loc="upper right")
        if title is None:
            title = f"epoch {last_epoch}"
            for name in ("validation_error", "test_error"):
                epochs, errors = _error_series(history, name)
                if errors:
                    title += f": {name.split('_')[0]} error {errors[-1]:.2f}% (measured at epoch {epochs[-1]})"
                    break
        self.figure.suptitle(title, fontsize=11)


def draw_history(figure, history, *, marks=(), title=None, tight=True):
    """Draw the loss and error-rate curves of ``history`` into ``figure`` (cleared first).

    Inputs:
    - figure: a matplotlib Figure; two axes are made in it (loss, error rate).
    - history: a ``bpcourse.core.training.History`` (lists ``epoch``, ``train_loss``
      of equal length; ``eval_epoch``, ``train_error``, ``test_error`` of equal
      length, error entries may be None when that set was not evaluated).
    - marks: (epoch, label) pairs drawn as dashed vertical lines on both axes,
      for example ``[(6, "interrupted")]``.
    - title: the figure's title; by default the last epoch and test error.
    - tight: lay the figure out with ``tight_layout``; if False, fixed margins
      are used.

    The loss is drawn on a log scale (when all losses are positive), the error
    rates in percent. Returns (ax_loss, ax_error).
    """
    _check_history(history)
    marks = _check_marks(marks)
    figure.clear()
    curves = _Curves(figure, marks)
    curves.fill(history, title)
    _layout(figure, tight)
    return curves.ax_loss, curves.ax_error


def _layout(figure, tight):
    if tight:
        figure.tight_layout()
    else:
        figure.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.84, wspace=0.2)


def plot_history(history, *, marks=(), title=None, figsize=(11, 3.8)):
    """Draw the curves of ``history`` as a pyplot figure (call ``plt.show()`` after).

    Same drawing as :class:`LivePlot`, for a finished run; ``marks`` are
    (epoch, label) pairs drawn as vertical lines. Returns the Figure.
    """
    figure = plt.figure(figsize=figsize)
    draw_history(figure, history, marks=marks, title=title)
    return figure


def _ipython_display():
    """IPython's ``display`` when running inside IPython, else None."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython is a dependency of the course
        return None
    return display if get_ipython() is not None else None


class LivePlot:
    """A ``fit`` callback that redraws loss and error curves after each epoch.

    Usage::

        live = LivePlot()
        history = fit(network, X, T, y, validation=(X_val, y_val), epochs=10, rate=1.0,
                      callbacks=[live])

    Parameters:
    - marks: (epoch, label) pairs drawn as dashed vertical lines (e.g. where
      an earlier run was interrupted).
    - title: fixed figure title; by default it shows the last epoch and validation
      (else test) error.
    - figsize, dpi: size of the picture (the default is 935 x 340 pixels).
    - display_function: how to show the picture; by default IPython's
      ``display`` inside IPython and nothing elsewhere. It is called as
      ``display_function(bundle, raw=True, display_id=True)`` once and must
      return a handle with ``update(bundle, raw=True)``.

    Attributes: ``figure`` (the reused Figure), ``handle`` (the display
    handle, None before the first call), ``redraws`` (number of redraws),
    ``last_epoch``.
    """

    CSS_CLASS = "bpcourse-live-plot"

    def __init__(self, *, marks=(), title=None, figsize=(11, 4.0), dpi=85,
                 display_function=None):
        self.marks = _check_marks(marks)
        self.title = title
        self.dpi = dpi
        self.figure = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(self.figure)
        self._display = display_function if display_function is not None else _ipython_display()
        self._curves = None
        self.handle = None
        self.redraws = 0
        self.last_epoch = None

    def __call__(self, history, network=None):
        """Redraw from ``history`` (``network`` is unused; ``fit`` passes it)."""
        self.update(history)

    def update(self, history):
        """Redraw the figure from ``history`` and replace the displayed picture."""
        _check_history(history)
        if self._curves is None:
            self._curves = _Curves(self.figure, self.marks)
            _layout(self.figure, tight=False)
        self._curves.fill(history, self.title)
        self.last_epoch = history.epoch[-1] if history.epoch else 0
        self.redraws += 1
        if self._display is None:
            return
        bundle = self.bundle()
        if self.handle is None:
            self.handle = self._display(bundle, raw=True, display_id=True)
        else:
            self.handle.update(bundle, raw=True)

    def png(self):
        """The current picture as PNG bytes."""
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=self.dpi)
        return buffer.getvalue()

    def bundle(self):
        """The MIME bundle shown in the notebook: text/html, image/png and text/plain."""
        encoded = base64.b64encode(self.png()).decode("ascii")
        epoch = self.last_epoch if self.last_epoch is not None else 0
        html = (
            f'<div class="{self.CSS_CLASS}" data-epoch="{epoch}">'
            f'<img alt="live training plot, epoch {epoch}" '
            f'src="data:image/png;base64,{encoded}"></div>'
        )
        return {
            "text/html": html,
            "image/png": encoded,
            "text/plain": f"<live training plot, epoch {epoch}>",
        }

    def close(self):
        """Forget the figure's contents (the displayed picture stays)."""
        self.figure.clear()
        self._curves = None
