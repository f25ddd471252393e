"""How closely solutions resemble each other: copydetect's token fingerprints (those of MOSS).

Copies are for the instructor to judge, never for a machine to score: a near copy of the instructor's
solution or the package's code keeps its points, with ``copy?`` in the review column (:func:`copy_reasons`);
:func:`class_copies` finds the alike pairs of a class, :func:`similarity_report` shows them side by side.
Names and literals are normalized, so renaming or reformatting hides nothing; the lines handed out are
removed from both sides first, and short solutions (:data:`MIN_LENGTH`) are not judged.
"""

import html
import io
import itertools
from dataclasses import dataclass

from copydetect import CodeFingerprint, compare_files

from bpcourse.tools.submission import display_name

NOISE_K = 10  # characters of normalized code per fingerprinted run (copydetect's k; a name is one character)
WINDOW = 1  # copydetect's win_size: every run kept (a larger window would depend on Python's per-process hash salt)
THRESHOLD = 0.8  # share from which a solution is flagged (across the class, the larger of a pair's two shares)
MIN_LENGTH = 50  # less normalized code is not judged: notebook 01's stable sigmoid has about 59 characters


def _fingerprint(name, source, handed_out, judged=True):
    """copydetect's fingerprint of ``source`` without the lines of ``handed_out``, or None for what is not text or
    cannot be tokenized and, when ``judged``, for code too short to judge (:data:`MIN_LENGTH`)."""
    if not (isinstance(source, str) and isinstance(handed_out, str)):
        return None
    given = {line.strip() for line in handed_out.splitlines() if line.strip()}
    code = "\n".join(line for line in source.splitlines() if line.strip() not in given) + "\n"
    try:
        fingerprint = CodeFingerprint(name, NOISE_K, WINDOW, fp=io.StringIO(code), language="python")
    except Exception:  # noqa: BLE001 - code copydetect cannot tokenize is not judged
        return None
    if judged and (len(fingerprint.hashes) == 0 or len(fingerprint.filtered_code) < MIN_LENGTH):
        return None
    return fingerprint


def similarity(source, reference, handed_out=""):
    """The share (0 to 1) of ``source``'s fingerprints found in ``reference``, or None when too short to judge."""
    mine = _fingerprint("solution.py", source, handed_out)
    theirs = _fingerprint("reference.py", reference, handed_out, judged=False)
    if mine is None or theirs is None:
        return None
    _, (share, _), _ = compare_files(mine, theirs)
    return float(share)


def copy_reasons(source, references, handed_out=""):
    """Review notes for ``source``: ``["copy?: 93% like the instructor's solution", ...]`` for every reference
    (``{description: code}``) it resembles at :data:`THRESHOLD` or more."""
    shares = {what: similarity(source, reference, handed_out) for what, reference in references.items()}
    return [f"copy?: {share:.0%} like {what}" for what, share in shares.items()
            if share is not None and share >= THRESHOLD]


@dataclass(frozen=True)
class CopyPair:
    """Two students (raw names, ``student_a`` < ``student_b``) whose solutions of one exercise look alike.

    ``similarity`` is the larger of copydetect's two shares (a's code found in b's, b's in a's): padding a copy
    lowers only the copier's share. ``shared_a`` holds the sorted, disjoint ``(start, end)`` spans of
    ``source_a`` (the code compared) that are also in b's code; ``shared_b`` likewise.
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
    """One student's judged solution; ``positions``: hash -> where it occurs, ``most``: the most of any one hash."""

    student: str
    fingerprint: CodeFingerprint
    positions: dict
    most: int


def _solutions(sources, handed_out):
    judged = []
    for student in sorted(sources):
        fingerprint = _fingerprint(f"{student}.py", sources[student], handed_out)
        if fingerprint is not None:
            positions = {int(h): sorted(int(i) for i in where) for h, where in fingerprint.hash_idx.items()}
            judged.append(_Solution(student, fingerprint, positions, max(map(len, positions.values()))))
    return judged


def _share(solution, shared, bar):
    """The share of ``solution``'s code covered by runs with a hash in ``shared``, as copydetect computes it, or
    0.0 when it cannot reach ``bar`` (each occurrence of a hash covers at most NOISE_K characters)."""
    coverage = solution.fingerprint.token_coverage
    if NOISE_K * len(shared) * solution.most < bar * coverage:
        return 0.0
    covered, end = 0, 0
    for start in sorted(itertools.chain.from_iterable(map(solution.positions.__getitem__, shared))):
        covered += min(NOISE_K, start + NOISE_K - end)
        end = start + NOISE_K
    return covered / coverage


def _spans(slices, length):
    """copydetect's copied slices (a 2 x N array) as sorted, disjoint (start, end) spans within ``length``."""
    spans = []
    for start, end in sorted(zip((int(i) for i in slices[0]), (int(i) for i in slices[1]))):
        start, end = max(start, spans[-1][1] if spans else 0), min(end, length)
        if start < end:
            spans.append((start, end))
    return tuple(spans)


def _pair(exercise, a, b, threshold):
    shared = a.positions.keys() & b.positions.keys()
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
    """The pairs whose solutions of an exercise are at least ``threshold`` alike, most similar first.

    ``solutions``: ``{exercise: {student: source}}``; the lines of ``handed_out[exercise]`` (the stub) are removed
    from both sides. A pair goes to copydetect only when the shares bounded from the hashes reach ``threshold``.
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"expected a threshold in (0, 1], a share of the code, got {threshold!r}")
    pairs = []
    for exercise in sorted(solutions):
        judged = _solutions(solutions[exercise], handed_out.get(exercise, ""))
        pairs += filter(None, (_pair(exercise, a, b, threshold) for a, b in itertools.combinations(judged, 2)))
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
    """A self-contained HTML page (inline CSS, no script) of ``pairs``: a section per exercise of ``exercises``
    (then any other), the two students' code side by side, the shared code in ``<mark>``; every string escaped."""
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
<html lang="en"><head><meta charset="utf-8"><title>Similar solutions across the class</title>
<style>{_CSS}</style></head><body>
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
