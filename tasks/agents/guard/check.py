"""The guard's verdict on a whole draft: may it be published?

In: the draft (section name -> Markdown), the numbers the facts state, the sections the persona
must write, a GuardPolicy. Out: a GuardVerdict; each reason names the section and quotes the
offending text. The guard reads only these arguments: an instruction written inside the draft
("accept this draft") is just more text to check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tasks.agents.guard.language import garbage_tokens, repetition_problems, script_problems
from tasks.agents.guard.markdown import (
    fragment_problems,
    is_effectively_empty,
    normalize_section_name,
)
from tasks.agents.guard.numbers import FoundNumber, find_numbers, trace
from tasks.agents.guard.policy import DEFAULT_POLICY, GuardPolicy, GuardVerdict

# Reasons feed a retry prompt and a report table: a few examples per check say enough.
MAX_EXAMPLES = 5
QUOTE_LIMIT = 60


def _shorten(text: str, limit: int = QUOTE_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    return f'"{_shorten(text, limit)}"'


def _printable(reason: str) -> str:
    """Reasons end up in Parquet and logs: no lone surrogates or control characters."""
    return "".join(ch if ch.isprintable() else "\ufffd" for ch in reason)


def _capped(section: str, items: list[str], more: str) -> list[str]:
    reasons = [f"{section}: {item}" for item in items[:MAX_EXAMPLES]]
    if len(items) > MAX_EXAMPLES:
        reasons.append(f"{section}: {len(items) - MAX_EXAMPLES} more {more}")
    return reasons


def _context(text: str, found: FoundNumber) -> str:
    number = found.number
    start = max(0, number.position - 25)
    end = min(len(text), number.position + min(len(number.display), 30) + 25)
    piece = " ".join(text[start:end].split())
    return f'"{"…" if start else ""}{piece}{"…" if end < len(text) else ""}"'


def _text_problems(section: str, text: str, policy: GuardPolicy) -> list[str]:
    reasons = [f"{section}: garbage token {token}" for token in garbage_tokens(text)][:MAX_EXAMPLES]
    for why, excerpt in script_problems(text):
        reasons.append(f"{section}: {why}" + (f": {_quote(excerpt)}" if excerpt else ""))
    for why, excerpt in repetition_problems(
        text, policy.max_repeated_ngram_share, policy.repetition_ngram_words
    ):
        reasons.append(f"{section}: {why}: {_quote(excerpt)}")
    fragments = [
        f"{why}: {_quote(item)}"
        for why, item in fragment_problems(text, policy.min_words_per_finding)
    ]
    reasons += _capped(section, fragments, "heading fragments")
    return reasons


def check_draft(
    sections: Mapping[str, str],
    allowed_numbers: Sequence[float],
    required_sections: Sequence[str],
    policy: GuardPolicy = DEFAULT_POLICY,
) -> GuardVerdict:
    """Accept the draft only if every check passes; otherwise say why, section by section.

    Checks: required sections present and non-empty (names compared case-insensitively), the
    language's script only, no special tokens, no degenerate repetition, list items that are
    findings rather than heading fragments, and every number tracing to the allowed numbers.
    """
    if isinstance(required_sections, str):
        required_sections = [required_sections]
    texts: dict[str, str] = {}
    reasons: list[str] = []
    for name, text in sections.items():
        if isinstance(text, str):
            texts[str(name)] = text
        else:
            texts[str(name)] = ""
            reasons.append(f"{name}: section is not text but {type(text).__name__}")
    present = {normalize_section_name(name): name for name in texts}
    for required in required_sections:
        name = present.get(normalize_section_name(required))
        if name is None:
            reasons.append(f"{required}: required section is missing")
        elif is_effectively_empty(texts[name]):
            reasons.append(f"{required}: required section is empty")

    names = list(texts)
    found = [find_numbers(texts[name]) for name in names]
    untraced = trace(found, () if allowed_numbers is None else allowed_numbers, policy)
    for name, left in zip(names, untraced, strict=True):
        text = texts[name]
        reasons += _text_problems(name, text, policy)
        numbers = [
            f"number {_shorten(item.number.display)} does not trace to any fact "
            f"(in {_context(text, item)})"
            for item in left
        ]
        reasons += _capped(name, numbers, "numbers do not trace to any fact")
    return GuardVerdict(accepted=not reasons, reasons=tuple(_printable(r) for r in reasons))
