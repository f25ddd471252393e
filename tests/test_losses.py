"""The losses: each output delta is -dE/dnet, checked against central differences of the value."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bpcourse.core.activations import ACTIVATORS, softmax
from bpcourse.core.losses import LOSSES, SoftmaxCrossEntropy, SquaredError, get_loss

EPSILON = 1e-6


def numeric_minus_dE_dnet(loss, activator, net, t):
    """-dE/dnet by central differences (eq. 5.4) of E(y(net)), one net at a time."""
    output = loss.output_activator(activator)
    result = np.zeros_like(net)
    for index in np.ndindex(net.shape):
        plus, minus = net.copy(), net.copy()
        plus[index] += EPSILON
        minus[index] -= EPSILON
        E_plus = np.sum(loss.value(output.forward(plus), t))
        E_minus = np.sum(loss.value(output.forward(minus), t))
        result[index] = -(E_plus - E_minus) / (2 * EPSILON)
    return result


def targets(rng, n, k, loss):
    if loss is SoftmaxCrossEntropy:  # a probability vector per row
        return np.eye(k)[rng.integers(0, k, size=n)]
    return rng.uniform(0, 1, size=(n, k))


@pytest.mark.parametrize("loss", list(LOSSES.values()), ids=list(LOSSES))
@pytest.mark.parametrize("activator", list(ACTIVATORS))
def test_delta_is_minus_the_derivative_of_the_value(loss, activator):
    rng = np.random.default_rng(3)
    activator = ACTIVATORS[activator]
    net = rng.normal(0, 2, size=(4, 5))
    t = targets(rng, 4, 5, loss)
    y = loss.output_activator(activator).forward(net)
    delta = loss.delta(y, t, activator)
    assert_allclose(delta, numeric_minus_dE_dnet(loss, activator, net, t), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("loss", list(LOSSES.values()), ids=list(LOSSES))
def test_one_sample_is_a_row_of_a_batch(loss):
    rng = np.random.default_rng(4)
    activator = ACTIVATORS["sigmoid"]
    y = loss.output_activator(activator).forward(rng.normal(size=(3, 4)))
    t = targets(rng, 3, 4, loss)
    values = loss.value(y, t)
    assert values.shape == (3,)
    assert isinstance(loss.value(y[1], t[1]), float)
    assert_allclose(loss.value(y[1], t[1]), values[1], rtol=1e-15)
    assert_allclose(loss.delta(y[1], t[1], activator), loss.delta(y, t, activator)[1], rtol=1e-15)


def test_squared_error_is_the_texts():
    y, t = np.array([0.2, 0.7]), np.array([0.0, 1.0])
    assert_allclose(SquaredError.value(y, t), 0.5 * (0.2**2 + 0.3**2), rtol=1e-15)  # eq. 4.9


def test_softmax_is_stable_and_sums_to_one():
    y = softmax(np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]]))
    assert np.isfinite(y).all()
    assert_allclose(y.sum(axis=1), 1.0, rtol=1e-15)
    assert_allclose(y[0], [1.0, 0.0, 0.0], atol=1e-300)
    e = np.exp([1.0, 2.0, 3.0])
    assert_allclose(y[1], e / e.sum(), rtol=1e-14)


def test_cross_entropy_stays_finite_for_an_output_rounded_to_zero():
    y = softmax(np.array([0.0, 2000.0]))
    E = SoftmaxCrossEntropy.value(y, np.array([1.0, 0.0]))
    assert np.isfinite(E) and E > 700


def test_get_loss():
    assert get_loss("squared_error") is SquaredError
    assert get_loss("softmax_cross_entropy") is SoftmaxCrossEntropy
    assert get_loss(SquaredError) is SquaredError
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        get_loss("hinge")
    with pytest.raises(TypeError, match="delta"):
        get_loss(type("Half", (), {"name": "half", "value": None, "output_activator": None}))
