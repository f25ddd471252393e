"""Helpers that keep a student notebook usable before the learner has done an exercise.

In the student version every solution is replaced by
``raise NotImplementedError()``. A later cell that needs the learner's
function (a plot, a training run) wraps it with :func:`learner_or_reference`,
which falls back to the package's reference implementation, and says so.
"""


def learner_or_reference(learner_function, reference_function, *probe_args, **probe_kwargs):
    """Return ``learner_function``, or ``reference_function`` if the learner has not written it yet.

    The learner's function is called once with the probe arguments. If it
    raises ``NotImplementedError`` (the student version's placeholder), a
    message is printed and the reference implementation is returned so the
    rest of the notebook still runs. Any other error is the learner's to see,
    so it is raised as it is.
    """
    try:
        learner_function(*probe_args, **probe_kwargs)
    except NotImplementedError:
        name = getattr(learner_function, "__name__", "this function")
        module = getattr(reference_function, "__module__", "bpcourse")
        print(
            f"Note: your {name} is not written yet, so the cells below use "
            f"the reference implementation from {module}. Come back to the exercise!"
        )
        return reference_function
    return learner_function

