"""The exercise checks of notebook 01 accept right answers and reject plausible wrong ones."""

import math
import warnings

import numpy as np
import pytest

from bpcourse.core import activations
from bpcourse.exercises.checks.nb01 import check_neuron_output, check_sigmoid, check_sigmoid_derivative
from bpcourse.exercises.originality import BorrowedAnswer
from notebook_solutions import solutions

SOLUTIONS = solutions("01")


def stable_sigmoid(x):
    """A stable sigmoid written here, for building wrong answers without calling the package."""
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * (1 + np.tanh(0.5 * x))


def not_written(x):
    raise NotImplementedError()


# ---- check_sigmoid ---------------------------------------------------------------


def test_the_notebooks_solution_passes(capsys):
    check_sigmoid(SOLUTIONS["sigmoid"])
    out = capsys.readouterr().out
    assert out.startswith("check_sigmoid: all 7 cases passed")
    assert "no overflow warning" in out


def test_another_stable_sigmoid_passes(capsys):
    # clipping the input is a different, equally acceptable way to avoid the overflow
    check_sigmoid(lambda x: 1.0 / (1.0 + np.exp(-np.clip(x, -500.0, 500.0))))
    assert "all 7 cases passed" in capsys.readouterr().out


def test_naive_sigmoid_is_rejected_for_its_overflow_warning():
    with pytest.raises(AssertionError) as info:
        check_sigmoid(lambda x: 1.0 / (1.0 + np.exp(-x)))
    message = str(info.value)
    assert "large |x|" in message
    assert "overflow" in message
    assert "warnings turned into errors" in message
    assert "e^x / (1 + e^x)" in message


def test_np_where_over_two_naive_branches_is_rejected():
    # np.where evaluates both branches everywhere, so this still overflows
    def where_sigmoid(x):
        return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))

    with pytest.raises(AssertionError, match="overflow"):
        check_sigmoid(where_sigmoid)


def test_flipped_sign_is_rejected_with_a_hint():
    with pytest.raises(AssertionError) as info:
        check_sigmoid(lambda x: stable_sigmoid(-np.asarray(x)))
    message = str(info.value)
    assert "sign in the exponent is flipped" in message
    assert "expected 0.8807970779778823" in message  # the first failing case, x = 2.0


def test_scalar_only_sigmoid_is_rejected_on_arrays():
    with pytest.raises(AssertionError) as info:
        check_sigmoid(lambda x: 1.0 / (1.0 + math.exp(-x)))
    message = str(info.value)
    assert "a 1-D array" in message
    assert "math.exp" in message


def test_sigmoid_that_loses_the_batch_shape_is_rejected():
    with pytest.raises(AssertionError, match=r"expected a result of shape \(\)"):
        check_sigmoid(lambda x: stable_sigmoid(np.ravel(x)))
    with pytest.raises(AssertionError, match=r"got shape \(12,\)"):
        check_sigmoid(lambda x: stable_sigmoid(np.asarray(x)).reshape(-1) if np.ndim(x) == 2
                      else stable_sigmoid(x))


def test_sigmoid_returning_none_is_rejected():
    with pytest.raises(AssertionError, match="return"):
        check_sigmoid(lambda x: None)


def test_unwritten_sigmoid_fails_the_check():
    with pytest.raises(AssertionError, match="not written yet") as info:
        check_sigmoid(not_written)
    assert isinstance(info.value.__cause__, NotImplementedError)


def test_check_leaves_warning_filters_as_they_were():
    before = list(warnings.filters)
    with pytest.raises(AssertionError):
        check_sigmoid(lambda x: 1.0 / (1.0 + np.exp(-x)))
    assert warnings.filters == before


# ---- check_sigmoid_derivative --------------------------------------------------------


def test_the_notebooks_derivative_passes(capsys):
    check_sigmoid_derivative(SOLUTIONS["sigmoid_derivative"])
    assert capsys.readouterr().out.startswith("check_sigmoid_derivative: all 6 cases passed")


def test_derivative_from_x_instead_of_y_is_rejected_with_a_hint():
    def from_x(y):
        s = activations.sigmoid(y)
        return s * (1 - s)

    with pytest.raises(AssertionError) as info:
        check_sigmoid_derivative(from_x)
    message = str(info.value)
    assert "y = 0.5" in message
    assert "expected 0.25" in message
    assert "derivative from x" in message
    assert "already the output" in message


def test_wrong_formula_is_rejected():
    with pytest.raises(AssertionError, match=r"y\(1 - y\)"):
        check_sigmoid_derivative(lambda y: 1 - np.asarray(y))


def test_derivative_that_changes_its_input_is_rejected():
    def in_place(y):
        y *= 1 - y
        return y

    with pytest.raises(AssertionError, match="in place"):
        check_sigmoid_derivative(in_place)


def test_unwritten_derivative_fails_the_check():
    with pytest.raises(AssertionError, match="not written yet"):
        check_sigmoid_derivative(not_written)


def test_the_package_functions_are_refused_as_borrowed_answers():
    with pytest.raises(BorrowedAnswer, match="BORROWED ANSWER: check_sigmoid refuses"):
        check_sigmoid(activations.sigmoid)
    with pytest.raises(BorrowedAnswer, match="sigmoid_derivative"):
        check_sigmoid_derivative(lambda y: activations.sigmoid_derivative(y))


# ---- check_neuron_output --------------------------------------------------------------


def test_the_notebooks_neuron_passes(capsys):
    check_neuron_output(SOLUTIONS["neuron_output"])
    out = capsys.readouterr().out
    assert out.startswith("check_neuron_output: all 5 cases passed: y = sigmoid(w^T x)")


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda w, x: stable_sigmoid(x @ w[1:]), "the bias w_0 is missing"),
        (lambda w, x: stable_sigmoid(x @ w[:-1] + w[-1]), "the FIRST entry of w"),
        (lambda w, x: x @ w[1:] + w[0], "the activation is missing"),
        (lambda w, x: stable_sigmoid(-(x @ w[1:] + w[0])), "a sign is flipped"),
        (lambda w, x: stable_sigmoid(np.atleast_2d(x) @ w[1:] + w[0]), "one input vector gives one number"),
    ],
    ids=["no bias", "bias at the end", "no activation", "sign", "always rows"],
)
def test_wrong_neurons_fail_with_the_hint_about_their_mistake(wrong, hint):
    with pytest.raises(AssertionError) as info:
        check_neuron_output(wrong)
    assert hint in str(info.value)
    assert "eq. 1." in str(info.value)


def test_unwritten_neuron_fails_the_check():
    with pytest.raises(AssertionError, match="not written yet"):
        check_neuron_output(lambda w, x: not_written(x))
