"""No borrowed answers: find_borrowing sees the package's implementation however it is reached, and
leaves the package's lower-level building blocks and the learner's own helpers alone."""

import functools

import numpy as np
import pytest

from bpcourse.core import activations
from bpcourse.core.activations import sigmoid
from bpcourse.core.vectorized import Network
from bpcourse.exercises.checks.nb02 import reference_layer_forward
from bpcourse.exercises.originality import BORROWED_TAG, BorrowedAnswer, find_borrowing, refuse_borrowed

FORBIDDEN = (activations.sigmoid,)
ATTRIBUTES = {"sigmoid", "predict"}


def borrowing(function):
    return find_borrowing(function, FORBIDDEN, ATTRIBUTES)


def own_sigmoid(x):
    return 0.5 * (1 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))


def helper_that_borrows(x):
    return activations.sigmoid(x)


@pytest.mark.parametrize("function, reason", [
    (activations.sigmoid, "it is the package's own"),
    (functools.partial(activations.sigmoid), "it is the package's own"),
    (functools.wraps(activations.sigmoid)(lambda x: 0), "it is the package's own"),
    (Network((2, 1)).predict, "it is the package's own"),
    (lambda x: activations.sigmoid(x), "through .sigmoid"),
    (lambda x: sigmoid(x), "it calls sigmoid"),
    (lambda x: helper_that_borrows(x), "through .sigmoid"),
    (lambda x: reference_layer_forward(x, x, x), "from bpcourse.exercises"),
    (lambda x: [y for y in (lambda z: activations.sigmoid(z))(x)], "through .sigmoid"),
], ids=["identity", "partial", "wraps", "bound method", "module attribute", "imported name", "own helper that borrows",
        "a reference of the checks", "nested lambda"])
def test_borrowed_answers_are_found_with_a_reason(function, reason):
    found = borrowing(function)
    assert found is not None and reason in found


def test_an_import_of_the_package_inside_the_function_is_found():
    def imports(x):
        from bpcourse.core.activations import sigmoid as s
        return s(x)

    assert "imports bpcourse.core.activations" in borrowing(imports)


def test_a_lookup_by_text_is_found():
    def by_name(x):
        return getattr(activations, "sig" + "moid")(x)

    assert "loads code by name" in borrowing(by_name)


def test_a_closure_over_the_package_function_is_found():
    f = activations.sigmoid

    def closure(x):
        return f(x)

    assert "the package's implementation" in borrowing(closure)


def test_private_package_names_are_found():
    assert "private" in borrowing(lambda network, X: network._forward(X))


@pytest.mark.parametrize("function", [
    own_sigmoid,
    lambda x: own_sigmoid(x) * (1 - own_sigmoid(x)),
    lambda x: np.where(np.asarray(x) >= 0, 1.0, 0.0),
    lambda x: activations.tanh(x),  # a lower-level building block, not the exercise's own implementation
], ids=["numpy only", "own helper", "numpy function", "another package function"])
def test_honest_answers_are_left_alone(function):
    assert borrowing(function) is None


def test_refuse_borrowed_raises_a_tagged_assertion_error_naming_the_check_and_the_equation():
    with pytest.raises(BorrowedAnswer) as info:
        refuse_borrowed(activations.sigmoid, check="check_x", name="x", forbidden=FORBIDDEN, equation="eq. 1.2")
    message = str(info.value)
    assert isinstance(info.value, AssertionError)
    assert message.startswith(f"{BORROWED_TAG}: check_x refuses your x")
    assert "eq. 1.2" in message and "0 points" in message
    refuse_borrowed(own_sigmoid, check="check_x", name="x", forbidden=FORBIDDEN, equation="eq. 1.2")  # no error


def test_refuse_borrowed_says_when_it_was_not_given_a_function():
    with pytest.raises(AssertionError, match="expected your function x, got int"):
        refuse_borrowed(3, check="check_x", name="x", equation="eq. 1.2")


def test_a_callable_object_is_looked_at_through_its_call_method():
    class Wrapper:
        def __call__(self, x):
            return activations.sigmoid(x)

    assert "through .sigmoid" in borrowing(Wrapper())


def _checks_by_exercise():
    from bpcourse.exercises.progress import EXERCISES

    checks = {}
    for rows in EXERCISES.values():
        for name, check, _ in rows:
            module, function = check.split(":")
            checks[name] = getattr(__import__(f"bpcourse.exercises.checks.{module}", fromlist=[function]), function)
    return checks


@pytest.mark.parametrize("exercise", sorted(__import__("bpcourse.exercises.homework",
                                                       fromlist=["REFERENCES"]).REFERENCES))
def test_every_check_refuses_the_notebooks_fallback_as_an_answer(exercise):
    """What the student notebook falls back to can never pass the check: neither itself nor a call of it."""
    from bpcourse.exercises.homework import reference

    check = _checks_by_exercise()[exercise]
    fallback = reference(exercise)
    with pytest.raises(BorrowedAnswer, match=BORROWED_TAG):
        check(fallback)
    with pytest.raises(BorrowedAnswer, match=BORROWED_TAG):
        check(lambda *args: fallback(*args))


def test_no_notebook_puts_a_reference_implementation_into_the_learners_namespace():
    import json
    import re
    from pathlib import Path

    for path in sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "code":
                assert not re.search(r"\breference_\w+", source), f"{path.name}: {source[:200]}"
