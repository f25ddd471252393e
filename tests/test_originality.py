"""No borrowed answers, judged by what runs: in the learner's kernel (in process), refuse_borrowed turns the
package's implementation into a tripwire while the learner's function runs, however it is reached, and lets
every honest form of the learner's own code through, as well as the package's lower-level building blocks."""

import numpy as np
import pytest

from bpcourse.core import activations
from bpcourse.exercises.checks.nb01 import check_neuron_output, check_sigmoid
from bpcourse.exercises.checks.nb05 import check_gradient_check_errors
from bpcourse.exercises.originality import (BORROWED_TAG, BorrowedAnswer, borrowed, forbidden_functions,
                                            refuse_borrowed)
from tests.borrowing_cases import GRADIENT_DISGUISES, GRADIENT_HONEST, SIGMOID_DISGUISES, SIGMOID_HONEST


def rel_error(a, n):
    a, n = np.asarray(a, dtype=np.float64), np.asarray(n, dtype=np.float64)
    return np.abs(a - n) / np.maximum(1e-8, np.abs(a) + np.abs(n))


def defined(source, name):
    """What a solution cell defines as ``name``, run as the notebook would (its imports at hand)."""
    namespace = {"np": np, "activations": activations, "rel_error": rel_error}
    exec(compile(source, "<solution cell>", "exec"), namespace)
    return namespace[name]


@pytest.mark.parametrize("disguise", sorted(SIGMOID_DISGUISES))
def test_every_disguise_of_the_package_s_sigmoid_is_refused(disguise, capsys):
    with pytest.raises(BorrowedAnswer, match=f"{BORROWED_TAG}: check_sigmoid refuses your sigmoid") as info:
        check_sigmoid(defined(SIGMOID_DISGUISES[disguise], "sigmoid"))
    assert "bpcourse.core.activations." in str(info.value) and "eq. 1.2" in str(info.value)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("form", sorted(SIGMOID_HONEST))
def test_every_honest_sigmoid_passes(form, capsys):
    check_sigmoid(defined(SIGMOID_HONEST[form], "sigmoid"))
    assert capsys.readouterr().out.startswith("check_sigmoid: all ")


@pytest.mark.parametrize("disguise", sorted(GRADIENT_DISGUISES))
def test_every_disguise_of_the_package_s_gradient_check_is_refused(disguise, capsys):
    with pytest.raises(BorrowedAnswer, match="bpcourse.core.gradcheck.gradient_check"):
        check_gradient_check_errors(defined(GRADIENT_DISGUISES[disguise], "gradient_check_errors"))


@pytest.mark.parametrize("form", sorted(GRADIENT_HONEST))
def test_an_honest_gradient_check_passes(form, capsys):
    check_gradient_check_errors(defined(GRADIENT_HONEST[form], "gradient_check_errors"))
    assert "passed" in capsys.readouterr().out


def test_a_building_block_of_the_package_stays_allowed(capsys):
    """neuron_output may use the package's sigmoid: only the exercise's own answer is refused."""
    check_neuron_output(lambda w, x: activations.sigmoid(np.asarray(x, dtype=float) @ np.asarray(w)[1:] + w[0]))
    assert "check_neuron_output: all" in capsys.readouterr().out


def test_the_tripwires_are_gone_after_the_call():
    guarded = refuse_borrowed(lambda x: activations.sigmoid(x), check="check_x", name="x",
                              forbidden=(activations.sigmoid,), equation="eq. 1.2")
    with pytest.raises(AssertionError, match=BORROWED_TAG):
        guarded(0.0)
    assert activations.sigmoid(0.0) == 0.5, "the package's sigmoid must work again after the learner's call"


def test_forbidden_method_names_find_the_package_s_methods_by_identity():
    from bpcourse.core.oo_network import Network as ObjectNetwork
    from bpcourse.core.vectorized import FullConnectedLayer, Network

    found = forbidden_functions(forbidden_methods={"predict", "forward"})
    assert Network.predict in found and ObjectNetwork.predict in found and FullConnectedLayer.forward in found
    assert activations.SigmoidActivator.forward not in found, "activations are building blocks, not listed by name"


def test_refuse_borrowed_says_when_it_was_not_given_a_function():
    with pytest.raises(AssertionError, match="expected your function x, got int 3"):
        refuse_borrowed(3, check="check_x", name="x", equation="eq. 1.2")


def test_borrowed_recognizes_only_tagged_assertions():
    assert isinstance(borrowed(AssertionError(f"{BORROWED_TAG}: x")), BorrowedAnswer)
    assert borrowed(ValueError(f"{BORROWED_TAG}: x")) is None and borrowed(AssertionError("wrong")) is None
