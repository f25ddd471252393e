"""Divergence: the loss became NaN or infinite, so training must stop and say why.

Both networks' ``train`` and :func:`bpcourse.core.training.fit` raise the same
:class:`DivergenceError` (a ``FloatingPointError``) with a message a learner can
act on: the learning rate is too large.
"""

import math

import numpy as np

__all__ = ["DivergenceError", "check_loss", "check_weights_finite", "diverged"]


class DivergenceError(FloatingPointError):
    """Training diverged: the loss became NaN or infinite (the learning rate is too large).

    Attributes: ``epoch`` (the epoch in which it happened), ``loss``, ``rate``
    and ``checkpoint_epoch`` (the epoch of the last good checkpoint on disk, or None).
    """

    def __init__(self, message, *, epoch, loss, rate, checkpoint_epoch=None):
        super().__init__(message)
        self.epoch = epoch
        self.loss = loss
        self.rate = rate
        self.checkpoint_epoch = checkpoint_epoch


def diverged(epoch, loss, rate, checkpoint_path=None, checkpoint_epoch=None):
    """The :class:`DivergenceError` for a loss ``loss`` in epoch ``epoch`` at learning rate ``rate``."""
    message = (f"training diverged in epoch {epoch}: the loss became {loss} (NaN or infinite), so the "
               f"weights are no longer usable. The learning rate {rate:g} is too large for this network: "
               f"try a smaller one, e.g. {rate / 10:g}.")
    if checkpoint_path is not None and checkpoint_epoch is not None:
        message += (f" The last good checkpoint, {checkpoint_path} (epoch {checkpoint_epoch}), is intact: "
                    "call fit again with Checkpoint(..., resume=True) and the smaller rate to continue from it.")
    return DivergenceError(message, epoch=epoch, loss=loss, rate=rate, checkpoint_epoch=checkpoint_epoch)


def check_loss(loss, *, epoch, rate, checkpoint_path=None, checkpoint_epoch=None):
    """Return ``loss`` (a float) if it is finite, else raise :class:`DivergenceError`."""
    if not math.isfinite(loss):
        raise diverged(epoch, loss, rate, checkpoint_path, checkpoint_epoch)
    return loss


def check_weights_finite(weights, *, epoch, rate, checkpoint_path=None, checkpoint_epoch=None):
    """Raise :class:`DivergenceError` unless every (W, b) of ``weights`` is finite."""
    if not all(np.isfinite(W).all() and np.isfinite(b).all() for W, b in weights):
        raise diverged(epoch, float("nan"), rate, checkpoint_path, checkpoint_epoch)
