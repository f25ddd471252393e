"""No borrowed answers: a learner's function that runs the package's own implementation earns nothing.

What counts is which code actually *runs* when a check calls the learner's
function, not how the function is written. Every check wraps the learner's
function first::

    sigmoid = refuse_borrowed(sigmoid, check="check_sigmoid", name="sigmoid",
                              forbidden=(activations.sigmoid,), equation="eq. 1.2")

While the wrapped function runs, every *forbidden* object (the package's
implementations of the exercise: functions and methods, and the methods of
the package's networks, layers and losses named in ``forbidden_methods``) is a
*tripwire*: its code is swapped for code that raises a :class:`BorrowedAnswer`
naming it. So the package's answer is refused however it is reached (an
alias, a rebinding after a ``def``, a decorator, a default argument, a
closure, a dict, ``functools.partial``, ``np.vectorize``, a class that wraps
it), while any honest form of the learner's own code runs as written (a
``def``, a ``lambda``, ``np.vectorize`` or ``partial`` of the learner's own
function, a callable object, code that uses ``getattr``, ``sys`` or ``math``),
and the package's lower-level building blocks stay allowed (a layer's forward
pass may call ``sigmoid``).

This runs in the learner's own kernel, which the learner's code controls: it
helps an honest learner and cannot stop a hostile one. The grader does not
rely on it. There (:mod:`bpcourse.tools.clean_room`) the learner's function is
called in a separate sandboxed kernel whose copy of the package has the
forbidden objects' code replaced on disk by the same tripwires, so the
package's implementation is not in that process at all.
"""

import functools
import importlib
import types

BORROWED_TAG = "BORROWED ANSWER"
"""The first words of every refusal, for the grade sheet and for review."""

METHOD_MODULES = ("bpcourse.core.oo_network", "bpcourse.core.vectorized", "bpcourse.core.gradcheck",
                  "bpcourse.core.losses", "bpcourse.core.training", "bpcourse.core.initialization",
                  "bpcourse.core.data")
"""Where ``forbidden_methods`` names are looked up: the networks, layers, losses and training code."""


class BorrowedAnswer(AssertionError):
    """The learner's function ran the package's implementation of the exercise."""


def _unwrap(function):
    """The plain function behind bound methods, partials, static and class methods."""
    seen = set()
    while id(function) not in seen:
        seen.add(id(function))
        if isinstance(function, functools.partial):
            function = function.func
        elif isinstance(function, (types.MethodType, staticmethod, classmethod)):
            function = function.__func__
        else:
            break
    return function


def forbidden_functions(forbidden=(), forbidden_methods=()):
    """The plain functions to trip on: ``forbidden`` unwrapped, and every function or method of the package's
    :data:`METHOD_MODULES` whose name is in ``forbidden_methods``. Returns a list without duplicates."""
    found = [_unwrap(item) for item in forbidden]
    names = set(forbidden_methods)
    for module_name in METHOD_MODULES if names else ():
        module = importlib.import_module(module_name)
        for value in vars(module).values():
            if isinstance(value, types.FunctionType) and value.__module__ == module_name and value.__name__ in names:
                found.append(value)
            elif isinstance(value, type) and value.__module__ == module_name:
                for klass in value.__mro__[:-1]:  # inherited methods too (NetworkEdge.predict); not object's
                    for attribute, member in vars(klass).items():
                        member = _unwrap(member)
                        if attribute in names and isinstance(member, types.FunctionType):
                            found.append(member)
    unique = {}
    for function in found:
        if isinstance(function, types.FunctionType):
            unique.setdefault(id(function), function)
    return list(unique.values())


def full_name(function):
    """``module.qualname`` of a package function, as a learner would import it."""
    return f"{function.__module__}.{function.__qualname__}"


def refusal(check, name, equation, found):
    """The message of a refusal: what ran (``found``, a full name) and what to write instead."""
    return (f"{BORROWED_TAG}: {check} refuses your {name}: when it ran, it called {found}, the package's own "
            f"implementation of this exercise. This exercise asks you to write it yourself from {equation}, with "
            f"NumPy and the inputs you are given; the package's version is what your answer is compared with. "
            f"(A grader gives this answer 0 points and marks it for review.)")


def tripwire_code(function, message):
    """A code object for ``function`` that raises ``AssertionError(message)`` whatever it is called with.

    It has the same free variables as the original (a method using ``super()``
    has ``__class__``), so it can take the original's place as ``__code__``.
    """
    free = function.__code__.co_freevars
    outer = "".join(f"    {v} = None\n" for v in free)
    touch = f"        ({', '.join(free)},)\n" if free else ""
    source = (f"def _outer():\n{outer}    def {function.__name__}(*args, **kwargs):\n{touch}"
              f"        raise AssertionError({message!r})\n    return {function.__name__}\n")
    namespace = {}
    exec(compile(source, f"<tripwire for {full_name(function)}>", "exec"), namespace)
    code = namespace["_outer"]().__code__
    return code if code.co_freevars == free else None


class _Tripwired:
    """The learner's function, run with the forbidden functions swapped for tripwires during each call."""

    def __init__(self, function, tripwires):
        self._function, self._tripwires = function, tripwires
        self.__name__ = getattr(function, "__name__", "function")

    def __call__(self, *args, **kwargs):
        saved = []
        try:
            for function, code in self._tripwires:
                saved.append((function, function.__code__))
                function.__code__ = code
            return self._function(*args, **kwargs)
        finally:
            for function, code in reversed(saved):
                function.__code__ = code


def refuse_borrowed(function, *, check, name, forbidden=(), forbidden_methods=(), equation):
    """``function`` wrapped so that running the package's implementation of the exercise raises BorrowedAnswer.

    Args:
        function: the learner's function.
        check, name: the check's and the learner's function's names, for the message.
        forbidden: package functions and methods that implement the exercise.
        forbidden_methods: names of functions and methods of the package's networks, layers, losses and
            training code (:data:`METHOD_MODULES`) that implement it, e.g. ``{"gradients"}``.
        equation: where the text derives what the learner should write, e.g. ``"eq. 1.2"``.
    Returns:
        a callable to use in place of ``function``. The grader's stand-in for a learner's function
        (it has ``__borrowing_guard__``) returns its own, which calls the function in a clean room.
    """
    if not callable(function):
        raise AssertionError(f"{check}: expected your function {name}, got {type(function).__name__} {function!r}")
    functions = forbidden_functions(forbidden, forbidden_methods)
    guard = getattr(type(function), "__borrowing_guard__", None)
    if guard is not None:
        return guard(function, {full_name(f): refusal(check, name, equation, full_name(f)) for f in functions})
    tripwires = [(f, code) for f in functions
                 if (code := tripwire_code(f, refusal(check, name, equation, full_name(f)))) is not None]
    return _Tripwired(function, tripwires)


def borrowed(error):
    """The BorrowedAnswer that ``error`` (raised by a learner's function) stands for, or None."""
    text = str(error)
    if isinstance(error, AssertionError) and text.startswith(BORROWED_TAG):
        return error if isinstance(error, BorrowedAnswer) else BorrowedAnswer(text)
    return None

