"""Hidden tests: every graded check cell has them, the instructor's solution passes them, and an answer
that only reproduces the visible cases (the extreme of special-casing the visible inputs) passes the
visible check but fails the hidden one."""

import contextlib
import io
import re

import pytest

from bpcourse.exercises.catalog import NOTEBOOKS, exercises
from notebook_solutions import _cells, solutions
from replay_state import restore, state_after

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
EXERCISES = [(notebook, exercise.name, exercise.check, exercise.points) for notebook in NOTEBOOKS
             for exercise in exercises(notebook)]


def graded_cells(notebook):
    return ["".join(cell["source"]) for cell in _cells(notebook)
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade")]


def hidden_seed(notebook, name):
    """The seed of the hidden call for exercise ``name`` in its check cell."""
    for source in graded_cells(notebook):
        if f"({name}, seed=" in source:
            hidden = source[source.index(BEGIN):source.index(END)]
            return int(re.search(rf"\({name}, seed=(\d+)\)", hidden).group(1))
    raise AssertionError(f"notebook {notebook}: no hidden call for {name}")


def quietly(function, *args, **kwargs):
    with contextlib.redirect_stdout(io.StringIO()) as out:
        function(*args, **kwargs)
    return out.getvalue()


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_graded_check_cell_has_a_hidden_region_with_a_seeded_call(notebook):
    cells = graded_cells(notebook)
    assert len(cells) >= 3, f"notebook {notebook} has {len(cells)} graded exercises, expected at least 3"
    for source in cells:
        assert BEGIN in source and END in source, f"notebook {notebook}: check cell without hidden tests:\n{source}"
        hidden = source[source.index(BEGIN) + len(BEGIN):source.index(END)]
        assert re.search(r"check_\w+\(\w+, seed=\d+\)", hidden), hidden


def test_hidden_seeds_differ_across_the_course():
    seeds = [hidden_seed(notebook, name) for notebook, name, _, _ in EXERCISES]
    assert len(set(seeds)) == len(seeds)


def replay_of(solution):
    """A recorder around the solution, and an answer that replays what the solution did on the visible cases."""
    recorded = []

    def recorder(*args):
        value = solution(*args)
        recorded.append((value, state_after(args)))
        return value

    calls = []

    def replay(*args):
        value, after = recorded[min(len(calls), len(recorded) - 1)]
        calls.append(1)
        restore(args, after)
        return value

    return recorder, replay, calls


@pytest.mark.parametrize("notebook, name, check, points", EXERCISES, ids=[f"{n}-{e}" for n, e, _, _ in EXERCISES])
def test_the_solution_passes_the_hidden_tests_and_a_replay_of_the_visible_cases_fails_them(notebook, name, check,
                                                                                            points):
    solution = solutions(notebook)[name]
    seed = hidden_seed(notebook, name)
    assert "hidden cases passed" in quietly(check, solution, seed=seed)

    recorder, replay, calls = replay_of(solution)
    quietly(check, recorder)
    calls.clear()
    assert "cases passed" in quietly(check, replay)  # the visible check cannot tell the replay from the solution
    calls.clear()
    with pytest.raises(AssertionError):
        quietly(check, replay, seed=seed)
