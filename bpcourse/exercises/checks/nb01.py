"""Checks for the exercises of notebook 01: the sigmoid (eq. 1.2), its derivative (eq. 1.4), one neuron (eq. 1.1),
against :mod:`bpcourse.core.activations`."""

import numpy as np

from bpcourse.core import activations
from bpcourse.exercises.checks._common import (call_on_copies, compare_arrays, exercise_check, matches, passed,
                                               random_shape)
from bpcourse.exercises.catalog import Exercise

RTOL = 1e-9  # different correct formulas agree to about 1e-16
ATOL = 1e-12  # for results that are (nearly) 0, such as sigmoid(-1000)


def _sigmoid_cases(seed):
    if seed is not None:
        rng = np.random.default_rng(seed)
        return [(f"hidden case {k}: an array of shape {shape}", rng.normal(0.0, scale, size=shape))
                for k, (shape, scale) in enumerate((random_shape(rng), scale) for scale in (1.0, 5.0, 400.0))] + [
            ("hidden case: a random large negative scalar", -float(rng.uniform(750.0, 1500.0))),
            ("hidden case: a random large positive scalar", float(rng.uniform(750.0, 1500.0)))]
    rng = np.random.default_rng(1)
    return [
        ("x = 0, a scalar", 0.0),
        ("a positive scalar", 2.0),
        ("a negative scalar", -3.5),
        ("a 1-D array", np.linspace(-6.0, 6.0, 13)),
        ("a 2-D batch of shape (3, 4)", rng.normal(0.0, 3.0, size=(3, 4))),
        ("large |x| in an array", np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])),
        ("a large negative scalar", -1000.0),
    ]


@exercise_check("sigmoid", "eq. 1.2", forbidden=(activations.sigmoid, activations.SigmoidActivator.forward),
                methods={"sigmoid", "forward", "expit"})
def check_sigmoid(sigmoid, *, seed=None):
    """Check a learner's ``sigmoid(x)`` (eq. 1.2), with warnings turned into errors so that an overflow fails."""
    count = _run_cases("check_sigmoid", sigmoid, "sigmoid", "x", _sigmoid_cases(seed), _sigmoid_error_hint,
                       _sigmoid_value_hint, activations.sigmoid)
    passed("check_sigmoid", seed, count, "sigmoid(x) matches eq. 1.2 to 1e-9 for scalars, a 1-D array, "
           "a 2-D batch and x = ±1000, with no overflow warning and the input left unchanged")


def _derivative_cases(seed):
    if seed is not None:
        rng = np.random.default_rng(seed)
        shape = random_shape(rng)
        y = activations.sigmoid(rng.normal(0.0, 4.0, size=shape))
        return [(f"hidden case: y = sigmoid(x) of shape {shape}", y),
                ("hidden case: a random scalar y", float(rng.uniform(0.01, 0.99))),
                ("hidden case: y = 0, 1 and 0.5 in a column", np.array([[0.0], [1.0], [0.5]]))]
    rng = np.random.default_rng(2)
    return [
        ("y = 0.5, a scalar (x = 0, the steepest point)", 0.5),
        ("y = sigmoid(2), a scalar", float(activations.sigmoid(2.0))),
        ("y = 0.9, a scalar", 0.9),
        ("the saturated ends y = 0 and y = 1", np.array([0.0, 1.0])),
        ("a 1-D array y = sigmoid(x)", activations.sigmoid(np.linspace(-6.0, 6.0, 13))),
        ("a 2-D batch of shape (3, 4)", activations.sigmoid(rng.normal(0.0, 3.0, size=(3, 4)))),
    ]


@exercise_check("sigmoid_derivative", "eq. 1.4",
                forbidden=(activations.sigmoid_derivative, activations.SigmoidActivator.backward),
                methods={"sigmoid_derivative", "backward"})
def check_sigmoid_derivative(sigmoid_derivative, *, seed=None):
    """Check a learner's ``sigmoid_derivative(y)``, the slope y(1 - y) from the output y = sigmoid(x) (eq. 1.4)."""
    count = _run_cases("check_sigmoid_derivative", sigmoid_derivative, "sigmoid_derivative", "y",
                       _derivative_cases(seed), _derivative_error_hint, _derivative_value_hint,
                       activations.sigmoid_derivative)
    passed("check_sigmoid_derivative", seed, count, "the slope from the output matches y(1 - y) (eq. 1.4) "
           "for scalars, y = 0 and 1, a 1-D array and a 2-D batch")


def _run_cases(check, function, name, argument, cases, error_hint, value_hint, reference):
    """Every case against ``reference``, warnings as errors; ``value_hint(value, got)`` names a wrong value."""
    for description, value in cases:
        head_text, got = call_on_copies(
            function, [(argument, value)], check=check, name=name, description=description, hint=error_hint,
            warnings_as_errors=True, unchanged=f"build a new array instead of changing the argument with "
                                               f"`{argument} *= ...` or `{argument}[...] = ...`: the caller still "
                                               f"needs its values.")
        compare_arrays(head_text, name, reference(value), got, rtol=RTOL, atol=ATOL,
                       hint=lambda got_array, value=value: value_hint(value, got_array),
                       type_hint="return the value(s), as a number or a NumPy array",
                       shape_hint=f"return one value per input element, in the input's shape: apply NumPy's "
                                  f"element-wise operations (np.exp, np.where, +, /) to {argument} as it is")
    return len(cases)


def _sigmoid_error_hint(err):
    if isinstance(err, Warning) and "overflow" in str(err):
        return ("the exponential overflows when x is a large negative number (e^1000 is too big for a float). Eq. "
                "1.2 has a second, equal form for x < 0, e^x / (1 + e^x), in which the exponent is never positive. "
                "Careful: np.where evaluates both of its branches for every element, so the exponential you compute "
                "must stay small for every x, whatever its sign.")
    if isinstance(err, Warning):
        return ("a correct sigmoid gives no warning for any x; look for inf/inf or 0/0 for large |x|: only ever take "
                "the exponential of a number that is not positive (eq. 1.2).")
    if isinstance(err, (TypeError, ValueError)):
        return ("your function must work on NumPy arrays as well as numbers: use np.exp rather than math.exp, and "
                "np.where rather than `if x >= 0:` (an `if` cannot decide for a whole array).")
    return "sigmoid(x) = 1 / (1 + e^(-x)) (eq. 1.2), for a number or an array of any shape."


def _sigmoid_value_hint(x, got):
    formula = "sigmoid(x) = 1 / (1 + e^(-x)) (eq. 1.2)"
    if _matches(got, activations.sigmoid(-np.asarray(x, dtype=np.float64))):
        return f"you return sigmoid(-x): the sign in the exponent is flipped; {formula}."
    if _matches(got, np.tanh(x)):
        return f"that is tanh(x), not the sigmoid; {formula}."
    if np.isnan(got).any():
        return (f"nan usually comes from inf/inf or 0/0 for large |x|; {formula}, computed so that no exponential "
                "ever gets a positive argument.")
    return f"{formula}, and for x < 0 the same value is e^x / (1 + e^x)."


def _derivative_error_hint(err):
    if isinstance(err, (TypeError, ValueError)):
        return ("your function must work on NumPy arrays as well as numbers: element-wise arithmetic on y works "
                "for both (eq. 1.4).")
    return "the derivative written from the output y needs no exponential (eq. 1.4)."


def _derivative_value_hint(y, got):
    y = np.asarray(y, dtype=np.float64)
    s = activations.sigmoid(y)
    if _matches(got, s * (1 - s)):
        return ("you took the derivative from x: your function applies the sigmoid to its argument again. The "
                "argument is already the output y = sigmoid(x), so the slope is y(1 - y) of that very y (eq. 1.4); "
                "do not call the sigmoid inside.")
    if _matches(got, y * (1 + y)) or _matches(got, 1 - y) or _matches(got, y * y):
        return "check the formula: eq. 1.4 says y' = y(1 - y), with y the sigmoid's output."
    return "eq. 1.4: if y = sigmoid(x) then dy/dx = y(1 - y), with y the argument you are given."


def _matches(got, candidate):
    return matches(got, candidate, rtol=RTOL, atol=ATOL)


def reference_neuron_output(w, x):
    """y = sigmoid(w^T x), x_0 = 1 carrying the bias w_0 (eq. 1.1): w (n + 1,), x (n,) -> a number, (N, n) -> (N,)."""
    w = np.asarray(w, dtype=np.float64)
    return activations.sigmoid(np.asarray(x, dtype=np.float64) @ w[1:] + w[0])


def _neuron_cases(seed):
    rng = np.random.default_rng(11 if seed is None else seed)
    if seed is not None:
        n, rows = int(rng.integers(2, 9)), int(rng.integers(2, 8))
        return [(f"hidden case: {n} inputs, one sample", rng.normal(size=n + 1), rng.normal(size=n)),
                (f"hidden case: {n} inputs, {rows} rows", rng.normal(size=n + 1), rng.normal(size=(rows, n))),
                ("hidden case: one input, large weights", 30 * rng.normal(size=2), rng.normal(size=1))]
    return [
        ("the notebook's neuron: w = (0.1, 0.5, -0.3), x = (1, 0.5)", np.array([0.1, 0.5, -0.3]),
         np.array([1.0, 0.5])),
        ("all inputs 0: the output is sigmoid(w_0)", np.array([-1.5, 2.0, 3.0]), np.zeros(2)),
        ("4 inputs, one sample", rng.normal(size=5), rng.normal(size=4)),
        ("3 inputs, 5 inputs as rows (x of shape (5, 3))", rng.normal(size=4), rng.normal(size=(5, 3))),
        ("one input, one row (x of shape (1, 1))", np.array([0.2, -0.7]), np.array([[2.0]])),
    ]


@exercise_check("neuron_output", "eq. 1.1", forbidden=(reference_neuron_output,), methods={"predict", "forward"})
def check_neuron_output(neuron_output, *, seed=None):
    """Check a learner's ``neuron_output(w, x)``: y = sigmoid(w^T x), the bias folded in as w_0 (eq. 1.1)."""
    cases = _neuron_cases(seed)
    for description, w, x in cases:
        head_text, got = call_on_copies(
            neuron_output, [("w", w), ("x", x)], check="check_neuron_output", name="neuron_output",
            description=description, errstate={"over": "ignore"},
            hint="w has one entry more than x: the first is the bias w_0, whose input x_0 is "
                 "always 1 (eq. 1.1); for rows, every row is one input vector",
            unchanged="build new arrays instead of changing w or x in place: the caller still needs them")
        net = x @ w[1:] + w[0]
        wrong = [
            (activations.sigmoid(x @ w[1:]), "the bias w_0 is missing: its input x_0 = 1 adds w_0 to every net "
                                             "input (eq. 1.1)"),
            (activations.sigmoid(x @ w[:-1] + w[-1]), "the bias is w[0], the FIRST entry of w (x_0 = 1 comes "
                                                       "first in x), not the last one (eq. 1.1)"),
            (net, "the activation is missing: the output is the sigmoid of the net input (eq. 1.1, 1.2)"),
            (activations.sigmoid(-net), "a sign is flipped: y = 1 / (1 + e^(-net)) (eq. 1.3)"),
        ]
        compare_arrays(head_text, "neuron_output", reference_neuron_output(w, x), got, rtol=RTOL, atol=ATOL,
                       hint="y = sigmoid(w^T x) with x = (1, x_1, ..., x_n) (eq. 1.1): one number per input vector",
                       wrong_answers=wrong,
                       shape_hint="one input vector gives one number; N rows give N outputs, shape (N,) (eq. 1.1 "
                                  "once per row)")
    passed("check_neuron_output", seed, len(cases), "y = sigmoid(w^T x) with the bias as w_0 (eq. 1.1), for one "
           "input and for rows of inputs")


EXERCISES = (Exercise("sigmoid", check_sigmoid, 2, activations.sigmoid),
             Exercise("sigmoid_derivative", check_sigmoid_derivative, 1, activations.sigmoid_derivative),
             Exercise("neuron_output", check_neuron_output, 2, reference_neuron_output))
