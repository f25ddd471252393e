"""A live training plot: loss and error-rate curves redrawn after every epoch.

:class:`LivePlot` is a callback for :func:`bpcourse.core.training.fit` (``fit(..., callbacks=[LivePlot()])``).
After each epoch it draws the training loss (left) and the error rates on the training, validation and test sets
(right) from the ``History`` that ``fit`` keeps, and replaces the picture while the cell is still running: the
first call shows one output with ``display(..., display_id=True)``, every later call replaces it. No widget is
involved, so the final picture stays in a saved notebook. The output's ``text/html`` (the browser tests look
for it) is::

    <div class="bpcourse-live-plot" data-epoch="7"><img alt="live training plot, epoch 7" src="data:..."></div>

with ``image/png`` and ``text/plain`` for untrusted views and consoles; outside IPython nothing is displayed
unless a ``display_function`` is given. The figure is a bare :class:`matplotlib.figure.Figure`, never
registered with pyplot (it neither leaks nor shows twice); its axes and lines are made once, a redraw only
replaces the lines' data. :func:`plot_history` draws the same curves as a pyplot figure after training.
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
    """ValueError unless ``history`` has the list attributes of ``training.History``."""
    for field in _HISTORY_FIELDS:
        if not hasattr(history, field):
            raise ValueError(f"expected a bpcourse.core.training.History (with {', '.join(_HISTORY_FIELDS)}); "
                             f"got {type(history).__name__} without {field!r}")
    if len(history.epoch) != len(history.train_loss):
        raise ValueError(f"history.epoch and history.train_loss must have the same length; "
                         f"got {len(history.epoch)} and {len(history.train_loss)}")


def _check_marks(marks):
    """``marks`` as a list of (epoch, label) pairs, or ValueError."""
    marks = list(marks or ())
    for mark in marks:
        if isinstance(mark, str) or not hasattr(mark, "__len__") or len(mark) != 2:
            raise ValueError(f"a mark is an (epoch, label) pair; got {mark!r}")
    return [(float(epoch), str(label)) for epoch, label in marks]


def _error_series(history, name):
    """(epochs, errors in percent) of one error series, skipping evaluations without it."""
    values = getattr(history, name, None) or []  # a history from before validation sets has none
    pairs = [(epoch, 100.0 * value) for epoch, value in zip(history.eval_epoch, values) if value is not None]
    return [p[0] for p in pairs], [p[1] for p in pairs]


class _Curves:
    """The two axes of a training plot and their lines, made once and refilled (axes and ticks cost the most)."""

    _COLORS = ("tab:red", "tab:purple", "tab:brown", "tab:gray")

    def __init__(self, figure, marks):
        self.figure = figure
        self.marks = marks
        self.ax_loss, self.ax_error = figure.subplots(1, 2)
        self.loss_line, = self.ax_loss.plot([], [], "o-", color="tab:blue", ms=3, label="training loss")
        self.ax_loss.set_title("Training loss (mean E per sample, eq. 4.9)", fontsize=10)
        self.error_lines = {name: self.ax_error.plot([], [], "o-", color=color, ms=3, label=label)[0]
                            for name, label, color in (("train_error", "training set", "tab:orange"),
                                                       ("validation_error", "validation set", "tab:blue"),
                                                       ("test_error", "test set", "tab:green"))}
        self.ax_error.set_title("Error rate", fontsize=10)
        self.ax_error.set_ylabel("error rate (%)")
        for i, (epoch, label) in enumerate(marks):
            color = self._COLORS[i % len(self._COLORS)]
            self.ax_loss.axvline(epoch, color=color, linestyle="--", linewidth=1.2)
            self.ax_error.axvline(epoch, color=color, linestyle="--", linewidth=1.2, label=label)
        for ax in (self.ax_loss, self.ax_error):
            ax.set_xlabel("epoch")
            ax.grid(alpha=0.3)
            ax.xaxis.get_major_locator().set_params(integer=True)
        self.log_loss = self.legend_for = None

    def fill(self, history, title):
        """Put the data of ``history`` into the lines, rescale, retitle."""
        self.loss_line.set_data(history.epoch, history.train_loss)
        log_loss = bool(history.train_loss) and min(history.train_loss) > 0
        if log_loss != self.log_loss:
            self.log_loss = log_loss
            self.ax_loss.set_yscale("log" if log_loss else "linear")  # log: the first epoch's loss squashes the rest
            if log_loss:
                plain_log_ticks(self.ax_loss)
            self.ax_loss.set_ylabel("loss E (log scale)" if log_loss else "loss E")
        for name, line in self.error_lines.items():
            line.set_data(*_error_series(history, name))
            line.set_visible(len(line.get_xdata()) > 0)
        shown = [name for name, line in self.error_lines.items() if line.get_visible()]
        last_epoch = history.epoch[-1] if history.epoch else 0
        for ax in (self.ax_loss, self.ax_error):
            ax.relim(visible_only=True)
            ax.autoscale_view()
            ax.set_xlim(0, max(last_epoch, *(m[0] for m in self.marks), 1) + 0.5)
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


def draw_history(figure, history, *, marks=(), title=None):
    """Draw the curves of a ``bpcourse.core.training.History`` into ``figure`` (cleared first); returns the axes.

    The loss on a log scale (when all losses are positive), the error rates in percent (None: that set was not
    evaluated); ``marks``, (epoch, label) pairs such as ``[(6, "interrupted")]``, as dashed vertical lines;
    ``title`` by default the last epoch and validation (else test) error."""
    _check_history(history)
    figure.clear()
    curves = _Curves(figure, _check_marks(marks))
    curves.fill(history, title)
    figure.tight_layout()
    return curves.ax_loss, curves.ax_error


def plot_history(history, *, marks=(), title=None, figsize=(11, 3.8)):
    """:func:`draw_history` into a new pyplot figure, for a finished run; returns it (call ``plt.show()`` after)."""
    figure = plt.figure(figsize=figsize)
    draw_history(figure, history, marks=marks, title=title)
    return figure


class LivePlot:
    """A ``fit`` callback that redraws loss and error curves after each epoch: ``fit(..., callbacks=[LivePlot()])``.

    ``marks`` and ``title`` as in :func:`draw_history`. ``display_function`` (by default IPython's ``display``
    inside IPython, nothing elsewhere) is called as ``display_function(bundle, raw=True, display_id=True)``
    once and returns the ``handle`` whose ``update(bundle, raw=True)`` replaces the picture.
    """

    CSS_CLASS = "bpcourse-live-plot"

    def __init__(self, *, marks=(), title=None, figsize=(11, 4.0), dpi=85, display_function=None):
        self.title = title
        self.dpi = dpi
        self.figure = Figure(figsize=figsize, dpi=dpi)
        FigureCanvasAgg(self.figure)
        self._curves = _Curves(self.figure, _check_marks(marks))
        self.figure.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.84, wspace=0.2)
        if display_function is None:  # IPython's display inside IPython, else none
            from IPython import get_ipython
            from IPython.display import display
            display_function = display if get_ipython() is not None else None
        self._display = display_function
        self.handle = None
        self.redraws = 0
        self.last_epoch = None

    def __call__(self, history, network=None):
        """Redraw from ``history`` (``network`` is unused; ``fit`` passes it)."""
        self.update(history)

    def update(self, history):
        """Redraw the figure from ``history`` and replace the displayed picture."""
        _check_history(history)
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
        html = (f'<div class="{self.CSS_CLASS}" data-epoch="{epoch}">'
                f'<img alt="live training plot, epoch {epoch}" src="data:image/png;base64,{encoded}"></div>')
        return {"text/html": html, "image/png": encoded, "text/plain": f"<live training plot, epoch {epoch}>"}
