"""Tests of training and evaluation (bpcourse.core.training): error rate, fit, History, stopping rule, divergence."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from bpcourse.core import oo_network
from bpcourse.core.augmentation import Augment
from bpcourse.core.checkpoint import Checkpoint, load_checkpoint
from bpcourse.core.early_stopping import StopWhenValidationErrorRises
from bpcourse.core.data import load_mnist, one_hot
from bpcourse.core.training import DivergenceError, History, error_rate, fit, predicted_labels
from bpcourse.core.vectorized import Network


def toy_data(n=120, seed=0, classes=4, width=20):
    """X (n, width) in [0, 1), labels y (n,) from a learnable rule, 0.9/0.1 targets T (n, classes)."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, width))
    y = (X[:, :classes].argmax(axis=1) if classes > 2 else (X[:, 0] > X[:, 1]).astype(int))
    T = np.full((n, classes), 0.1)
    T[np.arange(n), y] = 0.9
    return X, T, y


def clusters(n=120, seed=0, classes=4, width=20):
    """An easy problem: X (n, width) around one random centre per class, y (n,), targets T (n, classes)."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(99).random((classes, width))  # the same classes for every seed
    y = rng.integers(0, classes, n)
    X = np.clip(centres[y] + 0.2 * rng.normal(size=(n, width)), 0, 1)
    T = np.full((n, classes), 0.1)
    T[np.arange(n), y] = 0.9
    return X, T, y


def assert_same_weights(a, b):
    for (W0, b0), (W1, b1) in zip(a.get_weights(), b.get_weights()):
        assert_array_equal(W0, W1)
        assert_array_equal(b0, b1)


class Identity:
    """A linear activation: nothing bounds its outputs, so too large a rate really blows up."""

    name = "identity"

    @staticmethod
    def forward(net):
        return net.copy()

    @staticmethod
    def backward(y):
        return np.ones_like(y)


# --- error rate ----------------------------------------------------------------------------------

# Outputs of a pretend network for 6 samples, and the labels. Predicted = argmax of each row.
HAND_OUTPUTS = np.array([
    [0.90, 0.10, 0.10, 0.10, 0.10, 0.10, 0.10, 0.10, 0.10, 0.10],  # predicts 0, label 0: right
    [0.10, 0.10, 0.10, 0.10, 0.10, 0.10, 0.10, 0.10, 0.20, 0.80],  # predicts 9, label 9: right
    [0.10, 0.10, 0.10, 0.70, 0.60, 0.10, 0.10, 0.10, 0.10, 0.10],  # predicts 3, label 4: wrong
    [0.30, 0.20, 0.10, 0.10, 0.10, 0.50, 0.10, 0.10, 0.10, 0.10],  # predicts 5, label 5: right
    [0.10, 0.10, 0.60, 0.10, 0.10, 0.10, 0.10, 0.60, 0.10, 0.10],  # tie 2/7: predicts 2, label 7: wrong
    [0.10, 0.10, 0.10, 0.10, 0.10, 0.10, 0.10, 0.10, 0.55, 0.54],  # predicts 8, label 8: right
])
HAND_LABELS = np.array([0, 9, 4, 5, 7, 8])


def fixed(outputs):
    """A predict function that returns ``outputs`` rows selected by the first input (the row index)."""
    return lambda X: outputs[np.asarray(X)[:, 0].astype(int)]


def test_error_rate_hand_example():
    X = np.arange(6.0)[:, None]
    assert error_rate(fixed(HAND_OUTPUTS), X, HAND_LABELS) == 2 / 6
    # the usual mistakes give other numbers, so the test would catch them
    assert np.mean(HAND_OUTPUTS.argmax(axis=1) + 1 != HAND_LABELS) != 2 / 6  # off by one
    assert np.mean(HAND_OUTPUTS.argmax(axis=1) == HAND_LABELS) != 2 / 6  # accuracy instead
    # all right / all wrong
    assert error_rate(fixed(HAND_OUTPUTS), X, HAND_OUTPUTS.argmax(axis=1)) == 0.0
    assert error_rate(fixed(HAND_OUTPUTS), X, (HAND_OUTPUTS.argmax(axis=1) + 1) % 10) == 1.0
    assert error_rate(fixed(HAND_OUTPUTS), X[:1], HAND_LABELS[:1]) == 0.0  # one sample


def test_error_rate_takes_the_argmax_of_each_row_not_column():
    outputs = np.full((10, 10), 0.1)
    outputs[np.arange(10), np.arange(10)] = 0.8
    outputs[3, :] = 0.95  # sample 3 is large everywhere, predicted 3 (first of the ties after 3 is set)
    outputs[3, 3] = 0.99
    y = np.arange(10)
    y[[8, 9]] = [9, 8]  # two wrong
    X = np.arange(10.0)[:, None]
    assert error_rate(fixed(outputs), X, y) == 0.2
    assert np.mean(outputs.argmax(axis=0) != y) != 0.2  # argmax over the samples would differ


def test_error_rate_in_chunks_gives_the_same_number():
    rng = np.random.default_rng(1)
    outputs = rng.random((23, 10))
    y = rng.integers(0, 10, 23)
    X = np.arange(23.0)[:, None]
    seen = []

    def predict(chunk):
        seen.append(len(chunk))
        return outputs[chunk[:, 0].astype(int)]

    expected = np.count_nonzero(outputs.argmax(axis=1) != y) / 23
    assert error_rate(predict, X, y, chunk_size=5) == expected
    assert seen == [5, 5, 5, 5, 3]
    assert error_rate(predict, X, y) == expected


def test_predicted_labels_are_the_argmax_of_each_row_in_chunks():
    outputs = np.full((7, 4), 0.1)
    outputs[np.arange(7), [0, 3, 2, 1, 1, 0, 3]] = 0.9
    outputs[5, 2] = 0.9  # a tie between 0 and 2: the smaller index
    X = np.arange(7.0)[:, None]
    labels = predicted_labels(fixed(outputs), X, chunk_size=3)
    assert labels.dtype == np.int64
    assert_array_equal(labels, [0, 3, 2, 1, 1, 0, 3])
    assert error_rate(fixed(outputs), X, labels) == 0.0
    with pytest.raises(ValueError, match="has training diverged"):
        predicted_labels(fixed(np.where(np.arange(7)[:, None] == 4, np.nan, outputs)), X)
    with pytest.raises(ValueError, match=r"X of shape \(N, n_in\)"):
        predicted_labels(fixed(outputs), np.arange(7.0))


def test_error_rate_of_both_networks_with_the_same_weights():
    X, _, y = toy_data(40, classes=4)
    vec = Network([20, 6, 4], seed=3)
    oo = oo_network.Network([20, 6, 4], seed=3)  # same seed, same weights
    rate = error_rate(vec, X, y)
    assert rate == error_rate(oo, X, y)  # the object network is asked one sample at a time
    assert rate == np.mean(vec.predict(X).argmax(axis=1) != y)


def test_error_rate_bad_input():
    X = np.arange(6.0)[:, None]
    with pytest.raises(ValueError, match=r"labels 0..9 \(one per output\), got the label 10"):
        error_rate(fixed(HAND_OUTPUTS), X, np.array([0, 1, 2, 3, 4, 10]))
    with pytest.raises(ValueError, match="got the label -1"):
        error_rate(fixed(HAND_OUTPUTS), X, np.array([0, 1, 2, 3, 4, -1]))
    with pytest.raises(ValueError, match=r"shape \(6,\), one label per sample"):
        error_rate(fixed(HAND_OUTPUTS), X, HAND_LABELS[:5])
    with pytest.raises(ValueError, match="whole numbers"):
        error_rate(fixed(HAND_OUTPUTS), X, HAND_LABELS + 0.5)
    with pytest.raises(ValueError, match=r"X of shape \(N, n_in\)"):
        error_rate(fixed(HAND_OUTPUTS), np.arange(6.0), HAND_LABELS)
    with pytest.raises(ValueError, match="finite"):
        error_rate(fixed(HAND_OUTPUTS), np.array([[0.0], [np.nan], [2], [3], [4], [5]]), HAND_LABELS)
    with pytest.raises(ValueError, match=r"predictions for 6 samples to have shape \(6, n_out\)"):
        error_rate(lambda X: np.zeros(len(X)), X, HAND_LABELS)
    with pytest.raises(TypeError, match="network with predict"):
        error_rate("network", X, HAND_LABELS)
    with pytest.raises(ValueError, match="outputs .*finite"):  # argmax of NaN would say class 0
        error_rate(lambda X: np.full((len(X), 10), np.nan), X, HAND_LABELS)


# --- fit: the loop and its history -------------------------------------------------------------------


def test_fit_shuffles_with_the_rng_and_steps_through_mini_batches():
    X, T, y = toy_data(50)
    auto, manual = Network([20, 6, 4], seed=0), Network([20, 6, 4], seed=0)
    fit(auto, X, T, y, epochs=3, rate=0.5, batch_size=8, rng=np.random.default_rng(3), progress=False)
    rng = np.random.default_rng(3)
    for _ in range(3):
        order = rng.permutation(50)
        for start in range(0, 50, 8):  # batches of 8, the last of 2
            rows = order[start:start + 8]
            manual.train_batch(X[rows], T[rows], 0.5)
    assert_same_weights(auto, manual)
    other = Network([20, 6, 4], seed=0)
    fit(other, X, T, y, epochs=3, rate=0.5, batch_size=8, rng=np.random.default_rng(4), progress=False)
    assert not np.array_equal(other.get_weights()[0][0], auto.get_weights()[0][0])  # another shuffle


def test_fit_history_contents():
    X, T, y = clusters(120)
    X_test, _, y_test = clusters(60, seed=1)
    network = Network([20, 10, 4], seed=0)
    X_val, _, y_val = clusters(60, seed=2)
    history = fit(network, X, T, y, validation=(X_val, y_val), test=(X_test, y_test), epochs=5, rate=2.0,
                  batch_size=1, evaluate_every=2, progress=False, rng=0)
    assert isinstance(history, History)
    assert history.epoch == [1, 2, 3, 4, 5]
    assert len(history.train_loss) == len(history.seconds) == 5
    assert all(s > 0 for s in history.seconds)
    assert history.eval_epoch == [2, 4, 5]  # every 2 epochs, and after the last one
    assert len(history.train_error) == len(history.validation_error) == len(history.test_error) == 3
    assert history.train_error[-1] == error_rate(network, X, y)
    assert history.validation_error[-1] == error_rate(network, X_val, y_val)
    assert history.test_error[-1] == error_rate(network, X_test, y_test)
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    assert history.train_error[-1] < 0.1 and history.test_error[-1] < 0.1
    assert history.stop_reason is None
    data = history.to_dict()
    assert History.from_dict(data).to_dict() == data
    assert "5 epochs" in repr(history)


def test_the_training_loss_is_the_mean_loss_before_each_step():
    X, T, y = toy_data(30)
    network = Network([20, 6, 4], seed=0)
    before = network.loss_value(X, T)
    history = fit(network, X, T, epochs=1, rate=1.0, batch_size=30, progress=False)  # one step
    assert history.train_loss == [pytest.approx(before, rel=1e-12)]
    assert history.train_error == [error_rate(network, X, y)]  # y_train=None: argmax of T
    assert history.test_error == [None]  # no test set
    assert history.validation_error == [None]  # no validation set


def test_the_callback_is_called_after_every_epoch():
    X, T, y = toy_data(40)
    network = Network([20, 6, 4], seed=0)
    calls = []
    fit(network, X, T, y, epochs=4, rate=0.5, batch_size=8, progress=False,
        callbacks=[lambda history, net: calls.append((list(history.epoch), net is network))])
    assert calls == [([1], True), ([1, 2], True), ([1, 2, 3], True), ([1, 2, 3, 4], True)]


def test_fit_continues_a_given_history():
    X, T, y = toy_data(40)
    a, b = Network([20, 6, 4], seed=0), Network([20, 6, 4], seed=0)
    rng = np.random.default_rng(8)
    history = fit(a, X, T, y, epochs=2, rate=0.5, batch_size=8, progress=False, rng=rng)
    fit(a, X, T, y, epochs=4, rate=0.5, batch_size=8, progress=False, rng=rng, history=history)
    assert history.epoch == [1, 2, 3, 4]
    fit(b, X, T, y, epochs=4, rate=0.5, batch_size=8, progress=False, rng=np.random.default_rng(8))
    assert_same_weights(a, b)
    with pytest.raises(ValueError, match="already has 4 epochs"):
        fit(a, X, T, y, epochs=4, rate=0.5, progress=False, history=history)


def test_the_progress_bar_goes_to_stderr_and_can_be_switched_off(capsys):
    X, T, y = toy_data(20)
    fit(Network([20, 4, 4]), X, T, y, epochs=2, rate=0.5, progress=True)
    assert "training" in capsys.readouterr().err
    fit(Network([20, 4, 4]), X, T, y, epochs=2, rate=0.5, progress=False)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


# --- the text's stopping rule ------------------------------------------------------------------------


def test_training_stops_when_the_validation_error_rises():
    # Two classes; the "validation set" is the training set with every label flipped, so its
    # error is exactly 1 - training error: it rises as soon as the training error falls.
    X, T, y = toy_data(200, classes=2)
    network = Network([20, 8, 2], seed=0)
    history = fit(network, X, T, y, validation=(X, 1 - y), epochs=30, rate=2.0, batch_size=10,
                  callbacks=[StopWhenValidationErrorRises()], progress=False, rng=0)
    assert len(history.epoch) < 30
    assert history.eval_epoch[-1] == history.epoch[-1]  # stopped right after an evaluation
    errors = history.validation_error
    assert errors[-1] > errors[-2]  # it rose ...
    assert all(later <= earlier for earlier, later in zip(errors[:-2], errors[1:-1]))  # ... for the first time
    assert_array_equal(np.array(errors), 1 - np.array(history.train_error))
    assert "validation error rose" in history.stop_reason
    # without the rule, the same run goes on
    again = fit(Network([20, 8, 2], seed=0), X, T, y, validation=(X, 1 - y), epochs=len(history.epoch) + 2,
                rate=2.0, batch_size=10, progress=False, rng=0)
    assert len(again.epoch) == len(history.epoch) + 2 and again.stop_reason is None


def test_the_test_set_never_changes_training_or_stopping():
    # the test set has flipped labels, so its error rises whenever the training error falls
    X, T, y = toy_data(200, classes=2)
    arguments = dict(validation=(X[:50], y[:50]), epochs=8, rate=2.0, batch_size=10,
                     callbacks=[StopWhenValidationErrorRises()], progress=False, rng=0)
    with_test = fit(Network([20, 8, 2], seed=0), X, T, y, test=(X, 1 - y), **arguments)
    without = fit(Network([20, 8, 2], seed=0), X, T, y, **arguments)
    assert with_test.epoch == without.epoch and with_test.stop_reason == without.stop_reason
    assert with_test.validation_error == without.validation_error
    assert without.test_error == [None] * len(without.eval_epoch)
    assert_allclose(with_test.test_error, 1 - np.array(with_test.train_error), rtol=1e-12)


def test_a_falling_validation_error_does_not_stop_training():
    X, T, y = toy_data(200, classes=2)
    history = fit(Network([20, 8, 2], seed=0), X, T, y, validation=(X, y), epochs=4, rate=2.0, batch_size=10,
                  callbacks=[StopWhenValidationErrorRises()], evaluate_every=2, progress=False, rng=0)
    assert history.epoch == [1, 2, 3, 4] and history.eval_epoch == [2, 4]
    assert history.validation_error[1] <= history.validation_error[0]
    assert history.test_error == [None, None]
    assert history.stop_reason is None


def test_an_old_history_without_validation_errors_still_loads():
    old = {"epoch": [1], "train_loss": [0.5], "seconds": [1.0], "eval_epoch": [1], "train_error": [0.2],
           "test_error": [0.3], "stop_reason": None}
    assert History.from_dict(old).validation_error == [None]


def test_fit_trains_the_object_network_like_the_vectorized_one():
    X, T, y = toy_data(24, classes=4)
    vec, oo = Network([20, 5, 4], seed=1), oo_network.Network([20, 5, 4], seed=1)
    h_vec = h_oo = None  # the second pass goes on from the first one's history
    for batch_size in (1, 5):
        h_vec = fit(vec, X, T, y, validation=(X[:8], y[:8]), epochs=batch_size + 1, rate=0.5,
                    batch_size=batch_size, progress=False, rng=3, history=h_vec)
        h_oo = fit(oo, X, T, y, validation=(X[:8], y[:8]), epochs=batch_size + 1, rate=0.5,
                   batch_size=batch_size, progress=False, rng=3, history=h_oo)
        assert_allclose(h_oo.train_loss, h_vec.train_loss, rtol=1e-12)
        assert h_oo.validation_error == h_vec.validation_error
        for (W0, b0), (W1, b1) in zip(vec.get_weights(), oo.get_weights()):
            assert_allclose(W1, W0, rtol=1e-11, atol=1e-14)
            assert_allclose(b1, b0, rtol=1e-11, atol=1e-14)


# --- weight decay and augmentation -----------------------------------------------------------------------


def test_fit_with_weight_decay_takes_decayed_steps():
    X, T, y = toy_data(40)
    auto, manual = Network([20, 6, 4], seed=0), Network([20, 6, 4], seed=0)
    fit(auto, X, T, y, epochs=2, rate=0.5, batch_size=8, rng=3, progress=False, weight_decay=0.01)
    rng = np.random.default_rng(3)
    for _ in range(2):
        order = rng.permutation(40)
        for start in range(0, 40, 8):
            rows = order[start:start + 8]
            manual.train_batch(X[rows], T[rows], 0.5, weight_decay=0.01)
    assert_same_weights(auto, manual)


def test_weight_decay_keeps_the_weights_smaller():
    X, _, y = clusters(120)
    norms = {}
    for weight_decay in (0.0, 0.01):
        network = Network([20, 10, 4], seed=0, loss="softmax_cross_entropy")
        fit(network, X, np.eye(4)[y], y, epochs=20, rate=1.0, batch_size=4, progress=False,
            weight_decay=weight_decay)
        norms[weight_decay] = sum(np.sum(W ** 2) for W, _ in network.get_weights())
        assert error_rate(network, X, y) < 0.05  # both still learn the easy problem
    assert norms[0.01] < 0.5 * norms[0.0], norms


def test_fit_trains_each_epoch_on_the_augmented_inputs():
    X, T, y = toy_data(30)
    calls = []

    def augment(X_train, rng):
        calls.append(X_train)
        return X_train[::-1] * rng.uniform(0.9, 1.0)  # any new inputs of the same shape

    auto, manual = Network([20, 6, 4], seed=0), Network([20, 6, 4], seed=0)
    history = fit(auto, X, T, y, epochs=2, rate=0.5, batch_size=10, rng=5, progress=False, callbacks=[Augment(augment)])
    assert len(calls) == 2 and all(np.array_equal(seen, X) for seen in calls)  # always the original inputs
    rng = np.random.default_rng(5)
    for _ in range(2):
        X_epoch = X[::-1] * rng.uniform(0.9, 1.0)  # drawn from the shuffling generator, before the shuffle
        order = rng.permutation(30)
        for start in range(0, 30, 10):
            rows = order[start:start + 10]
            manual.train_batch(X_epoch[rows], T[rows], 0.5)
    assert_same_weights(auto, manual)
    assert history.train_error[-1] == error_rate(auto, X, y)  # measured on the original inputs


def test_a_resumed_run_with_decay_and_augmentation_is_bit_for_bit(tmp_path):
    X, T, y = toy_data(41)
    settings = dict(rate=0.5, batch_size=8, progress=False, weight_decay=0.01)
    noise = Augment(lambda X_train, rng: np.clip(X_train + 0.05 * rng.normal(size=X_train.shape), 0, 1))
    straight = Network([20, 6, 4], seed=0)
    fit(straight, X, T, y, epochs=4, rng=7, callbacks=[noise], **settings)
    path = tmp_path / "run.npz"
    first = Network([20, 6, 4], seed=0)
    fit(first, X, T, y, epochs=2, rng=7, callbacks=[noise, Checkpoint(path)], **settings)
    resumed = Network([20, 6, 4], seed=0)
    fit(resumed, X, T, y, epochs=4, rng=7, callbacks=[noise, Checkpoint(path, resume=True)], **settings)  # noise too
    assert_same_weights(resumed, straight)


@pytest.mark.parametrize("augment, error, message", [
    ("shift", TypeError, "augment to be a function"),
    (lambda X, rng: X[:-1], ValueError, r"augment\(X_train, rng\) to return an array of X_train's shape"),
    (lambda X, rng: X * np.nan, ValueError, r"augment\(X_train, rng\) to hold finite numbers"),
])
def test_a_bad_augment_is_refused(augment, error, message):
    X, T, y = toy_data(30)
    with pytest.raises(error, match=message):
        fit(Network([20, 6, 4]), X, T, y, epochs=1, rate=0.5, progress=False, callbacks=[Augment(augment)])


# --- divergence ------------------------------------------------------------------------------------------


def test_divergence_stops_at_once_and_keeps_the_last_good_checkpoint(tmp_path):
    X, T, y = toy_data(120)
    path = tmp_path / "run.npz"
    network = Network([20, 10, 4], activator=Identity(), seed=0)
    fit(network, X, T, y, epochs=2, rate=0.05, batch_size=8, callbacks=[Checkpoint(path, every=1)],
        progress=False)
    good = path.read_bytes()
    epochs_done = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warnings leak out
        with pytest.raises(DivergenceError) as info:
            fit(network, X, T, y, epochs=6, rate=5.0, batch_size=8, callbacks=[Checkpoint(path, every=1, resume=True), lambda h, n: epochs_done.append(h.epoch[-1])], progress=False)
    error = info.value
    assert isinstance(error, FloatingPointError)
    assert error.epoch == 3 and error.checkpoint_epoch == 2 and error.rate == 5.0
    assert not np.isfinite(error.loss)
    message = str(error)
    assert "smaller" in message and "0.5" in message  # a smaller rate is suggested
    assert str(path) in message and "resume=True" in message  # how to continue from it
    assert epochs_done == []  # stopped inside epoch 3, before any callback
    assert path.read_bytes() == good  # the last good checkpoint is intact
    # and training goes on from it with a smaller rate
    history = fit(network, X, T, y, epochs=4, rate=0.05, batch_size=8, callbacks=[Checkpoint(path, resume=True)],
                  progress=False)
    assert history.epoch == [1, 2, 3, 4] and np.isfinite(history.train_loss).all()


def test_an_absurd_rate_diverges_without_a_warning_from_the_sigmoid():
    X, T, y = toy_data(40)
    network = Network([20, 6, 4], dtype=np.float32, seed=0)  # 1e100 overflows float32
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DivergenceError, match="too large"):
            fit(network, X, T, y, epochs=3, rate=1e100, batch_size=8, progress=False)


# --- bad input -----------------------------------------------------------------------------------------


def good_arguments():
    X, T, y = toy_data(30)
    return dict(network=Network([20, 6, 4]), X_train=X, T_train=T, y_train=y, validation=(X[:10], y[:10]),
                test=(X[10:20], y[10:20]), epochs=2, rate=0.5, progress=False)


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(X_train=np.zeros((30, 19))), r"X_train of shape \(N, 20\)"),
        (dict(X_train=np.zeros((30, 4, 5))), "flatten each image"),
        (dict(T_train=np.zeros((30, 3))), r"T_train of shape \(N, 4\)"),
        (dict(T_train=np.zeros((29, 4))), "one target row per sample"),
        (dict(X_train=np.full((30, 20), np.nan)), "X_train to hold finite numbers"),
        (dict(T_train=np.full((30, 4), np.inf)), "T_train to hold finite numbers"),
        (dict(y_train=np.full(30, 4)), r"labels 0..3 \(one per output\), got the label 4"),
        (dict(y_train=np.full(30, -1)), "got the label -1"),
        (dict(y_train=np.zeros(29, dtype=int)), r"y_train of shape \(30,\)"),
        (dict(validation=(np.zeros((10, 20)),)), r"validation to be a pair \(X_validation, y_validation\)"),
        (dict(validation=(np.zeros((10, 21)), np.zeros(10, dtype=int))), r"X_validation of shape \(N, 20\)"),
        (dict(test=(np.zeros((10, 21)), np.zeros(10, dtype=int))), r"X_test of shape \(N, 20\)"),
        (dict(validation=(np.zeros((10, 20)), np.full(10, 9))), "y_validation .*got the label 9"),
        (dict(validation=(np.zeros((10, 20)), np.full(10, 1 + 2j))), "complex"),
        (dict(epochs=0), "epochs to be a positive int"),
        (dict(epochs=2.5), "epochs to be a positive int"),
        (dict(epochs=True), "epochs to be a positive int"),
        (dict(rate=0), "positive learning rate"),
        (dict(rate=-1.0), "positive learning rate"),
        (dict(rate=float("nan")), "positive learning rate"),
        (dict(batch_size=0), "batch_size to be a positive int"),
        (dict(evaluate_every=0), "evaluate_every to be a positive int"),
        (dict(validation=None, callbacks=[StopWhenValidationErrorRises()]), "needs a validation set"),
        (dict(X_train=np.zeros((30, 20), dtype=complex)), "complex"),
        (dict(callbacks=["plot"]), "each callback to be a function"),
        (dict(rng="seed"), "rng to be an int >= 0 or a numpy.random.Generator"),
        (dict(rng=-1), "rng to be an int >= 0 or a numpy.random.Generator"),
        (dict(history=[]), "History or None"),
        (dict(network=object()), "expected a network"),
        (dict(weight_decay=-1e-4), "weight_decay to be a number >= 0"),
        (dict(weight_decay="1e-4"), "weight_decay to be a number >= 0"),
        (dict(weight_decay=2.0), r"rate \* weight_decay < 1"),
    ],
)
def test_fit_rejects_bad_input(change, message):
    arguments = {**good_arguments(), **change}
    network = arguments.pop("network")
    before = network.get_weights() if hasattr(network, "get_weights") else []
    with pytest.raises((ValueError, TypeError), match=message):
        fit(network, **arguments)
    for (W0, b0), (W1, b1) in zip(before, network.get_weights() if before else []):  # nothing was trained
        assert_array_equal(W0, W1)
        assert_array_equal(b0, b1)


# --- MNIST -----------------------------------------------------------------------------------------------


def test_a_few_epochs_on_5000_mnist_images_clearly_improve_the_network(tmp_path):
    X, y = load_mnist("train", dtype=np.float32)
    X_test, y_test = load_mnist("test", dtype=np.float32)
    X, y, X_test, y_test = X[:5000], y[:5000], X_test[:2000], y_test[:2000]
    # 30 hidden units, not the text's 300: the same result on 5000 images, and small enough
    # matrices that a busy machine's multi-threaded BLAS cannot make this test slow.
    network = Network([784, 30, 10], dtype=np.float32, seed=0)
    error_before = error_rate(network, X_test, y_test)
    history = fit(network, X, one_hot(y), y, test=(X_test, y_test), epochs=3, rate=1.0, batch_size=10,
                  progress=False, rng=0, callbacks=[Checkpoint(tmp_path / "mnist.npz")])
    assert error_before > 0.8  # about chance: 9 in 10 wrong
    assert history.test_error[-1] < 0.15, history.to_dict()
    assert history.train_error[-1] < 0.15
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    assert all(W.dtype == np.float32 for W, _ in network.get_weights())
    assert load_checkpoint(tmp_path / "mnist.npz")["epoch"] == 3


def test_the_checkpoint_records_the_validation_errors(tmp_path):
    X, T, y = toy_data(40)
    path = tmp_path / "run.npz"
    history = fit(Network([20, 6, 4], seed=0), X, T, y, validation=(X[:10], y[:10]), epochs=2, rate=0.5,
                  batch_size=8, callbacks=[Checkpoint(path, every=1)], progress=False)
    saved = History.from_dict(load_checkpoint(path)["history"])
    assert saved.validation_error == history.validation_error and None not in saved.validation_error
    assert saved.test_error == [None, None]


def test_the_pieces_refuse_bad_settings_when_they_are_made():
    with pytest.raises(ValueError, match="every .* to be an int >= 1"):
        Checkpoint("run.npz", every=-10)
    with pytest.raises(TypeError, match="path to be a file name"):
        Checkpoint(None)
    with pytest.raises(TypeError, match="augment to be a function"):
        Augment("shift")
