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
    from bpcourse.exercises.homework import REFERENCES

    def my_sigmoid(x):
        raise NotImplementedError()

    assert learner_or_reference(my_sigmoid, "sigmoid", 0.0) is sigmoid
    assert "bpcourse.core.activations" in capsys.readouterr().out
    assert {"layer_forward", "fixed_gradients", "batch_update"} <= set(REFERENCES)


def test_every_named_reference_exists():
    from bpcourse.exercises.homework import REFERENCES, reference

    for exercise in REFERENCES:
        assert callable(reference(exercise)), exercise


def test_an_unknown_exercise_name_is_refused():
    from bpcourse.exercises.homework import reference

    with pytest.raises(ValueError, match="exercise: expected one of"):
        reference("nope")
