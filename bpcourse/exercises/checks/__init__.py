"""Exercise checks, one submodule per notebook.

A check cell in notebook NN is one call, for example::

    from bpcourse.exercises.checks.nb01 import check_sigmoid
    check_sigmoid(sigmoid)

Each check tries the learner's function on several inputs, including edge
cases, compares it with the package's reference implementation with explicit
tolerances, and raises ``AssertionError`` with the input, what was expected,
what came back and a hint for the common mistake. On success it prints one
short line.

Each submodule ends with ``EXERCISES``, its notebook's graded exercises (see
:mod:`bpcourse.exercises.catalog`). The helpers the checks share (calling the
learner's function, comparing, formatting messages) live in
:mod:`bpcourse.exercises.checks._common`.
"""
