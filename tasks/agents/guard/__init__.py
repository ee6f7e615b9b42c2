"""The guard: may a text an agent or a report writes be published?

claims.py: may an agent's claim be published (check_claims, with the persona's sections);
language.py: is a text English, free of model garbage and loops (claims use it); numbers.py:
does every number trace to a set of allowed numbers (bench/check_report_numbers.py uses it);
policy.py: the thresholds of all of them (GuardPolicy). Pure: no I/O.
"""

from tasks.agents.guard.claims import SectionClaims, check_claims
from tasks.agents.guard.language import language_problems
from tasks.agents.guard.numbers import Number, numbers_in_text, untraced_numbers
from tasks.agents.guard.policy import GuardPolicy

__all__ = [
    "GuardPolicy",
    "Number",
    "SectionClaims",
    "check_claims",
    "language_problems",
    "numbers_in_text",
    "untraced_numbers",
]
