"""The exercise checks of notebook 03 pass the reference, reject plausible wrong answers with a useful hint,
and fail a function that is not written yet; the references agree with both package networks."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bpcourse.core import oo_network, vectorized
from bpcourse.core.activations import sigmoid
from bpcourse.exercises.checks.nb03 import (
    check_cross_entropy_deltas,
    cross_entropy,
    numeric_deltas,
    check_hidden_delta,
    check_output_delta,
    reference_hidden_delta,
    reference_output_delta,
)
from bpcourse.exercises.originality import BorrowedAnswer
from bpcourse.core.trace import text_example
from notebook_solutions import solutions

SOLUTIONS = solutions("03")

NETWORKS = pytest.mark.parametrize("Network", [oo_network.Network, vectorized.Network], ids=["oo", "vectorized"])


@NETWORKS
@pytest.mark.parametrize("sizes", [(3, 4, 2), (2, 5, 3, 4)], ids=["3-4-2", "2-5-3-4"])
def test_references_give_the_networks_error_terms(Network, sizes):
    """delta = -dE/dnet = -db (eq. 4.17): the references, chained backwards, give every layer's -db."""
    rng = np.random.default_rng(3)
    network = Network(sizes, seed=1)
    x, t = rng.normal(size=sizes[0]), rng.uniform(0.1, 0.9, size=sizes[-1])
    weights = network.get_weights()
    outputs = [x]
    for W, b in weights:
        outputs.append(sigmoid(W @ outputs[-1] + b))
    deltas = [reference_output_delta(outputs[-1], t)]
    for l in range(len(weights) - 1, 0, -1):
        deltas.insert(0, reference_hidden_delta(outputs[l], weights[l][0], deltas[0]))
    for delta, (_, db) in zip(deltas, network.gradients(x, t)):
        assert_allclose(delta, -db, rtol=1e-10, atol=1e-14)


def test_references_on_the_text_example_match_eq_4_2_and_4_4_written_out():
    weights, x, t = text_example()
    (W1, b1), (W2, b2) = weights
    a = sigmoid(W1 @ x + b1)
    y = sigmoid(W2 @ a + b2)
    delta8 = y[0] * (1 - y[0]) * (t[0] - y[0])  # eq. 4.2
    delta9 = y[1] * (1 - y[1]) * (t[1] - y[1])
    delta4 = a[0] * (1 - a[0]) * (W2[0, 0] * delta8 + W2[1, 0] * delta9)  # eq. 4.4
    assert_allclose(reference_output_delta(y, t), [delta8, delta9], rtol=1e-13)
    assert_allclose(reference_hidden_delta(a, W2, [delta8, delta9])[0], delta4, rtol=1e-13)


# --- output_delta --------------------------------------------------------------------------


def test_check_output_delta_passes_the_notebooks_solution_and_another_correct_answer(capsys):
    check_output_delta(SOLUTIONS["output_delta"])
    check_output_delta(lambda y, t: y * (1 - y) * (t - y))
    assert capsys.readouterr().out.count("check_output_delta: all 6 cases passed") == 2


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda y, t: y * (1 - y) * (y - t), "sign error"),
        (lambda y, t: t - y, "factor y(1 - y)"),
        (lambda y, t: y - t, "factor y(1 - y) is missing, and the sign"),
        (lambda y, t: sigmoid(y) * (1 - sigmoid(y)) * (t - y), "do not apply the sigmoid again"),
        (lambda y, t: y * (1 - y), "error (t - y) is missing"),
        (lambda y, t: np.sum(y * (1 - y) * (t - y)), "expected a result of shape (2,)"),
    ],
    ids=["y - t", "no y(1-y)", "no y(1-y) and sign", "sigmoid again", "no error", "summed"],
)
def test_check_output_delta_rejects_wrong_answers_with_a_hint(wrong, hint):
    with pytest.raises(AssertionError) as error:
        check_output_delta(wrong)
    assert hint in str(error.value)


def test_check_output_delta_fails_when_not_written():
    def output_delta(y, t):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="not written yet"):
        check_output_delta(output_delta)


# --- hidden_delta --------------------------------------------------------------------------


def test_check_hidden_delta_passes_the_notebooks_solution_and_another_correct_answer(capsys):
    check_hidden_delta(SOLUTIONS["hidden_delta"])
    check_hidden_delta(lambda a, W, d: a * (1 - a) * (d @ W))
    assert capsys.readouterr().out.count("check_hidden_delta: all 6 cases passed") == 2


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda a, W, d: W.T @ d, "factor a(1 - a)"),
        (lambda a, W, d: -a * (1 - a) * (W.T @ d), "sign error"),
        (lambda a, W, d: a * (1 - a) * (W @ d), "W_next has shape (2, 4)"),  # transposed: fails on (2, 4)
        (lambda a, W, d: a * (1 - a) * np.sum(d), "weighted by w_kj"),
        (lambda a, W, d: sigmoid(a) * (1 - sigmoid(a)) * (W.T @ d), "do not apply the sigmoid again"),
    ],
    ids=["no a(1-a)", "sign", "W transposed", "unweighted sum", "sigmoid again"],
)
def test_check_hidden_delta_rejects_wrong_answers_with_a_hint(wrong, hint):
    with pytest.raises(AssertionError) as error:
        check_hidden_delta(wrong)
    assert hint in str(error.value)


def test_check_hidden_delta_names_the_transposed_matrix_when_the_shapes_happen_to_fit():
    """With a square W_next, W_next @ delta runs without error; the square case must still catch it."""

    def transposed_when_possible(a, W, d):
        return a * (1 - a) * (W @ d if W.shape[0] == W.shape[1] else W.T @ d)

    with pytest.raises(AssertionError, match="W_next is used the wrong way round"):
        check_hidden_delta(transposed_when_possible)


def test_check_hidden_delta_fails_when_not_written():
    def hidden_delta(a, W_next, delta_next):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="not written yet"):
        check_hidden_delta(hidden_delta)


@pytest.mark.parametrize("borrowed, check", [
    (reference_output_delta, check_output_delta),
    (lambda y, t: reference_output_delta(y, t), check_output_delta),
    (reference_hidden_delta, check_hidden_delta),
], ids=["the output reference", "calls it", "the hidden reference"])
def test_the_references_are_refused_as_borrowed_answers(borrowed, check):
    with pytest.raises(BorrowedAnswer, match="BORROWED ANSWER"):
        check(borrowed)


# --- cross_entropy_deltas: derived by the learner, checked against finite differences ------------


def test_numeric_deltas_are_minus_the_derivative_of_the_cross_entropy():
    """For one output node with no hidden influence the finite difference gives t - y (the known result)."""
    rng = np.random.default_rng(33)
    x, W1, b1 = rng.normal(size=2), rng.normal(size=(3, 2)), rng.normal(size=3)
    W2, b2, t = rng.normal(size=(2, 3)), rng.normal(size=2), np.array([0.2, 0.7])
    delta_out, delta_hidden = numeric_deltas(x, W1, b1, W2, b2, t)
    a = sigmoid(W1 @ x + b1)
    y = sigmoid(W2 @ a + b2)
    assert_allclose(delta_out, t - y, rtol=1e-7, atol=1e-10)
    assert_allclose(delta_hidden, a * (1 - a) * (W2.T @ (t - y)), rtol=1e-7, atol=1e-10)
    assert cross_entropy(np.array([0.5]), np.array([0.5])) == pytest.approx(np.log(2), rel=1e-12)


def test_check_cross_entropy_deltas_passes_the_notebooks_solution(capsys):
    check_cross_entropy_deltas(SOLUTIONS["cross_entropy_deltas"])
    assert capsys.readouterr().out.startswith("check_cross_entropy_deltas: all 5 cases passed")


def _with(delta_out, delta_hidden):
    def cross_entropy_deltas(x, W1, b1, W2, b2, t):
        a = sigmoid(W1 @ x + b1)
        y = sigmoid(W2 @ a + b2)
        out = delta_out(y, t)
        return out, delta_hidden(a, W2, out)
    return cross_entropy_deltas


def _eq_4_3(a, W, d):
    return a * (1 - a) * (W.T @ d)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (_with(lambda y, t: y * (1 - y) * (t - y), _eq_4_3), "rule for the squared error"),
        (_with(lambda y, t: (t - y) / (y * (1 - y)), _eq_4_3), "that is -dE/dy only"),
        (_with(lambda y, t: y - t, _eq_4_3), "the sign is flipped"),
        (_with(lambda y, t: t - y, lambda a, W, d: W.T @ d), "lacks the slope of its own sigmoid"),
        (_with(lambda y, t: t - y, lambda a, W, d: a * (1 - a) * (W @ d if W.shape[0] == W.shape[1] else W.T @ d)),
         "W2 is used the wrong way round"),
        (lambda *args: (np.zeros(2), np.zeros(4), np.zeros(1)), "return a tuple of two arrays"),
    ],
    ids=["squared-error rule", "dE/dy only", "sign", "hidden slope missing", "W2 transposed", "three results"],
)
def test_check_cross_entropy_deltas_rejects_wrong_answers_with_a_hint(wrong, hint):
    with pytest.raises(AssertionError) as error:
        check_cross_entropy_deltas(wrong)
    assert hint in str(error.value)
    assert "eq. 4." in str(error.value)


def test_check_cross_entropy_deltas_refuses_the_packages_numeric_answer():
    with pytest.raises(BorrowedAnswer, match="numeric_deltas"):
        check_cross_entropy_deltas(numeric_deltas)
