"""The interface both networks share, checked by the same tests on each (the object network is slow)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from bpcourse.core import oo_network, vectorized
from bpcourse.core.divergence import DivergenceError
from bpcourse.core.gradcheck import gradient_check
from bpcourse.core.losses import LOSSES
from bpcourse.core.training import error_rate, fit

NETWORKS = [oo_network.Network, vectorized.Network]
SIZES = (4, 3, 2)


def data(n, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 1, size=(n, SIZES[0]))
    T = np.eye(SIZES[-1])[rng.integers(0, SIZES[-1], size=n)]
    return X, T


@pytest.mark.parametrize("Network", NETWORKS)
def test_predict_takes_one_sample_or_a_batch(Network):
    network = Network(SIZES, seed=1)
    X, _ = data(5)
    Y = network.predict(X)
    assert Y.shape == (5, 2) and network.predict(X[2]).shape == (2,)
    assert_allclose(network.predict(X[2]), Y[2], rtol=1e-14)
    assert network.layer_sizes == SIZES


@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("Network", NETWORKS)
def test_gradients_are_the_true_gradient_of_the_loss(Network, loss):
    network = Network(SIZES, seed=2, loss=loss)
    assert network.loss.name == loss
    X, T = data(3)
    for x, t in ((X[0], T[0]), (X, T)):  # one sample, and the mean over a batch
        report = gradient_check(network, x, t, epsilon=1e-5)  # central differences of loss_value (eq. 5.4)
        assert report.max_relative_error < 1e-7, report.max_relative_error


@pytest.mark.parametrize("Network", NETWORKS)
def test_train_batch_is_one_step_against_the_mean_gradient(Network):
    network = Network(SIZES, seed=3)
    X, T = data(4)
    before, gradients, E = network.get_weights(), network.gradients(X, T), network.loss_value(X, T)
    assert_allclose(network.train_batch(X, T, 0.5), E, rtol=1e-12)  # the loss before the step
    for (W0, b0), (dW, db), (W1, b1) in zip(before, gradients, network.get_weights()):
        assert_allclose(W1, W0 - 0.5 * dW, rtol=1e-12, atol=1e-15)
        assert_allclose(b1, b0 - 0.5 * db, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("Network", NETWORKS)
def test_weights_round_trip_and_the_same_seed_gives_the_same_start(Network):
    network = Network(SIZES, seed=4)
    other = NETWORKS[0](SIZES, seed=4) if Network is NETWORKS[1] else NETWORKS[1](SIZES, seed=4)
    for (W0, b0), (W1, b1) in zip(network.get_weights(), other.get_weights()):
        assert_array_equal(W0, W1)
        assert_array_equal(b0, b1)
    weights = [(W + 1.0, b - 1.0) for W, b in network.get_weights()]
    network.set_weights(weights)
    for (W0, b0), (W1, b1) in zip(weights, network.get_weights()):
        assert_array_equal(W0, W1)
        assert_array_equal(b0, b1)


@pytest.mark.parametrize("Network", NETWORKS)
def test_fit_and_error_rate_work_with_either_network(Network):
    X, T = data(20)
    y = T.argmax(axis=1)
    network = Network(SIZES, seed=5)
    history = fit(network, X, T, validation=(X[:5], y[:5]), epochs=2, rate=0.5, batch_size=4, progress=False)
    assert history.validation_error[-1] == error_rate(network, X[:5], y[:5])


# --- edges ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("Network", NETWORKS)
def test_train_signals_divergence(Network):
    X, T = data(6)
    network = Network(SIZES, seed=6)
    network.set_weights([(np.full_like(W, 1e300), b) for W, b in network.get_weights()])
    with pytest.raises(DivergenceError, match="diverged"), np.errstate(all="ignore"):
        network.train(T * 1e300, X, 1e300, 2)


@pytest.mark.parametrize("Network", NETWORKS)
def test_complex_inputs_and_weights_are_refused(Network):
    network = Network(SIZES, seed=7)
    X, T = data(2)
    with pytest.raises(TypeError, match="complex"):
        network.predict(X[0] + 1j)
    with pytest.raises(TypeError, match="complex"):
        network.set_weights([(W + 0j, b) for W, b in network.get_weights()])
    with pytest.raises(TypeError, match="complex"):
        network.train(T, X + 1j, 0.1, 1)


@pytest.mark.parametrize("seed, error", [(-1, ValueError), (1.5, TypeError), ("1", TypeError), (True, TypeError)])
@pytest.mark.parametrize("Network", NETWORKS)
def test_a_bad_seed_is_refused_by_name(Network, seed, error):
    with pytest.raises(error, match="seed"):
        Network(SIZES, seed=seed)


@pytest.mark.parametrize("Network", NETWORKS)
def test_layers_that_would_not_fit_in_memory_are_refused_at_once(Network):
    with pytest.raises(ValueError, match="layer_sizes .*fit in memory"):
        Network((10**12, 2))


@pytest.mark.parametrize("Network", NETWORKS)
def test_error_rate_refuses_the_outputs_of_a_diverged_network(Network):
    network = Network(SIZES, seed=8)
    X, T = data(3)
    with np.errstate(all="ignore"):
        network.set_weights([(W, b) for W, b in network.get_weights()])
        broken = lambda X: network.predict(X) * np.nan  # what a diverged network outputs  # noqa: E731
        with pytest.raises(ValueError, match="outputs .*finite"):
            error_rate(broken, X, T.argmax(axis=1))


@pytest.mark.parametrize("Network", NETWORKS)
def test_a_checked_batch_gives_the_same_step(Network):
    a, b = Network(SIZES, seed=9), Network(SIZES, seed=9)
    X, T = data(4)
    assert a.train_batch(X, T, 0.5) == b.train_batch(X, T, 0.5, checked=True)
    for (W0, b0), (W1, b1) in zip(a.get_weights(), b.get_weights()):
        assert_array_equal(W0, W1)
        assert_array_equal(b0, b1)
    with pytest.raises(ValueError, match="finite"):
        a.train_batch(np.full_like(X, np.nan), T, 0.5)  # checked=False, the default, checks


# --- L2 weight decay ------------------------------------------------------------------------------


def penalized_gradients(network, X, T, weight_decay, epsilon=1e-6):
    """Central differences (eq. 5.4) of E + (lambda/2) sum W^2 (weights only, not biases), weight by weight."""
    weights = network.get_weights()

    def penalized_loss(changed):
        network.set_weights(changed)
        return network.loss_value(X, T) + weight_decay / 2 * sum(np.sum(W ** 2) for W, _ in changed)

    result = []
    for layer, (W, b) in enumerate(weights):
        grads = []
        for which, A in ((0, W), (1, b)):
            G = np.zeros_like(A)
            for index in np.ndindex(A.shape):
                values = []
                for sign in (1, -1):
                    moved = A.copy()
                    moved[index] += sign * epsilon
                    changed = list(weights)
                    changed[layer] = (moved, b) if which == 0 else (W, moved)
                    values.append(penalized_loss(changed))
                G[index] = (values[0] - values[1]) / (2 * epsilon)
            grads.append(G)
        result.append(tuple(grads))
    network.set_weights(weights)
    return result


@pytest.mark.parametrize("n", [1, 4])
@pytest.mark.parametrize("Network", NETWORKS)
def test_a_decayed_step_is_a_step_on_the_penalized_loss(Network, n):
    network = Network(SIZES, seed=10, loss="softmax_cross_entropy")
    X, T = data(n, seed=1)
    X, T = (X[0], T[0]) if n == 1 else (X, T)
    before, rate, weight_decay = network.get_weights(), 0.5, 0.3
    numerical = penalized_gradients(network, X, T, weight_decay)
    E = network.loss_value(X, T)
    assert_allclose(network.train_batch(X, T, rate, weight_decay=weight_decay), E, rtol=1e-12)  # E, no penalty
    for (W0, b0), (gW, gb), (W1, b1) in zip(before, numerical, network.get_weights()):
        assert_allclose(W1, W0 - rate * gW, rtol=0, atol=1e-9)  # lambda W moved the weights ...
        assert_allclose(b1, b0 - rate * gb, rtol=0, atol=1e-9)  # ... but not the biases
    plain = Network(SIZES, seed=10, loss="softmax_cross_entropy")
    plain.train_batch(X, T, rate)
    assert not np.allclose(plain.get_weights()[0][0], network.get_weights()[0][0], rtol=0, atol=1e-3)
    assert_allclose(plain.get_weights()[0][1], network.get_weights()[0][1], rtol=1e-12)  # biases undecayed


@pytest.mark.parametrize("n", [1, 3])
def test_both_networks_give_the_same_weights_after_decayed_steps(n):
    X, T = data(6, seed=2)
    networks = [Network(SIZES, seed=11) for Network in NETWORKS]
    for network in networks:
        for start in range(0, 6, n):
            network.train_batch(X[start:start + n], T[start:start + n], 0.5, weight_decay=0.1)
    (oo_weights, vec_weights) = (network.get_weights() for network in networks)
    for (W0, b0), (W1, b1) in zip(oo_weights, vec_weights):
        assert_allclose(W1, W0, rtol=1e-12, atol=1e-15)
        assert_allclose(b1, b0, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("Network", NETWORKS)
def test_weight_decay_zero_is_the_plain_step_bit_for_bit(Network):
    a, b = Network(SIZES, seed=12), Network(SIZES, seed=12)
    X, T = data(4)
    assert a.train_batch(X, T, 0.5) == b.train_batch(X, T, 0.5, weight_decay=0)
    for (W0, b0), (W1, b1) in zip(a.get_weights(), b.get_weights()):
        assert_array_equal(W0, W1)
        assert_array_equal(b0, b1)


@pytest.mark.parametrize("weight_decay, message", [
    (-0.1, "weight_decay to be a number >= 0"), (float("nan"), "weight_decay to be a number >= 0"),
    (float("inf"), "weight_decay to be a number >= 0"), ("0.1", "weight_decay to be a number >= 0"),
    (True, "weight_decay to be a number >= 0"), (None, "weight_decay to be a number >= 0"),
    (2.0, r"rate \* weight_decay < 1"),
])
@pytest.mark.parametrize("Network", NETWORKS)
def test_a_bad_weight_decay_is_refused_before_any_change(Network, weight_decay, message):
    network = Network(SIZES, seed=13)
    X, T = data(2)
    before = network.get_weights()
    with pytest.raises(ValueError, match=message):
        network.train_batch(X, T, 0.5, weight_decay=weight_decay)
    for (W0, b0), (W1, b1) in zip(before, network.get_weights()):
        assert_array_equal(W0, W1)
        assert_array_equal(b0, b1)
