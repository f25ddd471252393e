"""Exercise checks, one submodule per notebook.

A check cell in notebook NN is one call, for example::

    from bpcourse.exercises.checks.nb01 import check_sigmoid
    check_sigmoid(sigmoid)

Each check tries the learner's function on several inputs, including edge
cases, compares it with the package's reference implementation with explicit
tolerances, and raises ``AssertionError`` with the input, what was expected,
what came back and a hint for the common mistake. On success it prints one
short line.

Every public ``check_*`` function is also available from this package, e.g.
``from bpcourse.exercises.checks import check_sigmoid``. The helpers the checks share
(calling the learner's function, comparing, formatting messages) live in
:mod:`bpcourse.exercises.checks._common`.
"""

from bpcourse.exercises.checks.nb01 import check_sigmoid, check_sigmoid_derivative
from bpcourse.exercises.checks.nb02 import check_layer_forward, check_network_forward
from bpcourse.exercises.checks.nb03 import check_hidden_delta, check_output_delta
from bpcourse.exercises.checks.nb04 import check_calc_gradient, check_calc_hidden_layer_delta, check_update_weight
from bpcourse.exercises.checks.nb05 import check_fixed_gradients
from bpcourse.exercises.checks.nb06 import check_error_rate, check_one_hot
from bpcourse.exercises.checks.nb07 import check_batch_update, check_layer_backward
from bpcourse.exercises.checks.nb08 import check_cross_entropy_delta, check_glorot_uniform, check_stable_softmax

__all__ = [
    "check_sigmoid",
    "check_sigmoid_derivative",
    "check_layer_forward",
    "check_network_forward",
    "check_output_delta",
    "check_hidden_delta",
    "check_calc_hidden_layer_delta",
    "check_calc_gradient",
    "check_update_weight",
    "check_fixed_gradients",
    "check_error_rate",
    "check_one_hot",
    "check_layer_backward",
    "check_batch_update",
    "check_stable_softmax",
    "check_cross_entropy_delta",
    "check_glorot_uniform",
]
