"""Tests of the vectorized network (bpcourse.core.vectorized, eq. 6.1-6.6): shapes, batches, dtypes, bad input."""

import io
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from bpcourse.core import oo_network
from bpcourse.core.activations import sigmoid
from bpcourse.core.vectorized import FullConnectedLayer, Network, sum_of_outer_products

DTYPES = [np.float64, np.float32]
TOL = {np.float64: dict(rtol=1e-12, atol=1e-15), np.float32: dict(rtol=2e-5, atol=1e-7)}


def data(sizes, n, seed=0):
    """X (n, n_in) in [0, 1), T (n, n_out) in [0.1, 0.9)."""
    rng = np.random.default_rng(seed)
    return rng.random((n, sizes[0])), rng.uniform(0.1, 0.9, size=(n, sizes[-1]))


def lively_weights(sizes, seed=1):
    """Weights uniform in +-1/sqrt(n_in), so that every unit is far from trivial."""
    rng = np.random.default_rng(seed)
    return [(rng.uniform(-1, 1, (m, n)) / np.sqrt(n), rng.uniform(-1, 1, m) / np.sqrt(n))
            for n, m in zip(sizes[:-1], sizes[1:])]


def reference_forward(weights, x):
    """Eq. 6.1 layer by layer for one sample x (n_in,), written plainly."""
    a = np.asarray(x, dtype=np.float64)
    for W, b in weights:
        a = sigmoid(W @ a + b)
    return a


# --- shapes, single samples and batches --------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_shapes_of_everything(dtype):
    sizes = [5, 4, 3, 2]
    network = Network(sizes, dtype=dtype)
    assert network.layer_sizes == (5, 4, 3, 2)
    assert [layer.W.shape for layer in network.layers] == [(4, 5), (3, 4), (2, 3)]
    assert [layer.b.shape for layer in network.layers] == [(4,), (3,), (2,)]
    X, T = data(sizes, 7)
    assert network.predict(X[0]).shape == (2,)
    assert network.predict(X).shape == (7, 2)
    assert network.predict(X[:1]).shape == (1, 2)  # a row stays a batch of one
    for (dW, db), layer in zip(network.gradients(X, T), network.layers):
        assert dW.shape == layer.W.shape and db.shape == layer.b.shape
    assert isinstance(network.loss_value(X, T), float) and isinstance(network.loss_value(X[0], T[0]), float)


def test_predict_matches_the_plain_formula():
    sizes = [6, 5, 3]
    network = Network(sizes)
    weights = lively_weights(sizes)
    network.set_weights(weights)
    X, _ = data(sizes, 4)
    for x, y in zip(X, network.predict(X)):
        assert_allclose(y, reference_forward(weights, x), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
def test_single_sample_and_batch_agree(dtype):
    sizes = [6, 5, 3]
    network = Network(sizes, dtype=dtype)
    network.set_weights(lively_weights(sizes))
    X, T = data(sizes, 5)
    Y = network.predict(X)
    for i in range(len(X)):
        assert_allclose(Y[i], network.predict(X[i]), **TOL[dtype])
    per_sample = [network.loss_value(x, t) for x, t in zip(X, T)]
    assert_allclose(network.loss_value(X, T), np.mean(per_sample), **TOL[dtype])
    assert_allclose(network.loss_value(X[0], T[0]), 0.5 * np.sum((T[0] - Y[0]) ** 2), **TOL[dtype])  # eq. 4.9


@pytest.mark.parametrize("dtype", DTYPES)
def test_batch_gradient_is_the_mean_of_the_per_sample_gradients(dtype):
    sizes = [6, 5, 4, 3]
    network = Network(sizes, dtype=dtype)
    network.set_weights(lively_weights(sizes))
    X, T = data(sizes, 9)
    batch = network.gradients(X, T)
    singles = [network.gradients(x, t) for x, t in zip(X, T)]
    for layer, (dW, db) in enumerate(batch):
        assert_allclose(dW, np.mean([g[layer][0] for g in singles], axis=0), **TOL[dtype])
        assert_allclose(db, np.mean([g[layer][1] for g in singles], axis=0), **TOL[dtype])


def test_gradient_is_the_true_gradient_not_the_texts_delta_x():
    # dE/db of the output layer is -delta = -y(1 - y)(t - y) (eq. 4.1 with the sign of eq. 4.17)
    sizes = [3, 4, 2]
    network = Network(sizes)
    network.set_weights(lively_weights(sizes))
    x, t = np.array([0.2, 0.7, 0.4]), np.array([0.9, 0.1])
    y = network.predict(x)
    (_, _), (dW_out, db_out) = network.gradients(x, t)
    delta = y * (1 - y) * (t - y)
    assert_allclose(db_out, -delta, rtol=1e-13)
    a = sigmoid(network.layers[0].W @ x + network.layers[0].b)
    assert_allclose(dW_out, -np.outer(delta, a), rtol=1e-13)


def test_forward_backward_leave_the_gradient_and_deltas_in_the_layers():
    sizes = [4, 3, 2]
    network = Network(sizes)
    network.set_weights(lively_weights(sizes))
    X, T = data(sizes, 3)
    before = network.get_weights()
    Y = network.forward(X).copy()
    E = network.backward(T)
    assert_allclose(network.layers[-1].delta, Y * (1 - Y) * (T - Y), rtol=1e-14)  # eq. 6.2
    layer_gradients = [(layer.dW.copy(), layer.db.copy()) for layer in network.layers]
    assert_allclose(E, network.loss_value(X, T), rtol=1e-14)
    assert_allclose(Y, network.predict(X), rtol=1e-14)
    for (dW0, db0), (dW, db) in zip(layer_gradients, network.gradients(X, T)):
        assert_array_equal(dW0, dW)
        assert_array_equal(db0, db)
    for (W0, b0), (W1, b1) in zip(before, network.get_weights()):
        assert_array_equal(W0, W1)  # no weight changed
        assert_array_equal(b0, b1)


def test_same_seed_gives_the_object_networks_weights():
    for sizes, seed in (([3, 4, 2], 0), ([5, 6, 4, 3], 11)):
        oo = oo_network.Network(sizes, seed=seed).get_weights()
        vec = Network(sizes, seed=seed).get_weights()
        for (W0, b0), (W1, b1) in zip(oo, vec):
            assert_array_equal(W0, W1)
            assert_array_equal(b0, b1)
    weights = Network([784, 30, 10], seed=3).get_weights()
    assert all(np.abs(W).max() <= 0.1 and np.abs(b).max() <= 0.1 for W, b in weights)
    assert np.abs(weights[0][0]).max() > 0.099  # the whole range [-0.1, 0.1] is used
    assert not np.array_equal(weights[0][0], Network([784, 30, 10], seed=4).get_weights()[0][0])


# --- the layer on its own ----------------------------------------------------------------


def test_layer_forward_backward_update():
    rng = np.random.default_rng(5)
    layer = FullConnectedLayer(4, 3, "sigmoid", rng=rng)
    layer.W[...] = rng.uniform(-1, 1, (3, 4))
    layer.b[...] = rng.uniform(-1, 1, 3)
    X = rng.random((6, 4))  # pretend these are sigmoid outputs of a layer below
    A = layer.forward(X)
    assert A.shape == (6, 3) and A is layer.output
    assert_allclose(A, sigmoid(X @ layer.W.T + layer.b), rtol=1e-14)  # eq. 6.1
    delta = rng.normal(size=(6, 3))
    W_before = layer.W.copy()
    delta_prev = layer.backward(delta)
    assert_allclose(delta_prev, delta @ W_before, rtol=1e-13)  # W^T delta; the network multiplies by f' (eq. 6.3)
    assert_allclose(layer.dW, -(delta.T @ X) / 6, rtol=1e-13)  # eq. 6.5: mean, true sign
    assert_allclose(layer.db, -delta.mean(axis=0), rtol=1e-13)  # eq. 6.6
    assert layer.backward(delta, propagate=False) is None
    layer.update(0.5)
    assert_allclose(layer.W, W_before + 0.5 * (delta.T @ X) / 6, rtol=1e-13)  # W += eta mean(delta x^T)
    with pytest.raises(ValueError, match=r"expected X of shape \(N, 4\)"):
        layer.forward(X[0])  # the layer takes rows only
    with pytest.raises(ValueError, match=r"expected delta of shape \(6, 3\)"):
        layer.backward(delta[:2])
    with pytest.raises(ValueError, match="positive int"):
        FullConnectedLayer(0, 3, "sigmoid")


def test_a_custom_activator_object_gives_the_builtin_results():
    class MySigmoid:  # an activator the fast paths do not know
        name = "my sigmoid"

        @staticmethod
        def forward(net):
            return 1 / (1 + np.exp(-net))

        @staticmethod
        def backward(y):
            return y * (1 - y)

    sizes = [5, 4, 3]
    builtin, custom = Network(sizes, seed=2), Network(sizes, activator=MySigmoid(), seed=2)
    X, T = data(sizes, 6)
    assert_allclose(custom.predict(X), builtin.predict(X), rtol=1e-14)
    builtin.train(T, X, 0.5, 2, batch_size=4)
    custom.train(T, X, 0.5, 2, batch_size=4)
    for (W0, b0), (W1, b1) in zip(builtin.get_weights(), custom.get_weights()):
        assert_allclose(W1, W0, rtol=1e-13, atol=1e-16)
        assert_allclose(b1, b0, rtol=1e-13, atol=1e-16)


# --- training steps ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_train_batch_is_one_step_with_the_mean_gradient(dtype):
    sizes = [6, 5, 3]
    network = Network(sizes, dtype=dtype)
    network.set_weights(lively_weights(sizes))
    X, T = data(sizes, 8)
    before, grads = network.get_weights(), network.gradients(X, T)
    loss_before = network.loss_value(X, T)
    returned = network.train_batch(X, T, 0.7)
    assert_allclose(returned, loss_before, **TOL[dtype])  # the loss measured before the update
    for (W, b), (dW, db), (W_new, b_new) in zip(before, grads, network.get_weights()):
        assert_allclose(W_new, W - dtype(0.7) * dW, **TOL[dtype])
        assert_allclose(b_new, b - dtype(0.7) * db, **TOL[dtype])
    assert network.loss_value(X, T) < loss_before


def test_train_with_batches_is_train_batch_on_consecutive_rows():
    sizes = [6, 5, 3]
    a, b = Network(sizes, seed=1), Network(sizes, seed=1)
    X, T = data(sizes, 10)
    a.train(T, X, 0.4, 2, batch_size=4)  # batches of 4, 4, 2
    for _ in range(2):
        for start in (0, 4, 8):
            b.train_batch(X[start:start + 4], T[start:start + 4], 0.4)
    for (W0, b0), (W1, b1) in zip(a.get_weights(), b.get_weights()):
        assert_array_equal(W0, W1)
        assert_array_equal(b0, b1)


def test_single_sample_step_matches_the_text_update():
    sizes = [3, 4, 2]
    network = Network(sizes)
    weights = lively_weights(sizes)
    network.set_weights(weights)
    x, t = np.array([0.9, 0.1, 0.8]), np.array([0.9, 0.1])
    network.train_batch(x, t, 0.5)  # a 1-D sample is one step on one sample
    (W1, b1), (W2, b2) = weights
    a = sigmoid(W1 @ x + b1)
    y = sigmoid(W2 @ a + b2)
    delta_out = y * (1 - y) * (t - y)  # eq. 6.2
    delta_hidden = a * (1 - a) * (W2.T @ delta_out)  # eq. 6.3
    (W1_new, b1_new), (W2_new, b2_new) = network.get_weights()
    assert_allclose(W2_new, W2 + 0.5 * np.outer(delta_out, a), rtol=1e-13)  # eq. 6.5
    assert_allclose(b2_new, b2 + 0.5 * delta_out, rtol=1e-13)  # eq. 6.6
    assert_allclose(W1_new, W1 + 0.5 * np.outer(delta_hidden, x), rtol=1e-13)
    assert_allclose(b1_new, b1 + 0.5 * delta_hidden, rtol=1e-13)


def test_training_learns_the_8_3_8_identity_task():
    # the classic auto-encoder: 8 one-hot inputs (0.9/0.1), squeezed through 3 hidden units, reproduced
    X = np.full((8, 8), 0.1) + 0.8 * np.eye(8)
    network = Network([8, 3, 8], seed=0)
    loss_before = network.loss_value(X, X)
    assert (network.predict(X).argmax(axis=1) != np.arange(8)).any()
    network.train(X, X, 2.0, 1000, batch_size=1)
    loss_after = network.loss_value(X, X)
    assert loss_after < 0.05 * loss_before, (loss_before, loss_after)
    assert_array_equal(network.predict(X).argmax(axis=1), np.arange(8))  # every pattern comes back


# --- dtypes --------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_dtype_is_kept_everywhere(dtype):
    sizes = [6, 5, 3]
    network = Network(sizes, dtype=dtype)
    assert network.dtype == np.dtype(dtype)
    X, T = data(sizes, 4)  # float64 data: cast to the network's dtype
    assert network.predict(X).dtype == dtype and network.predict(X[0]).dtype == dtype
    assert all(dW.dtype == dtype and db.dtype == dtype for dW, db in network.gradients(X, T))
    network.train(T, X, 0.5, 1, batch_size=2)
    network.train_batch(X, T, 0.5)
    network.set_weights(lively_weights(sizes))  # float64 weights in
    for layer in network.layers:
        for array in (layer.W, layer.b, layer.dW, layer.db, layer.output):
            assert array.dtype == dtype
    assert all(W.dtype == dtype and b.dtype == dtype for W, b in network.get_weights())


def test_float32_and_float64_give_close_results():
    sizes = [20, 10, 4]
    n64, n32 = Network(sizes, seed=3), Network(sizes, seed=3, dtype=np.float32)
    X, T = data(sizes, 30)
    n64.train(T, X, 0.5, 3, batch_size=5)
    n32.train(T, X, 0.5, 3, batch_size=5)
    assert_allclose(n32.predict(X), n64.predict(X), rtol=1e-4, atol=1e-5)


def test_sigmoid_layers_never_warn_and_match_the_package_sigmoid():
    network = Network([3, 2])
    network.set_weights([(np.array([[1e30, 0.0, 0.0], [-1e30, 0.0, 0.0]]), np.array([0.0, 0.5]))])
    X = np.array([[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [1e-20, 0.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Y = network.predict(X)
        network.train_batch(X, np.full((4, 2), 0.5), 0.1)
    assert_array_equal(Y, sigmoid(X @ np.array([[1e30, -1e30], [0.0, 0.0], [0.0, 0.0]]) + [0.0, 0.5]))
    assert_array_equal(Y[:2], [[1.0, 0.0], [0.0, 1.0]])


# --- weights in and out -------------------------------------------------------------------------


def test_get_and_set_weights_round_trip():
    sizes = [5, 4, 3]
    a, b = Network(sizes, seed=1), Network(sizes, seed=2)
    X, _ = data(sizes, 3)
    assert not np.allclose(a.predict(X), b.predict(X))
    b.set_weights(a.get_weights())
    assert_array_equal(b.predict(X), a.predict(X))
    for (W0, b0), (W1, b1) in zip(a.get_weights(), b.get_weights()):
        assert_array_equal(W0, W1)
        assert_array_equal(b0, b1)
    weights = a.get_weights()
    weights[0][0][...] = 0.0  # a copy: the network does not change
    assert (a.layers[0].W != 0.0).any()
    W_object = a.layers[0].W
    a.set_weights(weights)  # copied into the existing arrays
    assert a.layers[0].W is W_object and (W_object == 0.0).all()


def test_dump_prints_sizes_and_weights():
    network = Network([3, 4, 2], seed=0)
    out = io.StringIO()
    network.dump(file=out)
    text = out.getvalue()
    assert "Network 3-4-2" in text and "sigmoid" in text and "float64" in text
    assert "26 weights" in text  # 4 * (3 + 1) + 2 * (4 + 1)
    assert "W (4, 3)" in text and "b (2,)" in text
    assert f"{network.layers[1].b[0]:.4f}" in text


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("sizes", [[784], [], [784, 0, 10], [784, -3, 10], [784, 30.0, 10], "784-30-10",
                                   784, [784, True, 10], None])
def test_bad_layer_sizes(sizes):
    with pytest.raises(ValueError, match="at least two positive integers"):
        Network(sizes)


def test_bad_dtype():
    with pytest.raises(ValueError, match="float64 or numpy.float32"):
        Network([3, 2], dtype=np.int32)
    with pytest.raises(ValueError, match="float64 or numpy.float32"):
        Network([3, 2], dtype="float16")


def test_input_of_the_wrong_shape():
    network = Network([784, 30, 10])
    with pytest.raises(ValueError, match=r"length 784 .*got shape \(28, 28\): flatten it with x.reshape\(-1\)"):
        network.predict(np.zeros((28, 28)))
    with pytest.raises(ValueError, match=r"got shape \(5, 28, 28\): flatten each image"):
        network.predict(np.zeros((5, 28, 28)))
    with pytest.raises(ValueError, match=r"\(N, 784\).*got shape \(783,\)"):
        network.predict(np.zeros(783))
    with pytest.raises(ValueError, match=r"got shape \(2, 10\)"):
        network.loss_value(np.zeros((2, 10)), np.zeros((2, 10)))
    with pytest.raises(ValueError, match="numbers"):
        network.predict(["a"] * 784)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_infinite_input(bad):
    network = Network([4, 3, 2])
    x = np.array([0.1, 0.2, bad, 0.4])
    with pytest.raises(ValueError, match="finite"):
        network.predict(x)
    with pytest.raises(ValueError, match="finite"):
        network.train_batch(np.stack([x, x]), np.zeros((2, 2)), 0.1)
    with pytest.raises(ValueError, match="finite"):
        network.loss_value(np.zeros(4), np.array([0.1, bad]))
    with pytest.raises(ValueError, match="finite"):
        network.set_weights([(np.full((3, 4), bad), np.zeros(3)), (np.zeros((2, 3)), np.zeros(2))])
    with pytest.raises(ValueError, match="finite"):
        Network([4, 2], dtype=np.float32).predict(np.array([1e300, 0, 0, 0]))  # inf once in float32


@pytest.mark.parametrize("rate", [0, -0.1, np.nan, np.inf, "0.1", True, None])
def test_bad_learning_rate(rate):
    network = Network([4, 3, 2])
    X, T = data([4, 3, 2], 3)
    with pytest.raises(ValueError, match="positive learning rate"):
        network.train_batch(X, T, rate)
    with pytest.raises(ValueError, match="positive learning rate"):
        network.train(T, X, rate, 1)


def test_targets_of_the_wrong_shape():
    network = Network([4, 3, 2])
    X, T = data([4, 3, 2], 3)
    with pytest.raises(ValueError, match=r"target t of shape \(3, 2\).*got shape \(3, 3\)"):
        network.train_batch(X, np.zeros((3, 3)), 0.1)
    with pytest.raises(ValueError, match=r"target t of shape \(2,\).*got shape \(1, 2\)"):
        network.gradients(X[0], T[:1])  # a 1-D sample wants a 1-D target
    with pytest.raises(ValueError, match=r"target t of shape \(3, 2\)"):
        network.loss_value(X, T[:2])
    with pytest.raises(ValueError, match="as many labels as samples"):
        network.train(T[:2], X, 0.1, 1)
    with pytest.raises(ValueError, match=r"labels of shape \(N, 2\)"):
        network.train(T[:, :1], X, 0.1, 1)


def test_bad_epoch_batch_size_and_weights():
    network = Network([4, 3, 2])
    X, T = data([4, 3, 2], 3)
    for epoch in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="epochs to be a positive int"):
            network.train(T, X, 0.1, epoch)
    with pytest.raises(ValueError, match="batch_size to be a positive int"):
        network.train(T, X, 0.1, 1, batch_size=0)
    with pytest.raises(ValueError, match=r"list of 2 \(W, b\) pairs"):
        network.set_weights(network.get_weights()[:1])
    with pytest.raises(ValueError, match=r"W of shape \(3, 4\) \(outputs, inputs\)"):
        network.set_weights([(np.zeros((4, 3)), np.zeros(3)), (np.zeros((2, 3)), np.zeros(2))])


# --- the gradient, made when it is needed ----------------------------------------------------


def test_the_sum_of_outer_products_is_the_matrix_product_for_one_row_and_for_many():
    rng = np.random.default_rng(8)
    D, X = rng.normal(size=(5, 3)), rng.normal(size=(5, 4))
    assert_array_equal(sum_of_outer_products(D[:1], X[:1]), np.outer(D[0], X[0]))  # one row: the outer product
    assert_allclose(sum_of_outer_products(D[:1], X[:1]), D[:1].T @ X[:1], rtol=1e-15)
    assert_allclose(sum_of_outer_products(D, X), sum(np.outer(d, x) for d, x in zip(D, X)), rtol=1e-13)  # eq. 6.5


def test_a_layers_gradient_belongs_to_its_last_backward_and_is_refused_after_a_new_forward():
    rng = np.random.default_rng(9)
    layer = FullConnectedLayer(4, 3, "sigmoid", rng=rng)
    X, delta = rng.random((2, 4)), rng.normal(size=(2, 3))
    layer.forward(X)
    with pytest.raises(ValueError, match="needs a backward pass"):
        layer.update(0.1)
    layer.backward(delta)
    dW = layer.dW
    layer.update(0.1)  # the step does not change what the last backward's gradient was
    assert_array_equal(layer.dW, dW)
    layer.forward(X[:1])
    for read in (lambda: layer.dW, lambda: layer.db, lambda: layer.update(0.1)):
        with pytest.raises(ValueError, match="needs a backward pass after the last forward pass"):
            read()
