"""How closely a learner's solution resembles a reference: copydetect's winnowed token fingerprints.

Copies are for the instructor to judge, never for a machine to score. A
solution that is correct keeps its points; when its code is a near copy of
the instructor's solution or of the package's implementation of the
exercise, the grade sheet's review column says ``copy?``, what it resembles
and how closely.

The measure is copydetect's (the winnowing of MOSS): the code is tokenized,
names and literals normalized, so renaming variables or reformatting does not
hide a copy, and the share of the learner's fingerprints found in the
reference is reported. Lines the student version handed out (the ``def`` line,
the docstring) are removed from both sides first, and a solution shorter than
:data:`MIN_LENGTH` is not judged (short answers look alike by nature).
"""

import io

from copydetect import CodeFingerprint, compare_files

NOISE_K = 5
"""Tokens per fingerprinted run (copydetect's k)."""
WINDOW = 4
"""Winnowing window (copydetect's win_size)."""
THRESHOLD = 0.8
"""Share of the learner's fingerprints found in the reference from which a solution is flagged."""
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


def similarity(source, reference, handed_out=""):
    """The share (0 to 1) of ``source``'s fingerprints found in ``reference``, or None when too short to judge."""
    mine = _fingerprint("solution.py", _without(source, handed_out))
    theirs = _fingerprint("reference.py", _without(reference, handed_out))
    if mine is None or theirs is None or len(mine.hashes) == 0 or len(mine.filtered_code) < MIN_LENGTH:
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
