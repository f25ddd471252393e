"""The learner's own summary: the exercise table follows the notebooks, and the summary says what passes."""

import pytest

from bpcourse.core import activations
from bpcourse.exercises.catalog import NOTEBOOKS, exercises
from bpcourse.exercises.progress import print_progress, progress
from notebook_solutions import _cells, solutions


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_the_table_has_every_graded_exercise_of_the_notebook_with_its_points(notebook):
    graded = [cell["metadata"]["nbgrader"] for cell in _cells(notebook)
              if cell.get("metadata", {}).get("nbgrader", {}).get("grade")]
    assert [(m["grade_id"], m["points"]) for m in graded] == [
        (f"nb{notebook}_{exercise.name}_check", exercise.points) for exercise in exercises(notebook)]


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_the_last_cell_prints_the_summary(notebook):
    last = "".join(_cells(notebook)[-1]["source"])
    assert f'print_progress("{notebook}", globals())' in last


def test_the_solutions_earn_every_point(capsys):
    print_progress("01", solutions("01"))
    out = capsys.readouterr().out
    assert "Points so far: 5 of 5 (3 of 3 exercises pass" in out
    assert "passed  sigmoid" in out and "no overflow warning" in out  # says what was verified


def test_unwritten_borrowed_and_missing_exercises_earn_nothing_and_say_why():
    def not_written(*args):
        raise NotImplementedError()

    rows = progress("01", {"sigmoid": not_written, "sigmoid_derivative": activations.sigmoid_derivative})
    assert rows == [
        ("sigmoid", 0, 2, "not written yet"),
        ("sigmoid_derivative", 0, 1, "refused: it uses the package's own implementation (see its check cell)"),
        ("neuron_output", 0, 2, "not found: run its cell first"),
    ]


def test_a_wrong_answer_shows_the_first_line_of_its_failure():
    (name, earned, points, text), *_ = progress("01", {"sigmoid": lambda x: x})
    assert (name, earned, points) == ("sigmoid", 0, 2)
    assert text.startswith("fails: check_sigmoid failed on")


def test_an_unknown_notebook_is_refused():
    with pytest.raises(ValueError, match="notebook: expected one of"):
        progress("99", {})
