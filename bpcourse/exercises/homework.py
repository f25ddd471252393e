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

import importlib

REFERENCES = {
    "sigmoid": "bpcourse.core.activations:sigmoid",
    "sigmoid_derivative": "bpcourse.core.activations:sigmoid_derivative",
    "neuron_output": "bpcourse.exercises.checks.nb01:reference_neuron_output",
    "layer_forward": "bpcourse.exercises.checks.nb02:reference_layer_forward",
    "network_forward": "bpcourse.exercises.checks.nb02:reference_network_forward",
    "output_delta": "bpcourse.exercises.checks.nb03:reference_output_delta",
    "hidden_delta": "bpcourse.exercises.checks.nb03:reference_hidden_delta",
    "calc_hidden_layer_delta": "bpcourse.exercises.checks.nb04:reference_calc_hidden_layer_delta",
    "calc_gradient": "bpcourse.exercises.checks.nb04:reference_calc_gradient",
    "update_weight": "bpcourse.exercises.checks.nb04:reference_update_weight",
    "fixed_gradients": "bpcourse.exercises.checks.nb05:reference_gradients",
    "one_hot": "bpcourse.core.data:one_hot",
    "error_rate": "bpcourse.core.training:error_rate",
    "sgd_train": "bpcourse.exercises.checks.nb06:reference_sgd_train",
    "layer_backward": "bpcourse.exercises.checks.nb07:reference_layer_backward",
    "batch_update": "bpcourse.exercises.checks.nb07:reference_batch_update",
    "glorot_uniform": "bpcourse.core.initialization:glorot_uniform",
    "softmax": "bpcourse.exercises.checks.nb08:reference_softmax",
    "cross_entropy_delta": "bpcourse.exercises.checks.nb08:reference_cross_entropy_delta",
    "softmax_train_step": "bpcourse.exercises.checks.nb08:reference_softmax_train_step",
}
"""Exercise name -> ``"module:function"`` of the package's reference, the fallback."""


def reference(exercise):
    """The package's reference implementation of ``exercise`` (a key of :data:`REFERENCES`)."""
    try:
        module, name = REFERENCES[exercise].split(":")
    except KeyError:
        raise ValueError(f"exercise: expected one of {sorted(REFERENCES)}, got {exercise!r}") from None
    return getattr(importlib.import_module(module), name)


def learner_or_reference(learner_function, reference_function, *probe_args, **probe_kwargs):
    """Return ``learner_function``, or the reference if the learner has not written it yet.

    Args:
        learner_function: the learner's function.
        reference_function: the exercise's name (a key of :data:`REFERENCES`, e.g. ``"layer_forward"``),
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
