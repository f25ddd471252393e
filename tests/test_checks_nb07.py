"""The exercise checks of notebook 07 accept right answers and reject plausible wrong ones."""

import numpy as np
import pytest

from bpcourse.core.activations import sigmoid
from bpcourse.exercises.originality import BorrowedAnswer
from notebook_solutions import solutions
from bpcourse.exercises.checks.nb07 import (
    check_two_layer_pass,
    check_batch_update,
    check_layer_backward,
    reference_batch_update,
    reference_layer_backward,
)
from bpcourse.core.vectorized import Network


def not_written(*args):
    raise NotImplementedError()


# ---- the references agree with the network ------------------------------------------


def test_reference_layer_backward_matches_the_network_gradients():
    """Backpropagating by hand with the reference gives Network.gradients (a 5-4-3 net, batch of 6)."""
    rng = np.random.default_rng(0)
    net = Network((5, 4, 3), seed=1)
    X = rng.random((6, 5))
    T = rng.random((6, 3))
    (W1, b1), (W2, b2) = net.get_weights()
    a1 = 1 / (1 + np.exp(-(X @ W1.T + b1)))
    y = 1 / (1 + np.exp(-(a1 @ W2.T + b2)))
    delta2 = y * (1 - y) * (T - y)  # eq. 6.2
    delta1, dW2, db2 = reference_layer_backward(W2, a1, delta2)
    _, dW1, db1 = reference_layer_backward(W1, X, delta1)
    expected = net.gradients(X, T)
    for got, want in zip((dW1, db1, dW2, db2),
                         (expected[0][0], expected[0][1], expected[1][0], expected[1][1])):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)


def test_reference_batch_update_is_eq_6_5_with_the_mean():
    rng = np.random.default_rng(1)
    W, b = rng.random((3, 5)), rng.random(3)
    X, delta = rng.random((4, 5)), rng.random((4, 3))
    W_new, b_new = reference_batch_update(W, b, X, delta, 0.5)
    np.testing.assert_allclose(W_new, W + 0.5 * delta.T @ X / 4, rtol=1e-12)
    np.testing.assert_allclose(b_new, b + 0.5 * delta.mean(axis=0), rtol=1e-12)


# ---- check_layer_backward ------------------------------------------------------------


def right_backward(W, a_prev, delta):
    n = len(delta)
    return a_prev * (1 - a_prev) * (delta @ W), -(delta.T @ a_prev) / n, -delta.mean(axis=0)


def test_right_layer_backward_passes(capsys):
    check_layer_backward(right_backward)
    assert capsys.readouterr().out.startswith("check_layer_backward: all 4 cases passed")


def test_the_notebooks_layer_backward_passes(capsys):
    check_layer_backward(solutions("07")["layer_backward"])
    assert "all 4 cases passed" in capsys.readouterr().out


@pytest.mark.parametrize("borrowed, check", [
    (reference_layer_backward, check_layer_backward),
    (lambda W, a_prev, delta: reference_layer_backward(W, a_prev, delta), check_layer_backward),
    (reference_batch_update, check_batch_update),
], ids=["backward reference", "calls it", "update reference"])
def test_the_references_are_refused(borrowed, check):
    with pytest.raises(BorrowedAnswer, match="BORROWED ANSWER"):
        check(borrowed)


def test_a_loop_over_samples_also_passes(capsys):
    def looped(W, a_prev, delta):
        n = len(delta)
        delta_prev = np.array([a * (1 - a) * (W.T @ d) for a, d in zip(a_prev, delta)])
        dW = -sum(np.outer(d, a) for a, d in zip(a_prev, delta)) / n
        return delta_prev, dW, -delta.sum(axis=0) / n

    check_layer_backward(looped)
    assert "passed" in capsys.readouterr().out


def test_layer_backward_not_written_fails():
    with pytest.raises(AssertionError, match="not written yet"):
        check_layer_backward(not_written)


def test_layer_backward_with_transposed_weights_is_rejected():
    def transposed(W, a_prev, delta):
        n = len(delta)
        return a_prev * (1 - a_prev) * (delta @ W.T), -(delta.T @ a_prev) / n, -delta.mean(axis=0)

    with pytest.raises(AssertionError, match="shapes do not fit"):
        check_layer_backward(transposed)


def test_layer_backward_without_derivative_is_rejected():
    def no_derivative(W, a_prev, delta):
        _, dW, db = right_backward(W, a_prev, delta)
        return delta @ W, dW, db

    with pytest.raises(AssertionError, match="derivative is missing"):
        check_layer_backward(no_derivative)


def test_layer_backward_with_sum_instead_of_mean_is_rejected():
    def summed(W, a_prev, delta):
        delta_prev, _, _ = right_backward(W, a_prev, delta)
        return delta_prev, -(delta.T @ a_prev), -delta.sum(axis=0)

    with pytest.raises(AssertionError) as info:
        check_layer_backward(summed)
    message = str(info.value)
    assert "N = 4" in message and "MEAN" in message  # passes N = 1, fails on the batch of 4


def test_layer_backward_with_flipped_gradient_sign_is_rejected():
    def text_sign(W, a_prev, delta):
        delta_prev, dW, db = right_backward(W, a_prev, delta)
        return delta_prev, -dW, -db

    with pytest.raises(AssertionError, match="sign is flipped"):
        check_layer_backward(text_sign)


def test_layer_backward_with_transposed_gradient_is_rejected():
    def transposed_dW(W, a_prev, delta):
        delta_prev, dW, db = right_backward(W, a_prev, delta)
        return delta_prev, dW.T, db

    with pytest.raises(AssertionError, match="shape of W"):
        check_layer_backward(transposed_dW)


def test_layer_backward_returning_too_little_is_rejected():
    with pytest.raises(AssertionError, match=r"expected 3 results"):
        check_layer_backward(lambda W, a_prev, delta: right_backward(W, a_prev, delta)[:2])


def test_layer_backward_sigmoid_applied_again_is_rejected():
    def again(W, a_prev, delta):
        s = 1 / (1 + np.exp(-a_prev))
        _, dW, db = right_backward(W, a_prev, delta)
        return s * (1 - s) * (delta @ W), dW, db

    with pytest.raises(AssertionError, match="do not apply the sigmoid again"):
        check_layer_backward(again)


# ---- check_batch_update ----------------------------------------------------------------


def right_update(W, b, X, delta, rate):
    n = len(delta)
    return W + rate * (delta.T @ X) / n, b + rate * delta.mean(axis=0)


def test_right_batch_update_passes(capsys):
    check_batch_update(right_update)
    assert capsys.readouterr().out.startswith("check_batch_update: all 4 cases passed")


def test_the_notebooks_batch_update_passes(capsys):
    check_batch_update(solutions("07")["batch_update"])
    assert "all 4 cases passed" in capsys.readouterr().out


def test_in_place_update_that_returns_the_arrays_passes(capsys):
    def in_place(W, b, X, delta, rate):
        W += rate * (delta.T @ X) / len(delta)
        b += rate * delta.mean(axis=0)
        return W, b

    check_batch_update(in_place)
    assert "passed" in capsys.readouterr().out


def test_batch_update_not_written_fails():
    with pytest.raises(AssertionError, match="not written yet"):
        check_batch_update(not_written)


def test_batch_update_with_transposed_product_is_rejected():
    def transposed(W, b, X, delta, rate):
        return W + rate * (X.T @ delta) / len(delta), b + rate * delta.mean(axis=0)

    with pytest.raises(AssertionError, match="shapes do not fit"):
        check_batch_update(transposed)


def test_batch_update_returning_transposed_weights_is_rejected():
    def transposed(W, b, X, delta, rate):
        return (W + rate * (delta.T @ X) / len(delta)).T, b + rate * delta.mean(axis=0)

    with pytest.raises(AssertionError, match="transposed"):
        check_batch_update(transposed)


def test_batch_update_with_sum_instead_of_mean_is_rejected():
    def summed(W, b, X, delta, rate):
        return W + rate * (delta.T @ X), b + rate * delta.sum(axis=0)

    with pytest.raises(AssertionError, match="you sum over the 4 samples"):
        check_batch_update(summed)


def test_batch_update_with_wrong_sign_is_rejected():
    def descending(W, b, X, delta, rate):
        return W - rate * (delta.T @ X) / len(delta), b - rate * delta.mean(axis=0)

    with pytest.raises(AssertionError, match="sign is flipped"):
        check_batch_update(descending)


def test_batch_update_without_rate_is_rejected():
    def no_rate(W, b, X, delta, rate):
        return W + (delta.T @ X) / len(delta), b + delta.mean(axis=0)

    with pytest.raises(AssertionError, match="learning rate is missing"):
        check_batch_update(no_rate)


def test_batch_update_changing_its_inputs_is_rejected():
    def scribbles(W, b, X, delta, rate):
        delta *= rate
        return W + (delta.T @ X) / len(delta), b + delta.mean(axis=0)

    with pytest.raises(AssertionError, match="changed its argument delta"):
        check_batch_update(scribbles)


# ---- check_two_layer_pass -------------------------------------------------------------------


def two_layer(*, bias=True, hidden_slope=True, sign=-1.0, mean=True, transposed=False, db_axis=0):
    """A hand-written vectorized pass with switches for the mistakes the check must name."""
    def two_layer_pass(W1, b1, W2, b2, X, T):
        A1 = sigmoid(X @ W1.T + (b1 if bias else 0))
        Y = sigmoid(A1 @ W2.T + (b2 if bias else 0))
        delta2 = Y * (1 - Y) * (T - Y)
        delta1 = (A1 * (1 - A1) if hidden_slope else 1) * (delta2 @ W2)
        scale = sign / (len(X) if mean else 1)
        grads = []
        for delta, a in ((delta1, X), (delta2, A1)):
            dW = scale * (a.T @ delta if transposed else delta.T @ a)
            grads.append((dW, scale * delta.sum(axis=db_axis)))
        return Y, grads
    return two_layer_pass


def test_the_notebooks_two_layer_pass_passes(capsys):
    check_two_layer_pass(solutions("07")["two_layer_pass"])
    assert capsys.readouterr().out.startswith("check_two_layer_pass: all 3 cases passed")


def test_a_hand_written_pass_passes(capsys):
    check_two_layer_pass(two_layer())
    assert "all 3 cases passed" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (two_layer(bias=False), "the biases are missing"),
    (two_layer(hidden_slope=False), "lack the slope a(1 - a)"),
    (two_layer(sign=1.0), "return the TRUE gradient"),
    (two_layer(mean=False), "you sum over the 6 samples"),
    (two_layer(transposed=True), "dW has the shape of its W"),
    (two_layer(db_axis=1), "db has one entry per node"),
], ids=["no bias", "no hidden slope", "text's sign", "sum", "dW transposed", "db wrong axis"])
def test_wrong_passes_fail_with_the_hint_about_their_mistake(wrong, hint):
    with pytest.raises(AssertionError) as info:
        check_two_layer_pass(wrong)
    assert hint in str(info.value)


def test_the_networks_own_gradients_are_refused():
    def borrowed(W1, b1, W2, b2, X, T):
        network = Network((W1.shape[1], W1.shape[0], W2.shape[0]))
        network.set_weights([(W1, b1), (W2, b2)])
        return network.predict(X), network.gradients(X, T)

    with pytest.raises(BorrowedAnswer, match="BORROWED ANSWER"):
        check_two_layer_pass(borrowed)
