"""One sigmoid neuron: deltas against finite differences, the slowdown of squared error, bad input."""

import numpy as np
import pytest

from bpcourse.core.activations import sigmoid
from bpcourse.core.single_neuron import neuron_delta, neuron_loss, train_neuron


@pytest.mark.parametrize("loss", ["squared_error", "cross_entropy"])
@pytest.mark.parametrize("net, t", [(2.0, 0.0), (-1.0, 1.0), (0.3, 0.7)])
def test_delta_is_minus_dE_dnet(loss, net, t):
    h = 1e-6
    numeric = (neuron_loss(sigmoid(net + h), t, loss) - neuron_loss(sigmoid(net - h), t, loss)) / (2 * h)
    np.testing.assert_allclose(neuron_delta(sigmoid(net), t, loss), -numeric, rtol=1e-6, atol=1e-10)


def test_training_record_follows_the_update_rule():
    record = train_neuron(2.0, 2.0, epochs=3, loss="squared_error")
    assert record["output"].shape == (4,)
    np.testing.assert_allclose(record["output"][0], sigmoid(4.0), rtol=1e-15)
    np.testing.assert_allclose(record["w"][1], 2.0 + 0.15 * record["delta"][0], rtol=1e-15)
    np.testing.assert_allclose(record["b"][1] - record["b"][0], record["w"][1] - record["w"][0], rtol=1e-12)


def test_cross_entropy_learns_faster_from_a_bad_start():
    slow = train_neuron(2.0, 2.0, epochs=300, loss="squared_error")
    fast = train_neuron(2.0, 2.0, epochs=300, loss="cross_entropy")
    assert slow["output"][50] > 0.95  # still stuck after 50 steps
    assert fast["output"][50] < 0.3
    assert fast["output"][-1] < slow["output"][-1]


@pytest.mark.parametrize("kwargs, match", [
    (dict(loss="hinge"), "loss"),
    (dict(t=2.0), "target"),
    (dict(eta=-1.0), "learning rate"),
    (dict(epochs=0), "epochs"),
    (dict(x=float("inf")), "x"),
])
def test_bad_input_is_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        train_neuron(1.0, 1.0, **kwargs)
