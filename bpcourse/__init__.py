"""bpcourse: the helper package of the backpropagation course.

Notebooks import from the submodules, for example::

    from bpcourse.core.activations import sigmoid
    from bpcourse.core.data import load_mnist

Every notebook checks ``bpcourse.version_info`` (``__version__`` as a tuple) in its first cell so that an
old installation is caught before it gives confusing errors.
"""

__version__ = "0.1.0"
version_info = tuple(int(part) for part in __version__.split("."))  # compare this, not the string
