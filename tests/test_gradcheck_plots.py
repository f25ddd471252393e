"""The gradient-check pictures draw what the report says, are labeled, and refuse bad input."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bpcourse.core.gradcheck import gradient_check
from bpcourse.core.vectorized import Network
from bpcourse.visuals.gradcheck_plots import (
    plot_check_scatter,
    plot_error_against_epsilon,
    plot_error_against_size,
    plot_relative_error_maps,
)

THRESHOLD = 1e-5


def first_layer_doubled(network, x, t):
    """A wrong backward pass: the first layer's gradients twice too large."""
    grads = network.gradients(x, t)
    (dW, db), rest = grads[0], grads[1:]
    return [(2 * dW, 2 * db), *rest]


@pytest.fixture(scope="module")
def reports():
    network = Network((3, 4, 2), seed=1)
    rng = np.random.default_rng(2)
    x, t = rng.uniform(size=3), np.array([0.9, 0.1])
    return gradient_check(network, x, t), gradient_check(network, x, t, analytic=first_layer_doubled)


def assert_labeled(ax):
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel(), "every panel has a title and axis labels"


def test_scatter_draws_every_weight_of_every_report(reports):
    right, wrong = reports
    fig = plot_check_scatter({"vectorized network": right}, wrong, THRESHOLD)
    left_ax, right_ax = fig.axes[:2]
    for ax in (left_ax, right_ax):
        assert_labeled(ax)
    offsets = [collection.get_offsets() for collection in left_ax.collections]
    assert [len(o) for o in offsets] == [len(wrong), len(right)]
    assert_allclose(offsets[1], np.column_stack([right.numeric, right.analytic]), rtol=0, atol=0)
    threshold_lines = [line for line in right_ax.get_lines() if list(line.get_ydata()) == [THRESHOLD, THRESHOLD]]
    assert len(threshold_lines) == 1


def test_scatter_refuses_reports_of_different_weights(reports):
    right, _ = reports
    other = gradient_check(Network((2, 2), seed=0), np.array([0.1, 0.2]), np.array([0.9, 0.1]))
    with pytest.raises(ValueError, match="same weights"):
        plot_check_scatter({"a": right}, other, THRESHOLD)


def test_scatter_refuses_what_is_not_a_report(reports):
    right, _ = reports
    with pytest.raises(TypeError, match="wrong to be a GradientCheckReport"):
        plot_check_scatter({"a": right}, right.relative_error, THRESHOLD)
    with pytest.raises(ValueError, match="reports to be a dict"):
        plot_check_scatter([right], right, THRESHOLD)


@pytest.mark.parametrize("threshold", [0, -1e-5, float("nan"), "1e-5"])
def test_every_plot_refuses_a_bad_threshold(reports, threshold):
    right, wrong = reports
    with pytest.raises(ValueError, match="threshold"):
        plot_relative_error_maps(right, threshold, "title")
    with pytest.raises(ValueError, match="threshold"):
        plot_error_against_size(right, threshold)
    with pytest.raises(ValueError, match="threshold"):
        plot_check_scatter({"a": right}, wrong, threshold)


def test_error_against_size_plots_sizes_and_absolute_errors(reports):
    right, _ = reports
    fig = plot_error_against_size(right, THRESHOLD)
    left_ax, right_ax = fig.axes
    for ax in (left_ax, right_ax):
        assert_labeled(ax)
    x, y = right_ax.get_lines()[0].get_data()
    assert_allclose(x, np.abs(right.numeric), rtol=0, atol=0)
    assert_allclose(y, np.maximum(np.abs(right.analytic - right.numeric), 1e-18), rtol=0, atol=0)


def test_error_maps_cross_exactly_the_wrong_weights(reports):
    _, wrong = reports
    fig = plot_relative_error_maps(wrong, THRESHOLD, "a wrong first layer")
    layer0, layer1 = fig.axes[:2]
    for ax in (layer0, layer1):
        assert_labeled(ax)
    crosses0 = layer0.get_lines()[0].get_xydata()
    crosses1 = layer1.get_lines()[0].get_xydata()
    assert len(crosses0) == 4 * (3 + 1), "every weight and bias of the doubled first layer is crossed"
    assert len(crosses1) == 0, "the output layer is right"
    assert "16 of 16 above" in layer0.get_title() and "0 of 10 above" in layer1.get_title()


def test_error_maps_put_the_bias_in_the_last_column(reports):
    right, _ = reports
    fig = plot_relative_error_maps(right, THRESHOLD, "right")
    image = fig.axes[0].get_images()[0].get_array()
    assert image.shape == (4, 3 + 1)
    bias = right.col == -1
    first = right.layer == 0
    expected = np.maximum(right.relative_error[first & bias], 1e-12)
    assert_allclose(image[:, -1], expected, rtol=0, atol=0)


def test_error_against_epsilon_draws_guides_of_slope_2_and_minus_1():
    epsilons = np.logspace(-1, -12, 23)
    median = 1e-3 * (epsilons / 1e-1) ** 2 + 1e-16 / epsilons
    fig = plot_error_against_epsilon(epsilons, median, 3 * median, THRESHOLD, title="synthetic")
    ax = fig.axes[0]
    assert_labeled(ax)
    assert ax.get_title() == "synthetic"
    lines = {line.get_label(): line for line in ax.get_lines()}
    truncation = lines[r"truncation $\propto \epsilon^2$"].get_ydata()
    round_off = lines[r"round-off $\propto u/\epsilon$"].get_ydata()
    slopes_t = np.diff(np.log10(truncation)) / np.diff(np.log10(epsilons))
    slopes_r = np.diff(np.log10(round_off)) / np.diff(np.log10(epsilons))
    assert_allclose(slopes_t, 2, rtol=1e-9)
    assert_allclose(slopes_r, -1, rtol=1e-9)
    assert ax.xaxis_inverted(), "smaller steps to the right"


def test_error_against_epsilon_refuses_mismatched_arrays():
    epsilons = np.logspace(-1, -12, 23)
    with pytest.raises(ValueError, match="median_error to have the shape of epsilons"):
        plot_error_against_epsilon(epsilons, np.ones(22), np.ones(23), THRESHOLD)
    with pytest.raises(ValueError, match="epsilons"):
        plot_error_against_epsilon(-epsilons, np.ones(23), np.ones(23), THRESHOLD)
