"""Checks for the exercises of notebook 06: the error rate, the 0.9/0.1 one-hot targets, the SGD loop.

The references are :func:`bpcourse.core.training.error_rate` (on stand-in networks whose outputs are known),
:func:`bpcourse.core.data.one_hot` and :func:`bpcourse.core.training.fit`.
"""

import numpy as np

from bpcourse.core import data, training
from bpcourse.core.data import N_CLASSES
from bpcourse.core.vectorized import Network
from bpcourse.exercises.checks._common import (as_array, call_learner, call_on_copies, check_returned, exercise_check,
                                               failure, head, mismatch, passed, same_weights, show)
from bpcourse.exercises.catalog import Exercise

ATOL = 1e-12  # an error rate is a ratio of counts, exact up to rounding


class _FixedOutputs:
    """A stand-in network whose ``predict`` returns stored outputs: (N, 10) for X (N, n_in), (10,) for x (n_in,),
    recognizing a sample by its first input, which holds the sample's index."""

    def __init__(self, outputs, n_in=4):
        self.outputs = np.asarray(outputs, dtype=np.float64)
        n = len(self.outputs)
        self.X = np.zeros((n, n_in))
        self.X[:, 0] = np.arange(n)
        self.X[:, 1:] = np.linspace(0.0, 1.0, n * (n_in - 1)).reshape(n, n_in - 1)
        self.layer_sizes = (n_in, N_CLASSES)

    def predict(self, x):
        x = np.asarray(x)
        if x.ndim == 1:
            return self.outputs[int(round(x[0]))].copy()
        if x.ndim == 2:
            return self.outputs[np.rint(x[:, 0]).astype(int)].copy()
        raise ValueError(f"expected x of shape (n_in,) or (N, n_in), got {x.shape}")

    def __repr__(self):
        return f"<network with {len(self.outputs)} known outputs>"


def _outputs_for(predicted, rng, low=0.05, high=0.6):
    """Outputs (N, 10) whose argmax is ``predicted`` (N,); other entries random below it."""
    predicted = np.asarray(predicted)
    outputs = rng.uniform(low, high, size=(len(predicted), N_CLASSES))
    outputs[np.arange(len(predicted)), predicted] = high + 0.3
    return outputs


def _error_rate_cases(seed=None):
    """(description, outputs (N, 10), labels (N,)) for check_error_rate; random ones from ``seed`` if given."""
    rng = np.random.default_rng(6 if seed is None else seed)
    cases = []
    if seed is not None:
        for n in (int(rng.integers(2, 10)), 10, int(rng.integers(50, 300))):
            y = rng.integers(0, 10, size=n)
            predicted = np.where(rng.random(n) < rng.uniform(0.1, 0.9), (y + rng.integers(1, 10, n)) % 10, y)
            cases.append((f"hidden case: {n} random samples", _outputs_for(predicted, rng), y))
        return cases
    cases = [("7 samples, 2 predicted wrongly", _outputs_for([3, 1, 4, 7, 5, 0, 2], rng),
              np.array([3, 1, 4, 1, 5, 9, 2])),
             ("4 samples, all correct", _outputs_for([0, 1, 2, 3], rng), np.array([0, 1, 2, 3])),
             ("5 samples, all wrong", _outputs_for([1, 2, 3, 4, 5], rng), np.array([0, 1, 2, 3, 4])),
             ("a single sample (a batch of one), predicted wrongly", _outputs_for([2], rng), np.array([7]))]

    # 10 samples, so a (10, 10) output matrix: argmax over the wrong axis gives other answers.
    y = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    predicted = np.array([0, 1, 2, 3, 4, 5, 6, 7, 9, 8])  # 2 of 10 wrong
    outputs = _outputs_for(predicted, rng)
    outputs[3, :] = 0.92  # sample 3 has large outputs everywhere (still predicted as 3),
    outputs[3, 3] = 0.97  # so an argmax over the samples (axis 0) would say "3" for every column
    cases.append(("10 samples (outputs of shape (10, 10)), 2 wrong", outputs, y))

    # tanh-like outputs, all below 0.5 and some negative: only the largest counts.
    y = np.array([2, 5, 5, 8, 0, 1])
    predicted = np.array([2, 5, 3, 8, 0, 1])  # 1 of 6 wrong
    outputs = _outputs_for(predicted, rng, low=-0.9, high=-0.4)
    cases.append(("6 samples whose outputs are all negative (tanh outputs), 1 wrong", outputs, y))

    y = rng.integers(0, 10, size=250)
    predicted = np.where(rng.random(250) < 0.12, (y + rng.integers(1, 10, 250)) % 10, y)
    cases.append(("250 random samples", _outputs_for(predicted, rng), y))
    return cases


@exercise_check("error_rate", "the definition above (wrong predictions / N)", (training.error_rate,),
                {"error_rate", "evaluate", "accuracy"})
def check_error_rate(error_rate, *, seed=None):
    """Check a learner's ``error_rate(network, X, y)``: the fraction of samples whose largest output is wrong."""
    cases = _error_rate_cases(seed)
    for description, outputs, y in cases:
        network = _FixedOutputs(outputs)
        expected = float(training.error_rate(network, network.X, y))
        head_text, got = call_on_copies(
            error_rate, [("network", network), ("X", network.X), ("y", y)], check="check_error_rate",
            name="error_rate", description=description, unchanged=None,
            lines=[f"network: {network!r}, X of shape {network.X.shape}", f"labels y = {show(y, indent=11)}",
                   f"predicted (argmax of the outputs) = {show(outputs.argmax(axis=1), indent=37)}"],
            hint="the network's prediction for X has one row of 10 outputs per sample, "
                 "shape (N, 10); the predicted digit of a sample is the index of its row's largest output.")
        try:
            got_value = float(np.asarray(got, dtype=np.float64))
        except (TypeError, ValueError) as err:
            raise failure(head_text, f"expected one number, your error_rate returned {show(got)}",
                          hint="return a single number, the fraction of wrong predictions.") from err
        if not abs(got_value - expected) <= ATOL:  # NaN is never close
            raise mismatch(head_text, expected, got_value, _error_rate_hint(got_value, expected, outputs, y),
                           rtol=0, atol=ATOL, label="error rate")
    passed("check_error_rate", seed, len(cases), "the fraction of samples whose largest output is not the label, "
           "with some, none and all wrong, a single sample and tanh outputs")


def _error_rate_hint(got, expected, outputs, y):
    n = len(y)
    wrong = round(expected * n)
    if abs(got - (1 - expected)) <= ATOL:
        return ("that is the accuracy (the fraction predicted correctly); the error rate is the fraction predicted "
                "wrongly: count predictions != labels.")
    if abs(got - wrong) <= ATOL and n > 1:
        return f"you return the number of mistakes ({wrong}); divide by the number of samples ({n}) to get a rate."
    if abs(got - 100 * expected) <= 1e-9:
        return "you return a percentage; return the fraction (between 0 and 1) instead."
    if n > 1 and abs(got - wrong / (n - 1)) <= ATOL:
        return f"you divide by N - 1 = {n - 1}; the error rate divides by the N = {n} samples."
    if abs(got - wrong / (n + 1)) <= ATOL:
        return f"you divide by N + 1 = {n + 1}; the error rate divides by the N = {n} samples."
    column_pred = outputs.argmax(axis=0)
    if len(column_pred) == n and abs(got - np.mean(column_pred != y)) <= ATOL:
        return ("you take the argmax over axis 0 (over the samples); each sample is a row of 10 outputs, so the "
                "largest output must be found within each row.")
    if any(abs(got - np.mean(outputs.argmax(axis=1) + shift != y)) <= ATOL for shift in (1, -1)):
        return ("off by one: output index n stands for digit n (counting from 0), so the predicted digit is the "
                "argmax itself, not argmax + 1 or argmax - 1.")
    return ("predicted digit = index of the largest output of the sample's row; error rate = number of wrong "
            "predictions divided by N.")


def _one_hot_cases(seed=None):
    """(description, labels) for check_one_hot; random ones from ``seed`` if given."""
    rng = np.random.default_rng(7 if seed is None else seed)
    if seed is not None:
        n = int(rng.integers(2, 40))
        return [(f"hidden case: {n} random labels", rng.integers(0, 10, size=n)),
                ("hidden case: one random label", rng.integers(0, 10, size=1)),
                ("hidden case: labels as int16", rng.integers(0, 10, size=7).astype(np.int16))]
    return [
        ("the text's example, the label 2", np.array([2])),
        ("the ten digits 0-9 in order", np.arange(10)),
        ("the end digits 0 and 9, repeated", np.array([9, 0, 9, 0, 0])),
        ("1000 random labels", rng.integers(0, 10, size=1000)),
        ("labels given as int32", np.array([5, 3, 8], dtype=np.int32)),
    ]


@exercise_check("one_hot", "the target rule above (0.9 / 0.1)", (data.one_hot,), {"one_hot", "load_mnist"})
def check_one_hot(one_hot, *, seed=None):
    """Check a learner's ``one_hot(labels)``: labels (N,) -> (N, 10), 0.9 at the label's index, 0.1 elsewhere."""
    cases = _one_hot_cases(seed)
    for description, labels in cases:
        expected = data.one_hot(labels)
        head_text, got = call_on_copies(
            one_hot, [("labels", labels)], check="check_one_hot", name="one_hot", description=description,
            hint="build an (N, 10) float array filled with the 'off' value, then put the 'on' value in each row at "
                 "the column given by that row's label.",
            unchanged="build a new array for the targets.", phrase="the {} array")
        got_array = as_array(head_text, "one_hot", got, "return a NumPy array of shape (N, 10).")
        if got_array.shape != expected.shape:
            hint = "one row of 10 targets per label: shape (N, 10)."
            if got_array.shape == expected.T.shape:
                hint = "your array is transposed, (10, N): each label must give one *row* of 10 targets, shape (N, 10)."
            raise failure(head_text, f"expected shape {expected.shape}, got shape {got_array.shape}", hint=hint)
        if not np.allclose(got_array, expected, rtol=0, atol=ATOL):
            row = int(np.argmax(~np.isclose(got_array, expected, rtol=0, atol=ATOL).all(axis=1)))
            raise mismatch(head_text, expected[row], got_array[row], _one_hot_hint(got_array, expected, labels),
                           rtol=0, atol=ATOL, label=f"row {row} (label {labels[row]})")
    passed("check_one_hot", seed, len(cases), "one row per label of shape (N, 10), 0.9 at the label and 0.1 "
           "elsewhere, for single labels, all ten digits and int32 labels")


def _one_hot_hint(got, expected, labels):
    hard = data.one_hot(labels, on=1.0, off=0.0)
    if got.shape == hard.shape and np.allclose(got, hard, atol=ATOL):
        return ("you use 1 and 0; the text's targets are 0.9 and 0.1, because a sigmoid output can never reach 0 or "
                "1 exactly.")
    if got.shape == expected.shape and np.allclose(np.sort(got, axis=1), np.sort(expected, axis=1), atol=ATOL):
        return ("0.9 is in the wrong place: the label n sets index n (counting from 0), e.g. label 2 -> [0.1, 0.1, "
                "0.9, 0.1, ...].")
    if np.allclose(np.round(got), got) and not np.allclose(expected, np.round(expected)):
        return "the values are whole numbers: build a float array (0.1 and 0.9 do not fit in ints)."
    return "each row: 0.9 at the label's index, 0.1 in the other nine places."


def reference_sgd_train(network, X, T, y, epochs, rate, batch_size, rng, evaluate_every):
    """:func:`bpcourse.core.training.fit` on X (N, n_in), T (N, n_out), y (N,), without validation set, progress bar
    or checkpoints: ``[(epoch, training error rate), ...]`` for every ``evaluate_every``-th epoch and the last."""
    history = training.fit(network, X, T, y, epochs=epochs, rate=rate, batch_size=batch_size,
                           evaluate_every=evaluate_every, rng=rng, progress=False)
    return list(zip(history.eval_epoch, history.train_error))


def _sgd_variant(weights, sizes, X, T, *, epochs, rate, batch_size, rng, shuffle="given", drop_last=False):
    """The weights after the loop of ``fit`` with switches for typical mistakes (only to recognize them in hints)."""
    network = Network(sizes)
    network.set_weights(weights)
    n = len(X)
    fixed = rng.permutation(n) if shuffle == "once" else None
    for _ in range(epochs):
        order = fixed if shuffle == "once" else rng.permutation(n) if shuffle == "given" else np.arange(n)
        for first in range(0, n - n % batch_size if drop_last else n, batch_size):
            rows = order[first:first + batch_size]
            network.train_batch(X[rows], T[rows], rate)
    return network.get_weights()


def _sgd_cases(seed):
    rng = np.random.default_rng(606 if seed is None else seed)
    specs = [("one epoch, 23 samples in batches of 5 (the last batch has 3)", (8, 6, 4), 23, 1, 5, 1, 0.5),
             ("one epoch, per-sample SGD (batch_size 1) on 12 samples", (5, 4, 3), 12, 1, 1, 1, 0.3),
             ("4 epochs, batches of 4 on 18 samples, error rate every 3 epochs", (6, 5, 3), 18, 4, 4, 3, 0.8)]
    if seed is not None:
        specs = []
        for k in range(2):
            sizes = tuple(int(v) for v in rng.integers(2, 8, size=3))
            n, batch = int(rng.integers(7, 30)), int(rng.integers(2, 6))
            specs.append((f"hidden case {k}: {n} samples, batches of {batch}", sizes, n, int(rng.integers(1, 4)),
                          batch, int(rng.integers(1, 3)), float(rng.uniform(0.1, 1.0))))
    for description, sizes, n, epochs, batch_size, every, rate in specs:
        X = rng.uniform(0, 1, size=(n, sizes[0]))
        y = rng.integers(0, sizes[-1], size=n)
        T = np.full((n, sizes[-1]), 0.1)
        T[np.arange(n), y] = 0.9
        yield description, sizes, int(rng.integers(1000)), X, T, y, epochs, batch_size, every, rate, int(
            rng.integers(1000))


@exercise_check("sgd_train", "the training loop of eq. 6.1-6.6 (section 5)", (training.fit, reference_sgd_train),
                {"fit", "train", "_train_step", "train_one_sample", "History"})
def check_sgd_train(sgd_train, *, seed=None):
    """Check a learner's ``sgd_train(network, X, T, y, epochs, rate, batch_size, rng, evaluate_every)``, fit's loop:
    the weights and the recorded ``(epoch, training error rate)`` pairs against ``fit``'s (rtol 1e-12)."""
    check, name = "check_sgd_train", "sgd_train"
    cases = list(_sgd_cases(seed))
    for description, sizes, network_seed, X, T, y, epochs, batch_size, every, rate, rng_seed in cases:
        network, twin = Network(sizes, seed=network_seed), Network(sizes, seed=network_seed)
        start = network.get_weights()
        head_text = head(check, description, f"layer sizes {sizes}, X {X.shape}, T {T.shape}, y {y.shape}",
                         f"epochs = {epochs}, rate = {rate}, batch_size = {batch_size}, evaluate_every = {every}, "
                         f"rng = np.random.default_rng({rng_seed})")
        got = call_learner(sgd_train, (network, X.copy(), T.copy(), y.copy(), epochs, rate, batch_size,
                                       np.random.default_rng(rng_seed), every), check=check, name=name,
                           head_text=head_text, hint="one loop over the epochs; inside it, one permutation of the "
                                                     "sample indices from rng, then one train_batch step per slice "
                                                     "of batch_size indices")
        expected_errors = reference_sgd_train(twin, X, T, y, epochs, rate, batch_size, np.random.default_rng(rng_seed),
                                              every)
        # the same arithmetic: equal to the last bits (in another process, e.g. the grader's sandbox, BLAS may
        # round the last bit of a product differently, so exact equality would refuse an honest loop)
        if same_weights(network.get_weights(), twin.get_weights(), rtol=1e-12, atol=1e-15):
            check_returned(head_text, name, got, "return the list of (epoch, training error rate) pairs")
            try:
                got_errors = [(int(e), float(r)) for e, r in got]
            except (TypeError, ValueError) as error:
                raise failure(head_text, f"expected a list of (epoch, error rate) pairs, got {show(got)}",
                              hint="append (epoch, error rate) after the epochs you evaluate, then return the "
                                   "list") from error
            if len(got_errors) == len(expected_errors) and all(
                    e == ge and abs(r - gr) <= ATOL for (e, r), (ge, gr) in zip(expected_errors, got_errors)):
                continue
            raise failure(head_text, "the weights are right, but the recorded error rates are not",
                          f"expected {expected_errors}", f"got      {got_errors}",
                          hint="evaluate after every epoch whose number is a multiple of evaluate_every, and "
                               "after the last epoch in any case (epochs count from 1); the error rate is "
                               "measured on the training samples after that epoch's steps")
        variants = [
            (dict(shuffle="none"), "the samples were not shuffled: every epoch visits them in a new random order, "
                                   "a permutation drawn from the generator rng you are given"),
            (dict(shuffle="once"), "one permutation for all epochs: draw a new one from rng at the start of every "
                                   "epoch"),
            (dict(drop_last=True), "the last, smaller batch is missing: when N is not a multiple of batch_size the "
                                   "last batch takes the remaining samples"),
        ]
        hint = next((text for switches, text in variants if same_weights(
            network.get_weights(), _sgd_variant(start, sizes, X, T, epochs=epochs, rate=rate, batch_size=batch_size,
                                                rng=np.random.default_rng(rng_seed), **switches),
            rtol=1e-9, atol=1e-12)),
            "same generator, same steps: the weights differ, so the order of the samples or the batches differ from "
            "fit's. Draw exactly one permutation per epoch from the given rng (not from np.random or a new "
            "generator), and cut it into consecutive slices of batch_size")
        (W_got, _), (W_expected, _) = network.get_weights()[0], twin.get_weights()[0]
        raise mismatch(head_text, W_expected, W_got, hint, label="W of the first layer after training")
    passed(check, seed, len(cases), "after your loop every weight equals fit's to the last bits (same generator), and "
           "the error rates you recorded equal fit's history, with partial batches and several epochs")


EXERCISES = (Exercise("one_hot", check_one_hot, 2, data.one_hot),
             Exercise("error_rate", check_error_rate, 2, training.error_rate),
             Exercise("sgd_train", check_sgd_train, 5, reference_sgd_train))
