"""The findings pack: the findings an agent's prompt carries, sized to fit its context window.

In: the FINDINGS frame, the kinds of finding each of the agent's sections may cite, its token
budget. Out: the most important findings that fit, taken in turn for each section so that every
section has some to cite, rendered one per line with their id in rank order, and the ids that
were left out (the report says so).
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
        """One finding per line, in words (its gist): `F001 (kind, verdict): gist`. The numbers
        stay out of the prompt: the report adds them to each claim from the finding."""
        return "\n".join(
            f"{finding_id} ({kind}{', ' + verdict if verdict else ''}): {words}"
            for finding_id, kind, verdict, words in self.findings.select(
                "finding_id", "kind", "verdict", "gist"
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
    section_kinds: Sequence[Sequence[str]],
    token_budget: int,
    max_findings: int = MAX_FINDINGS,
) -> FindingsPack:
    """The best-ranked findings for each section in turn (its next one of its kinds) while they
    fit the budget; a finding too long for what is left is skipped."""
    queues = [
        findings.filter(pl.col("kind").is_in(list(kinds))).sort("rank").to_dicts()
        for kinds in section_kinds
    ]
    kept: dict[str, None] = {}
    used = 0
    while any(queues) and len(kept) < max_findings:
        for queue in queues:
            while queue and queue[0]["finding_id"] in kept:
                queue.pop(0)
            if not queue or len(kept) >= max_findings:
                continue
            row = queue.pop(0)
            cost = estimate_tokens(f"{row['finding_id']} ({row['kind']}): {row['gist']}\n")
            if used + cost <= token_budget:
                kept[row["finding_id"]] = None
                used += cost
    readable = {kind for kinds in section_kinds for kind in kinds}
    candidates = findings.filter(pl.col("kind").is_in(list(readable))).sort("rank")
    left_out = tuple(i for i in candidates["finding_id"].to_list() if i not in kept)
    return FindingsPack(
        findings=candidates.filter(pl.col("finding_id").is_in(list(kept))), left_out=left_out
    )
