"""The object network and the vectorized network compute the same numbers (float64).

Same weights in (set_weights), then outputs, losses, gradients and SGD steps
must agree to 1e-12: the two implementations differ only in the order of
floating-point sums.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bpcourse.core import oo_network, vectorized

CASES = [
    ([3, 4, 2], "sigmoid"),
    ([8, 3, 8], "sigmoid"),
    ([784, 30, 10], "sigmoid"),
    ([3, 4, 2], "tanh"),
    ([8, 3, 8], "tanh"),
    ([784, 30, 10], "tanh"),
    ([5, 6, 4, 3], "sigmoid"),  # two hidden layers
]


def assert_agree(a, b):
    """Agreement to 1e-12, relative, with an absolute floor far below any value that matters."""
    assert_allclose(a, b, rtol=1e-12, atol=1e-16)


def random_weights(sizes, rng):
    """Weights uniform in +-1/sqrt(n_in): big enough that every unit is far from trivial."""
    return [
        (rng.uniform(-1, 1, size=(n_out, n_in)) / np.sqrt(n_in), rng.uniform(-1, 1, size=n_out) / np.sqrt(n_in))
        for n_in, n_out in zip(sizes[:-1], sizes[1:])
    ]


def random_samples(sizes, rng, n):
    """X of shape (n, n_in) in [0, 1), T of shape (n, n_out) in [0.1, 0.9)."""
    X = rng.random((n, sizes[0]))
    T = rng.uniform(0.1, 0.9, size=(n, sizes[-1]))
    return X, T


def pair(sizes, activator, seed):
    rng = np.random.default_rng(seed)
    weights = random_weights(sizes, rng)
    oo = oo_network.Network(sizes, activator=activator, seed=seed)
    vec = vectorized.Network(sizes, activator=activator, seed=seed, dtype=np.float64)
    oo.set_weights(weights)
    vec.set_weights(weights)
    return oo, vec, rng


def assert_same_weights(oo, vec):
    for (W0, b0), (W1, b1) in zip(oo.get_weights(), vec.get_weights()):
        assert_agree(W0, W1)
        assert_agree(b0, b1)


@pytest.mark.parametrize("sizes, activator", CASES)
def test_outputs_losses_and_gradients_agree(sizes, activator):
    oo, vec, rng = pair(sizes, activator, seed=len(sizes) + sizes[0])
    X, T = random_samples(sizes, rng, 3)
    for x, t in zip(X, T):
        assert_agree(oo.predict(x), vec.predict(x))
        assert_agree(oo.loss_value(x, t), vec.loss_value(x, t))
        for (dW_oo, db_oo), (dW_vec, db_vec) in zip(oo.gradients(x, t), vec.gradients(x, t)):
            assert dW_oo.shape == dW_vec.shape and db_oo.shape == db_vec.shape
            assert_agree(dW_oo, dW_vec)
            assert_agree(db_oo, db_vec)
    assert_agree(vec.predict(X), np.array([oo.predict(x) for x in X]))  # the batch form too


@pytest.mark.parametrize("sizes, activator", CASES)
def test_one_sgd_step_agrees(sizes, activator):
    oo, vec, rng = pair(sizes, activator, seed=10 + sizes[0])
    X, T = random_samples(sizes, rng, 1)
    before = oo.get_weights()
    oo.train(T, X, 0.5, 1)
    vec.train(T, X, 0.5, 1)
    assert_same_weights(oo, vec)
    # and the step is W -= eta * dW with the gradient at the old weights (eq. 4.10)
    check = oo_network.Network(sizes, activator=activator)
    check.set_weights(before)
    for (W, b), (dW, db), (W_new, b_new) in zip(before, check.gradients(X[0], T[0]), vec.get_weights()):
        assert_agree(W_new, W - 0.5 * dW)
        assert_agree(b_new, b - 0.5 * db)


@pytest.mark.parametrize("sizes, activator", [([3, 4, 2], "sigmoid"), ([8, 3, 8], "tanh")])
def test_several_samples_and_epochs_agree(sizes, activator):
    oo, vec, rng = pair(sizes, activator, seed=3)
    X, T = random_samples(sizes, rng, 5)
    oo.train(T, X, 0.3, 3)
    vec.train(T, X, 0.3, 3)
    assert_same_weights(oo, vec)
    assert_agree(oo.predict(X[0]), vec.predict(X[0]))
