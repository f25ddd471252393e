"""Solution cells worth a human look are flagged; ordinary solutions are not."""

import pytest

from bpcourse.tools.review import review_reasons


@pytest.mark.parametrize(
    "source, reason",
    [
        ("import bpcourse.core.activations as a\ndef sigmoid(x):\n    return a.sigmoid(x)", "line 1: imports bpcourse"),
        ("from bpcourse.core import activations", "imports bpcourse.core"),
        ("import importlib\nm = importlib.import_module('x')", "imports importlib"),
        ("m = __import__('bpcourse')", "uses __import__"),
        ("exec('x = 1')", "uses exec"),
        ("y = eval('1 + 1')", "uses eval"),
        ("get_ipython().input_transformers_post.append(f)", "uses get_ipython"),
        ("import sys\nm = sys.modules['bpcourse']", "names bpcourse in a string"),
    ],
)
def test_flagged(source, reason):
    assert any(reason in r for r in review_reasons(source)), review_reasons(source)


def test_an_ordinary_solution_is_not_flagged():
    source = "%matplotlib inline\nimport numpy as np\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))  # evaluate\n"
    assert review_reasons(source) == []


def test_lines_handed_out_in_the_student_version_are_not_reasons():
    stub = 'def f(network):\n    """Train a Network of bpcourse.core.oo_network."""\n    raise NotImplementedError()'
    answer = 'def f(network):\n    """Train a Network of bpcourse.core.oo_network."""\n    return network'
    assert review_reasons(answer, given=stub) == []
    borrowed = answer.replace("return network", "import bpcourse\n    return network")
    assert any("imports bpcourse" in reason for reason in review_reasons(borrowed, given=stub))
