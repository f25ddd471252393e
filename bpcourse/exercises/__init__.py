"""The homework: exercise checks (one module per notebook), the deliberately buggy backward pass of notebook 05
and the fallback to the reference while an exercise is not done yet. Built on :mod:`bpcourse.core`."""
