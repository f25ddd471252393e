"""Pictures of a gradient check (notebook 05, eq. 5.1-5.4).

Each function draws what a :class:`bpcourse.core.gradcheck.GradientCheckReport` says or, for the choice of the
step epsilon, the errors the notebook measured: they only draw, the notebook computes and asserts. Every
``plot_*`` function makes a pyplot figure and returns it; call ``plt.show()`` after. Relative errors are drawn
on log scales, clipped from below (an error of exactly 0 cannot be drawn on a log scale).
"""

import numpy as np
import matplotlib.pyplot as plt
from matplotlib.colors import LogNorm

from bpcourse.core.gradcheck import GradientCheckReport
from bpcourse.core.validation import is_positive_number

__all__ = ["plot_check_scatter", "plot_error_against_size", "plot_error_against_epsilon", "plot_relative_error_maps"]

SMALLEST_ERROR = 1e-12  # relative errors are drawn from here up to 1


def _check_report(report, name="report"):
    if not isinstance(report, GradientCheckReport):
        raise TypeError(f"expected {name} to be a GradientCheckReport (what bpcourse.core.gradcheck.gradient_check "
                        f"returns), got {type(report).__name__}")
    if len(report) == 0:
        raise ValueError(f"expected {name} to hold at least one checked weight, got an empty report")


def _check_threshold(threshold):
    if not is_positive_number(threshold):
        raise ValueError(f"expected threshold to be a positive number such as 1e-5, got {threshold!r}")
    return float(threshold)


def plot_check_scatter(reports, wrong, threshold, title=None):
    """Analytic against numeric gradient (left) and each weight's relative error (right) of ``reports``, 1 to 3
    checks of correct backward passes (e.g. ``{"object network": ..., "vectorized network": ...}``), and of
    ``wrong``, the check of a wrong one (gray), all on the same weights; ``threshold`` (a red line) separates them."""
    if not isinstance(reports, dict) or not 1 <= len(reports) <= 3:
        raise ValueError(f"expected reports to be a dict of 1 to 3 labeled reports, got {reports!r:.80}")
    for label, report in reports.items():
        _check_report(report, f"reports[{label!r}]")
    _check_report(wrong, "wrong")
    threshold = _check_threshold(threshold)
    sizes = {len(report) for report in reports.values()} | {len(wrong)}
    if len(sizes) != 1:
        raise ValueError(f"expected every report to check the same weights, got reports of {sorted(sizes)} weights")

    first = next(iter(reports.values()))
    norm = LogNorm(vmin=SMALLEST_ERROR, vmax=1)
    markers = ["o", "x", "^"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.5), layout="constrained")
    index = np.arange(len(first))
    left.scatter(wrong.numeric, wrong.analytic, marker="s", s=40, facecolors="none", edgecolors="gray",
                 label="a wrong backward pass")
    for (label, report), marker in zip(reports.items(), markers):
        clipped = np.maximum(report.relative_error, SMALLEST_ERROR)  # 0 cannot be drawn on a log scale
        points = left.scatter(report.numeric, report.analytic, c=clipped, norm=norm, cmap="viridis", marker=marker,
                              s=60, label=label)
        right.semilogy(index, clipped, marker, label=label)
    limit = 1.1 * np.abs(np.concatenate([wrong.analytic, first.numeric])).max()
    left.plot([-limit, limit], [-limit, limit], color="black", lw=0.8, label="analytic = numeric")
    left.set(xlabel="numeric gradient dE/dw, eq. 5.4 (no unit)",
             ylabel="analytic gradient dE/dw, backward pass (no unit)",
             title=f"Analytic against numeric gradient, {len(first)} weights")
    left.legend(fontsize=9, loc="upper left")
    fig.colorbar(points, ax=left, label="relative error (log scale)")

    right.semilogy(index, np.maximum(wrong.relative_error, SMALLEST_ERROR), "s", mfc="none", color="gray",
                   label="a wrong backward pass")
    right.axhline(threshold, color="red", ls="--", label=f"threshold {threshold:g}: right below, wrong above")
    step = max(1, len(first) // 13)
    right.set_xticks(index[::step], [row["weight"] for row in first.rows()][::step], rotation=60, fontsize=8)
    right.set(xlabel="weight (layer, row j, column i; b = bias)", ylim=(SMALLEST_ERROR, 3),
              ylabel="relative error |a - n| / (|a| + |n|) (log scale)",
              title=f"Relative error per weight (epsilon = {first.epsilon:g})")
    right.legend(fontsize=9, loc="center", bbox_to_anchor=(0.5, 0.39))  # between the two groups of points
    if title is not None:
        fig.suptitle(title)
    return fig


def plot_error_against_size(report, threshold, title="The check of a correct backward pass"):
    """Relative error (left) and absolute error |a - n| (right) of each weight against the size of its gradient:
    tiny gradients have large relative errors although their absolute errors are tiny."""
    _check_report(report)
    threshold = _check_threshold(threshold)
    size = np.abs(report.numeric)
    absolute = np.abs(report.analytic - report.numeric)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
    left.loglog(size, np.maximum(report.relative_error, 1e-14), "o", ms=4)
    left.axhline(threshold, color="red", ls="--", label=f"threshold {threshold:g}")
    left.set(xlabel="size of the gradient |dE/dw| (no unit)", ylabel="relative error (log scale)",
             title="Relative error: large for tiny gradients")
    left.legend()
    right.loglog(size, np.maximum(absolute, 1e-18), "o", ms=4, color="C1")
    right.set(xlabel="size of the gradient |dE/dw| (no unit)", ylabel="absolute error |a - n| (no unit, log scale)",
              title="Absolute error: tiny everywhere")
    fig.suptitle(f"{title} ({len(report)} weights)")
    return fig


def plot_error_against_epsilon(epsilons, median_error, max_error, threshold,
                               title="Gradient check: error against the step"):
    """The relative error of a check against its step epsilon: the "V" of truncation and round-off.

    ``epsilons`` (K,), from large to small; ``median_error``, ``max_error`` (K,) over the checked weights at each
    step. Guide lines of slope 2 (truncation, through the measured median nearest epsilon = 1e-2) and slope -1
    (round-off, through the smallest epsilon) are drawn dashed and dotted."""
    epsilons, median_error, max_error = (np.asarray(a, dtype=np.float64) for a in (epsilons, median_error, max_error))
    if epsilons.ndim != 1 or len(epsilons) < 2 or not np.all(epsilons > 0):
        raise ValueError(f"expected epsilons to be at least 2 positive steps in a 1-D array, got {epsilons!r:.80}")
    for name, values in (("median_error", median_error), ("max_error", max_error)):
        if values.shape != epsilons.shape:
            raise ValueError(f"expected {name} to have the shape of epsilons, {epsilons.shape}, got {values.shape}")
    threshold = _check_threshold(threshold)
    at_1e2 = int(np.argmin(np.abs(np.log10(epsilons) + 2)))
    smallest = int(np.argmin(epsilons))
    truncation = median_error[at_1e2] * (epsilons / epsilons[at_1e2]) ** 2
    round_off = median_error[smallest] * (epsilons[smallest] / epsilons)

    fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
    ax.loglog(epsilons, max_error, "o-", label="largest over the weights")
    ax.loglog(epsilons, median_error, "s-", label="median over the weights")
    ax.loglog(epsilons, truncation, "k--", lw=0.8, label=r"truncation $\propto \epsilon^2$")
    ax.loglog(epsilons, round_off, "k:", lw=1.0, label=r"round-off $\propto u/\epsilon$")
    ax.axvspan(1e-6, 1e-4, color="green", alpha=0.12, label=r"$\epsilon$ from $10^{-6}$ to $10^{-4}$")
    ax.axhline(threshold, color="red", ls="--", lw=1, label=f"threshold {threshold:g}")
    ax.set_ylim(SMALLEST_ERROR, 1e-1)
    ax.invert_xaxis()
    ax.set(xlabel=r"step $\epsilon$ of eq. 5.4 (no unit), smaller to the right",
           ylabel="relative error, analytic vs. numeric (log scale)", title=title)
    ax.legend(fontsize=9)
    return fig


def plot_relative_error_maps(report, threshold, title):
    """One heat map per layer of each weight's relative error (the bias in the last column); weights at or above
    ``threshold`` are crossed in red, so the pattern of wrong weights shows where a backward pass goes wrong."""
    _check_report(report)
    threshold = _check_threshold(threshold)
    n_layers = int(report.layer.max()) + 1
    fig, axes = plt.subplots(1, n_layers, figsize=(4.3 * n_layers, 4.2), layout="constrained")
    for l, ax in enumerate(np.atleast_1d(axes)):
        mask = report.layer == l
        n_out, n_in = report.row[mask].max() + 1, report.col[mask].max() + 1
        errors = np.full((n_out, n_in + 1), np.nan)  # weights not checked stay blank
        errors[report.row[mask], np.where(report.col[mask] < 0, n_in, report.col[mask])] = report.relative_error[mask]
        image = ax.imshow(np.maximum(errors, SMALLEST_ERROR), norm=LogNorm(vmin=SMALLEST_ERROR, vmax=1), cmap="viridis")
        wrong = np.argwhere(errors >= threshold)
        ax.plot(wrong[:, 1], wrong[:, 0], "x", color="red", ms=10, mew=2)
        ax.set_xticks(range(n_in + 1), [str(i) for i in range(n_in)] + ["b"])
        ax.set(yticks=range(n_out), xlim=(-0.5, n_in + 0.5), ylim=(n_out - 0.5, -0.5),
               xlabel="input i of the layer (b = bias)", ylabel="node j")
        ax.set_title(f"layer {l}: W {n_out}x{n_in} and b\n{len(wrong)} of {int(mask.sum())} above {threshold:g}")
    fig.colorbar(image, ax=axes, label="relative error (log scale)", shrink=0.9)
    fig.suptitle(title)
    return fig
