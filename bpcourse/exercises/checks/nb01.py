"""Checks for the exercises of notebook 01: the sigmoid (eq. 1.2) and its derivative (eq. 1.4).

Each check calls the learner's function on several inputs (scalars, a 1-D
array, a 2-D batch and edge cases), with every warning turned into an error,
and compares the result with :mod:`bpcourse.core.activations` within explicit
tolerances. A failure raises ``AssertionError`` naming the case, the input,
what was expected, what came back and a hint for the usual mistake; success
prints one line.
"""

import numpy as np

from bpcourse.core import activations
from bpcourse.exercises.checks._common import (call_learner, check_returned, check_unchanged, compare_arrays, copy_value,
                                     head, matches, show_args)

RTOL = 1e-9
"""Relative tolerance: different correct formulas agree to about 1e-16."""
ATOL = 1e-12
"""Absolute tolerance, for results that are (nearly) 0, such as sigmoid(-1000)."""

def check_sigmoid(sigmoid):
    """Check a learner's ``sigmoid(x)`` (eq. 1.2) against the package's reference.

    Cases: scalars, a 1-D array, a 2-D batch of shape (3, 4) and x = -1000 and
    1000, all run with warnings turned into errors so that an overflow in
    ``np.exp`` fails. The result must have the input's shape, lie within
    RTOL/ATOL of the reference and leave the input unchanged.
    """
    rng = np.random.default_rng(1)
    cases = [
        ("x = 0, a scalar", 0.0),
        ("a positive scalar", 2.0),
        ("a negative scalar", -3.5),
        ("a 1-D array", np.linspace(-6.0, 6.0, 13)),
        ("a 2-D batch of shape (3, 4)", rng.normal(0.0, 3.0, size=(3, 4))),
        ("large |x| in an array", np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])),
        ("a large negative scalar", -1000.0),
    ]
    for description, x in cases:
        expected = activations.sigmoid(x)
        _run_case("check_sigmoid", sigmoid, "sigmoid", "x", description, x, _sigmoid_error_hint,
                  _sigmoid_value_hint, expected)
    print(f"check_sigmoid: all {len(cases)} cases passed (scalars, a 1-D array, a 2-D batch, "
          f"x = ±1000 with warnings turned into errors)")


def check_sigmoid_derivative(sigmoid_derivative):
    """Check a learner's ``sigmoid_derivative(y)``, the slope written from the output y (eq. 1.4).

    The argument is y = sigmoid(x), not x: the expected result is y(1 - y).
    Cases: scalars (including y = 0.5, where the slope is largest), the
    saturated ends y = 0 and y = 1, a 1-D array and a 2-D batch of shape
    (3, 4). A function that applies the sigmoid to its argument again (the
    derivative taken from x) is rejected with a hint.
    """
    rng = np.random.default_rng(2)
    cases = [
        ("y = 0.5, a scalar (x = 0, the steepest point)", 0.5),
        ("y = sigmoid(2), a scalar", float(activations.sigmoid(2.0))),
        ("y = 0.9, a scalar", 0.9),
        ("the saturated ends y = 0 and y = 1", np.array([0.0, 1.0])),
        ("a 1-D array y = sigmoid(x)", activations.sigmoid(np.linspace(-6.0, 6.0, 13))),
        ("a 2-D batch of shape (3, 4)", activations.sigmoid(rng.normal(0.0, 3.0, size=(3, 4)))),
    ]
    for description, y in cases:
        expected = activations.sigmoid_derivative(y)
        _run_case("check_sigmoid_derivative", sigmoid_derivative, "sigmoid_derivative", "y", description, y,
                  _derivative_error_hint, _derivative_value_hint, expected)
    print(f"check_sigmoid_derivative: all {len(cases)} cases passed (scalars, y = 0 and 1, "
          f"a 1-D array, a 2-D batch)")


def _run_case(check, function, name, argument, description, value, error_hint, value_hint, expected):
    """Run one case: call ``function`` on a copy of ``value`` with warnings as errors, then compare.

    ``error_hint(value, error)`` and ``value_hint(value, got)`` give the hints; they are
    only called on failure. Returns the learner's result as a float64 array.
    """
    head_text = head(check, description, *show_args([(argument, value)]))
    given = copy_value(value)
    got = call_learner(function, [given], check=check, name=name, head_text=head_text,
                       hint=lambda error: error_hint(value, error), warnings_as_errors=True)
    check_unchanged(head_text, name, [(argument, value)], [given],
                    f"build a new array (e.g. `{argument} * (1 - {argument})`) instead of "
                    f"`{argument} *= ...` or `{argument}[...] = ...`: the caller still needs its values.")
    check_returned(head_text, name, got)
    return compare_arrays(
        head_text, name, expected, got, rtol=RTOL, atol=ATOL, hint=lambda got_array: value_hint(value, got_array),
        type_hint="return the value(s), as a number or a NumPy array",
        shape_hint=(f"return one value per input element, in the input's shape: apply NumPy's element-wise "
                    f"operations (np.exp, np.where, +, /) to {argument} as it is"))


def _sigmoid_error_hint(x, err):
    if isinstance(err, Warning) and "overflow" in str(err):
        return ("np.exp(-x) overflows when x is a large negative number (e^1000 is too big for "
                "a float). For x < 0 use the equal form e^x / (1 + e^x). Note that np.where "
                "computes both branches for every element, so compute e = np.exp(-np.abs(x)), "
                "which is never larger than 1, and combine: np.where(x >= 0, 1 / (1 + e), e / (1 + e)).")
    if isinstance(err, Warning):
        return ("a correct sigmoid gives no warning for any x; look for inf/inf or 0/0 for large |x| "
                "and compute with e = np.exp(-np.abs(x)), which stays in (0, 1].")
    if isinstance(err, (TypeError, ValueError)):
        return ("your function must work on NumPy arrays as well as numbers: use np.exp rather "
                "than math.exp, and np.where rather than `if x >= 0:` (an `if` cannot decide "
                "for a whole array).")
    return "sigmoid(x) = 1 / (1 + e^(-x)) (eq. 1.2), for a number or an array of any shape."


def _sigmoid_value_hint(x, got):
    formula = "sigmoid(x) = 1 / (1 + e^(-x)) (eq. 1.2)"
    if _matches(got, activations.sigmoid(-np.asarray(x, dtype=np.float64))):
        return f"you return sigmoid(-x): the sign in the exponent is flipped; {formula}."
    if _matches(got, np.tanh(x)):
        return f"that is tanh(x), not the sigmoid; {formula}."
    if _any_nan(got):
        return (f"nan usually comes from inf/inf or 0/0 for large |x|; {formula}, computed "
                "with e = np.exp(-np.abs(x)) so nothing overflows.")
    return f"{formula}, and for x < 0 the same value is e^x / (1 + e^x)."


def _derivative_error_hint(y, err):
    if isinstance(err, (TypeError, ValueError)):
        return ("your function must work on NumPy arrays as well as numbers: "
                "use plain arithmetic, y * (1 - y) (eq. 1.4).")
    return "the derivative from the output is y * (1 - y) (eq. 1.4); it needs no exponential."


def _derivative_value_hint(y, got):
    y = np.asarray(y, dtype=np.float64)
    s = activations.sigmoid(y)
    if _matches(got, s * (1 - s)):
        return ("you took the derivative from x: your function applies the sigmoid to its "
                "argument again. The argument is already the output y = sigmoid(x), so the "
                "slope is just y * (1 - y) (eq. 1.4); do not call sigmoid inside.")
    if _matches(got, y * (1 + y)) or _matches(got, 1 - y) or _matches(got, y * y):
        return "check the formula: eq. 1.4 says y' = y(1 - y), with y the sigmoid's output."
    return "eq. 1.4: if y = sigmoid(x) then dy/dx = y(1 - y), with y the argument you are given."


def _matches(got, candidate):
    return matches(got, candidate, rtol=RTOL, atol=ATOL)


def _any_nan(got):
    try:
        return bool(np.isnan(np.asarray(got, dtype=np.float64)).any())
    except (TypeError, ValueError):
        return False
