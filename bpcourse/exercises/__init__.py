"""The homework: exercise checks (one module per notebook), the deliberately
buggy network of notebook 05 and the fallback to the reference while an
exercise is not done yet.

Built on :mod:`bpcourse.core` and :mod:`bpcourse.visuals`.
"""
