"""Training and evaluation as the text does it for MNIST: error rate, a training loop, a stopping rule.

The text trains the 784-300-10 network on the training images, measures the
error rate

    error rate = (number of wrongly predicted samples) / (number of samples),

where the predicted digit is the index of the largest of the 10 outputs,
evaluates every 10 epochs, stops "when the accuracy starts to drop"
(over-fitting), and saves the weights every 10 epochs. :func:`fit` is that
loop for either network, keeping a :class:`History`; the rest are
``callbacks``: :class:`bpcourse.core.early_stopping.StopWhenValidationErrorRises`,
:class:`bpcourse.core.checkpoint.Checkpoint`,
:class:`bpcourse.core.augmentation.Augment`, :class:`bpcourse.visuals.live_plot.LivePlot`.

The stopping rule watches a *validation* set held out from the training
images (``validation=``); the test set (``test=``) is only measured, and
never chooses anything.
"""

import time
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from bpcourse.core.divergence import DivergenceError, check_loss, check_weights_finite
from bpcourse.core.validation import (
    as_array,
    as_rows,
    check_finite,
    check_labels,
    check_positive_int,
    check_rate,
    check_seed,
    check_weight_decay,
)

__all__ = ["DivergenceError", "History", "Run", "error_rate", "fit", "predicted_labels"]

HOOKS = ("on_start", "epoch_inputs", "on_evaluation", "on_epoch_end")  # the methods a callback object may have
EVAL_CHUNK = 10_000  # samples per forward pass in error_rate (bounds the memory of an evaluation)


class History:
    """What happened during training, as plain Python lists (JSON-friendly).

    Per epoch: ``epoch`` (counted from 1, a resumed run continues the count), ``train_loss`` (the mean
    loss of the epoch's samples, each measured before its own step), ``seconds`` (shuffling and steps).
    Per evaluation: ``eval_epoch`` and the error rates ``train_error``, ``validation_error``,
    ``test_error`` in [0, 1] (None for a set not given). ``stop_reason``: None, or why training stopped.
    """

    FIELDS = ("epoch", "train_loss", "seconds", "eval_epoch", "train_error", "validation_error", "test_error")

    def __init__(self):
        for field in self.FIELDS:
            setattr(self, field, [])
        self.stop_reason = None

    def to_dict(self):
        """The history as a dict of lists (copies) plus ``stop_reason``; JSON-serializable."""
        result = {field: list(getattr(self, field)) for field in self.FIELDS}
        result["stop_reason"] = self.stop_reason
        return result

    @classmethod
    def from_dict(cls, data):
        """Rebuild a History from :meth:`to_dict` output (e.g. read from a checkpoint)."""
        history = cls()
        if not isinstance(data, dict):
            raise ValueError(f"expected a dict of lists, got {type(data).__name__}")
        for field in cls.FIELDS:
            values = data.get(field, [])
            if field == "validation_error" and field not in data:  # a history saved before validation sets
                values = [None] * len(data.get("eval_epoch", []))
            if not isinstance(values, list):
                raise ValueError(f"expected history[{field!r}] to be a list, got {type(values).__name__}")
            setattr(history, field, list(values))
        if not len(history.epoch) == len(history.train_loss) == len(history.seconds):
            raise ValueError("expected the lists epoch, train_loss and seconds to have the same length")
        if not (len(history.eval_epoch) == len(history.train_error) == len(history.validation_error)
                == len(history.test_error)):
            raise ValueError("expected the lists eval_epoch, train_error, validation_error and test_error "
                             "to have the same length")
        history.stop_reason = data.get("stop_reason")
        return history

    def add_epoch(self, epoch, train_loss, seconds):
        """Record one trained epoch."""
        self.epoch.append(epoch)
        self.train_loss.append(train_loss)
        self.seconds.append(seconds)

    def add_evaluation(self, epoch, train_error, validation_error, test_error):
        """Record the error rates measured after ``epoch`` (None for a set that was not given)."""
        self.eval_epoch.append(epoch)
        self.train_error.append(train_error)
        self.validation_error.append(validation_error)
        self.test_error.append(test_error)

    def __len__(self):
        return len(self.epoch)

    def __repr__(self):
        if not self.epoch:
            return "History(no epochs yet)"
        text = f"History({len(self.epoch)} epochs up to epoch {self.epoch[-1]}, loss {self.train_loss[-1]:.4g}"
        for name, errors in (("validation", self.validation_error), ("test", self.test_error)):
            if errors and errors[-1] is not None:
                text += f", {name} error {100 * errors[-1]:.2f}% at epoch {self.eval_epoch[-1]}"
        return text + ")"


def error_rate(network_or_predict, X, y, chunk_size=EVAL_CHUNK):
    """The fraction of samples predicted wrongly, (number wrong) / N, a float in [0, 1].

    ``network_or_predict``: a network, or a function X (N, n_in) -> outputs (N, n_out); X (N, n_in), one
    sample per row; y (N,) labels 0 .. n_out - 1; ``chunk_size`` samples per forward pass (bounds memory).
    A sample's predicted class is the index of its largest output; NaN or infinite outputs (a
    diverged network) are refused with a ValueError: their argmax would mean nothing.
    """
    X = _checked_inputs(X)
    y = check_labels(y, len(X), "y")
    predicted, n_out = _predict_classes(network_or_predict, X, chunk_size)
    if y.max() >= n_out:
        raise ValueError(f"expected labels 0..{n_out - 1} (one per output), got the label {y.max()}")
    return int(np.count_nonzero(predicted != y)) / len(X)


def predicted_labels(network_or_predict, X, chunk_size=EVAL_CHUNK):
    """The class each sample is read as, (N,) ints: the ``argmax`` of its outputs; inputs as :func:`error_rate`."""
    return _predict_classes(network_or_predict, _checked_inputs(X), chunk_size)[0]


def _checked_inputs(X):
    X = as_array(X, "X")
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"expected X of shape (N, n_in), one sample per row, N >= 1, got shape {X.shape}")
    check_finite(X, "X")
    return X


def _predict_classes(network_or_predict, X, chunk_size):
    """(predicted classes, shape (N,), the number of outputs n_out), chunk by chunk."""
    predict = getattr(network_or_predict, "predict", network_or_predict)
    if not callable(predict):
        raise TypeError(f"expected a network with predict(X) or a function X -> outputs, "
                        f"got {type(network_or_predict).__name__}")
    chunk_size = check_positive_int(chunk_size, "chunk_size")
    predicted = np.empty(len(X), dtype=np.int64)
    n_out = None
    for start in range(0, len(X), chunk_size):
        chunk = X[start:start + chunk_size]
        outputs = as_array(predict(chunk), "the predictions")
        if outputs.ndim != 2 or outputs.shape[0] != len(chunk) or outputs.shape[1] == 0:
            raise ValueError(f"expected the predictions for {len(chunk)} samples to have shape ({len(chunk)}, n_out), "
                             f"got shape {outputs.shape}")
        check_finite(outputs, "the network's outputs (has training diverged?)")
        n_out = outputs.shape[1]
        predicted[start:start + chunk_size] = outputs.argmax(axis=1)
    return predicted, n_out


@dataclass
class Run:
    """What a training run's callbacks see: the network, its data and settings, and the History so far.

    ``start``: epochs already done when the loop begins; ``epoch``: the epoch just trained;
    ``last_checkpoint``: ``(path, epoch)`` of the last good checkpoint on disk, or None.
    """

    network: object
    X: np.ndarray
    T: np.ndarray
    y: np.ndarray
    validation: object
    test: object
    epochs: int
    rate: float
    rng: np.random.Generator
    history: "History"
    start: int = 0
    epoch: int = 0
    last_checkpoint: tuple = None

    def restore(self, state):
        """Continue from a loaded checkpoint ``state``: its epoch count, shuffling state and history."""
        self.rng = _restore(self.rng, state["rng_state"])
        self.history = History.from_dict(state["history"])
        self.start = state["epoch"]


def fit(network, X_train, T_train, y_train=None, *, validation=None, test=None, epochs, rate, batch_size=1,
        evaluate_every=1, weight_decay=0.0, rng=None, history=None, callbacks=(), progress=True):
    """Train ``network`` with mini-batch SGD: the loop of notebook 06, with evaluations and callbacks.

    Every epoch: shuffle the samples with ``rng``, one ``network.train_batch`` step (mean gradient)
    per mini-batch of ``batch_size`` (1: the text's per-sample SGD); every ``evaluate_every`` epochs
    (and after the last) measure the error rates. The data are checked once, here.

    - X_train (N, n_in), T_train (N, n_out) (e.g. ``one_hot(y_train)``), cast once to the network's
      dtype; y_train (N,) labels for the training error (None: ``T_train.argmax(axis=1)``).
    - validation: ``(X_val, y_val)``, held out from the training data: what early stopping and model
      choice watch. test: ``(X_test, y_test)``, measured for the record only.
    - epochs: train until this many are done, counted from the start of the run; rate: eta > 0;
      weight_decay: lambda >= 0, W <- (1 - rate * lambda) W - rate * dE/dW (biases not decayed).
    - rng: Generator or int seed for the shuffling (None: 0); history: a History to continue.
    - callbacks, called in the order given: a function ``f(history, network)`` after every epoch
      (e.g. ``LivePlot``, ``BestWeights``), or an object with any of ``on_start(run)``,
      ``epoch_inputs(X, rng)`` (this epoch's training inputs, e.g. ``Augment``),
      ``on_evaluation(run)`` (setting ``run.history.stop_reason`` stops the run) and
      ``on_epoch_end(run)`` (e.g. ``Checkpoint``); ``run`` is a :class:`Run`.

    Returns the History. ValueError for bad input, :class:`DivergenceError` when the loss is NaN or inf.
    """
    run = _checked_run(network, X_train, T_train, y_train, validation, test, epochs, rate, rng, history)
    batch_size = check_positive_int(batch_size, "batch_size", "samples per SGD step")
    evaluate_every = check_positive_int(evaluate_every, "evaluate_every", "epochs between evaluations")
    weight_decay = check_weight_decay(weight_decay, run.rate)
    callbacks = _checked_callbacks(callbacks)
    _call(callbacks, "on_start", run)
    if run.start >= run.epochs:
        return run.history  # a resumed run that was already complete
    run.history.stop_reason = None
    with tqdm(total=run.epochs, initial=run.start, desc="training", unit="epoch", disable=not progress) as bar:
        for run.epoch in range(run.start + 1, run.epochs + 1):
            began = time.perf_counter()
            X = run.X
            for callback in callbacks:
                X = callback.epoch_inputs(X, run.rng) if hasattr(callback, "epoch_inputs") else X
            loss = _train_epoch(run, X, batch_size, weight_decay)
            run.history.add_epoch(run.epoch, loss, time.perf_counter() - began)
            if run.epoch % evaluate_every == 0 or run.epoch == run.epochs:
                _evaluate(run)
                _call(callbacks, "on_evaluation", run)
            _call(callbacks, "on_epoch_end", run)
            bar.update(1)
            bar.set_postfix(_postfix(run.history), refresh=False)
            if run.history.stop_reason is not None:
                break
    return run.history


def _train_epoch(run, X, batch_size, weight_decay):
    """One pass over the shuffled samples, one SGD step per mini-batch; the mean loss of the epoch."""
    path, saved_epoch = run.last_checkpoint or (None, None)
    report = dict(epoch=run.epoch, rate=run.rate, checkpoint_path=path, checkpoint_epoch=saved_epoch)
    extra = {"weight_decay": weight_decay} if weight_decay else {}  # so any train_batch(X, T, rate, checked) works
    n, batch = len(X), min(batch_size, len(X))
    X_batch, T_batch = np.empty((batch, X.shape[1]), X.dtype), np.empty((batch, run.T.shape[1]), run.T.dtype)
    order = run.rng.permutation(n)
    loss_sum = 0.0
    # Overflow in a diverging run would warn at every step; check_loss reports it once.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for first in range(0, n, batch):
            rows = order[first:first + batch]
            Xb = np.take(X, rows, axis=0, out=X_batch[:len(rows)])
            Tb = np.take(run.T, rows, axis=0, out=T_batch[:len(rows)])
            E = run.network.train_batch(Xb, Tb, run.rate, checked=True, **extra)
            loss_sum += check_loss(E, **report) * len(rows)
    check_weights_finite(run.network.get_weights(), **report)
    return loss_sum / n


def _evaluate(run):
    """Record the error rates on the training, validation and test sets (None where a set is missing)."""
    errors = [error_rate(run.network, run.X, run.y)]
    errors += [None if pair is None else error_rate(run.network, *pair) for pair in (run.validation, run.test)]
    run.history.add_evaluation(run.epoch, *errors)


def _checked_run(network, X_train, T_train, y_train, validation, test, epochs, rate, rng, history):
    """Every input of :func:`fit` that enters the run, checked once, as a :class:`Run`."""
    if not all(hasattr(network, name) for name in ("train_batch", "predict", "get_weights", "layer_sizes")):
        raise TypeError(f"expected a network (train_batch, predict, get_weights, layer_sizes), "
                        f"got {type(network).__name__}")
    n_in, n_out = network.layer_sizes[0], network.layer_sizes[-1]
    dtype = np.dtype(network.dtype)
    X = as_rows(X_train, "X_train", n_in, dtype, "one input per row")
    T = as_rows(T_train, "T_train", n_out, dtype, "one target vector (e.g. one-hot) per row")
    if len(T) != len(X):
        raise ValueError(f"expected one target row per sample: X_train has {len(X)} rows, T_train {len(T)}")
    y = T.argmax(axis=1) if y_train is None else check_labels(y_train, len(X), "y_train", n_out)
    if history is not None and not isinstance(history, History):
        raise TypeError("expected history to be a bpcourse.core.training.History or None, "
                        f"got {type(history).__name__}")
    history = History() if history is None else history
    run = Run(network, X, T, y, _evaluation_set(validation, "validation", n_in, n_out, dtype),
              _evaluation_set(test, "test", n_in, n_out, dtype),
              check_positive_int(epochs, "epochs", "the number of epochs to reach"), check_rate(rate),
              check_seed(0 if rng is None else rng, "rng"), history, start=history.epoch[-1] if history.epoch else 0)
    if run.start >= run.epochs:
        raise ValueError(f"the history already has {run.start} epochs: pass epochs > {run.start} to train more")
    return run


def _has_hooks(callback):
    return any(hasattr(callback, hook) for hook in HOOKS)


def _checked_callbacks(callbacks):
    callbacks = [callbacks] if callable(callbacks) or _has_hooks(callbacks) else list(callbacks)  # one on its own
    for callback in callbacks:
        if not (callable(callback) or _has_hooks(callback)):
            raise TypeError(f"expected each callback to be a function (history, network) or an object with "
                            f"any of {', '.join(HOOKS)}; got {callback!r}")
    return callbacks


def _call(callbacks, hook, run):
    """Call ``hook(run)`` of every callback that has it; after an epoch, plain functions (history, network) too."""
    for callback in callbacks:
        if hasattr(callback, hook):
            getattr(callback, hook)(run)
        elif hook == "on_epoch_end" and not _has_hooks(callback):
            callback(run.history, run.network)


def _postfix(history):
    postfix = {"loss": f"{history.train_loss[-1]:.4f}"}
    for name, errors in (("validation error", history.validation_error), ("test error", history.test_error)):
        if errors and errors[-1] is not None:
            postfix[name] = f"{100 * errors[-1]:.2f}%"
    return postfix


def _restore(rng, state):
    """Put a saved bit generator state into ``rng`` (or a new generator of the saved kind)."""
    name = state.get("bit_generator")
    if type(rng.bit_generator).__name__ != name:
        bit_generator = getattr(np.random, str(name), None)
        if not (isinstance(bit_generator, type) and issubclass(bit_generator, np.random.BitGenerator)):
            raise ValueError(f"the checkpoint's random generator {name!r} is not a numpy bit generator")
        rng = np.random.Generator(bit_generator())
    try:
        rng.bit_generator.state = state
    except (TypeError, ValueError, KeyError) as error:
        raise ValueError(f"the checkpoint's random generator state is invalid: {error}") from None
    return rng


def _evaluation_set(pair, name, n_in, n_classes, dtype):
    """``(X, y)`` checked (X (M, n_in) in ``dtype``, y (M,) labels), or None."""
    if pair is None:
        return None
    if isinstance(pair, (str, bytes)) or not hasattr(pair, "__len__") or len(pair) != 2:
        raise TypeError(f"expected {name} to be a pair (X_{name}, y_{name}) or None, got {type(pair).__name__}")
    X = as_rows(pair[0], f"X_{name}", n_in, dtype, "one input per row")
    return X, check_labels(pair[1], len(X), f"y_{name}", n_classes)
