"""Hidden outputs, saturated units and gradient sizes, checked against hand computations."""

import numpy as np
import pytest

from bpcourse.core import oo_network
from bpcourse.core.activations import SigmoidActivator, TanhActivator, sigmoid
from bpcourse.core.diagnostics import gradient_sizes, hidden_outputs, max_slope, saturated_fraction
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
