"""Helpers shared by the exercise checks. Every failure message has one frame::

    check_x failed on <case>:                    (head)
      <the input, one line per argument>
      <what was expected and what came back>     (failure, mismatch)
      hint: <what to do>
"""

import contextlib
import functools
import warnings

import numpy as np

from bpcourse.exercises.originality import borrowed, refuse_borrowed

WARNINGS_NOTE = "(the check runs your function with warnings turned into errors)"


def exercise_check(name, equation, forbidden=(), methods=()):
    """Decorator of ``check_<...>(function, *, seed=None)``: the body gets the learner's ``function`` (called ``name``)
    wrapped by :func:`refuse_borrowed` (``forbidden``, ``forbidden_methods=methods``, ``equation``)."""
    def decorate(body):
        @functools.wraps(body)
        def check(function, *, seed=None):
            return body(refuse_borrowed(function, check=body.__name__, name=name, equation=equation,
                                        forbidden=forbidden, forbidden_methods=methods), seed=seed)
        return check
    return decorate


def head(check, description, *lines):
    """First lines of a failure message: ``"<check> failed on <description>:"``, then ``lines`` indented."""
    return f"{check} failed on {description}:\n" + "".join(f"  {line}\n" for line in lines)


def failure(head_text, *lines, hint):
    """The ``AssertionError`` for ``head_text`` (from :func:`head`), the ``lines`` indented, then the hint."""
    return AssertionError(head_text + "".join(f"  {line}\n" for line in lines) + f"  hint: {hint}")


def not_written(check, name):
    """The ``AssertionError`` for a learner's function that still raises ``NotImplementedError``."""
    return AssertionError(
        f"{check}: your {name} is not written yet (it raises NotImplementedError). "
        f"Replace `raise NotImplementedError()` with your code, run that cell, then this one."
    )


def show(value, *, indent=0):
    """Short text for a number or an array (more than 20 elements summarised with ``...``)."""
    if isinstance(value, np.ndarray) and value.ndim:
        text = np.array2string(value, precision=6, threshold=20, separator=", ")
        return text.replace("\n", "\n" + " " * indent)
    if isinstance(value, (np.ndarray, np.generic)):
        return repr(value.item())
    return repr(value)


def show_args(args):
    """Lines naming the inputs ``(argument name, value)`` for :func:`head`; a list of (W, b) shows its shapes."""
    lines = []
    for argument, value in args:
        if isinstance(value, (list, tuple)):
            shapes = ", ".join(f"(W {np.shape(W)}, b {np.shape(b)})" for W, b in value)
            lines.append(f"input {argument} = [{shapes}]")
        elif np.ndim(value) == 0:
            lines.append(f"input {argument} = {show(value)}")
        else:
            lines.append(f"input {argument}, shape {np.shape(value)}:\n      {show(value, indent=6)}")
    return lines


def call_learner(function, args, *, check, name, head_text, hint, warnings_as_errors=False, errstate=None):
    """``function(*args)``; what it raises becomes an AssertionError (``hint``: a str or ``hint(error) -> str``), a
    borrowed answer a BorrowedAnswer. ``warnings_as_errors``: every warning (and NumPy's overflow, invalid, divide) is
    an error, so that an overflow in ``np.exp`` fails; ``errstate`` (for ``np.errstate``) overrides it."""
    numpy_errors = dict(over="warn", invalid="warn", divide="warn", under="ignore") if warnings_as_errors else {}
    numpy_errors.update(errstate or {})
    try:
        with warnings.catch_warnings():
            if warnings_as_errors:
                warnings.simplefilter("error")
            with np.errstate(**numpy_errors) if numpy_errors else contextlib.nullcontext():
                return function(*args)
    except NotImplementedError as error:
        raise not_written(check, name) from error
    except Exception as error:
        refused = borrowed(error)
        if refused is not None:  # it ran the package's implementation: say that, not "it raised"
            raise refused from None
        lines = [f"your {name} raised {type(error).__name__}: {error}"]
        if warnings_as_errors and isinstance(error, Warning):
            lines = [f"your {name} raised the warning {type(error).__name__}: {error}", WARNINGS_NOTE]
        raise failure(head_text, *lines, hint=hint(error) if callable(hint) else hint) from error


def call_on_copies(function, args, *, check, name, description, hint, unchanged, phrase="its input {}",
                   returned="is the `return` statement missing?", lines=None, **options):
    """``(head_text, result)`` of ``function`` on copies of ``args`` (``(name, value)`` pairs, named in the head by
    ``lines``, default :func:`show_args`). It fails if the call raises (``hint``, ``options``: :func:`call_learner`),
    changes an input (``unchanged``: the hint, None not to check) or returns None (``returned``: the hint)."""
    head_text = head(check, description, *(show_args(args) if lines is None else lines))
    copies = [copy_value(value) for _, value in args]
    got = call_learner(function, copies, check=check, name=name, head_text=head_text, hint=hint, **options)
    if unchanged is not None:
        check_unchanged(head_text, name, args, copies, unchanged, phrase=phrase)
    check_returned(head_text, name, got, returned)
    return head_text, got


def copy_value(value):
    """A copy to hand to the learner: an array (same dtype), a list of ``(W, b)`` as float arrays, or a number."""
    if isinstance(value, (list, tuple)):
        return [tuple(np.array(v, dtype=np.float64) for v in pair) for pair in value]
    if isinstance(value, np.ndarray):
        return value.copy()
    return value


def same_values(value, other):
    """True when two arrays, or two lists of ``(W, b)`` pairs, hold exactly the same numbers."""
    if isinstance(value, (list, tuple)):
        return len(value) == len(other) and all(
            np.array_equal(u, v) for pair, pair_other in zip(value, other) for u, v in zip(pair, pair_other))
    return bool(np.array_equal(value, other))


def check_unchanged(head_text, name, args, passed, hint, *, phrase="its input {}"):
    """Fail if an input of ``args`` (``(name, original)``) differs from the copy in ``passed`` given to the learner;
    ``hint`` is a str or ``hint(argument name) -> str``, ``phrase`` names the argument in the message."""
    for (argument, value), given in zip(args, passed):
        if not same_values(value, given):
            afterwards = "" if isinstance(given, (list, tuple)) else f"; afterwards it held {show(given)}"
            raise failure(head_text, f"your {name} changed {phrase.format(argument)} in place{afterwards}",
                          hint=hint(argument) if callable(hint) else hint)


def check_returned(head_text, name, got, hint="is the `return` statement missing?"):
    """Raise AssertionError if the learner's function returned None."""
    if got is None:
        raise failure(head_text, f"your {name} returned None", hint=hint)


def as_array(head_text, name, got, hint, *, part=None):
    """``got`` as a float64 array, or an AssertionError; ``part`` names one of several results (``"dW"``)."""
    try:
        return np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError) as error:
        label = f"{part}: " if part else ""
        text = repr(got)
        text = text if len(text) <= 80 else text[:77] + "..."
        raise failure(head_text, f"{label}expected an array of numbers, your {name} returned {type(got).__name__} "
                                 f"{text}", hint=hint) from error


def matches(got, candidate, *, rtol, atol):
    """True when ``got`` has the shape of ``candidate`` and is close to it (False if not numbers)."""
    try:
        got = np.asarray(got, dtype=np.float64)
        candidate = np.asarray(candidate, dtype=np.float64)
        return got.shape == candidate.shape and bool(np.allclose(got, candidate, rtol=rtol, atol=atol))
    except (TypeError, ValueError):
        return False


def diagnose(got, wrong_answers, default, *, rtol=1e-6, atol=1e-9):
    """The hint of the first typical wrong answer ``(candidate, hint)`` that ``got`` matches, else ``default``."""
    for candidate, hint in wrong_answers:
        if matches(got, candidate, rtol=rtol, atol=atol):
            return hint
    return default


def mismatch(head_text, expected, got, hint, *, rtol=None, atol=None, label=None, detail=None):
    """The AssertionError for a wrong value: expected and got (``label`` names it), ``detail``, the tolerance."""
    prefix = f"expected {label} = " if label else "expected "
    lines = [f"{prefix}{show(expected, indent=2 + len(prefix))}",
             f"{'got':<{len(prefix)}}{show(got, indent=2 + len(prefix))}"]
    if detail:
        lines.append(detail)
    if rtol is not None or atol is not None:
        lines.append("(tolerance " + ", ".join(f"{key}={value}" for key, value in (("rtol", rtol), ("atol", atol))
                                               if value is not None) + ")")
    return failure(head_text, *lines, hint=hint)


def compare_arrays(head_text, name, expected, got, *, rtol, atol, hint, wrong_answers=(), shape_hint=None,
                   type_hint=None, part=None):
    """``got`` as a float64 array, or an AssertionError unless it is numbers of the shape of ``expected`` and within
    ``np.isclose(rtol, atol)`` of it. ``hint`` (str, or ``hint(got_array) -> str``) is for wrong values, unless ``got``
    matches one of ``wrong_answers`` (:func:`diagnose`); ``shape_hint``, ``type_hint``: a wrong shape, not numbers."""
    label = f"{part}: " if part else ""
    if type_hint is None:
        type_hint = hint if isinstance(hint, str) else "return a number or a NumPy array"
    got_array = as_array(head_text, name, got, type_hint, part=part)
    expected = np.asarray(expected, dtype=np.float64)
    if got_array.shape != expected.shape:
        shape_hint = hint if shape_hint is None else shape_hint
        raise failure(head_text, f"{label}expected a result of shape {expected.shape}, got shape {got_array.shape}: "
                                 f"{show(got_array, indent=4)}",
                      hint=shape_hint(got_array) if callable(shape_hint) else shape_hint)
    close = np.isclose(got_array, expected, rtol=rtol, atol=atol)
    if close.all():
        return got_array
    detail = None
    if expected.ndim:
        worst = np.unravel_index(np.argmax(np.where(close, -1.0, np.abs(got_array - expected))), expected.shape)
        detail = (f"largest difference at index {tuple(int(i) for i in worst)}: "
                  f"expected {float(expected[worst])!r}, got {float(got_array[worst])!r}")
    text = diagnose(got_array, wrong_answers, None)
    if text is None:
        text = hint(got_array) if callable(hint) else hint
    raise mismatch(head_text, expected, got_array, text, rtol=rtol, atol=atol, label=part, detail=detail)


def random_shape(rng, max_ndim=3, max_size=6):
    """A random array shape for hidden tests: 1 to ``max_ndim`` axes of 1 to ``max_size`` elements."""
    return tuple(int(n) for n in rng.integers(1, max_size + 1, size=int(rng.integers(1, max_ndim + 1))))


def distinct_sizes(rng, count, low=1, high=9):
    """``count`` different random layer sizes in [low, high], so that a transposed matrix shows."""
    return tuple(int(n) for n in rng.choice(np.arange(low, high + 1), size=count, replace=False))


def passed(check, seed, count, what):
    """Print the one-line success message; for hidden tests (``seed`` given) without the seed."""
    if seed is not None:
        print(f"{check}: all {count} hidden cases passed (other shapes, sizes and values than the visible ones)")
    else:
        print(f"{check}: all {count} cases passed: {what}")


def same_weights(got, expected, *, rtol, atol):
    """True when ``got`` is a list of ``(W, b)`` pairs like ``expected`` and close to it. Never vacuous: another
    count, a pair of another length or shape, or a non-finite entry is False."""
    if not isinstance(got, (list, tuple)) or len(got) != len(expected):
        return False
    for pair, reference in zip(got, expected):
        if not isinstance(pair, (list, tuple)) or len(pair) != len(reference):
            return False
        for g, e in zip(pair, reference):
            if not matches(g, e, rtol=rtol, atol=atol) or not np.all(np.isfinite(np.asarray(g, dtype=np.float64))):
                return False
    return True
