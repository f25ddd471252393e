"""What the notebooks show: diagrams, steppers, widgets, plots, the live plot.

Built on :mod:`bpcourse.core`; never imported by it.
"""
