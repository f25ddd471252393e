"""A DELIBERATELY WRONG backward pass, planted for notebook 05 (the gradient check). Never use it to train.

Notebook 05 shows :func:`buggy_gradients`, runs the gradient check on it and asks the learner to fix it. It runs
without error and even trains a little, which is why such a bug survives without a gradient check.

Spoiler (the learner reads only the function's source): the hidden layers' error term takes the derivative at
the weighted input ``net`` instead of the output ``a`` (eq. 1.4), so every layer below the output is wrong. The
fix: ``activator.backward(a[l])`` in place of ``activator.backward(nets[l - 1])``.
"""

import numpy as np

from bpcourse.core.activations import get_activator


def buggy_gradients(network, x, t):
    """DELIBERATELY WRONG (planted bug): a backward pass that looks right and is not.

    network: a bpcourse.core.oo_network or bpcourse.core.vectorized Network, read through ``get_weights()`` and
    ``activator`` only (nothing is changed); x (n_in,): one sample; t (n_out,): its target.
    Returns one ``(dW, db)`` per layer, meant to be dE/dW and dE/db for E = 1/2 sum (t - y)^2 (eq. 4.9): dW of
    shape (n_out, n_in), db of shape (n_out,), as ``network.gradients(x, t)``. Some of them are wrong.
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
