"""The findings pack: the findings an agent's prompt carries, sized to fit its context window.

In: the FINDINGS frame, the topics the agent needs, its token budget. Out: the most important
findings that fit, rendered one per line with their id, and the ids that were left out (the report
says so). Findings come in rank order, so an agent sees what matters most, whatever its topics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

# A safe token estimate for finding lines: small models' tokenizers split digits one by one, so a
# line full of numbers runs about 2.3 characters per token (measured with SmolLM2's tokenizer).
CHARS_PER_TOKEN = 2.2
# Tiny models lose the thread in long lists: a prompt carries at most this many findings.
MAX_FINDINGS = 16


@dataclass(frozen=True)
class FindingsPack:
    findings: pl.DataFrame  # the FINDINGS rows that made it into the prompt
    left_out: tuple[str, ...]  # ids of the topics' findings that did not fit

    def render(self) -> str:
        """One finding per line: `F001 (kind, verdict): statement`."""
        return "\n".join(
            f"{finding_id} ({kind}{', ' + verdict if verdict else ''}): {statement}"
            for finding_id, kind, verdict, statement in self.findings.select(
                "finding_id", "kind", "verdict", "statement"
            ).iter_rows()
        )

    @property
    def ids(self) -> list[str]:
        return self.findings["finding_id"].to_list()

    @property
    def numbers(self) -> list[float]:
        """Every number the packed findings state."""
        return [n for numbers in self.findings["numbers"].to_list() for n in numbers]


def estimate_tokens(text: str) -> int:
    return int(len(text) / CHARS_PER_TOKEN) + 1


def pack_findings(
    findings: pl.DataFrame,
    topics: Sequence[str],
    token_budget: int,
    max_findings: int = MAX_FINDINGS,
) -> FindingsPack:
    """The topics' best-ranked findings that fit the budget, in rank order; a finding too long
    for what is left is skipped and a shorter, lower-ranked one may still fit."""
    candidates = findings.filter(pl.col("topic").is_in(list(topics))).sort("rank")
    kept, left_out, used = [], [], 0
    for row in candidates.iter_rows(named=True):
        cost = estimate_tokens(f"{row['finding_id']} ({row['kind']}): {row['statement']}\n")
        if used + cost <= token_budget and len(kept) < max_findings:
            kept.append(row["finding_id"])
            used += cost
        else:
            left_out.append(row["finding_id"])
    return FindingsPack(
        findings=candidates.filter(pl.col("finding_id").is_in(kept)), left_out=tuple(left_out)
    )
