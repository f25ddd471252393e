"""Tests of the gradient check (bpcourse.core.gradcheck, eq. 5.1-5.4) on both networks."""


import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from bpcourse.core import oo_network, vectorized
from bpcourse.core.gradcheck import GradientCheckReport, gradient_check, numeric_gradient, relative_error

NETWORKS = {"oo": oo_network.Network, "vectorized": vectorized.Network}


def sample(sizes, seed):
    """A sample (x, t) for a network of ``sizes``: x uniform in [0, 1), t one-hot with 0.9/0.1."""
    rng = np.random.default_rng(seed)
    x = rng.random(sizes[0])
    t = np.full(sizes[-1], 0.1)
    t[rng.integers(sizes[-1])] = 0.9
    return x, t


def assert_same_weights(before, after):
    assert len(before) == len(after)
    for (W0, b0), (W1, b1) in zip(before, after):
        assert_array_equal(W0, W1)
        assert_array_equal(b0, b1)


# --- relative_error -------------------------------------------------------------


def test_relative_error_edge_cases():
    assert relative_error(0.0, 0.0) == 0.0  # both zero: no division by zero
    assert relative_error(1.0, -1.0) == 1.0  # opposite signs: the largest possible
    assert relative_error(2.0, 1.0) == pytest.approx(1 / 3, rel=1e-15)
    assert relative_error(1e-10, 0.0) == pytest.approx(1e-2, rel=1e-12)  # the 1e-8 floor
    assert relative_error(3.0, 3.0) == 0.0
    assert relative_error(0.5, 0.25) == relative_error(0.25, 0.5)
    errors = relative_error([0.0, 1.0, -2.0], [0.0, 1.0, -1.0])
    assert isinstance(errors, np.ndarray) and errors.shape == (3,)
    assert_allclose(errors, [0.0, 0.0, 1 / 3], rtol=1e-15, atol=0)


# --- the check passes on correct backward passes ---------------------------------------


@pytest.mark.parametrize("kind", sorted(NETWORKS))
@pytest.mark.parametrize("sizes", [[3, 4, 2], [8, 3, 8]])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backprop_matches_central_differences(kind, sizes, seed):
    network = NETWORKS[kind](sizes, seed=seed)
    x, t = sample(sizes, seed)
    report = gradient_check(network, x, t)
    n_weights = sum(n_out * (n_in + 1) for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    assert len(report) == n_weights
    assert report.max_relative_error < 1e-7, str(report)
    assert report.passed()
    assert np.max(np.abs(report.analytic)) > 1e-4  # a real check, not of zeros


@pytest.mark.parametrize("kind", sorted(NETWORKS))
def test_identity_task_input_8_3_8(kind):
    network = NETWORKS[kind]([8, 3, 8], seed=0)
    x, t = np.eye(8)[3], np.where(np.eye(8)[3] > 0, 0.9, 0.1)
    report = gradient_check(network, x, t)
    assert report.max_relative_error < 1e-7, str(report)


@pytest.mark.parametrize("kind", sorted(NETWORKS))
def test_tanh_network(kind):
    # tanh has larger third derivatives than the sigmoid, so the truncation error
    # of eq. 5.4 (about epsilon^2 E''' / 6) is larger; 1e-6 still separates bugs (> 1e-2)
    network = NETWORKS[kind]([3, 4, 2], activator="tanh", seed=0)
    x, t = sample([3, 4, 2], 0)
    assert gradient_check(network, x, t).max_relative_error < 1e-6


# --- the check catches wrong backward passes ----------------------------------------


def text_sign_gradients(network, x, t):
    """A planted bug: the text's delta * x (= -dE/dw) instead of dE/dw."""
    return [(-dW, -db) for dW, db in network.gradients(x, t)]


def gradients_without_output_derivative(network, x, t):
    """A planted bug: output delta (t - y) without the factor y(1 - y) of eq. 4.1 (vectorized maths)."""
    weights = network.get_weights()
    a = [np.asarray(x, dtype=float)]
    for W, b in weights:
        a.append(1 / (1 + np.exp(-(W @ a[-1] + b))))
    delta = t - a[-1]  # bug: eq. 4.1 needs y(1 - y)(t - y)
    grads = []
    for layer in range(len(weights) - 1, -1, -1):
        grads.append((-np.outer(delta, a[layer]), -delta))
        if layer > 0:
            delta = a[layer] * (1 - a[layer]) * (weights[layer][0].T @ delta)  # eq. 4.3
    return grads[::-1]


@pytest.mark.parametrize("kind", sorted(NETWORKS))
@pytest.mark.parametrize(
    "bug, smallest_max_error",
    [(text_sign_gradients, 0.999999), (gradients_without_output_derivative, 0.1)],
)
def test_wrong_analytic_gradient_is_caught(kind, bug, smallest_max_error):
    network = NETWORKS[kind]([3, 4, 2], seed=0)
    x, t = sample([3, 4, 2], 0)
    report = gradient_check(network, x, t, analytic=bug)
    assert report.max_relative_error > smallest_max_error
    assert not report.passed()
    correct = gradient_check(network, x, t)
    assert_array_equal(report.numeric, correct.numeric)  # same numeric side, only the analytic differs


# --- weights restored bit for bit ---------------------------------------------------


@pytest.mark.parametrize("kind", sorted(NETWORKS))
def test_every_weight_is_restored_exactly(kind):
    network = NETWORKS[kind]([3, 4, 2], seed=3)
    rng = np.random.default_rng(3)
    # weights whose last bits would be lost by w + eps - 2 eps + eps
    network.set_weights([(rng.normal(size=W.shape) / 3, rng.normal(size=b.shape) / 7) for W, b in network.get_weights()])
    before = network.get_weights()
    x, t = sample([3, 4, 2], 3)
    gradient_check(network, x, t)
    assert_same_weights(before, network.get_weights())
    numeric_gradient(network, x, t, layer=1, row=1, col=-1)
    assert_same_weights(before, network.get_weights())
    gradient_check(network, x, t, analytic=text_sign_gradients, max_weights=5, rng=1)
    assert_same_weights(before, network.get_weights())


class RecordingNetwork:
    """Only the four methods of the shared interface; records every set_weights call."""

    def __init__(self, network):
        self.network = network
        self.calls = []

    def get_weights(self):
        return self.network.get_weights()

    def set_weights(self, weights):
        self.calls.append(np.concatenate([np.concatenate([W.ravel(), b]) for W, b in weights]))
        self.network.set_weights(weights)

    def loss_value(self, x, t):
        return self.network.loss_value(x, t)

    def gradients(self, x, t):
        return self.network.gradients(x, t)


@pytest.mark.parametrize("kind", sorted(NETWORKS))
def test_each_evaluation_perturbs_exactly_one_weight(kind):
    network = NETWORKS[kind]([3, 4, 2], seed=0)
    # weights that change in the last bit if a check "restores" them by adding epsilon back:
    # (w - eps) + eps != w or (w + eps) - eps != w (about 1 in 1500 random numbers)
    candidates = np.random.default_rng(11).uniform(-1, 1, size=200_000)
    eps = 1e-4
    fragile = candidates[((candidates - eps) + eps != candidates) | ((candidates + eps) - eps != candidates)]
    network.set_weights([(fragile[:12].reshape(4, 3), fragile[12:16]), (fragile[16:24].reshape(2, 4), fragile[24:26])])
    original = np.concatenate([np.concatenate([W.ravel(), b]) for W, b in network.get_weights()])
    assert_array_equal(original, fragile[:26])
    recorder = RecordingNetwork(network)
    gradient_check(recorder, *sample([3, 4, 2], 0), epsilon=1e-4)
    evaluations = recorder.calls[1:-1]  # first: restore after the analytic pass; last: final restore
    assert len(evaluations) == 2 * original.size
    for flat in evaluations:
        changed = np.flatnonzero(flat != original)
        assert len(changed) == 1, "other weights were not restored to their saved values"
        k = changed[0]
        assert flat[k] in (original[k] + 1e-4, original[k] - 1e-4)
    assert_array_equal(recorder.calls[-1], original)


@pytest.mark.parametrize("kind", sorted(NETWORKS))
def test_weights_restored_when_the_analytic_function_changes_them(kind):
    network = NETWORKS[kind]([3, 4, 2], seed=0)
    before = network.get_weights()

    def meddling_analytic(net, x, t):
        grads = net.gradients(x, t)
        net.set_weights([(W + 1.0, b) for W, b in net.get_weights()])
        return grads

    x, t = sample([3, 4, 2], 0)
    report = gradient_check(network, x, t, analytic=meddling_analytic)
    assert_same_weights(before, network.get_weights())
    assert report.passed()  # numeric side ran on the original weights


# --- one weight, subsets, the report ---------------------------------------------------


@pytest.mark.parametrize("kind", sorted(NETWORKS))
def test_numeric_gradient_of_one_weight_matches_the_report(kind):
    network = NETWORKS[kind]([3, 4, 2], seed=0)
    x, t = sample([3, 4, 2], 0)
    report = gradient_check(network, x, t)
    for k in (0, 5, len(report) - 1):
        layer, row, col = int(report.layer[k]), int(report.row[k]), int(report.col[k])
        value = numeric_gradient(network, x, t, layer, row, col, epsilon=1e-4)
        assert value == report.numeric[k]
    # eq. 5.4 by hand for the bias of the first output node
    W, b = network.get_weights()[1]
    plus, minus = b.copy(), b.copy()
    plus[0] += 1e-4
    minus[0] -= 1e-4
    weights = network.get_weights()
    network.set_weights([weights[0], (W, plus)])
    loss_plus = network.loss_value(x, t)
    network.set_weights([weights[0], (W, minus)])
    loss_minus = network.loss_value(x, t)
    network.set_weights(weights)
    assert numeric_gradient(network, x, t, 1, 0, -1) == pytest.approx((loss_plus - loss_minus) / 2e-4, rel=1e-6)


@pytest.mark.parametrize("kind", sorted(NETWORKS))
def test_random_subset_on_a_784_30_10_network(kind):
    network = NETWORKS[kind]([784, 30, 10], seed=0)
    x, t = sample([784, 30, 10], 0)
    report = gradient_check(network, x, t, max_weights=12, rng=np.random.default_rng(5))
    assert len(report) == 12
    positions = set(zip(report.layer.tolist(), report.row.tolist(), report.col.tolist()))
    assert len(positions) == 12  # without replacement
    # A saturated hidden unit can have a gradient of ~1e-9; there the rounding error of
    # E (~1e-16) divided by 2 epsilon (~1e-12 absolute) dominates the relative error.
    # So: tiny absolute differences everywhere, tiny relative errors where the gradient is not tiny.
    assert np.max(np.abs(report.analytic - report.numeric)) < 1e-10
    sizeable = np.abs(report.analytic) > 1e-6
    assert sizeable.sum() >= 10
    assert report.relative_error[sizeable].max() < 1e-7, str(report)
    again = gradient_check(network, x, t, max_weights=12, rng=np.random.default_rng(5))
    assert_array_equal(again.col, report.col)
    assert_array_equal(again.row, report.row)


def test_report_rows_and_text():
    network = oo_network.Network([2, 2, 1], seed=0)
    x, t = sample([2, 2, 1], 0)
    report = gradient_check(network, x, t)
    assert isinstance(report, GradientCheckReport)
    rows = report.rows()
    assert len(rows) == 9
    assert rows[0] == {
        "layer": 0,
        "row": 0,
        "col": 0,
        "weight": "W[0][0, 0]",
        "analytic": report.analytic[0],
        "numeric": report.numeric[0],
        "relative_error": report.relative_error[0],
    }
    assert rows[2]["weight"] == "b[0][0]" and rows[2]["col"] == -1
    assert rows[-1]["weight"] == "b[1][0]"
    grads = network.gradients(x, t)
    assert rows[-1]["analytic"] == grads[1][1][0]
    assert "gradient check of 9 weights" in str(report) and "passed" in str(report)
    assert report.epsilon == 1e-4
    assert not report.passed(threshold=0.0)
    assert report.summary(threshold=0.0).endswith("(FAILED at 0)")


# --- bad input -------------------------------------------------------------------


def test_bad_arguments():
    network = oo_network.Network([3, 4, 2], seed=0)
    x, t = sample([3, 4, 2], 0)
    for epsilon in (0, -1e-4, float("nan"), "1e-4"):
        with pytest.raises(ValueError, match="expected epsilon to be a small positive number"):
            gradient_check(network, x, t, epsilon=epsilon)
    for max_weights in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="expected max_weights to be a positive int or None"):
            gradient_check(network, x, t, max_weights=max_weights)
    with pytest.raises(ValueError, match=r"expected the analytic gradient as a list of \(dW, db\) with shapes"):
        gradient_check(network, x, t, analytic=lambda net, x_, t_: [(dW.T, db) for dW, db in net.gradients(x_, t_)])
    with pytest.raises(ValueError, match="expected row in 0..1 and col in -1..3"):
        numeric_gradient(network, x, t, layer=1, row=2, col=0)
    with pytest.raises(ValueError, match="expected layer in 0..1"):
        numeric_gradient(network, x, t, layer=2, row=0, col=0)
    with pytest.raises(ValueError, match="expected the input of length 3"):
        gradient_check(network, x[:2], t)
