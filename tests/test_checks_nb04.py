"""The exercise checks of notebook 04 accept right answers and reject plausible wrong ones."""

import pytest

from bpcourse.exercises.checks.nb04 import (
    check_train_object_network,
    check_calc_gradient,
    check_calc_hidden_layer_delta,
    check_update_weight,
    reference_calc_gradient,
    reference_calc_hidden_layer_delta,
)
from bpcourse.core.oo_network import Network, Node
from bpcourse.exercises.originality import BorrowedAnswer
from notebook_solutions import solutions

SOLUTIONS = solutions("04")


def not_written(*args):
    raise NotImplementedError()


def downstream_sum(node):
    return sum(conn.weight * conn.downstream_node.delta for conn in node.downstream)


# ---- the reference functions leave the objects as they were -------------------------


def test_reference_functions_compute_without_side_effects():
    network = Network([2, 2, 1], seed=3)
    network.get_gradient([0.5, -1.0], [0.9])
    node = network.layers[1].nodes[0]
    conn = node.upstream[0]
    node_delta, conn_gradient = node.delta, conn.gradient
    node.delta = 123.0
    assert reference_calc_hidden_layer_delta(node) == pytest.approx(node_delta, rel=1e-12)
    assert node.delta == 123.0
    node.delta, conn.gradient = node_delta, 456.0
    assert reference_calc_gradient(conn) == pytest.approx(conn_gradient, rel=1e-12)
    assert conn.gradient == 456.0


# ---- check_calc_hidden_layer_delta ---------------------------------------------------


def test_the_notebooks_delta_passes(capsys):
    check_calc_hidden_layer_delta(SOLUTIONS["calc_hidden_layer_delta"])
    assert capsys.readouterr().out.startswith("check_calc_hidden_layer_delta: all 15 cases passed")


@pytest.mark.parametrize("borrowed", [reference_calc_hidden_layer_delta,
                                      lambda node: (node.calc_hidden_layer_delta(), node.delta)[1]],
                         ids=["the reference", "the node's method"])
def test_the_packages_delta_is_refused(borrowed):
    with pytest.raises(BorrowedAnswer, match="BORROWED ANSWER"):
        check_calc_hidden_layer_delta(borrowed)


def test_hand_written_delta_passes(capsys):
    check_calc_hidden_layer_delta(lambda node: node.output * (1 - node.output) * downstream_sum(node))
    assert "all 15 cases passed" in capsys.readouterr().out


def test_delta_without_the_sigmoid_factor_is_rejected():
    with pytest.raises(AssertionError) as info:
        check_calc_hidden_layer_delta(downstream_sum)
    message = str(info.value)
    assert "a_j (1 - a_j) is missing" in message
    assert "expected delta =" in message and "node.output a_j =" in message


def test_delta_from_upstream_connections_is_rejected():
    def upstream_delta(node):
        a = node.output
        return a * (1 - a) * sum(conn.weight * conn.upstream_node.delta for conn in node.upstream)

    with pytest.raises(AssertionError, match="node.upstream"):
        check_calc_hidden_layer_delta(upstream_delta)


def test_delta_with_the_sign_flipped_is_rejected():
    with pytest.raises(AssertionError, match="sign is flipped"):
        check_calc_hidden_layer_delta(lambda node: -node.output * (1 - node.output) * downstream_sum(node))


def test_delta_with_downstream_outputs_is_rejected():
    def outputs(node):
        a = node.output
        return a * (1 - a) * sum(conn.weight * conn.downstream_node.output for conn in node.downstream)

    with pytest.raises(AssertionError, match="error terms"):
        check_calc_hidden_layer_delta(outputs)


def test_delta_that_only_sets_node_delta_is_told_to_return_it():
    def sets_only(node):
        node.delta = node.output * (1 - node.output) * downstream_sum(node)

    with pytest.raises(AssertionError, match="returned None"):
        check_calc_hidden_layer_delta(sets_only)


def test_delta_that_changes_weights_is_rejected():
    def meddles(node):
        node.downstream[0].weight += 1.0
        return node.output * (1 - node.output) * downstream_sum(node)

    with pytest.raises(AssertionError, match="changed a connection's weight"):
        check_calc_hidden_layer_delta(meddles)


def test_unwritten_delta_fails_the_check():
    with pytest.raises(AssertionError, match="not written yet"):
        check_calc_hidden_layer_delta(not_written)


# ---- check_calc_gradient ---------------------------------------------------------------


def test_the_notebooks_gradient_passes(capsys):
    check_calc_gradient(SOLUTIONS["calc_gradient"])
    assert capsys.readouterr().out.startswith("check_calc_gradient: all 92 cases passed")


@pytest.mark.parametrize("borrowed", [reference_calc_gradient, lambda conn: (conn.calc_gradient(), conn.gradient)[1]],
                         ids=["the reference", "the connection's method"])
def test_the_packages_gradient_is_refused(borrowed):
    with pytest.raises(BorrowedAnswer, match="BORROWED ANSWER"):
        check_calc_gradient(borrowed)


def test_hand_written_gradient_passes(capsys):
    check_calc_gradient(lambda conn: conn.downstream_node.delta * conn.upstream_node.output)
    assert "all 92 cases passed" in capsys.readouterr().out


def test_gradient_with_the_downstream_output_is_rejected():
    with pytest.raises(AssertionError) as info:
        check_calc_gradient(lambda conn: conn.downstream_node.delta * conn.downstream_node.output)
    message = str(info.value)
    assert "UPSTREAM node" in message
    assert "hand-made connection" in message  # caught on the first, hand-made case
    assert "expected gradient = -0.2" in message


def test_gradient_with_the_true_sign_of_dE_dw_is_rejected():
    with pytest.raises(AssertionError, match="sign is flipped"):
        check_calc_gradient(lambda conn: -conn.downstream_node.delta * conn.upstream_node.output)


def test_gradient_with_the_upstream_delta_is_rejected():
    with pytest.raises(AssertionError, match="upstream node's delta"):
        check_calc_gradient(lambda conn: conn.upstream_node.delta * conn.upstream_node.output)


def test_unwritten_gradient_fails_the_check():
    with pytest.raises(AssertionError, match="not written yet"):
        check_calc_gradient(not_written)


# ---- check_update_weight ---------------------------------------------------------------


def test_the_notebooks_update_passes(capsys):
    check_update_weight(SOLUTIONS["update_weight"])
    assert capsys.readouterr().out.startswith("check_update_weight: all 184 cases passed")


def test_the_packages_update_is_refused():
    with pytest.raises(BorrowedAnswer, match="update_weight"):
        check_update_weight(lambda conn, rate: conn.update_weight(rate))


def test_hand_written_update_passes(capsys):
    def update(conn, rate):
        conn.weight += rate * conn.downstream_node.delta * conn.upstream_node.output

    check_update_weight(update)
    assert "all 184 cases passed" in capsys.readouterr().out


def test_update_with_the_wrong_sign_is_rejected():
    def descent_on_delta(conn, rate):
        conn.weight -= rate * conn.downstream_node.delta * conn.upstream_node.output

    with pytest.raises(AssertionError) as info:
        check_update_weight(descent_on_delta)
    message = str(info.value)
    assert "the sign is wrong" in message
    assert "weight before = 0.3" in message
    assert "expected weight after = 0.19999999999999998" in message  # 0.3 + 0.5 * (-0.25) * 0.8


def test_update_with_a_stale_stored_gradient_is_rejected():
    with pytest.raises(AssertionError, match="not refreshed"):
        check_update_weight(lambda conn, rate: setattr(conn, "weight", conn.weight + rate * conn.gradient))


def test_update_that_returns_instead_of_assigning_is_rejected():
    with pytest.raises(AssertionError, match="did not change"):
        check_update_weight(lambda conn, rate: conn.weight + rate * conn.downstream_node.delta
                            * conn.upstream_node.output)


def test_update_without_the_rate_is_rejected():
    def no_rate(conn, rate):
        conn.weight += conn.downstream_node.delta * conn.upstream_node.output

    with pytest.raises(AssertionError, match="learning rate is missing"):
        check_update_weight(no_rate)


def test_unwritten_update_fails_the_check():
    with pytest.raises(AssertionError, match="not written yet"):
        check_update_weight(not_written)


# ---- check_train_object_network ------------------------------------------------------------


def test_the_notebooks_training_loop_passes(capsys):
    check_train_object_network(SOLUTIONS["train_object_network"])
    assert capsys.readouterr().out.startswith("check_train_object_network: all 3 cases passed")


def training_loop(*, sign=1.0, output_slope=True, while_going_back=False, extra_epochs=0, one_sample=False):
    """A hand-written training loop with switches for the mistakes the check must name."""
    def train(network, X, T, rate, epochs):
        samples = list(zip(X, T))[-1:] if one_sample else list(zip(X, T))
        for _ in range(epochs + extra_epochs):
            for x, t in samples:
                network.predict(x)
                for node, t_j in zip(network.layers[-1].nodes, t):
                    node.delta = (node.output * (1 - node.output) if output_slope else 1.0) * (t_j - node.output)
                    if while_going_back:
                        for conn in node.upstream:
                            conn.weight += sign * rate * node.delta * conn.upstream_node.output
                for layer in network.layers[-2:0:-1]:
                    for node in layer.nodes:
                        if isinstance(node, Node):
                            node.delta = node.output * (1 - node.output) * downstream_sum(node)
                            if while_going_back:
                                for conn in node.upstream:
                                    conn.weight += sign * rate * node.delta * conn.upstream_node.output
                if not while_going_back:
                    for conn in network.connections:
                        conn.weight += sign * rate * conn.downstream_node.delta * conn.upstream_node.output
    return train


def test_a_hand_written_loop_passes(capsys):
    check_train_object_network(training_loop())
    assert "all 3 cases passed" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (training_loop(while_going_back=True), "compute every delta first, then update"),
    (training_loop(sign=-1.0), "the sign of the update is flipped"),
    (training_loop(output_slope=False), "output deltas lack the sigmoid's slope"),
    (training_loop(extra_epochs=1), "one epoch too many"),
    (training_loop(one_sample=True), "only the last sample counts"),
], ids=["update while going back", "sign", "no output slope", "extra epoch", "one sample"])
def test_wrong_training_loops_fail_with_the_hint_about_their_mistake(wrong, hint):
    with pytest.raises(AssertionError) as info:
        check_train_object_network(wrong)
    assert hint in str(info.value)
    assert "eq. 4." in str(info.value) or "epochs" in str(info.value)


@pytest.mark.parametrize("borrowed", [
    lambda network, X, T, rate, epochs: network.train(T, X, rate, epochs),
    lambda network, X, T, rate, epochs: [network.train_one_sample(t, x, rate) for _ in range(epochs)
                                         for x, t in zip(X, T)],
], ids=["Network.train", "train_one_sample"])
def test_the_networks_own_training_is_refused(borrowed):
    with pytest.raises(BorrowedAnswer, match="BORROWED ANSWER"):
        check_train_object_network(borrowed)
