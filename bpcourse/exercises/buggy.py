"""A DELIBERATELY WRONG backward pass, planted for notebook 05 (the gradient check). Never use it to train.

Notebook 05 shows :func:`buggy_gradients` to the learner, runs the gradient
check (eq. 5.4, :func:`bpcourse.core.gradcheck.gradient_check` with
``analytic=buggy_gradients``) on it, and asks the learner to find the bug from
the check's report and to write the corrected backward pass. The code looks
like a careful backward pass and runs without any error; it also trains a
little, which is exactly why a bug like this survives without a gradient
check.

Spoiler, for maintainers (the learner reads only the function's source): the
hidden layers' error term multiplies by the activation's derivative evaluated
at the layer's weighted INPUT ``net`` instead of its OUTPUT ``a``.
``activator.backward`` expects the output (eq. 1.4: f'(net) = a(1 - a) for the
sigmoid), so ``activator.backward(net)`` computes net(1 - net), which is
wrong. The output layer uses the output correctly, so the last layer's
gradients are right and every layer below it is wrong: the check's report
points at the hidden layers. The fix is one line:
``activator.backward(a[l])`` in place of ``activator.backward(nets[l - 1])``.
"""

import numpy as np

from bpcourse.core.activations import get_activator


def buggy_gradients(network, x, t):
    """DELIBERATELY WRONG (planted bug): a backward pass that looks right and is not.

    Parameters
    ----------
    network : bpcourse.core.oo_network.Network or bpcourse.core.vectorized.Network
        Read through ``get_weights()`` and ``activator`` only; nothing is changed.
    x : array, shape (n_in,)
        One sample.
    t : array, shape (n_out,)
        Its target.

    Returns
    -------
    list with one ``(dW, db)`` per layer, meant to be dE/dW and dE/db for
    E = 1/2 sum (t - y)^2 (eq. 4.9): dW of shape (n_out, n_in), db of shape
    (n_out,), as ``network.gradients(x, t)``. Some of them are wrong.
    """
    activator = get_activator(network.activator)
    weights = network.get_weights()
    x = np.asarray(x, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)

    # forward pass (eq. 3.8), keeping every layer's weighted input and output
    a = [x]  # a[0] = x, a[l + 1] = output of layer l
    nets = []
    for W, b in weights:
        net = W @ a[-1] + b  # eq. 4.11
        nets.append(net)
        a.append(activator.forward(net))
    y = a[-1]

    # backward pass, from the output layer down
    g = -(t - y) * activator.backward(y)  # dE/dnet of the output layer (eq. 4.16)
    grads = []
    for l in range(len(weights) - 1, -1, -1):
        W, _ = weights[l]
        grads.append((np.outer(g, a[l]), g.copy()))  # eq. 4.12: dE/dw_ji = dE/dnet_j * x_ji
        if l > 0:
            g = activator.backward(nets[l - 1]) * (W.T @ g)  # eq. 4.3: dE/dnet of layer l - 1
    grads.reverse()
    return grads
