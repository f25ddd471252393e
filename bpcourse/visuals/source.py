"""Show the package's own code in a notebook: the notebooks send learners to read it."""

import inspect

from IPython.display import Code, display


def show_source(*objects):
    """Display the source of each function, method or class in ``objects``, with syntax highlighting.

    Example: ``show_source(FullConnectedLayer.forward, FullConnectedLayer.backward)``; a property
    (``FullConnectedLayer.dW``) shows its getter.
    """
    for shown in objects:
        if isinstance(shown, property):
            shown = shown.fget
        try:
            source = inspect.getsource(shown)
        except TypeError:
            raise TypeError(f"show_source: expected a function, method or class written in Python, "
                            f"got {shown!r}") from None
        display(Code(source, language="python"))
