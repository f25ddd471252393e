"""The one list of graded exercises: each notebook's check module ends with its own.

``bpcourse.exercises.checks.nbNN.EXERCISES`` is a tuple of :class:`Exercise`,
one per graded cell of notebook NN, in the notebook's order: the learner's
function name, its check, its points and the package's reference answer.
Everything else reads it from there: the learner's progress summary
(:mod:`bpcourse.exercises.progress`), the fallback of a student notebook
(:mod:`bpcourse.exercises.homework`), and the tests that keep it equal to the
notebooks' nbgrader metadata.
"""

import importlib
from dataclasses import dataclass
from typing import Callable, Optional

NOTEBOOKS = ("01", "02", "03", "04", "05", "06", "07", "08")


@dataclass(frozen=True)
class Exercise:
    """One graded exercise.

    name: the function the learner writes (and the graded cell's id ``nbNN_<name>_check``);
    check: the check that grades it; points: what it is worth;
    reference: the package's answer, used where the learner has not written it yet (None where no
    later cell needs a fallback).
    """

    name: str
    check: Callable
    points: int
    reference: Optional[Callable]


def exercises(notebook):
    """The exercises of ``notebook`` ("01" ... "08"), a tuple of :class:`Exercise` in the notebook's order."""
    if notebook not in NOTEBOOKS:
        raise ValueError(f"notebook: expected one of {list(NOTEBOOKS)}, got {notebook!r}")
    return importlib.import_module(f"bpcourse.exercises.checks.nb{notebook}").EXERCISES


def find(name):
    """``(notebook, Exercise)`` for the exercise whose learner function is called ``name``."""
    for notebook in NOTEBOOKS:
        for exercise in exercises(notebook):
            if exercise.name == name:
                return notebook, exercise
    known = sorted(exercise.name for notebook in NOTEBOOKS for exercise in exercises(notebook))
    raise ValueError(f"exercise: expected one of {known}, got {name!r}")
