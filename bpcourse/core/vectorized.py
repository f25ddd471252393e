"""The vectorized network of the text's last section (eq. 6.1-6.6): matrices instead of objects.

One layer replaces all the Node and Connection objects between two layers of
:mod:`bpcourse.core.oo_network`: its weights are one matrix ``W`` of shape
(outputs, inputs), W[j, i] = w_ji (target first, as in the text), and one
bias vector ``b`` of shape (outputs,), b[j] = w_jb.

:class:`FullConnectedLayer` is the text's layer: its ``forward`` and
``backward`` are eq. 6.1-6.6 in a few lines each. It is also the fast path:
each step is three matrix products per layer (BLAS does the work), the small
array (the delta) is scaled by eta/N before the step matrix is made, and the
gradient dW is made only when it is read (``benchmarks/per_sample_step.py``
compares the step with a plain NumPy loop).

:class:`Network` chains such layers and offers the same interface as the
object network (``predict``, ``loss_value``, ``gradients``, ``train_batch``,
``train``, ``get_weights``/``set_weights``, ``layer_sizes``, ``loss``).

Rows, not columns
-----------------
The text writes one sample as a column vector, a = f(W x) (eq. 6.1). Here a
*batch* of N samples is a 2-D array with one sample per **row**, shape
(N, n_in), so eq. 6.1 for all rows at once reads ``A = f(X @ W.T + b)``,
shape (N, n_out); row n of A is the text's column a for sample n.
``Network`` also takes a single sample as a 1-D array of shape (n_in,) and
then answers with 1-D arrays; the layers work on 2-D rows only (a single
sample is a row of shape (1, n_in)).

Signs
-----
As everywhere in :mod:`bpcourse.core`: ``delta`` is the text's -dE/dnet, and
``gradients``, a layer's ``dW`` and ``db`` are the true dE/dW = -delta x^T.

Mini-batches
------------
One step on a batch of N samples uses the MEAN of the N per-sample
gradients: W -= eta * (1/N) sum_n dE_n/dW. With N = 1 this is the text's
per-sample SGD.
"""

import sys

import numpy as np

from bpcourse.core.activations import get_activator
from bpcourse.core.divergence import check_loss
from bpcourse.core.network_edge import NetworkEdge
from bpcourse.core.validation import check_layer_input, check_positive_int, check_seed, check_weights

__all__ = ["FullConnectedLayer", "Network"]

SUPPORTED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class FullConnectedLayer:
    """One fully connected layer a = f(W x + b) (eq. 6.1), for a batch of rows: the text's layer.

    Parameters
    ----------
    input_size, output_size : int > 0
        Number of inputs n_in and of outputs (neurons) n_out.
    activator : "sigmoid", "tanh" or an activator object
        The activation f of this layer's outputs (see :mod:`bpcourse.core.activations`).
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
        over the batch (the text's W_grad is -dW), computed when read.
    input : array, shape (N, input_size)
        The input of the last :meth:`forward` (kept, not copied).
    output : array, shape (N, output_size)
        The output a of the last :meth:`forward`.
    delta : array, shape (N, output_size), or None
        The error term of this layer's outputs (text's sign) given to the
        last :meth:`backward`; None after a forward pass.
    """

    def __init__(self, input_size, output_size, activator, rng=None, dtype=np.float64):
        self.input_size = check_positive_int(input_size, "input_size")
        self.output_size = check_positive_int(output_size, "output_size")
        self.activator = get_activator(activator)
        self.dtype = check_dtype(dtype)
        rng = check_seed(0 if rng is None else rng, "rng")
        # One draw U of shape (n_in + 1, n_out), the object network's order
        # (input i outer, neuron j inner, bias row last): the same seed gives
        # both networks the same weights.
        U = rng.uniform(-0.1, 0.1, size=(self.input_size + 1, self.output_size))
        self.W = np.ascontiguousarray(U[:-1].T, dtype=self.dtype)
        self.b = U[-1].astype(self.dtype)
        self.input = None
        self.output = None
        self.delta = None

    def forward(self, X):
        """Forward pass for a batch (eq. 6.1 row-wise): A = f(X W^T + b).

        Inputs:
        - X: array of shape (N, input_size), one sample per row (no copy is
          made; do not change it before backward).

        Returns:
        - A: array of shape (N, output_size), also stored as ``self.output``.
        """
        self.input = check_layer_input(X, self.input_size, self.dtype)
        net = self.input @ self.W.T  # eq. 6.1: net = W x for every row ...
        net += self.b  # ... plus the bias (in place: one array fewer)
        self.output = self.activator.forward(net)  # eq. 6.1: a = f(net)
        self.delta = None  # a new forward pass: the last backward's delta belongs to other samples
        return self.output

    def backward(self, delta, propagate=True):
        """Backward pass: keep this layer's delta, and pass W^T delta down to the layer below.

        Inputs:
        - delta: array of shape (N, output_size), the error term of this
          layer's outputs in the TEXT's sign, delta = -dE/dnet (eq. 6.2 for
          the output layer, eq. 6.3 for a hidden one). Needs the last
          :meth:`forward` on the same N samples.
        - propagate: if False, skip W^T delta (the first layer's inputs are
          the data; no weight needs their delta).

        Returns:
        - ``delta @ W``, shape (N, input_size): row n is W^T delta_n, the
          text's eq. 6.3 before its factor f'(a) (or None when ``propagate``
          is False). Unlike the text's layer, which multiplies by the
          derivative of its own activation, the network multiplies by the
          derivative of the layer BELOW (the one that made this input), so a
          softmax output layer works too.

        The gradient itself is made only when it is needed: by :meth:`update`
        (as the step) or when you read :attr:`dW` and :attr:`db`.
        """
        self.delta = self._checked_delta(delta)
        return self.delta @ self.W if propagate else None  # before any update: eq. 6.3 needs the current W

    @property
    def dW(self):
        """The true gradient dE/dW of the last backward, mean over its N samples: -(1/N) sum_n delta_n x_n^T.

        Shape (output_size, input_size); a new array at every reading. It is
        eq. 6.5 without eta and with the sign turned (the text's W_grad is -dW).
        """
        return sum_of_outer_products(self._scaled_delta(-1.0), self.input)

    @property
    def db(self):
        """The true gradient dE/db of the last backward, -(1/N) sum_n delta_n, shape (output_size,) (eq. 6.6)."""
        return self._scaled_delta(-1.0).sum(axis=0)

    def update(self, rate):
        """One gradient-descent step with the delta of the last backward: eq. 6.5 and 6.6, averaged over the batch.

        W += (eta/N) sum_n delta_n x_n^T and b += (eta/N) sum_n delta_n, the
        text's update in the text's sign (the same as W -= eta * dW).
        ``rate`` is the learning rate eta > 0.
        """
        scaled = self._scaled_delta(rate)  # eta/N on the small array, not on W's
        self.W += sum_of_outer_products(scaled, self.input)  # eq. 6.5
        self.b += scaled.sum(axis=0)  # eq. 6.6: the bias input is always 1

    def __repr__(self):
        return (f"{type(self).__name__}({self.input_size} -> {self.output_size}, "
                f"{self.activator.name}, {self.dtype.name})")

    def _scaled_delta(self, scale):
        """(scale / N) times the delta of the last backward on N samples, shape (N, output_size).

        The small array that the gradient (scale -1) and the step (scale eta) are made from.
        """
        if self.delta is None:
            raise ValueError("the gradient needs a backward pass after the last forward pass")
        return self.delta * (scale / len(self.delta))

    def _checked_delta(self, delta):
        if self.input is None:
            raise ValueError("backward needs a forward pass first (it uses the layer's input)")
        n = self.input.shape[0]
        if not (isinstance(delta, np.ndarray) and delta.shape == (n, self.output_size)):
            got = f"an array of shape {delta.shape}" if isinstance(delta, np.ndarray) else type(delta).__name__
            raise ValueError(
                f"expected delta of shape ({n}, {self.output_size}) (one row per sample of the "
                f"last forward pass), got {got}"
            )
        return delta.astype(self.dtype, copy=False)


class Network(NetworkEdge):
    """A fully connected network built from layers of :mod:`bpcourse.core.vectorized` (the text's vectorized Network).

    Parameters
    ----------
    layer_sizes : sequence of int, at least two
        Neurons per layer, input first, e.g. ``[784, 300, 10]``.
    activator : "sigmoid", "tanh" or an activator object
        The activation of every hidden neuron, and of the output neurons
        unless the loss brings its own (softmax).
    seed : int >= 0 or numpy.random.Generator
        W and b of every layer uniform in [-0.1, 0.1], drawn from
        ``numpy.random.default_rng(seed)`` layer by layer from the input
        side, in the object network's order (see :class:`FullConnectedLayer`):
        ``Network(sizes, seed=s)`` here and in :mod:`bpcourse.core.oo_network`
        start with the same weights.
    dtype : numpy.float64 (default) or numpy.float32
        The dtype of the weights and of every computation; inputs are cast
        to it once.
    loss : "squared_error" (default), "softmax_cross_entropy" or a loss object
        As for the object network (see :mod:`bpcourse.core.losses`).

    Attributes
    ----------
    layer_sizes, activator, loss : as for the object network
    dtype : numpy.dtype
    layers : list of FullConnectedLayer, one per pair of adjacent layers

    Single samples and batches
    --------------------------
    Every method takes one sample x as a 1-D array of shape (n_in,) (and
    answers with 1-D arrays, shape (n_out,)) or a batch as a 2-D array of
    shape (N, n_in), one sample per row (and answers with (N, n_out)).
    """

    def __init__(self, layer_sizes, activator="sigmoid", seed=0, dtype=np.float64, loss="squared_error"):
        self.dtype = check_dtype(dtype)
        self._set_architecture(layer_sizes, activator, loss, 3 * self.dtype.itemsize, "weights")  # W, dW, the step
        sizes = self.layer_sizes
        rng = check_seed(seed)
        activators = [self.activator] * (len(sizes) - 2) + [self.loss.output_activator(self.activator)]
        self.layers = [
            FullConnectedLayer(n_in, n_out, f, rng=rng, dtype=self.dtype)
            for n_in, n_out, f in zip(sizes[:-1], sizes[1:], activators)
        ]

    # --- the shared interface -------------------------------------------

    def _outputs(self, X):
        """What :meth:`NetworkEdge.predict` and ``loss_value`` run: the forward pass, a new array (N, n_out)."""
        return self.forward(X)

    def forward(self, X):
        """The forward pass of a checked batch X (N, n_in): every layer keeps its input and output.

        Returns the last layer's output, shape (N, n_out).
        """
        A = X
        for layer in self.layers:
            A = layer.forward(A)
        return A

    def backward(self, T):
        """The backward pass after :meth:`forward`: every layer's dW, db (true mean gradient).

        Inputs:
        - T: targets, shape (N, n_out), for the samples of the last forward.

        The output layer's delta comes from the loss (eq. 6.2 for the text's
        squared error), then each layer passes W^T delta down and the
        network multiplies by the derivative of the layer below (eq. 6.3).
        Returns the mean loss of the N samples, measured in that forward pass.
        """
        Y = self.layers[-1].output
        E = float(np.sum(self.loss.value(Y, T))) / len(Y)
        delta = self.loss.delta(Y, T, self.activator)  # the output layer's delta, a row per sample
        for index in range(len(self.layers) - 1, -1, -1):
            delta = self.layers[index].backward(delta, propagate=index > 0)
            if index > 0:
                delta *= self.activator.backward(self.layers[index - 1].output)  # eq. 6.3: times f'(a) of the layer below
        return E

    def gradients(self, x, t):
        """The true gradient of the loss with respect to every weight, for one sample or a batch.

        Inputs:
        - x: shape (n_in,) or (N, n_in); t: shape (n_out,) or (N, n_out), the same form as x.

        Returns:
        - a list with one (dW, db) per layer (new arrays): dW of shape
          (n_out, n_in) with dW[j, i] = dE/dw_ji, db of shape (n_out,). For a
          batch, the mean over the N samples of the per-sample gradients.
          An SGD step is W -= eta * dW. No weight changes.
        """
        X, single = self._check_samples(x)
        T = self._check_targets(t, X.shape[0], single)
        self.forward(X)
        self.backward(T)
        return [(layer.dW, layer.db) for layer in self.layers]

    def train_batch(self, X, T, rate, *, checked=False, weight_decay=0.0):
        """One SGD step on one mini-batch, with the MEAN gradient of its samples.

        W -= rate * (1/N) sum_n dE_n/dW for every layer, i.e. the text's
        eq. 6.5, 6.6 averaged over the batch (N = 1 is the text's per-sample step).

        With ``weight_decay`` lambda > 0 the step is taken on the penalized loss
        E + (lambda/2) sum W^2 (every layer's W, not the biases), whose
        gradient adds lambda W to dE/dW:

            W <- W - rate * (dE/dW + lambda W) = (1 - rate * lambda) W - rate * dE/dW

        done as ``W *= 1 - rate * lambda`` after the backward pass (the
        gradient is that of the current W) and before the layer's update.

        Inputs:
        - X: shape (N, n_in), one sample per row (or one sample, shape (n_in,)).
        - T: shape (N, n_out) (or (n_out,)), the same form as X.
        - rate: the learning rate eta > 0.
        - checked: True promises that X and T are already arrays of the
          network's dtype, of shapes (N, n_in) and (N, n_out), with finite
          values, and that rate and weight_decay are valid:
          :func:`bpcourse.core.training.fit` and :meth:`train` check
          the whole data set once and then skip the check at every step.
        - weight_decay: lambda >= 0 of the L2 penalty (lambda/2) sum W^2
          (default 0: the text's step); rate * lambda must be < 1.

        Returns:
        - the mean loss E over the batch (without the penalty), measured in the
          forward pass of this step, i.e. BEFORE the update (a float; NaN or inf
          if training diverged, which :func:`bpcourse.core.training.fit` and :meth:`train` report).
        """
        if not checked:
            X, T, rate, weight_decay = self._check_step(X, T, rate, weight_decay)
        self.forward(X)
        E = self.backward(T)
        for layer in self.layers:
            if weight_decay:
                layer.W *= 1 - rate * weight_decay  # the penalty's gradient lambda W, as a shrink of W
            layer.update(rate)
        return E

    def train(self, labels, data_set, rate, epochs, batch_size=1):
        """SGD over the samples in their order, as in the text (per sample when batch_size is 1).

        Inputs:
        - labels: targets T, shape (N, n_out), one row per sample (note the
          text's order: labels first).
        - data_set: inputs X, shape (N, n_in), one row per sample.
        - rate: the learning rate eta > 0.
        - epochs: the number of passes over the data, an int >= 1 (the text calls it ``epoch``).
        - batch_size: samples per step (int >= 1); consecutive rows form a
          batch, the last one may be smaller; each step uses the batch's
          mean gradient (see :meth:`train_batch`).

        Returns nothing. Raises :class:`bpcourse.core.divergence.DivergenceError`
        as soon as the loss becomes NaN or infinite. For shuffling,
        evaluation and checkpoints use :func:`bpcourse.core.training.fit`.
        """
        T, X, rate, epochs = self._check_training(labels, data_set, rate, epochs)
        batch_size = check_positive_int(batch_size, "batch_size", "samples per step")
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            for count in range(1, epochs + 1):
                for start in range(0, len(X), batch_size):
                    E = self.train_batch(X[start:start + batch_size], T[start:start + batch_size], rate, checked=True)
                    check_loss(E, epoch=count, rate=rate)

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
        print(f"Network {sizes}, activator {self.activator.name}, loss {self.loss.name}, {self.dtype.name}, "
              f"{count:,} weights (biases included)", file=out)
        with np.printoptions(precision=precision, threshold=threshold, edgeitems=3, suppress=True):
            for index, layer in enumerate(self.layers):
                print(f"layer {index + 1}: {layer.input_size} inputs -> {layer.output_size} outputs", file=out)
                print(f"  W {layer.W.shape} =\n{_indent(np.array2string(layer.W), 4)}", file=out)
                print(f"  b {layer.b.shape} =\n{_indent(np.array2string(layer.b), 4)}", file=out)

    def __repr__(self):
        sizes = "-".join(str(n) for n in self.layer_sizes)
        return f"<vectorized Network {sizes}, {self.activator.name}, {self.loss.name}, {self.dtype.name}>"


def sum_of_outer_products(D, X):
    """sum_n D_n X_n^T for D of shape (N, n_out) and X of shape (N, n_in): shape (n_out, n_in), eq. 6.5 for a batch.

    One matrix product D^T X; for one row (N = 1) the outer product D_0 X_0^T,
    the same numbers several times faster (BLAS is slow at a product of a
    column and a row).
    """
    return np.multiply(D.T, X) if len(D) == 1 else D.T @ X


def check_dtype(dtype):
    """``dtype`` as a numpy.dtype if it is float32 or float64, else ValueError."""
    try:
        checked = np.dtype(dtype)
    except TypeError:
        checked = None
    if checked not in SUPPORTED_DTYPES:
        raise ValueError(f"expected dtype numpy.float64 or numpy.float32, got {dtype!r}")
    return checked


def _indent(text, spaces):
    return "\n".join(" " * spaces + line for line in text.splitlines())
