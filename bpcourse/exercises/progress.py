"""The learner's own progress summary, printed by the last cell of every notebook, without any grader.

:func:`print_progress` runs the visible check of each of the notebook's
exercises again, quietly, on the learner's function as it is now in the
notebook (looked up by name in ``globals()``), and prints one line per
exercise (passed, not written yet, refused as a borrowed answer, or the
first line of the failure) and the points so far. Hidden tests are the
instructor's and are not run here, so the line says "visible checks".

:data:`EXERCISES` lists every graded exercise with its points; a test keeps
it equal to the notebooks' nbgrader metadata.
"""

import contextlib
import importlib
import io

from bpcourse.exercises.originality import BORROWED_TAG

EXERCISES = {
    "01": [("sigmoid", "nb01:check_sigmoid", 2), ("sigmoid_derivative", "nb01:check_sigmoid_derivative", 1),
           ("neuron_output", "nb01:check_neuron_output", 2)],
    "02": [("layer_forward", "nb02:check_layer_forward", 2), ("network_forward", "nb02:check_network_forward", 2),
           ("count_parameters", "nb02:check_count_parameters", 1)],
    "03": [("output_delta", "nb03:check_output_delta", 1), ("hidden_delta", "nb03:check_hidden_delta", 2),
           ("cross_entropy_deltas", "nb03:check_cross_entropy_deltas", 4)],
    "04": [("calc_hidden_layer_delta", "nb04:check_calc_hidden_layer_delta", 2),
           ("calc_gradient", "nb04:check_calc_gradient", 1), ("update_weight", "nb04:check_update_weight", 1),
           ("train_object_network", "nb04:check_train_object_network", 4)],
    "05": [("fixed_gradients", "nb05:check_fixed_gradients", 3), ("rel_error", "nb05:check_rel_error", 1),
           ("gradient_check_errors", "nb05:check_gradient_check_errors", 4)],
    "06": [("one_hot", "nb06:check_one_hot", 2), ("error_rate", "nb06:check_error_rate", 2),
           ("sgd_train", "nb06:check_sgd_train", 5)],
    "07": [("layer_backward", "nb07:check_layer_backward", 3), ("batch_update", "nb07:check_batch_update", 2),
           ("two_layer_pass", "nb07:check_two_layer_pass", 5)],
    "08": [("glorot_uniform", "nb08:check_glorot_uniform", 2), ("softmax", "nb08:check_stable_softmax", 2),
           ("cross_entropy_delta", "nb08:check_cross_entropy_delta", 2),
           ("softmax_train_step", "nb08:check_softmax_train_step", 5)],
}
"""Notebook -> list of (the learner's function name, ``"module:check"`` in bpcourse.exercises.checks, points)."""


def exercise_status(function, check_name):
    """``(passed, text)`` for one exercise: run its visible check on ``function`` with the output captured."""
    module, name = check_name.split(":")
    output = io.StringIO()
    try:
        check = getattr(importlib.import_module(f"bpcourse.exercises.checks.{module}"), name)
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
    try:
        exercises = EXERCISES[notebook]
    except KeyError:
        raise ValueError(f"notebook: expected one of {sorted(EXERCISES)}, got {notebook!r}") from None
    rows = []
    for name, check_name, points in exercises:
        function = namespace.get(name)
        if function is None:
            rows.append((name, 0, points, "not found: run its cell first"))
            continue
        ok, text = exercise_status(function, check_name)
        rows.append((name, points if ok else 0, points, text))
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
