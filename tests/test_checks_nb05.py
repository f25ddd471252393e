"""The planted bug of notebook 05 is caught, and its exercise check accepts right answers and rejects wrong ones."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bpcourse.core.activations import get_activator
from bpcourse.exercises.buggy import buggy_gradients
from bpcourse.exercises.checks.nb05 import THRESHOLD, check_fixed_gradients, reference_gradients
from bpcourse.core.gradcheck import gradient_check
from bpcourse.core.oo_network import Network as ObjectNetwork
from bpcourse.core.vectorized import Network as VectorizedNetwork


def corrected(network, x, t):
    """buggy_gradients with its one line fixed: f' from the output a, not from net."""
    activator = get_activator(network.activator)
    weights = network.get_weights()
    a = [np.asarray(x, dtype=float)]
    for W, b in weights:
        a.append(activator.forward(W @ a[-1] + b))
    g = -(np.asarray(t, dtype=float) - a[-1]) * activator.backward(a[-1])
    grads = []
    for l in range(len(weights) - 1, -1, -1):
        grads.append((np.outer(g, a[l]), g.copy()))
        if l > 0:
            g = activator.backward(a[l]) * (weights[l][0].T @ g)
    return grads[::-1]


def not_written(network, x, t):
    raise NotImplementedError()


def sample(sizes, seed):
    rng = np.random.default_rng(seed)
    network = VectorizedNetwork(sizes, seed=seed)
    network.set_weights([(0.5 * rng.normal(size=W.shape), 0.5 * rng.normal(size=b.shape))
                         for W, b in network.get_weights()])
    return network, rng.uniform(size=sizes[0]), np.where(rng.uniform(size=sizes[-1]) < 0.5, 0.1, 0.9)


# ---- the planted bug ----------------------------------------------------------------------


@pytest.mark.parametrize("sizes", [(4, 5, 3), (4, 5, 4, 3)])
def test_buggy_gradients_are_wrong_in_every_hidden_layer_and_right_in_the_output_layer(sizes):
    network, x, t = sample(sizes, 1)
    report = gradient_check(network, x, t, analytic=buggy_gradients)
    last = len(sizes) - 2
    assert np.all(report.relative_error[report.layer < last] > 1e-3)
    assert np.all(report.relative_error[report.layer == last] < THRESHOLD)
    assert not report.passed(THRESHOLD)


def test_buggy_gradients_agree_on_both_networks_and_change_no_weight():
    vectorized, x, t = sample((3, 4, 2), 2)
    weights = vectorized.get_weights()
    objects = ObjectNetwork((3, 4, 2))
    objects.set_weights(weights)
    for (dW, db), (dW2, db2) in zip(buggy_gradients(vectorized, x, t), buggy_gradients(objects, x, t)):
        assert_allclose(dW, dW2, rtol=1e-12, atol=1e-15)
        assert_allclose(db, db2, rtol=1e-12, atol=1e-15)
    for (W, b), (W2, b2) in zip(weights, vectorized.get_weights()):
        assert np.array_equal(W, W2) and np.array_equal(b, b2)


def test_the_one_line_fix_gives_the_true_gradient():
    network, x, t = sample((4, 5, 4, 3), 3)
    for (dW, db), (rW, rb) in zip(corrected(network, x, t), network.gradients(x, t)):
        assert_allclose(dW, rW, rtol=1e-10, atol=1e-14)
        assert_allclose(db, rb, rtol=1e-10, atol=1e-14)


# ---- check_fixed_gradients ------------------------------------------------------------


def test_reference_passes(capsys):
    check_fixed_gradients(reference_gradients)
    assert capsys.readouterr().out.startswith("check_fixed_gradients: all 5 networks pass the gradient check")


def test_hand_written_fix_passes(capsys):
    check_fixed_gradients(corrected)
    assert "all 5 networks pass" in capsys.readouterr().out


def test_the_buggy_version_is_rejected_with_the_layers_it_gets_wrong():
    with pytest.raises(AssertionError) as info:
        check_fixed_gradients(buggy_gradients)
    message = str(info.value)
    assert "still the planted bug" in message
    assert "layer 0: 25 of 25 weights wrong" in message
    assert "layer 2: 0 of 15 weights wrong" in message


def test_sign_flipped_gradients_are_rejected():
    with pytest.raises(AssertionError, match="wrong sign"):
        check_fixed_gradients(lambda network, x, t: [(-dW, -db) for dW, db in corrected(network, x, t)])


def test_sigmoid_derivative_written_in_is_rejected_on_the_tanh_network():
    def sigmoid_only(network, x, t):
        weights = network.get_weights()
        a = [np.asarray(x, dtype=float)]
        for W, b in weights:
            a.append(network.activator.forward(W @ a[-1] + b))
        g = -(t - a[-1]) * a[-1] * (1 - a[-1])
        grads = []
        for l in range(len(weights) - 1, -1, -1):
            grads.append((np.outer(g, a[l]), g))
            if l > 0:
                g = a[l] * (1 - a[l]) * (weights[l][0].T @ g)
        return grads[::-1]

    with pytest.raises(AssertionError) as info:
        check_fixed_gradients(sigmoid_only)
    message = str(info.value)
    assert "tanh" in message and "activator.backward(a)" in message


def test_transposed_dW_is_rejected():
    with pytest.raises(AssertionError, match="dW is transposed"):
        check_fixed_gradients(lambda network, x, t: [(dW.T, db) for dW, db in corrected(network, x, t)])


def test_layers_in_reverse_order_are_rejected():
    with pytest.raises(AssertionError, match="reverse order"):
        check_fixed_gradients(lambda network, x, t: corrected(network, x, t)[::-1])


def test_a_function_that_changes_the_weights_is_rejected():
    def steps_too(network, x, t):
        grads = corrected(network, x, t)
        network.set_weights([(W - 0.1 * dW, b - 0.1 * db) for (W, b), (dW, db) in zip(network.get_weights(), grads)])
        return grads

    with pytest.raises(AssertionError, match="changed the network's weights"):
        check_fixed_gradients(steps_too)


def test_unwritten_function_fails_the_check():
    with pytest.raises(AssertionError, match="not written yet"):
        check_fixed_gradients(not_written)
