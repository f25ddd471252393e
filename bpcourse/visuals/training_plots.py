"""Pictures of training going right and wrong (notebook 08): error curves, bars, gradient sizes, one neuron.

Every ``plot_*`` function only draws numbers the notebook has measured and returns the figure (call
``plt.show()`` after). Error rates are given as fractions in [0, 1] and drawn in percent. Every figure has a
title, axis labels and units.
"""

import numpy as np
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

__all__ = ["CHANCE_ERROR", "plot_error_curves", "plot_learning_curves", "plot_bars", "plot_gradient_sizes",
           "plot_neuron_learning"]

CHANCE_ERROR = 0.9  # the error rate of guessing one of 10 digits (drawn as a dashed line)


def _series(name, x, values):
    """(x, values) as float arrays of the same length >= 1, or ValueError naming the curve."""
    x, values = np.asarray(x, dtype=np.float64), np.asarray(values, dtype=np.float64)
    if x.ndim != 1 or values.shape != x.shape or len(x) == 0:
        raise ValueError(f"expected curve {name!r} as (epochs, values) of the same length >= 1, "
                         f"got shapes {x.shape} and {values.shape}")
    return x, values


def _check_mapping(curves, what):
    if not isinstance(curves, dict) or not curves:
        raise ValueError(f"expected {what} as a non-empty dict label -> data, got {type(curves).__name__}")


def plot_error_curves(curves, *, title, ylabel="validation error (%)", xlabel="epoch", chance=True, ax=None):
    """One line per curve: error rate (in percent) against epochs; returns the figure.

    ``curves``: dict label -> (epochs, error rates in [0, 1]), e.g. ``{"rate 0.1": (history.eval_epoch,
    history.test_error)}``; ``chance`` draws the 90% error of guessing as a dashed line; ``ax``: default a new figure.
    """
    _check_mapping(curves, "curves")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.2))
    for label, (x, errors) in curves.items():
        x, errors = _series(label, x, errors)
        ax.plot(x, 100 * errors, marker="o", markersize=4, label=str(label))
    if chance:
        ax.axhline(100 * CHANCE_ERROR, color="gray", linestyle="--", linewidth=1, label="guessing (90%)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return ax.figure


def plot_learning_curves(runs, *, title, xlabel="epoch"):
    """Training error and validation error against epochs side by side, one line per run; returns the figure.

    ``runs``: dict label -> (epochs, training errors, validation errors), errors in [0, 1].
    """
    _check_mapping(runs, "runs")
    for label, run in runs.items():
        if len(run) != 3:
            raise ValueError(f"expected run {label!r} as (epochs, training errors, validation errors)")
    figure, panels = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for index, (panel, name) in enumerate(zip(panels, ("training", "validation")), start=1):
        plot_error_curves({label: (run[0], run[index]) for label, run in runs.items()}, title=f"{name} error",
                          ylabel=f"{name} error (%)", xlabel=xlabel, chance=False, ax=panel)
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_bars(values, *, title, ylabel, xlabel, ax=None):
    """One bar per entry of ``values`` (dict label -> a fraction in [0, 1], drawn in percent), its value written
    on top; returns the figure."""
    _check_mapping(values, "values")
    numbers = np.asarray(list(values.values()), dtype=np.float64)
    if numbers.ndim != 1 or not np.isfinite(numbers).all():
        raise ValueError(f"expected one finite number per bar, got {list(values.values())!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(max(5, 1.4 * len(values)), 3.8))
    positions = np.arange(len(values))
    ax.bar(positions, 100 * numbers, color="tab:blue")
    for x, value in zip(positions, 100 * numbers):
        ax.annotate(f"{value:.1f}%", (x, value), ha="center", va="bottom", fontsize=8, xytext=(0, 2),
                    textcoords="offset points")
    ax.set_xticks(positions, [str(label) for label in values], fontsize=8)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.margins(y=0.15)
    return ax.figure


def plot_gradient_sizes(sizes, *, title, ylabel="size of dE/dW (root mean square, log scale)"):
    """The size of dE/dW per layer (log scale), one line per entry of ``sizes``, a dict label -> one positive
    number per layer, input side first (e.g. :func:`bpcourse.core.diagnostics.gradient_sizes`); returns the figure."""
    _check_mapping(sizes, "sizes")
    figure, ax = plt.subplots(figsize=(8, 4.2))
    for label, per_layer in sizes.items():
        per_layer = np.asarray(per_layer, dtype=np.float64)
        if per_layer.ndim != 1 or not (per_layer > 0).all():
            raise ValueError(f"expected the sizes of {label!r} as positive numbers, one per layer")
        layers = np.arange(1, len(per_layer) + 1)
        ax.plot(layers, per_layer, marker="o", label=str(label))
        ax.set_xticks(layers)
    ax.set_yscale("log")
    ax.set(title=title, xlabel="layer of weights (1 = next to the input)", ylabel=ylabel)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return figure


def plot_neuron_learning(records, *, title):
    """One neuron learning: its output y and its loss E against gradient steps; returns the figure.

    ``records``: dict label -> a record of :func:`bpcourse.core.single_neuron.train_neuron` (a dict with arrays
    ``"output"`` and ``"loss"``, index 0 the start).
    """
    _check_mapping(records, "records")
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    for label, record in records.items():
        steps, output = _series(label, np.arange(len(record["output"])), record["output"])
        left.plot(steps, output, label=str(label))
        right.plot(steps, _series(label, steps, record["loss"])[1], label=str(label))
    left.set_ylim(-0.02, 1.02)
    for ax, name, ylabel in ((left, "output", "output y (target 0)"), (right, "loss", "loss E")):
        ax.set(title=name, xlabel="gradient step (epoch of one sample)", ylabel=ylabel)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    figure.suptitle(title)
    figure.tight_layout()
    return figure
