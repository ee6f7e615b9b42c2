"""Checks of text an agent or a report writes.

language.py: is it English, free of model garbage and loops (the claims use it); numbers.py:
does every number trace to a set of allowed numbers (bench/check_report_numbers.py uses it).
Pure Python.
"""

from tasks.agents.guard.language import language_problems
from tasks.agents.guard.numbers import Number, numbers_in_text, untraced_numbers
from tasks.agents.guard.policy import GuardPolicy

__all__ = ["GuardPolicy", "Number", "language_problems", "numbers_in_text", "untraced_numbers"]
