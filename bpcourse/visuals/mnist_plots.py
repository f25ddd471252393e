"""Pictures of MNIST, of what a network learned from it, and of what training it costs (notebooks 06, 07).

Images are rows of 784 pixels in [0, 1], read row by row from a 28 x 28 picture (as
``bpcourse.core.data.load_mnist`` returns them). Every ``plot_*`` function draws a pyplot figure and returns it;
call ``plt.show()`` after. The numbers behind the pictures (:func:`confusion_matrix`,
:func:`most_confidently_wrong`) are separate functions, for notebooks to assert on; the timing charts of
notebook 07 (:func:`plot_seconds_per_sample`, :func:`plot_cost_growth`) only draw what the notebook measured.
"""

import numpy as np
import matplotlib.pyplot as plt
from matplotlib.ticker import FormatStrFormatter, LogLocator

from bpcourse.core.data import N_CLASSES
from bpcourse.core.validation import check_labels

__all__ = ["as_image", "plot_digit_grid", "plot_label_distribution", "confusion_matrix", "plot_confusion_matrix",
           "most_confidently_wrong", "plot_confidently_wrong", "plot_hidden_weights", "plot_seconds_per_sample",
           "plot_cost_growth", "plain_log_ticks"]

SIDE = 28
N_PIXELS = SIDE * SIDE


def as_image(x):
    """Turn one flat image (784,) into a (28, 28) array, row by row."""
    x = np.asarray(x)
    if x.size != N_PIXELS:
        raise ValueError(f"expected one MNIST image of {N_PIXELS} pixels (shape (784,)); got shape {x.shape}")
    return x.reshape(SIDE, SIDE)


def _check_images(X, name="X"):
    """Return X as a 2-D array of shape (N, 784), or raise ValueError."""
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != N_PIXELS:
        raise ValueError(f"{name} must be a batch of flat images of shape (N, 784); got shape {X.shape}")
    return X


def _check_labels(y, n=None, name="y"):
    """Return y as a 1-D int array of digits 0-9 (of length n if given), or raise ValueError."""
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"expected {name} of shape (n,), one digit label per image, got shape {y.shape}")
    return check_labels(y, len(y) if n is None else n, name, N_CLASSES)


def _image_grid(n, cols, width, height):
    """A figure for n pictures of ``width`` x ``height`` inches, at most ``cols`` a row; returns it and n axes."""
    cols = max(1, min(cols, n))
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows + 0.6), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    return fig, axes.ravel()[:n]


def _finish(fig, title, fontsize=12):
    fig.suptitle(title, fontsize=fontsize)
    fig.tight_layout()
    return fig


def plot_digit_grid(X, y, *, indices=None, n=30, cols=10, predicted=None, rng=None,
                    title="Sample training digits and their labels"):
    """Draw images X (N, 784) in a grid, each titled with its label y (N,) (and ``predicted`` label, red if wrong):
    those of ``indices``, by default ``n`` chosen with ``rng`` (a Generator or a seed; None: the first ``n``)."""
    X = _check_images(X)
    y = _check_labels(y, len(X))
    if indices is None:
        n = min(n, len(X))
        indices = np.arange(n) if rng is None else np.random.default_rng(rng).choice(len(X), size=n, replace=False)
    indices = np.asarray(indices, dtype=int)
    if len(indices) == 0:
        raise ValueError("nothing to draw: indices is empty")
    predicted = None if predicted is None else _check_labels(predicted, len(X), name="predicted")
    fig, axes = _image_grid(len(indices), cols, 1.1, 1.3)
    for ax, i in zip(axes, indices):
        ax.imshow(as_image(X[i]), cmap="gray_r", vmin=0, vmax=1)
        if predicted is None:
            ax.set_title(f"{y[i]}", fontsize=11)
        else:
            wrong = predicted[i] != y[i]
            ax.set_title(f"{y[i]} → {predicted[i]}", fontsize=10, color="tab:red" if wrong else "black")
    return _finish(fig, title)


def plot_label_distribution(y_train, y_test=None, *, title="How often each digit occurs"):
    """Bar chart of the share of each digit 0-9 in y_train (N,) and, beside it, y_test (M,)."""
    y_train = _check_labels(y_train, name="y_train")
    sets = [("training set", y_train, "tab:blue")]
    if y_test is not None:
        sets.append(("test set", _check_labels(y_test, name="y_test"), "tab:green"))
    digits = np.arange(N_CLASSES)
    width = 0.8 / len(sets)
    fig, ax = plt.subplots(figsize=(9, 3.8))
    for k, (name, labels, color) in enumerate(sets):
        counts = np.bincount(labels, minlength=N_CLASSES)
        share = 100.0 * counts / counts.sum()
        ax.bar(digits + (k - (len(sets) - 1) / 2) * width, share, width=width, color=color,
               label=f"{name} ({len(labels):,} images)")
    ax.axhline(100.0 / N_CLASSES, color="gray", linestyle=":", label="uniform (10%)")
    ax.set(xticks=digits, xlabel="digit (label)", ylabel="share of the images (%)", title=title)
    ax.set_ylim(0, ax.get_ylim()[1] * 1.3)  # room for the legend above the bars
    ax.legend(fontsize=9, loc="upper center", ncol=len(sets) + 1)
    fig.tight_layout()
    return fig


def confusion_matrix(y_true, y_pred, n_classes=N_CLASSES):
    """C (n_classes, n_classes), C[i, j] = how many images of digit i (in y_true (N,)) y_pred (N,) calls j.

    The diagonal holds the correct ones, so the error rate is 1 - trace(C) / C.sum().
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true and y_pred must be 1-D arrays of the same length; "
                         f"got shapes {y_true.shape} and {y_pred.shape}")
    for name, labels in (("y_true", y_true), ("y_pred", y_pred)):
        if not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"{name} must hold integer labels; got dtype {labels.dtype}")
        if len(labels) and (labels.min() < 0 or labels.max() >= n_classes):
            raise ValueError(f"{name} must hold labels 0..{n_classes - 1}; "
                             f"got values from {labels.min()} to {labels.max()}")
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (y_true, y_pred), 1)
    return counts


def plot_confusion_matrix(C, *, title="Confusion matrix on the test set"):
    """Draw a confusion matrix C (10, 10) with the counts written in each cell; the color scale hides the diagonal
    (it is much larger than the rest) so that the mistakes stand out, its counts are still written."""
    C = np.asarray(C)
    if C.ndim != 2 or C.shape[0] != C.shape[1]:
        raise ValueError(f"C must be a square matrix; got shape {C.shape}")
    n = C.shape[0]
    off = C.astype(float)
    np.fill_diagonal(off, np.nan)
    fig, ax = plt.subplots(figsize=(7.2, 6.2))
    image = ax.imshow(off, cmap="Reds", vmin=0)
    for i, j in zip(*np.nonzero(C)):
        ax.text(j, i, str(C[i, j]), ha="center", va="center", fontsize=8, color="tab:blue" if i == j else "black")
    ax.set(xticks=range(n), yticks=range(n), xlabel="predicted digit", ylabel="true digit")
    errors = C.sum() - np.trace(C)
    ax.set_title(f"{title}\n({errors} mistakes in {C.sum()} images; color = mistakes only)", fontsize=11)
    fig.colorbar(image, ax=ax, label="number of images (off the diagonal)")
    fig.tight_layout()
    return fig


def most_confidently_wrong(outputs, y, k=12):
    """Indices of the (at most) k wrongly classified images the network was most sure about, most sure first.

    ``outputs`` (N, 10) (the prediction is the argmax), ``y`` (N,). The confidence of a wrong prediction is the
    output of the predicted digit minus that of the true digit (large: sure and wrong)."""
    outputs = np.asarray(outputs)
    if outputs.ndim != 2 or outputs.shape[1] != N_CLASSES:
        raise ValueError(f"outputs must have shape (N, 10); got {outputs.shape}")
    y = _check_labels(y, len(outputs))
    predicted = outputs.argmax(axis=1)
    wrong = np.flatnonzero(predicted != y)
    rows = np.arange(len(outputs))
    margin = outputs[rows, predicted] - outputs[rows, y]
    order = np.argsort(-margin[wrong], kind="stable")
    return wrong[order[:k]]


def plot_confidently_wrong(X, y, outputs, *, k=12, cols=6,
                           title="The test digits the network got wrong most confidently"):
    """Draw the k most confidently wrong images of X (N, 784) with true label y (N,), prediction and outputs (N, 10)."""
    X = _check_images(X)
    outputs = np.asarray(outputs)
    indices = most_confidently_wrong(outputs, y, k)
    if len(indices) == 0:
        raise ValueError("the network made no mistakes on these images: nothing to draw")
    fig, axes = _image_grid(len(indices), cols, 1.7, 2.0)
    for ax, i in zip(axes, indices):
        p = int(outputs[i].argmax())
        ax.imshow(as_image(X[i]), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"true {y[i]}, said {p}\ny[{p}]={outputs[i, p]:.2f}, y[{y[i]}]={outputs[i, y[i]]:.2f}",
                     fontsize=8.5)
    return _finish(fig, title)


def plot_hidden_weights(W, *, units=None, n=24, cols=8,
                        title="Weights of hidden units into the 784 input pixels"):
    """Draw rows of the first-layer weights W (hidden, 784) (row j: into hidden unit j) as 28 x 28 pictures, of
    ``units`` (default: the first ``n``), each on its own symmetric color scale: red = positive weight (ink
    there excites the unit), blue = negative."""
    W = np.asarray(W)
    if W.ndim != 2 or W.shape[1] != N_PIXELS:
        raise ValueError(f"W must be first-layer weights of shape (hidden, 784); got shape {W.shape}")
    units = np.asarray(np.arange(min(n, W.shape[0])) if units is None else units, dtype=int)
    fig, axes = _image_grid(len(units), cols, 1.3, 1.4)
    for ax, j in zip(axes, units):
        limit = np.abs(W[j]).max() or 1.0
        ax.imshow(as_image(W[j]), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(f"unit {j}", fontsize=9)
    return _finish(fig, title + "\n(red: positive, blue: negative; each unit on its own scale)", fontsize=11)


def _check_positive(values, name):
    """Return ``values`` as a 1-D float array of positive finite numbers, or raise ValueError."""
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or len(values) == 0 or not np.all(np.isfinite(values) & (values > 0)):
        raise ValueError(f"{name} must be a non-empty list of positive numbers; got {values!r}")
    return values


def plot_seconds_per_sample(timings, *, reference=None,
                            title="One training step of the 784-300-10 network, per sample"):
    """Horizontal bar chart (log scale) of ``timings``, a dict name -> seconds per training sample; each bar says
    how many times faster it is than ``reference`` (default: the slowest)."""
    names = list(timings)
    seconds = _check_positive([timings[name] for name in names], "timings")
    if reference is None:
        reference = names[int(np.argmax(seconds))]
    if reference not in timings:
        raise ValueError(f"reference must be one of {names}; got {reference!r}")
    base = timings[reference]
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    fig, ax = plt.subplots(figsize=(10, 0.55 * len(names) + 1.6))
    bars = ax.barh(names, seconds, color=[colors[(i + 3) % len(colors)] for i in range(len(names))])
    ax.set_xscale("log")
    ax.invert_yaxis()
    for bar, value in zip(bars, seconds):
        ax.text(value * 1.15, bar.get_y() + bar.get_height() / 2,
                f"{1e6 * value:,.1f} µs  ({base / value:,.0f}x)", va="center", fontsize=9)
    ax.set(xlim=(seconds.min() / 3, seconds.max() * 30), xlabel="seconds per training sample (log scale)")
    ax.set_title(f"{title}\n(measured on this machine; in brackets: how many times faster than "
                 f"'{reference}')", fontsize=11)
    fig.tight_layout()
    return fig


def plain_log_ticks(ax):
    """Label a log-scaled y axis with plain numbers (0.02, 0.05, 0.1 ...) instead of powers of ten."""
    ax.yaxis.set_minor_locator(LogLocator(base=10, subs=(2.0, 5.0)))
    ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(FormatStrFormatter("%g"))
    ax.tick_params(axis="y", which="minor", labelsize=8)


def plot_cost_growth(hidden_sizes, epoch_by_hidden, batch_sizes, epoch_by_batch, *, subset,
                     n_train=60000, n_in=784, n_out=10):
    """Seconds per epoch against hidden neurons m of networks n_in-m-n_out (left) and against batch size (right).

    ``hidden_sizes``, ``epoch_by_hidden`` (H,), ``batch_sizes``, ``epoch_by_batch`` (B,): ``subset`` samples timed,
    extrapolated to ``n_train``. The points on the left are labeled with the weights, m (n_in + 1) + n_out (m + 1).
    """
    hidden_sizes = _check_positive(hidden_sizes, "hidden_sizes")
    epoch_by_hidden = _check_positive(epoch_by_hidden, "epoch_by_hidden")
    batch_sizes = _check_positive(batch_sizes, "batch_sizes")
    epoch_by_batch = _check_positive(epoch_by_batch, "epoch_by_batch")
    if len(hidden_sizes) != len(epoch_by_hidden) or len(batch_sizes) != len(epoch_by_batch):
        raise ValueError(f"each list of sizes needs one time per size; got {len(hidden_sizes)} and "
                         f"{len(epoch_by_hidden)}, {len(batch_sizes)} and {len(epoch_by_batch)}")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.4))
    ax1.plot(hidden_sizes, epoch_by_hidden, "o-")
    labeled = -np.inf
    for m, seconds in zip(hidden_sizes, epoch_by_hidden):
        if m - labeled < 0.12 * hidden_sizes.max():
            continue  # too close to the last label: it would overlap
        labeled = m
        weights = int(m) * (n_in + 1) + n_out * (int(m) + 1)
        last = m == hidden_sizes.max()
        ax1.annotate(f"{weights:,} weights", (m, seconds), textcoords="offset points",
                     xytext=(-8, 0) if last else (8, -6), ha="right" if last else "left",
                     va="center" if last else "top", fontsize=8)
    ax1.set(xlim=(0, hidden_sizes.max() * 1.05), ylim=(0, epoch_by_hidden.max() * 1.15),
            xlabel=f"hidden neurons m (network {n_in}-m-{n_out})", ylabel="seconds per epoch (extrapolated)",
            title="Cost against hidden-layer size")
    ax2.plot(batch_sizes, epoch_by_batch, "o-", color="tab:green")
    ax2.set_xscale("log", base=2)
    ax2.set_yscale("log")
    ax2.set_xticks(batch_sizes, [f"{b:g}" for b in batch_sizes])
    plain_log_ticks(ax2)
    ax2.set(xlabel="batch size (log scale)", ylabel="seconds per epoch (extrapolated, log scale)",
            title="Cost against batch size")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    return _finish(fig, f"Timed on {subset:,} training samples, extrapolated to an epoch of {n_train:,}", fontsize=11)
