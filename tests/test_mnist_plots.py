"""The MNIST pictures: the numbers behind them are right, bad input is refused, figures are labelled."""

import matplotlib
import numpy as np
import pytest

from bpcourse.visuals import mnist_plots
from bpcourse.visuals.mnist_plots import (
    as_image,
    confusion_matrix,
    most_confidently_wrong,
    plot_confidently_wrong,
    plot_confusion_matrix,
    plot_digit_grid,
    plot_hidden_weights,
    plot_label_distribution,
)


def fake_images(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 784)), rng.integers(0, 10, size=n)


# ---- numbers -----------------------------------------------------------------------


def test_as_image_is_row_major():
    x = np.arange(784)
    image = as_image(x)
    assert image.shape == (28, 28)
    assert image[1, 0] == 28  # the second row starts at pixel 28
    assert image[27, 27] == 783


def test_as_image_rejects_wrong_size():
    with pytest.raises(ValueError, match="784"):
        as_image(np.zeros(783))


def test_confusion_matrix_counts_by_hand():
    y_true = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 0, 2])
    C = confusion_matrix(y_true, y_pred, n_classes=3)
    expected = np.array([[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    np.testing.assert_array_equal(C, expected)


def test_confusion_matrix_trace_gives_the_error_rate():
    rng = np.random.default_rng(3)
    y_true = rng.integers(0, 10, size=500)
    y_pred = np.where(rng.random(500) < 0.2, rng.integers(0, 10, size=500), y_true)
    C = confusion_matrix(y_true, y_pred)
    assert C.shape == (10, 10)
    assert C.sum() == 500
    np.testing.assert_allclose(1 - np.trace(C) / C.sum(), np.mean(y_true != y_pred),
                               rtol=0, atol=1e-15)
    np.testing.assert_array_equal(C.sum(axis=1), np.bincount(y_true, minlength=10))


@pytest.mark.parametrize(
    "y_true, y_pred, message",
    [
        (np.array([0, 1]), np.array([0]), "same length"),
        (np.array([0.0, 1.0]), np.array([0, 1]), "integer"),
        (np.array([0, 10]), np.array([0, 1]), "0..9"),
        (np.array([0, -1]), np.array([0, 1]), "0..9"),
    ],
)
def test_confusion_matrix_rejects_bad_labels(y_true, y_pred, message):
    with pytest.raises(ValueError, match=message):
        confusion_matrix(y_true, y_pred)


def test_most_confidently_wrong_orders_by_margin():
    outputs = np.full((5, 10), 0.1)
    y = np.array([0, 1, 2, 3, 4])
    outputs[0, 0] = 0.9  # right
    outputs[1, 7] = 0.6  # wrong, margin 0.5
    outputs[2, 5] = 0.95  # wrong, margin 0.85
    outputs[3, 3] = 0.8  # right
    outputs[4, 9] = 0.3  # wrong, margin 0.2
    np.testing.assert_array_equal(most_confidently_wrong(outputs, y, k=10), [2, 1, 4])
    np.testing.assert_array_equal(most_confidently_wrong(outputs, y, k=2), [2, 1])


def test_most_confidently_wrong_is_empty_when_all_right():
    outputs = np.eye(10)
    assert most_confidently_wrong(outputs, np.arange(10)).size == 0


def test_most_confidently_wrong_rejects_wrong_shape():
    with pytest.raises(ValueError, match=r"\(N, 10\)"):
        most_confidently_wrong(np.zeros((4, 9)), np.zeros(4, dtype=int))


# ---- figures ------------------------------------------------------------------------


def titles_and_labels(fig):
    texts = [fig._suptitle.get_text()] if fig._suptitle is not None else []
    for ax in fig.axes:
        texts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
    return [t for t in texts if t]


def test_digit_grid_titles_each_digit_with_its_label():
    X, y = fake_images(40)
    fig = plot_digit_grid(X, y, n=12, cols=6)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 12
    assert [ax.get_title() for ax in shown] == [str(label) for label in y[:12]]
    assert fig._suptitle.get_text()


def test_digit_grid_with_rng_is_reproducible_and_marks_wrong_predictions():
    X, y = fake_images(40)
    predicted = y.copy()
    predicted[:] = (y + 1) % 10
    a = plot_digit_grid(X, y, n=5, rng=1, predicted=predicted)
    b = plot_digit_grid(X, y, n=5, rng=1, predicted=predicted)
    titles_a = [ax.get_title() for ax in a.axes if ax.images]
    assert titles_a == [ax.get_title() for ax in b.axes if ax.images]
    assert all("→" in t for t in titles_a)
    red = matplotlib.colors.to_rgba("tab:red")
    assert all(ax.title.get_color() in ("tab:red", red) for ax in a.axes if ax.images)


def test_digit_grid_rejects_unflattened_images():
    with pytest.raises(ValueError, match=r"\(N, 784\)"):
        plot_digit_grid(np.zeros((3, 28, 28)), np.zeros(3, dtype=int))


def test_label_distribution_bars_are_shares_in_percent():
    y_train = np.array([0] * 30 + [1] * 10 + list(range(10)) * 6)
    fig = plot_label_distribution(y_train, np.arange(10))
    ax = fig.axes[0]
    heights = [patch.get_height() for patch in ax.patches]
    assert len(heights) == 20
    expected = 100 * np.bincount(y_train, minlength=10) / len(y_train)
    np.testing.assert_allclose(heights[:10], expected, rtol=1e-12)
    np.testing.assert_allclose(heights[10:], np.full(10, 10.0), rtol=1e-12)
    assert "%" in ax.get_ylabel()
    assert ax.get_title() and ax.get_xlabel()


def test_confusion_matrix_plot_writes_every_nonzero_count():
    C = np.array([[5, 1], [0, 7]])
    fig = plot_confusion_matrix(C)
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    assert texts == ["1", "5", "7"]
    assert "1 mistakes in 13 images" in fig.axes[0].get_title()
    assert fig.axes[0].get_xlabel() == "predicted digit"
    assert fig.axes[0].get_ylabel() == "true digit"


def test_confidently_wrong_plot_shows_the_k_worst():
    X, y = fake_images(30, seed=2)
    rng = np.random.default_rng(4)
    outputs = rng.random((30, 10))
    fig = plot_confidently_wrong(X, y, outputs, k=4, cols=2)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 4
    worst = most_confidently_wrong(outputs, y, k=1)[0]
    assert shown[0].get_title().startswith(f"true {y[worst]}, said {outputs[worst].argmax()}")


def test_confidently_wrong_plot_refuses_when_nothing_is_wrong():
    X, y = fake_images(5)
    outputs = np.eye(10)[y]
    with pytest.raises(ValueError, match="no mistakes"):
        plot_confidently_wrong(X, y, outputs)


def test_hidden_weights_are_drawn_as_28_by_28_with_symmetric_scale():
    rng = np.random.default_rng(5)
    W = rng.normal(size=(30, 784))
    fig = plot_hidden_weights(W, units=[3, 7, 11], cols=3)
    shown = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in shown] == ["unit 3", "unit 7", "unit 11"]
    image = shown[1].images[0]
    assert image.get_array().shape == (28, 28)
    np.testing.assert_allclose(image.get_array(), W[7].reshape(28, 28), rtol=0, atol=0)
    low, high = image.get_clim()
    np.testing.assert_allclose([low, high], [-np.abs(W[7]).max(), np.abs(W[7]).max()], rtol=1e-12)


def test_hidden_weights_reject_transposed_matrix():
    with pytest.raises(ValueError, match=r"\(hidden, 784\)"):
        plot_hidden_weights(np.zeros((784, 30)))


def test_every_figure_has_titles_and_axis_labels():
    X, y = fake_images(50, seed=6)
    outputs = np.random.default_rng(7).random((50, 10))
    figures = [
        plot_label_distribution(y),
        plot_confusion_matrix(confusion_matrix(y, outputs.argmax(axis=1))),
    ]
    for fig in figures:
        texts = titles_and_labels(fig)
        assert len(texts) >= 3, texts
    for fig in (plot_digit_grid(X, y), plot_confidently_wrong(X, y, outputs),
                plot_hidden_weights(X[:8])):
        assert fig._suptitle is not None and fig._suptitle.get_text()


def test_module_exports_exist():
    for name in mnist_plots.__all__:
        assert callable(getattr(mnist_plots, name))


def test_seconds_per_sample_bars_and_ratios():
    timings = {"slow": 0.1, "fast": 0.001, "faster": 0.0002}
    fig = mnist_plots.plot_seconds_per_sample(timings)
    ax = fig.axes[0]
    np.testing.assert_allclose([p.get_width() for p in ax.patches], [0.1, 0.001, 0.0002], rtol=0)
    texts = [t.get_text() for t in ax.texts]
    assert texts[1].endswith("(100x)") and texts[2].endswith("(500x)")
    assert ax.get_xscale() == "log" and "log scale" in ax.get_xlabel()
    assert "'slow'" in ax.get_title()


def test_seconds_per_sample_refuses_bad_input():
    with pytest.raises(ValueError, match="positive"):
        mnist_plots.plot_seconds_per_sample({"a": 0.0})
    with pytest.raises(ValueError, match="reference"):
        mnist_plots.plot_seconds_per_sample({"a": 1.0}, reference="b")


def test_cost_growth_panels_show_the_numbers_and_weight_counts():
    fig = mnist_plots.plot_cost_growth([30, 300], [0.5, 2.0], [1, 16, 256], [30.0, 2.0, 1.5],
                                       subset=3000)
    ax1, ax2 = fig.axes
    np.testing.assert_allclose(ax1.lines[0].get_ydata(), [0.5, 2.0], rtol=0)
    np.testing.assert_allclose(ax2.lines[0].get_ydata(), [30.0, 2.0, 1.5], rtol=0)
    assert [t.get_text() for t in ax1.texts] == ["23,860 weights", "238,510 weights"]
    assert ax2.get_yscale() == "log" and "extrapolated" in ax1.get_ylabel()
    assert "3,000" in fig._suptitle.get_text()


def test_cost_growth_refuses_mismatched_lists():
    with pytest.raises(ValueError, match="one time per size"):
        mnist_plots.plot_cost_growth([30, 300], [0.5], [1], [1.0], subset=10)
