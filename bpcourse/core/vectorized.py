"""The vectorized network of the text's last section (eq. 6.1-6.6): matrices instead of objects.

One layer replaces all the Node and Connection objects between two layers of
:mod:`bpcourse.core.oo_network`: one matrix ``W`` (outputs, inputs), W[j, i] =
w_ji (target first, as in the text), and one bias vector ``b`` (outputs,).
:class:`FullConnectedLayer` is the text's layer and also the fast path (three
matrix products per layer and step, dW made only when it is read);
:class:`Network` chains such layers behind the object network's interface.

Rows, not columns
-----------------
The text writes one sample as a column vector, a = f(W x) (eq. 6.1). Here a
*batch* of N samples is a 2-D array with one sample per **row**, shape
(N, n_in), so eq. 6.1 for all rows at once reads ``A = f(X @ W.T + b)``,
shape (N, n_out); row n of A is the text's column a for sample n.
``Network`` also takes a single sample as a 1-D array (n_in,) and then answers
in 1-D; the layers work on 2-D rows only (one sample: a row (1, n_in)).

Signs: ``delta`` is the text's -dE/dnet; ``gradients``, a layer's ``dW`` and
``db`` are the true dE/dW = -delta x^T. A step on a batch of N samples uses
the MEAN gradient, W -= eta * (1/N) sum_n dE_n/dW (N = 1: the text's SGD).
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

    ``rng`` (Generator or int seed, None: 0) draws W and b uniform in [-0.1, 0.1] in the object
    network's order, so the same seed gives both networks the same weights (the text's vectorized
    layer starts its biases at 0 instead); ``dtype`` float64 or float32, of every array.

    Attributes: W (n_out, n_in), b (n_out,); dW (n_out, n_in), db (n_out,): the TRUE gradient of the
    last backward, the mean over the batch (the text's W_grad is -dW); input (N, n_in), kept (not
    copied), and output (N, n_out) of the last forward; delta (N, n_out), the error term (text's
    sign) of the last backward, None after a forward.
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

        X: (N, input_size), one sample per row (kept, not copied: do not change it before backward).
        Returns A: (N, output_size), also stored as ``self.output``.
        """
        self.input = check_layer_input(X, self.input_size, self.dtype)
        net = self.input @ self.W.T  # eq. 6.1: net = W x for every row ...
        net += self.b  # ... plus the bias (in place: one array fewer)
        self.output = self.activator.forward(net)  # eq. 6.1: a = f(net)
        self.delta = None  # a new forward pass: the last backward's delta belongs to other samples
        return self.output

    def backward(self, delta, propagate=True):
        """Backward pass: keep this layer's delta, and pass W^T delta down to the layer below.

        delta: (N, output_size), -dE/dnet of this layer (eq. 6.2 output, 6.3 hidden), TEXT's sign;
        ``propagate=False`` skips W^T delta (the first layer's inputs are the data). Returns
        ``delta @ W`` (N, input_size), eq. 6.3 before its factor f'(a): the network multiplies by f'
        of the layer BELOW (not this one, as the text does), so a softmax output layer works too.
        """
        self.delta = self._checked_delta(delta)
        return self.delta @ self.W if propagate else None  # before any update: eq. 6.3 needs the current W

    @property
    def dW(self):
        """dE/dW of the last backward, -(1/N) sum_n delta_n x_n^T (eq. 6.5 without eta), a new (n_out, n_in) array."""
        return sum_of_outer_products(self._scaled_delta(-1.0), self.input)

    @property
    def db(self):
        """The true gradient dE/db of the last backward, -(1/N) sum_n delta_n, shape (output_size,) (eq. 6.6)."""
        return self._scaled_delta(-1.0).sum(axis=0)

    def update(self, rate):
        """One step with the last backward's delta, eq. 6.5 and 6.6 averaged over the batch (rate: eta > 0).

        W += (eta/N) sum_n delta_n x_n^T and b += (eta/N) sum_n delta_n, the same as W -= eta * dW.
        """
        scaled = self._scaled_delta(rate)  # eta/N on the small array, not on W's
        self.W += sum_of_outer_products(scaled, self.input)  # eq. 6.5
        self.b += scaled.sum(axis=0)  # eq. 6.6: the bias input is always 1

    def __repr__(self):
        return (f"{type(self).__name__}({self.input_size} -> {self.output_size}, "
                f"{self.activator.name}, {self.dtype.name})")

    def _scaled_delta(self, scale):
        """(scale / N) delta, (N, output_size): what the gradient (scale -1) and the step (eta) are made from."""
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
    """The text's vectorized Network: ``layers``, one :class:`FullConnectedLayer` per pair of adjacent layers.

    ``layer_sizes``, ``activator``, ``seed`` and ``loss`` as for the object network (the same seed
    gives the same starting weights); ``dtype`` (float64 or float32) is that of the weights and of
    every computation. Every method takes one sample x (n_in,) or a batch (N, n_in), one per row.
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
        """The forward pass of a checked batch X (N, n_in) -> (N, n_out); every layer keeps its input and output."""
        A = X
        for layer in self.layers:
            A = layer.forward(A)
        return A

    def backward(self, T):
        """The backward pass after :meth:`forward` with targets T (N, n_out); the mean loss of that forward pass.

        The output layer's delta comes from the loss (eq. 6.2 for the squared error), then each layer
        passes W^T delta down and the network multiplies by f' of the layer below (eq. 6.3).
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
        """The true gradient for x (n_in,) or (N, n_in) and t of the same form: one (dW, db) per layer.

        dW (n_out, n_in), dW[j, i] = dE/dw_ji, db (n_out,); for a batch the mean. A step is W -= eta * dW.
        """
        X, single = self._check_samples(x)
        T = self._check_targets(t, X.shape[0], single)
        self.forward(X)
        self.backward(T)
        return [(layer.dW, layer.db) for layer in self.layers]

    def train_batch(self, X, T, rate, *, checked=False, weight_decay=0.0):
        """One SGD step on one mini-batch with the MEAN gradient: eq. 6.5, 6.6 averaged (N = 1: the text's step).

        X (N, n_in) or (n_in,), T (N, n_out) of the same form, rate eta > 0; ``checked=True`` promises
        finite arrays of the network's dtype and valid rate and weight_decay (``fit`` checks once).
        ``weight_decay`` lambda >= 0: the step of E + (lambda/2) sum W^2 (biases not decayed),
        W <- (1 - rate * lambda) W - rate * dE/dW. Returns the batch's mean E, measured BEFORE the update.
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

        labels T (N, n_out) (the text's order: labels first), data_set X (N, n_in); consecutive rows
        form batches. Raises ``DivergenceError`` when the loss is NaN or inf. Shuffling and more: ``fit``.
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
        """Set every weight from a list of (W, b) per layer, cast to the dtype, all checked before any changes."""
        checked = check_weights(weights, [(layer.W.shape, layer.b.shape) for layer in self.layers], self.dtype)
        for layer, (W, b) in zip(self.layers, checked):
            layer.W[...] = W
            layer.b[...] = b

    def dump(self, file=None, precision=4, threshold=40):
        """Print the sizes, then each layer's W and b to ``file`` (arrays over ``threshold`` entries abbreviated)."""
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
    """sum_n D_n X_n^T for D (N, n_out) and X (N, n_in): (n_out, n_in), eq. 6.5 for a batch.

    One matrix product D^T X; for N = 1 the outer product, several times faster (BLAS is slow at it).
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
