"""Checks for the exercises of notebook 05: the fixed planted bug, the relative error, the gradient check itself.

A backward pass is judged by the gradient check (eq. 5.4, :func:`bpcourse.core.gradcheck.gradient_check`) and
compared with ``network.gradients``, on both networks, with the sigmoid and tanh.
"""

import numpy as np

from bpcourse.core.activations import get_activator
from bpcourse.exercises.buggy import buggy_gradients
from bpcourse.exercises.checks._common import (call_learner, call_on_copies, compare_arrays, exercise_check, failure,
                                               head, passed, same_values, same_weights, show)
from bpcourse.exercises.catalog import Exercise
from bpcourse.core.trace import backward_trace, forward_trace, text_example, weight_steps
from bpcourse.core.gradcheck import gradient_check, numeric_gradient, relative_error
from bpcourse.core.oo_network import Network as ObjectNetwork
from bpcourse.core.vectorized import Network as VectorizedNetwork

GRADIENT_METHODS = {"gradients", "get_gradient", "calc_delta", "calc_gradient", "train_batch", "train_one_sample",
                    "train", "_backward", "_train_step", "_output_delta"}  # the networks' own backward passes

THRESHOLD = 1e-5
"""Relative error of the gradient check (eq. 5.4, epsilon 1e-4) that separates right from wrong: a correct
backward pass stays below about 1e-8 on every case here, any real mistake gives 1e-3 to 1."""
RTOL, ATOL = 1e-7, 1e-12  # against network.gradients: correct backward passes agree to about 1e-15


def reference_gradients(network, x, t):
    """The package's backward pass ``network.gradients(x, t)``: x (n_in,), t (n_out,) -> [(dW, db), ...]."""
    return network.gradients(x, t)


@exercise_check("fixed_gradients", "eq. 4.1-4.3 and 4.12 (the true gradient dE/dW)",
                (reference_gradients, ObjectNetwork.gradients, VectorizedNetwork.gradients), GRADIENT_METHODS)
def check_fixed_gradients(fixed_gradients, *, seed=None):
    """Check a learner's ``fixed_gradients(network, x, t)``, the true gradient [(dW, db), ...] of one sample: the
    gradient check at ``THRESHOLD``, ``network.gradients`` (rtol 1e-7), the network's weights left unchanged."""
    cases = list(_cases(seed))
    for description, network, x, t in cases:
        head_text = head("check_fixed_gradients", description,
                         f"layer sizes {network.layer_sizes}, x = {show(x)}, t = {show(t)}")
        before = network.get_weights()
        got = call_learner(
            fixed_gradients, (network, x.copy(), t.copy()), check="check_fixed_gradients", name="fixed_gradients",
            head_text=head_text, hint="read the weights and the activation from the network, as buggy_gradients does "
                                      "(its weights method and its activator); it must work for both kinds of network")
        _unchanged(head_text, network, before)
        expected = network.gradients(x, t)
        _check_structure(head_text, got, expected)
        got = [(np.asarray(dW, dtype=np.float64), np.asarray(db, dtype=np.float64)) for dW, db in got]
        report = gradient_check(network, x, t, analytic=lambda net, x_, t_: got)
        if not (report.passed(THRESHOLD) and same_weights(got, expected, rtol=RTOL, atol=ATOL)):
            raise _failure(head_text, network, x, t, got, report)
    passed("check_fixed_gradients", seed, len(cases), f"every weight's gradient passes the gradient check "
           f"(eq. 5.4, relative error below {THRESHOLD:g}) and matches network.gradients, on both kinds of "
           f"network, sigmoid and tanh")


def _cases(seed=None):
    """Yield (description, network, x, t), fresh networks each time (random ones from ``seed`` if given)."""
    rng = np.random.default_rng(505 if seed is None else seed)

    def scaled(network, scale=0.5):
        network.set_weights([(scale * rng.normal(size=W.shape), scale * rng.normal(size=b.shape))
                             for W, b in network.get_weights()])
        return network

    def target(n):
        return np.where(rng.uniform(size=n) < 0.5, 0.1, 0.9)

    if seed is not None:
        for kind, Network in (("object", ObjectNetwork), ("vectorized", VectorizedNetwork)):
            for activator in ("sigmoid", "tanh"):
                sizes = tuple(int(n) for n in rng.integers(1, 6, size=int(rng.integers(2, 5))))
                network = scaled(Network(sizes, activator=activator, seed=int(rng.integers(1000))))
                yield (f"hidden case: a {kind} {'-'.join(map(str, sizes))} {activator} network", network,
                       rng.uniform(-1, 1, size=sizes[0]), rng.uniform(-0.8, 0.8, size=sizes[-1]) if
                       activator == "tanh" else target(sizes[-1]))
        return

    yield ("the notebook's vectorized 4-5-4-3 sigmoid network (two hidden layers)",
           scaled(VectorizedNetwork((4, 5, 4, 3), seed=1)), rng.uniform(size=4), target(3))
    weights, x, t = text_example()
    text_network = ObjectNetwork((3, 4, 2))
    text_network.set_weights(weights)
    yield "the text's 3-4-2 network as an object network (bpcourse.core.oo_network)", text_network, x, t
    yield ("a vectorized 3-4-2 network with tanh (activator.backward(a) = 1 - a^2)",
           scaled(VectorizedNetwork((3, 4, 2), activator="tanh", seed=2)), rng.uniform(-1, 1, size=3),
           rng.uniform(-0.8, 0.8, size=2))
    yield ("a vectorized 5-3 network (no hidden layer: only the output layer's rule)",
           scaled(VectorizedNetwork((5, 3), seed=3)), rng.uniform(size=5), target(3))
    yield ("an object 2-3-2 network with large inputs (x = [4, -3])",
           scaled(ObjectNetwork((2, 3, 2), seed=4)), np.array([4.0, -3.0]), target(2))


def _unchanged(head_text, network, before):
    if not same_values(before, network.get_weights()):
        network.set_weights(before)
        raise failure(head_text, "your fixed_gradients changed the network's weights",
                      hint="only compute the gradients; work on the copies that network.get_weights() returns")


def _check_structure(head_text, got, expected):
    wanted = [(dW.shape, db.shape) for dW, db in expected]
    try:
        shapes = [(np.shape(dW), np.shape(db)) for dW, db in got]
    except (TypeError, ValueError):
        shapes = None
    if shapes == wanted:
        return
    hint = "return a list with one (dW, db) per layer, in the order of network.get_weights()"
    if shapes is not None and len(shapes) == len(wanted):
        if all(s == (w[0][::-1], w[1]) for s, w in zip(shapes, wanted)):
            hint = ("dW is transposed: dW[j, i] = dE/dw_ji has the shape of W, (n_out, n_in): "
                    "np.outer(dE/dnet, input), not np.outer(input, dE/dnet)")
        elif shapes == wanted[::-1]:
            hint = "the layers are in reverse order: the first pair belongs to the first layer (reverse your list)"
    raise failure(head_text, f"expected a list of (dW, db) with shapes {wanted}",
                  f"got {shapes if shapes is not None else type(got).__name__}", hint=hint)


def _failure(head_text, network, x, t, got, report):
    lines = [f"gradient check (eq. 5.4, epsilon {report.epsilon:g}): max relative error "
             f"{report.max_relative_error:.3g}, threshold {THRESHOLD:g}"]
    for layer in range(len(got)):
        errors = report.relative_error[report.layer == layer]
        lines.append(f"layer {layer}: {int(np.sum(errors >= THRESHOLD))} of {len(errors)} weights wrong "
                     f"(max relative error {errors.max():.3g})")
    row = report.rows()[int(np.argmax(report.relative_error))]
    lines.append(f"worst: {row['weight']}: yours {row['analytic']!r}, numeric {row['numeric']!r}")
    return failure(head_text, *lines, hint=_diagnose(network, x, t, got, report))


def _diagnose(network, x, t, got, report):
    reference = network.gradients(x, t)
    candidates = [
        (buggy_gradients(network, x, t), "this is still the planted bug: activator.backward expects a layer's OUTPUT "
         "a (eq. 1.4: f'(net) = a(1 - a)), but buggy_gradients gives it the weighted input net"),
        ([(-dW, -db) for dW, db in reference], "every gradient has the wrong sign: return dE/dW (so that W -= eta * dW "
         "descends); the text's delta * x is -dE/dW"),
        (_backward(network, x, t, derivative=lambda a: a * (1 - a)), "you wrote the sigmoid's a(1 - a) where the "
         "network's activator belongs: use activator.backward(a), which is 1 - a^2 for tanh"),
        (_backward(network, x, t, hidden_derivative=False), "the hidden layers' dE/dnet lacks the activation's "
         "derivative f'(a) (eq. 4.3)"),
    ]
    hint = next((hint for candidate, hint in candidates if same_weights(got, candidate, rtol=1e-6, atol=1e-12)), None)
    if hint is not None:
        return hint
    wrong_layers = [layer for layer in range(len(got))
                    if np.any(report.relative_error[report.layer == layer] >= THRESHOLD)]
    if wrong_layers and wrong_layers[-1] < len(got) - 1:
        return (f"layers {wrong_layers} are wrong and the last layer is right: look at how dE/dnet is passed "
                f"down one layer (eq. 4.3: f'(a) * (W^T g), with the output a of the layer below)")
    return ("start from buggy_gradients and change only the line that passes dE/dnet down a layer; compare "
            "your numbers with the numeric ones above")


def _backward(network, x, t, derivative=None, hidden_derivative=True):
    """A configurable correct-looking backward pass, only to recognize wrong answers in hints."""
    activator = get_activator(network.activator)
    derivative = activator.backward if derivative is None else derivative
    weights = network.get_weights()
    _, outputs = forward_trace(weights, x, activator)
    delta_out = derivative(outputs[-1]) * (np.asarray(t, dtype=np.float64) - outputs[-1])
    deltas = backward_trace(weights, outputs, delta_out, slope=derivative, hidden_slope=hidden_derivative)
    return weight_steps(deltas, outputs, scale=-1.0)  # the true gradient of one sample


def _rel_error_cases(seed):
    rng = np.random.default_rng(515 if seed is None else seed)
    if seed is not None:
        n = int(rng.integers(3, 12))
        a = rng.normal(size=n) * 10.0 ** rng.integers(-6, 1, size=n)
        return [(f"hidden case: {n} random pairs", a, a * (1 + rng.normal(0, 1e-3, size=n))),
                ("hidden case: zeros and opposite signs", np.array([0.0, 2.0, -1e-9]), np.array([0.0, -2.0, 0.0]))]
    return [("equal values", np.array([0.5, -2.0]), np.array([0.5, -2.0])),
            ("a small relative difference", np.array([1.0, -3.0]), np.array([1.001, -3.003])),
            ("opposite signs", np.array([0.25]), np.array([-0.25])),
            ("both zero (a weight with no influence)", np.array([0.0, 0.0]), np.array([0.0, 0.0])),
            ("tiny gradients next to zero", np.array([1e-12, 0.0]), np.array([0.0, 3e-12])),
            ("numbers, not arrays", 0.3, 0.30000003)]


@exercise_check("rel_error", "the relative error of section 1", (relative_error,), {"relative_error", "gradient_check"})
def check_rel_error(rel_error, *, seed=None):
    """Check a learner's ``rel_error(a, n)``: |a - n| / max(1e-8, |a| + |n|), element by element (numbers or arrays)."""
    check, name = "check_rel_error", "rel_error"
    cases = _rel_error_cases(seed)
    for description, a, n in cases:
        head_text, got = call_on_copies(rel_error, [("a", a), ("n", n)], check=check, name=name,
                                        description=description, errstate={"invalid": "ignore", "divide": "ignore"},
                                        unchanged=None, hint="work element by element, so that arrays and numbers "
                                                             "both work")
        a_, n_ = np.asarray(a, dtype=np.float64), np.asarray(n, dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            wrong = [
                (np.abs(a_ - n_) / (np.abs(a_) + np.abs(n_)), "0 / 0 gives nan when both gradients are 0: the "
                 "denominator has a floor, max(1e-8, |a| + |n|)"),
                (np.abs(a_ - n_) / np.maximum(1e-8, np.abs(a_)), "divide by |a| + |n|, both sizes: then the error "
                 "is symmetric and at most 1"),
                ((a_ - n_) / np.maximum(1e-8, np.abs(a_) + np.abs(n_)), "the absolute value of the difference is "
                 "missing: an error is never negative"),
                (np.abs(a_ - n_) / np.maximum(1e-8, np.abs(a_ + n_)), "the denominator adds the sizes, |a| + |n|, "
                 "not a + n (which is 0 for opposite signs)"),
            ]
        compare_arrays(head_text, name, relative_error(a, n), got, rtol=1e-9, atol=1e-15,
                       hint=lambda got_array: wrong[0][1] if np.isnan(got_array).any() else (
                           "the relative error of section 1: the size of the difference over the sum of the two "
                           "sizes, with a floor of 1e-8 under the denominator"),
                       wrong_answers=wrong)
    passed(check, seed, len(cases), "|a - n| / max(1e-8, |a| + |n|) for equal, close, opposite and zero "
           "gradients, arrays and numbers")


def own_gradients(network, x, t):
    """``network.gradients(x, t)`` as a module-level function, which the grader can send to the learner's kernel."""
    return network.gradients(x, t)


def _check_networks(seed):
    """Yield (description, network, x, t, analytic, is_correct)."""
    rng = np.random.default_rng(525 if seed is None else seed)
    specs = [("a vectorized 3-4-2 network, its own backward pass", VectorizedNetwork, (3, 4, 2), "sigmoid", True),
             ("the same network with the planted bug (buggy_gradients)", VectorizedNetwork, (3, 4, 2), "sigmoid",
              False),
             ("an object 2-3-2 network, its own backward pass", ObjectNetwork, (2, 3, 2), "sigmoid", True),
             ("a vectorized 4-3-3-2 tanh network with the planted bug", VectorizedNetwork, (4, 3, 3, 2), "tanh", False)]
    if seed is not None:
        specs = []
        for correct in (True, False):
            sizes = tuple(int(n) for n in rng.integers(2, 5, size=int(rng.integers(3, 5))))
            specs.append((f"hidden case: a {'-'.join(map(str, sizes))} network", VectorizedNetwork, sizes,
                          "sigmoid", correct))
    for description, Network, sizes, activator, correct in specs:
        network = Network(sizes, activator=activator, seed=int(rng.integers(1000)))
        network.set_weights([(rng.normal(size=W.shape), rng.normal(size=b.shape)) for W, b in network.get_weights()])
        x = rng.uniform(-1, 1, size=sizes[0])
        t = rng.uniform(0.1, 0.9, size=sizes[-1])
        analytic = own_gradients if correct else buggy_gradients
        yield description, network, x, t, analytic, correct


def _flat(errors):
    return np.concatenate([np.ravel(e) for pair in errors for e in pair])


def _close(got, expected):
    """Relative errors that agree to 1e-3, or are both below 1e-6."""
    return (np.abs(got - expected) <= 1e-3 * expected + 1e-6) | ((got < 1e-6) & (expected < 1e-6))


def _expected_errors(network, x, t, analytic, epsilon):
    report = gradient_check(network, x, t, epsilon=epsilon, analytic=analytic)
    errors = [(np.zeros(W.shape), np.zeros(b.shape)) for W, b in network.get_weights()]
    for l, j, i, r in zip(report.layer, report.row, report.col, report.relative_error):
        if i >= 0:
            errors[l][0][j, i] = r
        else:
            errors[l][1][j] = r
    return errors


def _variant_errors(network, x, t, analytic, epsilon, kind):
    """The relative errors of a typical wrong gradient check, flattened as :func:`_flat` (only to recognize it)."""
    grads = analytic(network, x, t)
    saved = network.get_weights()
    base = network.loss_value(x, t)
    errors = []
    for l, which in np.ndindex(len(saved), 2):  # W, then b, of every layer
        for index in np.ndindex(saved[l][which].shape):
            losses = []
            for step in (epsilon, -epsilon):
                work = [(W.copy(), b.copy()) for W, b in saved]
                work[l][which][index] += step
                network.set_weights(work)
                losses.append(network.loss_value(x, t))
            numeric = {"sign": (losses[1] - losses[0]) / (2 * epsilon),
                       "no 2": (losses[0] - losses[1]) / epsilon,
                       "one-sided": (losses[0] - base) / epsilon}[kind]
            errors.append(float(relative_error(grads[l][which][index], numeric)))
    network.set_weights(saved)
    return np.array(errors)


_CHECK_MISTAKES = (
    ("sign", "the numeric estimate has the wrong sign: eq. 5.4 is (E(w + eps) - E(w - eps)) / (2 eps), plus first"),
    ("no 2", "the numeric estimate is twice too big: the two points are 2 epsilon apart (eq. 5.4)"),
    ("one-sided", "that is the one-sided difference (eq. 5.2); use the centered one, eq. 5.4, whose error is of order "
                  "epsilon^2"))


@exercise_check("gradient_check_errors", "eq. 5.1-5.4", (gradient_check, numeric_gradient),
                {"gradient_check", "numeric_gradient", "_central_difference", "passed", "rows"})
def check_gradient_check_errors(gradient_check_errors, *, seed=None):
    """Check a learner's ``gradient_check_errors(network, x, t, analytic, epsilon)``, the gradient check itself.

    It returns the relative errors of ``analytic(network, x, t)`` against eq. 5.4, [(errors_W, errors_b), ...], and
    leaves the weights as before; compared with :func:`bpcourse.core.gradcheck.gradient_check` (below 1e-6: equal).
    """
    check, name = "check_gradient_check_errors", "gradient_check_errors"
    cases = list(_check_networks(seed))
    epsilon = 1e-4
    for description, network, x, t, analytic, correct in cases:
        before = network.get_weights()
        head_text = head(check, description, f"layer sizes {network.layer_sizes}, x = {show(x)}, t = {show(t)}",
                         f"analytic = {'network.gradients' if correct else 'buggy_gradients'}, epsilon = {epsilon}")
        got = call_learner(gradient_check_errors, (network, x.copy(), t.copy(), analytic, epsilon), check=check,
                           name=name, head_text=head_text,
                           hint="for each weight: save it, set it to w + epsilon, take the loss, set it to "
                                "w - epsilon, take the loss, put the saved value back (eq. 5.4)")
        if not same_values(before, network.get_weights()):
            network.set_weights(before)
            raise failure(head_text, f"your {name} left the network's weights changed",
                          hint="the text's second bug: put every perturbed weight back by assigning its saved value, "
                               "not by adding epsilon again (section 2)")
        expected = _expected_errors(network, x, t, analytic, epsilon)
        _check_structure(head_text, got, [(np.zeros(W.shape), np.zeros(b.shape)) for W, b in before])
        got = [(np.asarray(eW, dtype=np.float64), np.asarray(eb, dtype=np.float64)) for eW, eb in got]
        flat_got, flat_expected = _flat(got), _flat(expected)
        close = _close(flat_got, flat_expected)
        if close.all():
            continue
        hint = ("compare your numeric estimate for one weight with the table of section 3: eq. 5.4 divides "
                "E(w + epsilon) - E(w - epsilon) by 2 epsilon")
        if not correct and flat_got.max() < THRESHOLD:
            hint = ("your errors are all small although this backward pass is the planted bug: compare with the "
                    "gradients that `analytic` returns, not with the network's own")
        else:
            hint = next((text for kind, text in _CHECK_MISTAKES
                         if _close(flat_got, _variant_errors(network, x, t, analytic, epsilon, kind)).all()), hint)
        worst = int(np.argmax(np.where(close, -1.0, np.abs(flat_got - flat_expected))))
        raise failure(head_text, f"{int((~close).sum())} of {close.size} relative errors differ from the package's "
                                 f"gradient check",
                      f"first such weight (in get_weights order, W before b): number {worst}: expected "
                      f"{flat_expected[worst]:.3g}, got {flat_got[worst]:.3g}",
                      f"expected: {'all below' if correct else 'some above'} the threshold {THRESHOLD:g}", hint=hint)
    passed(check, seed, len(cases), "your relative errors equal the package's gradient check for every weight: "
           f"below {THRESHOLD:g} for correct backward passes, above it for the planted bug, weights put back")


EXERCISES = (Exercise("fixed_gradients", check_fixed_gradients, 3, reference_gradients),
             Exercise("rel_error", check_rel_error, 1, None),
             Exercise("gradient_check_errors", check_gradient_check_errors, 4, None))
