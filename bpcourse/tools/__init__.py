"""Instructor tools: student versions, grading, the course runner and the
``bpcourse`` command. They need the ``instructor`` extra
(``pip install bpcourse[instructor]``).
"""
