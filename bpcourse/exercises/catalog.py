"""The one list of graded exercises: each notebook's check module ends with its own.

``bpcourse.exercises.checks.nbNN.EXERCISES`` is a tuple of :class:`Exercise`, one per graded cell of notebook NN,
in the notebook's order. The progress summary, the fallback of a student notebook and the tests (which keep it
equal to the notebooks' nbgrader metadata) read it from there.
"""

import importlib
from dataclasses import dataclass
from typing import Callable, Optional

NOTEBOOKS = ("01", "02", "03", "04", "05", "06", "07", "08")


@dataclass(frozen=True)
class Exercise:
    """One graded exercise: the learner's function (graded cell ``nbNN_<name>_check``), its check, its points and
    the package's answer where a later cell needs a fallback (else None)."""

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
