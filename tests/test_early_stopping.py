"""BestWeights keeps the weights of the epoch with the lowest validation error, and puts them back."""

import numpy as np
import pytest

from bpcourse.core.early_stopping import BestWeights
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
