"""The interactive neuron of notebook 01, built and driven headless."""

import math
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest
from numpy.testing import assert_allclose

from bpcourse.core.activations import step, step_derivative
from bpcourse.visuals.neuron_widget import draw_activation, neuron_explorer, plot_activations

TEXT = re.compile(r"^net = (-?\d+\.\d{2}), y = (sigmoid|tanh|step)\(net\) = (-?\d+\.\d{3})$")


def read_text(explorer):
    """Parse the output line, e.g. 'net = 0.45, y = sigmoid(net) = 0.611'."""
    match = TEXT.match(explorer.text)
    assert match, f"unexpected output text {explorer.text!r}"
    assert explorer.text in explorer.output_html.value
    return float(match.group(1)), match.group(2), float(match.group(3))


def by_hand(w1, w2, b, x1, x2, name):
    """The neuron worked out independently of the package (eq. 1.1-1.3)."""
    net = w1 * x1 + w2 * x2 + b
    y = {"sigmoid": 1 / (1 + math.exp(-net)), "tanh": math.tanh(net),
         "step": 1.0 if net > 0 else 0.0}[name]
    return net, y


def marker_of(explorer):
    (marker,) = [line for line in explorer.figure.axes[0].lines
                 if line.get_label() == "neuron output (net, y)"]
    return marker


@pytest.fixture
def explorer():
    return neuron_explorer(w1=0.5, w2=-0.3, b=0.1, x1=1.0, x2=0.5)


def test_initial_text_is_the_neuron_output(explorer):
    net, name, y = read_text(explorer)
    want_net, want_y = by_hand(0.5, -0.3, 0.1, 1.0, 0.5, "sigmoid")
    assert name == "sigmoid"
    assert_allclose(net, want_net, atol=0.005)
    assert_allclose(y, want_y, atol=0.0005)
    assert_allclose(explorer.y, want_y, rtol=1e-12)


def test_moving_a_slider_changes_the_text_to_the_right_numbers(explorer):
    before = explorer.text
    explorer.sliders["w1"].value = -1.2  # what a browser does: set the value, observers fire
    assert explorer.text != before
    net, name, y = read_text(explorer)
    want_net, want_y = by_hand(-1.2, -0.3, 0.1, 1.0, 0.5, "sigmoid")
    assert_allclose(net, want_net, atol=0.005)
    assert_allclose(y, want_y, atol=0.0005)
    assert_allclose([explorer.net, explorer.y], [want_net, want_y], rtol=1e-12)
    assert_allclose(explorer.slope, want_y * (1 - want_y), rtol=1e-12)  # eq. 1.4
    assert "(-1.2)·1.0" in explorer.formula_html.value


def test_every_slider_feeds_the_output(explorer):
    values = dict(w1=0.5, w2=-0.3, b=0.1, x1=1.0, x2=0.5)
    for name, new_value in dict(w1=2.0, w2=1.5, b=-2.5, x1=-1.7, x2=1.3).items():
        before = explorer.text
        explorer.sliders[name].value = new_value
        values[name] = new_value
        want_net, want_y = by_hand(**values, name="sigmoid")
        assert explorer.text != before, f"moving {name} did not change the output"
        assert_allclose([explorer.net, explorer.y], [want_net, want_y], rtol=1e-12, atol=1e-15)


def test_dropdown_switches_the_activation(explorer):
    explorer.set_values(w1=1.0, w2=0.5, b=-0.2, x1=0.8, x2=-0.6)
    for name in ("tanh", "step", "sigmoid"):
        explorer.activation_dropdown.value = name
        net, shown_name, y = read_text(explorer)
        want_net, want_y = by_hand(1.0, 0.5, -0.2, 0.8, -0.6, name)
        assert shown_name == name
        assert_allclose(net, want_net, atol=0.005)
        assert_allclose(y, want_y, atol=0.0005)
        assert_allclose(explorer.y, want_y, rtol=1e-12, atol=1e-15)
    explorer.activation_dropdown.value = "tanh"
    assert_allclose(explorer.slope, 1 - explorer.y ** 2, rtol=1e-12)


def test_step_flips_when_net_crosses_zero(explorer):
    explorer.set_values(activation="step", w1=0.0, w2=0.0, b=0.3)
    assert explorer.text == "net = 0.30, y = step(net) = 1.000"  # net = b when both weights are 0
    explorer.set_values(b=-0.3)
    assert explorer.text == "net = -0.30, y = step(net) = 0.000"


def test_text_never_shows_negative_zero(explorer):
    explorer.set_values(w1=-2.0, x1=-0.5, w2=-1.1, x2=1.0, b=0.1)  # 1.0 - 1.1 + 0.1 in floats
    assert -1e-15 < explorer.net < 0.0  # rounding error: -8.3e-17
    assert explorer.text.startswith("net = 0.00,")


def test_marker_sits_at_net_y_and_moves_with_the_sliders(explorer):
    first_png = explorer.image.value
    assert first_png[:8] == b"\x89PNG\r\n\x1a\n"
    assert_allclose(marker_of(explorer).get_xydata(), [[explorer.net, explorer.y]], rtol=1e-12)
    explorer.sliders["x2"].value = -1.5
    assert_allclose(marker_of(explorer).get_xydata(), [[explorer.net, explorer.y]], rtol=1e-12)
    assert explorer.image.value != first_png


def test_far_points_stay_in_view(explorer):
    explorer.set_values(w1=3.0, x1=2.0, w2=3.0, x2=2.0, b=3.0)  # net = 15
    low, high = explorer.figure.axes[0].get_xlim()
    assert low < explorer.net < high


def test_css_classes_for_the_browser_tests(explorer):
    assert "bpcourse-neuron-explorer" in explorer._dom_classes
    assert "bpcourse-neuron-output" in explorer.output_html._dom_classes
    assert "bpcourse-neuron-activation" in explorer.activation_dropdown._dom_classes
    for name in ("w1", "w2", "b", "x1", "x2"):
        assert f"bpcourse-neuron-{name}" in explorer.sliders[name]._dom_classes


def test_text_only_panel_without_plot():
    explorer = neuron_explorer(plot=False, activation="tanh")
    assert explorer.image is None and explorer.figure is None
    explorer.sliders["b"].value = 1.0
    want_net, want_y = by_hand(0.5, -0.3, 1.0, 1.0, 0.5, "tanh")
    assert_allclose([explorer.net, explorer.y], [want_net, want_y], rtol=1e-12)


@pytest.mark.parametrize("kwargs, words", [
    (dict(w1=5.0), "w1 must be a number in [-3.0, 3.0]"),
    (dict(x2="a lot"), "x2 must be a number"),
    (dict(b=float("nan")), "b must be a number"),
    (dict(activation="relu"), "unknown activation 'relu'"),
])
def test_bad_settings_raise_value_error(kwargs, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        neuron_explorer(**kwargs)


def test_set_values_rejects_unknown_names(explorer):
    with pytest.raises(ValueError, match="unknown neuron setting 'w3'"):
        explorer.set_values(w3=1.0)


def test_step_and_its_derivative():
    x = np.array([[-2.0, 0.0], [1e-9, 3.0]])
    assert_allclose(step(x), [[0.0, 0.0], [1.0, 1.0]], rtol=0, atol=0)
    assert step_derivative(step(x)).shape == (2, 2)
    assert not step_derivative(step(x)).any()


def test_plot_activations_has_titles_labels_and_three_curves_each():
    fig, (ax_curves, ax_slopes) = plot_activations()
    try:
        for ax in (ax_curves, ax_slopes):
            assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
            assert len(ax.get_legend().get_texts()) >= 3
        sigmoid_line = [line for line in ax_slopes.lines if line.get_label().startswith("sigmoid")][0]
        net, slope = sigmoid_line.get_xydata().T
        assert_allclose(slope, np.exp(-net) / (1 + np.exp(-net)) ** 2, rtol=1e-9, atol=1e-15)
    finally:
        plt.close(fig)


def test_draw_activation_returns_the_marker():
    fig, ax = plt.subplots()
    try:
        marker = draw_activation(ax, "tanh", 0.7, math.tanh(0.7))
        assert_allclose(marker.get_xydata(), [[0.7, math.tanh(0.7)]], rtol=1e-12)
        with pytest.raises(ValueError, match="unknown activation"):
            draw_activation(ax, "softsign", 0.0, 0.0)
    finally:
        plt.close(fig)
