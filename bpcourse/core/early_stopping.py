"""Early stopping: the text's rule, and the same done right (keep the weights of the best validation epoch).

The text stops "when the accuracy starts to drop". :func:`rises` is that rule,
written once: every evaluation whose error is higher than the one before
(:func:`first_rise`: the first). :class:`StopWhenValidationErrorRises` applies
it to the validation error during ``fit``; the live plot marks it on curves.

The text watches the test set, which makes the reported test error optimistic,
and keeps the weights of the epoch AFTER the best one. :class:`BestWeights`
watches the validation error only and remembers the best weights, to be put
back after training and measured once on the test set.
"""

__all__ = ["BestWeights", "StopWhenValidationErrorRises", "first_rise", "rises"]

SERIES = ("train_error", "validation_error", "test_error")


def rises(epochs, errors):
    """Every evaluation at which the error was higher than at the one before: a list of (epoch, before, error).

    ``epochs`` and ``errors`` are, say, a History's ``eval_epoch`` and ``validation_error``; None is skipped.
    """
    measured = [(epoch, error) for epoch, error in zip(epochs, errors) if error is not None]
    return [(epoch, before, error) for (_, before), (epoch, error) in zip(measured, measured[1:]) if error > before]


def first_rise(history, series="validation_error"):
    """Where the text's rule stops a run: the first (epoch, before, error) of :func:`rises` in ``history``, or None.

    ``series``: ``"validation_error"`` (what the rule should watch), ``"test_error"`` or ``"train_error"``.
    """
    if series not in SERIES:
        raise ValueError(f"expected series 'validation_error', 'test_error' or 'train_error', got {series!r}")
    found = rises(history.eval_epoch, getattr(history, series, None) or [])
    return found[0] if found else None


class StopWhenValidationErrorRises:
    """A ``fit`` callback: the text's rule on the validation set, stop as soon as the error rises.

    ``fit(network, ..., validation=(X_val, y_val), callbacks=[StopWhenValidationErrorRises()])``: the
    network keeps the weights of that last epoch, and ``history.stop_reason`` says why.
    """

    def on_start(self, run):
        if run.validation is None:
            raise ValueError("StopWhenValidationErrorRises needs a validation set: pass validation=(X_val, y_val)")

    def on_evaluation(self, run):
        found = rises(run.history.eval_epoch, run.history.validation_error)
        if found and found[-1][0] == run.history.eval_epoch[-1]:  # this evaluation's error rose
            epoch, before, error = found[-1]
            run.history.stop_reason = (f"stopped after epoch {epoch}: the validation error rose from "
                                       f"{100 * before:.2f}% to {100 * error:.2f}% (the text's rule: stop when "
                                       f"it starts to rise)")

    def __repr__(self):
        return "StopWhenValidationErrorRises()"


class BestWeights:
    """A ``fit`` callback keeping a copy of the weights with the lowest validation error so far (a tie: the earlier).

    ``best = BestWeights(); fit(network, ..., validation=(X_val, y_val), callbacks=[best])``, then
    ``best.restore(network)``. ``epoch``, ``error`` and ``weights`` are the chosen one's (None before).
    """

    def __init__(self):
        self.epoch = None
        self.error = None
        self.weights = None

    def __call__(self, history, network):
        if not history.eval_epoch or history.eval_epoch[-1] != history.epoch[-1]:
            return  # no evaluation after this epoch
        error = history.validation_error[-1]
        if error is None:
            raise ValueError("BestWeights watches the validation error: call fit with validation=(X_val, y_val)")
        if self.error is None or error < self.error:
            self.epoch, self.error, self.weights = history.epoch[-1], error, network.get_weights()

    def restore(self, network):
        """Put the best weights back into ``network`` (the one that was trained)."""
        if self.weights is None:
            raise ValueError("no weights kept yet: pass this object in fit(..., callbacks=[...]) with a validation set")
        network.set_weights(self.weights)

    def __repr__(self):
        if self.epoch is None:
            return "BestWeights(nothing kept yet)"
        return f"BestWeights(epoch {self.epoch}, validation error {100 * self.error:.2f}%)"
