"""Helpers that keep a student notebook usable before the learner has done an exercise.

In the student version every solution is replaced by
``raise NotImplementedError()``. A later cell that needs the learner's
function (a plot, a training run) wraps it with :func:`learner_or_reference`,
which falls back to the package's reference implementation, and says so.

The notebooks name the reference by the exercise (``"layer_forward"``), so no
reference implementation sits in the learner's namespace; the fallback is
looked up here, inside the package. A check refuses a learner's function
that calls the fallback (see :mod:`bpcourse.exercises.originality`).
"""

from bpcourse.exercises import catalog


def reference(exercise):
    """The package's reference implementation of ``exercise``, by its name (e.g. ``"layer_forward"``)."""
    _, found = catalog.find(exercise)
    if found.reference is None:
        raise ValueError(f"exercise: {exercise!r} has no reference implementation (no later cell needs one)")
    return found.reference


def learner_or_reference(learner_function, reference_function, *probe_args, **probe_kwargs):
    """Return ``learner_function``, or the reference if the learner has not written it yet.

    Args:
        learner_function: the learner's function.
        reference_function: the exercise's name (as in :mod:`bpcourse.exercises.catalog`, e.g. ``"layer_forward"``),
            or the reference function itself.
        probe_args, probe_kwargs: arguments for one trial call.

    The learner's function is called once with the probe arguments. If it
    raises ``NotImplementedError`` (the student version's placeholder), a
    message is printed and the reference implementation is returned so the
    rest of the notebook still runs. Any other error is the learner's to see,
    so it is raised as it is.
    """
    try:
        learner_function(*probe_args, **probe_kwargs)
    except NotImplementedError:
        if isinstance(reference_function, str):
            reference_function = reference(reference_function)
        name = getattr(learner_function, "__name__", "this function")
        module = getattr(reference_function, "__module__", "bpcourse")
        print(
            f"Note: your {name} is not written yet, so the cells below use "
            f"the reference implementation from {module}. Come back to the exercise!"
        )
        return reference_function
    return learner_function
