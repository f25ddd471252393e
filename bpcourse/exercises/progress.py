"""The learner's own progress summary, printed by the last cell of every notebook, without any grader.

:func:`print_progress` quietly runs the visible check of each exercise of :mod:`bpcourse.exercises.catalog` on
the learner's function as it is now (looked up by name in ``globals()``) and prints one line per exercise and the
points so far. Hidden tests are the instructor's and are not run here.
"""

import contextlib
import io

from bpcourse.exercises import catalog
from bpcourse.exercises.originality import BORROWED_TAG


def exercise_status(function, check):
    """``(passed, text)`` for one exercise: run its visible ``check`` on ``function`` with the output captured."""
    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output):
            check(function)
    except AssertionError as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        if "not written yet" in first:
            return False, "not written yet"
        if first.startswith(BORROWED_TAG):
            return False, "refused: it uses the package's own implementation (see its check cell)"
        return False, f"fails: {first}"
    except Exception as error:  # the check itself could not run: say so, never stop the notebook
        return False, f"could not be checked: {type(error).__name__}: {error}"
    lines = output.getvalue().strip().splitlines()
    return True, lines[-1].split(": ", 1)[-1] if lines else "passed"


def progress(notebook, namespace):
    """List of ``(name, points earned, points, text)`` for the exercises of ``notebook`` ("01" ... "08")."""
    rows = []
    for exercise in catalog.exercises(notebook):
        function = namespace.get(exercise.name)
        if function is None:
            rows.append((exercise.name, 0, exercise.points, "not found: run its cell first"))
            continue
        ok, text = exercise_status(function, exercise.check)
        rows.append((exercise.name, exercise.points if ok else 0, exercise.points, text))
    return rows


def print_progress(notebook, namespace):
    """Print the learner's summary for ``notebook``: one line per exercise, then the points so far."""
    rows = progress(notebook, namespace)
    width = max(len(name) for name, *_ in rows)
    print(f"Notebook {notebook}: your exercises, by their visible checks")
    for name, earned, points, text in rows:
        mark = "passed" if earned else "open  "
        print(f"  {mark}  {name:<{width}}  {earned}/{points} points  {text}")
    earned = sum(row[1] for row in rows)
    total = sum(row[2] for row in rows)
    done = sum(1 for row in rows if row[1])
    print(f"Points so far: {earned} of {total} ({done} of {len(rows)} exercises pass; the grader also runs "
          f"hidden cases)")
