"""Training and evaluation as the text does it for MNIST: error rate, a training loop, a stopping rule.

The text trains the 784-300-10 network on the training images, measures the
error rate

    error rate = (number of wrongly predicted samples) / (number of samples),

where the predicted digit is the index of the largest of the 10 outputs,
evaluates every 10 epochs, stops "when the accuracy starts to drop"
(over-fitting), and saves the weights every 10 epochs so that a crash does
not lose the work. :func:`fit` does all of that for either network (both
share one interface: ``train_batch``, ``predict``, ``get_weights``,
``layer_sizes``), and keeps a :class:`History` for plots.

Which data decides what: the stopping rule watches the error on a
*validation* set held out from the training images (``validation=``); the
test set (``test=``) is only measured if you pass it, and never chooses
anything.
"""

import time
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from bpcourse.core.checkpoint import load_checkpoint, save_checkpoint
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

__all__ = ["DivergenceError", "History", "error_rate", "fit", "predicted_labels"]

EVAL_CHUNK = 10_000
"""Samples per forward pass in :func:`error_rate` (bounds the memory of an evaluation)."""


class History:
    """What happened during training, epoch by epoch (all plain Python lists, JSON-friendly).

    Per epoch (lists of the same length):

    - ``epoch``: the epoch number, counted from 1 since the start of the run
      (a resumed run continues the count);
    - ``train_loss``: the mean loss E over the epoch's samples, each
      measured in the forward pass of its own training step (before that step's update);
    - ``seconds``: wall-clock seconds spent training that epoch (shuffling and
      SGD steps; evaluation, checkpoints and the callback not included).

    Per evaluation (lists of the same length):

    - ``eval_epoch``: the epoch after which the evaluation was made;
    - ``train_error``, ``validation_error``, ``test_error``: error rates in
      [0, 1] on the training, validation and test sets (``None`` where that
      set was not given).

    ``stop_reason`` is None, or a sentence saying why training stopped early.
    """

    FIELDS = ("epoch", "train_loss", "seconds", "eval_epoch", "train_error", "validation_error", "test_error")

    def __init__(self):
        self.epoch = []
        self.train_loss = []
        self.seconds = []
        self.eval_epoch = []
        self.train_error = []
        self.validation_error = []
        self.test_error = []
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
    """The fraction of samples predicted wrongly: (number wrong) / N.

    Inputs:
    - network_or_predict: a network (either one: its ``predict`` takes a
      batch (N, n_in) and returns (N, n_out)) or a function doing that.
    - X: inputs, shape (N, n_in), one sample per row, N >= 1.
    - y: labels, shape (N,), integers 0 .. n_out - 1.
    - chunk_size: samples per forward pass (bounds the memory).

    The predicted class of a sample is the index of its largest output
    (see :func:`predicted_labels`). Outputs that are NaN or infinite (a
    diverged network) are refused with a ValueError: their argmax would
    mean nothing. Returns a float in [0, 1].
    """
    X = _checked_inputs(X)
    y = check_labels(y, len(X), "y")
    predicted, n_out = _predict_classes(network_or_predict, X, chunk_size)
    if y.max() >= n_out:
        raise ValueError(f"expected labels 0..{n_out - 1} (one per output), got the label {y.max()}")
    return int(np.count_nonzero(predicted != y)) / len(X)


def predicted_labels(network_or_predict, X, chunk_size=EVAL_CHUNK):
    """The class each sample is read as: the index of its largest output.

    Inputs: as :func:`error_rate` (a network or a function X -> outputs;
    X of shape (N, n_in), N >= 1).

    Returns an int array of shape (N,): the ``argmax`` of each row of
    outputs (on a tie the smaller index). NaN or infinite outputs are
    refused with a ValueError.
    """
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
        raise TypeError(
            f"expected a network with predict(X) or a function X -> outputs, got {type(network_or_predict).__name__}"
        )
    chunk_size = check_positive_int(chunk_size, "chunk_size")
    predicted = np.empty(len(X), dtype=np.int64)
    n_out = None
    for start in range(0, len(X), chunk_size):
        chunk = X[start:start + chunk_size]
        outputs = as_array(predict(chunk), "the predictions")
        if outputs.ndim != 2 or outputs.shape[0] != len(chunk) or outputs.shape[1] == 0:
            raise ValueError(
                f"expected the predictions for {len(chunk)} samples to have shape ({len(chunk)}, n_out), "
                f"got shape {outputs.shape}"
            )
        check_finite(outputs, "the network's outputs (has training diverged?)")
        n_out = outputs.shape[1]
        predicted[start:start + chunk_size] = outputs.argmax(axis=1)
    return predicted, n_out


def fit(network, X_train, T_train, y_train=None, *, validation=None, test=None, epochs, rate,
        batch_size=1, evaluate_every=1, stop_when_validation_error_rises=False, checkpoint_path=None,
        checkpoint_every=10, resume=False, callback=None, progress=True, rng=None, history=None,
        weight_decay=0.0, augment=None):
    """Train ``network`` with mini-batch SGD, evaluating, checkpointing and keeping a History.

    Every epoch: shuffle the training samples with ``rng``, cut them into
    mini-batches of ``batch_size`` (the last one may be smaller) and do one
    ``network.train_batch`` step per batch (``checked=True``: the data are
    checked once, here) (mean gradient; ``batch_size=1``
    is the text's per-sample SGD).

    Inputs:
    - network: either network (:mod:`bpcourse.core.vectorized`, or the slow
      :mod:`bpcourse.core.oo_network`); trained in place.
    - X_train: shape (N, n_in); T_train: targets, shape (N, n_out), e.g.
      ``one_hot(y_train)``. Both are cast once to the network's dtype.
    - y_train: labels (N,) for the training error rate; None takes
      ``T_train.argmax(axis=1)`` (right for one-hot targets).
    - validation: ``(X_val, y_val)``, shapes (M, n_in) and (M,), held out
      from the training data, or None. Its error is what the stopping rule watches.
    - test: ``(X_test, y_test)`` or None: measured at every evaluation if
      given, for the record only (never used to stop or choose).
    - epochs: train until this many epochs are done, counted from the start
      of the run (a resumed run or a given ``history`` continues the count).
    - rate: the learning rate eta > 0.
    - batch_size: samples per SGD step, int >= 1.
    - evaluate_every: evaluate the error rates every k epochs (the text: 10),
      and always after the last epoch.
    - stop_when_validation_error_rises: the text's rule, on the validation
      set: stop as soon as an evaluation's validation error is higher than
      the previous evaluation's. The network keeps the weights of that last
      epoch; ``history.stop_reason`` says so. Needs ``validation``.
    - checkpoint_path: save a checkpoint (:mod:`bpcourse.core.checkpoint`) there
      every ``checkpoint_every`` epochs (the text: 10) and after the last epoch.
    - resume: continue from ``checkpoint_path`` (weights, epoch count,
      shuffling state, history) if that file exists; otherwise start afresh.
      The result is bit-for-bit the same as an uninterrupted run.
    - callback: ``callback(history, network)`` after every epoch (e.g. a
      live plot, :class:`bpcourse.visuals.live_plot.LivePlot`).
    - progress: show a progress bar over the epochs (``tqdm.auto``: a widget
      in JupyterLab, text in a terminal).
    - rng: numpy.random.Generator or int seed for the shuffling; None means seed 0.
      On resume, its state is replaced by the one saved in the checkpoint.
    - history: a History to append to (training continues after its last
      epoch); on resume the checkpoint's history is used instead.
    - weight_decay: lambda >= 0, the L2 penalty (lambda/2) sum W^2 on the
      weights (not the biases) against over-fitting: every step becomes
      W <- (1 - rate * lambda) W - rate * dE/dW (``network.train_batch``'s
      ``weight_decay``). Default 0: the text's steps. rate * lambda must be < 1.
    - augment: None, or a function ``augment(X_train, rng)`` returning new
      training inputs of the same shape (e.g.
      :func:`bpcourse.core.augmentation.shift_images`), called at the start
      of every epoch with the shuffling generator; that epoch trains on its
      result (the targets stay). The training error is measured on the
      original X_train.

    Returns the History.

    Raises ``ValueError`` for bad input (saying what was expected) and
    :class:`DivergenceError` (a ``FloatingPointError``) as soon as the loss
    becomes NaN or infinite; the checkpoint on disk then still holds the last
    good state. NumPy's overflow warnings are silenced during training (the
    divergence check reports the problem instead).
    """
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
    validation = _evaluation_set(validation, "validation", n_in, n_out, dtype)
    test = _evaluation_set(test, "test", n_in, n_out, dtype)
    epochs = check_positive_int(epochs, "epochs", "the number of epochs to reach")
    rate = check_rate(rate)
    batch_size = check_positive_int(batch_size, "batch_size", "samples per SGD step")
    evaluate_every = check_positive_int(evaluate_every, "evaluate_every", "epochs between evaluations")
    checkpoint_every = check_positive_int(checkpoint_every, "checkpoint_every", "epochs between checkpoints")
    if stop_when_validation_error_rises and validation is None:
        raise ValueError("stop_when_validation_error_rises needs a validation set: pass validation=(X_val, y_val)")
    if resume and checkpoint_path is None:
        raise ValueError("resume=True needs checkpoint_path (the checkpoint to continue from)")
    if callback is not None and not callable(callback):
        raise TypeError(f"expected callback to be a function (history, network), got {callback!r}")
    rng = check_seed(0 if rng is None else rng, "rng")
    weight_decay = check_weight_decay(weight_decay, rate)
    if augment is not None and not callable(augment):
        raise TypeError(f"expected augment to be a function (X_train, rng) -> new X_train, or None, got {augment!r}")
    if history is not None and not isinstance(history, History):
        raise TypeError(f"expected history to be a bpcourse.core.training.History or None, got {type(history).__name__}")

    checkpoint_epoch = None  # the epoch of the last good checkpoint on disk
    if resume and Path(checkpoint_path).is_file():
        state = load_checkpoint(checkpoint_path, network)
        rng = _restore(rng, state["rng_state"])
        history = History.from_dict(state["history"])
        start = checkpoint_epoch = state["epoch"]
        if start >= epochs:
            return history  # that run is already complete
    else:
        history = History() if history is None else history
        start = history.epoch[-1] if history.epoch else 0
        if start >= epochs:
            raise ValueError(f"the history already has {start} epochs: pass epochs > {start} to train more")

    n = len(X)
    batch = min(batch_size, n)
    X_batch = np.empty((batch, n_in), dtype=dtype)  # reused by every step
    T_batch = np.empty((batch, n_out), dtype=dtype)
    bar = tqdm(total=epochs, initial=start, desc="training", unit="epoch", disable=not progress)
    try:
        for epoch in range(start + 1, epochs + 1):
            began = time.perf_counter()
            X_epoch = X if augment is None else _augmented(augment, X, rng)
            order = rng.permutation(n)
            loss_sum = 0.0
            # Overflow in a diverging run would warn at every step; the check below reports it once.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                for first in range(0, n, batch):
                    rows = order[first:first + batch]
                    Xb, Tb = X_batch[:len(rows)], T_batch[:len(rows)]
                    np.take(X_epoch, rows, axis=0, out=Xb)
                    np.take(T, rows, axis=0, out=Tb)
                    # Without decay, the call any network with train_batch(X, T, rate, checked=...) understands.
                    E = (network.train_batch(Xb, Tb, rate, checked=True) if not weight_decay else
                         network.train_batch(Xb, Tb, rate, checked=True, weight_decay=weight_decay))
                    loss = check_loss(E, epoch=epoch, rate=rate,
                                      checkpoint_path=checkpoint_path, checkpoint_epoch=checkpoint_epoch)
                    loss_sum += loss * len(rows)
            check_weights_finite(network.get_weights(), epoch=epoch, rate=rate,
                                 checkpoint_path=checkpoint_path, checkpoint_epoch=checkpoint_epoch)
            history.epoch.append(epoch)
            history.train_loss.append(loss_sum / n)
            history.seconds.append(time.perf_counter() - began)

            stop = False
            if epoch % evaluate_every == 0 or epoch == epochs:
                history.eval_epoch.append(epoch)
                history.train_error.append(error_rate(network, X, y))
                history.validation_error.append(None if validation is None else error_rate(network, *validation))
                history.test_error.append(None if test is None else error_rate(network, *test))
                errors = [e for e in history.validation_error if e is not None]
                if stop_when_validation_error_rises and len(errors) >= 2 and errors[-1] > errors[-2]:
                    stop = True
                    history.stop_reason = (
                        f"stopped after epoch {epoch}: the validation error rose from {100 * errors[-2]:.2f}% "
                        f"to {100 * errors[-1]:.2f}% (the text's rule: stop when it starts to rise)"
                    )
            if checkpoint_path is not None and (epoch % checkpoint_every == 0 or epoch == epochs or stop):
                save_checkpoint(checkpoint_path, network, epoch=epoch, rate=rate, rng=rng, history=history)
                checkpoint_epoch = epoch
            bar.update(1)
            bar.set_postfix(_postfix(history), refresh=False)
            if callback is not None:
                callback(history, network)
            if stop:
                break
    finally:
        bar.close()
    return history


# --- internals -------------------------------------------------------------------------

def _postfix(history):
    postfix = {"loss": f"{history.train_loss[-1]:.4f}"}
    for name, errors in (("validation error", history.validation_error), ("test error", history.test_error)):
        if errors and errors[-1] is not None:
            postfix[name] = f"{100 * errors[-1]:.2f}%"
    return postfix


def _augmented(augment, X, rng):
    """``augment(X, rng)`` checked: an array of X's shape and finite values, in X's dtype."""
    result = as_array(augment(X, rng), "the result of augment(X_train, rng)")
    if result.shape != X.shape:
        raise ValueError(f"expected augment(X_train, rng) to return an array of X_train's shape {X.shape}, "
                         f"got shape {result.shape}")
    result = result.astype(X.dtype, copy=False)
    check_finite(result, "the result of augment(X_train, rng)")
    return result


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
