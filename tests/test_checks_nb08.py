"""The exercise checks of notebook 08 accept right answers and reject plausible wrong ones."""

import numpy as np
import pytest

from bpcourse.core import initialization, losses
from bpcourse.exercises.checks.nb08 import (
    check_cross_entropy_delta,
    check_glorot_uniform,
    check_stable_softmax,
    cross_entropy,
    numerical_delta,
    reference_cross_entropy_delta,
    reference_softmax,
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
    assert cross_entropy(np.array([1000.0, 0.0]), np.array([1.0, 0.0])) == pytest.approx(0.0, abs=1e-12)


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
    (check_stable_softmax, losses.softmax),
    (check_stable_softmax, lambda net: reference_softmax(net)),
    (check_cross_entropy_delta, lambda net, t: losses.SoftmaxCrossEntropy.delta(losses.softmax(net), t, None)),
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
