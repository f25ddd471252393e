import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from bpcourse.core.activations import (
    SigmoidActivator,
    TanhActivator,
    get_activator,
    sigmoid,
    sigmoid_derivative,
    tanh,
    tanh_derivative,
)


def test_sigmoid_values():
    assert_allclose(sigmoid(np.array([0.0, 1.0, -1.0])), [0.5, 1 / (1 + np.e**-1), 1 / (1 + np.e)], rtol=1e-15)


def test_sigmoid_never_overflows_or_warns():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = sigmoid(np.array([-1000.0, -50.0, 50.0, 1000.0]))
        y32 = sigmoid(np.array([-1000.0, 1000.0], dtype=np.float32))
    assert_allclose(y, [0.0, np.exp(-50.0), 1.0, 1.0], rtol=1e-12, atol=0)
    assert y32.dtype == np.float32
    assert_allclose(y32, [0.0, 1.0], atol=0)


def test_sigmoid_keeps_shape_and_float_dtype():
    x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    assert sigmoid(x).shape == (3, 4)
    assert sigmoid(x).dtype == np.float32
    assert sigmoid(np.array([1, 2])).dtype == np.float64


@pytest.mark.parametrize(
    "function, derivative", [(sigmoid, sigmoid_derivative), (tanh, tanh_derivative)], ids=["sigmoid", "tanh"]
)
def test_derivative_from_output_matches_finite_difference(function, derivative):
    x = np.linspace(-6, 6, 101)
    h = 1e-6
    numeric = (function(x + h) - function(x - h)) / (2 * h)
    assert_allclose(derivative(function(x)), numeric, rtol=0, atol=1e-9)  # eq. 1.4


def test_get_activator():
    assert get_activator("sigmoid") is SigmoidActivator
    assert get_activator("tanh") is TanhActivator
    assert get_activator(TanhActivator) is TanhActivator
    assert_allclose(SigmoidActivator.backward(SigmoidActivator.forward(0.0)), 0.25, rtol=1e-15)
    with pytest.raises(ValueError, match="expected one of"):
        get_activator("relu")
    with pytest.raises(ValueError, match="backward"):
        get_activator(type("Half", (), {"name": "half", "forward": staticmethod(np.abs)}))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_never_overflows_keeps_the_dtype_and_matches_the_formula(dtype):
    rng = np.random.default_rng(3)
    edges = [-1000.0, -30.0, -1e-8, -0.0, 0.0, 1e-8, 30.0, 1000.0, -np.inf, np.inf, np.nan]
    net = np.concatenate([rng.normal(0.0, 5.0, size=200), edges]).astype(dtype)
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # exp(-|net|) and exp(min(net, 0)) are <= 1
        y = sigmoid(net)
    assert y.dtype == np.dtype(dtype)
    wide = net[:-1].astype(np.longdouble)
    with np.errstate(over="ignore"):
        expected = 1 / (1 + np.exp(-wide))  # eq. 1.2 in extended precision, where e^-x may overflow harmlessly
    assert_allclose(y[:-1], expected.astype(np.float64), rtol=4 * np.finfo(dtype).eps, atol=0)
    assert_array_equal(y[-3:-1], [0.0, 1.0])
    assert np.isnan(y[-1])
