"""No borrowed answers: a learner's function that runs the package's own implementation earns nothing.

Every check wraps the learner's function with :func:`refuse_borrowed`. While it runs, every forbidden function or
method is a *tripwire*: its code is swapped for code that raises a :class:`BorrowedAnswer` naming it, so the
package's answer is refused however it is reached (an alias, a closure, ``functools.partial``, ...), while the
learner's own code and the package's lower-level building blocks run as written.

In the learner's own kernel this helps an honest learner and cannot stop a hostile one; the grader calls the
learner's function in a sandboxed kernel whose package copy has the same tripwires on disk (``tools.clean_room``).
"""

import functools
import importlib
import types

BORROWED_TAG = "BORROWED ANSWER"  # the first words of every refusal, for the grade sheet and for review

METHOD_MODULES = ("bpcourse.core.oo_network", "bpcourse.core.vectorized", "bpcourse.core.gradcheck",
                  "bpcourse.core.losses", "bpcourse.core.training", "bpcourse.core.initialization",
                  "bpcourse.core.data")  # where forbidden_methods are looked up


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
    """The functions to trip on: ``forbidden``, and those of :data:`METHOD_MODULES` named in ``forbidden_methods``."""
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
    return list({id(function): function for function in found if isinstance(function, types.FunctionType)}.values())


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
    """A code object that raises ``AssertionError(message)``, with the free variables of ``function``'s (a method
    using ``super()`` has ``__class__``), so that it can take its place as ``__code__``."""
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

    ``forbidden``: the package functions and methods that implement it; ``forbidden_methods``: their names in
    :data:`METHOD_MODULES` (e.g. ``{"gradients"}``); ``equation``: where the text derives it. The grader's
    stand-in for a learner's function (it has ``__borrowing_guard__``) returns its own, which calls a clean room.
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

