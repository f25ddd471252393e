"""bpcourse: the helper package of the backpropagation course.

Notebooks import from the submodules, for example::

    from bpcourse.activations import sigmoid
    from bpcourse.data import load_mnist

Every notebook checks ``bpcourse.__version__`` in its first cell so that an
old installation is caught before it gives confusing errors.
"""

__version__ = "0.1.0"
