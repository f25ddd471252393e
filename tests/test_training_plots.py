"""The training pictures of notebook 08: labelled, drawing the numbers given, refusing bad input."""

import numpy as np
import pytest

from bpcourse.core.single_neuron import train_neuron
from bpcourse.visuals.training_plots import (
    plot_bars,
    plot_error_curves,
    plot_gradient_sizes,
    plot_learning_curves,
    plot_neuron_learning,
)


def labelled(figure):
    for ax in figure.axes:
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


def test_error_curves_are_drawn_in_percent():
    figure = plot_error_curves({"a": ([1, 2, 3], [0.5, 0.25, 0.125])}, title="t")
    labelled(figure)
    line = figure.axes[0].lines[0]
    np.testing.assert_allclose(line.get_ydata(), [50.0, 25.0, 12.5], rtol=1e-12)
    assert figure.axes[0].lines[-1].get_ydata()[0] == pytest.approx(90.0)  # guessing


def test_learning_curves_have_two_panels():
    figure = plot_learning_curves({"x": ([1, 2], [0.3, 0.2], [0.35, 0.25])}, title="t")
    labelled(figure)
    assert len(figure.axes) == 2
    np.testing.assert_allclose(figure.axes[1].lines[0].get_ydata(), [35.0, 25.0], rtol=1e-12)


def test_bars_show_their_values():
    figure = plot_bars({"zero": 0.9, "glorot": 0.1}, title="t", ylabel="error (%)", xlabel="start")
    labelled(figure)
    heights = [patch.get_height() for patch in figure.axes[0].patches]
    np.testing.assert_allclose(heights, [90.0, 10.0], rtol=1e-12)


def test_gradient_sizes_on_a_log_axis():
    figure = plot_gradient_sizes({"sigmoid": [1e-1, 1e-3, 1e-5]}, title="t")
    labelled(figure)
    assert figure.axes[0].get_yscale() == "log"
    np.testing.assert_allclose(figure.axes[0].lines[0].get_ydata(), [1e-1, 1e-3, 1e-5], rtol=1e-12)


def test_neuron_learning_draws_output_and_loss():
    record = train_neuron(2.0, 2.0, epochs=10)
    figure = plot_neuron_learning({"squared error": record}, title="t")
    assert len(figure.axes) == 2
    labelled(figure)
    np.testing.assert_allclose(figure.axes[0].lines[0].get_ydata(), record["output"], rtol=1e-12)


@pytest.mark.parametrize("call, match", [
    (lambda: plot_error_curves({}, title="t"), "non-empty dict"),
    (lambda: plot_error_curves({"a": ([1, 2], [0.1])}, title="t"), "same length"),
    (lambda: plot_bars({"a": float("nan")}, title="t", ylabel="y", xlabel="x"), "finite"),
    (lambda: plot_gradient_sizes({"a": [1.0, 0.0]}, title="t"), "positive"),
    (lambda: plot_learning_curves({"a": ([1], [0.1])}, title="t"), "training errors"),
])
def test_bad_input_is_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()
