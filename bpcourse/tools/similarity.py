"""How closely solutions resemble each other: copydetect's token fingerprints.

Copies are for the instructor to judge, never for a machine to score. A
solution that is correct keeps its points; when its code is a near copy of
the instructor's solution or of the package's implementation of the
exercise, the grade sheet's review column says ``copy?``, what it resembles
and how closely (:func:`copy_reasons`). Across the class, :func:`class_copies`
finds the pairs of students whose solutions of an exercise look alike and
:func:`similarity_report` shows them side by side on one HTML page.

The measure is copydetect's (the fingerprints of MOSS): the code is tokenized,
names and literals normalized, so renaming variables or reformatting does not
hide a copy, and the share of a solution's code covered by runs of
:data:`NOISE_K` tokens found in the other is reported. Lines the student
version handed out (the ``def`` line, the docstring, given code) are removed
from both sides first, and a solution shorter than :data:`MIN_LENGTH` is not
judged (short answers look alike by nature).
"""

import html
import io
import itertools
from dataclasses import dataclass

from copydetect import CodeFingerprint, compare_files

from bpcourse.tools.submission import display_name

NOISE_K = 10
"""Characters of normalized code per fingerprinted run (copydetect's k; a name is one character, ``V``), about
four to six tokens: the shortest run counted as shared. With 5 (two or three tokens) any two solutions of an
exercise share most of their code: in a synthetic class of solutions made of seven statements, each written one
of four ways, pairs that had no statement alike scored a median of 60% and pairs with two of seven alike were
flagged at 80% one time in four; with 10 they scored 13% and none was flagged, while three copies in four with a
statement rewritten still were."""
WINDOW = 1
"""Winnowing window (copydetect's win_size): 1 keeps every run. A larger window keeps the smallest hash of each
window, and Python salts its string hashes per process, so the shares would change from one run (or grading child)
to the next (with 4, one pair measured 87% to 96% under six hash seeds); solutions are short enough to keep all."""
THRESHOLD = 0.8
"""Share from which a solution is flagged: of the learner's code found in the reference (:func:`copy_reasons`), or
across the class the larger of a pair's two shares (:class:`CopyPair`)."""
MIN_LENGTH = 50
"""Solutions whose normalized code (copydetect's ``filtered_code``: one letter per name, without the lines handed
out) is shorter are not judged: the three-line stable sigmoid of notebook 01 is about 59 characters long, a
one-line sigmoid about 32."""


def _without(source, handed_out):
    given = {line.strip() for line in handed_out.splitlines() if line.strip()}
    return "\n".join(line for line in source.splitlines() if line.strip() not in given) + "\n"


def _fingerprint(name, source):
    try:
        return CodeFingerprint(name, NOISE_K, WINDOW, fp=io.StringIO(source), language="python")
    except Exception:  # noqa: BLE001 - code copydetect cannot tokenize is not judged
        return None


def _judged(name, source, handed_out):
    """The fingerprint of ``source`` without the lines of ``handed_out``, or None when ``source`` is not text,
    copydetect cannot tokenize it or it is shorter than :data:`MIN_LENGTH`."""
    if not isinstance(source, str) or not isinstance(handed_out, str):
        return None
    fingerprint = _fingerprint(name, _without(source, handed_out))
    if fingerprint is None or len(fingerprint.hashes) == 0 or len(fingerprint.filtered_code) < MIN_LENGTH:
        return None
    return fingerprint


def similarity(source, reference, handed_out=""):
    """The share (0 to 1) of ``source``'s fingerprints found in ``reference``, or None when too short to judge."""
    mine = _judged("solution.py", source, handed_out)
    theirs = _fingerprint("reference.py", _without(reference, handed_out))
    if mine is None or theirs is None:
        return None
    _, (share, _), _ = compare_files(mine, theirs)
    return float(share)


def copy_reasons(source, references, handed_out=""):
    """Review notes for ``source``: ``["copy?: 93% like the instructor's solution", ...]`` for every reference
    (``{description: code}``) it resembles at :data:`THRESHOLD` or more."""
    notes = []
    for what, reference in references.items():
        share = similarity(source, reference, handed_out)
        if share is not None and share >= THRESHOLD:
            notes.append(f"copy?: {share:.0%} like {what}")
    return notes


@dataclass(frozen=True)
class CopyPair:
    """Two students whose solutions of one exercise look alike, and what the class page shows of them.

    ``exercise`` is the solution cell's grade_id (``"nb01_sigmoid"``); ``student_a`` < ``student_b`` the raw
    student names (folder names). ``similarity`` (0 to 1), by which pairs are ranked and thresholded, is the
    larger of copydetect's two shares: the share of a's code found in b's, and of b's in a's. A copy that had a
    few lines added (or removed) keeps the original's share near 1 while the copier's drops, so the larger
    share still flags it; the smaller would let padding hide a copy. Short answers, which the larger share
    would find inside any longer one, are left out by :data:`MIN_LENGTH`.
    ``source_a``, ``source_b`` are the code compared (the solution cell without the lines handed out);
    ``shared_a`` holds the ``(start, end)`` character spans of ``source_a`` that are also in b's code
    (sorted, disjoint), ``shared_b`` those of ``source_b``.
    """

    exercise: str
    student_a: str
    student_b: str
    similarity: float
    shared_a: tuple
    shared_b: tuple
    source_a: str
    source_b: str


@dataclass(frozen=True)
class _Solution:
    """One student's judged solution: its fingerprint, its hashes as Python ints, where each occurs in the
    normalized code and the most occurrences of any one hash (for :func:`_share`'s quick bound)."""

    student: str
    fingerprint: CodeFingerprint
    hashes: frozenset
    positions: dict
    most: int


def _solutions(sources, handed_out):
    """The judged solutions of one exercise (``{student: source}``), by student name."""
    judged = []
    for student in sorted(sources):
        fingerprint = _judged(f"{student}.py", sources[student], handed_out)
        if fingerprint is not None:
            positions = {int(h): sorted(int(i) for i in where) for h, where in fingerprint.hash_idx.items()}
            judged.append(_Solution(student, fingerprint, frozenset(positions), positions,
                                    max(map(len, positions.values()))))
    return judged


def _share(solution, shared, bar):
    """The share of ``solution``'s normalized code covered by runs with a hash in ``shared`` (copydetect's
    token overlap over token coverage, as :func:`copydetect.compare_files` computes it), or 0.0 when it
    cannot reach ``bar``: each occurrence of a hash covers at most NOISE_K characters."""
    coverage = solution.fingerprint.token_coverage
    if NOISE_K * len(shared) * solution.most < bar * coverage:
        return 0.0
    covered, end = 0, 0
    for start in sorted(itertools.chain.from_iterable(map(solution.positions.__getitem__, shared))):
        covered += min(NOISE_K, start + NOISE_K - end)
        end = start + NOISE_K
    return covered / coverage


def _spans(slices, length):
    """copydetect's copied slices (a 2 x N array of starts and ends) as sorted, disjoint (start, end) spans
    within a text of ``length`` characters."""
    spans = []
    for start, end in sorted(zip((int(i) for i in slices[0]), (int(i) for i in slices[1]))):
        start, end = max(start, spans[-1][1] if spans else 0), min(end, length)
        if start < end:
            spans.append((start, end))
    return tuple(spans)


def _pair(exercise, a, b, threshold):
    """The CopyPair of solutions ``a`` and ``b``, or None when they are less alike than ``threshold``."""
    shared = a.hashes & b.hashes
    if not shared or max(_share(a, shared, threshold), _share(b, shared, threshold)) < threshold:
        return None
    try:
        _, shares, (slices_a, slices_b) = compare_files(a.fingerprint, b.fingerprint)
    except Exception:  # noqa: BLE001 - a pair copydetect cannot compare is not judged
        return None
    share = float(max(shares))
    if share < threshold:
        return None
    source_a, source_b = a.fingerprint.raw_code, b.fingerprint.raw_code
    return CopyPair(exercise, a.student, b.student, share, _spans(slices_a, len(source_a)),
                    _spans(slices_b, len(source_b)), source_a, source_b)


def _rank(pair):
    return -pair.similarity, pair.exercise, pair.student_a, pair.student_b


def class_copies(solutions, handed_out, threshold=THRESHOLD):
    """The pairs of students whose solutions of an exercise are at least ``threshold`` alike, most similar first
    (then by exercise and names).

    ``solutions`` is ``{exercise: {student: source of the solution cell}}``; ``handed_out`` is ``{exercise:
    source of the handed-out cell}`` (the stub every student got in the student version: def line, docstring,
    ``raise NotImplementedError()``; an exercise missing from it has nothing removed). Its lines are removed
    from both sides, so two students who hand in only the stub are never alike. A solution that is not text,
    that copydetect cannot tokenize or that is shorter than :data:`MIN_LENGTH` is not judged. Each solution is
    fingerprinted once; a pair is given to copydetect only when the shares computed from the fingerprints'
    hashes reach ``threshold``.
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"expected a threshold in (0, 1], a share of the code, got {threshold!r}")
    pairs = []
    for exercise in sorted(solutions):
        judged = _solutions(solutions[exercise], handed_out.get(exercise, ""))
        for a, b in itertools.combinations(judged, 2):
            pair = _pair(exercise, a, b, threshold)
            if pair is not None:
                pairs.append(pair)
    return sorted(pairs, key=_rank)


_CSS = """body { font-family: sans-serif; margin: 2em; max-width: 110em; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; margin-bottom: 2em; }
.pair h4 { margin: 0 0 0.3em 0; }
pre { background: #f6f6f6; border: 1px solid #ddd; padding: 0.6em; margin: 0; white-space: pre-wrap;
      overflow-wrap: anywhere; font-size: 0.9em; }
mark { background: #ffd866; }
.none { color: #555; }"""


def _text(text):
    """Any text as escaped HTML (lone surrogates, which UTF-8 cannot hold, as ``\\udXXX``)."""
    return html.escape(text.encode("utf-8", "backslashreplace").decode("utf-8"), quote=True)


def _name(student):
    return html.escape(display_name(student), quote=True)


def _highlighted(code, spans):
    """``code`` as escaped HTML with each (start, end) span of ``spans`` wrapped in ``<mark>``."""
    parts, at = [], 0
    for start, end in sorted(spans):
        start, end = max(start, at), min(end, len(code))
        if start < end:
            parts.append(f"{_text(code[at:start])}<mark>{_text(code[start:end])}</mark>")
            at = end
    parts.append(_text(code[at:]))
    return "".join(parts)


def _pair_html(pair):
    sides = "".join(f"<div><h4>{_name(student)}</h4><pre>{_highlighted(code, spans)}</pre></div>"
                    for student, code, spans in ((pair.student_a, pair.source_a, pair.shared_a),
                                                 (pair.student_b, pair.source_b, pair.shared_b)))
    return (f"<h3>{_name(pair.student_a)} and {_name(pair.student_b)}: {pair.similarity:.0%}</h3>\n"
            f'<div class="pair">{sides}</div>\n')


def similarity_report(pairs, threshold, exercises):
    """A self-contained HTML page (inline CSS, no script, no external resource) of ``pairs`` (CopyPairs).

    One section per exercise of ``exercises``, in that order (then any other exercise of ``pairs``), listing
    its pairs, most similar first, with their similarity and the two students' code side by side, the shared
    code highlighted (``<mark>``), or saying that no pair is at or above ``threshold``. Every string from a
    submission (names, code, exercise ids) is escaped; names are shown by
    :func:`bpcourse.tools.submission.display_name`.
    """
    by_exercise = {}
    for pair in sorted(pairs, key=_rank):
        by_exercise.setdefault(pair.exercise, []).append(pair)
    order = list(dict.fromkeys(exercises)) + sorted(set(by_exercise) - set(exercises))
    contents, sections = [], []
    for exercise in order:
        found = by_exercise.get(exercise, [])
        anchor = _text(f"ex-{exercise}")
        contents.append(f'<li><a href="#{anchor}">{_text(exercise)}</a>: {len(found)} '
                        f'pair{"" if len(found) == 1 else "s"}</li>')
        body = ("".join(_pair_html(pair) for pair in found) if found else
                f'<p class="none">No pairs at or above {threshold:.0%}.</p>\n')
        sections.append(f'<h2 id="{anchor}">{_text(exercise)}</h2>\n{body}')
    contents = "\n".join(contents)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Similar solutions across the class</title>
<style>
{_CSS}
</style>
</head>
<body>
<h1>Similar solutions across the class</h1>
<p>Pairs of students whose solutions of an exercise are at least {threshold:.0%} alike (copydetect's token
fingerprints: names and literals normalized, so renamed variables, reformatting and comments do not change it;
the similarity is the larger of the two shares, the share of one's code found in the other's). A flag is for the
instructor to judge, never a deduction: similar code can be honest, and a correct solution keeps its points.</p>
<p>Left out: the lines handed out in the student version (the <code>def</code> line, the docstring, given code),
removed from both sides, and solutions too short to judge (under {MIN_LENGTH} characters of normalized code).
Shared code is <mark>highlighted</mark>.</p>
<ul>
{contents}
</ul>
{"".join(sections)}</body>
</html>
"""
