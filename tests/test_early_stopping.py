"""The stopping rule (first_rise, StopWhenValidationErrorRises) and BestWeights, which keeps the weights of the epoch
with the lowest validation error and puts them back."""

from types import SimpleNamespace

import numpy as np
import pytest

from bpcourse.core.early_stopping import BestWeights, StopWhenValidationErrorRises, first_rise
from bpcourse.core import training
from bpcourse.core.training import History, fit
from bpcourse.core.vectorized import Network


class Recorder:
    """Calls BestWeights, and keeps every epoch's weights too, to compare."""

    def __init__(self, best):
        self.best, self.weights = best, {}

    def __call__(self, history, network):
        self.best(history, network)
        self.weights[history.epoch[-1]] = network.get_weights()


def test_best_weights_are_those_of_the_lowest_validation_error():
    rng = np.random.default_rng(0)
    X, y = rng.random((60, 4)), rng.integers(0, 3, size=60)
    T = np.eye(3)[y]
    network = Network((4, 5, 3), seed=1)
    recorder = Recorder(BestWeights())
    history = fit(network, X[:40], T[:40], y[:40], validation=(X[40:], y[40:]), epochs=6, rate=2.0,
                  batch_size=4, progress=False, callbacks=[recorder])
    best = recorder.best
    chosen = int(np.argmin(history.validation_error))  # argmin takes the first on a tie
    assert best.epoch == history.eval_epoch[chosen]
    assert best.error == pytest.approx(history.validation_error[chosen], abs=0)
    best.restore(network)
    for (W, b), (W_kept, b_kept) in zip(network.get_weights(), recorder.weights[best.epoch]):
        np.testing.assert_array_equal(W, W_kept)
        np.testing.assert_array_equal(b, b_kept)


def test_without_validation_set_it_says_so():
    history = History()
    history.epoch, history.eval_epoch, history.validation_error = [1], [1], [None]
    with pytest.raises(ValueError, match="validation="):
        BestWeights()(history, Network((2, 2)))


def test_restore_before_training_is_refused():
    with pytest.raises(ValueError, match="no weights kept"):
        BestWeights().restore(Network((2, 2)))

def make_history(epochs):
    """A History-like record of ``epochs`` epochs, every one evaluated, with falling made-up errors."""
    return SimpleNamespace(epoch=list(range(1, epochs + 1)), eval_epoch=list(range(1, epochs + 1)),
                           train_error=[0.3 / e for e in range(1, epochs + 1)],
                           validation_error=[None] * epochs, test_error=[0.35 / e for e in range(1, epochs + 1)])


def test_first_rise_finds_the_first_increase_of_an_error():
    history = make_history(6)
    assert first_rise(history, "test_error") is None  # falling all the way
    history.test_error[3] = history.test_error[2] + 0.001  # epoch 4 higher than epoch 3
    history.test_error[5] = 0.5
    assert first_rise(history, "test_error") == (4, history.test_error[2], history.test_error[3])
    history.validation_error = [0.3, 0.2, 0.1, 0.1, 0.15, 0.2]
    assert first_rise(history) == (5, 0.1, 0.15)  # the validation error by default
    with pytest.raises(ValueError, match="expected series"):
        first_rise(history, "loss")


def test_first_rise_ignores_missing_errors():
    history = make_history(4)
    history.test_error = [0.3, None, 0.2, 0.25]
    assert first_rise(history, "test_error") == (4, 0.2, 0.25)
    assert first_rise(history) is None  # no validation errors at all


def test_first_rise_agrees_with_fit_stopping_rule():
    """fit with StopWhenValidationErrorRises stops exactly where first_rise finds the rise."""
    rng = np.random.default_rng(3)
    X = rng.random((60, 4))
    y = (X[:, 0] > 0.5).astype(int)
    T = np.where(np.eye(2)[y] > 0, 0.9, 0.1)
    X_test = rng.random((40, 4))
    y_test = rng.integers(0, 2, size=40)  # noise: the test error wanders up and down
    full = training.fit(Network((4, 3, 2), seed=1), X, T, y, validation=(X_test, y_test), epochs=30,
                        rate=3.0, batch_size=4, rng=2, progress=False)
    rise = first_rise(full)
    assert rise is not None, "test data chosen so that the test error rises at some point"
    stopped = training.fit(Network((4, 3, 2), seed=1), X, T, y, validation=(X_test, y_test), epochs=30,
                           rate=3.0, batch_size=4, rng=2, progress=False,
                           callbacks=[StopWhenValidationErrorRises()])
    assert stopped.epoch[-1] == rise[0]
    assert stopped.stop_reason is not None
