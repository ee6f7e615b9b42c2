"""The guard: decides whether an agent's draft may be published.

In: a draft (section name -> Markdown), the numbers the facts state, the required sections.
Out: a GuardVerdict (accepted, reasons). Pure Python; see numbers.py for how numbers trace,
language.py for script, token and repetition checks, markdown.py for the fragment heuristic.
"""

from tasks.agents.guard.check import check_draft
from tasks.agents.guard.numbers import Number, numbers_in_text, untraced_numbers
from tasks.agents.guard.policy import GuardPolicy, GuardVerdict

__all__ = [
    "GuardPolicy",
    "GuardVerdict",
    "Number",
    "check_draft",
    "numbers_in_text",
    "untraced_numbers",
]
