import pytest

from bpcourse.exercises.homework import learner_or_reference


def reference(x):
    return 2 * x


def test_falls_back_to_reference_while_the_exercise_is_not_done(capsys):
    def double(x):
        raise NotImplementedError()

    chosen = learner_or_reference(double, reference, 1)
    assert chosen is reference
    assert "your double is not written yet" in capsys.readouterr().out


def test_uses_the_learners_function_once_written(capsys):
    def double(x):
        return x + x

    assert learner_or_reference(double, reference, 1) is double
    assert capsys.readouterr().out == ""


def test_other_errors_reach_the_learner():
    def double(x):
        return x.nope

    with pytest.raises(AttributeError):
        learner_or_reference(double, reference, 1)


def test_the_reference_is_named_by_the_exercise_and_looked_up_in_the_package(capsys):
    from bpcourse.core.activations import sigmoid
    from bpcourse.exercises.checks.nb02 import reference_layer_forward

    def my_sigmoid(x):
        raise NotImplementedError()

    assert learner_or_reference(my_sigmoid, "sigmoid", 0.0) is sigmoid
    assert "bpcourse.core.activations" in capsys.readouterr().out
    capsys.readouterr()
    assert learner_or_reference(my_sigmoid, "layer_forward", 0.0) is reference_layer_forward
    assert "bpcourse.exercises.checks.nb02" in capsys.readouterr().out


def test_every_named_reference_exists():
    from bpcourse.exercises.catalog import NOTEBOOKS, exercises
    from bpcourse.exercises.homework import reference

    named = [exercise for notebook in NOTEBOOKS for exercise in exercises(notebook) if exercise.reference is not None]
    assert len(named) >= 20
    for exercise in named:
        assert reference(exercise.name) is exercise.reference and callable(exercise.reference), exercise.name


def test_an_unknown_exercise_name_is_refused():
    from bpcourse.exercises.homework import reference

    with pytest.raises(ValueError, match="exercise: expected one of"):
        reference("nope")


def test_an_exercise_without_a_fallback_says_so():
    from bpcourse.exercises.homework import reference

    with pytest.raises(ValueError, match="'two_layer_pass' has no reference implementation"):
        reference("two_layer_pass")
