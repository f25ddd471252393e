"""Exercise checks, one submodule per notebook; a check cell in notebook NN is one call, for example::

    from bpcourse.exercises.checks.nb01 import check_sigmoid
    check_sigmoid(sigmoid)

Each check first refuses a borrowed answer (:mod:`bpcourse.exercises.originality`), tries the learner's function
on several inputs, edge cases included (with ``seed=``, the instructor's hidden cases drawn from it), compares it
with the package's reference with explicit tolerances, and raises ``AssertionError`` with the case, the input,
what was expected, what came back and a hint that names the mistake and the equation. On success it prints one
line. Each submodule ends with ``EXERCISES`` (see :mod:`bpcourse.exercises.catalog`); the shared helpers live in
:mod:`bpcourse.exercises.checks._common`.
"""
