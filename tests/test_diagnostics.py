"""Hidden outputs, saturated units and gradient sizes, checked against hand computations."""

import numpy as np
import pytest

from bpcourse.core import oo_network
from bpcourse.core.activations import SigmoidActivator, TanhActivator, sigmoid
from bpcourse.core.diagnostics import (
    delta_sizes,
    gradient_sizes,
    hidden_outputs,
    max_slope,
    saturated_fraction,
    sigmoid_saturation_bounds,
)
from bpcourse.core.vectorized import Network


def test_hidden_outputs_by_hand():
    rng = np.random.default_rng(0)
    net = Network((5, 4, 3, 2), seed=1)
    X = rng.random((6, 5))
    (W1, b1), (W2, b2), _ = net.get_weights()
    a1 = sigmoid(X @ W1.T + b1)
    a2 = sigmoid(a1 @ W2.T + b2)
    got = hidden_outputs(net, X)
    assert len(got) == 2
    np.testing.assert_allclose(got[0], a1, rtol=1e-12)
    np.testing.assert_allclose(got[1], a2, rtol=1e-12)


def test_hidden_outputs_agree_between_networks_and_take_one_sample():
    x = np.random.default_rng(1).random(5)
    vec, obj = Network((5, 4, 2), seed=3), oo_network.Network((5, 4, 2), seed=3)
    np.testing.assert_allclose(hidden_outputs(vec, x)[0], hidden_outputs(obj, x)[0], rtol=1e-12)
    assert hidden_outputs(vec, x)[0].shape == (1, 4)


def test_hidden_outputs_refuses_wrong_width():
    with pytest.raises(ValueError, match=r"\(N, 5\)"):
        hidden_outputs(Network((5, 4, 2)), np.zeros((3, 4)))


def test_max_slope():
    assert max_slope(SigmoidActivator) == 0.25
    assert max_slope(TanhActivator) == 1.0


def test_saturated_fraction_counts_small_slopes():
    A = np.array([0.001, 0.5, 0.9, 0.995, 0.2, 0.9999])  # y(1-y) < 0.01 for 0.001, 0.995, 0.9999
    assert saturated_fraction(A, SigmoidActivator) == pytest.approx(3 / 6, abs=1e-15)
    assert saturated_fraction(np.tanh([0.0, 5.0]), TanhActivator) == pytest.approx(0.5, abs=1e-15)


@pytest.mark.parametrize("A, threshold, match", [
    (np.array([]), 0.04, "empty"),
    (np.array([0.5, np.nan]), 0.04, "finite"),
    (np.array([0.5]), 1.5, "threshold"),
])
def test_saturated_fraction_bad_input(A, threshold, match):
    with pytest.raises(ValueError, match=match):
        saturated_fraction(A, SigmoidActivator, threshold)


def test_gradient_sizes_are_rms_of_the_gradients():
    rng = np.random.default_rng(2)
    net = Network((6, 5, 4, 3), seed=0)
    X, T = rng.random((8, 6)), rng.random((8, 3))
    expected = [np.sqrt(np.mean(dW ** 2)) for dW, _ in net.gradients(X, T)]
    np.testing.assert_allclose(gradient_sizes(net, X, T), expected, rtol=1e-12)
    assert gradient_sizes(net, X, T).shape == (3,)


def test_sigmoid_saturation_bounds_solve_the_slope_equation():
    low, high = sigmoid_saturation_bounds(0.04)
    np.testing.assert_allclose([low * (1 - low), high * (1 - high)], [0.01, 0.01], rtol=1e-12)
    np.testing.assert_allclose([low, high], [0.0101021, 0.9898979], atol=1e-7)
    assert low < 0.0102 and high > 0.9898   # the bounds the notebook once printed were too loose


def test_saturated_fraction_changes_at_the_bounds():
    low, high = sigmoid_saturation_bounds(0.04)
    inside = np.array([low * (1 + 1e-6), high * (1 - 1e-7)])     # slope just above 0.01
    outside = np.array([low * (1 - 1e-6), high * (1 + 1e-7)])    # slope just below 0.01
    assert saturated_fraction(inside, SigmoidActivator) == 0.0
    assert saturated_fraction(outside, SigmoidActivator) == 1.0


def test_sigmoid_saturation_bounds_refuse_bad_threshold():
    with pytest.raises(ValueError, match="threshold"):
        sigmoid_saturation_bounds(1.0)


def test_delta_sizes_by_hand():
    rng = np.random.default_rng(3)
    net = Network((5, 4, 3, 2), seed=2)
    X, T = rng.random((7, 5)), rng.random((7, 2))
    (W1, b1), (W2, b2), (W3, b3) = net.get_weights()
    a1 = sigmoid(X @ W1.T + b1)
    a2 = sigmoid(a1 @ W2.T + b2)
    y = sigmoid(a2 @ W3.T + b3)
    delta3 = y * (1 - y) * (T - y)              # eq. 4.1 / 6.2
    delta2 = a2 * (1 - a2) * (delta3 @ W3)      # eq. 4.3 / 6.3
    delta1 = a1 * (1 - a1) * (delta2 @ W2)
    expected = [np.sqrt(np.mean(d ** 2)) for d in (delta1, delta2, delta3)]
    np.testing.assert_allclose(delta_sizes(net, X, T), expected, rtol=1e-12)


def test_delta_sizes_agree_between_networks_and_leave_the_weights():
    rng = np.random.default_rng(4)
    X, T = rng.random((3, 5)), rng.random((3, 2))
    vec, obj = Network((5, 4, 2), seed=3), oo_network.Network((5, 4, 2), seed=3)
    before = vec.get_weights()
    np.testing.assert_allclose(delta_sizes(obj, X, T), delta_sizes(vec, X, T), rtol=1e-10)
    for (W, b), (W0, b0) in zip(vec.get_weights(), before):
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)


def test_delta_sizes_refuse_mismatched_targets_for_the_object_network():
    with pytest.raises(ValueError, match="as many targets"):
        delta_sizes(oo_network.Network((5, 4, 2)), np.zeros((3, 5)), np.zeros((2, 2)))
