"""Hints teach without answering: every hint the checks give to a battery of plausible wrong answers names
the mistake or the equation, and none of them contains a line of any notebook's solution cells."""

import re

import numpy as np
import pytest

from bpcourse.exercises.checks import nb01, nb02, nb03, nb04, nb05, nb06, nb07, nb08
from notebook_solutions import solution_lines

import test_checks_nb03
import test_checks_nb04
import test_checks_nb05
import test_checks_nb06
import test_checks_nb07
import test_checks_nb08
from test_checks_nb01 import stable_sigmoid

OPERATORS = set("()*@+-/[")


def sig(z):
    return stable_sigmoid(z)


def nb08_softmax(net):
    net = np.asarray(net, dtype=np.float64)
    e = np.exp(net - net.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def not_written(*args):
    raise NotImplementedError()


BATTERY = {
    nb01.check_sigmoid: [lambda x: 1 / (1 + np.exp(-np.asarray(x, dtype=float))), lambda x: sig(-np.asarray(x)),
                         lambda x: np.tanh(x), lambda x: float(x), lambda x: None, lambda x: sig(np.ravel(x)),
                         not_written],
    nb01.check_sigmoid_derivative: [lambda y: sig(y) * (1 - sig(y)), lambda y: 1 - np.asarray(y),
                                    lambda y: np.asarray(y) * (1 + np.asarray(y)), lambda y: float(y)],
    nb01.check_neuron_output: [lambda w, x: sig(x @ w[1:]), lambda w, x: sig(x @ w[:-1] + w[-1]),
                               lambda w, x: x @ w[1:] + w[0], lambda w, x: sig(-(x @ w[1:] + w[0])),
                               lambda w, x: sig(np.atleast_2d(x) @ w[1:] + w[0])],
    nb02.check_layer_forward: [lambda W, b, x: sig(x @ W.T), lambda W, b, x: x @ W.T + b,
                               lambda W, b, x: sig(x @ W.T) + b, lambda W, b, x: sig(x @ W + b),
                               lambda W, b, x: sig(W @ x + b), lambda W, b, x: np.tanh(x @ W.T + b)],
    nb02.check_network_forward: [lambda ws, x: sig(x @ ws[0][0].T + ws[0][1]),
                                 lambda ws, x: [sig(x @ W.T + b) for W, b in ws][-1]],
    nb02.check_count_parameters: [lambda s: sum(a * b for a, b in zip(s[:-1], s[1:])), lambda s: sum(s),
                                  lambda s: int(np.prod(s)), lambda s: 1.5],
    nb03.check_output_delta: [lambda y, t: y * (1 - y) * (y - t), lambda y, t: t - y, lambda y, t: y - t,
                              lambda y, t: sig(y) * (1 - sig(y)) * (t - y), lambda y, t: np.sum(t - y)],
    nb03.check_hidden_delta: [lambda a, W, d: W.T @ d, lambda a, W, d: -a * (1 - a) * (W.T @ d),
                              lambda a, W, d: a * (1 - a) * (W @ d), lambda a, W, d: a * (1 - a) * np.sum(d)],
    nb03.check_cross_entropy_deltas: [test_checks_nb03._with(lambda y, t: y * (1 - y) * (t - y), test_checks_nb03._eq_4_3),
                                      test_checks_nb03._with(lambda y, t: y - t, test_checks_nb03._eq_4_3),
                                      test_checks_nb03._with(lambda y, t: t - y, lambda a, W, d: W.T @ d)],
    nb04.check_calc_hidden_layer_delta: [test_checks_nb04.downstream_sum,
                                         lambda node: -node.output * (1 - node.output) *
                                         test_checks_nb04.downstream_sum(node)],
    nb04.check_calc_gradient: [lambda conn: conn.downstream_node.delta * conn.downstream_node.output,
                               lambda conn: conn.downstream_node.delta, lambda conn: "x"],
    nb04.check_update_weight: [lambda conn, rate: None,
                               lambda conn, rate: setattr(conn, "weight", conn.weight + rate * conn.gradient)],
    nb04.check_train_object_network: [test_checks_nb04.training_loop(sign=-1.0),
                                      test_checks_nb04.training_loop(while_going_back=True)],
    nb05.check_fixed_gradients: [test_checks_nb05.copied_into_a_notebook(test_checks_nb05.buggy_gradients),
                                 lambda network, x, t: [(dW.T, db) for dW, db in
                                                        test_checks_nb05.corrected(network, x, t)]],
    nb05.check_rel_error: [lambda a, n: np.subtract(a, n), lambda a, n: np.abs(np.subtract(a, n)) / np.abs(a)],
    nb05.check_gradient_check_errors: [test_checks_nb05.gradient_check_by_hand(sign=-1.0),
                                       test_checks_nb05.gradient_check_by_hand(restore=False)],
    nb06.check_one_hot: [lambda labels: np.eye(10)[labels], lambda labels: np.full((10, len(labels)), 0.1),
                         lambda labels: np.full((len(labels), 10), 0.1)],
    nb06.check_error_rate: [lambda network, X, y: float(np.mean(network.predict(X).argmax(axis=1) == y)),
                            lambda network, X, y: float(np.sum(network.predict(X).argmax(axis=1) != y)),
                            lambda network, X, y: float(np.mean(network.predict(X).argmax(axis=0)[:len(y)] != y))],
    nb06.check_sgd_train: [test_checks_nb06.sgd_loop(shuffle="none"), test_checks_nb06.sgd_loop(drop_last=True),
                           test_checks_nb06.sgd_loop(evaluate_last=False)],
    nb07.check_layer_backward: [lambda W, a, d: (d @ W, -(d.T @ a), -d.sum(axis=0)),
                                lambda W, a, d: (a * (1 - a) * (d @ W), (d.T @ a) / len(d), d.mean(axis=0)),
                                lambda W, a, d: (a * (1 - a) * (d @ W), -(a.T @ d) / len(d), -d.mean(axis=0))],
    nb07.check_batch_update: [lambda W, b, X, d, r: (W + r * (d.T @ X), b + r * d.sum(axis=0)),
                              lambda W, b, X, d, r: (W - r * (d.T @ X) / len(d), b - r * d.mean(axis=0)),
                              lambda W, b, X, d, r: (W + (d.T @ X) / len(d), b + d.mean(axis=0))],
    nb07.check_two_layer_pass: [test_checks_nb07.two_layer(sign=1.0), test_checks_nb07.two_layer(mean=False),
                                test_checks_nb07.two_layer(bias=False)],
    nb08.check_stable_softmax: [lambda net: np.exp(net) / np.exp(net).sum(axis=-1, keepdims=True),
                                lambda net: np.exp(net - np.max(net)) / np.exp(net - np.max(net)).sum(),
                                lambda net: 1 / (1 + np.exp(-np.clip(net, -500, 500)))],
    nb08.check_cross_entropy_delta: [lambda net, t: nb08_softmax(net) - t,
                                     lambda net, t: nb08_softmax(net) * (1 - nb08_softmax(net)) * (t - nb08_softmax(net)),
                                     lambda net, t: t - np.asarray(net)],
    nb08.check_glorot_uniform: [lambda n_in, n_out, rng: rng.uniform(-np.sqrt(6 / (n_in + n_out)),
                                                                     np.sqrt(6 / (n_in + n_out)), size=(n_in, n_out)),
                                lambda n_in, n_out, rng: rng.normal(0.0, 1.0, size=(n_out, n_in)),
                                lambda n_in, n_out, rng: rng.uniform(-0.1, 0.1, size=(n_out, n_in))],
    nb08.check_softmax_train_step: [test_checks_nb08.train_step(sign=-1.0), test_checks_nb08.train_step(mean=False),
                                    test_checks_nb08.train_step(hidden_slope=False),
                                    test_checks_nb08.train_step(output_slope=True),
                                    test_checks_nb08.train_step(output="sigmoid"),
                                    test_checks_nb08.train_step(new_W2_below=True),
                                    test_checks_nb08.train_step(bias=False),
                                    test_checks_nb08.train_step(transposed=True),
                                    test_checks_nb08.train_step(stable=False)],
}


def normalized(text):
    return re.sub(r"\s+", "", text)


def candidates(line):
    """The solution line and the expression it computes, written without spaces, if long enough to give away."""
    parts = {line}
    if line.startswith("return "):
        parts.add(line[len("return "):])
    match = re.match(r"^[\w\[\], .]+?\s*(?:\+|-|\*|/)?=\s*(?!=)(.+)$", line)
    if match:
        parts.add(match.group(1))
    return {normalized(p) for p in parts if len(normalized(p)) >= 6 and OPERATORS & set(p)}


def hints_of(check, wrong):
    with pytest.raises(AssertionError) as info:
        check(wrong)
    message = str(info.value)
    return message, re.findall(r"hint: (.*)", message, flags=re.S)


def collected_hints():
    hints = []
    for check, answers in BATTERY.items():
        for wrong in answers:
            message, found = hints_of(check, wrong)
            hints.append((check.__name__, message, " ".join(found) if found else message))
    return hints


HINTS = collected_hints()


def test_the_battery_covers_every_check_of_the_course():
    from bpcourse.exercises.catalog import NOTEBOOKS, exercises

    checks = {exercise.check.__name__ for notebook in NOTEBOOKS for exercise in exercises(notebook)}
    assert checks == {check.__name__ for check in BATTERY}


def test_every_wrong_answer_gets_a_hint_that_points_to_the_text_or_the_mistake():
    for check, message, hint in HINTS:
        assert hint.strip(), f"{check}: no hint in\n{message}"
        assert len(hint) > 20, f"{check}: the hint says too little: {hint!r}"


def test_no_hint_contains_a_line_of_any_solution():
    lines = [(notebook, line, candidates(line)) for notebook, line in solution_lines()]
    assert len(lines) > 40  # the solutions were found
    leaks = [(check, notebook, line, hint) for check, _, hint in HINTS for notebook, line, parts in lines
             if any(part in normalized(hint) for part in parts)]
    assert not leaks, "hints that give a solution line away:\n" + "\n".join(
        f"{check} repeats `{line}` ({notebook}): {hint}" for check, notebook, line, hint in leaks)


def test_the_leak_detector_would_see_a_solution_line_in_a_hint():
    """The comparison above could fail: the old sigmoid hint gave notebook 01's solution away."""
    old_hint = ("compute e = np.exp(-np.abs(x)), which is never larger than 1, and combine: "
                "np.where(x >= 0, 1 / (1 + e), e / (1 + e)).")
    parts = [part for notebook, line in solution_lines() for part in candidates(line)]
    assert any(part in normalized(old_hint) for part in parts)
