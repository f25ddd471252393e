"""Tests for bpcourse.core.validation: what each check accepts, what it returns, and what its message says."""

from fractions import Fraction

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from bpcourse.core.validation import (
    as_array,
    as_rows,
    check_finite,
    check_layer_sizes,
    check_positive_int,
    check_rate,
    check_weight_decay,
    check_weights,
    describe,
    is_positive_int,
    is_positive_number,
    where_not_finite,
)


@pytest.mark.parametrize("value", [1, 7, np.int64(3), np.uint8(1)])
def test_positive_ints(value):
    assert is_positive_int(value)
    checked = check_positive_int(value, "epoch")
    assert checked == value and type(checked) is int


@pytest.mark.parametrize("value", [0, -1, 1.0, 2.5, True, "2", None, np.float64(2.0)])
def test_not_positive_ints(value):
    assert not is_positive_int(value)
    with pytest.raises(ValueError, match=r"expected epoch to be a positive int \(the number of passes\), got "):
        check_positive_int(value, "epoch", "the number of passes")
    with pytest.raises(ValueError, match=r"expected chunk_size to be a positive int, got "):
        check_positive_int(value, "chunk_size")


@pytest.mark.parametrize("rate", [0.1, 1, np.float32(0.5), Fraction(1, 10), 1e-300])
def test_learning_rates(rate):
    assert is_positive_number(rate)
    checked = check_rate(rate)
    assert type(checked) is float and checked == float(rate)


@pytest.mark.parametrize("rate", [0, -0.1, np.nan, np.inf, "0.1", True, None, 10**400, Fraction(1, 10**400), 1j])
def test_bad_learning_rates(rate):
    assert not is_positive_number(rate)
    with pytest.raises(ValueError, match=r"expected a positive learning rate \(a number > 0, e\.g\. 0\.1\), got "):
        check_rate(rate)


def test_layer_sizes():
    assert check_layer_sizes([784, np.int64(30), 10]) == (784, 30, 10)
    assert check_layer_sizes((2, 1)) == (2, 1)
    for bad in ([784], [], [3, 0, 1], [3, 2.0, 1], [3, True, 1], "784-30-10", 784, None):
        with pytest.raises(ValueError, match=r"at least two positive integers .*e\.g\. \[784, 300, 10\]; got "):
            check_layer_sizes(bad)


def test_describe():
    assert describe(np.zeros((2, 3))) == "an array of shape (2, 3)"
    assert describe([1, 2]) == "list"


def test_as_array_casts_once_and_names_the_argument():
    X = np.zeros((2, 3), dtype=np.float32)
    assert as_array(X, "X", np.float32) is X  # no copy when it already has the dtype
    assert as_array([1, 2], "y").dtype.kind == "i"  # dtype=None keeps NumPy's choice
    assert as_array([1e300], "x", np.float32)[0] == np.inf  # overflow gives inf, for check_finite
    with pytest.raises(ValueError, match="expected the input to be numbers \\(an array\\), got list: "):
        as_array(["a", "b"], "the input", np.float64)


def test_where_not_finite():
    assert where_not_finite(np.array([0.0, np.nan, 1.0, np.inf])) == "at positions [1, 3]"
    A = np.zeros((8, 2))
    A[[1, 2, 3, 4, 6, 7], 1] = np.nan
    assert where_not_finite(A) == "in rows [1, 2, 3, 4, 6] ..."


def test_check_finite():
    check_finite(np.arange(3), "y")  # ints are always finite
    with pytest.raises(ValueError, match=r"expected X to hold finite numbers, got NaN .*\(as float32\) in rows \[1\]"):
        check_finite(np.array([[0.0], [np.inf]], dtype=np.float32), "X")
    with pytest.raises(ValueError, match="expected X to hold numbers, got dtype <U1"):
        check_finite(np.array(["a"]), "X")


def test_as_rows():
    A = as_rows([[1, 2], [3, 4]], "X_train", 2, np.float32, "one input per row")
    assert A.dtype == np.float32 and A.flags.c_contiguous
    assert_array_equal(A, [[1, 2], [3, 4]])
    with pytest.raises(ValueError, match=r"X_train of shape \(N, 4\), N >= 1, one input per row, got shape \(0, 4\)"):
        as_rows(np.zeros((0, 4)), "X_train", 4, np.float64, "one input per row")
    for images in (np.zeros((3, 2, 2)), np.zeros((0, 2, 2))):
        with pytest.raises(ValueError, match=r"flatten each image with X\.reshape\(len\(X\), -1\)"):
            as_rows(images, "X", 4, np.float64, "one input per row")
    with pytest.raises(ValueError, match=r"X to hold finite numbers.* in rows \[1\]"):
        as_rows([[0.0], [np.nan]], "X", 1, np.float64, "one input per row")


def test_check_weights():
    shapes = [((3, 2), (3,)), ((1, 3), (1,))]
    good = [(np.ones((3, 2)), np.zeros(3)), (np.ones((1, 3)), [0.5])]
    checked = check_weights(good, shapes, np.float32)
    assert [(W.dtype, W.shape, b.shape) for W, b in checked] == [
        (np.float32, (3, 2), (3,)), (np.float32, (1, 3), (1,))]
    assert_array_equal(checked[1][1], [0.5])
    bad = [
        (good[:1], r"expected a list of 2 \(W, b\) pairs: "
                   r"\[\(W \(3, 2\), b \(3,\)\), \(W \(1, 3\), b \(1,\)\)\]; got 1 items"),
        (3, r"pairs: .*; got int"),
        ([good[0], "ab"], r"expected item 1 of the weights to be a pair \(W, b\), got 'ab'"),
        ([good[0], (np.ones((3, 1)), [0.5])],
         r"layer 1 weights W of shape \(1, 3\) \(outputs, inputs\) .*got W \(3, 1\)"),
        ([good[0], (np.ones((1, 3)), [np.nan])], r"expected finite weights, got NaN or infinite values in layer 1"),
        ([good[0], (np.full((1, 3), 1e300), [0.0])], r"in layer 1 \(as float32\)"),
        ([good[0], (["a", "b", "c"], [0.0])], "expected W of layer 1 to be numbers"),
    ]
    for weights, message in bad:
        with pytest.raises(ValueError, match=message):
            check_weights(weights, shapes, np.float32)


@pytest.mark.parametrize("weight_decay", [0, 0.0, 1e-4, np.float32(0.5), Fraction(1, 10)])
def test_weight_decays(weight_decay):
    checked = check_weight_decay(weight_decay)
    assert type(checked) is float and checked == float(weight_decay)


@pytest.mark.parametrize("weight_decay", [-1e-4, np.nan, np.inf, "0.1", True, None, 1j, np.zeros(2)])
def test_bad_weight_decays(weight_decay):
    with pytest.raises(ValueError, match=r"expected weight_decay to be a number >= 0 \(lambda of the penalty"):
        check_weight_decay(weight_decay)


def test_a_weight_decay_that_would_flip_the_weights_is_refused():
    assert check_weight_decay(1.0, rate=0.5) == 1.0  # W *= 0.5 each step
    with pytest.raises(ValueError, match=r"rate \* weight_decay < 1 .*got rate 0.5 and weight_decay 2.0"):
        check_weight_decay(2.0, rate=0.5)
