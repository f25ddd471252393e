"""Checks for the exercise of notebook 05: find and fix the planted bug with the gradient check.

``check_fixed_gradients(fixed_gradients)`` checks the learner's corrected
backward pass ``fixed_gradients(network, x, t)``, which returns a list of
``(dW, db)`` per layer, the true gradient dE/dW and dE/db of
E = 1/2 sum (t - y)^2 (eq. 4.9) for one sample, with the shapes of
``network.get_weights()``. For every case it runs the gradient check
(eq. 5.4, :func:`bpcourse.core.gradcheck.gradient_check` with
``analytic=fixed_gradients``) and compares with the package's
``network.gradients``. The cases cover both networks (object and
vectorized), one and two hidden layers, no hidden layer, and tanh as well as
the sigmoid. A failure raises ``AssertionError`` with the case, the
relative errors per layer, the worst weight and a hint: the planted bug still
there, the sign of the gradient flipped, the sigmoid's derivative written
in where the activator's belongs, W transposed. Success prints one line.

``seed`` runs the instructor's hidden cases instead (networks of random
sizes, both kinds, both activations); a borrowed answer (a call of the
network's own ``gradients``, ``get_gradient`` ...) is refused first.
"""

GRADIENT_METHODS = {"gradients", "get_gradient", "calc_delta", "calc_gradient", "train_batch", "train_one_sample",
                    "train", "_backward", "_train_step", "_output_delta"}
"""The networks' own backward passes: a backward-pass exercise must not call them."""

import numpy as np

from bpcourse.core.activations import get_activator
from bpcourse.exercises.buggy import buggy_gradients
from bpcourse.exercises.checks._common import call_learner, failure, head, passed, same_values, show
from bpcourse.exercises.originality import refuse_borrowed
from bpcourse.visuals.diagram import text_example
from bpcourse.core.gradcheck import gradient_check
from bpcourse.core.oo_network import Network as ObjectNetwork
from bpcourse.core.vectorized import Network as VectorizedNetwork

THRESHOLD = 1e-5
"""Relative error of the gradient check (eq. 5.4, epsilon 1e-4) that separates right from wrong.

A correct backward pass stays below about 1e-8 on every case here, and any
real mistake in it (the planted bug, a flipped sign, a missing derivative)
gives 1e-3 to 1: the threshold leaves two orders of magnitude or more on
either side. (Notebook 05 shows why a relative error alone misleads for
gradients far smaller than the loss.)
"""
RTOL, ATOL = 1e-7, 1e-12
"""Tolerances against ``network.gradients``: correct backward passes agree to about 1e-15."""


def reference_gradients(network, x, t):
    """The package's backward pass: ``network.gradients(x, t)``, a list of (dW, db) per layer.

    x has shape (n_in,), t shape (n_out,); dW has shape (n_out, n_in), db shape (n_out,).
    """
    return network.gradients(x, t)


def check_fixed_gradients(fixed_gradients, *, seed=None):
    """Check a learner's ``fixed_gradients(network, x, t)`` with the gradient check, on five cases.

    Cases: the notebook's vectorized 4-5-4-3 sigmoid network, the text's 3-4-2
    network as an object network, a vectorized 3-4-2 tanh network, a
    vectorized 5-3 network with no hidden layer and an object 2-3-2 network
    with a sample of large inputs. Every case must pass the gradient check at
    ``THRESHOLD`` and match ``network.gradients`` (rtol 1e-7); the network's
    weights must be unchanged afterwards.
    """
    refuse_borrowed(fixed_gradients, check="check_fixed_gradients", name="fixed_gradients",
                    equation="eq. 4.1-4.3 and 4.12 (the true gradient dE/dW)",
                    forbidden=(reference_gradients, ObjectNetwork.gradients, VectorizedNetwork.gradients),
                    forbidden_attributes=GRADIENT_METHODS)
    cases = list(_cases(seed))
    for description, network, x, t in cases:
        head_text = head("check_fixed_gradients", description,
                         f"layer sizes {network.layer_sizes}, x = {show(x)}, t = {show(t)}")
        before = network.get_weights()
        got = call_learner(
            fixed_gradients, (network, x.copy(), t.copy()), check="check_fixed_gradients", name="fixed_gradients",
            head_text=head_text,
            hint="read the weights and the activation from the network, as buggy_gradients does (its weights "
                 "method and its activator); it must work for both kinds of network")
        _unchanged(head_text, network, before)
        expected = network.gradients(x, t)
        _check_structure(head_text, got, expected)
        got = [(np.asarray(dW, dtype=np.float64), np.asarray(db, dtype=np.float64)) for dW, db in got]
        report = gradient_check(network, x, t, analytic=lambda net, x_, t_: got)
        matches = all(np.allclose(g, e, rtol=RTOL, atol=ATOL) for pair, ref in zip(got, expected)
                      for g, e in zip(pair, ref))
        if not (report.passed(THRESHOLD) and matches):
            raise _failure(head_text, network, x, t, got, report)
    passed("check_fixed_gradients", seed, len(cases), f"every weight's gradient passes the gradient check "
           f"(eq. 5.4, relative error below {THRESHOLD:g}) and matches network.gradients, on both kinds of "
           f"network, sigmoid and tanh")


# --- cases ------------------------------------------------------------------


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


# --- helpers ----------------------------------------------------------------


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
        elif [s for s in shapes] == wanted[::-1]:
            hint = "the layers are in reverse order: the first pair belongs to the first layer (reverse your list)"
    raise failure(head_text, f"expected a list of (dW, db) with shapes {wanted}",
                  f"got {shapes if shapes is not None else type(got).__name__}", hint=hint)


def _failure(head_text, network, x, t, got, report):
    lines = [f"gradient check (eq. 5.4, epsilon {report.epsilon:g}): max relative error "
             f"{report.max_relative_error:.3g}, threshold {THRESHOLD:g}"]
    for layer in range(len(got)):
        errors = report.relative_error[report.layer == layer]
        wrong = int(np.sum(errors >= THRESHOLD))
        lines.append(f"layer {layer}: {wrong} of {len(errors)} weights wrong "
                     f"(max relative error {errors.max():.3g})")
    worst = int(np.argmax(report.relative_error))
    row = report.rows()[worst]
    lines.append(f"worst: {row['weight']}: yours {row['analytic']!r}, numeric {row['numeric']!r}")
    return failure(head_text, *lines, hint=_diagnose(network, x, t, got, report))


def _diagnose(network, x, t, got, report):
    reference = network.gradients(x, t)
    candidates = [
        (buggy_gradients(network, x, t),
         "this is still the planted bug: activator.backward expects a layer's OUTPUT a (eq. 1.4: "
         "f'(net) = a(1 - a)), but buggy_gradients gives it the weighted input net"),
        ([(-dW, -db) for dW, db in reference],
         "every gradient has the wrong sign: return dE/dW (so that W -= eta * dW descends); the text's "
         "delta * x is -dE/dW"),
        (_backward(network, x, t, derivative=lambda a: a * (1 - a)),
         "you wrote the sigmoid's a(1 - a) where the network's activator belongs: use "
         "activator.backward(a), which is 1 - a^2 for tanh"),
        (_backward(network, x, t, hidden_derivative=False),
         "the hidden layers' dE/dnet lacks the activation's derivative f'(a) (eq. 4.3)"),
    ]
    for candidate, hint in candidates:
        if _same(got, candidate):
            return hint
    wrong_layers = [layer for layer in range(len(got))
                    if np.any(report.relative_error[report.layer == layer] >= THRESHOLD)]
    if wrong_layers and wrong_layers[-1] < len(got) - 1:
        return (f"layers {wrong_layers} are wrong and the last layer is right: look at how dE/dnet is passed "
                f"down one layer (eq. 4.3: f'(a) * (W^T g), with the output a of the layer below)")
    return ("start from buggy_gradients and change only the line that passes dE/dnet down a layer; compare "
            "your numbers with the numeric ones above")


def _backward(network, x, t, derivative=None, hidden_derivative=True):
    """A configurable correct-looking backward pass, only to recognise wrong answers in hints."""
    activator = get_activator(network.activator)
    derivative = activator.backward if derivative is None else derivative
    weights = network.get_weights()
    a = [np.asarray(x, dtype=np.float64)]
    for W, b in weights:
        a.append(activator.forward(W @ a[-1] + b))
    g = -(np.asarray(t, dtype=np.float64) - a[-1]) * derivative(a[-1])
    grads = []
    for l in range(len(weights) - 1, -1, -1):
        grads.append((np.outer(g, a[l]), g.copy()))
        if l > 0:
            g = (derivative(a[l]) if hidden_derivative else 1.0) * (weights[l][0].T @ g)
    return grads[::-1]


def _same(got, candidate):
    return all(np.allclose(g, c, rtol=1e-6, atol=1e-12) for pair, cand in zip(got, candidate)
               for g, c in zip(pair, cand))

