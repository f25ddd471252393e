"""Copies across the class (copydetect): who is flagged, with what similarity, and the page that shows them.

Five synthetic students on one exercise (ana's loop, bob's disguised copy of it, cem's independent vectorized
solution, dan's untouched stub, eve's stub and one trivial line), a second exercise whose handed-out cell holds
given code, and the report built from them.
"""

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bpcourse.tools import similarity as sim
from bpcourse.tools.similarity import (MIN_LENGTH, THRESHOLD, CopyPair, class_copies, copy_reasons,
                                       similarity, similarity_report)
from bpcourse.tools.submission import display_name

ROOT = Path(__file__).resolve().parents[1]
FORWARD = "nb02_layer_forward"
COUNT = "nb02_count_parameters"

STUB = '''def layer_forward(W, b, x):
    """One layer of sigmoid nodes: a = sigmoid(W x + b) (eq. 3.8).

    Inputs:
    - W: weights, shape (n_out, n_in); W[j, i] is the weight from input i to node j
    - b: biases, shape (n_out,)
    - x: one sample, shape (n_in,)

    Returns:
    - a: shape (n_out,)
    """
    # YOUR CODE HERE
    raise NotImplementedError()
'''
HEAD = STUB.split("    # YOUR CODE HERE")[0]

ANA = HEAD + '''    out = np.zeros(W.shape[0])
    for j in range(W.shape[0]):
        net = b[j]
        for i in range(W.shape[1]):
            net += W[j, i] * x[i]
        out[j] = 1.0 / (1.0 + math.exp(-net))
    return out
'''
# ana's loop, names changed, reformatted, comments moved and added, one line added
BOB = HEAD + '''    # </pre><script>alert(1)</script>
    result=np.zeros( W.shape[0] )
    for node in range( W.shape[0] ) :
        s = b[node]   # the bias first
        for inp in range(W.shape[1]): s += W[node, inp]*x[inp]
        result[node] = 1.0/(1.0+math.exp(-s))
    assert result.shape == b.shape
    return result
'''
CEM = HEAD + '''    z = np.dot(W, x) + b
    a = 1 / (1 + np.exp(-z))
    a = np.clip(a, 0.0, 1.0)
    return a
'''
DAN = STUB
EVE = STUB.replace("    raise NotImplementedError()\n", "    return x\n")
HOSTILE = "<img src=x onerror=alert(2)>\nbob"

COUNT_STUB = '''def count_parameters(layer_sizes):
    """Number of weights and biases of a fully connected network (eq. 3.2, 3.8).

    Inputs:
    - layer_sizes: the number of nodes per layer, inputs first, e.g. (3, 4, 2)

    Returns:
    - an int
    """
    if any(not isinstance(n, (int, np.integer)) for n in layer_sizes):
        raise TypeError(f"expected whole numbers of nodes, got {layer_sizes!r}")
    sizes = [int(n) for n in layer_sizes]
    if len(sizes) < 2 or any(n < 1 for n in sizes):
        raise ValueError(f"expected at least two layer sizes, each at least 1, got {layer_sizes!r}")
    neighbours = list(zip(sizes[:-1], sizes[1:]))
    inputs, outputs, hidden = sizes[0], sizes[-1], sizes[1:-1]
    # YOUR CODE HERE
    raise NotImplementedError()
'''
COUNT_HEAD = COUNT_STUB.split("    # YOUR CODE HERE")[0]
# both keep the given lines (most of their code) and add their own, different code
COUNT_ANA = COUNT_HEAD + '''    total = 0
    for n_in, n_out in neighbours:
        per_layer = n_in * n_out + n_out
        total = total + per_layer
    assert total >= len(neighbours), "every layer has a weight and a bias"
    return int(total)
'''
COUNT_CEM = COUNT_HEAD + '''    weights = sum(a * b for a, b in neighbours)
    biases = sum(sizes[1:])
    print("weights:", weights, "biases:", biases)
    return weights + biases
'''


def solutions():
    """bob (the hostile name) is listed before ana: the pair's order must not follow the dict's."""
    return {FORWARD: {HOSTILE: BOB, "ana": ANA, "cem": CEM, "dan": DAN, "eve": EVE},
            COUNT: {"ana": COUNT_ANA, "cem": COUNT_CEM}}


HANDED_OUT = {FORWARD: STUB, COUNT: COUNT_STUB}


def pairs_of(pairs):
    return [(p.exercise, p.student_a, p.student_b) for p in pairs]


def marked(page):
    """The texts the page highlights."""
    return re.findall(r"<mark>(.*?)</mark>", page, flags=re.S)


@pytest.fixture(scope="module")
def pairs():
    return class_copies(solutions(), HANDED_OUT)


def test_every_solution_here_is_long_enough_to_judge():
    for code in (ANA, BOB, CEM, COUNT_ANA, COUNT_CEM):
        assert similarity(code, code, HANDED_OUT[COUNT if "neighbours" in code else FORWARD]) == 1.0, code


def test_the_disguised_copy_is_the_only_pair_flagged(pairs):
    assert pairs_of(pairs) == [(FORWARD, HOSTILE, "ana")]  # "<img..." < "ana": raw names, a < b
    (pair,) = pairs
    assert 0.9 <= pair.similarity <= 1.0, pair.similarity  # the added line costs ana's last line
    assert pair.student_a < pair.student_b


def test_the_similarity_is_the_larger_share_so_an_added_line_does_not_hide_a_copy(pairs):
    padded = BOB + "    print('done', result.sum(), result.mean(), result.std())\n" * 3
    share_of_copier = similarity(padded, ANA, STUB)
    share_of_original = similarity(ANA, padded, STUB)
    assert share_of_copier < THRESHOLD <= share_of_original, (share_of_copier, share_of_original)
    (pair,) = class_copies({FORWARD: {"ana": ANA, "bob": padded}}, HANDED_OUT)
    assert pair.similarity == pytest.approx(share_of_original)


def test_an_independent_solution_is_not_flagged(pairs):
    assert not any("cem" in (p.student_a, p.student_b) for p in pairs)
    assert similarity(CEM, ANA, STUB) < THRESHOLD and similarity(ANA, CEM, STUB) < THRESHOLD


def test_the_stub_and_the_stub_with_a_trivial_line_are_not_judged(pairs):
    assert not any({"dan", "eve"} & {p.student_a, p.student_b} for p in pairs)
    assert similarity(DAN, DAN, STUB) is None and similarity(EVE, EVE, STUB) is None
    assert class_copies({FORWARD: {"dan": DAN, "dan2": DAN, "eve": EVE, "eve2": EVE}}, HANDED_OUT) == []


def test_the_handed_out_lines_are_not_counted():
    """ana and cem share only the given code and the long docstring: alike once those count, not otherwise."""
    given = {COUNT: {"ana": COUNT_ANA, "cem": COUNT_CEM}}
    assert similarity(COUNT_ANA, COUNT_CEM, COUNT_STUB) == 0.0 == similarity(COUNT_CEM, COUNT_ANA, COUNT_STUB)
    assert class_copies(given, HANDED_OUT, threshold=0.5) == []
    assert similarity(COUNT_ANA, COUNT_CEM) > 0.7  # had the given lines been counted
    assert pairs_of(class_copies(given, {}, threshold=0.5)) == [(COUNT, "ana", "cem")]


def test_the_pair_holds_the_code_compared_and_the_shared_spans(pairs):
    (pair,) = pairs
    assert pair.source_b.lstrip("\n").startswith("    out = np.zeros(W.shape[0])\n")  # blank lines stay
    assert "def layer_forward" not in pair.source_b and "weights, shape" not in pair.source_b
    for spans, code in ((pair.shared_a, pair.source_a), (pair.shared_b, pair.source_b)):
        assert spans and all(0 <= s < e <= len(code) for s, e in spans)
        assert all(e1 <= s2 for (_, e1), (s2, _) in zip(spans, spans[1:]))  # sorted, disjoint
    shared_b = "".join(pair.source_b[s:e] for s, e in pair.shared_b)
    assert "for i in range(W.shape[1]):" in shared_b


def test_pairs_are_ranked_most_similar_first_and_do_not_depend_on_the_order_given():
    edited = ANA.replace("1.0 / (1.0 + math.exp(-net))", "1 / (1 + math.exp(-net))")
    given = {FORWARD: {"bob": BOB, "ana": ANA, "fay": edited}}
    found = class_copies(given, HANDED_OUT)
    assert [p.similarity for p in found] == sorted((p.similarity for p in found), reverse=True)
    assert pairs_of(found) == [(FORWARD, "ana", "fay"), (FORWARD, "ana", "bob"), (FORWARD, "bob", "fay")]
    assert found[0].similarity > found[1].similarity > found[2].similarity
    reversed_order = {FORWARD: dict(reversed(list(given[FORWARD].items())))}
    assert class_copies(reversed_order, HANDED_OUT) == found


def test_the_shares_are_the_same_in_every_process():
    """Python salts string hashes per process; the fingerprints must not depend on it (WINDOW = 1)."""
    script = ("import sys; sys.path.insert(0, 'tests'); import test_similarity as t; "
              "print([p.similarity for p in t.class_copies({t.FORWARD: {'a': t.ANA, 'b': t.BOB, 'f': t.EVE}}, "
              "t.HANDED_OUT, threshold=0.01)])")
    outputs = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                              cwd=ROOT, env={"PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(outputs) == 1 and outputs.pop().startswith("[0.9"), outputs


def test_code_copydetect_cannot_read_is_skipped(monkeypatch):
    real = sim.CodeFingerprint

    def lexer_that_fails(name, *args, fp=None, **kwargs):
        code = fp.read()
        if "UNLEXABLE" in code:
            raise RuntimeError("the lexer gave up")
        return real(name, *args, fp=sim.io.StringIO(code), **kwargs)

    monkeypatch.setattr(sim, "CodeFingerprint", lexer_that_fails)
    given = {FORWARD: {"ana": ANA, "bob": BOB, "gus": ANA + "    # UNLEXABLE\n", "hal": b"not text", "ivy": None}}
    assert pairs_of(class_copies(given, HANDED_OUT)) == [(FORWARD, "ana", "bob")]


def test_a_threshold_that_is_not_a_share_is_refused():
    for threshold in (0, -0.5, 1.5):
        with pytest.raises(ValueError, match="threshold"):
            class_copies(solutions(), HANDED_OUT, threshold=threshold)


def test_copy_reasons_against_the_instructor():
    share = similarity(BOB, ANA, STUB)  # of bob's code, the added line is not in ana's
    assert THRESHOLD <= share < 0.9
    assert copy_reasons(BOB, {"the instructor's solution": ANA}, STUB) == [
        f"copy?: {share:.0%} like the instructor's solution"]
    assert copy_reasons(CEM, {"the instructor's solution": ANA}, STUB) == []


@pytest.fixture(scope="module")
def page(pairs):
    return similarity_report(pairs, THRESHOLD, [COUNT, FORWARD, "nb03_output_delta"])


def test_the_report_lists_every_exercise_in_order_and_says_when_none_is_flagged(page):
    headings = re.findall(r"<h2[^>]*>(.*?)</h2>", page)
    assert headings == [COUNT, FORWARD, "nb03_output_delta"]
    sections = re.split(r"<h2[^>]*>", page)[1:]
    assert sections[0].count("No pairs at or above 80%") == 1 and "No pairs" not in sections[1]
    assert "No pairs at or above 80%" in sections[2]


def test_the_report_shows_both_codes_side_by_side_and_highlights_the_shared_code(page, pairs):
    (pair,) = pairs
    text = page.replace("<mark>", "").replace("</mark>", "")
    assert html.escape(pair.source_a) in text and html.escape(pair.source_b) in text
    assert '<div class="pair">' in page and f": {pair.similarity:.0%}</h3>" in page
    assert any(html.escape("for i in range(W.shape[1]):") in m for m in marked(page))
    assert any(html.escape("result[node] = 1.0/(1.0+math.exp(-s))") in m for m in marked(page))


def test_the_report_escapes_code_and_names(page):
    assert "<script" not in page and "<img" not in page
    assert html.escape("</pre><script>alert(1)</script>") in page
    assert html.escape(display_name(HOSTILE)) in page and "\\nbob" in page
    assert page.count("<pre>") == page.count("</pre>") == 2


def test_the_report_says_how_to_read_it(page):
    assert "never a deduction" in page and "instructor to judge" in page
    assert "handed out" in page and f"under {MIN_LENGTH} characters" in page
    assert "<link" not in page and "http" not in page  # self-contained


def test_the_report_of_a_hand_made_pair_shows_an_exercise_not_listed_and_survives_lone_surrogates():
    pair = CopyPair("nb09_extra", "a", "b", 0.9, ((0, 3),), (), "abc\ud800\n", "x < y\n")
    page = similarity_report([pair], 0.5, [])
    assert "nb09_extra" in page and "<mark>abc</mark>" in page and "x &lt; y" in page
    page.encode("utf-8")  # a lone surrogate in a learner's code does not stop the page being written
