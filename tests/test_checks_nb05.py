"""The planted bug of notebook 05 is caught, and its exercise check accepts right answers and rejects wrong ones."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bpcourse.core.activations import get_activator
from bpcourse.exercises.buggy import buggy_gradients
import inspect

from bpcourse.exercises.checks.nb05 import (THRESHOLD, check_fixed_gradients, check_gradient_check_errors,
                                            check_rel_error, reference_gradients)
from bpcourse.exercises.originality import BorrowedAnswer
from notebook_solutions import solutions

SOLUTIONS = solutions("05")


def copied_into_a_notebook(function):
    """The function re-created from its source, as a learner who copied it into a cell would have it."""
    namespace = {"__name__": "__main__", "np": np, "get_activator": get_activator}
    exec(inspect.getsource(function), namespace)
    return namespace[function.__name__]
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


def test_the_notebooks_fix_passes(capsys):
    check_fixed_gradients(SOLUTIONS["fixed_gradients"])
    assert capsys.readouterr().out.startswith("check_fixed_gradients: all 5 cases passed: every weight's gradient")


@pytest.mark.parametrize("borrowed", [reference_gradients, lambda network, x, t: network.gradients(x, t)],
                         ids=["the reference", "network.gradients"])
def test_the_packages_backward_passes_are_refused(borrowed):
    with pytest.raises(BorrowedAnswer, match="BORROWED ANSWER: check_fixed_gradients"):
        check_fixed_gradients(borrowed)


def test_the_package_s_buggy_version_itself_fails_as_a_wrong_answer():
    with pytest.raises(AssertionError, match="check_fixed_gradients failed"):
        check_fixed_gradients(buggy_gradients)


def test_hand_written_fix_passes(capsys):
    check_fixed_gradients(corrected)
    assert "all 5 cases passed" in capsys.readouterr().out


def test_the_buggy_version_is_rejected_with_the_layers_it_gets_wrong():
    with pytest.raises(AssertionError) as info:
        check_fixed_gradients(copied_into_a_notebook(buggy_gradients))
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


# ---- check_rel_error -----------------------------------------------------------------------


def test_the_notebooks_rel_error_passes(capsys):
    check_rel_error(SOLUTIONS["rel_error"])
    assert capsys.readouterr().out.startswith("check_rel_error: all 6 cases passed")


@pytest.mark.parametrize("wrong, hint", [
    (lambda a, n: np.abs(np.subtract(a, n)) / (np.abs(a) + np.abs(n)), "the denominator has a floor"),
    (lambda a, n: np.abs(np.subtract(a, n)) / np.maximum(1e-8, np.abs(a)), "divide by |a| + |n|"),
    (lambda a, n: np.subtract(a, n) / np.maximum(1e-8, np.abs(a) + np.abs(n)), "absolute value of the difference"),
    (lambda a, n: np.abs(np.subtract(a, n)) / np.maximum(1e-8, np.abs(np.add(a, n))), "not a + n"),
], ids=["no floor", "over |a|", "no abs", "|a + n|"])
def test_wrong_relative_errors_fail_with_the_hint_about_their_mistake(wrong, hint):
    with pytest.raises(AssertionError) as info:
        check_rel_error(wrong)
    assert hint in str(info.value)


def test_the_packages_relative_error_is_refused():
    from bpcourse.core.gradcheck import relative_error

    with pytest.raises(BorrowedAnswer):
        check_rel_error(relative_error)


# ---- check_gradient_check_errors -----------------------------------------------------------


def gradient_check_by_hand(*, sign=1.0, halve=False, restore=True, own_gradients=False):
    """A hand-written gradient check with switches for the mistakes the check must name."""
    def errors_of(network, x, t, analytic, epsilon=1e-4):
        grads = network.gradients(x, t) if own_gradients else analytic(network, x, t)
        work = [(W.copy(), b.copy()) for W, b in network.get_weights()]
        errors = []
        for layer, pair in enumerate(grads):
            out = []
            for k, grad in enumerate(pair):
                err = np.zeros(grad.shape)
                for index in np.ndindex(grad.shape):
                    original = work[layer][k][index]
                    work[layer][k][index] = original + epsilon
                    network.set_weights(work)
                    plus = network.loss_value(x, t)
                    work[layer][k][index] = original - epsilon
                    network.set_weights(work)
                    minus = network.loss_value(x, t)
                    if restore:
                        work[layer][k][index] = original
                    numeric = sign * (plus - minus) / ((1 if halve else 2) * epsilon)
                    err[index] = np.abs(grad[index] - numeric) / max(1e-8, abs(grad[index]) + abs(numeric))
                out.append(err)
            errors.append(tuple(out))
        network.set_weights(work)
        return errors
    return errors_of


def test_the_notebooks_gradient_check_passes(capsys):
    check_gradient_check_errors(SOLUTIONS["gradient_check_errors"])
    assert capsys.readouterr().out.startswith("check_gradient_check_errors: all 4 cases passed")


def test_a_hand_written_gradient_check_passes(capsys):
    check_gradient_check_errors(gradient_check_by_hand())
    assert "all 4 cases passed" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (gradient_check_by_hand(sign=-1.0), "the numeric estimate has the wrong sign"),
    (gradient_check_by_hand(halve=True), "twice too big"),
    (gradient_check_by_hand(restore=False), "put every perturbed weight back"),
    (gradient_check_by_hand(own_gradients=True), "compare with the gradients that `analytic` returns"),
], ids=["sign", "no 2", "not restored", "ignores analytic"])
def test_wrong_gradient_checks_fail_with_the_hint_about_their_mistake(wrong, hint):
    with pytest.raises(AssertionError) as info:
        check_gradient_check_errors(wrong)
    assert hint in str(info.value)


def test_the_packages_gradient_check_is_refused():
    def borrowed(network, x, t, analytic, epsilon=1e-4):
        report = gradient_check(network, x, t, epsilon=epsilon, analytic=analytic)
        return report

    with pytest.raises(BorrowedAnswer, match="gradient_check"):
        check_gradient_check_errors(borrowed)
