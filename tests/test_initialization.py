"""Starting weights: shapes for set_weights, the Glorot bound and variance, zeros, seeds."""

import numpy as np
import pytest

from bpcourse.core import oo_network
from bpcourse.core.initialization import glorot_bound, glorot_uniform, initial_weights
from bpcourse.core.vectorized import Network


def test_glorot_bound_is_sqrt_6_over_fan_sum():
    np.testing.assert_allclose(glorot_bound(784, 300), np.sqrt(6 / 1084), rtol=1e-15)


def test_glorot_uniform_shape_range_and_variance():
    W = glorot_uniform(784, 300, rng=0)
    a = np.sqrt(6 / 1084)
    assert W.shape == (300, 784)
    assert np.abs(W).max() <= a
    assert np.abs(W).max() > 0.99 * a  # the whole range is used
    np.testing.assert_allclose(W.var(), 2 / 1084, rtol=0.02)
    np.testing.assert_allclose(W.mean(), 0.0, atol=1e-3)


def test_glorot_uniform_is_seeded():
    np.testing.assert_array_equal(glorot_uniform(5, 3, rng=7), glorot_uniform(5, 3, rng=np.random.default_rng(7)))
    assert not np.array_equal(glorot_uniform(5, 3, rng=7), glorot_uniform(5, 3, rng=8))


@pytest.mark.parametrize("scheme", ["text", "zeros", "uniform", "glorot"])
def test_initial_weights_fit_both_networks(scheme):
    sizes = (6, 4, 3)
    weights = initial_weights(sizes, scheme, scale=2.0, rng=1)
    assert [(W.shape, b.shape) for W, b in weights] == [((4, 6), (4,)), ((3, 4), (3,))]
    for network in (Network(sizes), oo_network.Network(sizes)):
        network.set_weights(weights)
        for (W, b), (W_got, b_got) in zip(weights, network.get_weights()):
            np.testing.assert_array_equal(W_got, W)
            np.testing.assert_array_equal(b_got, b)


def test_schemes_have_their_ranges():
    sizes = (50, 40, 10)
    assert all(not W.any() and not b.any() for W, b in initial_weights(sizes, "zeros"))
    text = initial_weights(sizes, "text", rng=0)
    assert max(np.abs(W).max() for W, _ in text) <= 0.1 and max(np.abs(W).max() for W, _ in text) > 0.09
    wide = initial_weights(sizes, "uniform", scale=3.0, rng=0)
    assert 2.9 < max(np.abs(W).max() for W, _ in wide) <= 3.0
    glorot = initial_weights(sizes, "glorot", rng=0)
    assert all(not b.any() for _, b in glorot)
    assert np.abs(glorot[1][0]).max() <= np.sqrt(6 / 50)


def test_initial_weights_reproducible():
    first, second = initial_weights((5, 4, 2), "glorot", rng=3), initial_weights((5, 4, 2), "glorot", rng=3)
    for (W1, _), (W2, _) in zip(first, second):
        np.testing.assert_array_equal(W1, W2)


@pytest.mark.parametrize("kwargs, match", [
    (dict(layer_sizes=(3,), scheme="text"), "layer_sizes"),
    (dict(layer_sizes=(3, 2), scheme="he"), "scheme"),
    (dict(layer_sizes=(3, 2), scheme="uniform", scale=0), "scale"),
    (dict(layer_sizes=(3, 2), scheme="uniform", scale=float("nan")), "scale"),
    (dict(layer_sizes=(3, 2), scheme="glorot", rng="seed"), "rng"),
])
def test_bad_input_is_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        initial_weights(**kwargs)


def test_glorot_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="n_in"):
        glorot_uniform(0, 3)
    with pytest.raises(ValueError, match="n_out"):
        glorot_bound(3, 2.5)
