"""The maths of the course: activations, losses, both networks, the gradient
check, training, checkpoints and the MNIST data.

The core imports nothing from the layers above it (visuals, exercises, tools).
"""
