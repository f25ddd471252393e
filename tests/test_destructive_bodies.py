"""No score without work: every graded exercise gives 0 points to answers that do no work.

Each body below stands in for a learner's function. It does nothing, hands
back its inputs, empties or shortens what it was given, zeroes it, answers
NaN or an array of the wrong shape. Every exercise's check (visible cases,
and one hidden seed) must fail on every body, called two ways:

- directly, as in the learner's own notebook, where the body changes the
  check's own objects;
- through the grader's round trip (arguments pickled into the kernel, the
  result and the changed arguments sent back as plain data, adopted by
  :func:`bpcourse.tools.checker.adopt_reply`), exactly as ``bpcourse grade``
  calls a learner's function in the sandbox.
"""

import json
import pickle

import numpy as np
import pytest

from bpcourse.exercises.catalog import NOTEBOOKS, exercises
from bpcourse.tools import plain
from bpcourse.tools.checker import adopt_reply
from tests.notebook_solutions import solutions

HIDDEN_SEED = 7


def _walk(value, visit, seen=None, depth=0):
    """Call ``visit`` on ``value`` and on every list, array and object reachable from it (each once)."""
    seen = set() if seen is None else seen
    if id(value) in seen or depth > 12:
        return
    seen.add(id(value))
    visit(value)
    if isinstance(value, (list, tuple)):
        for item in list(value):
            _walk(item, visit, seen, depth + 1)
    elif isinstance(value, dict):
        for item in list(value.values()):
            _walk(item, visit, seen, depth + 1)
    elif hasattr(value, "__dict__") and not isinstance(value, type) and not callable(value):
        for item in list(vars(value).values()):
            _walk(item, visit, seen, depth + 1)


def _first_array(args):
    return next((np.asarray(a, dtype=float) for a in args if isinstance(a, np.ndarray)), np.zeros(3))


def do_nothing(*args, **kwargs):
    return None


def return_first_input(*args, **kwargs):
    return args[0]


def return_all_inputs(*args, **kwargs):
    return args


def empty_everything(*args, **kwargs):
    def visit(value):
        if isinstance(value, list):
            value.clear()
        elif hasattr(value, "__dict__") and not isinstance(value, type):
            for key, item in list(vars(value).items()):
                if isinstance(item, list):
                    setattr(value, key, [])
                elif isinstance(item, np.ndarray):
                    setattr(value, key, item[:0])
    for arg in args:
        _walk(arg, visit)
    return [a[:0] if isinstance(a, np.ndarray) else a for a in args][0]


def shorten_everything(*args, **kwargs):
    def visit(value):
        if isinstance(value, list) and value:
            del value[-1]
        elif hasattr(value, "__dict__") and not isinstance(value, type):
            for key, item in list(vars(value).items()):
                if isinstance(item, list) and item:
                    setattr(value, key, item[:-1])
    for arg in args:
        _walk(arg, visit)
    first = args[0]
    return first[:-1] if isinstance(first, np.ndarray) and first.size else first


def keep_only_the_first_layer(*args, **kwargs):
    """The attack that earned 4/4 on notebook 04's training exercise: `network.layers = network.layers[:1]`."""
    for arg in args:
        if isinstance(getattr(arg, "layers", None), list):
            arg.layers = arg.layers[:1]
    return None


def zero_everything(*args, **kwargs):
    def visit(value):
        if isinstance(value, np.ndarray) and value.flags.writeable and value.dtype.kind in "fc":
            value[...] = 0
        elif hasattr(value, "__dict__") and not isinstance(value, type):
            for key, item in list(vars(value).items()):
                if isinstance(item, float):
                    setattr(value, key, 0.0)
    for arg in args:
        _walk(arg, visit)
    return np.zeros_like(_first_array(args))


def return_nan(*args, **kwargs):
    return np.full_like(_first_array(args), np.nan)


def return_nan_number(*args, **kwargs):
    return float("nan")


def return_wrong_shape(*args, **kwargs):
    return np.zeros((1, 7))


BODIES = [do_nothing, return_first_input, return_all_inputs, empty_everything, shorten_everything,
          keep_only_the_first_layer, zero_everything, return_nan, return_nan_number, return_wrong_shape]


def through_the_grader(body):
    """``body`` called as the grader calls a learner's function in the sandbox (see the module docstring)."""

    def call(*args, **kwargs):
        copies, kw_copies = pickle.loads(pickle.dumps((args, kwargs)))  # what the kernel unpickles
        result = body(*copies, **kw_copies)
        reply = json.loads(json.dumps({"status": "ok", "result": plain.encode(result),
                                       "args": plain.encode(list(copies)), "kwargs": plain.encode(kw_copies)}))
        return adopt_reply(body.__name__, reply, args, kwargs)

    call.__name__ = call.__qualname__ = body.__name__
    return call


CASES = [(notebook, exercise.name, exercise.check) for notebook in NOTEBOOKS for exercise in exercises(notebook)]


@pytest.mark.parametrize("route", ["direct", "grader"])
@pytest.mark.parametrize("seed", [None, HIDDEN_SEED], ids=["visible", "hidden"])
@pytest.mark.parametrize("notebook, name, check", CASES, ids=[f"{n}-{e}" for n, e, _ in CASES])
def test_no_body_that_does_no_work_earns_points(notebook, name, check, seed, route, capsys):
    earned = []
    for body in BODIES:
        function = body if route == "direct" else through_the_grader(body)
        try:
            check(function, seed=seed)
        except Exception:  # noqa: BLE001 - any exception in a check cell is 0 points in the grader
            continue
        earned.append(body.__name__)
    capsys.readouterr()
    assert earned == [], f"{check.__name__} gave points to {earned}"


@pytest.mark.parametrize("notebook, name, check", CASES, ids=[f"{n}-{e}" for n, e, _ in CASES])
def test_the_instructors_solution_passes_through_the_grader_s_round_trip(notebook, name, check, capsys):
    """The other side: the round trip refuses changed structure, never an honest answer (hidden seed too)."""
    solution = through_the_grader(solutions(notebook)[name])
    check(solution)
    check(solution, seed=HIDDEN_SEED)
    assert "passed" in capsys.readouterr().out
