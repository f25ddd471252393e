"""Solution cells worth a human look are flagged; ordinary solutions are not."""

import pytest

from bpcourse.tools.review import review_reasons


@pytest.mark.parametrize(
    "source, reason",
    [
        ("import importlib\nm = importlib.import_module('x')", "imports importlib"),
        ("m = __import__('bpcourse')", "uses __import__"),
        ("exec('x = 1')", "uses exec"),
        ("y = eval('1 + 1')", "uses eval"),
        ("get_ipython().input_transformers_post.append(f)", "uses get_ipython"),
        ("import builtins\nbuiltins.print = None", "imports builtins"),
    ],
)
def test_flagged(source, reason):
    assert any(reason in r for r in review_reasons(source)), review_reasons(source)


def test_an_ordinary_solution_is_not_flagged():
    source = "%matplotlib inline\nimport numpy as np\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))  # evaluate\n"
    assert review_reasons(source) == []


def test_using_the_package_s_building_blocks_or_getattr_and_sys_is_not_flagged():
    """Whether the package's ANSWER ran is decided at run time (the clean room), not by reading imports."""
    source = ("import sys\nfrom bpcourse.core import activations\n\ndef neuron_output(w, x):\n"
              "    f = getattr(activations, 'sigmoid')\n    return f(x @ w[1:] + w[0]) * (sys.maxsize > 0)\n")
    assert review_reasons(source) == []


def test_lines_handed_out_in_the_student_version_are_not_reasons():
    stub = 'def f(network):\n    """Train a Network of bpcourse.core.oo_network."""\n    raise NotImplementedError()'
    answer = 'def f(network):\n    """Train a Network of bpcourse.core.oo_network."""\n    return network'
    assert review_reasons(answer, given=stub) == []
    loading = answer.replace("return network", "exec('network = None')\n    return network")
    assert any("uses exec" in reason for reason in review_reasons(loading, given=stub))
