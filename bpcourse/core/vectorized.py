"""The vectorized network of the text's last section (eq. 6.1-6.6): matrices instead of objects.

One :class:`FullConnectedLayer` replaces all the Node and Connection objects
between two layers of :mod:`bpcourse.core.oo_network`: its weights are one matrix
``W`` of shape (outputs, inputs), W[j, i] = w_ji (target first, as in the
text), and one bias vector ``b`` of shape (outputs,), b[j] = w_jb.
:class:`Network` chains such layers and offers the same interface as the
object network, plus mini-batches.

Rows, not columns
-----------------
The text writes one sample as a column vector, a = f(W x) (eq. 6.1). Here a
*batch* of N samples is a 2-D array with one sample per **row**, shape
(N, n_in), so eq. 6.1 for all rows at once reads ``A = f(X @ W.T + b)``,
shape (N, n_out); row n of A is the text's column a for sample n.
``Network`` also takes a single sample as a 1-D array of shape (n_in,) and
then answers with 1-D arrays; ``FullConnectedLayer`` works on 2-D rows only
(a single sample is a row of shape (1, n_in)).

Signs
-----
The text's error term is delta = -dE/dnet for E = 1/2 sum (t - y)^2 (eq. 4.9),
so the text *adds* eta * delta x^T to W (eq. 6.5). ``delta`` here has the
text's sign everywhere. The gradients this module hands out (``gradients``,
``FullConnectedLayer.dW`` and ``db``) are the TRUE gradient dE/dW = -delta x^T,
so a step of gradient descent is W -= eta * dW. The minus sign is applied in
exactly one place, :meth:`FullConnectedLayer.backward`.

Mini-batches
------------
One step on a batch of N samples uses the MEAN of the N per-sample
gradients: W -= eta * (1/N) sum_n dE_n/dW. With N = 1 this is the text's
per-sample SGD; with a larger N the same ``rate`` moves the weights about as
far per step as one per-sample step, so a mini-batch run usually wants a
larger rate than a per-sample run.

Speed
-----
The training step runs no Python loop over samples: every layer does two
matrix products (forward, gradient) and one more to pass delta down. All
intermediate arrays live in buffers that are allocated once and reused at
every step (ufuncs and ``matmul`` write into them with ``out=``), and all
arrays have the network's dtype, float64 or float32 (twice as fast). The
sigmoid and tanh are evaluated in place without overflow or warnings; the
sigmoid gives the same bits as :func:`bpcourse.core.activations.sigmoid`.
"""

import sys

import numpy as np

from bpcourse.core.activations import SigmoidActivator, TanhActivator, get_activator
from bpcourse.core.validation import (
    as_array,
    as_rows,
    check_finite,
    check_layer_sizes,
    check_positive_int,
    check_rate,
    check_weights,
    describe,
)

__all__ = ["FullConnectedLayer", "Network"]

SUPPORTED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class FullConnectedLayer:
    """One fully connected layer a = f(W x + b) (eq. 6.1), for a batch of rows.

    Parameters
    ----------
    input_size, output_size : int > 0
        Number of inputs n_in and of outputs (neurons) n_out.
    activator : "sigmoid", "tanh" or an activator object
        The activation f (see :mod:`bpcourse.core.activations`).
    rng : numpy.random.Generator or int seed, optional
        Draws W and b uniform in [-0.1, 0.1] (None means seed 0), as one
        array U of shape (input_size + 1, output_size): W = U[:-1].T,
        b = U[-1]. That is the order in which the object network draws its
        connections (bias connections included, like the text's object
        network), so the same seed gives both networks the same weights.
        (The text's vectorized layer starts its biases at 0 instead.)
    dtype : numpy.float64 or numpy.float32
        The dtype of every array of the layer.

    Attributes
    ----------
    W : array, shape (output_size, input_size)
        W[j, i] = w_ji, the weight from input i to neuron j.
    b : array, shape (output_size,)
        b[j] = w_jb, the bias of neuron j.
    dW : array, shape (output_size, input_size); db : array, shape (output_size,)
        The TRUE gradient dE/dW, dE/db of the last :meth:`backward`, the mean
        over the batch (the text's W_grad is -dW). :meth:`Network.train_batch`
        does not fill them (it updates W directly).
    input : array, shape (N, input_size)
        The input of the last :meth:`forward` (kept, not copied).
    output : array, shape (N, output_size)
        The output a of the last :meth:`forward`; a reused buffer, overwritten
        by the next call (copy it to keep it).
    delta : array, shape (N, output_size)
        The error term of this layer's outputs (text's sign) given to the last
        :meth:`backward`.
    """

    def __init__(self, input_size, output_size, activator, rng=None, dtype=np.float64):
        self.input_size = check_positive_int(input_size, "input_size")
        self.output_size = check_positive_int(output_size, "output_size")
        self.activator = get_activator(activator)
        self.dtype = _check_dtype(dtype)
        if not isinstance(rng, np.random.Generator):
            rng = np.random.default_rng(0 if rng is None else rng)
        shape = (self.output_size, self.input_size)
        # One draw U of shape (n_in + 1, n_out), the object network's order
        # (input i outer, neuron j inner, bias row last): the same seed gives
        # both networks the same weights.
        U = rng.uniform(-0.1, 0.1, size=(self.input_size + 1, self.output_size))
        self.W = np.ascontiguousarray(U[:-1].T, dtype=self.dtype)
        self.b = U[-1].astype(self.dtype)
        self.dW = np.zeros(shape, dtype=self.dtype)
        self.db = np.zeros(self.output_size, dtype=self.dtype)
        self.input = None
        self.output = None
        self.delta = None
        self._step_W = np.zeros(shape, dtype=self.dtype)  # the update -eta * dW of a training step
        self._step_b = np.zeros(self.output_size, dtype=self.dtype)
        self._buffers = _Buffers(self.dtype)

    def forward(self, X):
        """Forward pass for a batch (eq. 6.1 row-wise): A = f(X W^T + b).

        Inputs:
        - X: array of shape (N, input_size), one sample per row, in the
          layer's dtype (no copy is made; do not change it before backward).

        Returns:
        - A: array of shape (N, output_size), also stored as ``self.output``.
          It is a reused buffer: the next forward overwrites it.
        """
        if not (isinstance(X, np.ndarray) and X.ndim == 2 and X.shape[1] == self.input_size):
            raise ValueError(
                f"expected X of shape (N, {self.input_size}) (one sample per row), "
                f"got {describe(X)}"
            )
        if X.dtype != self.dtype:
            X = X.astype(self.dtype)
        n = X.shape[0]
        net = self._buffers.get("net", n, self.output_size)
        np.matmul(X, self.W.T, out=net)  # eq. 6.1: net = W x for every row
        net += self.b
        A = self._buffers.get("output", n, self.output_size)
        _activate(self.activator, net, A, self._buffers.get("mask", n, self.output_size, np.bool_))
        self.input = X
        self.output = A
        return A

    def backward(self, delta, propagate=True):
        """Backward pass: the gradient of this layer and the delta of the layer below.

        Inputs:
        - delta: array of shape (N, output_size), the error term of this
          layer's outputs in the TEXT's sign, delta = -dE/dnet (eq. 6.2 for
          the output layer, eq. 6.3 for a hidden one). Needs the last
          :meth:`forward` on the same N samples.
        - propagate: if False, skip the delta of the layer below (the first
          layer's inputs are the data; no weight needs their delta).

        Sets ``self.dW`` (output_size, input_size) and ``self.db``
        (output_size,) to the true gradient dE/dW, dE/db averaged over the N
        samples: dW = -(1/N) sum_n delta_n x_n^T (eq. 6.5 without eta, sign
        turned), db = -(1/N) sum_n delta_n (eq. 6.6).

        Returns:
        - delta_prev: array of shape (N, input_size) (a reused buffer), or
          None when ``propagate`` is False:
          delta_prev = f'(input) * (delta @ W), eq. 6.3 row-wise
          (a^(l)(1 - a^(l)) * W^T delta^(l+1) for the sigmoid).
          As in the text's layer, the derivative f' is applied HERE, to this
          layer's input (the outputs a of the layer below), using this
          layer's activator; that is right because every layer of a
          :class:`Network` uses the same activation.
        """
        delta = self._check_delta(delta)
        # The sign meets the code here: the text's delta is -dE/dnet, so the true
        # gradient is dE/dW = -delta x^T (eq. 4.17), averaged over the N rows.
        return self._backward(delta, -1.0 / delta.shape[0], self.dW, self.db, propagate)

    def update(self, rate):
        """One gradient-descent step with the gradient of the last backward: W -= rate * dW, b -= rate * db.

        This is eq. 6.5 and 6.6 (W += eta * delta x^T) written with the true
        gradient. ``rate`` is the learning rate eta > 0.
        """
        rate = check_rate(rate)
        np.multiply(self.dW, rate, out=self._step_W)
        self.W -= self._step_W
        np.multiply(self.db, rate, out=self._step_b)
        self.b -= self._step_b

    def __repr__(self):
        return (f"FullConnectedLayer({self.input_size} -> {self.output_size}, "
                f"{self.activator.name}, {self.dtype.name})")

    # --- internals ------------------------------------------------------

    def _backward(self, delta, scale, gW, gb, propagate):
        """gW = scale * delta^T input, gb = scale * sum(delta), and the delta of the layer below.

        With scale = -1/N, (gW, gb) is the mean true gradient; with
        scale = eta/N it is the text's update eta * mean(delta x^T) (eq. 6.5, 6.6).
        """
        n = delta.shape[0]
        self.delta = delta
        delta_prev = None
        if propagate:  # before any update: eq. 6.3 needs the current W
            delta_prev = self._buffers.get("delta_prev", n, self.input_size)
            np.matmul(delta, self.W, out=delta_prev)  # row n: (W^T delta_n)^T
            scratch = self._buffers.get("scratch_in", n, self.input_size)
            _times_derivative(self.activator, self.input, delta_prev, scratch)  # eq. 6.3
        scaled = self._buffers.get("scaled", n, self.output_size)
        np.multiply(delta, scale, out=scaled)
        np.matmul(scaled.T, self.input, out=gW)  # eq. 6.5: sum over n of delta_n x_n^T
        np.sum(scaled, axis=0, out=gb)  # eq. 6.6: the bias input is always 1
        return delta_prev

    def _descend(self, delta, rate, propagate):
        """Training step of this layer: W += (eta/N) sum_n delta_n x_n^T (eq. 6.5), b likewise (eq. 6.6).

        Returns the delta of the layer below (computed with the old W) or None.
        """
        delta_prev = self._backward(delta, rate / delta.shape[0], self._step_W, self._step_b, propagate)
        self.W += self._step_W
        self.b += self._step_b
        return delta_prev

    def _check_delta(self, delta):
        if self.input is None:
            raise ValueError("backward needs a forward pass first (it uses the layer's input)")
        n = self.input.shape[0]
        if not (isinstance(delta, np.ndarray) and delta.shape == (n, self.output_size)):
            raise ValueError(
                f"expected delta of shape ({n}, {self.output_size}) (one row per sample of the "
                f"last forward pass), got {describe(delta)}"
            )
        if delta.dtype != self.dtype:
            delta = delta.astype(self.dtype)
        return delta


class Network:
    """A fully connected network built from :class:`FullConnectedLayer` (the text's vectorized Network).

    Parameters
    ----------
    layer_sizes : sequence of int, at least two
        Neurons per layer, input first, e.g. ``[784, 300, 10]``.
    activator : "sigmoid", "tanh" or an activator object
        The activation of every hidden and output neuron.
    seed : int or numpy.random.Generator
        W and b of every layer uniform in [-0.1, 0.1], drawn from
        ``numpy.random.default_rng(seed)`` layer by layer from the input
        side, in the object network's order (see :class:`FullConnectedLayer`):
        ``Network(sizes, seed=s)`` here and in :mod:`bpcourse.core.oo_network`
        start with the same weights.
    dtype : numpy.float64 (default) or numpy.float32
        The dtype of the weights and of every computation; inputs are cast
        to it once.

    Attributes
    ----------
    layer_sizes : tuple of int
    activator : activator object
    dtype : numpy.dtype
    layers : list of FullConnectedLayer, one per pair of adjacent layers

    Single samples and batches
    --------------------------
    Every method takes one sample x as a 1-D array of shape (n_in,) (and
    answers with 1-D arrays, shape (n_out,)) or a batch as a 2-D array of
    shape (N, n_in), one sample per row (and answers with (N, n_out)).
    """

    def __init__(self, layer_sizes, activator="sigmoid", seed=0, dtype=np.float64):
        self.layer_sizes = check_layer_sizes(layer_sizes)
        self.activator = get_activator(activator)
        self.dtype = _check_dtype(dtype)
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.layers = [
            FullConnectedLayer(n_in, n_out, self.activator, rng=rng, dtype=self.dtype)
            for n_in, n_out in zip(self.layer_sizes[:-1], self.layer_sizes[1:])
        ]
        self._buffers = _Buffers(self.dtype)

    # --- the shared interface -------------------------------------------

    def predict(self, x):
        """The network's output (eq. 3.1, 6.1 layer after layer).

        Inputs:
        - x: one sample, shape (n_in,), or a batch, shape (N, n_in).

        Returns:
        - y: a new array of the network's dtype, shape (n_out,) or (N, n_out).
        """
        X, single = self._check_input(x)
        A = X
        for layer in self.layers:
            net = np.matmul(A, layer.W.T)  # eq. 6.1
            net += layer.b
            A = np.empty_like(net)
            _activate(self.activator, net, A, np.empty(net.shape, dtype=np.bool_))
        return A[0] if single else A

    def loss(self, x, t):
        """E = 1/2 sum_i (t_i - y_i)^2 (eq. 4.9), summed over the outputs.

        Inputs:
        - x: shape (n_in,) or (N, n_in); t: shape (n_out,) or (N, n_out), the same form as x.

        Returns a float: E of the sample, or for a batch the mean over the N samples.
        """
        X, single = self._check_input(x)
        T = self._check_target(t, X.shape[0], single)
        err = T - self.predict(X)
        return 0.5 * float(np.vdot(err, err)) / X.shape[0]

    def gradients(self, x, t):
        """The true gradient of E (eq. 4.9) with respect to every weight, for one sample or a batch.

        Inputs:
        - x: shape (n_in,) or (N, n_in); t: shape (n_out,) or (N, n_out), the same form as x.

        Returns:
        - a list with one (dW, db) per layer (new arrays): dW of shape
          (n_out, n_in) with dW[j, i] = dE/dw_ji, db of shape (n_out,). For a
          batch, the mean over the N samples of the per-sample gradients.
          An SGD step is W -= eta * dW. (The text's delta * x is -dW.)
        """
        self.get_gradient(x, t)
        return [(layer.dW.copy(), layer.db.copy()) for layer in self.layers]

    def get_gradient(self, sample, label):
        """The text's method: forward and backward pass, gradients left in the layers; returns nothing.

        Inputs:
        - sample: x, shape (n_in,) or (N, n_in); label: t, shape (n_out,) or (N, n_out).

        Afterwards ``layers[l].dW`` and ``layers[l].db`` hold the true (mean)
        gradient, ``layers[l].output`` the outputs a and ``layers[l].delta``
        the text's error terms (N, n_out) of layer l's outputs. No weight changes.
        """
        X, single = self._check_input(sample)
        T = self._check_target(label, X.shape[0], single)
        delta, _ = self._output_delta(self._forward(X), T)
        for index in range(len(self.layers) - 1, -1, -1):
            delta = self.layers[index].backward(delta, propagate=index > 0)

    def train(self, labels, data_set, rate, epoch, batch_size=1):
        """SGD over the samples in their order, as in the text (per sample when batch_size is 1).

        Inputs:
        - labels: targets T, shape (N, n_out), one row per sample (note the
          text's order: labels first).
        - data_set: inputs X, shape (N, n_in), one row per sample.
        - rate: the learning rate eta > 0.
        - epoch: the number of passes over the data, an int >= 1.
        - batch_size: samples per step (int >= 1); consecutive rows form a
          batch, the last one may be smaller; each step uses the batch's
          mean gradient (see :meth:`train_batch`).

        Returns nothing. For shuffling, evaluation and checkpoints use
        :func:`bpcourse.core.training.fit`.
        """
        X = as_rows(data_set, "data_set", self.layer_sizes[0], self.dtype, "an input per row")
        T = as_rows(labels, "labels", self.layer_sizes[-1], self.dtype, "a target vector (e.g. one-hot) per row")
        if len(X) != len(T):
            raise ValueError(f"expected as many labels as samples, got {len(T)} labels for {len(X)} samples")
        rate = check_rate(rate)
        epoch = check_positive_int(epoch, "epoch", "the number of passes")
        batch_size = check_positive_int(batch_size, "batch_size", "samples per step")
        for _ in range(epoch):
            for start in range(0, len(X), batch_size):
                self._train_step(X[start:start + batch_size], T[start:start + batch_size], rate)

    def train_batch(self, X, T, rate):
        """One SGD step on one mini-batch, with the MEAN gradient of its samples.

        W -= rate * (1/N) sum_n dE_n/dW for every layer, i.e. the text's
        eq. 6.5, 6.6 averaged over the batch (N = 1 is the text's per-sample step).

        Inputs:
        - X: shape (N, n_in), one sample per row (or one sample, shape (n_in,)).
        - T: shape (N, n_out) (or (n_out,)), the same form as X.
        - rate: the learning rate eta > 0.

        Returns:
        - the mean loss E (eq. 4.9) over the batch, measured in the forward
          pass of this step, i.e. BEFORE the update (a float).
        """
        X, single = self._check_input(X)
        T = self._check_target(T, X.shape[0], single)
        return self._train_step(X, T, check_rate(rate))

    def get_weights(self):
        """All weights as a list of (W, b) per layer (copies): W (n_out, n_in), b (n_out,)."""
        return [(layer.W.copy(), layer.b.copy()) for layer in self.layers]

    def set_weights(self, weights):
        """Set every weight from a list of (W, b) per layer, shapes as :meth:`get_weights`.

        Values are cast to the network's dtype and copied into the existing
        arrays; shapes and finiteness are checked for all layers before any
        weight changes.
        """
        checked = check_weights(weights, [(layer.W.shape, layer.b.shape) for layer in self.layers], self.dtype)
        for layer, (W, b) in zip(self.layers, checked):
            layer.W[...] = W
            layer.b[...] = b

    def dump(self, file=None, precision=4, threshold=40):
        """Print the network readably: sizes, then each layer's W and b (long arrays abbreviated).

        ``file``: where to print (default standard output); ``precision``:
        digits after the point; ``threshold``: arrays with more entries are
        summarized with "...".
        """
        out = sys.stdout if file is None else file
        sizes = "-".join(str(n) for n in self.layer_sizes)
        count = sum(layer.W.size + layer.b.size for layer in self.layers)
        print(f"Network {sizes}, activator {self.activator.name}, {self.dtype.name}, "
              f"{count:,} weights (biases included)", file=out)
        with np.printoptions(precision=precision, threshold=threshold, edgeitems=3, suppress=True):
            for index, layer in enumerate(self.layers):
                print(f"layer {index + 1}: {layer.input_size} inputs -> {layer.output_size} outputs", file=out)
                print(f"  W {layer.W.shape} =\n{_indent(np.array2string(layer.W), 4)}", file=out)
                print(f"  b {layer.b.shape} =\n{_indent(np.array2string(layer.b), 4)}", file=out)

    def __repr__(self):
        sizes = "-".join(str(n) for n in self.layer_sizes)
        return f"<vectorized Network {sizes}, {self.activator.name}, {self.dtype.name}>"

    # --- internals (no input checks: callers pass arrays of the right dtype and shape) ---

    def _forward(self, X):
        """X (N, n_in) -> Y (N, n_out), every layer keeping its input and output (buffers)."""
        A = X
        for layer in self.layers:
            A = layer.forward(A)
        return A

    def _output_delta(self, Y, T):
        """delta = f'(y) * (t - y) (eq. 6.2), shape (N, n_out), and the summed loss sum_n E_n (eq. 4.9)."""
        n, n_out = Y.shape
        delta = self._buffers.get("delta", n, n_out)
        np.subtract(T, Y, out=delta)  # t - y
        loss_sum = 0.5 * float(np.vdot(delta, delta))
        _times_derivative(self.activator, Y, delta, self._buffers.get("scratch_out", n, n_out))
        return delta, loss_sum

    def _train_step(self, X, T, rate):
        """One mean-gradient SGD step on X (N, n_in), T (N, n_out); returns the mean loss before it."""
        delta, loss_sum = self._output_delta(self._forward(X), T)
        for index in range(len(self.layers) - 1, -1, -1):
            delta = self.layers[index]._descend(delta, rate, propagate=index > 0)
        return loss_sum / X.shape[0]

    def _check_input(self, x):
        """Return (X as (N, n_in) of the network's dtype, whether x was a single 1-D sample)."""
        n_in = self.layer_sizes[0]
        X = as_array(x, "the input", self.dtype)
        single = X.ndim == 1 and X.shape[0] == n_in
        if not (single or (X.ndim == 2 and X.shape[1] == n_in)):
            message = (f"expected an input of length {n_in} (one sample) or a batch of shape "
                       f"(N, {n_in}) (one sample per row), got shape {X.shape}")
            if X.ndim >= 2 and X.size == n_in:
                message += ": flatten it with x.reshape(-1)"
            elif X.ndim == 3 and X.shape[1] * X.shape[2] == n_in:
                message += ": flatten each image with X.reshape(len(X), -1)"
            raise ValueError(message)
        check_finite(X, "the input")  # before the reshape, so that a message names positions, not rows
        return (X[None, :] if single else X), single

    def _check_target(self, t, n, single):
        """Return t as (n, n_out) of the network's dtype; t must have the same form as the input."""
        n_out = self.layer_sizes[-1]
        T = as_array(t, "the target", self.dtype)
        expected = (n_out,) if single else (n, n_out)
        if T.shape != expected:
            raise ValueError(
                f"expected a target t of shape {expected} (one value per output"
                f"{'' if single else ', one row per sample'}), got shape {T.shape}"
            )
        check_finite(T, "the target")
        return T.reshape(n, n_out)


# --- activations in place -------------------------------------------------------

def _activate(activator, net, out, mask):
    """out = f(net), elementwise; ``net`` is used as scratch space (its values are lost).

    net, out: arrays of the same shape (N, k) and dtype; mask: bool array of that shape.
    The sigmoid is evaluated as in :func:`bpcourse.core.activations.sigmoid`
    (exp(-|net|) never overflows, so no warning even for |net| = 1e30) and
    gives the same bits.
    """
    if activator.forward is SigmoidActivator.forward:
        np.greater_equal(net, 0, out=mask)
        np.abs(net, out=net)
        np.negative(net, out=net)
        np.exp(net, out=net)  # e = exp(-|net|), in (0, 1]
        np.add(net, 1.0, out=out)  # 1 + e
        np.copyto(net, 1.0, where=mask)  # numerator: 1 where net >= 0, e where net < 0
        np.divide(net, out, out=out)  # eq. 1.2
    elif activator.forward is TanhActivator.forward:
        np.tanh(net, out=out)
    else:
        out[...] = activator.forward(net)


def _times_derivative(activator, y, delta, scratch):
    """delta *= f'(net) written from the output y (eq. 1.4 for the sigmoid: y(1 - y)); scratch is overwritten."""
    if activator.backward is SigmoidActivator.backward:
        np.subtract(1.0, y, out=scratch)
        scratch *= y  # y(1 - y), eq. 1.4
        delta *= scratch
    elif activator.backward is TanhActivator.backward:
        np.multiply(y, y, out=scratch)
        np.subtract(1.0, scratch, out=scratch)  # 1 - y^2
        delta *= scratch
    else:
        delta *= activator.backward(y)


class _Buffers:
    """Arrays reused from step to step: one (capacity, width) array per name, handed out as views [:N]."""

    def __init__(self, dtype):
        self.dtype = dtype
        self._arrays = {}

    def get(self, name, n, width, dtype=None):
        array = self._arrays.get(name)
        if array is None or array.shape[0] < n:
            array = np.empty((n, width), dtype=self.dtype if dtype is None else dtype)
            self._arrays[name] = array
        return array[:n]


# --- helpers (the shared input checks are in bpcourse.core.validation) ------------------

def _check_dtype(dtype):
    try:
        checked = np.dtype(dtype)
    except TypeError:
        checked = None
    if checked not in SUPPORTED_DTYPES:
        raise ValueError(f"expected dtype numpy.float64 or numpy.float32, got {dtype!r}")
    return checked


def _indent(text, spaces):
    return "\n".join(" " * spaces + line for line in text.splitlines())
