"""The exercise checks of notebook 08 accept right answers and reject plausible wrong ones."""

import numpy as np
import pytest

from bpcourse.core import activations, initialization, losses
from bpcourse.core.activations import sigmoid
from bpcourse.core.vectorized import Network
from bpcourse.exercises.checks.nb08 import (
    check_cross_entropy_delta,
    check_glorot_uniform,
    check_softmax_train_step,
    check_stable_softmax,
    numerical_delta,
    reference_cross_entropy_delta,
    reference_softmax,
    reference_softmax_train_step,
    softmax_cross_entropy,
)
from notebook_solutions import solutions

SOLUTIONS = solutions("08")
package_glorot = SOLUTIONS["glorot_uniform"]  # the notebook's own solution (the package's is refused)


def not_written(*args):
    raise NotImplementedError()


def stable_softmax(net):
    e = np.exp(net - np.max(net, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


# ---- the references ----------------------------------------------------------------------


def test_reference_softmax_rows_sum_to_one_and_match_the_formula():
    net = np.random.default_rng(0).normal(size=(4, 6))
    y = reference_softmax(net)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(y, np.exp(net) / np.exp(net).sum(axis=1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(reference_softmax(np.array([1000.0, 1000.0])), [0.5, 0.5], rtol=1e-15)


def test_reference_delta_is_minus_the_numerical_derivative():
    rng = np.random.default_rng(1)
    net, t = rng.normal(size=(3, 5)), np.eye(5)[[0, 3, 4]]
    np.testing.assert_allclose(reference_cross_entropy_delta(net, t), numerical_delta(net, t), rtol=1e-5, atol=1e-8)


def test_cross_entropy_of_a_certain_right_answer_is_zero():
    assert softmax_cross_entropy(np.array([1000.0, 0.0]), np.array([1.0, 0.0])) == pytest.approx(0.0, abs=1e-12)


# ---- check_stable_softmax ------------------------------------------------------------------


def test_stable_softmax_passes(capsys):
    check_stable_softmax(stable_softmax)
    assert capsys.readouterr().out.startswith("check_stable_softmax: all 6 cases passed")


def test_softmax_not_written_fails():
    with pytest.raises(AssertionError, match="not written yet"):
        check_stable_softmax(not_written)


def test_naive_softmax_overflows_and_is_rejected():
    def naive(net):
        e = np.exp(net)
        return e / e.sum(axis=-1, keepdims=True)

    with pytest.raises(AssertionError, match="net = 1000") as info:
        check_stable_softmax(naive)
    assert "overflow" in str(info.value) and "subtract" in str(info.value)


def test_softmax_over_the_whole_batch_is_rejected():
    def whole(net):
        e = np.exp(net - np.max(net))
        return e / e.sum()

    with pytest.raises(AssertionError, match="each sample"):
        check_stable_softmax(whole)


def test_softmax_over_columns_is_rejected():
    def columns(net):
        e = np.exp(net - np.max(net, axis=0))
        return e / e.sum(axis=0)

    with pytest.raises(AssertionError, match="columns"):
        check_stable_softmax(columns)


def test_softmax_in_place_is_rejected():
    def in_place(net):
        net -= np.max(net, axis=-1, keepdims=True)
        e = np.exp(net)
        return e / e.sum(axis=-1, keepdims=True)

    with pytest.raises(AssertionError, match="in place"):
        check_stable_softmax(in_place)


def test_sigmoid_instead_of_softmax_is_rejected():
    with pytest.raises(AssertionError, match="sigmoid"):
        check_stable_softmax(lambda net: 1 / (1 + np.exp(-np.clip(net, -500, 500))))


# ---- check_cross_entropy_delta ---------------------------------------------------------------


def test_right_delta_passes(capsys):
    check_cross_entropy_delta(lambda net, t: t - stable_softmax(net))
    assert "all 5 cases passed" in capsys.readouterr().out


def test_delta_with_flipped_sign_is_rejected():
    with pytest.raises(AssertionError, match="sign is flipped"):
        check_cross_entropy_delta(lambda net, t: stable_softmax(net) - t)


def test_squared_error_delta_is_rejected():
    def squared(net, t):
        y = stable_softmax(net)
        return y * (1 - y) * (t - y)

    with pytest.raises(AssertionError, match="factor cancels"):
        check_cross_entropy_delta(squared)


def test_delta_without_softmax_is_rejected():
    with pytest.raises(AssertionError, match="softmax first"):
        check_cross_entropy_delta(lambda net, t: t - net)


def test_delta_divided_by_batch_size_is_rejected():
    def mean(net, t):
        n = 1 if net.ndim == 1 else len(net)
        return (t - stable_softmax(net)) / n

    with pytest.raises(AssertionError, match="batch size"):
        check_cross_entropy_delta(mean)


def test_hints_do_not_give_the_solution_line():
    with pytest.raises(AssertionError) as info:
        check_cross_entropy_delta(lambda net, t: stable_softmax(net) - t)
    assert "t - y" not in str(info.value).split("hint:")[1]


# ---- check_glorot_uniform ------------------------------------------------------------------------


def test_the_notebooks_glorot_passes_the_visible_and_the_hidden_cases(capsys):
    check_glorot_uniform(package_glorot)
    assert "all 4 cases passed" in capsys.readouterr().out
    check_glorot_uniform(package_glorot, seed=8801)
    assert "hidden cases passed" in capsys.readouterr().out


@pytest.mark.parametrize("check, borrowed", [
    (check_glorot_uniform, initialization.glorot_uniform),
    (check_glorot_uniform, lambda n_in, n_out, rng: initialization.glorot_uniform(n_in, n_out, rng)),
    (check_stable_softmax, activations.softmax),
    (check_stable_softmax, lambda net: reference_softmax(net)),
    (check_cross_entropy_delta, lambda net, t: losses.SoftmaxCrossEntropy.delta(activations.softmax(net), t, None)),
    (check_cross_entropy_delta, reference_cross_entropy_delta),
])
def test_the_package_s_own_answer_is_refused_as_borrowed(check, borrowed):
    with pytest.raises(AssertionError, match="BORROWED ANSWER"):
        check(borrowed)


@pytest.mark.parametrize("check, name", [(check_stable_softmax, "softmax"),
                                         (check_cross_entropy_delta, "cross_entropy_delta")])
def test_the_notebooks_solutions_pass_the_hidden_cases(check, name, capsys):
    check(SOLUTIONS[name], seed=8802)
    assert "hidden cases passed" in capsys.readouterr().out


def test_transposed_glorot_is_rejected():
    def transposed(n_in, n_out, rng):
        return package_glorot(n_in, n_out, rng).T

    with pytest.raises(AssertionError, match="transposed"):
        check_glorot_uniform(transposed)


def test_normal_glorot_is_rejected():
    def normal(n_in, n_out, rng):
        return rng.normal(0.0, np.sqrt(2 / (n_in + n_out)), size=(n_out, n_in))

    with pytest.raises(AssertionError, match="outside"):
        check_glorot_uniform(normal)


def test_bound_without_square_root_or_with_one_size_is_rejected():
    def one_size(n_in, n_out, rng):
        a = np.sqrt(1 / n_in)
        return rng.uniform(-a, a, size=(n_out, n_in))

    with pytest.raises(AssertionError, match="too small"):
        check_glorot_uniform(one_size)


def test_unseeded_glorot_is_rejected():
    def global_random(n_in, n_out, rng):
        a = np.sqrt(6 / (n_in + n_out))
        return np.random.uniform(-a, a, size=(n_out, n_in))

    with pytest.raises(AssertionError, match="rng"):
        check_glorot_uniform(global_random)


def test_text_start_is_rejected_for_the_big_layer():
    with pytest.raises(AssertionError, match="n_in = 784"):
        check_glorot_uniform(lambda n_in, n_out, rng: rng.uniform(-0.1, 0.1, size=(n_out, n_in)))


# ---- check_softmax_train_step --------------------------------------------------------------------


def train_step(*, output="softmax", output_slope=False, hidden_slope=True, sign=1.0, mean=True, bias=True,
               new_W2_below=False, transposed=False, b_axis=0, b_keepdims=False, in_place=False, stable=True):
    """A hand-written step with switches for the mistakes the check must name."""
    def softmax_train_step(W1, b1, W2, b2, X, T, rate):
        A1 = sigmoid(X @ W1.T + (b1 if bias else 0))
        net2 = A1 @ W2.T + (b2 if bias else 0)
        if output == "sigmoid":
            Y = sigmoid(net2)
        else:
            e = np.exp(net2 - net2.max(axis=1, keepdims=True)) if stable else np.exp(net2)
            Y = e / e.sum(axis=1, keepdims=True)
        delta2 = (Y * (1 - Y) if output_slope else 1.0) * (T - Y)
        scale = sign * rate / (len(X) if mean else 1)
        step2 = scale * delta2.T @ A1
        if in_place:
            W2 += step2
            W2_new = W2
        else:
            W2_new = W2 + step2
        b2_new = b2 + scale * delta2.sum(axis=b_axis, keepdims=b_keepdims)
        delta1 = (A1 * (1 - A1) if hidden_slope else 1.0) * (delta2 @ (W2_new if new_W2_below else W2))
        W1_new = W1 + scale * delta1.T @ X
        if transposed:  # weights kept as (inputs, outputs), the other way round
            W1_new, W2_new = W1.T + scale * X.T @ delta1, W2.T + scale * A1.T @ delta2
        return [(W1_new, b1 + scale * delta1.sum(axis=b_axis, keepdims=b_keepdims)), (W2_new, b2_new)]
    return softmax_train_step


def test_the_notebooks_softmax_train_step_passes_the_visible_and_the_hidden_cases(capsys):
    check_softmax_train_step(SOLUTIONS["softmax_train_step"])
    assert capsys.readouterr().out.startswith("check_softmax_train_step: all 4 cases passed")
    check_softmax_train_step(SOLUTIONS["softmax_train_step"], seed=8804)
    assert "all 3 hidden cases passed" in capsys.readouterr().out


def test_a_hand_written_step_passes(capsys):
    check_softmax_train_step(train_step())
    assert "all 4 cases passed" in capsys.readouterr().out


def test_the_reference_is_one_train_batch_step_of_the_softmax_network():
    rng = np.random.default_rng(3)
    W1, b1, W2, b2 = rng.normal(size=(4, 6)), rng.normal(size=4), rng.normal(size=(3, 4)), rng.normal(size=3)
    X, T = rng.uniform(size=(5, 6)), np.eye(3)[[0, 2, 1, 1, 0]]
    network = Network((6, 4, 3), loss="softmax_cross_entropy")
    network.set_weights([(W1, b1), (W2, b2)])
    network.train_batch(X, T, 0.7)
    for got, expected in zip(reference_softmax_train_step(W1, b1, W2, b2, X, T, 0.7), network.get_weights()):
        np.testing.assert_allclose(got[0], expected[0], rtol=1e-14, atol=0)
        np.testing.assert_allclose(got[1], expected[1], rtol=1e-14, atol=0)
    # and by hand: the mean step of eq. 6.5, 6.6 with the output delta t - y
    np.testing.assert_allclose(reference_softmax_train_step(W1, b1, W2, b2, X, T, 0.7)[1][1],
                               train_step()(W1, b1, W2, b2, X, T, 0.7)[1][1], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("wrong, hint", [
    (train_step(sign=-1.0), "the sign is flipped"),
    (train_step(mean=False), "you sum over the samples"),
    (train_step(hidden_slope=False), "lack the slope a(1 - a)"),
    (train_step(output_slope=True), "it cancels and the output delta is t - y"),
    (train_step(output="sigmoid"), "the output layer applies the sigmoid"),
    (train_step(new_W2_below=True), "AFTER their update"),
    (train_step(bias=False), "the biases are missing"),
    (train_step(transposed=True), "W1_new has the shape of W1"),
    (train_step(b_keepdims=True), "b1_new has one entry per node"),
    (train_step(b_axis=1), "the shapes do not fit"),
    (train_step(stable=False), "compute the softmax the stable way"),
    (train_step(in_place=True), "changed its argument W2 in place"),
], ids=["sign", "sum", "no hidden slope", "squared error's slope", "sigmoid output", "updated W2 below",
        "no bias", "transposed", "b kept as a row", "b wrong axis", "overflow", "in place"])
def test_wrong_steps_fail_with_the_hint_about_their_mistake(wrong, hint):
    with pytest.raises(AssertionError) as info:
        check_softmax_train_step(wrong)
    assert hint in str(info.value)


def test_a_step_without_return_or_of_the_wrong_form_is_rejected():
    with pytest.raises(AssertionError, match="returned None"):
        check_softmax_train_step(lambda W1, b1, W2, b2, X, T, rate: None)
    with pytest.raises(AssertionError, match="expected two"):
        check_softmax_train_step(lambda W1, b1, W2, b2, X, T, rate: (W1, b1, W2, b2))
    with pytest.raises(AssertionError, match="not written yet"):
        check_softmax_train_step(not_written)


@pytest.mark.parametrize("borrowed", [
    reference_softmax_train_step,
    lambda W1, b1, W2, b2, X, T, rate: reference_softmax_train_step(W1, b1, W2, b2, X, T, rate),
])
def test_the_package_s_own_step_is_refused(borrowed):
    with pytest.raises(AssertionError, match="BORROWED ANSWER"):
        check_softmax_train_step(borrowed)


def test_the_network_s_own_train_batch_is_refused():
    def borrowed(W1, b1, W2, b2, X, T, rate):
        network = Network((W1.shape[1], W1.shape[0], W2.shape[0]), loss="softmax_cross_entropy")
        network.set_weights([(W1, b1), (W2, b2)])
        network.train_batch(X, T, rate)
        return network.get_weights()

    with pytest.raises(AssertionError, match="BORROWED ANSWER"):
        check_softmax_train_step(borrowed)
