"""Early stopping done right: keep the weights of the epoch with the lowest VALIDATION error.

The text stops "when the accuracy starts to drop", looking at the test set.
Two things go wrong with that: choosing on the test set makes the reported
test error optimistic, and the weights kept are those of the epoch AFTER the
best one. :class:`BestWeights` is a callback for
:func:`bpcourse.core.training.fit` that watches the validation error only and
remembers the best weights, so that they can be put back after training and
measured once on the test set.
"""

__all__ = ["BestWeights"]


class BestWeights:
    """A ``fit`` callback that keeps a copy of the weights with the lowest validation error so far.

    Use: ``best = BestWeights(); fit(network, ..., validation=(X_val, y_val), callback=best)``,
    then ``best.restore(network)``. On a tie the earlier epoch is kept.

    Attributes: ``epoch`` (the chosen epoch, or None before the first
    evaluation), ``error`` (its validation error, in [0, 1]) and ``weights``
    (a list of (W, b) per layer, copies).
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
            raise ValueError("no weights kept yet: pass this object as fit(..., callback=...) with a validation set")
        network.set_weights(self.weights)

    def __repr__(self):
        if self.epoch is None:
            return "BestWeights(nothing kept yet)"
        return f"BestWeights(epoch {self.epoch}, validation error {100 * self.error:.2f}%)"
