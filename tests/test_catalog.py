"""The one exercise list: every notebook's checks end with its exercises, and the list is looked up by name."""

import pytest

from bpcourse.exercises import catalog
from bpcourse.exercises.checks import nb05


def test_every_notebook_lists_its_exercises_with_distinct_names_and_positive_points():
    everything = [exercise for notebook in catalog.NOTEBOOKS for exercise in catalog.exercises(notebook)]
    assert len(everything) == 26
    assert len({exercise.name for exercise in everything}) == 26
    assert all(exercise.points > 0 and callable(exercise.check) for exercise in everything)
    assert sum(exercise.points for exercise in everything) == 63


def test_an_exercise_is_found_by_its_name_in_its_notebook():
    notebook, exercise = catalog.find("rel_error")
    assert (notebook, exercise.check, exercise.points) == ("05", nb05.check_rel_error, 1)


def test_unknown_names_and_notebooks_are_refused_with_what_was_expected():
    with pytest.raises(ValueError, match="exercise: expected one of .*'sigmoid'"):
        catalog.find("sigmoidd")
    with pytest.raises(ValueError, match="notebook: expected one of"):
        catalog.exercises("9")
