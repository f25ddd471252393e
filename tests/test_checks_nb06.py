"""The exercise checks of notebook 06 accept right answers and reject plausible wrong ones."""

import numpy as np
import pytest

from bpcourse.core import data, training
from bpcourse.exercises.checks.nb06 import (_error_rate_cases, _FixedOutputs, check_error_rate, check_one_hot,
                                            check_sgd_train, reference_sgd_train)
from bpcourse.core.vectorized import Network
from bpcourse.exercises.originality import BorrowedAnswer
from notebook_solutions import solutions

SOLUTIONS = solutions("06")


def not_written(*args):
    raise NotImplementedError()


# ---- the stand-in network behaves like a real one --------------------------------------


def test_fixed_outputs_network_answers_batches_and_single_samples():
    outputs = np.random.default_rng(0).random((5, 10))
    net = _FixedOutputs(outputs)
    np.testing.assert_array_equal(net.predict(net.X), outputs)
    np.testing.assert_array_equal(net.predict(net.X[3]), outputs[3])
    np.testing.assert_array_equal(net.predict(net.X[[4, 1]]), outputs[[4, 1]])


def test_cases_cover_zero_one_and_a_transposed_argmax_trap():
    rates = [float(np.mean(outputs.argmax(axis=1) != y)) for _, outputs, y in _error_rate_cases()]
    assert 0.0 in rates and 1.0 in rates
    square = [(o, y) for _, o, y in _error_rate_cases() if o.shape == (10, 10)]
    assert square, "a case with N = 10 is needed to catch argmax over axis 0"
    outputs, y = square[0]
    assert np.mean(outputs.argmax(axis=0) != y) != np.mean(outputs.argmax(axis=1) != y)


# ---- check_error_rate --------------------------------------------------------------------


def vectorized_error_rate(network, X, y):
    return np.mean(network.predict(X).argmax(axis=1) != y)


def test_the_notebooks_error_rate_passes(capsys):
    check_error_rate(SOLUTIONS["error_rate"])
    assert capsys.readouterr().out.startswith("check_error_rate: all 7 cases passed")


def test_the_packages_error_rate_is_refused():
    with pytest.raises(BorrowedAnswer, match="BORROWED ANSWER: check_error_rate"):
        check_error_rate(training.error_rate)
    with pytest.raises(BorrowedAnswer):
        check_error_rate(lambda network, X, y: training.error_rate(network, X, y))


def test_vectorized_error_rate_passes(capsys):
    check_error_rate(vectorized_error_rate)
    assert "passed" in capsys.readouterr().out


def test_error_rate_one_sample_at_a_time_passes(capsys):
    def looped(network, X, y):
        wrong = 0
        for x, label in zip(X, y):
            if np.argmax(network.predict(x)) != label:
                wrong += 1
        return wrong / len(y)

    check_error_rate(looped)
    assert "passed" in capsys.readouterr().out


def test_learner_error_rate_agrees_with_the_package_on_a_real_network():
    rng = np.random.default_rng(1)
    net = Network((6, 5, 10), seed=2)
    X = rng.random((40, 6))
    y = rng.integers(0, 10, size=40)
    np.testing.assert_allclose(vectorized_error_rate(net, X, y), training.error_rate(net, X, y),
                               rtol=0, atol=1e-15)


def test_error_rate_not_written_fails():
    with pytest.raises(AssertionError, match="not written yet"):
        check_error_rate(not_written)


def test_accuracy_instead_of_error_rate_is_rejected():
    def accuracy(network, X, y):
        return np.mean(network.predict(X).argmax(axis=1) == y)

    with pytest.raises(AssertionError, match="that is the accuracy"):
        check_error_rate(accuracy)


def test_off_by_one_prediction_is_rejected():
    def plus_one(network, X, y):
        return np.mean(network.predict(X).argmax(axis=1) + 1 != y)

    with pytest.raises(AssertionError, match="off by one"):
        check_error_rate(plus_one)


def test_dividing_by_n_minus_one_is_rejected():
    def n_minus_one(network, X, y):
        return np.sum(network.predict(X).argmax(axis=1) != y) / (len(y) - 1)

    with pytest.raises(AssertionError, match="N - 1"):
        check_error_rate(n_minus_one)


def test_count_instead_of_rate_is_rejected():
    def count(network, X, y):
        return int(np.sum(network.predict(X).argmax(axis=1) != y))

    with pytest.raises(AssertionError, match="number of mistakes"):
        check_error_rate(count)


def test_percentage_is_rejected():
    with pytest.raises(AssertionError, match="percentage"):
        check_error_rate(lambda network, X, y: 100 * vectorized_error_rate(network, X, y))


def test_argmax_over_the_wrong_axis_is_rejected():
    def axis0(network, X, y):
        return np.mean(network.predict(X).argmax(axis=0) != y)

    with pytest.raises(AssertionError):
        check_error_rate(axis0)


def test_thresholding_at_one_half_is_rejected():
    def threshold(network, X, y):
        outputs = network.predict(X)
        predicted = np.array([np.flatnonzero(row > 0.5)[0] if (row > 0.5).any() else -1
                              for row in outputs])
        return np.mean(predicted != y)

    with pytest.raises(AssertionError, match="predicted"):
        check_error_rate(threshold)


def test_per_sample_array_instead_of_number_is_rejected():
    with pytest.raises(AssertionError, match="one number"):
        check_error_rate(lambda network, X, y: network.predict(X).argmax(axis=1) != y)


# ---- check_one_hot ---------------------------------------------------------------------


def right_one_hot(labels):
    T = np.full((len(labels), 10), 0.1)
    T[np.arange(len(labels)), labels] = 0.9
    return T


def test_the_notebooks_one_hot_passes(capsys):
    check_one_hot(SOLUTIONS["one_hot"])
    assert capsys.readouterr().out.startswith("check_one_hot: all 5 cases passed")


def test_the_packages_one_hot_is_refused():
    with pytest.raises(BorrowedAnswer, match="one_hot"):
        check_one_hot(lambda labels: data.one_hot(labels))


def test_right_one_hot_passes(capsys):
    check_one_hot(right_one_hot)
    assert "passed" in capsys.readouterr().out


def test_one_hot_with_eye_passes(capsys):
    check_one_hot(lambda labels: 0.1 + 0.8 * np.eye(10)[labels])
    assert "passed" in capsys.readouterr().out


def test_one_hot_not_written_fails():
    with pytest.raises(AssertionError, match="not written yet"):
        check_one_hot(not_written)


def test_one_and_zero_targets_are_rejected():
    with pytest.raises(AssertionError, match="0.9 and 0.1"):
        check_one_hot(lambda labels: np.eye(10)[labels])


def test_transposed_targets_are_rejected():
    with pytest.raises(AssertionError, match="transposed"):
        check_one_hot(lambda labels: right_one_hot(labels).T)


def test_off_by_one_position_is_rejected():
    def shifted(labels):
        return right_one_hot((np.asarray(labels) + 1) % 10)

    with pytest.raises(AssertionError, match="wrong place"):
        check_one_hot(shifted)


def test_integer_array_is_rejected():
    def ints(labels):
        T = np.full((len(labels), 10), 0.1).astype(int)
        T[np.arange(len(labels)), labels] = 0.9
        return T

    with pytest.raises(AssertionError, match="float array"):
        check_one_hot(ints)


def test_wrong_shape_is_rejected():
    with pytest.raises(AssertionError, match=r"expected shape \(1, 10\)"):
        check_one_hot(lambda labels: right_one_hot(labels)[0])


def test_changing_the_labels_is_rejected():
    def scribbles(labels):
        T = right_one_hot(labels)
        labels[:] = 0
        return T

    with pytest.raises(AssertionError, match="changed the labels"):
        check_one_hot(scribbles)


# ---- check_sgd_train ------------------------------------------------------------------------


def train_rate(network, X, y):
    return float(np.mean(network.predict(X).argmax(axis=1) != y))


def sgd_loop(*, shuffle="given", drop_last=False, evaluate_last=True, start_epoch=1):
    """A hand-written SGD loop with switches for the mistakes the check must name."""
    def sgd_train(network, X, T, y, epochs, rate, batch_size, rng, evaluate_every):
        n, errors = len(X), []
        once = rng.permutation(n) if shuffle == "once" else None
        for epoch in range(start_epoch, epochs + start_epoch):
            order = {"given": lambda: rng.permutation(n), "none": lambda: np.arange(n), "once": lambda: once,
                     "fresh": lambda: np.random.default_rng(12345).permutation(n)}[shuffle]()
            stop = n - n % batch_size if drop_last else n
            for first in range(0, stop, batch_size):
                rows = order[first:first + batch_size]
                network.train_batch(X[rows], T[rows], rate)
            if epoch % evaluate_every == 0 or (evaluate_last and epoch == epochs):
                errors.append((epoch, train_rate(network, X, y)))
        return errors
    return sgd_train


def test_the_notebooks_sgd_loop_passes(capsys):
    namespace = solutions("06")
    check_sgd_train(namespace["sgd_train"])
    assert capsys.readouterr().out.startswith("check_sgd_train: all 3 cases passed: after your loop every weight "
                                              "equals fit's to the last bits")


def test_a_hand_written_loop_passes(capsys):
    check_sgd_train(sgd_loop())
    assert "all 3 cases passed" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (sgd_loop(shuffle="none"), "the samples were not shuffled"),
    (sgd_loop(shuffle="fresh"), "from the given rng (not from np.random or a new generator)"),
    (sgd_loop(drop_last=True), "the last, smaller batch is missing"),
    (sgd_loop(evaluate_last=False), "after the last epoch in any case"),
    (sgd_loop(start_epoch=0), "epochs count from 1"),
], ids=["no shuffle", "other generator", "last batch dropped", "no final evaluation", "epochs from 0"])
def test_wrong_loops_fail_with_the_hint_about_their_mistake(wrong, hint):
    with pytest.raises(AssertionError) as info:
        check_sgd_train(wrong)
    assert hint in str(info.value)


def test_a_permutation_drawn_once_is_named_on_the_case_with_several_epochs():
    with pytest.raises(AssertionError) as info:
        check_sgd_train(sgd_loop(shuffle="once"))
    message = str(info.value)
    assert "4 epochs" in message and "one permutation for all epochs" in message


def test_fit_is_refused_as_a_borrowed_answer():
    def borrowed(network, X, T, y, epochs, rate, batch_size, rng, evaluate_every):
        history = training.fit(network, X, T, y, epochs=epochs, rate=rate, batch_size=batch_size, rng=rng,
                               evaluate_every=evaluate_every, progress=False)
        return list(zip(history.eval_epoch, history.train_error))

    with pytest.raises(BorrowedAnswer, match="fit"):
        check_sgd_train(borrowed)


def test_the_package_s_reference_loop_is_refused_and_trains_as_the_notebook_s_loop():
    with pytest.raises(BorrowedAnswer, match="BORROWED ANSWER"):
        check_sgd_train(reference_sgd_train)
    rng = np.random.default_rng(5)
    X, y = rng.uniform(size=(11, 4)), rng.integers(0, 3, size=11)
    T = np.where(np.eye(3)[y] > 0, 0.9, 0.1)
    ours, theirs = Network((4, 5, 3), seed=2), Network((4, 5, 3), seed=2)
    recorded = reference_sgd_train(ours, X, T, y, 3, 0.5, 4, np.random.default_rng(9), 2)
    expected = SOLUTIONS["sgd_train"](theirs, X, T, y, 3, 0.5, 4, np.random.default_rng(9), 2)
    assert [epoch for epoch, _ in recorded] == [epoch for epoch, _ in expected] == [2, 3]
    np.testing.assert_allclose([rate for _, rate in recorded], [rate for _, rate in expected], rtol=0, atol=1e-12)
    for (W, b), (W_expected, b_expected) in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(W, W_expected)
        np.testing.assert_array_equal(b, b_expected)
