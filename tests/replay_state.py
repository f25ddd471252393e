"""What a call did to its arguments, for the replay answer of tests/test_hidden_tests.py.

Kept in a module of its own: a learner's helper functions are followed by the
borrowed-answer look only within the learner's own namespace, and this test
helper is not part of any answer.
"""

from bpcourse.core.oo_network import Connection


def state_after(args):
    """The weights of every network argument and the weight of every connection argument (None for others)."""
    return [arg.get_weights() if hasattr(arg, "set_weights") else arg.weight if isinstance(arg, Connection)
            else None for arg in args]


def restore(args, after):
    """Put the recorded state back into the arguments (networks of other shapes are left as they are)."""
    for arg, saved in zip(args, after):
        if saved is not None and hasattr(arg, "set_weights"):
            try:
                arg.set_weights(saved)
            except ValueError:
                pass
        elif saved is not None:
            arg.weight = saved
