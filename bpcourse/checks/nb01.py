"""Checks for the exercises of notebook 01: the sigmoid (eq. 1.2) and its derivative (eq. 1.4).

Each check calls the learner's function on several inputs (scalars, a 1-D
array, a 2-D batch and edge cases), with every warning turned into an error,
and compares the result with :mod:`bpcourse.activations` within explicit
tolerances. A failure raises ``AssertionError`` naming the case, the input,
what was expected, what came back and a hint for the usual mistake; success
prints one line.
"""

import warnings

import numpy as np

from bpcourse import activations

RTOL = 1e-9
"""Relative tolerance: different correct formulas agree to about 1e-16."""
ATOL = 1e-12
"""Absolute tolerance, for results that are (nearly) 0, such as sigmoid(-1000)."""

_WARNINGS_NOTE = "(the check runs your function with warnings turned into errors)"


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
        got = _run("check_sigmoid", sigmoid, "sigmoid", "x", description, x, _sigmoid_error_hint)
        _compare("check_sigmoid", "sigmoid", "x", description, x, expected, got,
                 _sigmoid_value_hint)
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
        got = _run("check_sigmoid_derivative", sigmoid_derivative, "sigmoid_derivative", "y",
                   description, y, _derivative_error_hint)
        _compare("check_sigmoid_derivative", "sigmoid_derivative", "y", description, y, expected,
                 got, _derivative_value_hint)
    print(f"check_sigmoid_derivative: all {len(cases)} cases passed (scalars, y = 0 and 1, "
          f"a 1-D array, a 2-D batch)")


def _run(check, function, name, argument, description, value, error_hint):
    """Call ``function`` on a copy of ``value`` with warnings as errors; return its result."""
    given = np.array(value, dtype=np.float64) if isinstance(value, np.ndarray) else value
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"):
                got = function(given)
    except NotImplementedError as err:
        raise AssertionError(
            f"{check}: your {name} is not written yet (it raises NotImplementedError). "
            f"Replace `raise NotImplementedError()` with your code, run that cell, then this one."
        ) from err
    except Warning as err:
        raise AssertionError(
            f"{check} failed on {description}:\n"
            f"  input {argument} = {_show(value)}\n"
            f"  your {name} raised the warning {type(err).__name__}: {err}\n"
            f"  {_WARNINGS_NOTE}\n"
            f"  hint: {error_hint(value, err)}"
        ) from err
    except Exception as err:
        raise AssertionError(
            f"{check} failed on {description}:\n"
            f"  input {argument} = {_show(value)}\n"
            f"  your {name} raised {type(err).__name__}: {err}\n"
            f"  hint: {error_hint(value, err)}"
        ) from err
    if isinstance(value, np.ndarray) and not np.array_equal(given, value):
        raise AssertionError(
            f"{check} failed on {description}:\n"
            f"  input {argument} = {_show(value)}\n"
            f"  your {name} changed its input array in place; afterwards it held {_show(given)}\n"
            f"  hint: build a new array (e.g. `{argument} * (1 - {argument})`) instead of "
            f"`{argument} *= ...` or `{argument}[...] = ...`: the caller still needs its values."
        )
    return got


def _compare(check, name, argument, description, value, expected, got, value_hint):
    """Raise AssertionError unless ``got`` has the shape of ``expected`` and matches it.

    ``value_hint(value, got)`` gives the hint for wrong numbers; it is only called on failure.
    """
    head = f"{check} failed on {description}:\n  input {argument} = {_show(value)}\n"
    if got is None:
        raise AssertionError(
            head + f"  your {name} returned None\n  hint: is the `return` statement missing?"
        )
    try:
        got_array = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise AssertionError(
            head + f"  expected numbers, your {name} returned {got!r}\n"
            f"  hint: return the value(s), as a number or a NumPy array"
        ) from err
    expected = np.asarray(expected, dtype=np.float64)
    if got_array.shape != expected.shape:
        raise AssertionError(
            head + f"  expected a result of shape {expected.shape} (the shape of the input), "
            f"got shape {got_array.shape}: {_show(got)}\n"
            f"  hint: return one value per input element, in the input's shape: apply NumPy's "
            f"element-wise operations (np.exp, np.where, +, /) to {argument} as it is"
        )
    close = np.isclose(got_array, expected, rtol=RTOL, atol=ATOL)
    if not close.all():
        worst = np.unravel_index(np.argmax(np.where(close, -1.0, np.abs(got_array - expected))),
                                 expected.shape)
        detail = ""
        if expected.ndim:
            detail = (f"  largest difference at index {tuple(int(i) for i in worst)}: "
                      f"expected {float(expected[worst])!r}, got {float(got_array[worst])!r}\n")
        raise AssertionError(
            head + f"  expected {_show(expected)}\n  got      {_show(got_array)}\n"
            + detail + f"  (tolerance rtol={RTOL}, atol={ATOL})\n"
            f"  hint: {value_hint(value, got_array)}"
        )


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
    try:
        got = np.asarray(got, dtype=np.float64)
        candidate = np.asarray(candidate, dtype=np.float64)
        return got.shape == candidate.shape and bool(
            np.allclose(got, candidate, rtol=RTOL, atol=ATOL))
    except (TypeError, ValueError):
        return False


def _any_nan(got):
    try:
        return bool(np.isnan(np.asarray(got, dtype=np.float64)).any())
    except (TypeError, ValueError):
        return False


def _show(value):
    """Short text for a number or an array, for failure messages."""
    if isinstance(value, np.ndarray) and value.ndim:
        return np.array2string(value, precision=6, threshold=20, separator=", ")
    if isinstance(value, np.ndarray):
        return repr(float(value))
    return repr(value)
