"""The exercise checks of notebook 02 pass the reference, reject plausible wrong answers with a useful hint,
and fail a function that is not written yet; the references agree with both package networks."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from bpcourse.core import oo_network, vectorized
from bpcourse.core.activations import sigmoid
from bpcourse.exercises.checks.nb02 import (
    check_count_parameters,
    check_layer_forward,
    check_network_forward,
    reference_layer_forward,
    reference_network_forward,
)
from bpcourse.exercises.originality import BorrowedAnswer
from bpcourse.core.trace import text_example
from notebook_solutions import solutions

SOLUTIONS = solutions("02")


def test_reference_layer_forward_is_eq_3_8_for_one_sample_and_a_batch():
    rng = np.random.default_rng(0)
    W, b = rng.normal(size=(4, 3)), rng.normal(size=4)
    x, X = rng.normal(size=3), rng.normal(size=(6, 3))
    assert_allclose(reference_layer_forward(W, b, x), 1 / (1 + np.exp(-(W @ x + b))), rtol=1e-12)
    assert_allclose(reference_layer_forward(W, b, X), 1 / (1 + np.exp(-(X @ W.T + b))), rtol=1e-12)
    assert reference_layer_forward(W, b, X).shape == (6, 4)


@pytest.mark.parametrize("Network", [oo_network.Network, vectorized.Network], ids=["oo", "vectorized"])
def test_reference_network_forward_agrees_with_both_networks(Network):
    weights, x, _ = text_example()
    network = Network((3, 4, 2))
    network.set_weights(weights)
    assert_allclose(reference_network_forward(weights, x), network.predict(x), rtol=1e-12)


# --- layer_forward -----------------------------------------------------------------------


def correct_layer_forward(W, b, x):
    return sigmoid(x @ W.T + b)


def test_check_layer_forward_passes_the_notebooks_solution_and_another_correct_answer(capsys):
    check_layer_forward(SOLUTIONS["layer_forward"])
    check_layer_forward(correct_layer_forward)
    assert capsys.readouterr().out.count("check_layer_forward: all 6 cases passed") == 2


@pytest.mark.parametrize("borrowed", [
    reference_layer_forward,
    lambda W, b, x: reference_layer_forward(W, b, x),
    lambda W, b, x: reference_network_forward([(W, b)], x),
], ids=["the reference", "calls the reference", "calls the network reference"])
def test_check_layer_forward_refuses_the_packages_answer(borrowed):
    with pytest.raises(BorrowedAnswer, match="BORROWED ANSWER: check_layer_forward"):
        check_layer_forward(borrowed)


def test_check_layer_forward_passes_a_plain_exp_sigmoid_without_warnings(recwarn):
    check_layer_forward(lambda W, b, x: 1 / (1 + np.exp(-(x @ W.T + b))))
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda W, b, x: sigmoid(x @ W.T), "bias b is missing"),
        (lambda W, b, x: x @ W.T + b, "activation is missing"),
        (lambda W, b, x: sigmoid(x @ W.T) + b, "bias goes inside the sigmoid"),
        (lambda W, b, x: sigmoid(-(x @ W.T + b)), "sign is flipped"),
        (lambda W, b, x: np.tanh(x @ W.T + b), "that is tanh"),
        (lambda W, b, x: sigmoid(x @ W + b), "W has shape (4, 3) = (outputs, inputs)"),  # transposed W
        (lambda W, b, x: sigmoid(W @ x + b), "x is a batch of shape (5, 3)"),  # only one sample
        (lambda W, b, x: sigmoid(np.atleast_2d(x) @ W.T + b), "expected a result of shape (4,)"),
        (lambda W, b, x: None, "return"),
    ],
    ids=["no bias", "no activation", "bias outside", "sign", "tanh", "W transposed", "no batch", "2-D result",
         "returns None"],
)
def test_check_layer_forward_rejects_wrong_answers_with_a_hint(wrong, hint):
    with pytest.raises(AssertionError) as error:
        check_layer_forward(wrong)
    assert hint in str(error.value)


def test_check_layer_forward_rejects_a_function_that_changes_its_input():
    def in_place(W, b, x):
        x[...] = sigmoid(x)
        return sigmoid(x @ W.T + b)

    with pytest.raises(AssertionError, match="changed its input x in place"):
        check_layer_forward(in_place)


def test_check_layer_forward_fails_when_not_written():
    def layer_forward(W, b, x):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="not written yet"):
        check_layer_forward(layer_forward)


# --- network_forward ---------------------------------------------------------------------


def correct_network_forward(weights, x):
    a = x
    for W, b in weights:
        a = sigmoid(a @ W.T + b)
    return a


def forward(weights, x, bias=True, hidden=True, last=True, transposed=False):
    a = x
    for l, (W, b) in enumerate(weights):
        net = a @ (W if transposed else W.T) + (b if bias else 0)
        activate = last if l == len(weights) - 1 else hidden
        a = sigmoid(net) if activate else net
    return a


def test_check_network_forward_passes_the_notebooks_solution_and_another_correct_answer(capsys):
    check_network_forward(SOLUTIONS["network_forward"])
    check_network_forward(correct_network_forward)
    assert capsys.readouterr().out.count("check_network_forward: all 6 cases passed") == 2


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda w, x: forward(w, x, last=False), "output layer has no sigmoid"),
        (lambda w, x: forward(w, x, hidden=False), "hidden layers have no sigmoid"),
        (lambda w, x: forward(w, x, bias=False), "biases are missing"),
        (lambda w, x: forward(w, x, transposed=True), "each W of shape (outputs, inputs)"),
        (lambda w, x: forward(w[:1], x), "expected a result of shape (2,)"),  # stops after the first layer
    ],
    ids=["no last activation", "no hidden activation", "no bias", "W transposed", "first layer only"],
)
def test_check_network_forward_rejects_wrong_answers_with_a_hint(wrong, hint):
    with pytest.raises(AssertionError) as error:
        check_network_forward(wrong)
    assert hint in str(error.value)


def test_check_network_forward_fails_when_not_written():
    def network_forward(weights, x):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="not written yet"):
        check_network_forward(network_forward)


def test_check_network_forward_refuses_a_network_built_from_the_package():
    def borrowed(weights, x):
        network = vectorized.Network([weights[0][0].shape[1]] + [W.shape[0] for W, _ in weights])
        network.set_weights(weights)
        return network.predict(x)

    with pytest.raises(BorrowedAnswer, match=r"\.predict"):
        check_network_forward(borrowed)


# --- count_parameters ---------------------------------------------------------------------


def test_check_count_parameters_passes_the_notebooks_solution(capsys):
    check_count_parameters(SOLUTIONS["count_parameters"])
    assert capsys.readouterr().out.startswith("check_count_parameters: all 4 cases passed")


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda s: sum(a * b for a, b in zip(s[:-1], s[1:])), "the biases are missing"),
        (lambda s: sum((a + 1) * b for a, b in zip(s[:-1], s[1:])) + s[0], "the input layer has no biases"),
        (lambda s: int(np.prod(s)), "count pair by pair"),
        (lambda s: sum(s), "that is the number of nodes"),
        (lambda s: float(sum((a + 1) * b for a, b in zip(s[:-1], s[1:]))), "a whole number"),
    ],
    ids=["no biases", "input biases", "product", "sum of sizes", "float"],
)
def test_check_count_parameters_rejects_wrong_answers_with_a_hint(wrong, hint):
    with pytest.raises(AssertionError) as error:
        check_count_parameters(wrong)
    assert hint in str(error.value)
