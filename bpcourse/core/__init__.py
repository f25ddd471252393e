"""The maths of the course: activations, losses, both networks, the gradient
check, training, checkpoints and the MNIST data.

The core imports nothing from the layers above it (visuals, exercises, tools).

Signs, for the whole package (eq. 4.12, 4.17)
---------------------------------------------
``delta`` is always the text's error term, delta = -dE/dnet, so the text's
step *adds* eta * delta x (eq. 4.5, 6.5). A *gradient* is always the true
dE/dW: ``gradients()`` of both networks, a layer's ``dW`` and ``db``, the
gradient check; a step of gradient descent is W -= eta * dW, the same step.
One name keeps the text's own meaning: ``Connection.gradient`` of the object
network is the text's delta_j * x_ji = -dE/dw_ji, because the text's code and
its gradient check (notebook 05) are written with it.
"""
